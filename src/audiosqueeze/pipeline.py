"""The drivers of the one core (:class:`~audiosqueeze.stream.Stream`):

- :func:`compress`: an input run through the stream to the end, output held in memory;
- :func:`compress_file`: file blocks through the stream, output written straight to a file.

Both take one pass over the input for ``rate``; ``target_reduction`` needs the whole analysis
before the first edit, so it takes two (analysis, then render of the chosen plan). Inputs are
decoded block by block (:mod:`audiosqueeze.decode`), so only the output is ever held whole.
Their results (:class:`Compressed`, :class:`Written`) are in :mod:`audiosqueeze.results`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import validate
from .analyze import Analysis, AnalyzeOptions, Analyzer
from .audio import Resampler
from .decode import Input, Source, open_input
from .errors import EmptyAudioError, OptionsError, QuietInputWarning, warn
from .output import Outputs
from .plan import PlanOptions, check_rate, plan
from .plan_search import plan_for_budget, plan_for_target
from .render import RenderOptions, timemap_of
from .results import Compressed, Written, stats_of
from .stream import Stream
from .units import SAMPLE_RATE

Progress = Callable[[str, float, "float | None"], None]


def _check(rate, target_reduction, analysis, max_wer_increase=None) -> None:
    check_rate(rate)
    if target_reduction is not None:
        validate.number("target_reduction", target_reduction, 0.0, 1.0, hi_open=True)
    if max_wer_increase is not None:
        validate.number("max_wer_increase", max_wer_increase, 0.0, 100.0)
        if target_reduction is not None:
            raise OptionsError("give target_reduction or max_wer_increase, not both")
    if analysis is not None and not isinstance(analysis, Analysis):
        raise OptionsError(f"analysis must be an Analysis, got {type(analysis).__name__!r}")


def analyze(src: Source, options: AnalyzeOptions | None = None, *, sample_rate=None) -> Analysis:
    """Classify ``src`` into silence / noise / speech segments: the input decoded block by
    block, resampled to 16 kHz and run through an :class:`~audiosqueeze.analyze.Analyzer` to
    the end. :class:`~audiosqueeze.EmptyAudioError` where that leaves no 16 kHz sample, as for
    ``compress``."""
    return analyze_input(open_input(src, sample_rate), options)


def analyze_input(inp: Input, options: AnalyzeOptions | None, progress=None) -> Analysis:
    """:func:`~audiosqueeze.analyze` of an opened input (``progress`` as for ``compress``)."""
    rs, analyzer, done = Resampler(inp.rate, inp.name), Analyzer(options), 0
    total = inp.frames_hint / inp.rate if inp.frames_hint else None
    for block in inp.blocks():
        analyzer.push(rs.push(block))
        done += len(block)
        if progress is not None:
            progress("analyze", done / inp.rate, total)
    analyzer.push(rs.flush())
    analyzer.flush()
    result = analyzer.result()
    if result.num_samples == 0:
        raise _nothing_left(inp, done)
    return result


def _nothing_left(inp: Input, done: int) -> EmptyAudioError:
    return EmptyAudioError(f"{inp.name}: {done} samples at {inp.rate} Hz make no 16 kHz sample")


def _run(inp: Input, rate, target_reduction, analysis, ao, po, ro, sink, progress, budget=None):
    """Drive a :class:`Stream` over ``inp``; ``sink`` takes each output chunk. Returns
    ``(plan, analysis)``."""
    report = progress or (lambda stage, done, total: None)
    if target_reduction is not None or analysis is not None or budget is not None:
        if analysis is None:
            analysis = analyze_input(inp, ao, report)
        if target_reduction is not None:
            p = plan_for_target(analysis, target_reduction, po)
        elif budget is not None:
            p = plan_for_budget(analysis, budget, po)
        else:
            p = plan(analysis, rate, po)
        stream = Stream.from_plan(p, sample_rate=inp.rate, render_options=ro, name=inp.name)
    else:
        stream = Stream(
            rate,
            sample_rate=inp.rate,
            analyze_options=ao,
            plan_options=po,
            render_options=ro,
            name=inp.name,
        )
    total = inp.frames_hint / inp.rate if inp.frames_hint else None
    done = 0
    for block in inp.blocks():
        sink(stream.push(block))
        done += len(block)
        report("compress", done / inp.rate, total)
    sink(stream.flush())
    if stream.samples_in == 0:  # e.g. 5 samples at 384 kHz: a fifth of a 16 kHz sample
        raise _nothing_left(inp, done)
    p = stream.plan()
    a = analysis if analysis is not None else stream.analysis
    if a.num_samples != p.num_samples:
        raise OptionsError(
            f"analysis covers {a.num_samples} samples but the audio has {p.num_samples}"
        )
    _warn_if_quiet(a, ao)
    return p, a


#: A recording whose loudest stretch (a segment's median level) lies in this range, less the
#: VAD's input gain at its top, is quiet enough for the VAD to miss speech; below the range it
#: is (near) digital silence.
QUIET_DBFS = (-90.0, -45.0)


def quiet_input_message(a: Analysis, ao: AnalyzeOptions | None = None) -> str | None:
    """Why the VAD may take ``a``'s speech for silence (the :class:`QuietInputWarning` that
    ``compress`` gives), or ``None``: the recording's loudest stretch lies in
    :data:`QUIET_DBFS`, less the VAD's input gain at its top (not for the energy VAD)."""
    ao = ao or AnalyzeOptions()
    loudest = a.loudest_db
    top = QUIET_DBFS[1] - ao.vad_max_gain_db
    if loudest is None or not QUIET_DBFS[0] <= loudest < top or a.vad == "energy":
        return None
    return (
        f"the recording is quiet (its loudest stretch is at {loudest:.1f} dBFS) and the "
        f"{a.vad} VAD, hearing it raised by at most {ao.vad_max_gain_db:g} dB, may take "
        "speech for silence: raise its level, or the VAD's gain "
        "(AnalyzeOptions(vad_max_gain_db=...), --vad-gain)"
    )


