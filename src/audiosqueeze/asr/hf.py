"""A local Hugging Face ``transformers`` speech-recognition model (Whisper, wav2vec2, ...).

``transformers:DIR`` loads the ``automatic-speech-recognition`` pipeline from DIR only
(``local_files_only``); word timestamps are requested where the model supports them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..deps import require
from ..errors import ModelNotFoundError
from ..transcript import Transcript, Word
from ..units import SAMPLE_RATE


class TransformersASR:
    def __init__(self, model_dir: str, *, device: str = "cpu") -> None:
        path = Path(model_dir)
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"{model_dir!r} is not a local transformers model directory (no config.json)"
            )
        tf = require("transformers", "transformers")
        self.name = f"transformers:{model_dir}"
        self._pipe = tf.pipeline(
            "automatic-speech-recognition",
            model=str(path),
            device=device,
            model_kwargs={"local_files_only": True},
        )
        self._whisper = "whisper" in type(self._pipe.model).__name__.lower()
        self.config = {"backend": "transformers", "version": tf.__version__, "model": str(path)}

    def transcribe(self, samples: np.ndarray) -> Transcript:
        kw = {"return_timestamps": "word"}
        if self._whisper:
            kw["generate_kwargs"] = {"language": "en", "task": "transcribe"}
        out = self._pipe({"raw": samples, "sampling_rate": SAMPLE_RATE}, **kw)
        # the pipeline leaves a time unset (None) where a word starts before or runs past the
        # audio it saw: those are its ends, so no word ends before it starts
        duration_s = len(samples) / SAMPLE_RATE
        words = []
        for c in out.get("chunks", ()):
            start, end = c["timestamp"]
            start = 0.0 if start is None else float(start)
            words.append(
                Word(
                    c["text"].strip(), start, max(start, duration_s if end is None else float(end))
                )
            )
        return Transcript(out["text"].strip(), tuple(words))
