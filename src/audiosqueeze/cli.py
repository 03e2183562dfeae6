"""``audiosqueeze`` command line: a thin layer over the public API.

Bad input gives a one-line ``error: ...`` on stderr and exit code 1 (usage errors: 2), never a
traceback. ``--json`` prints machine-readable output on stdout.
"""

from __future__ import annotations

import json
import sys
import warnings
from importlib import resources
from pathlib import Path

import click

import audiosqueeze as sq

from .audio import write_text_atomic
from .tsm import TSM_METHODS
from .vad import VAD_NAMES

DEMO_FILE = "demo_common_voice_en_73.flac"
DEMO_RATES = (0.0, 0.25, 0.5, 0.75, 1.0)
TABLE_PROFILES = ("gemini", "whisper", "gpt-4o", "qwen2-audio", "voxtral")


def _console():
    import shutil

    from rich.console import Console

    # rich assumes 80 columns when stdout is not a terminal; the tables need a little more
    return Console(highlight=False, width=max(shutil.get_terminal_size().columns, 120))


def _inputs_argument(f):
    return click.argument(
        "inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
    )(f)


def _vad_option(f):
    return click.option(
        "--vad",
        type=click.Choice(VAD_NAMES),
        default="silero",
        show_default=True,
        help="Voice activity detector: silero (ONNX model), webrtc, or energy (no model).",
    )(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(sq.__version__, prog_name="audiosqueeze")
def cli() -> None:
    """Make speech audio shorter before a speech model hears it.

    \b
    Examples:
      audiosqueeze demo
      audiosqueeze compress talk.flac -o short.flac --rate 0.5 --timemap map.json
      audiosqueeze compress *.wav -o out/ --target-reduction 0.3
      audiosqueeze analyze talk.flac
      audiosqueeze tokens talk.flac --model gemini
    """


@cli.command()
@_inputs_argument
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file (.flac/.wav/.ogg) for one input, or a folder for several.",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="0 = unchanged (bit-exact), 1 = most aggressive.",
)
@click.option(
    "--target-reduction",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=None,
    help="Instead of --rate: share of duration to remove, e.g. 0.4.",
)
@_vad_option
@click.option(
    "--tsm",
    type=click.Choice(TSM_METHODS),
    default="wsola",
    show_default=True,
    help="Time-stretch method for sped-up speech.",
)
@click.option(
    "--timemap",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the time map as JSON: a file for one input, a folder for several.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per input on stdout.")
def compress(inputs, output, rate, target_reduction, vad, tsm, timemap, as_json):
    """Compress INPUTS and write the shorter audio."""
    many = len(inputs) > 1 or output.is_dir()
    if many and not output.is_dir():
        raise click.UsageError(
            f"with several inputs --output must be an existing folder, got {str(output)!r}"
        )
    if timemap is not None and many and not timemap.is_dir():
        raise click.UsageError(
            f"with several inputs --timemap must be an existing folder, got {str(timemap)!r}"
        )
    console = _console()
    rows = []
    from rich.progress import Progress

    bar = Progress(console=console, transient=True, disable=as_json)
    files = bar.add_task("files", total=len(inputs), visible=len(inputs) > 1)
    stage = bar.add_task("", total=1, visible=False)

    def on_progress(name: str, done: int, total: int) -> None:
        # a single file gets a bar of its own only when it is longer than a minute
        bar.update(stage, description=name, completed=done, total=total, visible=total > 960_000)

    with bar:
        for path in bar.track(inputs, task_id=files):
            out_path = output / (path.stem + ".flac") if many else output
            map_path = (
                (timemap / (path.stem + ".timemap.json") if many else timemap) if timemap else None
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", sq.TargetNotReachedWarning)
                result = sq.compress_file(
                    path,
                    out_path,
                    rate,
                    target_reduction=target_reduction,
                    vad=vad,
                    tsm=tsm,
                    progress=on_progress,
                )
            for w in caught:
                click.echo(f"warning: {path}: {w.message}", err=True)
            if map_path is not None:
                write_text_atomic(map_path, result.timemap.to_json())
            s = result.stats
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "input": str(path),
                            "output": str(out_path),
                            "rate": result.plan.rate,
                            **s.to_dict(),
                        }
                    )
                )
            rows.append((str(path), str(out_path), s))
    if not as_json:
        _stats_table(console, rows)


def _stats_table(console, rows) -> None:
    from rich.table import Table

    table = Table("input", "output", "seconds", "reduction", "gemini tokens", "whisper tokens")
    for src, dst, s in rows:
        table.add_row(
            src,
            dst,
            f"{s.input_s:.2f} -> {s.output_s:.2f}",
            f"{s.reduction:.1%}",
            f"{s.tokens_before['gemini']} -> {s.tokens_after['gemini']}",
            f"{s.tokens_before['whisper']} -> {s.tokens_after['whisper']}",
        )
    console.print(table)


@cli.command()
@click.argument("input", type=click.Path(dir_okay=False, path_type=Path))
@_vad_option
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
def analyze(input, vad, as_json):
    """Print the silence / noise / speech segments of INPUT."""
    a = sq.analyze(input, sq.AnalyzeOptions(vad=vad))
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
        title=f"{input} ({a.duration_s:.2f} s, vad={a.vad})",
    )
    for s in a.segments:
        detail = f"{s.complexity:.2f}" if s.kind == "speech" else (s.noise_type or "")
        table.add_row(
            f"{sq.to_seconds(s.start):.2f}",
            f"{sq.to_seconds(s.end):.2f}",
            s.kind,
            f"{s.confidence:.2f}",
            detail,
        )
    _console().print(table)
    click.echo(
        f"speech {a.seconds('speech'):.2f} s, silence {a.seconds('silence'):.2f} s, "
        f"noise {a.seconds('noise'):.2f} s"
    )


@cli.command()
@_inputs_argument
@click.option(
    "--model",
    "models",
    multiple=True,
    type=click.Choice(list(sq.PROFILES)),
    help="Token profile (repeatable); default: all.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tokens(inputs, models, as_json):
    """Count the audio tokens each model spends on INPUTS."""
    models = models or tuple(sq.PROFILES)
    result = {}
    for path in inputs:
        seconds = sq.duration_s(path)
        result[str(path)] = {
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
    _console().print(table)


@cli.command()
@_vad_option
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

    console = _console()
    console.print(
        f"demo clip: {DEMO_FILE} ({audio.duration_s:.2f} s, Common Voice, CC0), vad={vad}"
    )
    console.print(
        f"segments: {len(analysis.segments)} (speech {analysis.seconds('speech'):.2f} s, "
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
    console.print(table)


def _add_bench_commands() -> None:
    from .bench.cli import bench, report

    cli.add_command(bench)
    cli.add_command(report)


_add_bench_commands()


def _add_corpus_commands() -> None:
    from .corpus.cli import corpus

    cli.add_command(corpus)


_add_corpus_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="audiosqueeze", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except sq.AudiosqueezeError as e:
        click.echo(f"error: {e}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
