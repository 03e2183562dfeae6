"""The typed immutable results of :func:`~audiosqueeze.compress` and
:func:`~audiosqueeze.compress_file`:

- :class:`Stats`: seconds and audio tokens before and after (:func:`stats_of` makes it);
- :class:`Compressed`: what ``compress`` returns, the audio held in memory;
- :class:`Written`: what ``compress_file`` returns, the paths written (no audio).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .analyze import Analysis
from .output import Outputs
from .plan import Plan
from .timemap import TimeMap
from .tokens import token_table
from .units import to_seconds


@dataclass(frozen=True)
class Stats:
    """Seconds and audio tokens (per built-in profile) before and after compression."""

    input_s: float
    output_s: float
    tokens_before: dict
    tokens_after: dict
    speech_s: float
    silence_s: float
    noise_s: float
    segments: int
    edits: dict

    @property
    def reduction(self) -> float:
        """Share of the duration removed, 0..1."""
        return 1.0 - self.output_s / self.input_s if self.input_s else 0.0

    @property
    def no_speech(self) -> bool:
        """No speech was found: the recording need not be sent to a speech model at all."""
        return self.speech_s == 0

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["reduction"] = round(self.reduction, 6)
        d["no_speech"] = self.no_speech
        return d


def stats_of(analysis: Analysis, p: Plan) -> Stats:
    inp, out = to_seconds(p.num_samples), to_seconds(p.out_samples)
    kinds = [e.kind for e in p.edits]
    return Stats(
        input_s=round(inp, 6),
        output_s=round(out, 6),
        tokens_before=token_table(inp),
        tokens_after=token_table(out),
        speech_s=round(analysis.seconds("speech"), 3),
        silence_s=round(analysis.seconds("silence"), 3),
        noise_s=round(analysis.seconds("noise"), 3),
        segments=analysis.num_runs,
        edits={k: kinds.count(k) for k in ("keep", "shorten", "stretch", "mute")},
    )


@dataclass(frozen=True)
class Compressed:
    """Shorter audio plus everything needed to trust and undo it.

    ``audio``: float32 mono samples at ``sample_rate``; ``timemap``: compressed <-> original
    time; ``plan``: the edits applied; ``stats``: seconds and tokens before/after;
    ``analysis``: the segments the plan was made from.
    """

    audio: np.ndarray
    sample_rate: int
    timemap: TimeMap
    plan: Plan = field(repr=False)  # an edit per 64-ms piece: thousands of lines
    stats: Stats
    analysis: Analysis = field(repr=False)  # a speech probability per 32-ms frame

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate

    @property
    def no_speech(self) -> bool:
        return self.stats.no_speech

    def save(self, path, timemap=None, format: str | None = None) -> Path:
        """Write the audio (flac/wav/ogg/opus by extension, or ``format``) and, optionally, the
        time map as JSON: both atomically, both or neither."""
        with Outputs(path, timemap, format) as out:
            out.write(self.audio)
            out.commit(self.timemap)
        return out.audio_path

    def to_dict(self) -> dict:
        """Everything but the samples, for ``--json`` output."""
        return {
            "stats": self.stats.to_dict(),
            "plan": self.plan.to_dict(),
            "timemap": self.timemap.to_dict(),
            "analysis": self.analysis.to_dict(),
        }


@dataclass(frozen=True)
class Written:
    """What :func:`compress_file` wrote: the audio ``path`` (and ``timemap_path``; both None
    where a recording without speech was skipped), with the time map, plan, stats and analysis
    of the result."""

    path: Path | None
    timemap_path: Path | None
    timemap: TimeMap
    plan: Plan = field(repr=False)
    stats: Stats
    analysis: Analysis = field(repr=False)

    @property
    def duration_s(self) -> float:
        """Seconds of audio written (what ``sq.tokens(written)`` counts)."""
        return self.plan.out_samples / self.plan.sample_rate

    @property
    def no_speech(self) -> bool:
        return self.stats.no_speech

    def to_dict(self) -> dict:
        return {
            "path": None if self.path is None else str(self.path),
            "timemap_path": None if self.timemap_path is None else str(self.timemap_path),
            "stats": self.stats.to_dict(),
            "plan": self.plan.to_dict(),
            "timemap": self.timemap.to_dict(),
        }
