"""How many inner pauses does the planner find in real speech? No recogniser is run.

Analyses dev clips (``--segment-ms``: the analysis' longest segment; the default 64 ms leaves
each speech segment two frames, too short to hold an inner pause) and counts, in every speech
segment, the quiet runs :func:`audiosqueeze.curve.inner_pauses` would cut, with the
``PlanOptions`` fields ``inner_pause_prob`` and ``inner_pause_drop_db`` at each value given.
Prints, per dataset and setting, the runs found, their seconds and the seconds of speech.

    python benchmarks/inner_pauses.py --data ../shared/data --clips 100 --segment-ms 10000 \\
        --prob 0.3,0.5,0.7,1.0 --drop-db 12,20
"""

from __future__ import annotations

import argparse
import itertools

import audiosqueeze as sq
from _script import number_list, run_script, whole
from audiosqueeze.curve import inner_pauses
from audiosqueeze.datasets import data_root, split_utterances


def count(analysis: sq.Analysis, options: sq.PlanOptions) -> tuple[int, int, int]:
    """``(runs, their samples, speech samples)`` of one analysis under ``options``."""
    runs = samples = speech = 0
    for seg in analysis.segments:
        if seg.kind == "speech":
            speech += seg.num_samples
            found = inner_pauses(seg, options)
            runs += len(found)
            samples += int((found[:, 1] - found[:, 0]).sum())
    return runs, samples, speech


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="the shared data folder (or $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--clips", type=whole(1), default=100, help="dev clips per dataset")
    ap.add_argument("--segment-ms", type=float, default=10_000.0, help="max_segment_ms")
    ap.add_argument("--vad", default="silero", help="AnalyzeOptions.vad")
    ap.add_argument("--prob", type=number_list("0.3,1.0"), default=[0.3], help="inner_pause_prob")
    ap.add_argument(
        "--drop-db", type=number_list("12,20"), default=[12.0], help="inner_pause_drop_db"
    )
    args = ap.parse_args()
    root = data_root(args.data)
    analyze = sq.AnalyzeOptions(vad=args.vad, max_segment_ms=args.segment_ms)
    settings = list(itertools.product(args.prob, args.drop_db))
    print(f"dev clips analysed with vad={args.vad}, max_segment_ms={args.segment_ms:g}")
    head = "| dataset | clips | inner_pause_prob | inner_pause_drop_db | runs | seconds |"
    print(head + " speech s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for ds in ("librispeech", "commonvoice"):
        clips = split_utterances(root, "dev", ds)[: args.clips]
        totals = {s: [0, 0, 0] for s in settings}
        for u in clips:
            a = sq.analyze(u.load(), analyze, sample_rate=sq.SAMPLE_RATE)
            for prob, drop in settings:
                o = sq.PlanOptions(inner_pause_prob=prob, inner_pause_drop_db=drop)
                for i, v in enumerate(count(a, o)):
                    totals[(prob, drop)][i] += v
        for (prob, drop), (runs, n, speech) in totals.items():
            sr = sq.SAMPLE_RATE
            print(
                f"| {ds} | {len(clips)} | {prob:g} | {drop:g} | {runs} | {n / sr:.1f} | "
                f"{speech / sr:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    run_script(main)
