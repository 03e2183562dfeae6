"""Peak memory and speed of compressing one 60-minute file.

Builds a 60-minute 16 kHz FLAC by concatenating LibriSpeech clips (in manifest order, repeated
as needed), then, each in a fresh process, runs ``compress_file`` (the file streamed in, the
output streamed out: what the CLI uses) and ``compress(path)`` followed by ``save`` (the file
streamed in, the output held in memory), and prints each one's peak resident memory
(ru_maxrss) and throughput. Targets: 200 MB and 300 MB.

    taskset -c 0 python benchmarks/memory_60min.py --data ../shared/data [--minutes 60] \\
        [--max-segment-ms 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile as sf

from _script import run_script
from audiosqueeze.errors import ManifestError, OptionsError

CHILD = r"""
import resource, sys, time, json
import audiosqueeze as sq
mode, src, dst, longest = sys.argv[1:5]
o = sq.AnalyzeOptions(max_segment_ms=float(longest))
t = time.perf_counter()
if mode == "file":
    out = sq.compress_file(src, dst, 0.5, analyze_options=o)
else:
    out = sq.compress(src, 0.5, analyze_options=o)
    out.save(dst)
dt = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"mode": mode, "seconds": dt, "peak_mb": peak_mb,
                  "input_s": out.stats.input_s, "output_s": out.stats.output_s}))
"""


def build(root: Path, minutes: float, path: Path) -> float:
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["dataset"] == "librispeech"]
    if not rows:
        raise ManifestError(f"no LibriSpeech clips in {str(root / 'manifest.jsonl')!r}")
    target = int(minutes * 60 * 16000)
    written = 0
    with sf.SoundFile(path, "w", 16000, 1, format="FLAC") as f:
        i = 0
        while written < target:
            x, sr = sf.read(root / rows[i % len(rows)]["path"], dtype="float32")
            x = x[: target - written]
            f.write(x)
            written += len(x)
            i += 1
    return written / 16000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--max-segment-ms", type=float, default=None, help="default: the library's")
    args = ap.parse_args()
    from audiosqueeze import AnalyzeOptions

    if not args.minutes > 0:  # the children would fail on an empty file
        raise OptionsError(f"--minutes must be a number > 0, got {args.minutes:g}")
    given = {} if args.max_segment_ms is None else {"max_segment_ms": args.max_segment_ms}
    longest = AnalyzeOptions(**given).max_segment_ms  # checked here, not in the children
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "long.flac"
        dur = build(Path(args.data), args.minutes, src)
        print(
            f"built {src.name}: {dur / 60:.1f} min, {src.stat().st_size / 1e6:.0f} MB FLAC; "
            f"max_segment_ms={longest:g}"
        )
        print("| path | peak RSS (MB) | wall s | x real time | output min |")
        print("|---|---:|---:|---:|---:|")
        for mode in ("file", "memory"):
            r = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    mode,
                    str(src),
                    str(Path(tmp) / f"out-{mode}.flac"),
                    str(longest),
                ],  # fmt: skip
                capture_output=True,
                text=True,
                check=True,
            )
            d = json.loads(r.stdout.strip().splitlines()[-1])
            name = "compress_file (CLI)" if mode == "file" else "compress(path), output held"
            print(
                f"| {name} | {d['peak_mb']:.0f} | {d['seconds']:.1f} | "
                f"{d['input_s'] / d['seconds']:.0f} | {d['output_s'] / 60:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    run_script(main)
