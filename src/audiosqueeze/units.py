"""Time is kept in integer samples; this is the one place that converts seconds and samples."""

from __future__ import annotations

import math

import numpy as np

#: Every analysis, plan and rendered output runs at this rate (what speech models consume).
SAMPLE_RATE = 16_000

#: Analysis hop and Silero VAD window: 32 ms (512 samples at 16 kHz).
FRAME_MS = 32
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000


def to_samples(seconds, sample_rate: int = SAMPLE_RATE):
    """Seconds -> nearest whole sample index (int, or an int64 array for array input)."""
    if type(seconds) is float and type(sample_rate) is int:
        # the planner's per-segment scalars, without numpy's dispatch:
        # the same float64 product, rounded half to even as np.rint does
        x = seconds * sample_rate
        if math.isfinite(x) and abs(x) < 2.0**62:
            return round(x)
    out = np.rint(np.asarray(seconds, dtype=np.float64) * sample_rate).astype(np.int64)
    return int(out) if out.ndim == 0 else out


def to_seconds(samples, sample_rate: int = SAMPLE_RATE):
    """Samples -> seconds (float, or a float64 array for array input)."""
    if type(samples) is int and type(sample_rate) is int and abs(samples) < 2**53:
        return samples / sample_rate  # both exact in float64: numpy's quotient to the bit
    out = np.asarray(samples, dtype=np.float64) / sample_rate
    return float(out) if out.ndim == 0 else out


def ms_to_samples(ms: float, sample_rate: int = SAMPLE_RATE) -> int:
    """Milliseconds (an option value) -> whole samples."""
    return to_samples(ms / 1000.0, sample_rate)
