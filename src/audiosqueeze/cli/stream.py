"""``audiosqueeze stream``: play an input through :class:`~audiosqueeze.stream.Stream` in
small chunks, at real-time pace or as fast as it goes, and report how long each output sample
waited (its algorithmic latency) and what the stream removed.

The latency of an output sample is how much input had arrived when the stream returned it,
minus the original time of that sample (through the time map): the look-ahead the
algorithm needs, independent of how fast the machine is. It is sampled every 10 ms of output,
and reported for the speech alone too: a pause is held until the speech after it arrives (its
kept part sits next to that speech), so the longest wait is usually a pause's, not speech's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

import audiosqueeze as sq

from ..analyze import SEGMENT_MS_RANGE
from ..decode import float_to_s16le, open_input
from ..units import SAMPLE_RATE, ms_to_samples
from ..vad import VAD_NAMES
from .common import analyze_options, binary_stream, rate_option, vad_gain_option

#: Output samples between two latency probes (10 ms).
PROBE_STEP = SAMPLE_RATE // 100


@dataclass(frozen=True)
class Latency:
    """Seconds each probed output sample waited: ``p50``, ``p99``, ``max`` over ``count``."""

    p50: float
    p99: float
    max: float
    count: int

    @classmethod
    def of(cls, waits: np.ndarray) -> Latency:
        if not len(waits):
            return cls(0.0, 0.0, 0.0, 0)
        p50, p99 = np.percentile(waits, [50, 99])
        return cls(float(p50), float(p99), float(waits.max()), len(waits))


def chunks_of(blocks: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Re-cut ``blocks`` into chunks of ``size`` samples (the last may be shorter)."""
    pending = np.zeros(0, np.float32)
    for b in blocks:
        pending = np.concatenate([pending, b]) if len(pending) else b
        while len(pending) >= size:
            yield pending[:size]
            pending = pending[size:]
    if len(pending):
        yield pending


def _paced(stream: sq.Stream, chunks, pace: float, chunk_rate: int):
    """``stream``'s output for each chunk, then for the flush; with ``pace`` > 0 the input
    arrives no faster than ``pace`` x real time."""
    t0, sent = time.perf_counter(), 0
    for chunk in chunks:
        ahead = sent / chunk_rate / pace - (time.perf_counter() - t0) if pace else 0.0
        if ahead > 0:
            time.sleep(ahead)
        yield stream.push(chunk)
        sent += len(chunk)
    yield stream.flush()


def run_stream(
    stream: sq.Stream,
    chunks: Iterable[np.ndarray],
    sink=None,
    pace: float = 0.0,
    chunk_rate: int = SAMPLE_RATE,
) -> tuple[np.ndarray, int]:
    """Push ``chunks`` (at ``chunk_rate``) through ``stream``; ``pace`` > 0 sleeps so input
    arrives at ``pace`` x real time. Returns the seconds each probed output sample waited (one
    probe per :data:`PROBE_STEP` output samples) and the output length."""
    arrived, emitted, out = [], [], 0  # per output chunk: input received, output end
    for y in _paced(stream, chunks, pace, chunk_rate):
        if len(y):
            out += len(y)
            arrived.append(stream.samples_in)
            emitted.append(out)
            if sink:
                sink(y)
    tm = stream.timemap
    if tm is None or not out:
        return np.zeros(0), out
    probes = np.arange(0, out, PROBE_STEP)
    idx = np.searchsorted(np.asarray(emitted), probes, side="right")  # chunk that returned it
    waits = (np.asarray(arrived)[idx] - tm.to_original_samples(probes)) / SAMPLE_RATE
    return np.maximum(waits, 0.0), out


def speech_probes(stream: sq.Stream, out: int) -> np.ndarray:
    """Which of ``run_stream``'s probes (one per :data:`PROBE_STEP` output samples) lie in the
    output of a speech edit."""
    edits = stream.plan().edits
    ends = np.cumsum([e.out_samples for e in edits])
    speech = np.array([e.segment == "speech" for e in edits])
    idx = np.searchsorted(ends, np.arange(0, out, PROBE_STEP), side="right")
    return speech[np.minimum(idx, len(speech) - 1)]


