"""benchmarks/babble_cue.py and babble_oracle.py's detector mode: the level-range feature, the
run filter, the gate under the peak, and zeroing exactly the flagged frames."""

from __future__ import annotations

import numpy as np
import pytest

from audiosqueeze.units import FRAME_SAMPLES, SAMPLE_RATE
from conftest import load_script


def _noise(seconds: float, seed: int = 0) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    return (0.05 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def test_level_range_is_wide_for_syllables_and_narrow_for_a_steady_sound():
    bc = load_script("benchmarks/babble_cue.py")
    steady = _noise(4.0)
    t = np.arange(len(steady)) / SAMPLE_RATE
    gate = np.where(np.sin(2 * np.pi * 4 * t) > 0, 1.0, 0.03)  # 4 Hz on/off, 30 dB apart
    syllables = (steady * gate).astype(np.float32)
    col = bc.NAMES.index("range")
    wide = bc.features(syllables)[0][60:, col]
    narrow = bc.features(steady)[0][60:, col]
    assert wide.min() > 20.0  # both levels are in every 1.6-s window
    assert narrow.max() < 5.0


def test_run_filter_needs_the_whole_run():
    bc = load_script("benchmarks/babble_cue.py")
    hot = np.array([1, 1, 1, 0, 1, 1, 1, 1, 1, 0], bool)
    assert bc.run_filter(hot, 1).tolist() == hot.tolist()
    assert bc.run_filter(hot, 4).astype(int).tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert not bc.run_filter(hot, 6).any()


class _Sure:
    """A stand-in classifier that is sure of every frame."""

    def predict_proba(self, X):
        return np.c_[np.full(len(X), 0.05), np.full(len(X), 0.95)]


def test_the_gate_never_flags_a_window_near_the_peak():
    bc = load_script("benchmarks/babble_cue.py")
    X = np.zeros((4, len(bc.NAMES)))
    X[:, bc.NAMES.index("below_peak")] = [-30.0, -12.0, -11.9, 0.0]
    assert bc.hot(_Sure(), X, 0.9, None).all()
    assert bc.hot(_Sure(), X, 0.9, -12.0).tolist() == [True, True, False, False]
    assert not bc.hot(_Sure(), X, 0.99, None).any()


def test_without_flagged_zeroes_exactly_the_flagged_frames():
    bo = load_script("benchmarks/babble_oracle.py")
    x = np.ones(5 * FRAME_SAMPLES + 7, np.float32)
    flagged = np.array([False, True, True, False, True])
    y = bo.without_flagged(x, flagged)
    frames = y[: 5 * FRAME_SAMPLES].reshape(5, FRAME_SAMPLES)
    assert (frames[flagged] == 0).all() and (frames[~flagged] == 1).all()
    assert (y[5 * FRAME_SAMPLES :] == 1).all() and (x == 1).all()  # the input is untouched


def test_the_look_ahead_is_an_argument_and_sets_the_window():
    bc = load_script("benchmarks/babble_cue.py")
    x = 0.1 * _noise(4.0)
    k = 80  # a loud frame: with 3 frames of look-ahead, frame k - 2 already hears it
    x[k * FRAME_SAMPLES : (k + 1) * FRAME_SAMPLES] *= 10.0  # 20 dB
    col = bc.NAMES.index("level_step")  # the jump up and down adds 40 dB / 50 frames
    with_ahead = bc.features(x, ahead=3)[0][:, col]
    without = bc.features(x, ahead=0)[0][:, col]
    assert with_ahead[k - 2] > 0.6 + without[k - 2]
    assert with_ahead[k - 5] == pytest.approx(without[k - 5], abs=0.3)  # too far ahead for both
    assert bc.AHEAD == 3  # the module's default is left alone