def _warn_if_quiet(a: Analysis, ao: AnalyzeOptions | None) -> None:
    message = quiet_input_message(a, ao)
    if message is not None:
        warn(QuietInputWarning(message))


class _Collector:
    """Holds the output chunks in one buffer (the output is never longer than the input)."""

    def __init__(self, capacity: int):
        self.buf = np.empty(max(capacity, 1), np.float32)
        self.n = 0

    def __call__(self, y: np.ndarray) -> None:
        if self.n + len(y) > len(self.buf):
            grown = np.empty(max(2 * len(self.buf), self.n + len(y)), np.float32)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        self.buf[self.n : self.n + len(y)] = y
        self.n += len(y)


def compress(
    src: Source,
    rate: float = 0.5,
    *,
    target_reduction: float | None = None,
    sample_rate: int | None = None,
    analyze_options: AnalyzeOptions | None = None,
    plan_options: PlanOptions | None = None,
    render_options: RenderOptions | None = None,
    analysis: Analysis | None = None,
    progress: Progress | None = None,
    max_wer_increase: float | None = None,
    verify=None,
    verify_rounds: int = 2,
    verify_min_probability: float | None = None,
    verify_scope: str | None = None,
) -> Compressed:
    """Shorten speech audio for a speech model.

    ``src``: a path, bytes, file object, :class:`Audio` or NumPy array (with ``sample_rate``).
    ``rate``: 0 returns the (16 kHz) input bit-exact; up to 0.5 only pauses shrink (0.5: every
    pause cut, speech untouched); above 0.5 speech speeds up too, to ``max_speed`` at 1.
    ``target_reduction``: instead of ``rate``, the share of duration to remove (e.g. 0.4);
    the lowest rate reaching it is used. ``analysis``: an earlier ``analyze()`` of the same
    audio, to try several rates cheaply. ``progress(stage, done_s, total_s)``: called per block.
    ``max_wer_increase``: instead of ``rate``, a quality budget in WER points: the highest rate
    whose guard-predicted WER increase stays within it
    (:func:`~audiosqueeze.plan_search.plan_for_budget`): a rough budget, not a promise (on dev
    clips the guard never saw, 0.5 cost Whisper tiny.en +0.17 on LibriSpeech and +1.26 on
    Common Voice; ``docs/RESULTS.md``). The guard sees no added risk in small speed-ups, so
    even a small budget speeds speech up (0.25 picks rate 0.65 on average over 200 dev clips,
    ``docs/results/budget-knob-v21.txt``); for pauses only, use ``rate=0.5``.
    ``verify``: a local recogniser name (e.g. ``"whisper-tiny.en"``, see
    :mod:`audiosqueeze.asr`) or object; the speech near words it is unsure of on the original
    (probability below ``verify_min_probability``, default
    :data:`~audiosqueeze.verify.VERIFY_MIN_PROBABILITY`) and near words that change in the
    output is slowed down (``verify_scope`` says how); the output is checked at most
    ``verify_rounds`` times (0: the first part only) and the checked render with the fewest
    changed words is returned; ``verify_scope``: what a word slows down, its whole utterance a
    step at a time (``"utterance"``, the default, :data:`~audiosqueeze.verify.VERIFY_SCOPE`) or
    only the sped-up windows near it (``"window"``; :mod:`audiosqueeze.verify`).

    >>> import numpy as np, audiosqueeze as sq
    >>> tone = np.sin(np.arange(16000) / 5).astype(np.float32)
    >>> x = np.concatenate([tone, np.zeros(48000, np.float32), tone])
    >>> energy = sq.AnalyzeOptions(vad="energy")
    >>> out = sq.compress(x, 1.0, sample_rate=16000, analyze_options=energy)
    >>> round(out.stats.input_s, 2), round(out.stats.output_s, 2)
    (5.0, 1.45)
    """
    _check(rate, target_reduction, analysis, max_wer_increase)  # before decoding anything
    if verify is not None:
        from .audio import load
        from .verify import VERIFY_MIN_PROBABILITY, VERIFY_SCOPE, VERIFY_SCOPES, resolve_asr
        from .verify import verify as refine

        if verify_scope is None:
            verify_scope = VERIFY_SCOPE
        validate.choice("verify_scope", verify_scope, VERIFY_SCOPES)
        validate.integer("verify_rounds", verify_rounds, 0, 10)
        if verify_min_probability is None:
            verify_min_probability = VERIFY_MIN_PROBABILITY
        validate.number("verify_min_probability", verify_min_probability, 0.0, 1.0)
        asr = resolve_asr(verify)
        x = load(src, sample_rate=sample_rate).samples
        kw = dict(analyze_options=analyze_options, plan_options=plan_options)
        first = compress(
            x, rate, target_reduction=target_reduction, sample_rate=SAMPLE_RATE,
            max_wer_increase=max_wer_increase,
            render_options=render_options, analysis=analysis, progress=progress, **kw,
        )  # fmt: skip
        return refine(
            x, first, asr, verify_rounds, render_options, verify_min_probability, verify_scope
        )
    inp = open_input(src, sample_rate)
    hint = inp.frames_hint * SAMPLE_RATE // inp.rate + SAMPLE_RATE if inp.frames_hint else 0
    sink = _Collector(min(hint, 4 * 3600 * SAMPLE_RATE))
    w = compress_to_sink(
        inp,
        sink,
        rate,
        target_reduction=target_reduction,
        analyze_options=analyze_options,
        plan_options=plan_options,
        render_options=render_options,
        analysis=analysis,
        progress=progress,
        max_wer_increase=max_wer_increase,
    )
    return Compressed(sink.buf[: sink.n], SAMPLE_RATE, w.timemap, w.plan, w.stats, w.analysis)


