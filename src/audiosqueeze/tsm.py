"""Pitch-preserving time-scale modification (TSM) of speech.

``stretch(x, out_samples, method=...)`` returns exactly ``out_samples`` samples. ``x`` may carry
real context on both sides (``lead``/``trail`` samples) so frames near the edges see real audio.

Methods: ``"wsola"`` (ours: waveform-similarity overlap-add, the default; see
``benchmarks/tsm_choice.py`` for why), and, with the ``[tsm]`` extra, ``"rubberband"``
(pedalboard), ``"signalsmith"`` (python-stretch) and ``"audiotsm"`` (audiotsm's WSOLA).
"""

from __future__ import annotations

import functools

import numpy as np

from .errors import OptionsError
from .units import FRAME_SAMPLES, SAMPLE_RATE
from .wsola_search import LagSearch, best_lag  # noqa: F401  (best_lag: public here too)

TSM_METHODS = ("wsola", "rubberband", "signalsmith", "audiotsm")

#: WSOLA frame (32 ms), synthesis hop (half a frame) and search tolerance (+-10 ms).
WSOLA_FRAME = FRAME_SAMPLES
WSOLA_HOP = WSOLA_FRAME // 2
WSOLA_TOLERANCE = SAMPLE_RATE // 100


def _hann(frame: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)).astype(np.float32)


_WINDOW = _hann(WSOLA_FRAME)
_BATCH = 128  # frames whose search denominators are computed at once, at most
_MIN_BATCH = 16  # fewer than this (a small push of a stream): frame by frame, which costs less


def wsola(x: np.ndarray, out_samples: int, lead: int = 0, trail: int = 0, **shape) -> np.ndarray:
    """Time-scale ``x[lead:len(x)-trail]`` to ``out_samples`` samples at one speed with WSOLA
    (``shape``: as :func:`wsola_curve`, ``search`` included)."""
    n = len(x) - lead - trail
    return wsola_curve(x, np.array([0, n]), np.array([0, out_samples]), lead, trail, **shape)


def wsola_curve(
    x: np.ndarray,
    in_knots: np.ndarray,
    out_knots: np.ndarray,
    lead: int = 0,
    trail: int = 0,
    search: np.ndarray | None = None,
    **shape,
) -> np.ndarray:
    """Variable-rate WSOLA: time-scale ``x[lead:len(x)-trail]`` so that input position
    ``in_knots[i]`` lands at output position ``out_knots[i]`` (both increasing, from 0 to the
    core's length and to the output length), linearly in between: a :class:`CurveWSOLA` given
    the whole map and the whole input at once (the renderer feeds one piece at a time).
    ``search``: as :meth:`CurveWSOLA.render`'s (the same length as ``x``); ``shape``:
    :class:`CurveWSOLA`'s ``frame``, ``tolerance``, ``normalised``, ``overlap_only`` and
    ``adaptive_fade``.
    """
    in_knots = np.asarray(in_knots, np.float64)
    out_knots = np.asarray(out_knots, np.float64)
    n, out_samples = len(x) - lead - trail, int(out_knots[-1])
    if (
        out_samples <= 0
        or n <= 0
        or len(in_knots) != len(out_knots)
        or len(in_knots) < 2
        or in_knots[0] != 0
        or out_knots[0] != 0
        or in_knots[-1] != n
        or np.any(np.diff(in_knots) <= 0)
        or np.any(np.diff(out_knots) <= 0)
    ):
        raise OptionsError(f"cannot stretch {n} samples to {out_samples}")
    w = CurveWSOLA(lead, **shape)
    for i in range(1, len(in_knots)):
        w.extend(in_knots[i] - in_knots[i - 1], out_knots[i] - out_knots[i - 1])
    if search is not None:
        search = np.asarray(search, np.float32)
        if search.shape != np.shape(x):
            raise OptionsError(f"search signal of shape {search.shape}, not {np.shape(x)}")
    return w.render(np.asarray(x, np.float32), 0, len(x), final=True, search=search)


