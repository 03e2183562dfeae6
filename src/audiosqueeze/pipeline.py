"""The public verbs: :func:`compress` runs load -> analyze -> plan -> render in one call."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analyze import Analysis, AnalyzeOptions, Analyzer, analyze
from .audio import WRITE_FORMATS, Audio, Source, load, save, write_text_atomic
from .errors import AudioFileNotFoundError, OptionsError, UnsupportedFormatError
from .plan import Edit, Plan, PlanOptions, plan, plan_for_target
from .render import CONTEXT_SAMPLES, render, render_edit, timemap_of
from .timemap import TimeMap
from .tokens import token_table
from .tsm import TSM_METHODS
from .units import SAMPLE_RATE, to_seconds


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
        if len(self.audio) != self.plan.out_samples:
            raise OptionsError(
                "this result holds no samples (compress_file wrote them to its dst); "
                "use compress() for audio in memory"
            )
        out = save(path, self.audio, self.sample_rate)
        if timemap is not None:
            write_text_atomic(timemap, self.timemap.to_json())
        return out

    def to_dict(self) -> dict:
        """Everything but the samples, for ``--json`` output."""
        return {
            "stats": self.stats.to_dict(),
            "plan": self.plan.to_dict(),
            "timemap": self.timemap.to_dict(),
            "analysis": self.analysis.to_dict(),
        }


def _options(analyze_options: AnalyzeOptions | None, vad: str | None) -> AnalyzeOptions:
    options = analyze_options or AnalyzeOptions()
    if vad is not None:
        options = dataclasses.replace(options, vad=vad)
    return options


def _make_plan(analysis: Analysis, rate, target_reduction, plan_options) -> Plan:
    if target_reduction is not None:
        return plan_for_target(analysis, target_reduction, plan_options)
    return plan(analysis, rate, plan_options)


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
    analysis: Analysis | None = None,
) -> Compressed:
    """Shorten speech audio for a speech model.

    ``src``: a path, bytes, file object, :class:`Audio` or NumPy array (with ``sample_rate``).
    ``rate``: 0 returns the (16 kHz) input bit-exact, 1 is the most aggressive setting.
    ``target_reduction``: instead of ``rate``, the share of duration to remove (e.g. 0.4);
    the lowest rate reaching it is used. ``vad``: "silero" (default), "webrtc" or "energy".
    ``analysis``: an earlier ``analyze()`` of the same audio, to try several rates cheaply.

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
    if analysis is None:
        analysis = analyze(audio, _options(analyze_options, vad))
    elif analysis.num_samples != audio.num_samples:
        raise OptionsError(
            f"analysis covers {analysis.num_samples} samples but the audio has {audio.num_samples}"
        )
    p = _make_plan(analysis, rate, target_reduction, plan_options)
    samples = render(audio.samples, p, tsm)
    return Compressed(samples, audio.sample_rate, timemap_of(p), p, _stats(analysis, p), analysis)


#: Block size of the file path: 30 s of 16 kHz audio per read.
_BLOCK = 30 * SAMPLE_RATE


def compress_file(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    rate: float = 0.5,
    *,
    target_reduction: float | None = None,
    vad: str | None = None,
    analyze_options: AnalyzeOptions | None = None,
    plan_options: PlanOptions | None = None,
    tsm: str = "wsola",
    progress: Callable[[str, int, int], None] | None = None,
) -> Compressed:
    """:func:`compress` from file to file in bounded memory (long recordings).

    ``progress(stage, done, total)`` is called as work advances (stage ``"analyze"`` or
    ``"render"``, counts in input samples), e.g. to drive a progress bar.

    A 16 kHz mono input is read in blocks twice: once through the streaming analyzer, once
    edit by edit (with TSM context) while the output is written to a temporary file that is
    renamed over ``dst`` at the end. Other inputs are first decoded and resampled in memory.
    The decisions and samples are those of :func:`compress`; the returned ``audio`` is empty.
    """
    import soundfile as sf

    src, dst = Path(src), Path(dst)
    fmt = WRITE_FORMATS.get(dst.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"cannot write {str(dst)!r}: use one of {sorted(WRITE_FORMATS)}"
        )
    if not dst.parent.is_dir():
        raise AudioFileNotFoundError(f"output folder {str(dst.parent)!r} does not exist")
    if tsm not in TSM_METHODS:
        raise OptionsError(f"unknown TSM method {tsm!r}; choose one of {', '.join(TSM_METHODS)}")
    try:
        info = sf.info(str(src))
        streamable = info.samplerate == 16000 and info.channels == 1 and info.frames > 0
    except Exception:  # not readable by soundfile: let load() decode it and report errors
        streamable = False
    if not streamable:
        out = compress(
            src,
            rate,
            target_reduction=target_reduction,
            vad=vad,
            analyze_options=analyze_options,
            plan_options=plan_options,
            tsm=tsm,
        )
        out.save(dst)
        return out
    analyzer = Analyzer(_options(analyze_options, vad))
    report = progress or (lambda stage, done, total: None)
    done = 0
    for block in sf.blocks(str(src), blocksize=_BLOCK, dtype="float32"):
        if not np.all(np.isfinite(block)):
            load(block, sample_rate=16000)  # raises the same error as the in-memory path
        analyzer.push(block)
        done += len(block)
        report("analyze", done, info.frames)
    analyzer.flush()
    analysis = analyzer.result()
    p = _make_plan(analysis, rate, target_reduction, plan_options)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent)
    os.close(fd)
    try:
        with sf.SoundFile(str(src)) as fin, sf.SoundFile(tmp, "w", 16000, 1, format=fmt) as fout:
            for edit in p.edits:
                a = max(0, edit.start - CONTEXT_SAMPLES)
                b = min(analysis.num_samples, edit.end + CONTEXT_SAMPLES)
                fin.seek(a)
                window = fin.read(b - a, dtype="float32")
                local = Edit(
                    edit.kind, edit.start - a, edit.end - a, edit.out_samples, edit.segment
                )
                fout.write(render_edit(window, local, p.crossfade_samples, tsm))
                report("render", edit.end, analysis.num_samples)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    empty = np.zeros(0, np.float32)
    return Compressed(empty, 16000, timemap_of(p), p, _stats(analysis, p), analysis)
