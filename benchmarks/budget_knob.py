"""What ``max_wer_increase`` does on dev clips, and whether it depends on the analysis'
segment length (no recogniser needed).

For each clip, analysed with segments of at most ``--segments-ms`` (the default 64 ms, and
10 s): the guard's predicted WER increase (points) of the plans at rate 0.75 and 1, and the
rate and token reduction that ``plan_for_budget`` picks for each budget. Means over clips.

    python benchmarks/budget_knob.py --data .heldout --limit 40
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import audiosqueeze as sq
from _script import number_list, run_script, whole
from audiosqueeze.curve import predicted_wer_increase
from audiosqueeze.datasets import data_root, split_utterances
from audiosqueeze.errors import ManifestError

BUDGETS = (0.25, 0.5, 1.0, 2.0, 4.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--limit", type=whole(1), default=40, help="dev clips per dataset")
    ap.add_argument("--segments-ms", type=number_list("64,10000"), default="64,10000")
    args = ap.parse_args()
    root = data_root(args.data)
    clips = [
        u
        for ds in ("librispeech", "commonvoice")
        for u in split_utterances(root, "dev", ds)[: args.limit]
    ]
    analyses = [sq.AnalyzeOptions(max_segment_ms=ms) for ms in args.segments_ms]  # checked
    if not clips:
        raise ManifestError(f"no LibriSpeech or Common Voice dev clips in {str(root)!r}")
    opts = sq.PlanOptions()
    print(f"{len(clips)} dev clips; means over clips; predicted cost in WER points")
    head = " | ".join(f"budget {b:g}: rate / tokens" for b in BUDGETS)
    print(f"| segments | predicted at rate 0.75 | at rate 1 | {head} |")
    print("| --- |" + " ---: |" * (2 + len(BUDGETS)))
    for ms, ao in zip(args.segments_ms, analyses, strict=True):
        cost, picked = [], []
        for i, u in enumerate(clips):
            a = sq.analyze(u.load(), ao, sample_rate=sq.SAMPLE_RATE).with_objects()
            cost.append([predicted_wer_increase(a, sq.plan(a, r, opts), opts) for r in (0.75, 1.0)])
            ps = [sq.plan_for_budget(a, b, opts) for b in BUDGETS]
            picked.append([(p.rate, p.reduction) for p in ps])
            print(f"{ms:g} ms: {i + 1}/{len(clips)}", end="\r", file=sys.stderr, flush=True)
        c, p = np.mean(cost, axis=0), np.mean(picked, axis=0)
        cells = " | ".join(f"{r:.2f} / {100 * t:.1f} %" for r, t in p)
        print(f"| {ms:g} ms | {c[0]:.2f} | {c[1]:.2f} | {cells} |", flush=True)


if __name__ == "__main__":
    run_script(main)
