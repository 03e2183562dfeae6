"""``audiosqueeze analyze``, ``tokens`` and ``demo``."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click

import audiosqueeze as sq

from .common import analyze_options, console, shown, stdin, vad_gain_option, vad_option

DEMO_FILE = "demo_common_voice_en_73.flac"
DEMO_RATES = (0.0, 0.25, 0.5, 0.75, 1.0)
TABLE_PROFILES = ("gemini", "whisper", "gpt-4o", "qwen2-audio", "voxtral")


@click.command()
@click.argument("input", type=click.Path(path_type=Path, allow_dash=True))
@vad_option
@vad_gain_option
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
def analyze(input, vad, vad_gain, vad_reset_drop, as_json):
    """Print the silence / noise / speech segments of INPUT (a file, or - for stdin)."""
    options = analyze_options(vad, vad_gain, vad_reset_drop)
    a = sq.analyze(stdin() if str(input) == "-" else input, options)
    if as_json:
        click.echo(json.dumps(a.to_dict()))
        return
    from rich.table import Table

    table = Table(
        "start s",
        "end s",
        "kind",
        "confidence",
        "complexity / noise type",
        title=f"{shown(input)} ({a.duration_s:.2f} s, vad={a.vad})",
    )
    for s in a.runs:
        detail = f"{s.complexity:.2f}" if s.kind == "speech" else (s.noise_type or "")
        table.add_row(
            f"{sq.to_seconds(s.start):.2f}",
            f"{sq.to_seconds(s.end):.2f}",
            s.kind,
            f"{s.confidence:.2f}",
            detail,
        )
    console().print(table)
    click.echo(
        f"speech {a.seconds('speech'):.2f} s, silence {a.seconds('silence'):.2f} s, "
        f"noise {a.seconds('noise'):.2f} s"
        + (" (no speech found)" if not a.seconds("speech") else "")
    )


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--model",
    "models",
    multiple=True,
    type=click.Choice(list(sq.PROFILES)),
    help="Token profile (repeatable); default: all.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tokens(inputs, models, as_json):
    """Count the audio tokens each model spends on INPUTS (files, or - for stdin)."""
    models = models or tuple(sq.PROFILES)
    result = {}
    for path in inputs:
        seconds = sq.duration_s(stdin() if str(path) == "-" else path)
        result[shown(path)] = {
            "seconds": round(seconds, 3),
            **{m: sq.tokens(seconds, m) for m in models},
        }
    if as_json:
        click.echo(json.dumps(result))
        return
    from rich.table import Table

    table = Table("input", "seconds", *models)
    for path, row in result.items():
        table.add_row(path, f"{row['seconds']:.2f}", *(str(row[m]) for m in models))
    console().print(table)


@click.command()
@vad_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows instead of a table.")
def demo(vad, as_json):
    """Compress the bundled Common Voice clip (CC0) at several rates and compare."""
    ref = resources.files("audiosqueeze") / "data" / DEMO_FILE
    with resources.as_file(ref) as path:
        audio = sq.load(path)
    analysis = sq.analyze(audio, sq.AnalyzeOptions(vad=vad))
    rows = [(rate, sq.compress(audio, rate, analysis=analysis).stats) for rate in DEMO_RATES]
    if as_json:
        for rate, s in rows:
            click.echo(json.dumps({"rate": rate, **s.to_dict()}))
        return
    from rich.table import Table

    out = console()
    out.print(f"demo clip: {DEMO_FILE} ({audio.duration_s:.2f} s, Common Voice, CC0), vad={vad}")
    out.print(
        f"segments: {analysis.num_runs} (speech {analysis.seconds('speech'):.2f} s, "
        f"silence {analysis.seconds('silence'):.2f} s, noise {analysis.seconds('noise'):.2f} s)"
    )
    table = Table(
        "rate", "seconds", "reduction", *TABLE_PROFILES, "edits", caption="audio tokens per model"
    )
    for rate, s in rows:
        table.add_row(
            f"{rate:.2f}",
            f"{s.output_s:.2f}",
            f"{s.reduction:.1%}",
            *(f"{s.tokens_after[m]}" for m in TABLE_PROFILES),
            " ".join(f"{k} {v}" for k, v in s.edits.items() if v),
        )
    out.print(table)
