"""hama: a small phoneme CTC model plus a phoneme-to-grapheme model, both in the wheel.

Words are the CTC model's word-separated phoneme runs spelled by the P2G model; a word's time
span runs from its first to its last non-blank CTC frame (20 ms frames).
"""

from __future__ import annotations

import numpy as np

from ..deps import require
from ..transcript import Transcript, Word
from ..units import SAMPLE_RATE
from .sphinx import _version


class HamaASR:
    """``hama==1.7.0``'s ``ASRModel`` + ``P2GModel``."""

    name = "hama"

    def __init__(self) -> None:
        hama = require("hama", "asr")
        self._asr, self._p2g = hama.ASRModel(), hama.P2GModel()
        self.config = {"backend": "hama", "version": _version("hama")}

    def transcribe(self, samples: np.ndarray) -> Transcript:
        if len(samples) < 1600:
            return Transcript("")
        r = self._asr(samples, SAMPLE_RATE)
        frame_s = len(samples) / SAMPLE_RATE / max(r.num_frames, 1)
        spans = _word_spans(r.frame_token_ids)
        phones = [w.split() for w in r.word_phoneme_text.split("|") if w.strip()]
        words = []
        for i, ph in enumerate(phones):
            text = self._p2g.predict(ph).text.strip()
            if not text:
                continue
            a, b = spans[i] if i < len(spans) else (r.num_frames, r.num_frames)
            words.append(Word(text, round(a * frame_s, 3), round(b * frame_s, 3)))
        return Transcript(" ".join(w.text for w in words), tuple(words))


def _word_spans(frames, sep: int = 189, blank: int = 190) -> list[tuple[int, int]]:
    """``(first, last + 1)`` frame of each word's non-blank tokens, words split by ``sep``.

    >>> _word_spans([190, 5, 5, 190, 189, 190, 7, 189, 189, 8, 190])
    [(1, 3), (6, 7), (9, 10)]
    """
    spans, start, last = [], None, None
    for i, t in enumerate(frames):
        if t == sep:
            if start is not None:
                spans.append((start, last + 1))
            start = None
        elif t != blank:
            start = i if start is None else start
            last = i
    if start is not None:
        spans.append((start, last + 1))
    return spans
