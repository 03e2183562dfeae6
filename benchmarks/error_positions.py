"""Where in a clip a method's extra word errors fall, from ``audiosqueeze bench`` rows.

For each clip both methods have (same recogniser), each reference word gets the errors of the
alignment against the reference: 1 if it is substituted or deleted, plus the hypothesis words
inserted just before it (those after the last word go to the last word). The extra errors of
METHOD over BASE are summed by where the word sits: its first ``--edge`` words, its last
``--edge`` words, or the middle (a clip of at most ``2 x edge`` words has only edges, first
before last). No recogniser is run: the rows hold the words.

    python benchmarks/error_positions.py docs/results/dev-tuning/default-tiny.jsonl.gz \\
        --base sq-pauses --methods pauses+speed-1.1,pauses+speed-1.15,pauses+speed-1.2
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from _script import run_script, whole
from audiosqueeze.bench.report import read_rows
from audiosqueeze.evaluate import alignment, normalize

PLACES = ("first", "middle", "last")


def word_errors(ref: str, hyp: str) -> list[int]:
    """Errors charged to each word of the normalised ``ref`` against ``hyp``.

    >>> word_errors("a b c d", "x a c d e")
    [1, 1, 0, 1]
    """
    n = len(ref.split())
    out = [0] * n
    for ch in alignment(ref, hyp):
        if ch.type in ("substitute", "delete"):
            for i in range(ch.ref_start_idx, ch.ref_end_idx):
                out[i] += 1
        elif ch.type == "insert" and n:
            out[min(ch.ref_start_idx, n - 1)] += ch.hyp_end_idx - ch.hyp_start_idx
    return out


def place(i: int, n: int, edge: int) -> str:
    """``first``, ``middle`` or ``last``: where word ``i`` of ``n`` sits.

    >>> [place(i, 5, 2) for i in range(5)]
    ['first', 'first', 'middle', 'last', 'last']
    """
    return "first" if i < edge else "last" if i >= n - edge else "middle"


def tally(rows, base: str, method: str, edge: int) -> dict:
    """``(asr, dataset) -> {place: [words, extra errors]}`` over the clips with both rows."""
    by = collections.defaultdict(dict)
    for r in rows:
        by[(r["asr"], r["dataset"], r["id"])][r["method"]] = r
    out: dict = collections.defaultdict(lambda: {p: [0, 0] for p in PLACES})
    for (asr, ds, _), d in sorted(by.items()):
        if base not in d or method not in d:
            continue
        ref = normalize(d[base]["ref"])
        was = word_errors(ref, normalize(d[base]["hyp"]))
        now = word_errors(ref, normalize(d[method]["hyp"]))
        for i, (a, b) in enumerate(zip(was, now, strict=True)):
            cell = out[(asr, ds)][place(i, len(was), edge)]
            cell[0] += 1
            cell[1] += b - a
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="results.jsonl[.gz] files or folders")
    ap.add_argument("--base", default="sq-pauses", help="the method errors are counted over")
    ap.add_argument("--methods", required=True, help="comma-separated methods")
    ap.add_argument("--edge", type=whole(1), default=2, help="words at each end (default 2)")
    args = ap.parse_args()
    rows = [r for f in args.files for r in read_rows(f)]
    e = args.edge
    print(f"| recogniser | dataset | method | first {e} words | middle | last {e} words |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for m in args.methods.split(","):
        for (asr, ds), cells in sorted(tally(rows, args.base, m, e).items()):
            shown = [f"{x:+d} in {n} ({100 * x / max(n, 1):+.2f} %)" for n, x in cells.values()]
            print(f"| {asr} | {ds} | {m} | " + " | ".join(shown) + " |")


if __name__ == "__main__":
    run_script(main)