@click.command()
@click.argument("input", type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),  # text as given: out/ is a folder
    default=None,
    help="Write the compressed audio: a file (.flac/.wav/.ogg/.opus) or - for raw "
    "16 kHz 16-bit PCM on stdout.",
)
@rate_option
@click.option(
    "--chunk-ms",
    type=click.FloatRange(1.0, 10_000.0),
    default=20.0,
    show_default=True,
    help="Size of each pushed chunk.",
)
@click.option("--fast", is_flag=True, help="Push as fast as possible instead of in real time.")
@click.option(
    "--input-rate",
    type=click.IntRange(1000, 384_000),
    default=None,
    help="Read stdin as raw 16-bit little-endian mono PCM at this rate.",
)
@click.option(
    "--vad",
    type=click.Choice(VAD_NAMES),
    default="silero",
    show_default=True,
    help="Voice activity detector.",
)
@click.option(
    "--max-segment-ms",
    type=click.FloatRange(*SEGMENT_MS_RANGE),
    default=sq.AnalyzeOptions().max_segment_ms,
    show_default=True,
    help="Longest analysis segment: the planner decides per segment, so this bounds how long "
    "a sample waits (64: speech waits a median 0.17 s, at most about 0.23 s; 256: at most "
    "about 0.4 s, a little faster and leaner; docs/RESULTS.md).",
)
@vad_gain_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stderr.")
def stream(
    input,
    output,
    rate,
    chunk_ms,
    fast,
    input_rate,
    vad,
    max_segment_ms,
    vad_gain,
    vad_reset_drop,
    as_json,
):
    """Compress INPUT (a file, or - for stdin) through the real-time Stream and report latency."""
    from ..output import Outputs
    from .common import shown, stdin

    src = stdin() if str(input) == "-" else input
    if input_rate is not None:
        if str(input) != "-":
            raise click.UsageError("--input-rate is for raw PCM on stdin (INPUT = -)")
        rate_in, blocks = input_rate, _raw_pcm(src, input_rate)
    else:
        inp = open_input(src)
        rate_in, blocks = inp.rate, inp.blocks()
    options = analyze_options(vad, vad_gain, vad_reset_drop, max_segment_ms=max_segment_ms)
    s = sq.Stream(rate, sample_rate=rate_in, analyze_options=options)
    size = max(1, ms_to_samples(chunk_ms, rate_in))
    to_stdout = output is not None and str(output) == "-"
    out_file = Outputs(output, source=src) if output is not None and not to_stdout else None
    stdout = binary_stream("stdout")
    t0 = time.perf_counter()
    with out_file or _Nothing() as files:
        if to_stdout:

            def sink(y):
                stdout.write(float_to_s16le(y))  # the inverse of reading s16le
                stdout.flush()
        else:
            sink = files.write if out_file else None
        waits, n_out = run_stream(s, chunks_of(blocks, size), sink, 0.0 if fast else 1.0, rate_in)
        lat = Latency.of(waits)
        talk = Latency.of(waits[speech_probes(s, n_out)] if len(waits) else waits)
        if s.samples_in == 0:  # nothing reached 16 kHz: no (empty, headerless) file
            raise sq.EmptyAudioError(f"{shown(input)}: no audio (none at 16 kHz)")
        if out_file:
            files.commit()
    wall = time.perf_counter() - t0
    _warn_if_quiet(s.analysis, options, shown(input))
    report = {
        "input": shown(input),
        "input_s": round(s.samples_in / SAMPLE_RATE, 3),
        "output_s": round(n_out / SAMPLE_RATE, 3),
        "chunk_ms": chunk_ms,
        "latency_p50_s": round(lat.p50, 3),
        "latency_p99_s": round(lat.p99, 3),
        "latency_max_s": round(lat.max, 3),
        **{  # None where no output sample is speech
            f"speech_latency_{k}_s": round(getattr(talk, k), 3) if talk.count else None
            for k in ("p50", "p99", "max")
        },
        "wall_s": round(wall, 3),
        "no_speech": s.analysis.seconds("speech") == 0,
    }
    if as_json:
        click.echo(json.dumps(report), err=True)
    else:
        speech = f"speech p50 {talk.p50:.2f} s, max {talk.max:.2f} s" if talk.count else "no speech"
        click.echo(
            f"{report['input']}: {report['input_s']:.2f} s -> {report['output_s']:.2f} s; "
            f"latency: {speech}; every sample (a pause waits for the speech after it) p50 "
            f"{lat.p50:.2f} s, p99 {lat.p99:.2f} s, max {lat.max:.2f} s ({chunk_ms:g} ms "
            f"chunks, {'as fast as possible' if fast else 'real time'}, {wall:.1f} s wall)",
            err=True,
        )


def _warn_if_quiet(analysis, options, name: str) -> None:
    """``compress``'s warning for a recording too quiet for the VAD, as its one line."""
    from ..pipeline import quiet_input_message

    message = quiet_input_message(analysis, options)
    if message is not None:
        click.echo(f"warning: {name}: {message}", err=True)


class _Nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _raw_pcm(f, rate: int) -> Iterator[np.ndarray]:
    step = 2 * max(1, rate // 10)
    rest = b""
    while True:
        data = f.read(step)
        if not data:
            break
        data = rest + data
        whole = len(data) - len(data) % 2
        rest = data[whole:]
        if whole:
            yield np.frombuffer(data[:whole], "<i2").astype(np.float32) / 32768.0
