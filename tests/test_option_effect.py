"""benchmarks/option_effect.py: its --set parser takes AnalyzeOptions and PlanOptions fields
only, and its comparison finds what an option changes."""

from __future__ import annotations

import argparse

import pytest

from conftest import load_script, needs_silero


def test_set_parses_a_field_and_refuses_what_is_not_one():
    oe = load_script("benchmarks/option_effect.py")
    assert oe._override("vad_reset_drop_db=0") == ("vad_reset_drop_db", 0.0)
    assert oe._override("vad_reset_drop_max_prob=0.25") == ("vad_reset_drop_max_prob", 0.25)
    assert oe._override("min_keep_pause_ms=150") == ("min_keep_pause_ms", 150.0)  # PlanOptions
    for bad in (
        "no_such_option=1",
        "vad_reset_drop_db",
        "vad_reset_drop_db=",
        "vad_reset_drop_db=x",
    ):
        with pytest.raises(argparse.ArgumentTypeError, match=bad.split("=")[0]):
            oe._override(bad)


@needs_silero
def test_compare_counts_what_an_option_changes(real_clips):
    import audiosqueeze as sq
    from audiosqueeze.datasets import Utterance

    oe = load_script("benchmarks/option_effect.py")
    x = sq.load(real_clips[0]["abs"]).samples
    utts = [Utterance("clip", "", "librispeech", "test", samples=x)]
    # the option at its default value changes nothing; wider speech padding changes every rate
    same, changed, cpu = oe.compare(utts, sq.AnalyzeOptions(vad_reset_drop_db=20.0), [0.5, 1.0])
    assert (same, changed) == (2, []) and min(cpu) > 0
    same, changed, _ = oe.compare(utts, sq.AnalyzeOptions(speech_pad_ms=320.0), [0.5, 1.0])
    assert same == 0 and [c.split(":")[0] for c in changed] == ["clip rate 0.5", "clip rate 1"]
    # a plan option too: the pause kept at rate 1 is 60 ms by default, at rate 0.5 as well
    plan = sq.PlanOptions(min_keep_pause_ms=300.0)
    same, changed, _ = oe.compare(utts, sq.AnalyzeOptions(), [0.0, 1.0], plan)
    assert same == 1 and [c.split(":")[0] for c in changed] == ["clip rate 1"]
