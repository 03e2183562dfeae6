"""Do fast speakers lose more words to a speed-up? Extra errors by speaking rate, per clip.

For each clip of a bench run that has both ``--base`` and ``--method`` rows, the speaking rate
is the reference's words per second of speech (speech: the default analysis' speech segments,
so lead, tail and pauses do not count), and the extra errors are the method's errors minus the
base's. Clips are grouped by quartiles of that rate (or split at ``--threshold``), and each
group prints its words and extra errors per 100 words. The rate uses the reference, so this
asks whether the question is worth an audio-only rate estimate, not how to steer by one.

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


def speech_seconds(samples: np.ndarray) -> float:
    """Seconds of ``samples`` (16 kHz) that the default analysis calls speech."""
    a = sq.analyze(samples, _WHOLE_RUNS, sample_rate=SAMPLE_RATE)
    return sum(s.end - s.start for s in a.segments if s.kind == "speech") / SAMPLE_RATE


def clip_records(rows, base: str, method: str, speech_s) -> list[tuple[float, int, int]]:
    """``(words per second of speech, reference words, extra errors)`` of each clip with a
    ``base`` and a ``method`` row of the same recogniser; ``speech_s(row)`` gives its speech
    seconds (clips with under 0.1 s of speech count 0.1 s)."""
    by: dict[tuple, dict] = {}
    for r in rows:
        by.setdefault((r["dataset"], r["asr"], r["id"]), {})[r["method"]] = r
    out = []
    for key in sorted(by):
        d = by[key]
        if base in d and method in d:
            words = int(d[base]["words"][0])
            extra = int(sum(d[method]["words"][2:5])) - int(sum(d[base]["words"][2:5]))
            out.append((words / max(speech_s(d[base]), 0.1), words, extra))
    return out


def groups(records, threshold: float | None = None) -> list[tuple[str, int, int, int]]:
    """``(label, clips, words, extra errors)`` per rate quartile, or below / at and above
    ``threshold``."""
    x = np.asarray(records, np.float64).reshape(-1, 3)
    if threshold is not None:
        cuts = [(f"< {threshold:g} w/s", x[:, 0] < threshold)]
        cuts.append((f">= {threshold:g} w/s", x[:, 0] >= threshold))
    else:
        q = np.quantile(x[:, 0], [0.25, 0.5, 0.75]) if len(x) else np.zeros(3)
        edges = [-np.inf, *q, np.inf]
        cuts = []
        for k in range(4):
            m = (x[:, 0] >= edges[k]) & (x[:, 0] < edges[k + 1])
            lo = f"{edges[k]:.2f}" if k else "0"
            hi = f"{edges[k + 1]:.2f}" if k < 3 else "max"
            cuts.append((f"{lo}-{hi} w/s", m))
    return [(lab, int(m.sum()), int(x[m, 1].sum()), int(x[m, 2].sum())) for lab, m in cuts]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rows", type=Path, help="a bench run (folder or rows)")
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--dataset", default="commonvoice", choices=("librispeech", "commonvoice"))
    ap.add_argument("--method", required=True)
    ap.add_argument("--base", default="none")
    ap.add_argument("--threshold", type=float, help="split at this many words/s, not quartiles")
    ap.add_argument("--only", type=Path, action="append", default=[], metavar="RUN",
                    help="keep only the clips with a row in RUN (repeatable)")  # fmt: skip
    add_exclude_option(ap)
    args = ap.parse_args(argv)
    if args.threshold is not None and not args.threshold > 0:
        ap.error(f"--threshold must be > 0, got {args.threshold}")
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
    recs = clip_records(
        rows, args.base, args.method, lambda r: speech_seconds(utts[r["id"]].load())
    )
    print(f"{args.dataset}, {args.method} against {args.base}: {len(recs)} clips")
    print("| reference words per second of speech | clips | words | extra errors | per 100 words |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, n, words, extra in groups(recs, args.threshold):
        per = f"{100 * extra / words:+.2f}" if words else "-"
        print(f"| {label} | {n} | {words} | {extra:+d} | {per} |")


if __name__ == "__main__":
    run_script(main)
