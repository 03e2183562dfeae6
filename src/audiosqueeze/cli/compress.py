"""``audiosqueeze compress``: files, folders, stdin and stdout."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import click

import audiosqueeze as sq

from ..audio import ENCODINGS
from ..output import write_text_atomic
from ..tsm import TSM_METHODS
from .common import (
    binary_stream,
    console,
    options,
    rate_option,
    shown,
    stdin,
    vad_gain_option,
    vad_option,
)

OUT_FORMATS = (*ENCODINGS, "raw")
#: A single file gets a progress bar of its own when it is longer than this.
BAR_MIN_S = 60.0


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(allow_dash=True),
    help="Output file (.flac/.wav/.ogg/.opus), a folder for several inputs, or - for stdout.",
)
@rate_option
@click.option(
    "--target-reduction",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=None,
    help="Instead of --rate: share of duration to remove, e.g. 0.4 (two passes).",
)
@click.option(
    "--max-wer-increase",
    type=click.FloatRange(0.0, 100.0),
    default=None,
    help="Instead of --rate: a quality budget in WER points; the highest rate whose "
    "guard-predicted WER increase stays within it (two passes). A rough budget: on dev, 0.5 "
    "cost Whisper up to +1.3 on Common Voice (docs/RESULTS.md).",
)
@click.option(
    "--verify",
    metavar="ASR",
    default=None,
    help="Check with a local recogniser (e.g. whisper-tiny.en) and slow down where its words "
    "change; only sped-up speech (--rate above 0.5) is checked; costs local CPU (needs the "
    "[whisper] extra).",
)
@click.option(
    "--verify-min-probability",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    metavar="P",
    help="With --verify: also keep at 1.0x the speech near words the recogniser gives a "
    "probability below P on the original (0 = off; default: the library's, "
    "audiosqueeze.verify.VERIFY_MIN_PROBABILITY).",
)
@click.option(
    "--verify-rounds",
    type=click.IntRange(0, 10),
    default=None,
    metavar="N",
    help="With --verify: how many times the output is transcribed and checked (default 2; "
    "0 = only the probability pass above, one transcription of the original).",
)
@click.option(
    "--verify-scope",
    type=click.Choice(("window", "utterance")),
    default=None,
    help="With --verify: what a changed word slows down: its whole utterance, one step at a "
    "time (utterance, the default), or only the sped-up windows near it, back to 1.0x (window).",
)
@vad_option
@vad_gain_option
@click.option(
    "--tsm",
    type=click.Choice(TSM_METHODS),
    default="wsola",
    show_default=True,
    help="Time-stretch method for sped-up speech.",
)
@click.option(
    "--timemap",
    type=click.Path(),
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
    inputs,
    output,
    rate,
    target_reduction,
    max_wer_increase,
    verify,
    verify_min_probability,
    verify_rounds,
    verify_scope,
    vad,
    vad_gain,
    vad_reset_drop,
    tsm,
    timemap,
    fmt,
    skip_no_speech,
    as_json,
):
    """Compress INPUTS (files, or - for stdin) and write the shorter audio.

    \b
    Examples:
      audiosqueeze compress talk.mp3 -o talk.flac --rate 0.5 --timemap talk.timemap.json
      audiosqueeze compress talk.mp3 -o talk.flac --max-wer-increase 0.5
      audiosqueeze compress talk.mp3 -o talk.flac --rate 1 --verify whisper-tiny.en
    """
    to_stdout, output, many, timemap = _check_usage(
        inputs, output, timemap, fmt, as_json, target_reduction, max_wer_increase, verify
    )
    ao, ro = options(vad, tsm, vad_gain, vad_reset_drop)
    kw = dict(
        target_reduction=target_reduction,
        max_wer_increase=max_wer_increase,
        analyze_options=ao,
        render_options=ro,
    )
    if verify is not None:
        from ..verify import resolve_asr

        kw["verify"] = resolve_asr(verify)  # a clear error before any work
        kw["verify_min_probability"] = verify_min_probability
        if verify_rounds is not None:
            kw["verify_rounds"] = verify_rounds
        if verify_scope is not None:
            kw["verify_scope"] = verify_scope
    elif verify_min_probability is not None or verify_rounds is not None or verify_scope:
        raise click.UsageError(
            "--verify-min-probability, --verify-rounds and --verify-scope need --verify"
        )
    from rich.progress import Progress

    err = console(stderr=True)  # no bar where stderr is not a terminal: rich ends one with a
    # blank line there, which put an empty line before each table or error line in a log
    bar = Progress(console=err, transient=True, disable=as_json or to_stdout or not err.is_terminal)
    files = bar.add_task("files", total=len(inputs), visible=len(inputs) > 1)
    stage = bar.add_task("", total=1, visible=False)

    def on_progress(name: str, done: float, total: float | None) -> None:
        if total and total > BAR_MIN_S:
            bar.update(stage, description=name, completed=done, total=total, visible=True)

    jobs = _jobs(inputs, output, timemap, fmt, many, to_stdout)
    rows, failed = [], 0

    def one(path, out_path, map_path):
        """Compress one input: ``(result, path written or None)``."""
        src = stdin() if str(path) == "-" else path
        if to_stdout:
            return _to_stdout(src, rate, fmt or "flac", map_path, kw), "-"
        if verify is not None:
            result = sq.compress(src, rate, **kw)
            skip = skip_no_speech and result.stats.no_speech
            saved = None if skip else result.save(out_path, map_path, fmt)
            return result, None if saved is None else shown(saved)
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
        return result, None if result.path is None else shown(result.path)

    with bar:
        for path, out_path, map_path in jobs:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", sq.AudiosqueezeWarning)
                try:
                    result, written = one(path, out_path, map_path)
                except sq.AudiosqueezeError as e:
                    if not many:  # one input: its error is the command's (one line, exit 1)
                        raise
                    failed += 1  # several: say so, and go on with the others
                    why = str(e).encode("utf-8", "backslashreplace").decode("utf-8")
                    click.echo(f"error: {why}", err=True)
                    if as_json:
                        click.echo(json.dumps({"input": shown(path), "output": None, "error": why}))
                    rows.append((shown(path), "(failed)", None))
                    bar.advance(files)
                    continue
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
        _stats_table(console(), rows)
    elif to_stdout:
        _stats_table(console(stderr=True), rows)
    if failed:
        done = len(jobs) - failed
        raise sq.AudiosqueezeError(
            f"{failed} of {len(jobs)} inputs failed; the other {done} "
            f"{'was' if done == 1 else 'were'} compressed"
        )


def _check_usage(inputs, output, timemap, fmt, as_json, target_reduction, max_wer_increase, verify):
    """The options that cannot go together, checked before any work: ``(to_stdout, output
    path, several outputs, time-map path)``."""
    if not output:
        raise sq.PathError("output path is empty: give a file, a folder, or - for stdout")
    for what, given in (("output", output), ("time map", timemap)):
        if given and given.endswith(("/", os.sep)) and not Path(given).is_dir():
            raise sq.PathError(f"{what} folder {shown(given)!r} does not exist")
    timemap = None if timemap is None else Path(timemap)
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
    if timemap is not None and str(timemap) == "-":
        raise click.UsageError("--timemap takes a file or a folder, not - (stdout is in use)")
    if sum(str(p) == "-" for p in inputs) > 1:
        raise click.UsageError("stdin (-) can be read only once")
    if to_stdout and as_json:
        raise click.UsageError("--json prints on stdout, which -o - already uses for audio")
    if fmt == "raw" and not to_stdout:
        raise click.UsageError("--format raw is for stdout (-o -); files get a header")
    if target_reduction is not None and max_wer_increase is not None:
        raise click.UsageError("give --target-reduction or --max-wer-increase, not both")
    if verify is not None and fmt == "raw":
        raise click.UsageError("--verify needs the whole output first; use a file format")
    return to_stdout, output, many, timemap


def _jobs(inputs, output, timemap, fmt, many, to_stdout):
    """``(input, output path, time-map path)`` for each input, checked before any work: each
    path can be written (``--verify`` and ``-o -`` write only after the work), no output may
    replace an input (a later input included) and no two inputs may be written to the same
    file (``a.wav`` and ``a.mp3`` both make ``a.flac``)."""
    from ..output import check_writable, format_of, refuse_source

    jobs, seen, probed = [], {}, set()
    for path in inputs:
        stem = "stdin" if str(path) == "-" else Path(path).stem  # not -.flac: an option to a shell
        out_path = output / (stem + "." + (fmt or "flac")) if many else output
        map_path = timemap / (stem + ".timemap.json") if many and timemap else timemap
        if not to_stdout and map_path and os.path.abspath(map_path) == os.path.abspath(out_path):
            raise sq.OptionsError(f"the time map and the audio cannot both be {shown(out_path)!r}")
        for dest in (None if to_stdout else out_path, map_path):
            if dest is None:
                continue
            if many and seen.get(dest, path) != path:
                raise click.UsageError(
                    f"{shown(seen[dest])!r} and {shown(path)!r} would both be written to "
                    f"{shown(dest)!r}; compress them into different folders"
                )
            seen[dest] = path
            if dest is map_path:
                check_writable(dest, "time map", probed)
            else:
                format_of(check_writable(dest, "output", probed), fmt)
            for src in inputs:
                src = binary_stream("stdin") if str(src) == "-" else src  # < talk.flac too
                refuse_source(src, dest, "time map" if dest is map_path else "output")
        jobs.append((path, out_path, map_path))
    return jobs


def _to_stdout(src, rate, fmt, map_path, kw):
    """Compress ``src`` to stdout: raw PCM as it is made, or a whole encoded file at the end."""
    from ..pipeline import compress_to_sink

    out = binary_stream("stdout")
    if fmt == "raw":
        from ..decode import float_to_s16le

        def sink(y):
            out.write(float_to_s16le(y))
            out.flush()

        result = compress_to_sink(src, sink, rate, **kw)
    else:
        result = sq.compress(src, rate, **kw)
        out.write(sq.encode(result.audio, fmt))
        out.flush()
    if map_path is not None:
        write_text_atomic(map_path, result.timemap.to_json())
    return result


def _stats_table(out, rows) -> None:
    from rich.table import Table

    table = Table(
        "input", "output", "seconds", "reduction", "gemini tokens", "whisper tokens", "speech"
    )
    for src, dst, s in rows:
        if s is None:  # this input failed (its error is on stderr)
            table.add_row(src, dst, *["-"] * 5)
            continue
        table.add_row(
            src,
            dst,
            f"{s.input_s:.2f} -> {s.output_s:.2f}",
            f"{s.reduction:.1%}",
            f"{s.tokens_before['gemini']} -> {s.tokens_after['gemini']}",
            f"{s.tokens_before['whisper']} -> {s.tokens_after['whisper']}",
            "none found" if s.no_speech else f"{s.speech_s:.2f} s",
        )
    out.print(table)
