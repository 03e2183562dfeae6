"""POST /v1/audio/transcriptions: the recogniser hears the shorter audio, the caller gets
original times back, in every OpenAI response format, through an upstream too."""

from __future__ import annotations

import io
import re

import pytest
import soundfile as sf
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import audiosqueeze as sq
from audiosqueeze.transcript import Transcript

from .srv_helpers import FakeASR, client, config, create_app, live_server


def expected_map(wav: bytes, rate: float = 0.5) -> sq.TimeMap:
    return sq.compress(wav, rate, analyze_options=sq.AnalyzeOptions(vad="energy")).timemap


def post(c, wav, **data):
    return c.post(
        "/v1/audio/transcriptions", files={"file": ("a.wav", wav, "audio/wav")}, data=data
    )


def test_verbose_json_maps_words_and_segments_back(tmp_path, wav):
    asr = FakeASR()
    tm = expected_map(wav, 1.0)
    d = tm.compressed_samples / 16000
    with client(tmp_path, asr=asr, auth=False) as c:
        r = post(
            c,
            wav,
            model="whisper-1",
            response_format="verbose_json",
            rate="1",
            **{"timestamp_granularities[]": ["word", "segment"]},
        )
    assert r.status_code == 200, r.text
    assert asr.heard == [tm.compressed_samples]  # the recogniser heard the shorter audio
    assert float(r.headers["x-audiosqueeze-seconds-out"]) == pytest.approx(d, abs=1e-3)
    assert float(r.headers["x-audiosqueeze-seconds-in"]) == pytest.approx(5.0)
    body = r.json()
    words = body["words"]
    assert [w["word"] for w in words] == ["alpha", "omega"]
    assert words[0]["end"] == pytest.approx(tm.to_original(0.5), abs=1e-3)
    assert words[1]["start"] == pytest.approx(tm.to_original(d - 0.5), abs=1e-3)
    assert words[1]["start"] > 4.0  # after the removed pause, on the original timeline
    assert words[1]["end"] == pytest.approx(5.0, abs=1e-3)
    assert [s["end"] for s in body["segments"]] == [w["end"] for w in words]
    assert body["duration"] == pytest.approx(5.0)
    assert body["audiosqueeze"]["seconds_saved"] == pytest.approx(5.0 - d, abs=1e-3)


def test_segment_only_verbose_json_has_no_words(tmp_path, wav):
    with client(tmp_path, asr=FakeASR(), auth=False) as c:
        r = post(c, wav, model="whisper-1", response_format="verbose_json")
    assert r.status_code == 200 and "words" not in r.json() and len(r.json()["segments"]) == 2


def test_text_json_srt_vtt(tmp_path, wav):
    tm = expected_map(wav)
    start = tm.to_original(tm.compressed_samples / 16000 - 0.5)
    stamp = f"{int(start // 60):02d}:{start % 60:06.3f}"
    with client(tmp_path, asr=FakeASR(), auth=False) as c:
        text = post(c, wav, model="whisper-1", response_format="text")
        js = post(c, wav, model="whisper-1")
        srt = post(c, wav, model="whisper-1", response_format="srt")
        vtt = post(c, wav, model="whisper-1", response_format="vtt")
    assert text.text == "alpha omega\n" and text.headers["content-type"].startswith("text/plain")
    assert js.json() == {"text": "alpha omega"}
    assert srt.text.startswith("1\n00:00:00,000 --> ")
    assert f"00:{stamp.replace('.', ',')} --> 00:00:05,000\nomega" in srt.text
    assert vtt.text.startswith("WEBVTT\n\n") and f"00:{stamp} --> 00:00:05.000\nomega" in vtt.text
    for r in (text, js, srt, vtt):
        assert float(r.headers["x-audiosqueeze-seconds-out"]) < 5.0


class LengthSensitiveASR(FakeASR):
    """Hears different words in shortened audio (so verify must fall back)."""

    def transcribe(self, samples):
        self.heard.append(len(samples))
        return Transcript("the original" if len(samples) == 80000 else "something else")


def test_verify_falls_back_to_the_original_when_words_change(tmp_path, wav):
    asr = LengthSensitiveASR()
    with client(tmp_path, asr=asr, auth=False) as c:
        r = post(c, wav, model="whisper-1", verify="true")
    assert r.status_code == 200 and r.json()["text"] == "the original"
    assert r.headers["x-audiosqueeze-verify"] == "fell-back"
    assert float(r.headers["x-audiosqueeze-seconds-out"]) == pytest.approx(5.0)
    assert asr.heard[-1] == 80000


def test_verify_keeps_the_compression_when_words_agree(tmp_path, wav):
    asr = FakeASR()
    with client(tmp_path, asr=asr, auth=False) as c:
        r = post(c, wav, model="whisper-1", verify="1")
    assert r.headers["x-audiosqueeze-verify"] == "agreed"
    assert float(r.headers["x-audiosqueeze-seconds-out"]) < 5.0
    assert sorted(asr.heard)[-1] == 80000  # the verifier heard the original once


@pytest.mark.parametrize(
    ("data", "param"),
    [
        ({"response_format": "docx"}, "response_format"),
        ({"temperature": "2"}, "temperature"),
        ({"temperature": "nan"}, "temperature"),
        ({"language": "english!"}, "language"),
        ({"language": "de"}, "language"),  # the fake is not English-only, but tiny.en is
        ({"timestamp_granularities[]": "char"}, "timestamp_granularities[]"),
        ({"verify": "maybe"}, "verify"),
        ({"stream": "true"}, "stream"),
        ({"rate": "2"}, "rate"),
    ],
)
def test_bad_fields_are_422(tmp_path, wav, data, param):
    asr = FakeASR()
    asr.name = "whisper-tiny.en"
    with client(tmp_path, asr=asr, auth=False) as c:
        r = post(c, wav, model="whisper-1", **data)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param


