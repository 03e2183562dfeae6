"""What ``rate`` and ``target_reduction`` mean on the dev split (no recogniser needed).

Prints the mean token reduction at each rate (is the knob roughly linear?) and how close
``target_reduction`` lands on each clip where the target is reachable (the issue asks for
+-2 points).

    python benchmarks/rate_knob.py --data ../shared/data --per-dataset 50
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.datasets import data_root, sample_split

RATES = np.round(np.arange(0.0, 1.01, 0.1), 2)
TARGETS = (0.1, 0.2, 0.3, 0.4, 0.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--per-dataset", type=whole(1), default=50)
    ap.add_argument("--seed", type=whole(0), default=1)
    args = ap.parse_args()
    root = data_root(args.data)
    clips = sample_split(root, "dev", args.per_dataset, args.seed)
    red = np.zeros((len(clips), len(RATES)))
    errs = {t: [] for t in TARGETS}
    for i, u in enumerate(clips):
        x = u.load()
        a = sq.analyze(x, sample_rate=sq.SAMPLE_RATE)
        for j, r in enumerate(RATES):
            red[i, j] = sq.plan(a, float(r)).reduction
        top = red[i, -1]
        for t in TARGETS:
            if t <= top:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    p = sq.plan_for_target(a, t)
                errs[t].append(p.reduction - t)
        print(f"{i + 1}/{len(clips)}", end="\r", file=sys.stderr, flush=True)
    print(f"{len(clips)} dev clips ({args.per_dataset} LibriSpeech, {args.per_dataset} CV)")
    print("| rate | mean reduction | LibriSpeech | Common Voice |")
    print("| --- | --- | --- | --- |")
    n = args.per_dataset
    for j, r in enumerate(RATES):
        print(
            f"| {r:.1f} | {red[:, j].mean():.3f} | {red[:n, j].mean():.3f} | "
            f"{red[n:, j].mean():.3f} |"
        )
    line = np.polyfit(RATES, red.mean(axis=0), 1)
    resid = red.mean(axis=0) - np.polyval(line, RATES)
    print(f"linear fit: reduction = {line[0]:.3f} x rate + {line[1]:.3f}; "
          f"largest deviation {np.abs(resid).max():.3f}")  # fmt: skip
    print("| target | clips reachable | mean error | max abs error | within +-2 points |")
    print("| --- | --- | --- | --- | --- |")
    for t, e in errs.items():
        e = np.array(e)
        if len(e):
            print(
                f"| {t:.2f} | {len(e)} | {e.mean():+.4f} | {np.abs(e).max():.4f} | "
                f"{np.mean(np.abs(e) <= 0.02):.0%} |"
            )


if __name__ == "__main__":
    run_script(main)
