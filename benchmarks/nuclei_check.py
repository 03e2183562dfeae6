"""Syllable nuclei on real speech: why zero padding mattered, and that runs agree.

For the first ``--limit`` dev clips of LibriSpeech and of Common Voice (default analysis):
the share of speech-run frames whose 300-3400 Hz band level is above 0 dB and at or above
12 dB (where padding the 3-frame mean with 0 dB drops the last frame by 4 dB, the nucleus
threshold, or more), and, for every speech run with the same span in a 64-ms and a 10-s
analysis, whether ``Analysis.runs`` reports the same syllable rate.

``--labels OLD NEW``: two guard label files of the same windows (``scripts/guard_labels.py``
before and after a change to the features) instead: the share of windows whose syllable rate,
run syllable rate and complexity differ, and each one's mean before and after.

    python benchmarks/nuclei_check.py --data ../shared/data --limit 20
    cd docs/results/dev-tuning && python ../../../benchmarks/nuclei_check.py \
        --labels guard-labels-v19-tiny.jsonl.gz guard-labels-v21-tiny.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import os

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.context import FEATURES, speech_runs
from audiosqueeze.datasets import split_utterances


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--limit", type=whole(1), default=20, help="dev clips per dataset")
    ap.add_argument("--labels", nargs=2, metavar=("OLD", "NEW"), help="compare two label files")
    args = ap.parse_args()
    if args.labels:
        return compare_labels(*args.labels)
    band, same, runs, clips = [], 0, 0, 0
    long = sq.AnalyzeOptions(max_segment_ms=10_000)
    for ds in ("librispeech", "commonvoice"):
        for u in split_utterances(args.data, "dev", ds)[: args.limit]:
            x, clips = u.load(), clips + 1
            a = sq.analyze(x, sample_rate=sq.SAMPLE_RATE)
            b = sq.analyze(x, long, sample_rate=sq.SAMPLE_RATE)
            band += [np.asarray(r.frames["band"]) for r in speech_runs(a.segments)]
            rate_a = {(r.start, r.end): r.cues["syllable_rate_hz"] for r in a.runs
                      if r.kind == "speech"}  # fmt: skip
            rate_b = {(r.start, r.end): r.cues["syllable_rate_hz"] for r in b.runs
                      if r.kind == "speech"}  # fmt: skip
            for span in rate_a.keys() & rate_b.keys():
                runs += 1
                same += rate_a[span] == rate_b[span]
    if not clips:
        raise sq.OptionsError(f"no LibriSpeech or Common Voice dev clips under {args.data!r}")
    v = np.concatenate(band) if band else np.zeros(0)
    print(f"{clips} dev clips, {len(v)} speech-run frames")
    if len(v):
        print(f"band level > 0 dB: {100 * np.mean(v > 0):.0f} %; >= 12 dB: "
              f"{100 * np.mean(v >= 12):.0f} %; median {np.median(v):.1f} dB")  # fmt: skip
    print(f"speech runs with the same span at 64 ms and 10 s: {runs}; same syllable rate: {same}")


def _features(path: str) -> np.ndarray:
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return np.array([r["features"] for r in rows], np.float64).reshape(len(rows), -1)


def compare_labels(old: str, new: str) -> None:
    a, b = _features(old), _features(new)
    if a.shape != b.shape or a.shape[1] != len(FEATURES):
        raise sq.OptionsError(f"{old!r} and {new!r} do not hold the same windows' features")
    print(f"{len(a)} windows")
    for name in ("syllable_rate_hz", "segment_syllable_rate_hz", "complexity"):
        i = FEATURES.index(name)
        share = 100 * np.mean(a[:, i] != b[:, i])
        print(f"{name}: {share:.1f} % differ; mean {a[:, i].mean():.3f} -> {b[:, i].mean():.3f}")


if __name__ == "__main__":
    run_script(main)
