"""The guard policy's risk allowance at which it removes as many tokens as one uniform speed
(no recogniser needed): the ablation that compares them at equal tokens needs it.

For each dev clip (the first ``--limit`` of each dataset, in manifest order, leaving out those
of ``--exclude``'s manifest, e.g. the held-out folder the WER runs use): the token reduction
of the default plan at rate 1 (``uniform``, up to ``PlanOptions().max_speed``) and of the
``guard`` policy at rate 1, up to ``--max-speed``, for each ``max_risk_increase`` of
``--allowances``. Means over clips, per dataset and pooled.

    python benchmarks/guard_allowance.py --data ../shared/data --exclude .heldout --limit 40
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import number_list, run_script, whole
from audiosqueeze.datasets import data_root, manifest_rows, split_utterances
from audiosqueeze.errors import ManifestError

DATASETS = ("librispeech", "commonvoice")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--exclude", type=Path, default=None, help="folder whose manifest to skip")
    ap.add_argument("--limit", type=whole(1), default=40, help="dev clips per dataset")
    ap.add_argument("--max-speed", type=float, default=1.8, help="the guard's fastest speech")
    ap.add_argument(
        "--allowances", type=number_list("0.04,0.25"), default="0.03,0.035,0.04,0.045,0.05,0.25"
    )
    args = ap.parse_args()
    guard = {  # checked before any work
        v: sq.PlanOptions(speed_policy="guard", max_speed=args.max_speed, max_risk_increase=v)
        for v in args.allowances
    }
    root = data_root(args.data)
    skip = set()
    if args.exclude is not None:
        skip = {r["id"] for r in manifest_rows(args.exclude / "manifest.jsonl", ("id",))}
    clips = {
        ds: [u for u in split_utterances(root, "dev", ds) if u.id not in skip][: args.limit]
        for ds in DATASETS
    }
    if not any(clips.values()):
        raise ManifestError(f"no LibriSpeech or Common Voice dev clips in {str(root)!r}")
    names = ["uniform", *(f"guard {v:g}" for v in guard)]
    print(f"token reduction at rate 1, mean over clips; guard up to {args.max_speed:g}x")
    print("| dataset | clips | " + " | ".join(names) + " |")
    print("| --- | ---: |" + " ---: |" * len(names))
    pooled = []
    for ds, us in clips.items():
        rows = []
        for i, u in enumerate(us):
            a = sq.analyze(u.load(), sample_rate=sq.SAMPLE_RATE)
            rows.append(
                [sq.plan(a, 1.0).reduction] + [sq.plan(a, 1.0, o).reduction for o in guard.values()]
            )
            print(f"{ds}: {i + 1}/{len(us)}", end="\r", file=sys.stderr, flush=True)
        if rows:
            pooled += rows
            cells = " | ".join(f"{100 * v:.1f} %" for v in np.mean(rows, axis=0))
            print(f"| {ds} | {len(rows)} | {cells} |", flush=True)
    cells = " | ".join(f"{100 * v:.1f} %" for v in np.mean(pooled, axis=0))
    print(f"| pooled | {len(pooled)} | {cells} |")


if __name__ == "__main__":
    run_script(main)
