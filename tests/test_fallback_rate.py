"""benchmarks/fallback_rate.py: the temperatures come from the recogniser's own segments."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from conftest import load_script


class _Segments:
    """A stand-in recogniser whose windows were decoded at planted temperatures."""

    def __init__(self, temps):
        self.temps, self.seen = temps, []

    def segments(self, samples):
        self.seen.append(len(samples))
        return [SimpleNamespace(temperature=t) for t in self.temps]


def test_temperatures_are_each_windows_own():
    fr = load_script("benchmarks/fallback_rate.py")
    asr = _Segments([0.0, 0.4, 0.0])
    assert fr.temperatures(asr, np.zeros(123, np.float32)) == [0.0, 0.4, 0.0]
    assert asr.seen == [123]
    assert fr.temperatures(_Segments([]), np.zeros(5, np.float32)) == []