def compress_file(
    src: Source,
    dst,
    rate: float = 0.5,
    *,
    target_reduction: float | None = None,
    timemap=None,
    format: str | None = None,
    analyze_options: AnalyzeOptions | None = None,
    plan_options: PlanOptions | None = None,
    render_options: RenderOptions | None = None,
    progress: Progress | None = None,
    skip_no_speech: bool = False,
    max_wer_increase: float | None = None,
) -> Written:
    """:func:`compress` from ``src`` straight into the file ``dst`` (flac/wav/ogg/opus by
    extension, or ``format``), in bounded memory; ``timemap``: also write the time map there.

    Both paths are checked before any work; the audio and the time map are renamed into place
    together at the end, so an interrupted run leaves neither (and the next run removes its
    temporary files). ``progress(stage, done_s, total_s)`` is called per block. With
    ``skip_no_speech``, a recording without speech is not written (``Written.path`` is None).
    """
    _check(rate, target_reduction, None, max_wer_increase)
    with Outputs(dst, timemap, format, source=src) as out:
        inp = open_input(src)
        p, a = _run(
            inp,
            rate,
            target_reduction,
            None,
            analyze_options,
            plan_options,
            render_options,
            out.write,
            progress,
            max_wer_increase,
        )
        tm, stats = timemap_of(p), stats_of(a, p)
        if skip_no_speech and stats.no_speech:
            return Written(None, None, tm, p, stats, a)
        out.commit(tm)
    return Written(out.audio_path, out.timemap_path, tm, p, stats, a)


def compress_to_sink(
    src: Source,
    sink: Callable[[np.ndarray], None],
    rate: float = 0.5,
    *,
    target_reduction: float | None = None,
    sample_rate: int | None = None,
    analyze_options: AnalyzeOptions | None = None,
    plan_options: PlanOptions | None = None,
    render_options: RenderOptions | None = None,
    analysis: Analysis | None = None,
    progress: Progress | None = None,
    max_wer_increase: float | None = None,
) -> Written:
    """:func:`compress` handing each output chunk to ``sink`` as it is made (e.g. raw PCM to
    stdout, or a buffer); nothing is held here. The result has no paths."""
    _check(rate, target_reduction, analysis, max_wer_increase)
    inp = open_input(src, sample_rate)
    p, a = _run(
        inp,
        rate,
        target_reduction,
        analysis,
        analyze_options,
        plan_options,
        render_options,
        sink,
        progress,
        max_wer_increase,
    )
    return Written(None, None, timemap_of(p), p, stats_of(a, p), a)
