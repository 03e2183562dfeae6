"""Dataset records and the Hugging Face adapter on planted rows (a fake ``datasets`` module:
no download, no extra)."""

import dataclasses
import os
import sys
import types

import numpy as np
import pytest

from audiosqueeze.datasets import Gap, Utterance, from_huggingface
from audiosqueeze.errors import OptionsError


def test_records_are_immutable_and_compare_without_their_samples():
    g = Gap(0, 16000, 2, "music", ("clip-1",))
    u = Utterance("a", "hello", "longform", "dev", samples=np.zeros(4, np.float32), gaps=(g,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.end = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.text = "other"
    same = dataclasses.replace(u, samples=np.ones(4, np.float32))
    assert same == u and hash(g) == hash(Gap(0, 16000, 2, "music", ("clip-1",)))
    assert "samples" not in repr(u) and "gaps=(Gap(" in repr(u)


def _fake_datasets(monkeypatch, rows):
    """A ``datasets`` module whose ``load_dataset`` gives ``rows``; the offline switches are
    put back as they were after the test."""
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    calls = []

    def load_dataset(name, config, split):
        calls.append((name, config, split, os.environ.get("HF_DATASETS_OFFLINE")))
        return rows

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    return calls


def _audio(seconds, sr=8000, path=None):
    return {"array": np.full(int(seconds * sr), 0.25), "sampling_rate": sr, "path": path}


ROWS = [
    {"id": "", "text": "first", "sentence": "not this", "audio": _audio(0.5, path="/d/clip7.flac")},
    {"sentence": "second", "audio": _audio(1.0, sr=16000)},  # no id, no path: the row number
    {"id": "u3", "normalized_text": "third", "audio": _audio(0.25, sr=48000)},
]


def test_huggingface_rows_become_utterances(monkeypatch):
    calls = _fake_datasets(monkeypatch, ROWS)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "0")  # the user's value is kept
    us = list(from_huggingface("someone/set", "dev", "en"))
    assert calls == [("someone/set", "en", "dev", "0")] and os.environ["HF_HUB_OFFLINE"] == "1"
    assert [(u.id, u.text, u.dataset, u.subset) for u in us] == [
        ("clip7", "first", "someone/set", "dev"),  # the id from the audio's file name
        ("000001", "second", "someone/set", "dev"),
        ("u3", "third", "someone/set", "dev"),
    ]
    assert [u.duration_s for u in us] == [0.5, 1.0, 0.25]  # seconds at 16 kHz
    assert [len(u.load()) for u in us] == [8000, 16000, 4000]


@pytest.mark.parametrize("limit, n", [(None, 3), (1, 1), (2, 2), (3, 3), (5, 3)])
def test_huggingface_limit_is_the_number_of_utterances(monkeypatch, limit, n):
    _fake_datasets(monkeypatch, ROWS)
    assert len(list(from_huggingface("someone/set", limit=limit))) == n


def test_huggingface_row_without_text_is_named(monkeypatch):
    _fake_datasets(monkeypatch, [*ROWS[:1], {"id": "x", "words": "a", "audio": _audio(0.1)}])
    got = from_huggingface("someone/set")
    assert next(got).text == "first"
    with pytest.raises(OptionsError, match=r"'someone/set' has no text column among \['audio'"):
        next(got)


def test_huggingface_download_leaves_the_offline_switches_alone(monkeypatch):
    calls = _fake_datasets(monkeypatch, ROWS[:1])
    list(from_huggingface("someone/set", allow_download=True))
    assert calls[0][3] is None and "HF_HUB_OFFLINE" not in os.environ
