"""Exact digital silence in the data, and whether the recognisers' answers differ on it.

Stop 22 found that inaudible dither (`dither-K`: seeded noise at -90 dBFS) makes Whisper
*better* on Common Voice, by 0.5-0.8 points, and guessed at runs of exact zeros in those clips.
This prints, per dataset and split of the manifest, the share of samples that are exactly 0
and how many clips hold a run of exact zeros of at least ``--min-run-ms``; then, for bench row
files, ΔWER of every method against ``none`` separately for the clips with such a run and
for the others (paired bootstrap 95 % CI over clips). No recogniser is run.

    python benchmarks/digital_silence.py --data ../shared/data \\
        docs/results/dev-tuning/dither-tiny.jsonl.gz docs/results/dev-tuning/dither-base.jsonl.gz
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import numpy as np

from _script import run_script, whole
from audiosqueeze import evaluate as ev
from audiosqueeze.audio import load
from audiosqueeze.bench.report import read_rows
from audiosqueeze.datasets import data_root
from audiosqueeze.units import SAMPLE_RATE


def longest_zero_run(x: np.ndarray) -> int:
    """Samples in the longest run of exact zeros in ``x``.

    >>> longest_zero_run(np.array([0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0]))
    3
    """
    edges = np.diff(np.concatenate([[0], (np.asarray(x) == 0).astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int((ends - starts).max()) if len(starts) else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA or ../shared/data)")
    ap.add_argument("--min-run-ms", type=float, default=50.0)
    ap.add_argument("--resamples", type=whole(1), default=2000)
    ap.add_argument("files", nargs="*", type=Path, help="bench row files or run folders")
    args = ap.parse_args()
    root = data_root(args.data)
    need = round(args.min_run_ms / 1000 * SAMPLE_RATE)

    stats: dict[tuple, list] = collections.defaultdict(list)
    has_run: dict[str, bool] = {}
    for line in (root / "manifest.jsonl").read_text().splitlines():
        r = json.loads(line)
        x = load(root / r["path"]).samples
        run = longest_zero_run(x)
        has_run[r["id"]] = run >= need
        stats[(r["dataset"], r["split"])].append((float(np.mean(x == 0)), run >= need))
    run_ms = f"{args.min_run_ms:g} ms"
    print(f"| dataset | split | clips | samples exactly 0 | clips with a run >= {run_ms} |")
    print("| --- | --- | ---: | ---: | ---: |")
    for (ds, split), v in sorted(stats.items()):
        share = 100 * np.mean([s for s, _ in v])
        print(f"| {ds} | {split} | {len(v)} | {share:.1f} % | {sum(h for _, h in v)} |")

    for f in args.files:
        by: dict[tuple, dict] = collections.defaultdict(lambda: collections.defaultdict(dict))
        for r in read_rows(f):
            if r["id"] in has_run:
                by[(r["asr"], r["dataset"])][r["method"]][r["id"]] = r
        for (asr, ds), methods in sorted(by.items()):
            if "none" not in methods:
                continue
            print(f"\n{f.name}: {ds}, {asr}; ΔWER against none [95 % CI]\n")
            print("| method | clips with a zero run | the other clips |")
            print("| --- | --- | --- |")
            for m, got in sorted(methods.items()):
                if m == "none":
                    continue
                cells = []
                for zero in (True, False):
                    ids = sorted(i for i in got if i in methods["none"] and has_run[i] == zero)
                    if not ids:
                        cells.append("no clips")
                        continue
                    base = [ev.Counts(*methods["none"][i]["words"]) for i in ids]
                    counts = [ev.Counts(*got[i]["words"]) for i in ids]
                    d, lo, hi = ev.paired_bootstrap(base, counts, resamples=args.resamples)
                    words = sum(c.ref for c in base)
                    cells.append(
                        f"{len(ids)} clips, {words} words: "
                        f"{100 * d:+.2f} [{100 * lo:+.2f}, {100 * hi:+.2f}]"
                    )
                print(f"| {m} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    run_script(main)
