"""Speed curve: how a speech segment becomes cut pauses and sped-up windows.

A speech segment (from :mod:`audiosqueeze.analyze`, with its per-frame measurements) is laid
out as

1. **inner pauses**: runs of at least ``min_inner_pause_ms`` of 32 ms frames that are both
   unlikely speech (VAD probability below ``inner_pause_prob``) and quiet (``inner_pause_drop_db``
   under the segment's speech level). The analysis folds such short pauses into speech; the
   planner shortens them like any other pause;
2. **speech spans** between them, each divided into equal **windows** of about ``window_ms``.

Each window gets one speed, so the local speed ``s(t)`` is piecewise constant at window
resolution (0.5-1 s), bounded by ``max_speed`` and limited to a step of ``max_speed_step``
between neighbouring windows of one analysis segment (no warble); across the segments of a
joined run (64-ms pieces by default) only a speed-up is bounded, by ``max_speed_step`` per
``window_ms`` (a piece cannot slow down the one before it, already planned: a slow-down
there is not held back, :func:`speeds_for`); the renderer's variable-rate WSOLA reads the input
at ``s(t)`` per 16 ms hop, and the time map is the exact integral of ``1/s(t)`` (one linear
piece per window). Where the speeds come from is the policy:

- ``"guard"``: the learned quality guard (:mod:`audiosqueeze.guard`) predicts, for the window
  and each candidate speed, the risk that the recogniser's words there change; the window gets
  the fastest speed whose added risk stays within ``rate x max_risk_increase``;
- ``"cues"``: the hand-weighted :func:`~audiosqueeze.analyze.complexity` of the window
  (the ablation without the guard);
- ``"uniform"``: every window at ``PlanOptions.top_speed(rate)`` (the ``pauses+speed-*``
  baselines are rate 1 of it: our pause cut, then one speed everywhere).

The first two read a window's features from its speech run up to the window's end
(:mod:`audiosqueeze.context`), so a 64-ms analysis piece (the default) is described by the
speech it ends, not as a window of two frames.
"""

from __future__ import annotations

import numpy as np

from . import features
from .analyze import Segment
from .context import FEATURES, context_features, speech_runs
from .units import FRAME_SAMPLES, SAMPLE_RATE, ms_to_samples

_FRAME_S = FRAME_SAMPLES / SAMPLE_RATE


def inner_pauses(seg: Segment, options) -> np.ndarray:
    """``(m, 2)`` sample intervals of the inner pauses of a speech segment (absolute samples),
    frame-aligned, never touching the segment's first or last frame."""
    f = seg.frames
    if f is None or seg.kind != "speech":
        return np.zeros((0, 2), np.int64)
    prob, level = np.asarray(f["prob"]), np.asarray(f["level"])
    n = len(prob)
    need = max(1, int(np.ceil(options.min_inner_pause_ms / 1000 / _FRAME_S)))
    if n < need + 2:  # a pause never touches the first or last frame
        return np.zeros((0, 2), np.int64)
    voiced = level[prob >= 0.5]
    if not len(voiced):
        return np.zeros((0, 2), np.int64)
    quiet = (prob < options.inner_pause_prob) & (
        level < features.median(voiced) - options.inner_pause_drop_db
    )
    quiet[0] = quiet[-1] = False
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    runs = edges.reshape(-1, 2)
    runs = runs[runs[:, 1] - runs[:, 0] >= need]
    return (seg.start + runs * FRAME_SAMPLES).astype(np.int64).reshape(-1, 2)


def layout(seg: Segment, options) -> list[tuple[str, int, int]]:
    """The segment as ordered ``("pause" | "speech", start, end)`` pieces covering it."""
    out, pos = [], seg.start
    for a, b in inner_pauses(seg, options):
        out.append(("speech", pos, int(a)))
        out.append(("pause", int(a), int(b)))
        pos = int(b)
    out.append(("speech", pos, seg.end))
    return out


