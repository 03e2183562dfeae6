"""Plan: turn analysed segments and a ``rate`` into ordered, contiguous edits.

``rate`` runs from 0 (the identity plan: output bit-exact to the input) to 1 (most aggressive),
cheapest tokens first: up to rate 0.5 only pauses and noise shrink (the kept pause falls from
1000 ms to 60 ms); from 0.5 to 1 speech speeds up too, from 1.0x to ``max_speed`` (1.5x). The
default, rate 0.5, is "every pause cut, speech untouched" (on dev every speed-up of the speech
itself cost Common Voice 1-2 WER points, docs/RESULTS.md).

Non-speech longer than the kept pause is shortened to it, never removed between words; the
kept pause sits next to the speech (at both ends of a pause between speech, at the end of the
non-speech that opens a recording, at the start of the one that closes it). Inside speech,
short pauses are cut the same way and the speech between them gets a speed curve
(:mod:`audiosqueeze.curve`). A recording with no speech becomes :data:`NO_SPEECH_MS` of
digital silence (``Stats.no_speech`` says so: the caller can skip the model).

The :class:`Planner` is a streaming processor: each closed speech segment becomes its edits at
once; non-speech is held until the next speech (or the end), consecutive non-speech segments
merged into one stretch with one kept pause, up to :data:`MAX_HELD_MS`. :func:`plan` runs it
over a whole :class:`~audiosqueeze.analyze.Analysis`; the planners that search for a rate
(``target_reduction``, ``max_wer_increase``) are in :mod:`audiosqueeze.plan_search`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from . import curve, validate
from .analyze import Analysis, Segment
from .context import RunContext
from .errors import OptionsError
from .units import SAMPLE_RATE, ms_to_samples

EDIT_KINDS = ("keep", "shorten", "stretch", "mute")
#: What a recording without speech becomes (at rate > 0): this much digital silence.
NO_SPEECH_MS = 100.0
#: Consecutive non-speech segments (the analysis splits runs at ``max_segment_ms``) are
#: planned as one stretch with one kept pause, up to this long (bounds what is held).
MAX_HELD_MS = 60_000.0
#: Rate from which pauses are kept at their shortest (speech speed-up goes on up to rate 1).
PAUSES_DONE_RATE = 0.5

__all__ = [
    "Edit",
    "Plan",
    "PlanOptions",
    "Planner",
    "plan",
]


SPEED_POLICIES = ("guard", "cues", "uniform")
WITHIN_WINDOW = ("flat", "stress", "transients")


@dataclass(frozen=True)
class PlanOptions:
    """Every threshold of the planner, with units in the names (see :mod:`audiosqueeze.curve`
    for how speech is laid out and sped up)."""

    max_keep_pause_ms: float = 1000.0  #: kept pause just above rate 0 (longer pauses shortened)
    min_keep_pause_ms: float = 60.0  #: kept pause from rate 0.5 on
    min_keep_noise_ms: float = (
        100.0  #: kept noise from rate 0.5 on (noise is where ASR hallucinates)
    )
    min_cut_ms: float = 10.0  #: non-speech is shortened only if at least this much would go
    speed_policy: str = "uniform"  #: where speech speeds come from: uniform, cues or guard
    max_speed: float = 1.5  #: fastest speech at rate 1 (1.0 = never speed up; at most 2.0)
    max_speed_step: float = 0.25  #: largest speed change between neighbouring windows
    window_ms: float = 750.0  #: speech is given one mean speed per window of about this length
    #: how a window's speed is spread over its frames: flat, stress (MACH1) or transients
    within_window: str = "flat"
    #: speech spans shorter than this are never sped up; a span split off a longer run (every
    #: 64-ms analysis piece, the default) is always part of it, so with the default segments
    #: this holds only for a run of one piece (docs/RESULTS.md, stop 41)
    min_stretch_ms: float = 400.0
    max_risk_increase: float = 0.25  #: guard: added risk allowed per window at rate 1
    guard_path: str | None = None  #: guard: an ONNX model of your own (else the bundled one)
    #: quiet runs inside a speech segment this long are pauses (a 64-ms segment, the default,
    #: is too short to hold one, and below ``release_threshold`` the VAD has already ended
    #: speech: docs/RESULTS.md, stop 41)
    min_inner_pause_ms: float = 120.0
    inner_pause_prob: float = 0.3  #: ... with VAD probability below this
    inner_pause_drop_db: float = 12.0  #: ... and level this far under the speech level

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name not in ("speed_policy", "guard_path", "within_window"):
                validate.number(f.name, getattr(self, f.name))
        if not 0 < self.min_keep_pause_ms <= self.max_keep_pause_ms:
            raise OptionsError(
                "need 0 < min_keep_pause_ms <= max_keep_pause_ms, got "
                f"{self.min_keep_pause_ms!r} and {self.max_keep_pause_ms!r}"
            )
        validate.number(
            "min_keep_noise_ms", self.min_keep_noise_ms, 0, self.max_keep_pause_ms, lo_open=True
        )
        validate.number("min_cut_ms", self.min_cut_ms, 0, 1000)
        validate.choice("speed_policy", self.speed_policy, SPEED_POLICIES)
        validate.choice("within_window", self.within_window, WITHIN_WINDOW)
        validate.number("max_speed", self.max_speed, 1.0, 2.0)
        validate.number("max_speed_step", self.max_speed_step, 0.0, 1.0, lo_open=True)
        validate.number("window_ms", self.window_ms, 100.0, 10_000.0)
        validate.number("min_stretch_ms", self.min_stretch_ms, 0)
        validate.number("max_risk_increase", self.max_risk_increase, 0.0, 1.0)
        validate.number("min_inner_pause_ms", self.min_inner_pause_ms, 32.0, 10_000.0)
        validate.number("inner_pause_prob", self.inner_pause_prob, 0.0, 1.0)
        validate.number("inner_pause_drop_db", self.inner_pause_drop_db, 0.0, 100.0)
        if self.guard_path is not None and not isinstance(self.guard_path, (str, os.PathLike)):
            raise OptionsError(f"guard_path must be a path or None, got {self.guard_path!r}")

    def keep_ms(self, kind: str, rate: float) -> float:
        """Longest non-speech kept whole at ``rate``; longer stretches are shortened to it.

        Pauses are the cheapest tokens to remove, so they go first: the kept pause falls with
        the square of ``1 - rate / PAUSES_DONE_RATE`` and is at its shortest from rate 0.5 on."""
        low = self.min_keep_noise_ms if kind == "noise" else self.min_keep_pause_ms
        left = 1.0 - min(1.0, rate / PAUSES_DONE_RATE)
        return low + (self.max_keep_pause_ms - low) * left**2

    def top_speed(self, rate: float) -> float:
        """Fastest speech speed at ``rate``: 1.0x up to rate 0.5 (only pauses are cut), then
        linearly up to ``max_speed`` at rate 1."""
        speech_share = max(0.0, rate - PAUSES_DONE_RATE) / (1.0 - PAUSES_DONE_RATE)
        return 1.0 + (self.max_speed - 1.0) * speech_share


@dataclass(frozen=True, slots=True)
class Edit:
    """Input ``[start, end)`` becomes ``out_samples`` output samples.

    ``keep``: copied. ``shorten``: ``head`` samples are kept from the start and
    ``out_samples - head`` from the end, joined with a crossfade (``out_samples`` may be 0:
    cut entirely). ``stretch``: pitch-preserving time-scale modification. ``mute``: replaced
    by digital silence (a recording with no speech).
    """

    kind: str
    start: int
    end: int
    out_samples: int
    segment: str  #: kind of the analysed segment: silence, noise or speech
    head: int = 0  #: shorten only: output samples taken from the start of the span
    #: stretch only: continues into the next edit as one variable-rate stretch (no crossfade)
    joined: bool = False

    @property
    def in_samples(self) -> int:
        return self.end - self.start

    @property
    def tail(self) -> int:
        """shorten only: output samples taken from the end of the span."""
        return self.out_samples - self.head

    @property
    def speed(self) -> float:
        return self.in_samples / self.out_samples if self.out_samples else float("inf")


@dataclass(frozen=True)
class Plan:
    """Ordered, contiguous edits covering ``[0, num_samples)``; JSON-serialisable."""

    edits: tuple[Edit, ...]
    num_samples: int
    rate: float
    sample_rate: int = SAMPLE_RATE
    options: PlanOptions = field(default_factory=PlanOptions)

    @property
    def out_samples(self) -> int:
        return sum(e.out_samples for e in self.edits)

    @property
    def reduction(self) -> float:
        """Share of the duration removed, 0..1."""
        return 1.0 - self.out_samples / self.num_samples if self.num_samples else 0.0

    @property
    def is_identity(self) -> bool:
        return all(e.kind == "keep" for e in self.edits)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["edits"] = [asdict(e) for e in self.edits]
        d["out_samples"] = self.out_samples
        d["reduction"] = round(self.reduction, 6)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> Plan:
        try:
            names = {f.name for f in fields(cls)}
            kw = {k: v for k, v in d.items() if k in names}
            kw["edits"] = tuple(Edit(**e) for e in d["edits"])
            kw["options"] = PlanOptions(**d.get("options", {}))
            p = cls(**kw)
        except (KeyError, TypeError, AttributeError) as e:
            raise OptionsError(f"not a plan: {e}") from None
        from .plan_check import check_plan

        return check_plan(p)


def _merge(a: Segment, b: Segment) -> Segment:
    """Two consecutive non-speech segments as one (noise if either is noise)."""
    kind = "noise" if "noise" in (a.kind, b.kind) else "silence"
    return Segment(
        kind, a.start, b.end, min(a.confidence, b.confidence), None, a.noise_type or b.noise_type
    )


def check_rate(rate) -> float:
    """``rate`` as a float in [0, 1], or an :class:`OptionsError` quoting it."""
    return validate.number("rate", rate, 0.0, 1.0)


def check_options(options) -> PlanOptions:
    """``options`` (``None``: the defaults) as :class:`PlanOptions`, or an
    :class:`OptionsError` quoting it (a dict or a policy name is not taken for them)."""
    if options is None:
        return PlanOptions()
    if not isinstance(options, PlanOptions):
        raise OptionsError(f"expected PlanOptions or None, got {validate.shown(options)}")
    return options


def check_analysis(analysis) -> Analysis:
    """``analysis`` if it is an :class:`Analysis`, else an :class:`OptionsError` naming it."""
    if not isinstance(analysis, Analysis):
        raise OptionsError(f"expected an Analysis, got {validate.shown(analysis)}")
    return analysis


class Planner:
    """Streaming planner: ``push(segments) -> edits``, ``flush(segments) -> edits``, ``reset()``.

    ``flush`` takes the segments the analyzer closed at the end of the stream (its last one is
    the recording's last segment).
    """

    def __init__(self, rate: float = 0.5, options: PlanOptions | None = None):
        self.rate = check_rate(rate)
        self.options = check_options(options)
        self._min_cut = ms_to_samples(self.options.min_cut_ms)
        self._min_stretch = ms_to_samples(self.options.min_stretch_ms)
        self._max_held = ms_to_samples(MAX_HELD_MS)
        o = self.options
        # the speed policies and within-window rules read the run, where speech speeds up
        reads = o.speed_policy != "uniform" or o.within_window != "flat"
        self._reads_features = reads and o.top_speed(self.rate) > 1.0
        self.reset()

    def reset(self) -> None:
        self._held: Segment | None = None  # the non-speech since the last speech, merged
        self._seen_speech = False
        self._joined = False  # the last edit is a stretch joined to the next segment's
        self._context = RunContext()  # the speech run so far, for the speed policies' features
        self._run_so_far: Segment | None = None
        self._in_run = False  # the last segment was speech that the next one continues
        self._last_speed: float | None = None  # the run's last window's speed

    def push(self, segments: Iterable[Segment]) -> list[Edit]:
        out: list[Edit] = []
        for seg in segments:
            out += self._one(seg)
        return out

    def flush(self, segments: Iterable[Segment] = ()) -> list[Edit]:
        out = self.push(segments)
        if self._held is not None and self._seen_speech:
            out += self._release("trail")
        elif self._held is not None:  # the stream ended without speech
            n = min(self._held.end, ms_to_samples(NO_SPEECH_MS))
            out.append(self._edit("mute", self._held, n))
            self._held = None
        return out

    def _one(self, seg: Segment) -> list[Edit]:
        in_run, self._in_run = self._in_run, seg.kind == "speech" and seg.continues
        if self.rate == 0.0:
            return [self._edit("keep", seg, seg.num_samples)]
        if not in_run:  # a new run: no speed before it to step up from
            self._last_speed = None
        if seg.kind == "speech" and seg.frames is not None and self._reads_features:
            self._run_so_far = self._context.add(seg, joined=in_run)
        if seg.kind == "speech":
            out = self._release("middle" if self._seen_speech else "lead")
            self._seen_speech = True
            return out + self._speech(seg)
        out = []
        if self._held is not None and self._held.num_samples >= self._max_held:
            # held long enough: let it go with its own kept pause (before any speech: all of it)
            out = self._release("middle" if self._seen_speech else "drop")
        self._held = seg if self._held is None else _merge(self._held, seg)
        return out

    def _release(self, where: str) -> list[Edit]:
        held, self._held = self._held, None
        if held is None:
            return []
        if where == "drop":
            return [self._edit("shorten", held, 0)]
        return [self._nonspeech(held, where)]

    @staticmethod
    def _edit(kind: str, seg: Segment, out: int, head: int = 0) -> Edit:
        return Edit(kind, seg.start, seg.end, out, seg.kind, head)

    def _speech(self, seg: Segment) -> list[Edit]:
        """Inner pauses cut, speech spans sped up. A segment split off a longer run
        (``seg.continues``) ends in a stretch joined to the next segment's first span, which
        is then always stretched, so the run is one WSOLA across the split; neither end span
        is held to ``min_stretch_ms``, being part of a longer run."""
        out: list[Edit] = []
        pieces = curve.layout(seg, self.options)
        joined_in, self._joined = self._joined, False
        for i, (kind, a, b) in enumerate(pieces):
            if kind == "pause":
                out.append(self._pause(a, b))
                continue
            first, last = i == 0 and joined_in, i == len(pieces) - 1 and seg.continues
            if not (first or last) and b - a < max(self._min_stretch, 1):
                out.append(Edit("keep", a, b, b - a, "speech"))
                continue
            run = self._run(seg, a, b, force=first, join=last)
            self._joined = last and run[-1].kind == "stretch"
            out += run
        return out

    def _pause(self, a: int, b: int) -> Edit:
        keep = min(b - a, ms_to_samples(self.options.keep_ms("silence", self.rate)))
        if b - a - keep < max(self._min_cut, 1):
            return Edit("keep", a, b, b - a, "silence")
        return Edit("shorten", a, b, keep, "silence", keep // 2)

    def _run(
        self, seg: Segment, a: int, b: int, force: bool = False, join: bool = False
    ) -> list[Edit]:
        """The span ``[a, b)`` as stretch edits, each joined to the next (the last too with
        ``join``), or one keep where nothing speeds up (unless ``force``)."""
        spans = curve.windows(a, b, self.options.window_ms)
        run = self._run_so_far if self._reads_features and seg.frames is not None else None
        # the run's speed just before (also where that piece was kept as is, at 1.0x)
        last = self._last_speed if a == seg.start else None
        speeds = curve.speeds_for(seg, spans, self.rate, self.options, run, last)
        self._last_speed = float(speeds[-1]) if join else None
        fast = len(speeds) and float(np.max(speeds)) > 1.0  # else no frame is sped up
        tense = curve.tension(seg, self.options.within_window, run) if fast else None
        cap = max(2.0, self.options.max_speed)
        parts = [
            p
            for (s, e), v in zip(spans, speeds, strict=True)
            for p in curve.pieces(seg, s, e, float(v), tense, cap)
        ]
        if not force and all(o >= e - s for s, e, o in parts):
            return [Edit("keep", a, b, b - a, "speech")]
        last = len(parts) - 1
        return [
            Edit("stretch", s, e, o, "speech", 0, i < last or join)
            for i, (s, e, o) in enumerate(parts)
        ]

    def _nonspeech(self, seg: Segment, where: str) -> Edit:
        n = seg.num_samples
        target = ms_to_samples(self.options.keep_ms(seg.kind, self.rate))
        if n - target < max(self._min_cut, 1):
            return self._edit("keep", seg, n)
        head = {"middle": target // 2, "lead": 0, "trail": target}[where]
        return self._edit("shorten", seg, target, head)


def plan(analysis: Analysis, rate: float = 0.5, options: PlanOptions | None = None) -> Plan:
    """Edits for ``analysis`` at ``rate`` (0 = identity, 1 = most aggressive): the
    :class:`Planner` run over the whole recording."""
    check_analysis(analysis)
    planner = Planner(rate, options)
    edits = planner.flush(analysis.segments)
    return Plan(
        tuple(edits), analysis.num_samples, planner.rate, analysis.sample_rate, planner.options
    )
