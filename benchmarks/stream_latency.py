"""Algorithmic latency of the real-time Stream on real clips.

Each clip is pushed through ``sq.Stream`` in 20 ms chunks (as fast as possible: the latency
measured is how much *input* had to arrive before an output sample could be returned, not the
machine's speed). For every 10 ms of output, latency = input received when the sample was
returned - the sample's original time (through the time map). Prints p50 / p99 / max per
dataset, then the same for the output samples that come from speech alone (the speech's
decision look-ahead: a non-speech stretch is held until the speech after it arrives), plus
the same for the clips concatenated into one long recording, and the
throughput of the streamed path (x real time on one core).

    taskset -c 0 python benchmarks/stream_latency.py --data ../shared/data [--limit 60]
    taskset -c 0 python benchmarks/stream_latency.py --max-segment-ms 2000   # lower latency

``--max-segment-ms`` is ``AnalyzeOptions.max_segment_ms``: the planner decides per analysis
segment, so this bounds how long a sample can wait. The "removed" column is the share of the
input the stream removed, to see what a shorter segment costs in tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.cli.stream import Latency, chunks_of, run_stream, speech_probes
from audiosqueeze.units import SAMPLE_RATE

CHUNK = SAMPLE_RATE // 50  # 20 ms


def measure(signals, rate, opts):
    """Pooled latency over all ``signals`` (all output, and speech only), the x-real-time of
    the stream and the share of the input it removed."""
    waits, speech, seconds, wall, n_in, n_out = [], [], 0.0, 0.0, 0, 0
    for x in signals:
        s = sq.Stream(rate, analyze_options=opts)
        t0 = time.perf_counter()
        w, out = run_stream(s, chunks_of([x], CHUNK))
        wall += time.perf_counter() - t0
        seconds += len(x) / SAMPLE_RATE
        waits.append(w)
        speech.append(w[speech_probes(s, out)] if len(w) else w)
        n_in, n_out = n_in + len(x), n_out + out
    lat = Latency.of(np.concatenate(waits))
    sp = Latency.of(np.concatenate(speech))
    return lat, sp, seconds / wall, 1.0 - n_out / n_in


def row(name: str, clips: int, minutes: float, r) -> str:
    lat, sp, xrt, red = r
    return (
        f"| {name} | {clips} | {minutes:.1f} | {lat.p50:.2f} | {lat.p99:.2f} | {lat.max:.2f} "
        f"| {sp.p50:.2f} | {sp.p99:.2f} | {sp.max:.2f} | {xrt:.0f} | {100 * red:.1f} % |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--limit", type=whole(1), default=60, help="clips per dataset")
    ap.add_argument("--rate", type=float, default=0.5)
    ap.add_argument("--vad", default="silero")
    ap.add_argument("--max-segment-ms", type=float, default=sq.AnalyzeOptions().max_segment_ms)
    args = ap.parse_args()
    from audiosqueeze.datasets import split_utterances

    opts = sq.AnalyzeOptions(vad=args.vad, num_threads=1, max_segment_ms=args.max_segment_ms)
    root = Path(args.data)
    by_ds = {
        ds: [u.load() for u in split_utterances(root, args.split, ds)[: args.limit]]
        for ds in ("librispeech", "commonvoice")
    }
    if not any(by_ds.values()):
        where = f"{args.split} clips in {str(root)!r}"
        raise sq.ManifestError(f"no LibriSpeech or Common Voice {where}")
    print(
        f"Stream latency, rate {args.rate}, vad {args.vad}, {CHUNK * 1000 // SAMPLE_RATE} ms "
        f"chunks, {args.split} split, first {args.limit} clips per dataset"
    )
    print(
        "| input | clips | minutes | p50 s | p99 s | max s | speech p50 s | speech p99 s "
        "| speech max s | x real time (one core) | removed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    every = []
    for ds, clips in by_ds.items():
        if not clips:  # nothing to measure
            continue
        every += clips
        minutes = sum(len(c) for c in clips) / SAMPLE_RATE / 60
        print(row(f"{ds} clips", len(clips), minutes, measure(clips, args.rate, opts)), flush=True)
    long = np.concatenate(every)
    minutes = len(long) / SAMPLE_RATE / 60
    r = measure([long], args.rate, opts)
    print(row("all of them as one recording", 1, minutes, r), flush=True)
    print(json.dumps({"max_segment_ms": opts.max_segment_ms}))


if __name__ == "__main__":
    run_script(main)
