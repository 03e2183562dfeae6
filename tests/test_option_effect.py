"""benchmarks/option_effect.py: its --set parser takes AnalyzeOptions fields only."""

from __future__ import annotations

import argparse

import pytest

from conftest import load_script


def test_set_parses_a_field_and_refuses_what_is_not_one():
    oe = load_script("benchmarks/option_effect.py")
    assert oe._override("vad_reset_drop_db=0") == ("vad_reset_drop_db", 0.0)
    assert oe._override("vad_reset_drop_max_prob=0.25") == ("vad_reset_drop_max_prob", 0.25)
    for bad in (
        "no_such_option=1",
        "vad_reset_drop_db",
        "vad_reset_drop_db=",
        "vad_reset_drop_db=x",
    ):
        with pytest.raises(argparse.ArgumentTypeError, match=bad.split("=")[0]):
            oe._override(bad)
