"""Render: apply a :class:`~audiosqueeze.plan.Plan` to audio, and build the time map.

Cuts join with a short equal-power crossfade (sine/cosine gains, so the summed power of two
unrelated signals stays level and no click appears); stretched speech uses pitch-preserving
TSM (:mod:`audiosqueeze.tsm`) and is joined to the untouched audio on both sides with an
equal-gain (linear) crossfade, since there the two signals are nearly the same and an
equal-power fade would lift their sum by up to 3 dB. Every
edit yields exactly ``edit.out_samples`` samples, so the output length is known from the plan.
"""

from __future__ import annotations

import numpy as np

from .plan import Edit, Plan
from .timemap import TimeMap
from .tsm import WSOLA_FRAME, WSOLA_TOLERANCE, stretch

#: Real audio handed to TSM beyond each stretched edge (and read around each edit).
CONTEXT_SAMPLES = WSOLA_FRAME + WSOLA_TOLERANCE


def equal_power(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fade-out and fade-in gains of length ``n``: cos and sin of 0..pi/2 (sum of squares = 1)."""
    theta = (np.arange(n, dtype=np.float64) + 0.5) / max(n, 1) * (np.pi / 2)
    return np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)


def shorten_split(edit: Edit) -> tuple[int, int]:
    """Samples kept from the head and the tail of a shortened edit (head + tail = out)."""
    head = edit.out_samples // 2
    return head, edit.out_samples - head


def render_edit(x: np.ndarray, edit: Edit, crossfade: int, tsm: str = "wsola") -> np.ndarray:
    """Output samples of one edit; ``x`` is the whole input (context is read around the edit)."""
    s, e, k = edit.start, edit.end, edit.out_samples
    if edit.kind == "keep":
        return x[s:e]
    fade_out, fade_in = equal_power(crossfade)
    if edit.kind == "shorten":
        head, tail = shorten_split(edit)
        h1 = crossfade // 2
        h2 = crossfade - h1
        joined = (
            x[s + head - h1 : s + head + h2] * fade_out + x[e - tail - h1 : e - tail + h2] * fade_in
        )
        return np.concatenate([x[s : s + head - h1], joined, x[e - tail + h2 : e]])
    a, b = max(0, s - CONTEXT_SAMPLES), min(len(x), e + CONTEXT_SAMPLES)
    y = stretch(x[a:b], k, tsm, lead=s - a, trail=b - e)
    n = min(crossfade, k // 2)
    fi = ((np.arange(n, dtype=np.float32) + 0.5) / max(n, 1)).astype(np.float32)
    fo = 1.0 - fi
    y[:n] = x[s : s + n] * fo + y[:n] * fi
    y[k - n :] = y[k - n :] * fo + x[e - n : e] * fi
    return y


def timemap_of(plan: Plan) -> TimeMap:
    """The time map a plan produces: identity on kept and stretched spans, flat across cuts."""
    orig, comp = [0], [0]
    o = 0
    for edit in plan.edits:
        if edit.kind == "shorten":
            head, tail = shorten_split(edit)
            orig += [edit.start + head, edit.end - tail]
            comp += [o + head, o + head]
        o += edit.out_samples
        orig.append(edit.end)
        comp.append(o)
    return TimeMap.from_knots(orig, comp, plan.sample_rate)


def render(samples: np.ndarray, plan: Plan, tsm: str = "wsola") -> np.ndarray:
    """Apply ``plan`` to ``samples``; the identity plan returns the input unchanged (bit-exact)."""
    if plan.is_identity:
        return np.array(samples, dtype=np.float32, copy=True)
    pieces = [render_edit(samples, edit, plan.crossfade_samples, tsm) for edit in plan.edits]
    return np.concatenate(pieces).astype(np.float32, copy=False)
