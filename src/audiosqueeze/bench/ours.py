"""Our methods in the benchmark, through the public API only (``import audiosqueeze``).

- ``sq-0.25`` ... ``sq-1.0``: :func:`audiosqueeze.compress` at that rate, defaults otherwise.
- ``sq-default``: ``compress`` with every default (rate and options), its output sent as is.
- ``sq-default-skip``: the same, but a recording the library flags as having no speech
  (``stats.no_speech``) is not sent at all, as the CLI's skip option does.
- The pause-treatment ablation, each ``compress`` defaults with one thing changed in what the
  recogniser hears in the kept part of shortened non-speech:
  ``sq-nsgain0`` / ``sq-nsgain-15`` / ``sq-nsgain-30``: ``RenderOptions(nonspeech_gain_db=)``
  of 0, -15 or -30 dB; ``sq-roomtone``: that kept part replaced, inside 10 ms ramps, by
  :data:`ROOM_TONE_DBFS` white noise (built here, on the rendered audio and its plan).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import MissingDependencyError

RATES = ("sq-0.25", "sq-0.5", "sq-0.75", "sq-1.0")
GAINS_DB = {"sq-nsgain0": 0.0, "sq-nsgain-15": -15.0, "sq-nsgain-30": -30.0}
OURS = (*RATES, "sq-default", "sq-default-skip", *GAINS_DB, "sq-roomtone")
#: Level of the room tone that ``sq-roomtone`` puts in kept non-speech (white noise, RMS).
ROOM_TONE_DBFS = -70.0
#: Linear ramps between the recorded audio and the room tone at each end of a kept stretch.
ROOM_TONE_RAMP = 160


@dataclasses.dataclass(frozen=True)
class OursOutput:
    """What one of our methods made: samples (empty where the call is skipped), the
    library's result, and whether the library flagged the recording as having no speech."""

    samples: np.ndarray
    result: object
    no_speech: bool | None
    skipped: bool


def _render_options(gain_db: float, *, required: bool = True):
    """``sq.RenderOptions(nonspeech_gain_db=gain_db)``; None (or an error if ``required``)
    where the core has no such option."""
    import audiosqueeze as sq

    cls = getattr(sq, "RenderOptions", None)
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else ()
    if "nonspeech_gain_db" in names:
        return cls(nonspeech_gain_db=gain_db)
    if required:
        raise MissingDependencyError(
            "the nonspeech-gain methods need sq.RenderOptions(nonspeech_gain_db=...), "
            "which this audiosqueeze core does not have yet"
        )
    return None


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


def run_ours(method: str, samples: np.ndarray, *, analysis=None) -> OursOutput:
    """Run one of :data:`OURS` on 16 kHz mono ``samples`` (``analysis``: reusable)."""
    import audiosqueeze as sq

    kw = {"sample_rate": sq.SAMPLE_RATE, "analysis": analysis}
    if method in RATES:
        r = sq.compress(samples, float(method[3:]), **kw)
    elif method in GAINS_DB:
        r = sq.compress(samples, render_options=_render_options(GAINS_DB[method]), **kw)
    elif method == "sq-roomtone":
        options = _render_options(0.0, required=False)
        if options is not None:
            kw["render_options"] = options
        r = sq.compress(samples, **kw)
    else:
        r = sq.compress(samples, **kw)
    no_speech = getattr(r.stats, "no_speech", None)
    out = r.audio
    if method == "sq-roomtone":
        out = room_tone(out, kept_nonspeech(r.plan))
    skipped = method == "sq-default-skip" and bool(no_speech)
    if skipped:
        out = np.zeros(0, np.float32)
    return OursOutput(np.asarray(out, np.float32), r, no_speech, skipped)
