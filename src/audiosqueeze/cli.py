"""``audiosqueeze`` command line: a thin layer over the public API.

Bad input gives a one-line ``error: ...`` on stderr and exit code 1 (usage errors: 2), never a
traceback. ``--json`` prints machine-readable output on stdout. ``-`` reads stdin / writes
stdout, so the tool sits in a pipe: ``ffmpeg -i talk.m4a -f flac - | audiosqueeze compress - -o -
--format raw | ...``.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from importlib import resources
from pathlib import Path

import click

import audiosqueeze as sq

from .audio import ENCODINGS
from .output import write_text_atomic
from .tsm import TSM_METHODS
from .vad import VAD_NAMES

DEMO_FILE = "demo_common_voice_en_73.flac"
DEMO_RATES = (0.0, 0.25, 0.5, 0.75, 1.0)
TABLE_PROFILES = ("gemini", "whisper", "gpt-4o", "qwen2-audio", "voxtral")
OUT_FORMATS = (*ENCODINGS, "raw")
#: A single file gets a progress bar of its own when it is longer than this.
BAR_MIN_S = 60.0


def _console(stderr: bool = False):
    import shutil

    from rich.console import Console

    # rich assumes 80 columns when stdout is not a terminal; the tables need a little more
    width = max(shutil.get_terminal_size().columns, 120)
    return Console(highlight=False, width=width, stderr=stderr)


def shown(path) -> str:
    """A path as printable text (undecodable bytes replaced), for tables and messages."""
    return click.format_filename(os.fspath(path))


def _vad_option(f):
    return click.option(
        "--vad",
        type=click.Choice(VAD_NAMES),
        default="silero",
        show_default=True,
        help="Voice activity detector: silero (ONNX model), webrtc, or energy (no model).",
    )(f)


def _rate_option(f):
    return click.option(
        "--rate",
        type=click.FloatRange(0.0, 1.0),
        default=0.5,
        show_default=True,
        help="0 = unchanged (bit-exact), 1 = most aggressive.",
    )(f)


def _options(vad: str, tsm: str = "wsola"):
    return sq.AnalyzeOptions(vad=vad), sq.RenderOptions(tsm=tsm)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(sq.__version__, prog_name="audiosqueeze")
def cli() -> None:
    """Make speech audio shorter before a speech model hears it.

    \b
    Examples:
      audiosqueeze demo
      audiosqueeze compress talk.flac -o short.flac --rate 0.5 --timemap map.json
      audiosqueeze compress *.wav -o out/ --target-reduction 0.3
      ffmpeg -i talk.m4a -f flac - | audiosqueeze compress - -o - --format raw > short.pcm
      audiosqueeze stream talk.flac -o short.flac
      audiosqueeze analyze talk.flac
      audiosqueeze tokens talk.flac --model gemini
    """


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(allow_dash=True),
    help="Output file (.flac/.wav/.ogg/.opus), a folder for several inputs, or - for stdout.",
)
@_rate_option
@click.option(
    "--target-reduction",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=None,
    help="Instead of --rate: share of duration to remove, e.g. 0.4 (two passes).",
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(OUT_FORMATS),
    default=None,
    help="Output format (default: from the extension; flac on stdout). raw = 16 kHz "
    "mono 16-bit PCM, streamed as it is made.",
)
@click.option(
    "--skip-no-speech",
    is_flag=True,
    help="Write nothing for a recording in which no speech is found.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per input on stdout.")
def compress(
    inputs, output, rate, target_reduction, vad, tsm, timemap, fmt, skip_no_speech, as_json
):
    """Compress INPUTS (files, or - for stdin) and write the shorter audio."""
    if not output:
        raise sq.PathError("output path is empty: give a file, a folder, or - for stdout")
    to_stdout, output = output == "-", Path(output)
    many = len(inputs) > 1 or (not to_stdout and output.is_dir())
    if many and (to_stdout or not output.is_dir()):
        raise click.UsageError(
            f"with several inputs --output must be an existing folder, got {shown(output)!r}"
        )
    if timemap is not None and many and not timemap.is_dir():
        raise click.UsageError(
            f"with several inputs --timemap must be an existing folder, got {shown(timemap)!r}"
        )
    if sum(str(p) == "-" for p in inputs) > 1:
        raise click.UsageError("stdin (-) can be read only once")
    if to_stdout and as_json:
        raise click.UsageError("--json prints on stdout, which -o - already uses for audio")
    if fmt == "raw" and not to_stdout:
        raise click.UsageError("--format raw is for stdout (-o -); files get a header")
    ao, ro = _options(vad, tsm)
    kw = dict(target_reduction=target_reduction, analyze_options=ao, render_options=ro)
    from rich.progress import Progress

    bar = Progress(console=_console(stderr=True), transient=True, disable=as_json or to_stdout)
    files = bar.add_task("files", total=len(inputs), visible=len(inputs) > 1)
    stage = bar.add_task("", total=1, visible=False)

    def on_progress(name: str, done: float, total: float | None) -> None:
        if total and total > BAR_MIN_S:
            bar.update(stage, description=name, completed=done, total=total, visible=True)

    rows = []
    with bar:
        for path in inputs:
            src = _stdin() if str(path) == "-" else path
            ext = "." + (fmt or "flac")
            out_path = output / (Path(path).stem + ext) if many else output
            map_path = (
                (timemap / (Path(path).stem + ".timemap.json") if many else timemap)
                if timemap
                else None
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", sq.TargetNotReachedWarning)
                if to_stdout:
                    result, written = _to_stdout(src, rate, fmt or "flac", map_path, kw), "-"
                else:
                    result = sq.compress_file(
                        src,
                        out_path,
                        rate,
                        timemap=map_path,
                        format=fmt,
                        progress=on_progress,
                        skip_no_speech=skip_no_speech,
                        **kw,
                    )
                    written = None if result.path is None else shown(result.path)
            for w in caught:
                click.echo(f"warning: {shown(path)}: {w.message}", err=True)
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "input": shown(path),
                            "output": written,
                            "rate": result.plan.rate,
                            **result.stats.to_dict(),
                        }
                    )
                )
            rows.append((shown(path), written or "(no speech: skipped)", result.stats))
            bar.advance(files)
    if not as_json and not to_stdout:
        _stats_table(_console(), rows)
    elif to_stdout:
        _stats_table(_console(stderr=True), rows)


def _stdin():
    stream = click.get_binary_stream("stdin")
    if stream.isatty():
        raise click.UsageError(
            "stdin is a terminal: pipe audio in, e.g. ffmpeg -i talk.m4a -f flac - | "
            "audiosqueeze compress - -o short.flac"
        )
    return stream


def _to_stdout(src, rate, fmt, map_path, kw):
    """Compress ``src`` to stdout: raw PCM as it is made, or a whole encoded file at the end."""
    from .output import check_destination
    from .pipeline import compress_to_sink

    if map_path is not None:
        check_destination(map_path, "time map")
    out = click.get_binary_stream("stdout")
    if fmt == "raw":
        import numpy as np

        def sink(y):
            out.write((np.clip(y, -1.0, 1.0) * 32767).astype("<i2").tobytes())
            out.flush()

        result = compress_to_sink(src, sink, rate, **kw)
    else:
        result = sq.compress(src, rate, **kw)
        out.write(sq.encode(result.audio, fmt))
        out.flush()
    if map_path is not None:
        write_text_atomic(map_path, result.timemap.to_json())
    return result


def _stats_table(console, rows) -> None:
    from rich.table import Table

    table = Table(
        "input", "output", "seconds", "reduction", "gemini tokens", "whisper tokens", "speech"
    )
    for src, dst, s in rows:
        table.add_row(
            src,
            dst,
            f"{s.input_s:.2f} -> {s.output_s:.2f}",
            f"{s.reduction:.1%}",
            f"{s.tokens_before['gemini']} -> {s.tokens_after['gemini']}",
            f"{s.tokens_before['whisper']} -> {s.tokens_after['whisper']}",
            "none found" if s.no_speech else f"{s.speech_s:.2f} s",
        )
    console.print(table)


@cli.command()
@click.argument("input", type=click.Path(path_type=Path, allow_dash=True))
@_vad_option
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
def analyze(input, vad, as_json):
    """Print the silence / noise / speech segments of INPUT."""
    a = sq.analyze(_stdin() if str(input) == "-" else input, sq.AnalyzeOptions(vad=vad))
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
        + (" (no speech found)" if not a.seconds("speech") else "")
    )


@cli.command()
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
    """Count the audio tokens each model spends on INPUTS."""
    models = models or tuple(sq.PROFILES)
    result = {}
    for path in inputs:
        seconds = sq.duration_s(path)
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


def _add_commands() -> None:
    from .bench.cli import bench, report
    from .streamcli import stream

    for command in (bench, report, stream):
        cli.add_command(command)


_add_commands()


def _safe(text: str) -> str:
    """``text`` printable on any terminal (undecodable file-name bytes shown escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _add_server_commands() -> None:
    from .server.cli import add_commands

    add_commands(cli)


_add_server_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="audiosqueeze", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as e:
        e.message = _safe(e.message)
        e.show()
        return e.exit_code
    except sq.AudiosqueezeError as e:
        click.echo(f"error: {_safe(str(e))}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:  # a bug: one line, and the details on request
        if os.environ.get("AUDIOSQUEEZE_DEBUG"):
            raise
        click.echo(
            f"error: internal error ({type(e).__name__}: {_safe(str(e))}); "
            "rerun with AUDIOSQUEEZE_DEBUG=1 for the traceback and please report it",
            err=True,
        )
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
