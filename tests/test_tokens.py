import pytest

import audiosqueeze as sq
from audiosqueeze.errors import OptionsError
from audiosqueeze.tokens import PROFILES, TokenProfile


@pytest.mark.parametrize(
    ("seconds", "model", "expected"),
    [
        (60.0, "gemini", 1920),  # Gemini's documented example: one minute is 1,920 tokens
        (1.01, "gemini", 33),  # partial tokens round up
        (0.0, "gemini", 0),
        (10.0, "whisper", 1500),  # padded to one 30-s window
        (30.0, "whisper", 1500),
        (30.5, "whisper", 3000),
        (10.0, "whisper-unpadded", 500),
        (10.0, "gpt-4o", 100),
        (10.0, "qwen2-audio", 250),
        (10.0, "voxtral", 125),
        (10.0, "phi-4-multimodal", 125),
    ],
)
def test_planted_counts(seconds, model, expected):
    assert sq.tokens(seconds, model) == expected


def test_every_profile_cites_a_source():
    assert all(p.source for p in PROFILES.values())


def test_custom_profile_and_audio_input():
    mine = TokenProfile("mine", 20.0)
    audio = sq.Audio(__import__("numpy").zeros(8000, "float32"))
    assert sq.tokens(audio, mine) == 10


@pytest.mark.parametrize(
    ("call", "quote"),
    [
        (lambda: sq.tokens(1.0, "nope"), "unknown token profile 'nope'"),
        (lambda: sq.tokens(-1.0), "-1.0"),
        (lambda: TokenProfile("x", 0.0), "tokens_per_second"),
        (lambda: sq.tokens(object()), "cannot count tokens"),
    ],
)
def test_errors(call, quote):
    with pytest.raises(OptionsError, match=quote):
        call()
