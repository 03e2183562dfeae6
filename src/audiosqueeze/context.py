"""What the speed policies read about a stretch of speech: window features taken from the
speech run it belongs to, read causally.

The analysis hands the planner speech in pieces of at most ``max_segment_ms`` (64 ms by
default), each joined to the next while the run goes on (``continues``). A piece on its own
is too short to describe: a 64-ms window has no syllable rate, and its level relative to
"its segment" is its level relative to itself. So a window ``[a, b)`` is described by the
run's frames before ``b``:

- the window's own measurements (level, flux, speech probability, syllable nuclei) over the
  last ``max(b - a, window_ms)`` of the run, so a 64-ms piece reads the speech it ends, as a
  window of a long segment reads itself;
- the run's measurements (median level and band level, syllable rate) over at most
  :data:`CONTEXT_MS` of the run before ``b``, as the guard's labels were made on analysis
  segments of at most 10 s.

Nothing after ``b`` is read, so the stream decides at ``b`` what the file decides, and a run
gives the same features whether it arrives as 64-ms pieces or as one 10-s segment.
:class:`RunContext` keeps the frames a stream needs; :func:`speech_runs` joins a whole
analysis' pieces into runs; :func:`context_features` reads both.
"""

from __future__ import annotations

import numpy as np

from . import features
from .analyze import Segment, complexity
from .errors import OptionsError
from .segments import FRAME_FIELDS, Frames
from .units import FRAME_SAMPLES, SAMPLE_RATE, ms_to_samples

_FRAME_S = FRAME_SAMPLES / SAMPLE_RATE

