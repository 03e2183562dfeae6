"""Where ``complexity()``'s cue ramps end, measured again on today's analysis.

``analyze.complexity`` maps each cue linearly from an easy end to a hard end, set as the 10th
and 90th percentiles of the cue over speech runs of at least 1 s on dev clips. This prints
those percentiles for ``--per-dataset`` seeded dev clips of each dataset (default analysis,
no recogniser) next to the ends in :data:`audiosqueeze.analyze.CUE_ENDS`, so a change to a
cue's definition (stop 38's syllable nuclei) shows how far the ramps have drifted.

    python benchmarks/cue_ranges.py --data ../shared/data --per-dataset 100
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.analyze import CUE_ENDS
from audiosqueeze.datasets import sample_split


def percentiles(runs: list, min_s: float = 1.0) -> dict[str, tuple[float, float, int]]:
    """10th and 90th percentile of each cue over the speech runs of at least ``min_s``, and
    how many runs that is."""
    long = [r for r in runs if r.kind == "speech" and r.num_samples >= min_s * sq.SAMPLE_RATE]
    out = {}
    for cue in CUE_ENDS:
        v = np.array([r.cues[cue] for r in long if r.cues.get(cue) is not None], np.float64)
        p10, p90 = np.percentile(v, [10, 90]) if len(v) else (np.nan, np.nan)
        out[cue] = (float(p10), float(p90), len(v))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--per-dataset", type=whole(1), default=100, help="dev clips per dataset")
    ap.add_argument("--seed", type=whole(0), default=0)
    args = ap.parse_args()
    clips = sample_split(args.data, "dev", args.per_dataset, args.seed)
    if not clips:
        raise sq.OptionsError(f"no LibriSpeech or Common Voice dev clips under {args.data!r}")
    runs = []
    for u in clips:
        runs += sq.analyze(u.load(), sample_rate=sq.SAMPLE_RATE).runs
    got = percentiles(runs)
    n = got[next(iter(CUE_ENDS))][2]
    print(f"{len(clips)} dev clips (seed {args.seed}), {n} speech runs of at least 1 s")
    print("| cue | measured easy end | measured hard end | complexity()'s easy end | hard end |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for cue, (easy, hard) in CUE_ENDS.items():
        p10, p90, _ = got[cue]
        low_is_easy = easy < hard  # a high SNR is easy; a high rate or flux is hard
        m_easy, m_hard = (p10, p90) if low_is_easy else (p90, p10)
        print(f"| {cue} | {m_easy:.3f} | {m_hard:.3f} | {easy:g} | {hard:g} |")


if __name__ == "__main__":
    run_script(main)