class CurveWSOLA:
    """Variable-rate WSOLA, fed the map one piece at a time and the input as it arrives.

    Output frame ``k`` is centred at ``k * hop``; its nominal input centre is the map's inverse
    at ``k * hop`` (so the read position advances by ``hop x s(t)``, the local speed). The frame
    is searched within +-``tolerance`` of it for the best cross-correlation with the
    natural continuation of the previous frame, so overlapping frames add in phase and pitch is
    kept. Frame 0 is taken at its nominal position, so the output starts exactly where the
    input does. One speed (two knots) is the classic WSOLA.

    Positions are relative to the first input sample handed over as context (``lead``
    samples before the stretched core). A frame is made as soon as the map covers its centre
    and the input it may read has arrived, and an output sample is returned once every frame
    that overlaps it is made, so the output does not depend on how the map and the input were
    split into pieces: :func:`wsola_curve` is this class given everything at once.

    ``frame`` (samples; the hop is half of it), ``tolerance`` (samples) and ``normalised``
    (the search divides the correlation by the candidate's energy; None:
    :attr:`normalised_search`) shape the WSOLA; the renderer uses the defaults, the others are
    for the benchmark's probes of the shape. The normalised search is the default because it
    cost Whisper fewer words at 1.25x on dev (the raw one is drawn to louder candidates, which
    on Common Voice cost tiny.en and base about 2 points; ``docs/RESULTS.md``).
    """

    #: The search of ``normalised=None``: the bench's raw-search probe sets it False.
    normalised_search = True

    def __init__(
        self,
        lead: int = 0,
        *,
        frame: int = WSOLA_FRAME,
        tolerance: int = WSOLA_TOLERANCE,
        normalised: bool | None = None,
        overlap_only: bool = False,
        adaptive_fade: bool = False,
    ):
        try:
            frame, tolerance = int(frame), int(tolerance)
        except (TypeError, ValueError, OverflowError):
            raise OptionsError(
                f"bad WSOLA shape: frame {frame!r}, tolerance {tolerance!r} samples"
            ) from None
        if frame < 4 or frame % 2 or tolerance < 0:
            raise OptionsError(f"bad WSOLA shape: frame {frame}, tolerance {tolerance} samples")
        self.lead = int(lead)
        self.frame, self.hop, self.tolerance = frame, frame // 2, tolerance
        self.normalised = self.normalised_search if normalised is None else bool(normalised)
        self._window = _WINDOW if frame == WSOLA_FRAME else _hann(frame)
        #: samples the search compares: the whole frame, or (``overlap_only``) its first half,
        #: the part that overlaps the previous frame in the output
        self.match = frame // 2 if overlap_only else frame
        self._search = LagSearch(self.match, tolerance, self.normalised)
        #: each overlap's gains follow how alike its two halves are (:meth:`_adaptive_add`)
        self.adaptive_fade = bool(adaptive_fade)
        self._tail = np.zeros(self.hop, np.float32)  # the last frame's second half, unwindowed
        self._in, self._out = [0.0], [0.0]
        self._k = 0  # next frame to make
        self._prev = 0  # where the previous frame was read
        self._floor = 0  # no later frame reads before this
        self._acc = np.zeros(0, np.float32)  # overlap-add of frames, from _acc0 on
        self._wsum = np.zeros(0, np.float32)
        self._acc0 = 0
        self.emitted = 0  # output samples returned so far

    def extend(self, in_samples: float, out_samples: float) -> None:
        """The next piece of the map: ``in_samples`` of input become ``out_samples``."""
        if not (in_samples > 0 and out_samples > 0):
            raise OptionsError(f"cannot stretch {in_samples} samples to {out_samples}")
        self._in.append(self._in[-1] + float(in_samples))
        self._out.append(self._out[-1] + float(out_samples))

    @property
    def out_samples(self) -> int:
        return int(self._out[-1])

    @property
    def in_samples(self) -> int:
        return int(self._in[-1])

    def next_read(self) -> int:
        """No later frame reads input before this position (it never goes back: a frame
        reads from ``tolerance`` before its nominal position, which never goes back,
        and each frame lies within ``tolerance`` of its own)."""
        return self._floor

    def render(self, x: np.ndarray, x_off: int, limit: int, final: bool, search=None) -> np.ndarray:
        """The next output samples that no later input or piece of the map can change.

        ``x[i]`` is input position ``x_off + i``; it must hold every position from
        :meth:`next_read` up to ``limit``, the end of what may be read: the input that has
        arrived, up to the map's end plus ``frame + tolerance``. With ``final``
        the map is complete and ``limit`` is where the input handed over ends (positions
        beyond it read as zeros, as do those before 0), and the rest of the output comes.
        ``search``: a signal laid out as ``x`` (a filtered copy) that the lag search reads
        instead of ``x``; the frames are still taken from ``x``."""
        tol, hop, frame, match = self.tolerance, self.hop, self.frame, self.match
        if len(self._in) < 2:
            if final:
                raise OptionsError("cannot stretch an empty map")
            return np.zeros(0, np.float32)
        out_total = int(self._out[-1])
        n_frames = out_total // hop + 2
        k0 = self._k
        # every frame's nominal read position at once (the map is fixed for this call); the
        # loop below is sequential only in the search, which follows the previous frame
        noms = self._nominal(k0, n_frames, final, limit)
        if len(noms) == 0:
            return self._emit(out_total, final)
        lead_max = limit - frame

        def read(p: int, n: int, x: np.ndarray = x) -> np.ndarray:
            if p >= 0 and p + n <= limit:  # the usual case: a view
                return x[p - x_off : p - x_off + n]
            a, b = max(p, 0), min(p + n, limit)
            y = np.zeros(n, np.float32)
            if a < b:
                y[a - p : b - p] = x[a - x_off : b - x_off]
            return y

        xs = x if search is None else search
        look = read if search is None else functools.partial(read, x=xs)  # what the search reads

        lags = self._search
        k, prev, floor = k0, self._prev, self._floor
        denoms, d0 = np.zeros((0, 0)), 0  # the search's denominators of frames d0, d0 + 1, ...
        read_at = []  # where frames k0, k0 + 1, ... are read
        for j, nom in enumerate(noms):
            if not final and max(nom + tol, prev + hop) > lead_max:
                break
            if k == 0:
                pos = nom
            else:
                template = look(prev + hop, match)
                region = look(nom - tol, match + 2 * tol)
                if self.normalised and j - d0 >= len(denoms):
                    d0 = j
                    denoms = self._denominators(noms, j, xs, x_off, limit, final, look)
                row = denoms[j - d0] if self.normalised else None
                pos = nom - tol + lags(region, template, row)
            read_at.append(pos)
            prev = pos
            if pos - 2 * tol > floor:
                floor = pos - 2 * tol
            k += 1
        if read_at and self.adaptive_fade:
            self._adaptive_add([read(p, frame) for p in read_at], k0)
        elif read_at:
            self._overlap_add([read(p, frame) for p in read_at], k0)
        self._k, self._prev, self._floor = k, prev, floor
        return self._emit(out_total, final)

    def _overlap_add(self, frames: list[np.ndarray], k0: int) -> None:
        """Add ``frames`` (each ``frame`` samples), windowed, at output frames ``k0, k0 + 1,
        ...``, with the sums of the frame-by-frame loop to the bit: frames overlap by half,
        so each hop of output gets the second half of the frame before it, then the first
        half of its own, and adding all second halves first, then all first halves, keeps
        that order. Under ``_MIN_BATCH`` frames (a stream's small push) the loop itself runs,
        which costs less there."""
        hop, m, window = self.hop, len(frames), self._window
        i = k0 * hop - self._acc0
        if i + (m + 1) * hop > len(self._acc):
            self._grow(i + (m + 1) * hop)
        if m < _MIN_BATCH:
            for f in frames:
                self._acc[i : i + 2 * hop] += f * window
                self._wsum[i : i + 2 * hop] += window
                i += hop
            return
        windowed = np.stack(frames) * window
        acc = self._acc[i : i + (m + 1) * hop].reshape(m + 1, hop)
        wsum = self._wsum[i : i + (m + 1) * hop].reshape(m + 1, hop)
        acc[1:] += windowed[:, hop:]
        wsum[1:] += window[hop:]
        acc[:-1] += windowed[:, :hop]
        wsum[:-1] += window[:hop]

    def _adaptive_add(self, frames: list[np.ndarray], k0: int) -> None:
        """:meth:`_overlap_add` with a crossfade that follows the correlation ``r`` of the two
        halves that overlap: each hop of output is divided by ``sqrt(a^2 + b^2 + 2 r a b)``
        (``a``, ``b`` the two window halves) instead of ``a + b``, so alike halves add as
        before (r = 1) and unlike ones (noise, fricatives: r near 0) keep their power instead of
        dipping 3 dB at every hop."""
        hop, window = self.hop, self._window
        down, up = window[hop:], window[:hop]
        weight = down * up
        i = k0 * hop - self._acc0
        if i + (len(frames) + 1) * hop > len(self._acc):
            self._grow(i + (len(frames) + 1) * hop)
        for k, f in enumerate(frames, start=k0):
            head = f[:hop]
            if k == 0:
                norm = up
            else:
                tail = self._tail
                num = float(np.dot(weight * tail, head))
                den = float(np.sqrt(np.dot(weight * tail, tail) * np.dot(weight * head, head)))
                r = min(1.0, max(0.0, num / den)) if den > 1e-12 else 1.0
                norm = np.sqrt(down * down + up * up + 2.0 * r * down * up)
            self._acc[i : i + 2 * hop] += f * window
            self._wsum[i : i + hop] = norm
            self._wsum[i + hop : i + 2 * hop] = down
            self._tail = f[hop:].copy()
            i += hop

    def _denominators(self, noms, j, x, x_off, limit, final, read):
        """The search's denominators for frames ``j, j + 1, ...`` of ``noms``: up to
        ``_BATCH`` of them, those whose region this call may read (the loop stops at the
        first frame that cannot be made, so a frame past it is never computed in vain)."""
        tol = self.tolerance
        if len(noms) - j < _MIN_BATCH:  # a stream's small push: each frame's search alone
            return [None] * (len(noms) - j)
        size = self.match + 2 * tol
        starts = np.asarray(noms[j : j + _BATCH], np.int64) - tol
        if not final:  # the loop makes no frame whose region ends past the input's limit
            starts = starts[: max(1, int(np.searchsorted(starts + size, limit, side="right")))]
        if len(starts) < _MIN_BATCH:
            return [None] * len(starts)  # each frame's search computes its own
        inside = (starts >= max(0, x_off)) & (starts + size <= min(limit, x_off + len(x)))
        if inside.all():
            view = np.lib.stride_tricks.sliding_window_view(x, size)
            regions = view[starts - x_off]
        else:
            regions = np.stack([read(int(p), size) for p in starts])
        return self._search.denominators(regions)

    def _nominal(self, k0: int, n_frames: int, final: bool, limit: int) -> list[int]:
        """Nominal read positions (frame starts) of frames ``k0 .. n_frames - 1`` that the map
        covers (all of them with ``final``: past the map's end at its last speed)."""
        half = self.frame // 2
        knots_in, knots_out = np.array(self._in), np.array(self._out)
        centres = np.arange(k0, n_frames, dtype=np.int64) * self.hop
        inside = int(np.searchsorted(centres, knots_out[-1], side="right"))
        nominal = np.interp(centres[:inside], knots_out, knots_in)
        if final and inside < len(centres):
            last_speed = (knots_in[-1] - knots_in[-2]) / (knots_out[-1] - knots_out[-2])
            beyond = knots_in[-1] + (centres[inside:] - knots_out[-1]) * last_speed
            nominal = np.concatenate([nominal, beyond])
        noms = self.lead - half + np.round(nominal).astype(np.int64)
        if final:
            noms = np.minimum(np.maximum(noms, -(half + self.frame)), limit + half)
        return noms.tolist()

    def _grow(self, need: int) -> None:
        grow = max(need, 2 * len(self._acc))
        self._acc = np.concatenate([self._acc, np.zeros(grow - len(self._acc), np.float32)])
        self._wsum = np.concatenate([self._wsum, np.zeros(grow - len(self._wsum), np.float32)])

    def _emit(self, out_total: int, final: bool) -> np.ndarray:
        """The output samples every frame that overlaps them has been added to."""
        half, hop = self.frame // 2, self.hop
        ready = out_total if final else max(self.emitted, min(self._k * hop - half, out_total))
        a, b = self.emitted + half - self._acc0, ready + half - self._acc0
        y = self._acc[a:b] / np.maximum(self._wsum[a:b], 1e-3)
        self.emitted = ready
        # drop what no frame will add to again
        drop = max(0, min(self.emitted + half, self._k * hop) - self._acc0)
        self._acc, self._wsum = self._acc[drop:], self._wsum[drop:]
        self._acc0 += drop
        return y.astype(np.float32)


