"""Long recordings that tempt a recogniser to hallucinate, built reproducibly from real clips.

Each recording (1-3 minutes) is consecutive test utterances with a non-speech stretch of
1-10 s before, between and after them. A stretch is one of:

- ``silence``: room tone, white noise at -65 dBFS;
- ``noise``: an excerpt of a real recording from ``noise/`` (running tap, dishes, exercise
  bike, ...) at -30 dBFS RMS;
- ``hum``: 50 or 60 Hz mains hum with four harmonics at -35 dBFS, over -65 dBFS hiss;
- ``babble``: six other utterances, time-reversed (so no words can be recovered) and
  overlapped, at -35 dBFS RMS.

The reference text is the utterances' texts in order; every stretch keeps its exact position
on the recording's timeline and the number of (normalised) reference words before it, so a
word inserted there can be counted as a hallucination. The same seed gives the same samples.

:func:`make_hard_longform` builds the **harder set** (see there): 10-60 s stretches of real
non-speech clips, and a file that always ends in 10-60 s of room tone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import OptionsError
from ..units import SAMPLE_RATE
from . import Gap, Utterance

KINDS = ("silence", "noise", "hum", "babble")
_FADE = 160  # 10 ms fades at every joint, so no click is heard as a consonant


def _db(x: np.ndarray, dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) or 1.0
    return (x * (10 ** (dbfs / 20) / rms)).astype(np.float32)


def _check_sizes(count: int, **seconds: tuple[float, float]) -> None:
    """Refuse, by name and value, a count below 1 or a (low, high) range of seconds that is not
    0 < low <= high (finite): either would build an empty or endless set, or fail deep in numpy."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise OptionsError(f"count must be a whole number >= 1, got {count!r}")
    for name, (lo, hi) in seconds.items():
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
            raise OptionsError(f"{name} must be finite with 0 < low <= high, got ({lo!r}, {hi!r})")


