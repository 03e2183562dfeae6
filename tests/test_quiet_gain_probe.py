"""benchmarks/quiet_gain_probe.py: the gain it plants is where and how large it says."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_script


@pytest.mark.parametrize("db", [6.0, 20.0])
def test_gain_raises_the_span_only_with_ramps(db):
    probe = load_script("benchmarks/quiet_gain_probe.py")
    y = np.full(4000, 0.01, np.float32)
    a, b, ramp = 1000, 3000, probe.RAMP
    z = probe.with_gain(y, a, b, db)
    assert np.array_equal(z[:a], y[:a]) and np.array_equal(z[b:], y[b:])  # outside: untouched
    inner = z[a + ramp : b - ramp] / y[a + ramp : b - ramp]
    np.testing.assert_allclose(inner, 10 ** (db / 20), rtol=1e-5)  # inside: the full gain
    up, down = z[a : a + ramp], z[b - ramp : b]
    assert np.all(np.diff(up) > 0) and np.all(np.diff(down) < 0)  # ramped in and out
    assert up[0] == pytest.approx(0.01) and down[-1] == pytest.approx(0.01, rel=1e-3)


def test_gain_clips_and_handles_a_span_shorter_than_its_ramps():
    probe = load_script("benchmarks/quiet_gain_probe.py")
    y = np.full(500, 0.5, np.float32)
    z = probe.with_gain(y, 100, 105, 30.0)  # 5 samples, shorter than a 10-ms ramp
    assert len(z) == len(y) and np.all(np.abs(z) <= 1.0)
    assert np.array_equal(z[:100], y[:100]) and np.array_equal(z[105:], y[105:])
    assert np.all(z[100:105] >= 0.5) and z[101] > 0.5 and z[102] == 1.0  # ramps of 2, clipped
    assert np.max(probe.with_gain(y, 0, 500, 30.0)) == 1.0  # clipped, not wrapped
