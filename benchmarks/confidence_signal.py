"""Where does a speed-up change the words? Ranking sped-up windows by the confidence of the
recogniser in verify's loop, against that recogniser's own changes (what verify sees).

Reads two ``audiosqueeze bench`` folders of the **dev** split made with the same clips and
the methods ``none``, ``sq-0.5`` and ``sq-RATE`` (e.g. the ``seg4`` runs of docs/RESULTS.md:
``sq-seg256`` and ``sq-0.75-seg256`` are today's ``sq-0.5`` and ``sq-0.75``), one with Whisper
tiny.en and one with base. It runs no recogniser: it re-makes each clip's compressed audio
(deterministic) and looks the transcripts up in the folders' caches (``--rate`` must match
the bench's). For every sped-up stretch edit of the ``sq-RATE`` plan (a window) it asks:
did tiny.en's / base's words change within 0.3 s of it (against the same recogniser on the
original), and what was the lowest probability tiny.en gave a word of the original within
0.3 s? It prints the ROC-AUC with which each score ranks the windows where base's words
change, and the share of windows with changed words per quintile of that probability, at
rate 0.5 (pauses cut only: the changes that are not the speed-up's) and at ``--rate``.

    python benchmarks/confidence_signal.py --data ../shared/data seg4-tiny seg4-base --rate 0.75
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

import audiosqueeze as sq
from _script import run_script
from audiosqueeze.bench.cache import TranscriptCache
from audiosqueeze.bench.report import load_rows
from audiosqueeze.datasets import split_utterances
from audiosqueeze.errors import ManifestError, ResultsFileError
from audiosqueeze.verify import VERIFY_MARGIN_S, word_changes

MARGIN = VERIFY_MARGIN_S * sq.SAMPLE_RATE


def auc(labels: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC of ``score`` for boolean ``labels`` (Mann-Whitney, ties counted half)."""
    pos = labels.sum()
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


class Folder:
    """One bench folder: its recogniser config and transcript cache."""

    def __init__(self, path: Path):
        rows = load_rows([path])  # results.jsonl(.gz), each line checked
        if not rows or "asr_config" not in rows[0]:
            raise ResultsFileError(f"{str(path)!r} holds no bench rows with an asr_config")
        self.config = rows[0]["asr_config"]
        self.clips = {(r["dataset"], r["id"]) for r in rows if r["method"] == "none"}
        self.cache = TranscriptCache(path / "cache")

    def words(self, samples: np.ndarray):
        hit = self.cache.get(self.cache.key(samples, self.config))
        return None if hit is None else hit[0].words


def near(times_s: np.ndarray, a: int, b: int) -> bool:
    t = np.asarray(times_s) * sq.SAMPLE_RATE
    return bool(np.any((t >= a - MARGIN) & (t < b + MARGIN)))


def windows_of(x, tiny: Folder, base: Folder, rate: float) -> list[tuple] | None:
    """(min probability, tiny changed at 0.5, base changed at 0.5, tiny changed, base
    changed) for each sped-up window of ``x`` at ``rate``; None where a transcript is not in
    the caches."""
    lo = sq.compress(x, 0.5, sample_rate=sq.SAMPLE_RATE)
    hi = sq.compress(x, rate, sample_rate=sq.SAMPLE_RATE, analysis=lo.analysis)
    t0, b0 = tiny.words(x), base.words(x)
    got = [(f.words(r.audio), r) for r in (lo, hi) for f in (tiny, base)]
    if t0 is None or b0 is None or any(w is None for w, _ in got):
        return None
    originals = (t0, b0, t0, b0)
    changes = [
        word_changes(o, r.timemap.remap_words(w)) for (w, r), o in zip(got, originals, strict=True)
    ]
    out = []
    for e in hi.plan.edits:
        if e.kind != "stretch" or e.out_samples >= e.in_samples:
            continue
        probs = [
            w.probability
            for w in t0
            if w.probability is not None
            and w.end_s * sq.SAMPLE_RATE > e.start - MARGIN
            and w.start_s * sq.SAMPLE_RATE < e.end + MARGIN
        ]
        out.append((min(probs, default=1.0), *(near(c, e.start, e.end) for c in changes)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tiny", type=Path, help="bench folder made with whisper-tiny.en")
    ap.add_argument("base", type=Path, help="bench folder made with whisper-base")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--rate", type=float, default=0.75)
    args = ap.parse_args()
    tiny, base = Folder(args.tiny), Folder(args.base)
    printed = 0
    for ds in ("librispeech", "commonvoice"):
        rows, missing = [], 0
        for u in split_utterances(args.data, "dev", ds):
            if (ds, u.id) not in tiny.clips or (ds, u.id) not in base.clips:
                continue
            w = windows_of(u.load(), tiny, base, args.rate)
            missing += w is None
            rows += w or []
        if not rows:
            if missing:  # else silent: e.g. a --rate that is not the bench's misses them all
                print(f"\n{ds}: no sped-up windows at rate {args.rate} ({missing} clips missing)")
            continue
        printed += 1
        p, t5, b5, t, b = (np.array(c) for c in zip(*rows, strict=True))
        print(f"\n{ds}: {len(rows)} sped-up windows at rate {args.rate} ({missing} clips missing)")
        print(f"- base's words change near {b.mean():.1%} of them, tiny.en's near {t.mean():.1%}")
        print(
            f"- ROC-AUC for base's changes: tiny.en's own change {auc(b, t.astype(float)):.2f}, "
            f"1 - lowest word probability {auc(b, -p):.2f}; among windows where tiny.en's "
            f"words did not change: {auc(b[~t], -p[~t]):.2f}"
        )
        print("\n| lowest word probability | windows | tiny.en changed, rate 0.5 → rate", end="")
        print(f" {args.rate} | base changed, rate 0.5 → {args.rate} |")
        print("| --- | ---: | --- | --- |")
        edges = np.quantile(p, np.linspace(0, 1, 6))
        for i, (a, z) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
            k = (p >= a) & ((p < z) if i < 4 else (p <= z))
            if not k.any():  # tied edges (few windows): an empty quintile, no shares
                print(f"| {a:.2f}–{z:.2f} | 0 | – | – |")
                continue
            print(
                f"| {a:.2f}–{z:.2f} | {k.sum()} | {t5[k].mean():.1%} → {t[k].mean():.1%} "
                f"| {b5[k].mean():.1%} → {b[k].mean():.1%} |"
            )
    if not printed:
        raise ManifestError(
            f"no sped-up windows: no dev clip of both folders has its transcripts cached at "
            f"--rate {args.rate} (made with methods none, sq-0.5 and sq-{args.rate:g}?)"
        )


if __name__ == "__main__":
    run_script(main)
