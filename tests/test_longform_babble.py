"""benchmarks/longform_babble.py: kept seconds per planted kind and the periodicity cue."""

from __future__ import annotations

import numpy as np

from audiosqueeze.datasets import Gap, Utterance
from audiosqueeze.timemap import TimeMap
from audiosqueeze.units import FRAME_SAMPLES, SAMPLE_RATE
from conftest import load_script


def test_kept_seconds_follow_the_time_map():
    lb = load_script("benchmarks/longform_babble.py")
    sr = SAMPLE_RATE
    gaps = (Gap(0, 2 * sr, 0, "silence"), Gap(6 * sr, 10 * sr, 3, "babble"))
    rec = Utterance("r", "", "longform", "test", samples=np.zeros(10 * sr, np.float32), gaps=gaps)
    # the first 2 s become 0.1 s, 2-6 s are kept, 6-10 s become 3 s
    knots = np.array([[0, 0], [2 * sr, sr // 10], [6 * sr, sr // 10 + 4 * sr],
                      [10 * sr, sr // 10 + 7 * sr]])  # fmt: skip
    tm = TimeMap.from_knots(knots[:, 0], knots[:, 1])
    got = lb.kept_seconds(rec, tm)
    assert got.keys() == {"silence", "babble"}
    assert np.allclose(got["silence"], (2.0, 0.1)) and np.allclose(got["babble"], (4.0, 3.0))


def test_periodicity_tells_a_voice_from_noise():
    lb = load_script("benchmarks/longform_babble.py")
    t = np.arange(4 * FRAME_SAMPLES) / SAMPLE_RATE
    pulse = np.sign(np.sin(2 * np.pi * 120 * t)).reshape(4, FRAME_SAMPLES)  # 120 Hz buzz
    noise = np.random.default_rng(0).standard_normal((4, FRAME_SAMPLES))
    assert lb.periodicity(pulse).min() > 0.9
    assert lb.periodicity(noise).max() < 0.3
