"""Planted utterances that our methods cut out of the harder long-form set (no recogniser).

Builds the harder long-form recordings exactly as ``audiosqueeze bench --datasets
longform-hard`` does (10-60 s stretches of real non-speech around real utterances), runs each
method and counts the planted utterances more than half of which lie where the method's time
map is flat (the bench's "utterances cut"). Different ``--seeds`` build different recordings
from the same split, so more seeds mean more utterances.

    python benchmarks/utterances_cut.py --data ../shared/data --split dev --seeds 0,1,2 \\
        --methods sq-default,sq-vadreset-10s,sq-vadreset-5s,sq-vadreset-2s
"""

from __future__ import annotations

import argparse

import numpy as np

from _script import run_script, whole
from audiosqueeze.bench.ours import OURS, run_ours
from audiosqueeze.bench.run import _parts_cut
from audiosqueeze.datasets import data_root, split_utterances
from audiosqueeze.datasets.longform import make_hard_longform
from audiosqueeze.datasets.nonspeech import from_nonspeech


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="the shared data folder (or $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--count", type=whole(1), default=6, help="recordings per seed")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds of the generator")
    ap.add_argument("--methods", default="sq-default")
    args = ap.parse_args()
    methods = args.methods.split(",")
    if bad := [m for m in methods if m not in OURS]:
        ap.error(f"not one of our methods: {', '.join(bad)}")
    root = data_root(args.data)
    clips = [
        u for d in ("librispeech", "commonvoice") for u in split_utterances(root, args.split, d)
    ]
    nonspeech = from_nonspeech(root, args.split)
    print(
        "| seed | method | utterances cut | token reduction % | per recording (X cut, x 10-50 %) |"
    )
    print("| --- | --- | ---: | ---: | --- |")
    totals = {m: [0, 0] for m in methods}
    for seed in (int(s) for s in args.seeds.split(",")):
        recs = make_hard_longform(clips, nonspeech, count=args.count, seed=seed, split=args.split)
        for m in methods:
            cut, n, red, marks = 0, 0, [], []
            for u in recs:
                x = u.load()
                out = run_ours(m, x)
                parts = _parts_cut(u.gaps, out.result.timemap)
                cut += sum(f > 0.5 for f in parts)
                n += len(parts)
                red.append(1.0 - len(out.samples) / len(x))
                marks.append("".join("X" if f > 0.5 else "x" if f > 0.1 else "." for f in parts))
            totals[m][0] += cut
            totals[m][1] += n
            print(f"| {seed} | {m} | {cut} of {n} | {100 * np.mean(red):.1f} | {' '.join(marks)} |",
                  flush=True)  # fmt: skip
    for m, (cut, n) in totals.items():
        print(f"| all | {m} | {cut} of {n} | | |")


if __name__ == "__main__":
    run_script(main)
