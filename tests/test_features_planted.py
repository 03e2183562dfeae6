"""Planted answers for :mod:`audiosqueeze.features`: levels of sines of known amplitude, the
speech band's edges (tones in and out of 300-3400 Hz), spectral flux of frames whose change is
known, and :func:`~audiosqueeze.features.peaks` against ``scipy.signal.find_peaks`` on the
short arrays a 64-ms segment's three frames give (and any short array with plateaus)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiosqueeze import features
from audiosqueeze.units import FRAME_SAMPLES as FS

SR = 16000


def sine(freq: float, amp: float, n: int = 1) -> np.ndarray:
    """``n`` frames of a sine; 1 kHz, 500 Hz and 5 kHz make whole periods in a frame."""
    t = np.arange(n * FS) / SR
    return features.frames_of((amp * np.sin(2 * np.pi * freq * t)).astype(np.float32))


def band(freq: float, amp: float = 0.5) -> float:
    return float(features.band_db(features.magnitude(sine(freq, amp)))[0])


def test_level_of_a_sine_is_its_rms_in_dbfs_and_silence_is_minus_100():
    for amp in (1.0, 0.1, 0.01):
        got = features.level_db(sine(1000.0, amp, 2))
        assert got == pytest.approx([20 * np.log10(amp / np.sqrt(2))] * 2, abs=1e-4)
    assert features.level_db(np.zeros((1, FS), np.float32))[0] == pytest.approx(-100.0)


def test_band_level_follows_the_tone_by_its_amplitude():
    # 20 dB quieter in, 20 dB lower out: a level in dB, not a ratio of another scale
    for freq in (500.0, 1000.0, 3000.0):
        assert band(freq, 0.5) - band(freq, 0.05) == pytest.approx(20.0, abs=1e-3)


def test_band_holds_300_to_3400_hz_only():
    inside = [band(f) for f in (400.0, 1000.0, 3000.0)]
    # the same tones outside the band: far down, whichever side (Hann leakage only)
    outside = [band(f) for f in (100.0, 150.0, 4500.0, 5000.0, 6000.0, 7500.0)]
    assert max(inside) - min(inside) < 1.0
    assert max(outside) < min(inside) - 50.0


def test_flux_is_the_share_of_the_spectrum_that_is_new():
    mag = features.magnitude(np.concatenate([sine(1000.0, 0.2), sine(1000.0, 0.2)]))
    louder = np.concatenate([mag[:1], 2 * mag[:1], mag[:1]])  # the same, doubled, halved
    got = features.flux(louder, None)
    assert got == pytest.approx([1.0, 0.5, 0.0], abs=1e-6)  # the first frame is all new
    # across chunks: the last frame of the chunk before is the previous one
    assert features.flux(louder[1:], louder[0]) == pytest.approx(got[1:], abs=1e-9)
    assert features.flux(louder[1:], None)[0] == pytest.approx(1.0, abs=1e-6)
    assert features.flux(np.zeros((1, FS // 2 + 1), np.float32), None)[0] == 0.0


def test_flatness_tells_a_tone_from_white_noise():
    noise = np.random.default_rng(0).normal(0, 0.1, (8, FS)).astype(np.float32)
    flat = features.flatness(features.magnitude(noise))
    tonal = features.flatness(features.magnitude(sine(1000.0, 0.5, 2)))
    assert np.all(flat > 0.4) and np.all(flat <= 1.0) and np.all(tonal < 0.05)


def test_peaks_of_arrays_too_short_for_a_peak_are_empty():
    for x in ([], [5.0], [0.0, 9.0]):
        got = features.peaks(np.array(x), prominence=0.0, distance=1)
        assert got.tolist() == [] and got.dtype == np.int64
    assert features.peaks(np.array([0.0, 9.0, 0.0]), 9.0, 1).tolist() == [1]
    assert features.peaks(np.array([0.0, 9.0, 0.0]), 9.5, 1).tolist() == []
    assert features.peaks(np.array([9.0, 9.0, 0.0]), 0.0, 1).tolist() == []
    # with nothing higher on a side, the base reaches that end: the first or last sample
    x = np.array([0.0, 5.0, 3.0, 10.0, 3.0, 0.0])
    assert features.peaks(x, 8.0, 1).tolist() == [3]
    assert features.peaks(x[::-1].copy(), 8.0, 1).tolist() == [2]
    assert features.peaks(np.array([2.5, 5.0, 3.0, 10.0, 3.0, 2.5]), 8.0, 1).tolist() == []


def test_peaks_of_an_hours_frames_match_scipy():
    # more samples than the 64 k cells compared at a time: one candidate per block
    signal = pytest.importorskip("scipy.signal", reason="scipy (the [dev] extra) not installed")
    n = 70_000
    x = 10 * np.sin(np.linspace(0, 9 * np.pi, n)) + np.linspace(0, 3, n)
    want = signal.find_peaks(x, prominence=4.0, distance=3)[0]
    assert len(want) == 5 and features.peaks(x, 4.0, 3).tolist() == want.tolist()


values = st.one_of(
    st.lists(st.integers(-3, 3).map(float), max_size=12),  # plateaus and ties
    st.lists(st.floats(-50, 50, allow_nan=False, allow_subnormal=False), max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(values, st.sampled_from([0.0, 0.5, 1.0, 2.0, 4.0]), st.integers(1, 5))
def test_peaks_of_short_arrays_match_scipy(x, prominence, distance):
    signal = pytest.importorskip("scipy.signal", reason="scipy (the [dev] extra) not installed")
    x = np.array(x, np.float64)
    want = signal.find_peaks(x, prominence=prominence, distance=distance)[0]
    assert features.peaks(x, prominence, distance).tolist() == want.tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.integers(-4, 4).map(float) | st.floats(-50, 50, allow_nan=False, allow_subnormal=False),
        min_size=3,
        max_size=300,
    ),
    st.data(),
)
def test_both_ways_to_find_a_peaks_bases_agree(x, data):
    # peaks() compares every candidate with every sample up to 64 k cells, then lifts by
    # powers of two: both must give each candidate's higher base exactly
    x = np.array(x, np.float64)
    cand = np.array(sorted(data.draw(st.sets(st.integers(0, len(x) - 1), min_size=1))))
    dense = features._bases_dense(x, cand)
    assert features._bases_lifted(x, cand).tolist() == dense.tolist()
    for c, b in zip(cand.tolist(), dense.tolist(), strict=True):  # the definition, by hand
        lo = max([i + 1 for i in range(c) if x[i] > x[c]], default=0)
        hi = min([i for i in range(c + 1, len(x)) if x[i] > x[c]], default=len(x))
        assert b == max(x[lo : c + 1].min(), x[c:hi].min())
