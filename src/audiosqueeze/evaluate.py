"""Scoring: WER/CER, paired bootstraps for ΔWER and for hallucination rates, hallucination
and loop counts, and where errors fall.

Texts are normalised with Whisper's English normaliser (``EnglishTextNormalizer`` from the
``whisper-normalizer`` package, a maintained copy of the one in openai-whisper), then scored
with **jiwer**. Everything here is plain arithmetic on transcripts, so it is unit-tested on
planted cases; no model runs in this module.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .deps import require
from .transcript import Word


@functools.lru_cache(maxsize=1)
def _normalizer():
    require("whisper_normalizer", "bench")
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Whisper's English normalisation (lower case, no punctuation, spelled-out numbers as
    digits, British spellings as American, ``mr`` -> ``mister``).

    >>> normalize("Mr. Brown paid twenty-one dollars!")
    'mister brown paid $21'
    """
    return " ".join(_normalizer()(text).split())


@dataclass(frozen=True)
class Counts:
    """Word (or character) alignment counts of one hypothesis against its reference."""

    ref: int
    hits: int
    sub: int
    dele: int
    ins: int

    @property
    def errors(self) -> int:
        return self.sub + self.dele + self.ins

    @property
    def wer(self) -> float:
        """Error rate; an empty reference counts each inserted word as a full error."""
        return self.errors / self.ref if self.ref else float(self.ins > 0)

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, int, int, int, int]:
        return (self.ref, self.hits, self.sub, self.dele, self.ins)


def _process(ref: str, hyp: str, chars: bool = False):
    jiwer = require("jiwer", "bench")
    if not ref:
        return None
    return (jiwer.process_characters if chars else jiwer.process_words)(ref, hyp)


def word_counts(ref: str, hyp: str, *, normalized: bool = False) -> Counts:
    """Word alignment counts (texts normalised first unless ``normalized``).

    >>> word_counts("the cat sat", "the bat sat down")
    Counts(ref=3, hits=2, sub=1, dele=0, ins=1)
    """
    if not normalized:
        ref, hyp = normalize(ref), normalize(hyp)
    o = _process(ref, hyp)
    if o is None:
        return Counts(0, 0, 0, 0, len(hyp.split()))
    return Counts(len(ref.split()), o.hits, o.substitutions, o.deletions, o.insertions)


def char_counts(ref: str, hyp: str, *, normalized: bool = False) -> Counts:
    """Character alignment counts (for CER), spaces included, after normalisation."""
    if not normalized:
        ref, hyp = normalize(ref), normalize(hyp)
    o = _process(ref, hyp, chars=True)
    if o is None:
        return Counts(0, 0, 0, 0, len(hyp))
    return Counts(len(ref), o.hits, o.substitutions, o.deletions, o.insertions)


def corpus(counts: Sequence[Counts]) -> Counts:
    """Sum of counts: ``corpus(c).wer`` is the corpus WER (errors over reference words)."""
    return sum(counts, Counts(0, 0, 0, 0, 0))


