"""Transcript and Word as values: immutable, hashable, and a JSON layout with known fields."""

import dataclasses
import json

import pytest

from audiosqueeze.transcript import Transcript, Word


def test_words_and_transcripts_are_immutable_values():
    w = Word("hi", 0.0, 0.3)
    t = Transcript("hi", (w,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.start_s = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.text = "bye"
    # equal values hash alike, so a retimed copy can be compared or kept in a set
    assert {w, Word("hi", 0.0, 0.3)} == {w}
    assert {t, Transcript("hi", (Word("hi", 0.0, 0.3),))} == {t}


def test_the_dict_layout_lists_each_word_as_text_start_end_probability():
    t = Transcript("a b", (Word("a", 0.0, 0.5, 0.9), Word("b", 0.5, 1.0)))
    assert t.to_dict() == {"text": "a b", "words": [["a", 0.0, 0.5, 0.9], ["b", 0.5, 1.0, None]]}
    seg = Transcript("a b", t.words, (Word("a b", 0.0, 1.0),))
    assert seg.to_dict()["segments"] == [["a b", 0.0, 1.0, None]]  # only when there are some
    assert Transcript.from_dict(json.loads(json.dumps(seg.to_dict()))) == seg
    # older records: words without a probability, no words at all
    assert Transcript.from_dict({"text": "a", "words": [["a", 0.0, 0.5]]}).words == (
        Word("a", 0.0, 0.5, None),
    )
    assert Transcript.from_dict({"text": ""}) == Transcript("")
