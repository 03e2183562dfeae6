"""Where the plan changes a clip: every edit of ``compress`` that is not speech kept as is.

For reading a known case (which of a clip's pauses a setting cuts, and by how much), e.g. the
clips whose words a recogniser loses in a bench run:

    python benchmarks/plan_edits.py --data ../shared/data --split test --dataset commonvoice \\
        --ids common_voice_en_43,common_voice_en_93 --rate 0.5
"""

from __future__ import annotations

import argparse

import numpy as np

import audiosqueeze as sq
from _script import run_script
from audiosqueeze.datasets import data_root, split_utterances
from audiosqueeze.units import SAMPLE_RATE


def edits(samples: np.ndarray, rate: float) -> list[dict]:
    """The plan's edits of ``samples`` (16 kHz) at ``rate``, less speech kept unchanged:
    kind, segment, where (s) and how long before and after (ms), and where it stands
    (``lead``: starts at 0, ``tail``: ends at the end, else ``inner``)."""
    out = sq.compress(samples, rate, sample_rate=SAMPLE_RATE)
    n, rows = len(samples), []
    for e in out.plan.edits:
        if e.kind == "keep" and e.segment == "speech":
            continue
        where = "lead" if e.start == 0 else "tail" if e.end == n else "inner"
        rows.append(
            {
                "kind": e.kind,
                "segment": e.segment,
                "where": where,
                "start_s": e.start / SAMPLE_RATE,
                "end_s": e.end / SAMPLE_RATE,
                "in_ms": 1000 * e.in_samples / SAMPLE_RATE,
                "out_ms": 1000 * e.out_samples / SAMPLE_RATE,
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--split", default="test", choices=("dev", "test"))
    ap.add_argument("--dataset", default="commonvoice", choices=("librispeech", "commonvoice"))
    ap.add_argument("--ids", required=True, help="comma-separated clip ids")
    ap.add_argument("--rate", type=float, default=0.5)
    args = ap.parse_args()
    if not 0.0 <= args.rate <= 1.0:
        ap.error(f"--rate must be 0 to 1, got {args.rate}")
    utts = {u.id: u for u in split_utterances(data_root(args.data), args.split, args.dataset)}
    wanted = [i for i in args.ids.split(",") if i]
    missing = [i for i in wanted if i not in utts]
    if missing:
        ap.error(f"not {args.split} {args.dataset} clips: {', '.join(map(repr, missing))}")
    print("| clip | edit | segment | where | original (s) | ms before → after |")
    print("| --- | --- | --- | --- | --- | --- |")
    for i in wanted:
        for r in edits(utts[i].load(), args.rate):
            print(
                f"| {i} | {r['kind']} | {r['segment']} | {r['where']} | "
                f"{r['start_s']:.3f}–{r['end_s']:.3f} | {r['in_ms']:.0f} → {r['out_ms']:.0f} |"
            )


if __name__ == "__main__":
    run_script(main)