def paired_bootstrap(
    base: Sequence[Counts], other: Sequence[Counts], *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """ΔWER = corpus WER(other) − corpus WER(base) on the same utterances, with a 95 %
    percentile interval from resampling utterances (paired: one draw picks both).

    Returns ``(delta, low, high)`` as fractions (0.01 = one WER point).
    """
    if len(base) != len(other) or not base:
        raise ValueError(f"need two equally long non-empty lists, got {len(base)} and {len(other)}")
    ref = np.array([c.ref for c in base], np.float64)
    eb = np.array([c.errors for c in base], np.float64)
    eo = np.array([c.errors for c in other], np.float64)
    delta = (eo.sum() - eb.sum()) / max(ref.sum(), 1.0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(ref), size=(resamples, len(ref)))
    d = (eo[idx].sum(1) - eb[idx].sum(1)) / np.maximum(ref[idx].sum(1), 1.0)
    lo, hi = np.percentile(d, [2.5, 97.5])
    return float(delta), float(lo), float(hi)


def _resamples(n: int, resamples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap_ratio(
    num: Sequence[float], den: Sequence[float], *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """``sum(num) / sum(den)`` over items (e.g. clips with any word over clips, or words over
    minutes), with a 95 % percentile interval from resampling the items.

    >>> bootstrap_ratio([1, 1, 1, 1], [1, 1, 1, 1])
    (1.0, 1.0, 1.0)
    """
    a, b = np.asarray(num, np.float64), np.asarray(den, np.float64)
    if len(a) != len(b) or not len(a):
        raise ValueError(f"need two equally long non-empty lists, got {len(a)} and {len(b)}")
    idx = _resamples(len(a), resamples, seed)
    r = a[idx].sum(1) / np.maximum(b[idx].sum(1), 1e-12)
    lo, hi = np.percentile(r, [2.5, 97.5])
    return float(a.sum() / max(b.sum(), 1e-12)), float(lo), float(hi)


def paired_bootstrap_change(
    base: Sequence[float],
    other: Sequence[float],
    den: Sequence[float] | None = None,
    *,
    relative: bool = False,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """How ``sum(other)/sum(den)`` differs from ``sum(base)/sum(den)`` on the same items
    (``den`` defaults to one per item), with a paired 95 % bootstrap interval.

    ``relative=False``: the difference, other − base. ``relative=True``: the share of base
    removed, ``1 − other/base`` (1.0 = all gone; NaN where base sums to 0; resamples whose
    base sums to 0 are left out of the interval).

    >>> paired_bootstrap_change([1, 1, 0, 0], [0, 0, 0, 0], relative=True)
    (1.0, 1.0, 1.0)
    """
    a, b = np.asarray(base, np.float64), np.asarray(other, np.float64)
    d = np.ones_like(a) if den is None else np.asarray(den, np.float64)
    if not (len(a) == len(b) == len(d)) or not len(a):
        raise ValueError(f"need equally long non-empty lists, got {len(a)}, {len(b)}, {len(d)}")
    idx = _resamples(len(a), resamples, seed)
    sa, sb, sd = a[idx].sum(1), b[idx].sum(1), np.maximum(d[idx].sum(1), 1e-12)
    if relative:
        point = 1.0 - b.sum() / a.sum() if a.sum() > 0 else float("nan")
        ok = sa > 0
        r = 1.0 - sb[ok] / sa[ok]
    else:
        point = (b.sum() - a.sum()) / max(d.sum(), 1e-12)
        r = (sb - sa) / sd
    if not len(r):
        return float(point), float("nan"), float("nan")
    lo, hi = np.percentile(r, [2.5, 97.5])
    return float(point), float(lo), float(hi)


def alignment(ref: str, hyp: str):
    """jiwer's alignment chunks of normalised ``ref`` vs ``hyp`` (types equal, substitute,
    delete, insert; indices into the word lists)."""
    o = _process(ref, hyp)
    if o is None:
        from types import SimpleNamespace

        n = len(hyp.split())
        return (
            [
                SimpleNamespace(
                    type="insert", ref_start_idx=0, ref_end_idx=0, hyp_start_idx=0, hyp_end_idx=n
                )
            ]
            if n
            else []
        )
    return o.alignments[0]


def insertions_at(ref: str, hyp: str, positions: Sequence[int]) -> list[int]:
    """Inserted hypothesis words that fall at each reference word position (0 = before the
    first word, ``len(ref.split())`` = after the last); texts already normalised.

    >>> insertions_at("a b c", "thank you a b c bye", [0, 2, 3])
    [2, 0, 1]
    """
    at: dict[int, int] = {}
    for ch in alignment(ref, hyp):
        if ch.type == "insert":
            at[ch.ref_start_idx] = at.get(ch.ref_start_idx, 0) + ch.hyp_end_idx - ch.hyp_start_idx
    return [at.get(p, 0) for p in positions]


def ngram_loops(
    words: Sequence[str], *, max_n: int = 8, min_repeats: int = 3
) -> list[tuple[int, int, int]]:
    """Runs where one n-gram (n <= ``max_n``) repeats back to back at least ``min_repeats``
    times, as ``(n, start, repeats)``; the shortest n explaining a run wins.

    >>> ngram_loops("so we went on and on and on and on home".split())
    [(2, 3, 3)]
    """
    loops, i, m = [], 0, len(words)
    while i < m:
        found = None
        for n in range(1, max_n + 1):
            reps = 1
            while (
                words[i + reps * n : i + (reps + 1) * n] == words[i : i + n]
                and i + (reps + 1) * n <= m
            ):
                reps += 1
            if reps >= min_repeats:
                found = (n, i, reps)
                break
        if found:
            loops.append(found)
            i += found[0] * found[2]
        else:
            i += 1
    return loops


def loop_words(ref: str, hyp: str) -> int:
    """Words in repeated n-gram loops of ``hyp`` beyond their first occurrence, not counting
    loops the reference itself contains (texts normalised)."""
    ref_loops = {tuple(ref.split()[s : s + n]) for n, s, _ in ngram_loops(ref.split())}
    hw = hyp.split()
    return sum(n * (r - 1) for n, s, r in ngram_loops(hw) if tuple(hw[s : s + n]) not in ref_loops)


def error_positions(ref: str, hyp: str, times: np.ndarray) -> list[tuple[str, float]]:
    """Each word error as ``(type, seconds)``. ``times``: one time per hypothesis word (e.g.
    its mapped midpoint); a deletion is placed midway between its neighbouring hypothesis
    words (texts normalised, ``len(times) == len(hyp.split())``)."""
    out: list[tuple[str, float]] = []
    n = len(times)
    for ch in alignment(ref, hyp):
        if ch.type in ("substitute", "insert"):
            out += [(ch.type, float(times[j])) for j in range(ch.hyp_start_idx, ch.hyp_end_idx)]
        elif ch.type == "delete" and n:
            a = times[max(ch.hyp_start_idx - 1, 0)]
            b = times[min(ch.hyp_start_idx, n - 1)]
            out += [("delete", float((a + b) / 2))] * (ch.ref_end_idx - ch.ref_start_idx)
    return out


def word_times(words: Sequence[Word]) -> tuple[str, np.ndarray]:
    """Normalised text and one midpoint time per normalised word, from timed words (a word
    the normaliser splits gets its time for each part; one it drops is skipped)."""
    toks, times = [], []
    for w in words:
        parts = normalize(w.text).split()
        toks += parts
        times += [(w.start_s + w.end_s) / 2] * len(parts)
    return " ".join(toks), np.asarray(times, np.float64)


def in_intervals(t: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    """Whether each time lies in one of the sorted, disjoint ``(m, 2)`` intervals."""
    t = np.asarray(t, np.float64)
    if len(intervals) == 0:
        return np.zeros(t.shape, bool)
    i = np.searchsorted(intervals[:, 0], t, side="right") - 1
    return (i >= 0) & (t < intervals[np.maximum(i, 0), 1])


def flat_spans(original: np.ndarray, compressed: np.ndarray) -> np.ndarray:
    """``(m, 2)`` spans of ``original`` (time-map knots) where ``compressed`` does not move:
    what a cut removed.

    >>> flat_spans(np.array([0, 10, 30, 40]), np.array([0, 10, 10, 20])).tolist()
    [[10, 30]]
    """
    o, c = np.asarray(original), np.asarray(compressed)
    flat = (np.diff(o) > 0) & (np.diff(c) == 0)
    return np.stack([o[:-1][flat], o[1:][flat]], axis=1).astype(np.int64).reshape(-1, 2)


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Total length shared by two sets of sorted, disjoint ``(m, 2)`` intervals.

    >>> overlap(np.array([[0, 10], [20, 30]]), np.array([[5, 25]]))
    10
    """
    a, b = np.asarray(a).reshape(-1, 2), np.asarray(b).reshape(-1, 2)
    if not len(a) or not len(b):
        return 0
    lo = np.maximum(a[:, None, 0], b[None, :, 0])
    hi = np.minimum(a[:, None, 1], b[None, :, 1])
    return int(np.clip(hi - lo, 0, None).sum())


def matched_start_errors(reference: Sequence[Word], mapped: Sequence[Word]) -> np.ndarray:
    """|start difference| in seconds of the words two transcripts agree on (aligned by
    normalised spelling): restored timestamps vs those recognised on the original."""
    ra = [normalize(w.text) for w in reference]
    ma = [normalize(w.text) for w in mapped]
    keep_r = [i for i, t in enumerate(ra) if t and " " not in t]
    keep_m = [i for i, t in enumerate(ma) if t and " " not in t]
    if not keep_r or not keep_m:
        return np.zeros(0)
    ref = " ".join(ra[i] for i in keep_r)
    hyp = " ".join(ma[i] for i in keep_m)
    out = []
    for ch in alignment(ref, hyp):
        if ch.type == "equal":
            for k in range(ch.ref_end_idx - ch.ref_start_idx):
                r = reference[keep_r[ch.ref_start_idx + k]]
                m = mapped[keep_m[ch.hyp_start_idx + k]]
                out.append(abs(m.start_s - r.start_s))
    return np.asarray(out, np.float64)
