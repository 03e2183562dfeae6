"""Is one run's method worse than another's? The paired WER difference of two bench runs.

``audiosqueeze bench`` gives each method's ΔWER against the original. When two commits (or
two settings) are compared, the question is the difference between the two methods on the
same utterances, and its own interval: two ΔWERs that each carry ±1.3 points can differ by
a point with nothing established. This prints, per dataset and recogniser, the corpus WER of
``B`` minus that of ``A`` on the utterances both runs have, with a paired bootstrap 95 %
interval (resampling utterances), and the same pooled over every (recogniser, method pair)
of a dataset (an utterance's errors summed over them, so its draws stay paired).

    python benchmarks/compare_runs.py \\
        docs/results/speedcurve/tiny-verify-v5 docs/results/speedcurve/tiny-verify-v6 \\
        --also docs/results/speedcurve/base-verify-v5 docs/results/speedcurve/base-verify-v6 \\
        --methods sq-verify-0.75,sq-verify-1.0

``A`` and ``B`` are run folders (``results.jsonl`` or ``results.jsonl.gz`` inside) or row
files; ``--also A2 B2`` adds another pair (e.g. the other recogniser). ``--methods`` names the
methods to compare (``A_NAME=B_NAME`` where a method was renamed between the runs).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from _script import run_script, whole
from audiosqueeze import evaluate as ev
from audiosqueeze.bench.report import add_exclude_option, already_read, read_rows


def errors_by_key(rows: list[dict], method: str) -> dict[tuple, tuple[int, int]]:
    """``(dataset, asr, id) -> (reference words, errors)`` of one method's rows."""
    return {
        (r["dataset"], r["asr"], r["id"]): (int(r["words"][0]), int(sum(r["words"][2:5])))
        for r in rows
        if r["method"] == method
    }


def compare(pairs, methods, resamples: int = 2000, exclude=()):
    """Rows ``(dataset, label, utterances, delta, low, high)`` in WER points: one per dataset,
    recogniser and method, then one pooled per dataset (label ``"pooled"``). An utterance that
    has a row with the same recogniser in any run of ``exclude`` is left out: clips that
    recogniser's runs already read."""
    seen = already_read(exclude)
    cells = defaultdict(dict)  # (dataset, label) -> id -> (ref, errors A, errors B)
    for a_path, b_path in pairs:
        a_rows, b_rows = read_rows(a_path), read_rows(b_path)
        for ma, mb in methods:
            a, b = errors_by_key(a_rows, ma), errors_by_key(b_rows, mb)
            for key in sorted(set(a) & set(b)):
                ds, asr, uid = key
                if key in seen:
                    continue
                label = f"{asr} {ma}" if ma == mb else f"{asr} {ma} → {mb}"
                cells[(ds, label)][uid] = (a[key][0], a[key][1], b[key][1])
    out = []
    pooled = defaultdict(lambda: defaultdict(lambda: np.zeros(3)))
    for (ds, label), got in sorted(cells.items()):
        v = np.array(list(got.values()), np.float64)
        d, lo, hi = ev.paired_bootstrap_change(v[:, 1], v[:, 2], v[:, 0], resamples=resamples)
        out.append((ds, label, len(v), 100 * d, 100 * lo, 100 * hi))
        for uid, x in got.items():
            pooled[ds][uid] += x
    for ds, got in sorted(pooled.items()):
        v = np.array(list(got.values()))
        d, lo, hi = ev.paired_bootstrap_change(v[:, 1], v[:, 2], v[:, 0], resamples=resamples)
        out.append((ds, "pooled", len(v), 100 * d, 100 * lo, 100 * hi))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", type=Path, help="the first run (folder or rows)")
    ap.add_argument("b", type=Path, help="the second run")
    ap.add_argument("--also", nargs=2, action="append", type=Path, default=[], metavar="A B")
    ap.add_argument("--methods", required=True, help="comma-separated; NAME or A_NAME=B_NAME")
    ap.add_argument("--resamples", type=whole(1), default=2000)
    add_exclude_option(ap)
    args = ap.parse_args(argv)
    methods = [tuple(m.split("=", 1)) if "=" in m else (m, m) for m in args.methods.split(",")]
    rows = compare([(args.a, args.b), *args.also], methods, args.resamples, args.exclude)
    if not rows:
        sys.exit("no utterance has a row for these methods in both runs")
    print("| dataset | recogniser, method | utterances | ΔWER, B − A [95 % CI] |")
    print("| --- | --- | ---: | --- |")
    for ds, label, n, d, lo, hi in rows:
        print(f"| {ds} | {label} | {n} | {d:+.2f} [{lo:+.2f}, {hi:+.2f}] |")


if __name__ == "__main__":
    run_script(main)
