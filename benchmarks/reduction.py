"""Duration reduction and throughput of analyze + plan + render on every clip of the data set.

For each VAD and each rate, every clip is compressed with ``sq.compress`` (the Stream run to
the end: resample check, analyze, plan, render, time map) and its output checked (finite
samples, in [-1, 1] up to crossfade rounding, never longer than the input, length equal to the
plan and the time map). Prints, per dataset, the mean duration reduction and the throughput
(x real time on one core) of that whole path; decoding the FLAC files is not timed.

    taskset -c 0 python benchmarks/reduction.py --data ../shared/data [--limit N] [--json out.json]

``--speed-policy cues|guard`` measures a non-default speed policy instead of ``uniform``.

Run it pinned to one core (taskset) so "one core" is what is measured; ONNX Runtime is also
told to use one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.analyze import AnalyzeOptions

RATES = (0.25, 0.5, 0.75, 1.0)
VADS = ("silero", "webrtc", "energy")


def group(row: dict) -> str:
    return row["dataset"] if row["dataset"] in ("librispeech", "commonvoice") else "other"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--limit", type=whole(0), default=0, help="clips per dataset (0 = all)")
    ap.add_argument("--vads", default=",".join(VADS))
    ap.add_argument("--json", default=None, help="also write the numbers here")
    ap.add_argument("--max-segment-ms", type=float, default=AnalyzeOptions().max_segment_ms)
    ap.add_argument(
        "--vad-gain",
        type=float,
        default=AnalyzeOptions().vad_max_gain_db,
        help="AnalyzeOptions.vad_max_gain_db (0: the VAD hears the input as it is)",
    )
    ap.add_argument("--speed-policy", default="uniform", help="PlanOptions.speed_policy")
    args = ap.parse_args()
    plan_options = sq.PlanOptions(speed_policy=args.speed_policy)
    root = Path(args.data)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    if args.limit:
        per = defaultdict(list)
        for r in rows:
            if len(per[group(r)]) < args.limit:
                per[group(r)].append(r)
        rows = [r for v in per.values() for r in v]
    audio = {r["id"]: sq.load(root / r["path"]) for r in rows}
    seconds = defaultdict(float)
    for r in rows:
        seconds[group(r)] += audio[r["id"]].duration_s

    out = {"clips": len(rows), "seconds": dict(seconds), "vads": {}}
    for vad in args.vads.split(","):
        opts = AnalyzeOptions(
            vad=vad,
            num_threads=1,
            max_segment_ms=args.max_segment_ms,
            vad_max_gain_db=args.vad_gain,
        )
        t_pr = defaultdict(lambda: defaultdict(float))
        red = defaultdict(lambda: defaultdict(list))
        for r in rows:
            a, g = audio[r["id"]], group(r)
            for rate in RATES:
                t0 = time.perf_counter()  # the whole core: Stream run to the end
                res_c = sq.compress(a, rate, analyze_options=opts, plan_options=plan_options)
                t_pr[g][rate] += time.perf_counter() - t0
                y = res_c.audio
                ok = (
                    len(y) == res_c.plan.out_samples == res_c.timemap.compressed_samples
                    and len(y) <= a.num_samples
                    and np.all(np.isfinite(y))
                    and np.abs(y).max() <= 1.01
                )
                if not ok:
                    raise SystemExit(f"invalid output: {r['id']} vad={vad} rate={rate}")
                red[g][rate].append(1.0 - len(y) / a.num_samples)
        res = {}
        for g in sorted(red):
            res[g] = {
                str(rate): {
                    "mean_reduction": float(np.mean(red[g][rate])),
                    "x_realtime": seconds[g] / t_pr[g][rate],
                }
                for rate in RATES
            }
        out["vads"][vad] = res
        print(f"\nVAD {vad}: mean duration reduction / throughput (x real time, one core)")
        print("| dataset | clips | minutes | " + " | ".join(f"rate {r}" for r in RATES) + " |")
        print("|---|---:|---:|" + "---:|" * len(RATES))
        for g, v in res.items():
            n = sum(1 for r in rows if group(r) == g)
            cells = [
                f"{v[str(r)]['mean_reduction']:.1%} / {v[str(r)]['x_realtime']:.0f}x" for r in RATES
            ]
            print(f"| {g} | {n} | {seconds[g] / 60:.1f} | " + " | ".join(cells) + " |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    run_script(main)
