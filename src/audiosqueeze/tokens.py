"""Audio-token accounting: what a model bills or computes for a duration of audio.

Each profile cites where its rate comes from. Pass a :class:`TokenProfile` for any other model.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass

from . import validate
from .errors import OptionsError


@dataclass(frozen=True)
class TokenProfile:
    """``tokens_per_second`` of audio; with ``window_s`` every started window counts whole
    (Whisper pads its input to 30-s windows)."""

    name: str
    tokens_per_second: float
    window_s: float | None = None
    source: str = ""

    def __post_init__(self) -> None:
        validate.number("tokens_per_second", self.tokens_per_second, 0, lo_open=True)
        if self.window_s is not None:
            validate.number("window_s", self.window_s, 0, lo_open=True)

    def count(self, seconds: float) -> int:
        """Tokens for ``seconds`` of audio (partial tokens round up; 0 s is 0 tokens)."""
        seconds = validate.number("seconds", seconds, 0)
        if not math.isfinite(seconds * self.tokens_per_second):
            raise OptionsError(f"{seconds!r} s is too long to count {self.name} tokens of")
        if self.window_s is not None:
            windows = math.ceil(round(seconds / self.window_s, 9))
            return int(windows * round(self.window_s * self.tokens_per_second))
        return int(math.ceil(round(seconds * self.tokens_per_second, 9)))


PROFILES: dict[str, TokenProfile] = {
    p.name: p
    for p in (
        # "Gemini represents each second of audio as 32 tokens"
        # (ai.google.dev/gemini-api/docs/tokens)
        TokenProfile("gemini", 32.0, source="Gemini API docs, 'Understand and count tokens'"),
        # Whisper: 3000 mel frames per 30-s window, conv stride 2 -> 1500 encoder frames (50 /s);
        # input is always padded to 30 s (openai/whisper whisper/audio.py: N_SAMPLES, N_FRAMES).
        TokenProfile(
            "whisper", 50.0, window_s=30.0, source="openai/whisper audio.py (30-s windows)"
        ),
        # The same encoder frames without padding (what a streaming/chunked encoder sees).
        TokenProfile(
            "whisper-unpadded", 50.0, source="openai/whisper, 50 encoder frames per second"
        ),
        # OpenAI Realtime / GPT-4o audio input: user audio is 1 token per 100 ms
        # (OpenAI Realtime API guide, 'Managing costs').
        TokenProfile(
            "gpt-4o", 10.0, source="OpenAI Realtime API guide: 1 token per 100 ms of user audio"
        ),
        # Qwen2-Audio: Whisper-large-v3 encoder + 2x pooling -> one frame per 40 ms
        # (Chu et al., "Qwen2-Audio Technical Report", 2024).
        TokenProfile("qwen2-audio", 25.0, source="Qwen2-Audio technical report: 40 ms per frame"),
        # Voxtral: Whisper encoder (50 Hz) downsampled 4x -> 12.5 Hz (Mistral, "Voxtral", 2025).
        TokenProfile("voxtral", 12.5, source="Voxtral technical report: 12.5 Hz audio embeddings"),
        # Phi-4-multimodal: audio encoder token rate 80 ms
        # (Microsoft, "Phi-4-Mini Technical Report", 2025).
        TokenProfile(
            "phi-4-multimodal", 12.5, source="Phi-4-Mini technical report: 80 ms per token"
        ),
    )
}


def profile(model: str | TokenProfile) -> TokenProfile:
    """Look up a profile by name (or pass a :class:`TokenProfile` through)."""
    if isinstance(model, TokenProfile):
        return model
    if not isinstance(model, str) or model not in PROFILES:
        raise OptionsError(
            f"unknown token profile {validate.shown(model)}; known: {', '.join(PROFILES)}"
        )
    return PROFILES[model]


def tokens(src, model: str | TokenProfile = "gemini") -> int:
    """Audio tokens ``model`` spends on ``src``: seconds, an Audio, a result of ``compress`` or
    ``compress_file``, or a path.

    >>> tokens(60.0, "gemini")
    1920
    >>> tokens(31.0, "whisper")
    3000
    """
    return profile(model).count(_seconds(src))


def token_table(seconds: float) -> dict[str, int]:
    """Tokens for ``seconds`` under every built-in profile."""
    return {name: p.count(seconds) for name, p in PROFILES.items()}


def _seconds(src) -> float:
    if isinstance(src, numbers.Real) and not isinstance(src, bool):
        return validate.number("seconds", src, 0)
    if hasattr(src, "duration_s"):
        return float(src.duration_s)
    if isinstance(src, (str, os.PathLike, bytes)):
        from .audio import duration_s

        return duration_s(src)
    raise OptionsError(
        f"cannot count tokens of {type(src).__name__!r}; pass seconds, audio or a path"
    )