def stretch(
    x: np.ndarray, out_samples: int, method: str = "wsola", lead: int = 0, trail: int = 0
) -> np.ndarray:
    """Time-scale the core of ``x`` (without ``lead``/``trail`` context) to ``out_samples``."""
    if method == "wsola":
        return wsola(x, out_samples, lead, trail)
    if method not in TSM_METHODS:
        raise OptionsError(f"unknown TSM method {method!r}; choose one of {', '.join(TSM_METHODS)}")
    from .tsm_libs import library_stretch

    return library_stretch(x[lead : len(x) - trail], out_samples, method)


def stretch_curve(
    x: np.ndarray,
    in_knots: np.ndarray,
    out_knots: np.ndarray,
    method: str = "wsola",
    lead: int = 0,
    trail: int = 0,
) -> np.ndarray:
    """Time-scale the core of ``x`` along a piecewise-linear map (see :func:`wsola_curve`).

    WSOLA follows the map frame by frame; the library methods take one speed per piece and
    their pieces are concatenated."""
    if method == "wsola":
        return wsola_curve(x, in_knots, out_knots, lead, trail)
    if len(in_knots) == 2:
        return stretch(x, int(out_knots[-1]), method, lead, trail)
    core = x[lead : len(x) - trail]
    parts = []
    for i in range(len(in_knots) - 1):
        a, b = int(in_knots[i]), int(in_knots[i + 1])
        parts.append(stretch(core[a:b], int(out_knots[i + 1] - out_knots[i]), method))
    return np.concatenate(parts)
