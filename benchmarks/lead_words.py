"""Clips whose first words the compressed audio loses, from ``audiosqueeze bench`` rows.

A clip counts when the original's transcript starts with the reference's first two words, the
method's does not, and the method's starts with the reference's words from the 2nd to the 6th
(the opening words were dropped, the rest heard). Also counts clips whose last two words the
original has right and the method changes. No recogniser is run: the rows hold the words.

    python benchmarks/lead_words.py docs/results/dev-tuning/cvall-tiny.jsonl.gz \\
        docs/results/dev-tuning/cvall-base.jsonl.gz
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from _script import run_script
from audiosqueeze.bench.report import read_rows
from audiosqueeze.evaluate import normalize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="results.jsonl[.gz] files or folders")
    args = ap.parse_args()
    print("| rows | recogniser | method | clips | first words dropped | last words changed |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for f in args.files:
        by = collections.defaultdict(dict)
        for r in read_rows(f):
            by[(r["asr"], r["dataset"], r["id"])][r["method"]] = r
        for asr in sorted({k[0] for k in by}):
            methods = sorted({m for k, d in by.items() if k[0] == asr for m in d} - {"none"})
            for m in methods:
                n = lead = trail = 0
                for (a, _, _), d in by.items():
                    if a != asr or "none" not in d or m not in d:
                        continue
                    n += 1
                    ref = normalize(d["none"]["ref"]).split()
                    h0, h1 = normalize(d["none"]["hyp"]).split(), normalize(d[m]["hyp"]).split()
                    if len(ref) < 2 or not h1:
                        continue
                    later = any(ref[i : i + 2] == h1[:2] for i in range(1, min(6, len(ref))))
                    if h0[:2] == ref[:2] and h1[:2] != ref[:2] and later:
                        lead += 1
                    if h0[-2:] == ref[-2:] and h1[-2:] != ref[-2:]:
                        trail += 1
                print(f"| {f.name} | {asr} | {m} | {n} | {lead} | {trail} |")


if __name__ == "__main__":
    run_script(main)
