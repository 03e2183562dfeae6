"""Per-frame acoustic features on the analysis grid (512-sample frames, no overlap, 16 kHz).

All functions take frames as a ``(n, FRAME_SAMPLES)`` float32 array and return one value per
frame, so the streaming analyzer and an offline run compute exactly the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from .units import FRAME_SAMPLES, SAMPLE_RATE

_WINDOW = np.hanning(FRAME_SAMPLES).astype(np.float32)
_FREQS = np.fft.rfftfreq(FRAME_SAMPLES, 1.0 / SAMPLE_RATE)
#: Band that carries most speech energy; its envelope shows syllable nuclei.
SPEECH_BAND_HZ = (300.0, 3400.0)
_BAND = (SPEECH_BAND_HZ[0] <= _FREQS) & (SPEECH_BAND_HZ[1] >= _FREQS)
_EPS = 1e-10


def frames_of(samples: np.ndarray) -> np.ndarray:
    """View ``samples`` (length a multiple of FRAME_SAMPLES) as ``(n, FRAME_SAMPLES)`` frames."""
    return samples.reshape(-1, FRAME_SAMPLES)


def level_db(frames: np.ndarray) -> np.ndarray:
    """Frame RMS level in dBFS (a full-scale sine is -3 dB; digital silence is -100 dB)."""
    return 10.0 * np.log10(np.mean(np.square(frames, dtype=np.float64), axis=1) + _EPS)


def magnitude(frames: np.ndarray) -> np.ndarray:
    """Hann-windowed magnitude spectrum, ``(n, FRAME_SAMPLES // 2 + 1)``."""
    return np.abs(np.fft.rfft(frames * _WINDOW, axis=1)).astype(np.float32)


def band_db(mag: np.ndarray) -> np.ndarray:
    """Level of the 300-3400 Hz speech band in dB: peaks of its envelope are syllable nuclei."""
    return 10.0 * np.log10(np.sum(np.square(mag[:, _BAND], dtype=np.float64), axis=1) + _EPS)


def flatness(mag: np.ndarray) -> np.ndarray:
    """Spectral flatness in the speech band, 0 (tonal/harmonic, e.g. voiced speech) .. 1 (white)."""
    p = np.square(mag[:, _BAND], dtype=np.float64) + _EPS
    return np.exp(np.mean(np.log(p), axis=1)) / np.mean(p, axis=1)


def flux(mag: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """Normalised spectral flux: the share of this frame's magnitude that is new since the last.

    ``sum(max(0, |X_t| - |X_t-1|)) / sum(|X_t|)`` in [0, 1]; ``previous`` is the last frame's
    magnitude from the earlier chunk (``None`` at the start: the first frame counts as all new).
    """
    prev = np.empty_like(mag)
    prev[1:] = mag[:-1]
    prev[0] = 0.0 if previous is None else previous
    rise = np.maximum(mag - prev, 0.0).sum(axis=1)
    return rise / (mag.sum(axis=1) + _EPS)


_SHORT = 7  # arrays up to this long are summed and sorted as Python floats (no numpy calls)


def mean(x: np.ndarray) -> float:
    """``float(np.mean(x))`` of a non-empty 1-D float64 array, to the bit (the same pairwise
    sum, then one division) without ``np.mean``'s dispatch, which cost more than the sum on
    the few frames of a 64-ms segment (a test checks it).

    >>> mean(np.array([1.0, 2.0, 4.0]))
    2.3333333333333335
    """
    n = len(x)
    if n <= _SHORT and x.dtype == np.float64:  # a 64-ms segment's few frames, in Python
        # numpy's pairwise sum is a plain loop from 0.0 under 8 values: the same additions
        # in the same order, so the same bits (a test checks every length)
        total = 0.0
        for t in x.tolist():
            total += t
        return total / n
    return float(x.sum()) / n


def std(x: np.ndarray) -> float:
    """``float(np.std(x))`` of a non-empty 1-D float64 array, to the bit (numpy's steps: the
    mean, the squared deviations, their pairwise sum over ``n``, the root) without its
    dispatch, which cost 14 us on the few frames of a short segment (a test checks it).

    >>> std(np.array([1.0, 2.0, 4.0]))
    1.247219128924647
    """
    if x.dtype != np.float64:
        return float(np.std(x))
    n = len(x)
    if n <= _SHORT:  # as in mean(): the same loops from 0.0, as Python floats
        v, total, squares = x.tolist(), 0.0, 0.0
        for t in v:
            total += t
        m = total / n
        for t in v:
            squares += (t - m) * (t - m)
        return math.sqrt(squares / n)
    d = x - x.sum() / len(x)
    return math.sqrt(float((d * d).sum()) / len(x))


def median(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a non-empty finite 1-D array, ten times faster on the short
    arrays of a 64- or 256-ms segment (``np.median``'s overhead dominated the analysis of short
    segments); the same value bit for bit (a test checks it).

    >>> median(np.array([3.0, 1.0, 2.0, 10.0]))
    2.5
    """
    # numpy takes the mean of the middle one or two values: a sum from 0.0, so -0.0 comes
    # out as 0.0
    h = len(x) // 2
    if len(x) <= _SHORT and x.dtype == np.float64:  # as Python floats, the same arithmetic
        v = sorted(x.tolist())
        return 0.0 + v[h] if len(v) % 2 else (0.0 + v[h - 1] + v[h]) / 2
    s = np.sort(x)
    return float(0.0 + s[h]) if len(s) % 2 else float((0.0 + s[h - 1] + s[h]) / 2)


def nuclei(band: np.ndarray) -> np.ndarray:
    """Frame indices of the syllable nuclei in a run of band levels (:func:`band_db`): peaks,
    at least 4 dB prominent and 96 ms (3 frames) apart, of its 3-frame mean, taken only where
    both neighbours are in ``band`` (nothing beyond it is imagined: padding with 0 dB made the
    frame before the end a nucleus wherever the band level is 12 dB or more).

    >>> nuclei(np.array([0, 20, 60, 20, 0.0])).tolist()
    [2]
    """
    band = np.asarray(band, np.float64)
    if len(band) < 5:  # a peak needs a smoothed frame on each side: five frames at least
        return np.zeros(0, np.int64)
    return 1 + peaks(np.convolve(band, np.ones(3) / 3, mode="valid"), 4.0, 3)


def peaks(x: np.ndarray, prominence: float, distance: int) -> np.ndarray:
    """Indices of the peaks of ``x`` at least ``distance`` samples apart (higher peaks win)
    that stand at least ``prominence`` above the higher of their two bases.

    The same peaks as ``scipy.signal.find_peaks(x, prominence=, distance=)`` (a test checks
    it), written here because importing ``scipy.signal`` costs 73 MB of resident memory, a
    quarter of the 60-minute memory budget (``benchmarks/memory_60min.py``). A flat top counts
    once, at its middle (rounded down); the first and last samples are never peaks.

    >>> peaks(np.array([0, 5, 0, 1, 0, 9, 9, 0.0]), prominence=2, distance=1).tolist()
    [1, 5]
    """
    x = np.asarray(x, np.float64)
    if len(x) < 3:
        return np.zeros(0, np.int64)
    if len(x) == 3:  # the one candidate of a 64-ms segment, without the general machinery
        a, b, c = x.tolist()
        top = b > a and b > c and b - max(a, c) >= prominence
        return np.ones(1, np.int64) if top else np.zeros(0, np.int64)
    # runs of equal values: a run higher than both neighbours (and not at an end) is a peak
    starts = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]]))
    ends = np.concatenate([starts[1:], [len(x)]]) - 1
    v = x[starts]
    top = np.zeros(len(v), bool)
    top[1:-1] = (v[1:-1] > v[:-2]) & (v[1:-1] > v[2:])
    cand = (starts[top] + ends[top]) // 2
    if distance > 1 and len(cand) > 1:  # highest first, ties as scipy breaks them
        keep = np.ones(len(cand), bool)
        lo = np.searchsorted(cand, cand - distance + 1)
        hi = np.searchsorted(cand, cand + distance - 1, side="right")
        for i in np.argsort(x[cand])[::-1].tolist():
            if keep[i]:
                keep[lo[i] : i] = False
                keep[i + 1 : hi[i]] = False
        cand = cand[keep]
    if not len(cand):
        return np.zeros(0, np.int64)
    small = len(cand) * len(x) <= _DENSE_CELLS
    base = _bases_dense(x, cand) if small else _bases_lifted(x, cand)
    return cand[x[cand] - base >= prominence].astype(np.int64)


#: up to this many (candidate, sample) comparisons a peak's bases are found by comparing all
_DENSE_CELLS = 65536


def _bases_dense(x: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Each candidate's higher base: the lowest sample between it and the nearest higher
    sample on each side (or that end), by comparing every candidate with every sample."""
    idx, p = np.arange(len(x)), cand[:, None]
    higher = x[None, :] > x[cand][:, None]
    left = np.where(higher & (idx < p), idx, -1).max(axis=1) + 1
    right = np.where(higher & (idx > p), idx, len(x)).min(axis=1)
    left_base = np.where((idx >= left[:, None]) & (idx <= p), x, np.inf).min(axis=1)
    right_base = np.where((idx >= p) & (idx < right[:, None]), x, np.inf).min(axis=1)
    return np.maximum(left_base, right_base)


def _bases_lifted(x: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """:func:`_bases_dense` in O(n log n): the reach on each side grows by halving powers of
    two while the range maximum stays at or under the peak, then a range-minimum query."""
    n = len(x)
    top, low = [x], [x]  # top[k][i] / low[k][i]: max / min of x[i : i + 2**k]
    while 2 ** len(top) <= n:
        w = 2 ** (len(top) - 1)
        top.append(np.maximum(top[-1][:-w], top[-1][w:]))
        low.append(np.minimum(low[-1][:-w], low[-1][w:]))
    h, left, right = x[cand], cand.copy(), cand.copy()
    for k in range(len(top) - 1, -1, -1):
        w = 2**k
        grow = left >= w
        grow[grow] = top[k][left[grow] - w] <= h[grow]
        left[grow] -= w
        grow = right + w < n
        grow[grow] = top[k][right[grow] + 1] <= h[grow]
        right[grow] += w

    def lowest(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # min of x[a : b + 1]
        k = np.frexp(b - a + 1)[1] - 1  # floor(log2(span)), exact for whole numbers
        out = np.empty(len(a))
        for j in np.unique(k).tolist():
            s = k == j
            out[s] = np.minimum(low[j][a[s]], low[j][b[s] - 2**j + 1])
        return out

    return np.maximum(lowest(left, cand), lowest(cand, right))