def test_no_backend_is_503_not_a_crash(tmp_path, wav):
    with client(tmp_path, auth=False) as c:  # config asr="none"
        r = post(c, wav, model="whisper-1")
    assert r.status_code == 503 and "--asr none" in r.json()["error"]["message"]


# -- an OpenAI-compatible upstream ---------------------------------------------------------


def fake_upstream(received: list):
    """An upstream that records what it got and answers words at known compressed times."""
    app = FastAPI()

    @app.post("/v1/audio/transcriptions")
    async def transcribe(request: Request):
        form = await request.form()
        data = await form["file"].read()
        x, rate = sf.read(io.BytesIO(data), dtype="float32")
        received.append(
            {
                "samples": len(x),
                "rate": rate,
                "auth": request.headers.get("authorization"),
                "fields": {k: form.getlist(k) for k in form if k != "file"},
            }
        )
        if form.get("model") == "no-such-model":
            return JSONResponse({"error": {"message": "model not found"}}, status_code=404)
        d = len(x) / rate
        return {
            "task": "transcribe",
            "language": "english",
            "duration": d,
            "text": "first last",
            "segments": [
                {
                    "id": 0,
                    "start": 0.0,
                    "end": d,
                    "text": "first last",
                    "avg_logprob": -0.2,
                    "no_speech_prob": 0.01,
                }
            ],
            "words": [
                {"word": "first", "start": 0.0, "end": 0.4},
                {"word": "last", "start": d - 0.4, "end": d},
            ],
        }

    return app


def test_upstream_hears_the_shorter_audio_and_times_come_back(tmp_path, wav, monkeypatch):
    monkeypatch.setenv("AUDIOSQUEEZE_UPSTREAM_KEY", "upstream-secret")
    received: list = []
    tm = expected_map(wav)
    with live_server(fake_upstream(received)) as up:  # noqa: SIM117 (up is used below)
        with client(tmp_path, auth=False, upstream_url=f"{up}/v1") as c:
            r = post(
                c,
                wav,
                model="whisper-1",
                response_format="verbose_json",
                language="en",
                **{"timestamp_granularities[]": "word"},
            )
            missing = post(c, wav, model="no-such-model")
    assert r.status_code == 200, r.text
    got = received[0]
    assert got["samples"] == tm.compressed_samples < 80000  # the upstream got the short audio
    assert got["auth"] == "Bearer upstream-secret"
    assert got["fields"]["model"] == ["whisper-1"] and got["fields"]["language"] == ["en"]
    assert got["fields"]["response_format"] == ["verbose_json"]
    body = r.json()
    d = tm.compressed_samples / 16000
    assert body["words"][1]["start"] == pytest.approx(tm.to_original(d - 0.4), abs=1e-3)
    assert body["words"][1]["end"] == pytest.approx(5.0, abs=1e-3)
    assert body["segments"][0]["avg_logprob"] == -0.2  # the upstream's own fields kept
    assert body["audiosqueeze"]["backend"].startswith("upstream:")
    assert missing.status_code == 404 and "model not found" in missing.json()["error"]["message"]


def test_unreachable_upstream_is_502(tmp_path, wav):
    from .srv_helpers import free_port

    sock = free_port()  # bound, never listening: connection refused
    port = sock.getsockname()[1]
    with client(tmp_path, auth=False, upstream_url=f"http://127.0.0.1:{port}/v1") as c:
        r = post(c, wav, model="whisper-1")
    sock.close()
    assert r.status_code == 502 and "cannot reach" in r.json()["error"]["message"]


def test_openai_sdk_against_the_live_service(tmp_path, wav):
    openai = pytest.importorskip("openai", reason="the [openai] extra is not installed")
    path = tmp_path / "talk.wav"
    path.write_bytes(wav)
    tm = expected_map(wav)
    app = create_app(config(tmp_path, auth=False), asr=FakeASR())
    with live_server(app) as url:
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        with open(path, "rb") as f:
            raw = sdk.audio.transcriptions.with_raw_response.create(
                model="whisper-1",
                file=f,
                response_format="verbose_json",
                timestamp_granularities=["word"],
            )
        v = raw.parse()
        with open(path, "rb") as f:
            srt = sdk.audio.transcriptions.create(model="whisper-1", file=f, response_format="srt")
    assert v.text == "alpha omega" and v.words[1].end == pytest.approx(5.0, abs=1e-3)
    assert float(raw.headers["x-audiosqueeze-seconds-out"]) == pytest.approx(
        tm.compressed_samples / 16000, abs=1e-3
    )
    assert re.search(r"--> 00:00:05,000\nomega", srt)


def test_verify_with_an_upstream_listens_with_the_embedded_recogniser(tmp_path, wav):
    received: list = []
    verifier = LengthSensitiveASR()
    with live_server(fake_upstream(received)) as up:  # noqa: SIM117 (up is used below)
        with client(tmp_path, asr=verifier, auth=False, upstream_url=f"{up}/v1") as c:
            r = post(c, wav, model="whisper-1", verify="true")
    assert r.status_code == 200 and r.headers["x-audiosqueeze-verify"] == "fell-back"
    assert sorted(verifier.heard)[-1] == 80000  # the verifier heard the original...
    assert received[0]["samples"] == 80000  # ...and, the words differing, so did the upstream
