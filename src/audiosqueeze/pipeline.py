"""The public verbs: :func:`compress` runs load -> analyze -> plan -> render in one call."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analyze import Analysis, AnalyzeOptions, analyze
from .audio import Audio, Source, load, save
from .errors import OptionsError
from .plan import Plan, PlanOptions, plan, plan_for_target
from .render import render, timemap_of
from .timemap import TimeMap
from .tokens import token_table
from .tsm import TSM_METHODS
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

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["reduction"] = round(self.reduction, 6)
        return d


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
    plan: Plan
    stats: Stats
    analysis: Analysis

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate

    def save(self, path: str | os.PathLike, timemap: str | os.PathLike | None = None) -> Path:
        """Write the audio (wav/flac/ogg by extension) and, optionally, the time map as JSON;
        both atomically."""
        out = save(path, self.audio, self.sample_rate)
        if timemap is not None:
            _write_text_atomic(Path(timemap), self.timemap.to_json())
        return out

    def to_dict(self) -> dict:
        """Everything but the samples, for ``--json`` output."""
        return {
            "stats": self.stats.to_dict(),
            "plan": self.plan.to_dict(),
            "timemap": self.timemap.to_dict(),
            "analysis": self.analysis.to_dict(),
        }


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _stats(analysis: Analysis, p: Plan) -> Stats:
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
        segments=len(analysis.segments),
        edits={k: kinds.count(k) for k in ("keep", "shorten", "stretch")},
    )


def compress(
    src: Source | Audio,
    rate: float = 0.5,
    *,
    target_reduction: float | None = None,
    vad: str | None = None,
    sample_rate: int | None = None,
    analyze_options: AnalyzeOptions | None = None,
    plan_options: PlanOptions | None = None,
    tsm: str = "wsola",
) -> Compressed:
    """Shorten speech audio for a speech model.

    ``src``: a path, bytes, file object, :class:`Audio` or NumPy array (with ``sample_rate``).
    ``rate``: 0 returns the (16 kHz) input bit-exact, 1 is the most aggressive setting.
    ``target_reduction``: instead of ``rate``, the share of duration to remove (e.g. 0.4);
    the lowest rate reaching it is used. ``vad``: "silero" (default), "webrtc" or "energy".

    >>> import numpy as np, audiosqueeze as sq
    >>> tone = np.sin(np.arange(16000) / 5).astype(np.float32)
    >>> quiet = np.zeros(48000, np.float32)
    >>> x = np.concatenate([tone, quiet, tone])
    >>> out = sq.compress(x, rate=1.0, sample_rate=16000, vad="energy")
    >>> round(out.stats.input_s, 2), round(out.stats.output_s, 2)
    (5.0, 1.87)
    """
    if tsm not in TSM_METHODS:
        raise OptionsError(f"unknown TSM method {tsm!r}; choose one of {', '.join(TSM_METHODS)}")
    audio = load(src, sample_rate=sample_rate)
    options = analyze_options or AnalyzeOptions()
    if vad is not None:
        options = AnalyzeOptions(**{**options.__dict__, "vad": vad})
    analysis = analyze(audio, options)
    if target_reduction is not None:
        p = plan_for_target(analysis, target_reduction, plan_options)
    else:
        p = plan(analysis, rate, plan_options)
    samples = render(audio.samples, p, tsm)
    return Compressed(samples, audio.sample_rate, timemap_of(p), p, _stats(analysis, p), analysis)
