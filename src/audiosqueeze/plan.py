"""Plan: turn an :class:`~audiosqueeze.analyze.Analysis` and a ``rate`` into ordered edits.

``rate`` runs from 0 (the identity plan: output bit-exact to the input) to 1 (most aggressive).
Non-speech longer than the kept pause is shortened to it (never removed: recognisers use pauses
as word and sentence boundaries); easy speech (low complexity) is sped up, hard speech is kept.
Each edit depends only on its own segment, so planning streams.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field, fields

from .analyze import Analysis, Segment
from .errors import OptionsError
from .units import SAMPLE_RATE, ms_to_samples, to_seconds

EDIT_KINDS = ("keep", "shorten", "stretch")


@dataclass(frozen=True)
class PlanOptions:
    """Every threshold of the planner, with units in the names."""

    max_keep_pause_ms: float = 1000.0  #: kept pause just above rate 0 (longer pauses shortened)
    min_keep_pause_ms: float = 150.0  #: kept pause at rate 1
    min_keep_noise_ms: float = 100.0  #: kept noise at rate 1 (noise is where ASR hallucinates)
    crossfade_ms: float = 10.0  #: equal-power crossfade at each cut and stretch boundary
    max_speed: float = 1.25  #: speed-up of the easiest speech at rate 1 (1.0 = never stretch)
    max_stretch_complexity: float = 0.35  #: speech above this complexity is never stretched
    min_stretch_ms: float = 400.0  #: speech segments shorter than this are never stretched

    def __post_init__(self) -> None:
        if not 0 < self.min_keep_pause_ms <= self.max_keep_pause_ms:
            raise OptionsError(
                "need 0 < min_keep_pause_ms <= max_keep_pause_ms, got "
                f"{self.min_keep_pause_ms!r} and {self.max_keep_pause_ms!r}"
            )
        if not 0 < self.min_keep_noise_ms <= self.max_keep_pause_ms:
            raise OptionsError(
                "min_keep_noise_ms must be in (0, max_keep_pause_ms], "
                f"got {self.min_keep_noise_ms!r}"
            )
        if not 0 <= self.crossfade_ms <= self.min_keep_noise_ms:
            raise OptionsError(
                f"crossfade_ms must be in [0, min_keep_noise_ms], got {self.crossfade_ms!r}"
            )
        if not 1.0 <= self.max_speed <= 2.0:
            raise OptionsError(f"max_speed must be in [1, 2], got {self.max_speed!r}")
        if not 0.0 < self.max_stretch_complexity <= 1.0:
            raise OptionsError(
                f"max_stretch_complexity must be in (0, 1], got {self.max_stretch_complexity!r}"
            )

    def keep_ms(self, kind: str, rate: float) -> float:
        """Longest non-speech kept whole at ``rate``; longer stretches are shortened to it."""
        low = self.min_keep_noise_ms if kind == "noise" else self.min_keep_pause_ms
        return self.max_keep_pause_ms - rate * (self.max_keep_pause_ms - low)

    def speed(self, complexity: float, rate: float) -> float:
        """Speed-up for speech of ``complexity`` at ``rate`` (1.0 = unchanged)."""
        if complexity > self.max_stretch_complexity:
            return 1.0
        return 1.0 + rate * (self.max_speed - 1.0) * (
            1.0 - complexity / self.max_stretch_complexity
        )


@dataclass(frozen=True)
class Edit:
    """Input ``[start, end)`` becomes ``out_samples`` output samples.

    ``keep``: copied. ``shorten``: the middle is cut out and the two ends joined with a
    crossfade. ``stretch``: pitch-preserving time-scale modification.
    """

    kind: str
    start: int
    end: int
    out_samples: int
    segment: str  #: kind of the analysed segment: silence, noise or speech

    @property
    def in_samples(self) -> int:
        return self.end - self.start

    @property
    def speed(self) -> float:
        return self.in_samples / self.out_samples


@dataclass(frozen=True)
class Plan:
    """Ordered, contiguous edits covering ``[0, num_samples)``; JSON-serialisable."""

    edits: tuple[Edit, ...]
    num_samples: int
    rate: float
    crossfade_samples: int
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
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["edits"] = tuple(Edit(**e) for e in d["edits"])
        kw["options"] = PlanOptions(**d.get("options", {}))
        return cls(**kw)


def plan_segment(seg: Segment, rate: float, options: PlanOptions) -> Edit:
    """The edit for one analysed segment."""
    n = seg.num_samples
    keep = Edit("keep", seg.start, seg.end, n, seg.kind)
    if rate == 0.0:
        return keep
    if seg.kind == "speech":
        if seg.complexity is None or n < ms_to_samples(options.min_stretch_ms):
            return keep
        speed = options.speed(seg.complexity, rate)
        out = int(round(n / speed))
        return Edit("stretch", seg.start, seg.end, out, seg.kind) if out < n else keep
    target = ms_to_samples(options.keep_ms(seg.kind, rate))
    if n - target <= ms_to_samples(options.crossfade_ms):
        return keep  # too little to cut to be worth a join
    return Edit("shorten", seg.start, seg.end, target, seg.kind)


def _check_rate(rate: float) -> float:
    if not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        raise OptionsError(f"rate must be a number in [0, 1], got {rate!r}")
    return float(rate)


def plan(analysis: Analysis, rate: float = 0.5, options: PlanOptions | None = None) -> Plan:
    """Edits for ``analysis`` at ``rate`` (0 = identity, 1 = most aggressive)."""
    options = options or PlanOptions()
    rate = _check_rate(rate)
    edits = tuple(plan_segment(s, rate, options) for s in analysis.segments)
    return Plan(
        edits,
        analysis.num_samples,
        rate,
        ms_to_samples(options.crossfade_ms),
        analysis.sample_rate,
        options,
    )


class TargetNotReachedWarning(UserWarning):
    """``target_reduction`` is more than rate 1 gives; the rate-1 plan is returned."""


def plan_for_target(
    analysis: Analysis, target_reduction: float, options: PlanOptions | None = None
) -> Plan:
    """The lowest-rate plan whose reduction reaches ``target_reduction`` (bisection on rate)."""
    if not 0.0 <= target_reduction < 1.0:
        raise OptionsError(f"target_reduction must be in [0, 1), got {target_reduction!r}")
    hi = plan(analysis, 1.0, options)
    if hi.reduction < target_reduction:
        warnings.warn(
            f"target_reduction={target_reduction:.3f} is not reachable: rate 1 gives "
            f"{hi.reduction:.3f} on {to_seconds(analysis.num_samples):.1f} s of audio",
            TargetNotReachedWarning,
            stacklevel=2,
        )
        return hi
    lo_rate, hi_rate = 0.0, 1.0
    for _ in range(30):
        mid = (lo_rate + hi_rate) / 2
        if plan(analysis, mid, options).reduction >= target_reduction:
            hi_rate = mid
        else:
            lo_rate = mid
    return plan(analysis, hi_rate, options)
