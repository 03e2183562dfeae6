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


def test_token_table_has_every_profile_with_its_count():
    assert sq.token_table(10.0) == {
        "gemini": 320,
        "whisper": 1500,
        "whisper-unpadded": 500,
        "gpt-4o": 100,
        "qwen2-audio": 250,
        "voxtral": 125,
        "phi-4-multimodal": 125,
    }


def test_a_path_is_counted_by_its_duration(tmp_path):
    import numpy as np
    import soundfile as sf

    sf.write(tmp_path / "a.wav", np.zeros(24000, np.float32), 16000)  # 1.5 s
    assert sq.tokens(tmp_path / "a.wav", "gemini") == 48
    assert sq.tokens(str(tmp_path / "a.wav"), "whisper") == 1500


def test_float_fuzz_in_a_duration_is_not_a_partial_token():
    assert sq.tokens(1.1, "gpt-4o") == 11  # 1.1 * 10 is 11.000000000000002
    assert sq.tokens(0.1 * 3 * 100, "whisper") == 1500  # 30.000000000000004 s: one window


def test_custom_rates_and_windows_below_one_are_allowed_and_zero_is_not():
    assert TokenProfile("slow", 0.5).count(10.0) == 5
    assert TokenProfile("short", 4.0, window_s=0.5).count(1.2) == 6  # 3 windows of 2 tokens
    with pytest.raises(OptionsError, match="window_s must be a number in \\(0, inf\\], got 0.0"):
        TokenProfile("x", 1.0, window_s=0.0)
    with pytest.raises(OptionsError, match="tokens_per_second must be a number in \\(0, inf\\]"):
        TokenProfile("x", "32")


def test_built_in_profiles_cannot_be_changed_in_place():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        PROFILES["gemini"].tokens_per_second = 1.0
    assert sq.tokens(60.0, "gemini") == 1920
