"""What the analysis says: :class:`Segment` runs of one kind and the :class:`Analysis` that
holds them (made by :mod:`audiosqueeze.analyze`, read by the planner and by people)."""

from __future__ import annotations

import functools
import math
import operator
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .errors import OptionsError
from .units import FRAME_SAMPLES, SAMPLE_RATE, to_seconds

KINDS = ("silence", "noise", "speech")
#: The per-frame measurements the analyzer keeps for speech (:attr:`Segment.frames`).
FRAME_FIELDS = ("prob", "level", "band", "flux", "floor")
#: The cues the analyzer measures, in order: for speech, and for silence and noise.
SPEECH_CUES = ("syllable_rate_hz", "snr_db", "spectral_flux", "level_db")
OTHER_CUES = ("level_db", "level_std_db", "floor_db")
_NOISE_TYPES = (None, "stationary", "nonstationary")


class Frames(Mapping):
    """A speech segment's per-frame measurements: a read-only mapping of name to a 1-D array,
    like a dict of arrays, stored as one ``(len(names), n)`` array whose rows are the arrays
    (contiguous views). An hour holds up to 56,000 segments at ``max_segment_ms=64``; one array
    instead of five saves about a third of what each costs in memory.

    >>> f = Frames(("prob", "level"), np.array([[0.9, 0.8], [-20.0, -22.0]]))
    >>> f["level"].tolist(), list(f), len(f)
    ([-20.0, -22.0], ['prob', 'level'], 2)
    """

    __slots__ = ("_data", "_names")

    def __init__(self, names: tuple[str, ...], data: np.ndarray):
        if data.ndim != 2 or len(data) != len(names):
            raise OptionsError(f"need one row per name {names!r}, got shape {data.shape!r}")
        self._names, self._data = tuple(names), data

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._data[self._names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"Frames({self._names!r}, {self._data.shape[1]} frames)"

    def rows(self, names: tuple[str, ...]) -> np.ndarray | None:
        """The whole ``(len(names), n)`` array (read-only use) when it holds exactly ``names``
        in that order, else None: the analyzer's frames, without a copy."""
        return self._data if self._names == tuple(names) else None


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of one kind, ``[start, end)`` in samples at 16 kHz.

    ``complexity`` (speech only) is in [0, 1]: 0 easy to compress, 1 keep as is.
    ``noise_type`` (noise only) is ``"stationary"`` (hum, hiss, room tone) or ``"nonstationary"``.
    ``cues`` holds the measurements behind both (see :func:`complexity`). ``frames`` (speech
    only) holds the per-frame measurements the planner's speed curve is made from: arrays
    ``prob``, ``level``, ``band``, ``flux``, ``floor``, one value per 32 ms frame from ``start``.
    ``continues``: the segment was closed only because it reached ``max_segment_ms``, so the
    next segment is more of the same kind (the planner joins speech across the split).
    """

    kind: str
    start: int
    end: int
    confidence: float
    complexity: float | None = None
    noise_type: str | None = None
    cues: dict = field(default_factory=dict, compare=False, hash=False)
    frames: Mapping | None = field(default=None, compare=False, hash=False, repr=False)
    continues: bool = False

    @property
    def num_samples(self) -> int:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "frames"} | {
            "cues": dict(self.cues)
        }


class SegmentStore(Sequence):
    """The analyzer's segments kept as columns: a read-only sequence of :class:`Segment`, each
    made when it is read. An hour holds up to 56,000 segments at ``max_segment_ms=64``; as
    objects (a dataclass, a dict of cues, six floats, a frame array) each cost about 1 kB with
    its edit (``benchmarks/memory_60min.py``), here 89 bytes plus its frames, which stay in
    the analyzer's blocks of measurements (``(len(FRAME_FIELDS), n)`` arrays) and are read
    back as views. Values come
    back to the bit. Only :class:`~audiosqueeze.analyze.Analyzer` appends, and only segments
    of its own shape (the cues of :data:`SPEECH_CUES` or :data:`OTHER_CUES`).
    """

    __slots__ = ("_blocks", "_codes", "_floats", "_ints", "_n")

    def __init__(self) -> None:
        self._ints = array("q")  # start, end, block, offset, frames: five per segment
        self._floats = array("d")  # confidence, complexity (nan: None), four cues (nan pad)
        self._codes = bytearray()  # kind | noise type << 2 | continues << 4
        self._blocks: list[np.ndarray] = []
        self._n: int | None = None  # a snapshot's length (None: growing)

    def append(self, seg: Segment, block: np.ndarray | None = None, offset: int = 0) -> None:
        """Add ``seg``, whose ``frames`` (if any) are ``block[:, offset : offset + n]``."""
        if self._n is not None:
            raise OptionsError("a snapshot of a segment store cannot grow")
        if not isinstance(seg, Segment):
            raise OptionsError(f"a segment store holds Segment objects, got {seg!r}")
        keys = SPEECH_CUES if seg.kind == "speech" else OTHER_CUES
        if (
            seg.kind not in KINDS
            or seg.noise_type not in _NOISE_TYPES
            or tuple(seg.cues) != keys
            or (seg.frames is None) != (block is None)
        ):
            raise OptionsError(f"not a segment of the analyzer's shape: {seg!r}")
        fresh = block is not None and (not self._blocks or self._blocks[-1] is not block)
        if block is not None:
            shape = getattr(block, "shape", None)
            if not isinstance(block, np.ndarray) or len(shape) != 2 or shape[0] != 5:
                raise OptionsError(f"a frames block is a (5, n) array, got shape {shape!r}")
        try:  # every value converted before anything is stored: all of it or nothing
            count = 0 if block is None else len(seg.frames[FRAME_FIELDS[0]])
            index = -1 if block is None else len(self._blocks) - (0 if fresh else 1)
            ints = array("q", (seg.start, seg.end, index, offset, count))
            cx = math.nan if seg.complexity is None else seg.complexity
            cues = [seg.cues[k] for k in keys] + [math.nan] * (4 - len(keys))
            floats = array("d", [seg.confidence, cx, *cues])
        except (TypeError, ValueError, OverflowError, KeyError) as e:
            raise OptionsError(f"not a segment of the analyzer's shape: {seg!r} ({e})") from None
        if block is not None and not 0 <= offset <= block.shape[1] - count:
            n = block.shape[1]
            raise OptionsError(f"frames {offset}..{offset + count} outside a block of {n}")
        if fresh:
            block.flags.writeable = False  # what is read back cannot change the store
            self._blocks.append(block)
        self._ints.extend(ints)
        self._floats.extend(floats)
        code = KINDS.index(seg.kind) | _NOISE_TYPES.index(seg.noise_type) << 2
        self._codes.append(code | int(bool(seg.continues)) << 4)

    def snapshot(self) -> SegmentStore:
        """The segments so far, unchanged by later appends (the columns are shared)."""
        s = SegmentStore.__new__(SegmentStore)
        for name in ("_ints", "_floats", "_codes", "_blocks"):
            setattr(s, name, getattr(self, name))
        s._n = len(self)
        return s

    def __len__(self) -> int:
        return len(self._codes) if self._n is None else self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        i, n = operator.index(i), len(self)
        if not -n <= i < n:
            raise IndexError(f"segment index {i} out of range for {n} segments")
        i %= n
        start, end, block, offset, count = self._ints[5 * i : 5 * i + 5]
        conf, cx, *cues = self._floats[6 * i : 6 * i + 6]
        code = self._codes[i]
        kind = KINDS[code & 3]
        keys = SPEECH_CUES if kind == "speech" else OTHER_CUES
        frames = None
        if block >= 0:
            frames = Frames(FRAME_FIELDS, self._blocks[block][:, offset : offset + count])
        return Segment(
            kind,
            start,
            end,
            conf,
            None if math.isnan(cx) else cx,
            _NOISE_TYPES[code >> 2 & 3],
            dict(zip(keys, cues, strict=False)),
            frames,
            bool(code >> 4 & 1),
        )

    def loudest_db(self) -> float | None:
        """The highest ``level_db`` cue of the stored segments (None when there are none),
        read from the columns without making any segment."""
        n = len(self)
        if not n:
            return None
        floats = np.array(self._floats[: 6 * n], np.float64).reshape(n, 6)
        speech = np.frombuffer(bytes(self._codes[:n]), np.uint8) & 3 == KINDS.index("speech")
        at_speech = 2 + SPEECH_CUES.index("level_db")  # after confidence and complexity
        at_other = 2 + OTHER_CUES.index("level_db")
        return float(np.where(speech, floats[:, at_speech], floats[:, at_other]).max())

    def run_spans(self) -> np.ndarray:
        """``(m, 3)`` int64 rows of kind index (in :data:`KINDS`), start and end of every run
        (:attr:`Analysis.runs`), read from the columns without making any segment."""
        n = len(self)
        if not n:
            return np.zeros((0, 3), np.int64)
        ints = np.array(self._ints[: 5 * n], np.int64).reshape(n, 5)
        codes = np.frombuffer(bytes(self._codes[:n]), np.uint8)
        last = np.flatnonzero(codes >> 4 & 1 == 0)  # a run ends where a piece does not continue
        if not len(last) or last[-1] != n - 1:
            last = np.append(last, n - 1)
        first = np.concatenate([[0], last[:-1] + 1])
        # a run's pieces are all speech or all not; not speech is noise if any piece is noise
        kind = np.maximum.reduceat((codes & 3).astype(np.int64), first)
        return np.stack([kind, ints[first, 0], ints[last, 1]], axis=1)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SegmentStore({len(self)} segments)"


@dataclass(frozen=True)
class Analysis:
    """Segments covering ``[0, num_samples)`` in order, and the per-frame speech probability.

    ``segments``: a tuple, or (from the analyzer) a :class:`SegmentStore`: a sequence that
    makes each segment when it is read, so read it once where it is read often."""

    segments: Sequence[Segment]
    num_samples: int
    speech_prob: np.ndarray
    vad: str
    sample_rate: int = SAMPLE_RATE

    @functools.cached_property
    def runs(self) -> tuple[Segment, ...]:
        """The segments with every run that ``max_segment_ms`` split (``continues``) joined
        back into one: what a person reading the analysis wants. Confidence, complexity and
        numeric cues are duration-weighted means of the pieces, except a speech run's syllable
        rate, counted over all its frames, and its complexity, from that rate and the run's
        SNR and flux (a 64-ms piece is too short to hold a nucleus); a noise run is stationary only
        if every piece is; runs carry no per-frame ``frames`` (the planner reads the pieces)."""
        out, group = [], []
        for seg in self.segments:
            group.append(seg)
            if not seg.continues:
                out.append(_join(group))
                group = []
        if group:
            out.append(_join(group))
        return tuple(out)

    @functools.cached_property
    def loudest_db(self) -> float | None:
        """The highest median level (dBFS) of any segment, or None for no audio: how loud the
        recording's loudest stretch is, whatever it was labelled."""
        if isinstance(self.segments, SegmentStore):
            return self.segments.loudest_db()
        levels = [s.cues.get("level_db") for s in self.segments]
        levels = [v for v in levels if v is not None and not math.isnan(v)]
        return max(levels) if levels else None

    def with_objects(self) -> Analysis:
        """This analysis with its segments as a tuple of objects (made once), for code that
        reads them many times; itself where they already are."""
        if isinstance(self.segments, tuple):
            return self
        return replace(self, segments=tuple(self.segments))

    @functools.cached_property
    def _run_spans(self) -> np.ndarray:
        if isinstance(self.segments, SegmentStore):  # no segment made, let alone joined
            return self.segments.run_spans()
        rows = [(KINDS.index(s.kind), s.start, s.end) for s in self.runs]
        return np.array(rows, dtype=np.int64).reshape(-1, 3)

    @property
    def num_runs(self) -> int:
        """How many runs (:attr:`runs`) there are."""
        return len(self._run_spans)

    def intervals(self, kind: str) -> np.ndarray:
        """``(m, 2)`` int64 array of ``[start, end)`` samples of the runs of ``kind``."""
        if kind not in KINDS:
            raise OptionsError(f"kind must be one of {KINDS}, got {kind!r}")
        spans = self._run_spans
        return spans[spans[:, 0] == KINDS.index(kind), 1:].copy()

    def seconds(self, kind: str) -> float:
        iv = self.intervals(kind)
        return to_seconds(int((iv[:, 1] - iv[:, 0]).sum()), self.sample_rate)

    @property
    def duration_s(self) -> float:
        return to_seconds(self.num_samples, self.sample_rate)

    def to_dict(self) -> dict:
        return {
            "sample_rate": self.sample_rate,
            "num_samples": self.num_samples,
            "vad": self.vad,
            "segments": [s.to_dict() for s in self.runs],
        }


def _run_rate(pieces: list[Segment], cues: dict, complexity: float | None) -> float | None:
    """A joined speech run's syllable rate counted over all its frames (a 64-ms piece is too
    short to hold a nucleus, so the mean of the pieces' rates is 0), and its complexity from
    that rate and the run's SNR and flux; left as the pieces' means where a piece has no
    frames or the pieces do not meet end to start. Returns the complexity; sets the rate."""
    from .analyze import complexity as complexity_of
    from .features import nuclei

    if any(p.frames is None for p in pieces):
        return complexity
    if any(a.end != b.start for a, b in zip(pieces, pieces[1:], strict=False)):
        return complexity
    band = np.concatenate([np.asarray(p.frames["band"]) for p in pieces])
    dur = max(to_seconds(pieces[-1].end - pieces[0].start), to_seconds(FRAME_SAMPLES))
    rate = len(nuclei(band)) / dur
    cues["syllable_rate_hz"] = round(rate, 3)
    if "snr_db" not in cues or "spectral_flux" not in cues:  # pieces made by hand
        return complexity
    return complexity_of(rate, cues["snr_db"], cues["spectral_flux"])


def _join(pieces: list[Segment]) -> Segment:
    """Consecutive pieces of one run (see :attr:`Analysis.runs`) as one segment."""
    if len(pieces) == 1:
        return replace(pieces[0], continues=False, frames=None)
    w = np.array([p.num_samples for p in pieces], np.float64)
    w /= max(w.sum(), 1.0)

    def mean(values) -> float:
        return round(float(np.dot(w, values)), 4)

    first = pieces[0]
    complexity = None if first.complexity is None else mean([p.complexity for p in pieces])
    kind, noise_type = first.kind, None
    if any(p.kind == "noise" for p in pieces):  # non-speech pieces: noise if any piece is
        kind = "noise"
        steady = all(p.noise_type == "stationary" for p in pieces if p.kind == "noise")
        noise_type = "stationary" if steady else "nonstationary"
    cues = {}
    for k in first.cues:
        have = np.array([k in p.cues for p in pieces])
        cues[k] = round(float(np.dot(w[have], [p.cues[k] for p in pieces if k in p.cues]))
                        / float(w[have].sum()), 4)  # fmt: skip
    if kind == "speech" and "syllable_rate_hz" in cues:
        complexity = _run_rate(pieces, cues, complexity)
    return Segment(
        kind,
        first.start,
        pieces[-1].end,
        mean([p.confidence for p in pieces]),
        complexity,
        noise_type,
        cues,
    )
