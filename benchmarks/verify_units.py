"""How many sped-up utterances a clip has: where verify's two scopes can differ.

Verify's ``utterance`` scope slows whole utterances (the speech between two pauses,
:func:`audiosqueeze.verify.utterances`), its ``window`` scope the 0.3 s around a word. On a
clip with one sped-up utterance the two differ only in how far the slowing reaches inside it.
This counts, per dataset, the utterances with at least one sped-up edit in each clip's plan at
``--rate``, on the clips ``audiosqueeze bench`` would take with the same ``--split`` and
``--limit``. No recogniser is run.

    python benchmarks/verify_units.py --data ../shared/data --split dev --limit 100 --rate 0.75
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.bench.run import BenchOptions, load_utterances
from audiosqueeze.verify import utterances


def sped_up_utterances(plan) -> int:
    """Utterances of ``plan`` with at least one sped-up stretch edit."""
    return sum(
        any(e.kind == "stretch" and e.out_samples < e.in_samples for e in plan.edits[a:b])
        for a, b, _, _ in utterances(plan)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=os.environ.get("AUDIOSQUEEZE_DATA"))
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--datasets", default="librispeech,commonvoice")
    ap.add_argument("--limit", type=whole(1), default=None)
    ap.add_argument("--rate", type=float, default=0.75)
    args = ap.parse_args()
    if args.data is None:
        ap.error("--data (or $AUDIOSQUEEZE_DATA) is needed")
    opts = BenchOptions(
        data=args.data, out=Path("."), split=args.split,
        datasets=tuple(args.datasets.split(",")), limit=args.limit, methods=(),
    )  # fmt: skip
    print(f"rate {args.rate}, {args.split} split")
    print(
        "| dataset | clips | sped-up utterances per clip: median | mean | clips with at most one |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, utts in load_utterances(opts).items():
        n = np.array(
            [
                sped_up_utterances(
                    sq.compress(u.load(), args.rate, sample_rate=sq.SAMPLE_RATE).plan
                )
                for u in utts
            ]
        )
        if not len(n):
            continue
        print(f"| {name} | {len(n)} | {np.median(n):g} | {n.mean():.2f} | {np.mean(n <= 1):.0%} |")


if __name__ == "__main__":
    run_script(main)
