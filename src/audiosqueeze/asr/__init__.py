"""Speech recognisers behind one small interface, for measuring what compression costs.

``load_asr(name)`` returns an object with ``name``, ``config`` (everything that changes its
output, recorded with results) and ``transcribe(samples) -> Transcript`` for 16 kHz mono
float32 samples. Backends and their extras:

==========================  ==================================================  ============
name                        model                                               extra
==========================  ==================================================  ============
``whisper-tiny.en``         Whisper tiny.en, CTranslate2 (faster-whisper)       ``[whisper]``
``whisper-base``            Whisper base, CTranslate2 (faster-whisper)          ``[whisper]``
``faster-whisper:DIR``      any local CTranslate2 Whisper directory             ``[whisper]``
``pocketsphinx``            CMU Sphinx en-us HMM + 3-gram LM (in the wheel)     ``[asr]``
``hama``                    phoneme CTC + phoneme-to-grapheme (in the wheel)    ``[asr]``
``transformers:DIR``        a local Hugging Face Whisper / wav2vec2 directory   (transformers)
``openai``                  the OpenAI transcription API (``OPENAI_API_KEY``)   ``[openai]``
==========================  ==================================================  ============

Nothing is downloaded: Whisper names resolve to a directory the user gives, an environment
variable, or a registry package that ships the weights (see :mod:`audiosqueeze.asr.whisper`).

"""

from __future__ import annotations

import functools
from typing import Protocol

import numpy as np

from ..deps import require
from ..errors import OptionsError
from ..transcript import Transcript, Word


class ASR(Protocol):
    """A recogniser: ``transcribe`` 16 kHz mono float32 samples."""

    name: str
    config: dict

    def transcribe(self, samples: np.ndarray) -> Transcript: ...


#: Built-in names (``faster-whisper:DIR`` and ``transformers:DIR`` take a directory).
ASR_NAMES = ("whisper-tiny.en", "whisper-base", "pocketsphinx", "hama", "openai")


def asr_name(name: str) -> str:
    """The ``name`` a recogniser loaded by ``load_asr(name)`` will have, found without loading
    it (each backend's name is its spec); :class:`OptionsError` for a name no backend takes.

    >>> asr_name("faster-whisper:/models/small")
    'faster-whisper:/models/small'
    """
    if isinstance(name, str) and (
        name in ASR_NAMES or name.startswith(("faster-whisper:", "transformers:"))
    ):
        return name
    raise OptionsError(
        f"unknown ASR {name!r}; choose one of {', '.join(ASR_NAMES)}, "
        "'faster-whisper:DIR' or 'transformers:DIR'"
    )


def _make(name: str, options: tuple) -> ASR:
    asr_name(name)
    kw = dict(options)
    if name in ("whisper-tiny.en", "whisper-base") or name.startswith("faster-whisper:"):
        from .whisper import FasterWhisperASR

        return FasterWhisperASR(name, **kw)
    if name == "pocketsphinx":
        from .sphinx import PocketsphinxASR

        return PocketsphinxASR(**kw)
    if name == "hama":
        from .hama import HamaASR

        return HamaASR(**kw)
    if name.startswith("transformers:"):
        from .hf import TransformersASR

        return TransformersASR(name.split(":", 1)[1], **kw)
    from .openai import OpenAIASR

    return OpenAIASR(**kw)


@functools.lru_cache(maxsize=8)
def _cached(name: str, options: tuple) -> ASR:
    return _make(name, options)


def load_asr(name: str, **options) -> ASR:
    """The recogniser called ``name`` (loaded once per name and options, then reused)."""
    return _cached(name, tuple(sorted(options.items())))


def transcribe(samples: np.ndarray, asr: str | ASR = "whisper-tiny.en") -> Transcript:
    """Transcribe 16 kHz mono float32 ``samples`` with ``asr`` (a name or a loaded ASR)."""
    model = load_asr(asr) if isinstance(asr, str) else asr
    return model.transcribe(np.ascontiguousarray(samples, np.float32))


__all__ = [
    "ASR",
    "ASR_NAMES",
    "asr_name",
    "Transcript",
    "Word",
    "load_asr",
    "require",
    "transcribe",
]