#: The most of a run (ms) before a window that the run-level features read.
CONTEXT_MS = 10_000.0
_CONTEXT_FRAMES = int(CONTEXT_MS / 1000 / _FRAME_S)
#: Frames a :class:`RunContext` keeps before a new piece: a window of up to ``CONTEXT_MS``
#: (``PlanOptions.window_ms``' bound) ending anywhere in the piece reaches back this far (the
#: run-level features reach back ``_CONTEXT_FRAMES`` from the window's end, no further).
_KEEP_FRAMES = -(-ms_to_samples(CONTEXT_MS) // FRAME_SAMPLES)

#: Names of the window features, in the order of :func:`context_features`' columns.
FEATURES = (
    "duration_s",
    "prob_mean",
    "prob_min",
    "snr_db",
    "level_rel_db",
    "level_std_db",
    "syllable_rate_hz",
    "segment_syllable_rate_hz",
    "flux_mean",
    "flux_std",
    "band_rel_db",
    "complexity",
)


def _stack(seg: Segment) -> np.ndarray:
    """A speech segment's frames as one ``(len(FRAME_FIELDS), n)`` float64 array, checked:
    every field, one length, one finite frame per 32 ms of the segment (the analyzer's own
    :class:`Frames` are taken without a copy, and checked like any others: one can be made
    by hand)."""
    f = seg.frames
    data = f.rows(FRAME_FIELDS) if isinstance(f, Frames) else None
    if data is None or data.dtype != np.float64:
        missing = [k for k in FRAME_FIELDS if k not in f]
        if missing:
            raise OptionsError(
                f"a speech segment's frames need {FRAME_FIELDS!r}, missing {missing!r}"
            )
        try:
            data = np.stack([np.asarray(f[k], np.float64).reshape(-1) for k in FRAME_FIELDS])
        except (TypeError, ValueError) as e:
            raise OptionsError(
                f"a speech segment's frames must be numbers of one length: {e}"
            ) from None
    want = -(-(seg.end - seg.start) // FRAME_SAMPLES)
    if data.shape[1] != want or not np.all(np.isfinite(data)):
        raise OptionsError(
            f"segment {seg.start}..{seg.end} needs {want} finite frames, "
            f"got {data.shape[1]} (finite: {bool(np.all(np.isfinite(data)))})"
        )
    return data


def _joins(start: int, end: int, seg: Segment) -> bool:
    """Whether ``seg`` continues the run ``[start, end)``: it starts where the run ends, on
    the run's 32-ms frame grid (a piece made by hand may end between frames; the next one's
    frames then do not follow the run's, and it starts a run of its own)."""
    return seg.start == end and (end - start) % FRAME_SAMPLES == 0


def _run(start: int, end: int, data: np.ndarray) -> Segment:
    f = dict(zip(FRAME_FIELDS, data, strict=True))
    return Segment("speech", start, end, 1.0, None, None, {}, f, False)


class RunContext:
    """The frames of the speech run that the stream is in: ``add`` each speech piece as it
    comes (``joined``: it continues the last piece's run) and get the run so far back as one
    :class:`Segment`, holding at least :data:`CONTEXT_MS` before the new piece, which is all
    :func:`context_features` reads for any window of that piece of up to ``CONTEXT_MS``."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._start = self._end = 0
        self._data = np.zeros((len(FRAME_FIELDS), 0))

    def add(self, seg: Segment, joined: bool) -> Segment:
        data = _stack(seg)
        if joined and _joins(self._start, self._end, seg) and self._data.shape[1]:
            drop = max(0, self._data.shape[1] - _KEEP_FRAMES)
            self._data = np.concatenate([self._data[:, drop:], data], axis=1)
            self._start += drop * FRAME_SAMPLES
        else:
            self._start, self._data = seg.start, data
        self._end = seg.end
        return _run(self._start, self._end, self._data)


def speech_runs(segments) -> list[Segment]:
    """The speech runs of ``segments`` (pieces joined where ``continues`` says the run goes
    on, as :class:`RunContext` joins them), each one :class:`Segment` with all its frames;
    pieces without frames are left out."""
    out: list[Segment] = []
    parts: list[Segment] = []

    def close() -> None:
        if parts:
            data = np.concatenate([_stack(p) for p in parts], axis=1)
            out.append(_run(parts[0].start, parts[-1].end, data))
            parts.clear()

    for seg in segments:
        if seg.kind != "speech" or seg.frames is None:
            close()
            continue
        if parts and not _joins(parts[0].start, parts[-1].end, seg):
            close()
        parts.append(seg)
        if not seg.continues:
            close()
    close()
    return out


def context_features(run: Segment, spans, window_ms: float) -> np.ndarray:
    """``(len(spans), len(FEATURES))`` float32 features of windows ``[a, b)`` of ``run`` (a
    speech segment or run with frames, from :func:`speech_runs` or :class:`RunContext`),
    read causally as the module says: nothing of the run after ``b``."""
    f = run.frames
    prob, level = np.asarray(f["prob"]), np.asarray(f["level"])
    band, flux, floor = np.asarray(f["band"]), np.asarray(f["flux"]), np.asarray(f["floor"])
    n = len(prob)
    reach = ms_to_samples(window_ms)
    rows = []
    for a, b in spans:
        fb = min(n, max(1, -(-(b - run.start) // FRAME_SAMPLES)))
        lo = max(run.start, min(a, b - reach))
        fa = min(fb - 1, max(0, (lo - run.start) // FRAME_SAMPLES))
        c0 = max(0, fb - _CONTEXT_FRAMES)
        cb = band[c0:fb]
        pk = c0 + features.nuclei(cb)
        dur = max((fb - fa) * _FRAME_S, _FRAME_S)
        lv, fl = level[fa:fb], flux[fa:fb]
        snr = features.median(lv) - features.median(floor[fa:fb])
        rate_hz = float(np.sum(pk >= fa) / dur)
        fmean = features.mean(fl)
        rows.append(
            [
                dur,
                features.mean(prob[fa:fb]),
                float(np.min(prob[fa:fb])),
                snr,
                features.median(lv) - features.median(level[c0:fb]),
                features.std(lv),
                rate_hz,
                len(pk) / ((fb - c0) * _FRAME_S),
                fmean,
                features.std(fl),
                features.median(band[fa:fb]) - features.median(cb),
                complexity(rate_hz, snr, fmean),
            ]
        )
    return np.asarray(rows, np.float32).reshape(-1, len(FEATURES))
