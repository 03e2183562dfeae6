"""benchmarks/core_profile.py: its stage counters add up and leave the output alone."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.tsm import CurveWSOLA
from conftest import load_script


@pytest.fixture(scope="module")
def core_profile():
    return load_script("benchmarks/core_profile.py")


def _speechlike(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(5)
    t = np.arange(int(seconds * sq.SAMPLE_RATE)) / sq.SAMPLE_RATE
    voiced = 0.3 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 3 * t) > 0)
    gaps = (t % 2.0) > 1.4  # a 0.6-s pause every 2 s
    return np.where(gaps, 0.001 * rng.standard_normal(len(t)), voiced).astype(np.float32)


def test_stages_are_counted_nested_and_put_back(core_profile):
    x = _speechlike(8.0)
    opts = sq.AnalyzeOptions(vad="energy", num_threads=1)
    want = sq.compress(x, 1.0, analyze_options=opts, sample_rate=sq.SAMPLE_RATE).audio
    original = CurveWSOLA.__dict__["render"]
    spent = collections.defaultdict(float)
    restore = core_profile.instrument(spent)
    try:
        assert CurveWSOLA.__dict__["render"] is not original
        got = sq.compress(x, 1.0, analyze_options=opts, sample_rate=sq.SAMPLE_RATE).audio
    finally:
        restore()
    assert CurveWSOLA.__dict__["render"] is original
    np.testing.assert_array_equal(got, want)  # counting changes nothing
    assert len(want) < len(x)  # the pauses were cut and speech sped up: the render ran
    for stage in ("analysis", "plan", "render", "  WSOLA"):
        assert spent[stage] > 0, stage
    assert spent["  WSOLA"] <= spent["render"]
    assert spent["  segments (describe, store)"] <= spent["analysis"]
    assert "  Silero (ONNX)" not in spent  # the energy VAD ran, not Silero


def test_wsola_alone_times_five_renders_of_two_minutes_sped_up(core_profile, monkeypatch):
    calls = []

    def fake(x, ins, outs):
        calls.append((len(x), ins[-1], outs[-1], np.all(np.diff(outs) > 0)))
        return np.zeros(int(outs[-1]), np.float32)

    monkeypatch.setattr(core_profile, "wsola_curve", fake)
    assert core_profile.wsola_alone() > 0
    assert len(calls) == 5
    n, last_in, last_out, increasing = calls[0]
    assert n == last_in == 120 * sq.SAMPLE_RATE and increasing
    assert n / 1.8 < last_out < n  # speeds between 1 and 1.8
