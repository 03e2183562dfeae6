"""What ``audiosqueeze bench --jobs N`` buys: the same run with one job and with N, each into
a fresh folder (no cached transcripts), timed by the wall clock, and whether their rows are the
same (all but the seconds each took).

    python benchmarks/bench_jobs.py --data ../shared/data --split dev --datasets commonvoice \\
        --limit 40 --asr whisper-tiny.en --methods none,sq-0.5 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from _script import run_script, whole
from audiosqueeze.bench.run import BenchOptions, run_bench
from audiosqueeze.datasets import data_root
from audiosqueeze.errors import ManifestError

TIMES = ("asr_s", "method_s")  # how long a step took: differs from run to run


def run(opts: BenchOptions) -> tuple[list[dict], float]:
    t0 = time.perf_counter()
    path = run_bench(opts)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in r.items() if k not in TIMES} for r in rows], time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA"))
    ap.add_argument("--split", default="dev")
    ap.add_argument("--datasets", default="commonvoice")
    ap.add_argument("--limit", type=whole(1), default=40)
    ap.add_argument("--asr", default="whisper-tiny.en")
    ap.add_argument("--methods", default="none,sq-0.5")
    ap.add_argument("--jobs", type=whole(1), default=2)
    args = ap.parse_args()
    spec = {
        "data": data_root(args.data),
        "split": args.split,
        "datasets": tuple(args.datasets.split(",")),
        "asr": tuple(args.asr.split(",")),
        "methods": tuple(args.methods.split(",")),
        "limit": args.limit,
    }
    with tempfile.TemporaryDirectory() as tmp:
        one, t_one = run(BenchOptions(out=Path(tmp, "one"), jobs=1, **spec))
        if not one:  # a split or dataset without clips: nothing was timed
            raise ManifestError(f"no {args.datasets} {args.split} clips in {str(spec['data'])!r}")
        many, t_many = run(BenchOptions(out=Path(tmp, "many"), jobs=args.jobs, **spec))
    print(f"{len(one)} rows ({args.datasets}, {args.split}, --limit {args.limit}, {args.asr}, "
          f"{args.methods}); {os.cpu_count()} CPUs")  # fmt: skip
    print("| jobs | wall s | x one job |")
    print("| ---: | ---: | ---: |")
    print(f"| 1 | {t_one:.1f} | 1.00 |")
    print(f"| {args.jobs} | {t_many:.1f} | {t_one / t_many:.2f} |")
    print(f"rows the same, but for the seconds each step took: {one == many}")


if __name__ == "__main__":
    run_script(main)
