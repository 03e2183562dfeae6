"""The benchmark's probes of our methods: what a ``sq-*`` probe changes around ``compress``
(:mod:`audiosqueeze.bench.ours` runs them). Each context manager patches one piece of the
library while inside and puts it back after (the bench runs one compression at a time):
the renderer's WSOLA search (:func:`raw_search_probe`), the speeds of the first speech
(:func:`onset_probe`), the VAD gain's restart (:func:`gain_restart_probe`); and
:func:`room_tone` rewrites what the recogniser hears in kept non-speech."""

from __future__ import annotations

import contextlib

import numpy as np

#: Level of the room tone that ``sq-roomtone`` puts in kept non-speech (white noise, RMS).
ROOM_TONE_DBFS = -70.0
#: Linear ramps between the recorded audio and the room tone at each end of a kept stretch.
ROOM_TONE_RAMP = 160


def kept_nonspeech(plan) -> np.ndarray:
    """``(m, 2)`` output-sample spans holding the kept part of shortened non-speech."""
    spans, o = [], 0
    for e in plan.edits:
        if e.kind == "shorten" and e.segment != "speech" and e.out_samples:
            spans.append((o, o + e.out_samples))
        o += e.out_samples
    return np.asarray(spans, np.int64).reshape(-1, 2)


def room_tone(samples: np.ndarray, spans: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """``samples`` with each span replaced by :data:`ROOM_TONE_DBFS` white noise, joined by
    :data:`ROOM_TONE_RAMP`-sample linear ramps inside the span (deterministic for ``seed``)."""
    y = np.array(samples, np.float32, copy=True)
    if not len(spans):
        return y
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(len(y)).astype(np.float32) * np.float32(10 ** (ROOM_TONE_DBFS / 20))
    for a, b in spans:
        r = min(ROOM_TONE_RAMP, (b - a) // 2)
        w = np.zeros(b - a, np.float32)  # weight of the recorded audio
        ramp = (np.arange(r, dtype=np.float32) + 0.5) / max(r, 1)
        w[:r] = 1.0 - ramp
        w[b - a - r :] = ramp
        y[a:b] = y[a:b] * w + noise[a:b] * (1.0 - w)
    return y


@contextlib.contextmanager
def raw_search_probe():
    """The renderer's WSOLA searches by raw correlation, as before the normalised search, while
    inside (the bench runs one compression at a time)."""
    from audiosqueeze.tsm import CurveWSOLA

    before, CurveWSOLA.normalised_search = CurveWSOLA.normalised_search, False
    try:
        yield
    finally:
        CurveWSOLA.normalised_search = before


@contextlib.contextmanager
def onset_probe(onset_ms: float):
    """While inside, the planner keeps at 1.0x every speech window that starts within
    ``onset_ms`` of the first speech it speeds up (the recording's first words; the bench runs
    one compression at a time): the ``pauses+speed-S-onsetMS`` probe."""
    from audiosqueeze import curve
    from audiosqueeze.units import ms_to_samples

    original, first = curve.speeds_for, []

    def capped(seg, spans, *args, **kwargs):
        speeds = original(seg, spans, *args, **kwargs)
        if not first:
            first.append(seg.start + ms_to_samples(onset_ms))
        starts = np.array([a for a, _ in spans], np.int64)
        return np.where(starts < first[0], np.minimum(speeds, 1.0), speeds)

    curve.speeds_for = capped
    try:
        yield
    finally:
        curve.speeds_for = original


@contextlib.contextmanager
def gain_restart_probe(on: bool):
    """Probe of ``vad_reset_drop_db`` (the bench runs one compression at a time): with ``on``
    False ``vad.LevelGain.restart`` does nothing while inside (only Silero's state resets)."""
    from audiosqueeze.vad import LevelGain

    original = LevelGain.restart
    if not on:
        LevelGain.restart = lambda self: None
    try:
        yield
    finally:
        LevelGain.restart = original