def windows(start: int, end: int, window_ms: float) -> list[tuple[int, int]]:
    """``[start, end)`` split into equal windows of about ``window_ms`` (at least one)."""
    n = max(1, int(round((end - start) / ms_to_samples(window_ms))))
    cuts = [start + (end - start) * i // n for i in range(n + 1)]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def tension(seg: Segment, rule: str, run: Segment | None = None) -> np.ndarray | None:
    """Per-frame tension in [0, 1] (1 = keep as is, 0 = compress most) of ``seg``'s frames
    under ``rule``, or ``None`` for ``"flat"`` (one speed across each window):

    - ``"stress"`` (MACH1, Covell et al.): loud frames (stressed vowels) keep most, quieter
      ones (unstressed syllables, consonants) give most: the frame's level from 18 dB under
      the run's loud frames (0) to 3 dB under them (1);
    - ``"transients"`` (Lee & Kim): frames where the spectrum changes (onsets, bursts) keep
      most, steady frames give most: spectral flux from the run's 25th percentile (0) to
      its 90th (1).

    "The run" is ``run`` (the speech run up to ``seg``'s end, from a
    :class:`~audiosqueeze.context.RunContext`, so that a 64-ms piece is ranked among the speech
    before it, not among its own two frames), else ``seg`` itself. Smoothed over 3 frames
    (96 ms) so the speed does not jump from frame to frame.
    """
    if rule == "flat" or seg.frames is None:
        return None
    src = seg if run is None else run
    if rule == "stress":
        level = np.asarray(src.frames["level"], np.float64)
        top = float(np.percentile(level, 90))
        t = (level - (top - 18.0)) / 15.0
    else:
        flux = np.asarray(src.frames["flux"], np.float64)
        lo, hi = np.percentile(flux, [25, 90])
        t = (flux - lo) / max(hi - lo, 1e-6)
    t = np.clip(t, 0.0, 1.0)
    t = np.convolve(np.pad(t, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    return t[len(t) - len(seg.frames["level"]) :]


def pieces(seg: Segment, a: int, b: int, speed: float, tense, cap: float) -> list[tuple]:
    """``[a, b)`` at mean speed ``speed`` as ``(start, end, out_samples)`` pieces: one piece
    when ``tense`` is ``None``, else one per analysis frame with local speed
    ``1 + k (1 - tension)``, ``k`` set so the pieces' output adds up to the window's and each
    local speed stays within ``cap``."""
    target = max(1, int(round((b - a) / speed)))
    if tense is None or speed <= 1.0:
        return [(a, b, min(target, b - a))]
    grid = seg.start + FRAME_SAMPLES * np.arange(
        -(-(a - seg.start) // FRAME_SAMPLES), (b - seg.start) // FRAME_SAMPLES + 1
    )
    cuts = [a] + [int(c) for c in grid if a + FRAME_SAMPLES // 2 <= c <= b - FRAME_SAMPLES // 2]
    cuts.append(b)
    lens = np.diff(cuts).astype(np.float64)
    idx = np.clip((np.array(cuts[:-1]) - seg.start) // FRAME_SAMPLES, 0, len(tense) - 1)
    slack = 1.0 - tense[idx]
    if not np.any(slack > 0):
        return [(a, b, min(target, b - a))]

    def out_len(k: float) -> float:
        return float(np.sum(lens / np.minimum(1.0 + k * slack, cap)))

    lo, hi = 0.0, 64.0
    if out_len(hi) > target:  # even the cap everywhere there is slack does not reach it
        return [(a, b, min(target, b - a))]
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if out_len(mid) > target else (lo, mid)
    outs = lens / np.minimum(1.0 + hi * slack, cap)
    ends = np.round(np.cumsum(outs)).astype(np.int64)
    ends[-1] = target
    sizes = np.diff(np.concatenate([[0], ends]))
    return [(cuts[i], cuts[i + 1], int(max(1, min(sizes[i], lens[i])))) for i in range(len(lens))]


def smooth_speeds(speeds: np.ndarray, max_step: float) -> np.ndarray:
    """Lower speeds until neighbours differ by at most ``max_step`` (only ever slows down)."""
    s = np.array(speeds, np.float64)
    for i in range(1, len(s)):
        s[i] = min(s[i], s[i - 1] + max_step)
    for i in range(len(s) - 2, -1, -1):
        s[i] = min(s[i], s[i + 1] + max_step)
    return s


def speeds_for(
    seg: Segment,
    spans: list[tuple[int, int]],
    rate: float,
    options,
    run: Segment | None = None,
    last: float | None = None,
) -> np.ndarray:
    """One speed per window of ``spans`` (inside ``seg``) at ``rate`` under
    ``options.speed_policy``. ``run``: the speech run so far, from a
    :class:`~audiosqueeze.context.RunContext` (default: ``seg`` alone), which the features are
    read from; ``last``: the speed just before ``spans[0]`` in the same run, which the first
    window may exceed by at most ``max_speed_step`` per ``window_ms`` (a slow-down is never
    held back: the bound across pieces only ever slows down, as within them)."""
    top = options.top_speed(rate)
    if options.speed_policy == "uniform" or top <= 1.0:  # (nothing to choose at 1.0x)
        return np.full(len(spans), top)
    if seg.frames is None:  # a segment made by hand: its one complexity for every window
        c = 1.0 if seg.complexity is None else seg.complexity
        return np.full(len(spans), 1.0 + (top - 1.0) * (1.0 - c))
    x = context_features(seg if run is None else run, spans, options.window_ms)
    if options.speed_policy == "cues":
        s = 1.0 + (top - 1.0) * (1.0 - x[:, FEATURES.index("complexity")])
    else:
        from .guard import load_guard

        s = load_guard(options.guard_path).speeds(x, rate * options.max_risk_increase, top)
    s = np.clip(s, 1.0, top)
    if last is not None and len(s):
        a, b = spans[0]
        share = min(1.0, (b - a) / ms_to_samples(options.window_ms))
        s[0] = min(s[0], max(1.0, last + options.max_speed_step * share))
    return smooth_speeds(s, options.max_speed_step)


#: Words per second of speech assumed when turning predicted risk into WER points.
WORDS_PER_S = 2.5


def _stretch_windows(plan, window_ms: float) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The plan's sped-up speech as windows of about ``window_ms`` (each run of adjoining
    stretch edits split evenly) and each window's mean speed (input over output samples)."""
    groups: list[list] = []
    for e in plan.edits:
        if e.kind != "stretch":
            continue
        if groups and groups[-1][-1].end == e.start:
            groups[-1].append(e)
        else:
            groups.append([e])
    spans, speeds = [], []
    for g in groups:
        starts = np.array([e.start for e in g])
        ends = np.array([e.end for e in g])
        ratio = np.array([e.out_samples / e.in_samples for e in g])
        for a, b in windows(g[0].start, g[-1].end, window_ms):
            # the edits that overlap [a, b) only (all of them made it pieces x windows)
            i, j = np.searchsorted(ends, a, side="right"), np.searchsorted(starts, b)
            overlap = np.minimum(ends[i:j], b) - np.maximum(starts[i:j], a)
            out = float(np.sum(overlap * ratio[i:j]))
            spans.append((a, b))
            speeds.append((b - a) / out if out > 0 else 1.0)
    return spans, np.asarray(speeds, np.float64)


def predicted_wer_increase(analysis, plan, options, runs=None) -> float:
    """The guard's estimate of the WER increase (points) that ``plan`` costs: the plan's
    sped-up speech in windows of about ``window_ms`` (whatever the analysis' segment length),
    for each the risk added over 1.0x at its mean speed (about one word changed per risky
    window), over the words in the recording's speech (``WORDS_PER_S`` per second). A rough
    budget, not a promise: ``docs/RESULTS.md`` compares it with measured WER. ``runs``:
    :func:`~audiosqueeze.context.speech_runs` of the analysis, where the caller has them."""
    from .guard import load_guard

    spans, speeds = _stretch_windows(plan, options.window_ms)
    fast = speeds > 1.0 + 1e-9
    if not np.any(fast):
        return 0.0
    runs = speech_runs(analysis.segments) if runs is None else runs
    starts = np.array([r.start for r in runs], np.int64)
    rows, at = [], []
    for (a, b), v in zip(spans, speeds, strict=True):
        i = int(np.searchsorted(starts, a, side="right")) - 1
        if v <= 1.0 + 1e-9 or i < 0 or a >= runs[i].end:
            continue
        rows.append(context_features(runs[i], [(a, min(b, runs[i].end))], options.window_ms)[0])
        at.append(v)
    if not rows:
        return 0.0
    words = max(analysis.seconds("speech") * WORDS_PER_S, 1.0)
    g = load_guard(options.guard_path)
    x = np.asarray(rows)
    added = g.risk(x, np.asarray(at)) - g.risk(x, np.ones(len(rows)))
    return float(100.0 * np.sum(np.maximum(added, 0.0)) / words)