def _fade(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    n = min(_FADE, len(x) // 2)
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    x[:n] *= ramp
    x[len(x) - n :] *= ramp[::-1]
    return x


def _stretch(
    kind: str, n: int, rng: np.random.Generator, noises: list[np.ndarray], pool: list[Utterance]
) -> np.ndarray:
    hiss = _db(rng.standard_normal(n).astype(np.float32), -65)
    if kind == "silence":
        return hiss
    if kind == "noise":
        src = noises[rng.integers(len(noises))]
        if len(src) < n:
            src = np.tile(src, n // len(src) + 1)
        a = int(rng.integers(0, len(src) - n + 1))
        return _db(src[a : a + n], -30)
    if kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        f0 = float(rng.choice([50.0, 60.0]))
        hum = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 6))
        return _db(hum.astype(np.float32), -35) + hiss
    if kind == "babble":
        mix = np.zeros(n, np.float32)
        for u in rng.choice(len(pool), size=min(6, len(pool)), replace=False):  # 6 voices
            x = pool[u].load()[::-1]
            x = np.tile(x, n // len(x) + 1)
            a = int(rng.integers(0, len(x) - n + 1))
            mix += x[a : a + n]
        return _db(mix, -35) + hiss
    raise OptionsError(f"unknown stretch kind {kind!r}")


def load_noises(noise_dir: str | Path) -> list[np.ndarray]:
    """The noise recordings listed in ``noise_dir/noise.jsonl`` (16 kHz mono)."""
    from ..audio import load
    from . import manifest_rows

    noise_dir = Path(noise_dir)
    rows = manifest_rows(noise_dir / "noise.jsonl", ("path",))
    return [load(noise_dir.parent / r["path"]).samples for r in rows]


def make_longform(
    utterances: list[Utterance],
    noises: list[np.ndarray],
    *,
    count: int = 6,
    seed: int = 0,
    min_s: float = 60.0,
    max_s: float = 180.0,
    min_gap_s: float = 1.0,
    max_gap_s: float = 10.0,
) -> list[Utterance]:
    """``count`` recordings from ``utterances`` (taken in their order, consecutive runs, no
    clip used twice; babble comes from clips outside the recording). A recording whose drawn
    first clip an earlier one has taken starts at the next clip still free, so none is empty."""
    from ..evaluate import normalize

    _check_sizes(count, min_s_max_s=(min_s, max_s), min_gap_s_max_gap_s=(min_gap_s, max_gap_s))
    if not utterances or not noises:
        raise OptionsError("make_longform needs utterances and noise recordings")
    if count > len(utterances):
        raise OptionsError(f"count {count} is more than the {len(utterances)} utterances given")
    rng = np.random.default_rng(seed)
    starts = np.sort(rng.choice(len(utterances), size=count, replace=False))
    out, used = [], set()
    for k, first in enumerate(starts):
        target = rng.uniform(min_s, max_s)
        pieces: list[np.ndarray] = []
        gaps: list[Gap] = []
        texts: list[str] = []
        norms: list[str] = []
        parts: list[str] = []
        pos = words = 0
        i = _first_free(int(first), len(utterances), used)
        total = 0.0
        while True:
            kind = KINDS[int(rng.integers(len(KINDS)))]
            n = int(rng.uniform(min_gap_s, max_gap_s) * SAMPLE_RATE)
            pool = [u for j, u in enumerate(utterances) if j not in used and u.id not in parts]
            pieces.append(_fade(_stretch(kind, n, rng, noises, pool or utterances)))
            gaps.append(Gap(pos, pos + n, words, kind))
            pos += n
            total += n / SAMPLE_RATE
            if total >= target or i >= len(utterances) or i in used:
                break
            u = utterances[i]
            if parts and total + (u.duration_s or 0.0) + max_gap_s > max_s:
                break
            x = _fade(u.load())
            pieces.append(x)
            texts.append(u.text)
            parts.append(u.id)
            norms.append(normalize(u.text))
            words += len(norms[-1].split())
            used.add(i)
            pos += len(x)
            total += len(x) / SAMPLE_RATE
            i += 1
        samples = np.concatenate(pieces)
        out.append(
            Utterance(
                f"longform-{seed}-{k:02d}",
                " ".join(texts),
                "longform",
                "test",
                duration_s=len(samples) / SAMPLE_RATE,
                samples=samples,
                gaps=tuple(gaps),
                parts=tuple(parts),
                reference=" ".join(n for n in norms if n),
            )
        )
    return out


def longform_set(root, split: str, *, seed: int = 0, count: int = 6) -> list[Utterance]:
    """The long-form recordings of ``split`` under data folder ``root``, built from its
    LibriSpeech and Common Voice clips and the noise folder exactly as ``audiosqueeze bench
    --datasets longform --seed SEED`` builds them."""
    from . import split_utterances

    clips = [u for d in ("librispeech", "commonvoice") for u in split_utterances(root, split, d)]
    return make_longform(clips, load_noises(Path(root) / "noise"), count=count, seed=seed)


def _first_free(first: int, n: int, used: set[int]) -> int:
    """The first index from ``first`` on (then from 0) not in ``used``.

    >>> _first_free(2, 5, {2, 3})
    4
    >>> _first_free(3, 5, {1, 3, 4})
    0
    """
    for i in (*range(first, n), *range(first)):
        if i not in used:
            return i
    raise OptionsError(f"make_longform ran out of clips: all {n} are used")


def describe(recordings: list[Utterance]) -> list[dict]:
    """JSON-ready description: ids, source clips, reference text and every stretch."""
    return [
        {
            "id": r.id,
            "duration_s": round(r.duration_s or 0.0, 3),
            "parts": list(r.parts),
            "text": r.text,
            "reference": r.reference,
            "gaps": [_gap_dict(g) for g in r.gaps],
        }
        for r in recordings
    ]


def _gap_dict(g: Gap) -> dict:
    d = {"start": g.start, "end": g.end, "word_index": g.word_index, "kind": g.kind}
    if g.sources:
        d["sources"] = list(g.sources)
    return d


#: Stretch kinds of the harder set and the non-speech category each is drawn from.
HARD_KINDS = {
    "environmental": "environmental",
    "music": "music",
    "noise": "stationary_noise",
    "silence": "near_silence",
}
#: A harder-set stretch louder than this RMS (dBFS) is turned down to it; quieter ones keep
#: their recorded level.
HARD_MAX_DBFS = -30.0


def _hard_stretch(
    kind: str, n: int, rng: np.random.Generator, pools: dict[str, list[Utterance]]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """``n`` samples of clips of ``kind`` back to back (each faded in and out), capped level."""
    pool = pools[HARD_KINDS[kind]]
    order = rng.permutation(len(pool))
    pieces, ids, got = [], [], 0
    while got < n:
        u = pool[order[len(ids) % len(pool)]]
        x = _fade(u.load())[: n - got]
        pieces.append(x)
        ids.append(u.id)
        got += len(x)
    x = np.concatenate(pieces)
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    if rms > 10 ** (HARD_MAX_DBFS / 20):
        x = _db(x, HARD_MAX_DBFS)
    return _fade(x), tuple(ids)


def make_hard_longform(
    utterances: list[Utterance],
    nonspeech: list[Utterance],
    *,
    count: int = 6,
    seed: int = 0,
    split: str = "test",
    per_recording: tuple[int, int] = (4, 6),
    min_gap_s: float = 10.0,
    max_gap_s: float = 60.0,
) -> list[Utterance]:
    """The harder long-form set: ``count`` recordings, each ``per_recording`` consecutive
    utterances (no clip used twice) with a 10-60 s stretch of real non-speech before,
    between and after them, built from ``nonspeech`` clips (same split as the speech):

    - before the first utterance: environmental sounds, music, stationary noise or room tone;
    - between utterances: environmental sounds, music or stationary noise;
    - at the end of the file: always room tone (the ``near_silence`` clips), as recordings
      that run on after the talk ends.

    A stretch is clips of its category back to back, each with 10 ms fades, turned down to
    :data:`HARD_MAX_DBFS` if louder. Gaps keep their positions, reference word index and
    source clip ids, so words recognised there count as hallucinations.
    """
    from ..evaluate import normalize

    pools = {c: [u for u in nonspeech if u.category == c] for c in HARD_KINDS.values()}
    _check_sizes(count, min_gap_s_max_gap_s=(min_gap_s, max_gap_s))
    lo, hi = per_recording
    if not 1 <= lo <= hi:
        raise OptionsError(f"per_recording must be (low, high) with 1 <= low <= high, got {lo, hi}")
    if len(utterances) < count * hi or not all(pools.values()):
        raise OptionsError(
            f"make_hard_longform needs >= {count * hi} utterances and clips of every category "
            f"{sorted(HARD_KINDS.values())}"
        )
    rng = np.random.default_rng(seed)
    step = len(utterances) // count
    out = []
    for k in range(count):
        n_utts = int(rng.integers(lo, hi + 1))
        first = k * step + int(rng.integers(0, step - n_utts + 1))
        run = utterances[first : first + n_utts]
        kinds = [str(rng.choice(list(HARD_KINDS)))]
        kinds += [str(rng.choice(["environmental", "music", "noise"])) for _ in run[1:]]
        kinds.append("silence")
        pieces, gaps, norms, pos, words = [], [], [], 0, 0
        for j, kind in enumerate(kinds):
            n = int(rng.uniform(min_gap_s, max_gap_s) * SAMPLE_RATE)
            x, ids = _hard_stretch(kind, n, rng, pools)
            pieces.append(x)
            gaps.append(Gap(pos, pos + n, words, kind, ids))
            pos += n
            if j < len(run):
                speech = _fade(run[j].load())
                pieces.append(speech)
                norms.append(normalize(run[j].text))
                words += len(norms[-1].split())
                pos += len(speech)
        samples = np.concatenate(pieces)
        out.append(
            Utterance(
                f"longform-hard-{split}-{seed}-{k:02d}",
                " ".join(u.text for u in run),
                "longform-hard",
                split,
                duration_s=len(samples) / SAMPLE_RATE,
                samples=samples,
                gaps=tuple(gaps),
                parts=tuple(u.id for u in run),
                reference=" ".join(n for n in norms if n),
            )
        )
    return out
