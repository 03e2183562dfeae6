"""A monotone piecewise-linear map between compressed and original time.

Knots are pairs ``(original[i], compressed[i])`` in samples, both non-decreasing. A cut is a
flat piece (original advances, compressed does not): original times inside it map to the cut
point, and the cut point maps back to the first sample after the cut (a word's end there, in
``remap_words``, to where the cut begins). Times outside the map are clamped to its ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import validate
from .errors import TimeMapError
from .transcript import Word
from .units import SAMPLE_RATE
from .validate import shown


@dataclass(frozen=True, eq=False)
class TimeMap:
    """Compressed <-> original time. Public methods take and return seconds; ``*_samples``
    variants take and return (fractional) samples. All accept scalars or arrays.

    >>> tm = TimeMap.from_knots([0, 16000, 48000, 64000], [0, 16000, 16000, 32000])
    >>> tm.to_original(1.5)  # 0.5 s after the cut
    3.5
    >>> tm.to_compressed(2.0)  # inside the cut: lands on the cut point
    1.0
    """

    original: np.ndarray
    compressed: np.ndarray
    sample_rate: int = SAMPLE_RATE

    def __post_init__(self) -> None:
        o, c = _knots("original", self.original), _knots("compressed", self.compressed)
        object.__setattr__(self, "original", o)
        object.__setattr__(self, "compressed", c)
        sr = validate.sample_rate(self.sample_rate, "time map sample_rate", TimeMapError)
        object.__setattr__(self, "sample_rate", sr)
        if o.shape != c.shape or o.ndim != 1 or len(o) < 2:
            raise TimeMapError(
                f"need two 1-D knot arrays of equal length >= 2, got {o.shape} and {c.shape}"
            )
        if o[0] != 0 or c[0] != 0:
            raise TimeMapError(f"a time map starts at (0, 0), got ({o[0]}, {c[0]})")
        if np.any(np.diff(o) < 0) or np.any(np.diff(c) < 0):
            raise TimeMapError("time map knots must be non-decreasing")
        if np.any((np.diff(o) == 0) & (np.diff(c) == 0)):
            raise TimeMapError("time map has a repeated knot")
        o.setflags(write=False)
        c.setflags(write=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimeMap):
            return NotImplemented
        return (
            self.sample_rate == other.sample_rate
            and np.array_equal(self.original, other.original)
            and np.array_equal(self.compressed, other.compressed)
        )

    __hash__ = None  # a value with array fields: compare it, do not hash it

    def __repr__(self) -> str:  # the knots can be thousands: their count and the two lengths
        return (
            f"TimeMap({len(self.original)} knots, {self.original_samples} -> "
            f"{self.compressed_samples} samples, sample_rate={self.sample_rate})"
        )

    @classmethod
    def from_knots(
        cls, original: Sequence[int], compressed: Sequence[int], sample_rate: int = SAMPLE_RATE
    ) -> TimeMap:
        return cls(original, compressed, sample_rate)

    @classmethod
    def identity(cls, num_samples: int, sample_rate: int = SAMPLE_RATE) -> TimeMap:
        return cls.from_knots([0, num_samples], [0, num_samples], sample_rate)

    @property
    def original_samples(self) -> int:
        return int(self.original[-1])

    @property
    def compressed_samples(self) -> int:
        return int(self.compressed[-1])

    # -- samples ---------------------------------------------------------------------------
    def to_compressed_samples(self, t):
        """Original sample position(s) -> compressed; positions inside a cut go to the cut."""
        return _interp(_times(t), self.original, self.compressed)

    def to_original_samples(self, t):
        """Compressed sample position(s) -> original; a cut point maps to the sample after it."""
        return _interp(_times(t), self.compressed, self.original)

    # -- seconds ---------------------------------------------------------------------------
    def to_compressed(self, seconds):
        out = self.to_compressed_samples(_times(seconds) * self.sample_rate) / self.sample_rate
        return float(out) if np.ndim(out) == 0 else out

    def to_original(self, seconds):
        out = self.to_original_samples(_times(seconds) * self.sample_rate) / self.sample_rate
        return float(out) if np.ndim(out) == 0 else out

    def remap_words(self, words: Iterable[Word]) -> tuple[Word, ...]:
        """Timed :class:`~audiosqueeze.transcript.Word` s on compressed time -> the same words
        on original time (one vectorised pass; text and probability unchanged).

        >>> from audiosqueeze.transcript import Word
        >>> tm = TimeMap.from_knots([0, 16000, 48000, 64000], [0, 16000, 16000, 32000])
        >>> tm.remap_words([Word("hi", 1.25, 1.5)])
        (Word(text='hi', start_s=3.25, end_s=3.5, probability=None),)
        """
        try:
            words = tuple(words)
        except TypeError:
            raise TimeMapError(f"words must be an iterable of Word, got {shown(words)}") from None
        if not words:
            return ()
        bad = next((w for w in words if not isinstance(w, Word)), None)
        if bad is not None:
            raise TimeMapError(f"words must be Word objects, got {shown(bad)}")
        starts = self.to_original(_times([w.start_s for w in words], "word start_s"))
        # an end at a cut point ends before the cut (a start there begins after it), so a word
        # that ends where a pause was removed does not stretch over the pause
        ends_c = _times([w.end_s for w in words], "word end_s") * self.sample_rate
        ends = _interp(ends_c, self.compressed, self.original, left=True) / self.sample_rate
        return tuple(
            replace(w, start_s=float(a), end_s=float(max(a, b)))
            for w, a, b in zip(words, starts, ends, strict=True)
        )

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "sample_rate": self.sample_rate,
            "original": self.original.tolist(),
            "compressed": self.compressed.tolist(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> TimeMap:
        try:
            return cls.from_knots(d["original"], d["compressed"], d.get("sample_rate", SAMPLE_RATE))
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as e:
            if isinstance(e, TimeMapError):
                raise
            raise TimeMapError(f"not a time map: {e}") from None

    @classmethod
    def from_json(cls, text: str) -> TimeMap:
        try:
            d = json.loads(text)
        except (TypeError, ValueError, RecursionError) as e:  # JSONDecodeError: a ValueError
            raise TimeMapError(f"not a time map: {e}") from None
        if not isinstance(d, dict):
            raise TimeMapError(f"not a time map: expected a JSON object, got {type(d).__name__}")
        return cls.from_dict(d)


def _knots(name: str, values) -> np.ndarray:
    """Knots as int64 samples: integer values (integral floats such as ``16000.0`` pass); not
    bools, strings, fractions of a sample, NaN or numbers past int64."""
    try:
        a = np.asarray(values)
    except (ValueError, TypeError, OverflowError) as e:  # ragged lists
        raise TimeMapError(f"{name} knots must be a list of whole samples: {e}") from None
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        if a.size and np.max(np.abs(a)) >= 2.0**63:
            raise TimeMapError(f"{name} knots must fit in 64 bits, got {shown(values)}")
        return a.astype(np.int64)
    if a.dtype.kind == "u" and a.size and a.max() > np.iinfo(np.int64).max:
        raise TimeMapError(f"{name} knots must fit in 64 bits, got {shown(values)}")
    if a.dtype.kind not in "iu":
        raise TimeMapError(f"{name} knots must be whole numbers of samples, got {shown(values)}")
    return a.astype(np.int64)  # a copy: the map's knots are made read-only, not the caller's


def _times(t, what: str = "times") -> np.ndarray:
    """Times to map: numbers (scalar or array-like), not NaN, bools, strings, None or a masked
    array (its hidden values would be mapped as they are)."""
    if isinstance(t, np.ma.MaskedArray):
        raise TimeMapError(
            f"{what}: a masked array ({int(np.ma.count_masked(t))} masked); map t.compressed() "
            "or fill it first"
        )
    try:
        a = np.asarray(t)
    except (ValueError, TypeError) as e:
        raise TimeMapError(f"{what} must be numbers: {e}") from None
    if a.dtype.kind not in "iuf" or np.any(np.isnan(a)):
        raise TimeMapError(f"{what} must be numbers (not NaN), got {shown(t)}")
    return a.astype(np.float64, copy=False)


def _interp(x: np.ndarray, xs: np.ndarray, ys: np.ndarray, left: bool = False) -> np.ndarray:
    """Linear interpolation on non-decreasing ``xs`` that may repeat (flat pieces of the map):
    at a repeated x the right-most piece is used (``left``: the piece that ends there, the
    left-most). Clamped outside the knots."""
    xs_f, ys_f = xs.astype(np.float64), ys.astype(np.float64)
    side = "left" if left else "right"
    i = np.clip(np.searchsorted(xs_f, x, side=side) - 1, 0, len(xs) - 2)
    x0, x1, y0, y1 = xs_f[i], xs_f[i + 1], ys_f[i], ys_f[i + 1]
    width = x1 - x0
    frac = np.divide(x - x0, width, out=np.zeros_like(x0 * x), where=width > 0)
    out = np.clip(y0 + np.clip(frac, 0.0, 1.0) * (y1 - y0), ys_f[0], ys_f[-1])
    return out
