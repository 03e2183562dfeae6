"""CMU PocketSphinx en-us (HMM acoustic model + 3-gram LM + dictionary, all in the wheel)."""

from __future__ import annotations

import re

import numpy as np

from ..deps import require
from ..transcript import Transcript, Word
from ..units import SAMPLE_RATE

_FRAME_S = 0.01  # PocketSphinx reports 10 ms frames
_FILLER = re.compile(r"^(<.*>|\[.*\])$")


class PocketsphinxASR:
    """``pocketsphinx==5.1.1``'s default en-us decoder; word times from its segmentation."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        ps = require("pocketsphinx", "asr")
        self._decoder = ps.Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
        self.config = {"backend": "pocketsphinx", "version": _version("pocketsphinx")}

    def transcribe(self, samples: np.ndarray) -> Transcript:
        d = self._decoder
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        words = []
        for seg in d.seg() if hyp else ():
            if _FILLER.match(seg.word):
                continue
            text = re.sub(r"\(\d+\)$", "", seg.word)  # alternative pronunciations: word(2)
            words.append(
                Word(
                    text,
                    round(seg.start_frame * _FRAME_S, 3),
                    round((seg.end_frame + 1) * _FRAME_S, 3),
                )
            )
        return Transcript(" ".join(w.text for w in words), tuple(words))


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)
