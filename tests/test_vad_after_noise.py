"""benchmarks/vad_after_noise.py: its settings mean what RESULTS says, and it runs."""

from __future__ import annotations

import numpy as np
import pytest

import audiosqueeze as sq
from conftest import REPO, load_script, needs_silero, silence

DEMO = REPO / "src" / "audiosqueeze" / "data" / "demo_common_voice_en_73.flac"


@pytest.fixture(scope="module")
def van():
    return load_script("benchmarks/vad_after_noise.py")


@pytest.mark.parametrize(
    ("setting", "db", "prob"),
    [("0", 0.0, 1.0), ("20", 20.0, 1.0), ("20-vadonly", 20.0, 1.0), ("20-sure", 20.0, 0.1)],
)
def test_each_setting_is_the_bench_probe_of_its_name(van, setting, db, prob):
    o = van.options_for(setting)
    assert (o.vad_reset_drop_db, o.vad_reset_drop_max_prob) == (db, prob)
    assert o == sq.AnalyzeOptions(vad_reset_drop_db=db, vad_reset_drop_max_prob=prob)


@needs_silero
@pytest.mark.parametrize("setting", ["0", "20", "20-vadonly", "20-sure"])
def test_speech_mask_is_the_analysis_speech_under_every_setting(van, setting):
    """The bundled clip between two seconds of silence: the mask is the analysis' speech
    samples, none in the silence. (``20-vadonly`` once called the gain probe with an argument
    it no longer takes.)"""
    from audiosqueeze.vad import LevelGain

    restart = LevelGain.restart
    x = np.concatenate([silence(2.0), sq.load(DEMO).samples, silence(2.0)])
    o = van.options_for(setting)
    mask = van.speech_mask(x, o, setting)
    assert LevelGain.restart is restart  # the probe is put back
    want = np.zeros(len(x), bool)
    for a, b in sq.analyze(x, o, sample_rate=sq.SAMPLE_RATE).intervals("speech"):
        want[a:b] = True
    assert np.array_equal(mask, want)
    assert mask.sum() > sq.SAMPLE_RATE and not mask[:16000].any() and not mask[-16000:].any()
