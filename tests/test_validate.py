"""validate: the messages a user reads for a wrong option, planted exactly."""

import pytest

import audiosqueeze as sq
from audiosqueeze import validate


def test_shown_keeps_80_characters_and_cuts_longer_ones_to_62_plus_the_length():
    assert validate.shown("x" * 78) == "'" + "x" * 78 + "'"  # repr of 80 characters: whole
    assert validate.shown("x" * 79) == "'" + "x" * 61 + "...(81 characters)"
    assert validate.shown(10**100) == "1" + "0" * 61 + "...(101 characters)"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        # no bounds: no range in the message
        (lambda: sq.PlanOptions(max_keep_pause_ms="x"), "max_keep_pause_ms must be a number, got"),
        # a lower bound only: the range is open above
        (lambda: sq.TokenProfile("t", "32"), "tokens_per_second must be a number in (0, inf], got"),
        (lambda: sq.AnalyzeOptions(webrtc_mode=1.5), "webrtc_mode must be a whole number, got 1.5"),
        (lambda: sq.AnalyzeOptions(vad="nope"), "; got 'nope'"),
    ],
)
def test_option_messages(make, message):
    with pytest.raises(sq.OptionsError) as e:
        make()
    assert message in str(e.value)


def test_integer_returns_an_int():
    got = validate.integer("n", 3.0, 0, 10)
    assert got == 3 and type(got) is int
