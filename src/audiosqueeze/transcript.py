"""What a recogniser heard: :class:`Transcript` and its timed :class:`Word` s.

A plain value type shared by the recognisers (:mod:`audiosqueeze.asr`), the time map (which
moves words back to the original timeline), the harness and the service.

>>> t = Transcript("hello world", (Word("hello", 0.0, 0.4, 0.9), Word("world", 0.5, 0.9, 0.8)))
>>> Transcript.from_dict(t.to_dict()) == t
True
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    """One recognised word; times in seconds on the timeline of the audio transcribed."""

    text: str
    start_s: float
    end_s: float
    probability: float | None = None


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard: the text and, where the backend gives them, timed words and
    timed segments (phrases, Word-shaped: text, start_s, end_s, probability=None)."""

    text: str
    words: tuple[Word, ...] = field(default_factory=tuple)
    segments: tuple[Word, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        d = {"text": self.text, "words": [list(w.__dict__.values()) for w in self.words]}
        if self.segments:
            d["segments"] = [list(s.__dict__.values()) for s in self.segments]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Transcript:
        return cls(
            d["text"],
            tuple(Word(*w) for w in d.get("words", ())),
            tuple(Word(*s) for s in d.get("segments", ())),
        )
