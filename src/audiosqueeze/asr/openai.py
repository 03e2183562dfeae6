"""The OpenAI transcription API (``/v1/audio/transcriptions``), key from ``OPENAI_API_KEY``.

``base_url`` (or ``OPENAI_BASE_URL``) points it at any compatible server. Audio is sent as
16-bit WAV; ``verbose_json`` with word timestamps is requested for ``whisper-1``.
"""

from __future__ import annotations

import io
import os

import numpy as np
import soundfile as sf

from ..deps import require
from ..errors import OptionsError
from ..transcript import Transcript, Word
from ..units import SAMPLE_RATE


class OpenAIASR:
    name = "openai"

    def __init__(self, *, model: str = "whisper-1", base_url: str | None = None) -> None:
        openai = require("openai", "openai")
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            raise OptionsError("the openai ASR needs OPENAI_API_KEY in the environment")
        self._client = openai.OpenAI(api_key=key, base_url=base_url, max_retries=2)
        self._model = model
        self.config = {
            "backend": "openai",
            "version": openai.__version__,
            "model": model,
            "language": "en",
            "base_url": str(self._client.base_url),
        }

    def transcribe(self, samples: np.ndarray) -> Transcript:
        buf = io.BytesIO()
        sf.write(buf, samples, SAMPLE_RATE, format="WAV", subtype="PCM_16")
        verbose = self._model == "whisper-1"
        kw = {"response_format": "verbose_json", "timestamp_granularities": ["word"]}
        r = self._client.audio.transcriptions.create(
            model=self._model,
            file=("audio.wav", buf.getvalue(), "audio/wav"),
            language="en",
            **(kw if verbose else {}),
        )
        words = tuple(
            Word(w.word.strip(), float(w.start), float(w.end))
            for w in (getattr(r, "words", None) or ())
        )
        return Transcript(r.text.strip(), words)
