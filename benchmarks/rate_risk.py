"""Where does a speed-up's cost sit? Extra errors per clip, grouped by a property of the clip.

For each clip of a bench run that has both ``--base`` and ``--method`` rows, the extra errors
are the method's errors minus the base's. Clips are grouped by quartiles of ``--by`` (or split
at ``--threshold``), and each group prints its words and extra errors per 100 words:

- ``rate``: the reference's words per second of speech (speech: the default analysis' speech
  segments, so lead, tail and pauses do not count). It uses the reference, so it asks whether
  an audio-only rate estimate would be worth having, not how to steer by one;
- ``snr``, ``level``, ``complexity``: the analysis' own cues of the clip's speech (duration-
  weighted over its speech segments): what the planner and the guard can see.

    python benchmarks/rate_risk.py docs/results/dev-tuning/wsola125-cv500-tiny.jsonl.gz \\
        --data ../shared/data --split dev --dataset commonvoice --method wsola-1.25-f32-t10-n \\
        --only docs/results/dev-tuning/resample-tiny.jsonl.gz --threshold 3.84
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import run_script
from audiosqueeze.analyze import AnalyzeOptions
from audiosqueeze.bench.report import add_exclude_option, already_read, read_rows
from audiosqueeze.datasets import data_root, split_utterances
from audiosqueeze.units import SAMPLE_RATE

#: one speech run per stretch of speech (no 64-ms pieces): only the total is read
_WHOLE_RUNS = AnalyzeOptions(max_segment_ms=3_600_000.0)


BY = ("rate", "snr", "level", "complexity")


def speech_cues(samples: np.ndarray) -> dict[str, float]:
    """Seconds of ``samples`` (16 kHz) that the default analysis calls speech (``speech_s``),
    and its SNR, level (dB) and complexity, weighted by each speech segment's duration (0 for
    a clip without speech)."""
    a = sq.analyze(samples, _WHOLE_RUNS, sample_rate=SAMPLE_RATE)
    sp = [s for s in a.segments if s.kind == "speech"]
    w = np.array([s.end - s.start for s in sp], np.float64)
    if not len(sp):
        return {"speech_s": 0.0, "snr": 0.0, "level": 0.0, "complexity": 0.0}

    def mean(values) -> float:
        return float(np.average(np.asarray(values, np.float64), weights=w))

    return {
        "speech_s": float(w.sum()) / SAMPLE_RATE,
        "snr": mean([s.cues["snr_db"] for s in sp]),
        "level": mean([s.cues["level_db"] for s in sp]),
        "complexity": mean([s.complexity for s in sp]),
    }


def measure(by: str, cues: dict[str, float], words: int) -> float:
    """The grouping value of a clip: ``rate`` is ``words`` per second of speech (at least
    0.1 s counted), the others the cue itself."""
    return words / max(cues["speech_s"], 0.1) if by == "rate" else cues[by]


def clip_records(rows, base: str, method: str, value) -> list[tuple[float, int, int]]:
    """``(value, reference words, extra errors)`` of each clip with a ``base`` and a ``method``
    row of the same recogniser; ``value(base_row)`` gives the clip's grouping value."""
    by: dict[tuple, dict] = {}
    for r in rows:
        by.setdefault((r["dataset"], r["asr"], r["id"]), {})[r["method"]] = r
    out = []
    for key in sorted(by):
        d = by[key]
        if base in d and method in d:
            words = int(d[base]["words"][0])
            extra = int(sum(d[method]["words"][2:5])) - int(sum(d[base]["words"][2:5]))
            out.append((float(value(d[base])), words, extra))
    return out


def groups(records, threshold: float | None = None) -> list[tuple[str, int, int, int]]:
    """``(label, clips, words, extra errors)`` per rate quartile, or below / at and above
    ``threshold``."""
    x = np.asarray(records, np.float64).reshape(-1, 3)
    if threshold is not None:
        cuts = [
            (f"< {threshold:g}", x[:, 0] < threshold),
            (f">= {threshold:g}", x[:, 0] >= threshold),
        ]
    else:
        q = np.quantile(x[:, 0], [0.25, 0.5, 0.75]) if len(x) else np.zeros(3)
        edges = [-np.inf, *q, np.inf]
        cuts = []
        for k in range(4):
            m = (x[:, 0] >= edges[k]) & (x[:, 0] < edges[k + 1])
            lo = f"{edges[k]:.2f}" if k else "min"
            hi = f"{edges[k + 1]:.2f}" if k < 3 else "max"
            cuts.append((f"{lo} to {hi}", m))
    return [(lab, int(m.sum()), int(x[m, 1].sum()), int(x[m, 2].sum())) for lab, m in cuts]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rows", type=Path, help="a bench run (folder or rows)")
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--dataset", default="commonvoice", choices=("librispeech", "commonvoice"))
    ap.add_argument("--method", required=True)
    ap.add_argument("--base", default="none")
    ap.add_argument("--by", choices=BY, default="rate", help="what to group the clips by")
    ap.add_argument("--threshold", type=float, help="split at this value, not at quartiles")
    ap.add_argument("--only", type=Path, action="append", default=[], metavar="RUN",
                    help="keep only the clips with a row in RUN (repeatable)")  # fmt: skip
    add_exclude_option(ap)
    args = ap.parse_args(argv)
    if args.threshold is not None and not np.isfinite(args.threshold):
        ap.error(f"--threshold must be a finite number, got {args.threshold}")
    keep = already_read(args.only) if args.only else None
    drop = already_read(args.exclude)
    rows = [
        r
        for r in read_rows(args.rows)
        if r["dataset"] == args.dataset
        and (keep is None or (r["dataset"], r["asr"], r["id"]) in keep)
        and (r["dataset"], r["asr"], r["id"]) not in drop
    ]
    if not clip_records(rows, args.base, args.method, lambda r: 1.0):
        ap.error(f"no {args.dataset} clip has both a {args.base!r} and a {args.method!r} row")
    utts = {u.id: u for u in split_utterances(data_root(args.data), args.split, args.dataset)}
    unknown = sorted({r["id"] for r in rows} - set(utts))
    if unknown:
        ap.error(f"rows name clips that are not {args.split} {args.dataset}: {unknown[:3]}")

    cues: dict[str, dict[str, float]] = {}  # one analysis per clip, however many recognisers

    def value(row) -> float:
        if row["id"] not in cues:
            cues[row["id"]] = speech_cues(utts[row["id"]].load())
        return measure(args.by, cues[row["id"]], int(row["words"][0]))

    recs = clip_records(rows, args.base, args.method, value)
    label = {"rate": "reference words per second of speech", "snr": "speech SNR (dB)",
             "level": "speech level (dBFS)", "complexity": "complexity()"}[args.by]  # fmt: skip
    print(f"{args.dataset}, {args.method} against {args.base}: {len(recs)} clips")
    print(f"| {label} | clips | words | extra errors | per 100 words |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, n, words, extra in groups(recs, args.threshold):
        per = f"{100 * extra / words:+.2f}" if words else "-"
        print(f"| {label} | {n} | {words} | {extra:+d} | {per} |")


if __name__ == "__main__":
    run_script(main)
