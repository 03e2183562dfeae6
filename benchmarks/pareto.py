"""The Pareto checks of the speed-curve issue, from ``audiosqueeze bench`` result folders.

For each dataset and recogniser:

1. our curve: ``(0, 0)`` (rate 0 is the identity) and the ``sq-0.25`` ... ``sq-1.0`` points
   (token reduction, ΔWER), interpolated linearly in reduction;
2. at the token reduction of ``speed-1.25`` and of ``speed-1.5``: our interpolated ΔWER
   against theirs (the target: at most half of theirs);
3. the ``pauses+speed-*`` curve (``sq-pauses`` as its 1.0x point, then 1.15, 1.3, 1.45): at
   each of our points inside its range, is our ΔWER lower than its interpolated ΔWER?

    python benchmarks/pareto.py docs/results/test-tiny docs/results/test-base
    python benchmarks/pareto.py NEW-RUNS --baselines OLD-RUNS   # baselines from older runs
    python benchmarks/pareto.py RUNS --against-rates sq-budget-0.5,sq-budget-1

``--against-rates``: also, for each of these methods, our ``sq-*`` rate curve's interpolated
ΔWER at its tokens (is it better than the rate knob at equal tokens?).

``--baselines``: folders whose baseline rows (every method but ``none`` and ``sq-*``) join
the main folders' rows, for when our methods were re-run but the baselines were not; a
method the main folders have (for a dataset and recogniser) is taken from them only.

Prints markdown tables; numbers are the bench's own summaries (same utterances for every
method, ΔWER in points).
"""

from __future__ import annotations

import argparse

import numpy as np

from _script import run_script
from audiosqueeze.bench.report import load_rows, summarize

OURS = ("sq-0.25", "sq-0.5", "sq-0.75", "sq-1.0")
SIMPLE = ("sq-pauses", "pauses+speed-1.15", "pauses+speed-1.3", "pauses+speed-1.45")


def point(s: dict) -> tuple[float, float]:
    return 100.0 * (1.0 - s["gemini_after"] / s["gemini_before"]), 100.0 * s["delta_wer"]


def interp(x: float, pts: list[tuple[float, float]]) -> float | None:
    """ΔWER of the curve through ``pts`` at reduction ``x`` (None outside its range)."""
    pts = sorted(pts)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    if not pts or x < xs[0] or x > xs[-1]:
        return None
    return float(np.interp(x, xs, ys))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--baselines", nargs="*", default=[], metavar="FOLDER")
    ap.add_argument("--against-rates", default="", metavar="METHODS")
    args = ap.parse_args()
    rows = load_rows(args.folders)
    if args.baselines:
        old = load_rows(args.baselines)
        have = {(r["dataset"], r["asr"], r["method"]) for r in rows}  # the main folders win
        rows += [
            r
            for r in old
            if r["method"] != "none"
            and not r["method"].startswith("sq-")
            and (r["dataset"], r["asr"], r["method"]) not in have
        ]
    summ = summarize(rows, resamples=200)
    groups: dict[tuple, dict[str, dict]] = {}
    for s in summ:
        groups.setdefault((s["dataset"], s["asr"]), {})[s["method"]] = s
    print("| dataset | ASR | baseline | its tokens, ΔWER | ours at those tokens | ≤ half? |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (ds, asr), by in sorted(groups.items()):
        ours = [(0.0, 0.0)] + [point(by[m]) for m in OURS if m in by]
        for base in ("speed-1.25", "speed-1.5"):
            if base not in by or len(ours) < 2:
                continue
            x, y = point(by[base])
            o = interp(x, ours)
            ok = "n/a (beyond our range)" if o is None else ("yes" if o <= y / 2 else "no")
            shown = "beyond sq-1.0" if o is None else f"{o:+.2f}"
            print(f"| {ds} | {asr} | {base} | {x:.1f} %, {y:+.2f} | {shown} | {ok} |")
    print()
    print("| dataset | ASR | our point | tokens, ΔWER | pauses+speed curve there | ours lower? |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (ds, asr), by in sorted(groups.items()):
        simple = [point(by[m]) for m in SIMPLE if m in by]
        if len(simple) >= 2:
            against(ds, asr, by, OURS, simple)
    others = [m for m in args.against_rates.split(",") if m]
    if others:
        print()
        print("| dataset | ASR | method | tokens, ΔWER | our rate curve there | method lower? |")
        print("| --- | --- | --- | --- | --- | --- |")
        for (ds, asr), by in sorted(groups.items()):
            against(ds, asr, by, others, [(0.0, 0.0)] + [point(by[m]) for m in OURS if m in by])


def against(ds: str, asr: str, by: dict, methods, curve: list[tuple[float, float]]) -> None:
    """A table row for each of ``methods`` that ``by`` has: its point, and ``curve`` there."""
    for m in methods:
        if m not in by:
            continue
        x, y = point(by[m])
        o = interp(x, curve)
        there = "outside its range" if o is None else f"{o:+.2f}"
        lower = "n/a" if o is None else ("yes" if y < o else "no")
        print(f"| {ds} | {asr} | {m} | {x:.1f} %, {y:+.2f} | {there} | {lower} |")


if __name__ == "__main__":
    run_script(main)
