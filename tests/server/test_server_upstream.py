"""POST /v1/audio/transcriptions through an OpenAI-compatible upstream: the upstream hears the
shorter audio, times come back mapped, and whatever the upstream answers (or fails with) leaves
as a clean result or a 4xx/5xx that reveals nothing of the upstream."""

from __future__ import annotations

import io

import pytest
import soundfile as sf
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .srv_helpers import client, live_server
from .test_server_transcribe import LengthSensitiveASR, expected_map, post


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
    assert body["audiosqueeze"]["backend"] == "upstream"
    assert missing.status_code == 404 and "model not found" in missing.json()["error"]["message"]


def test_unreachable_upstream_is_502(tmp_path, wav):
    from .srv_helpers import free_port

    sock = free_port()  # bound, never listening: connection refused
    port = sock.getsockname()[1]
    with client(tmp_path, auth=False, upstream_url=f"http://127.0.0.1:{port}/v1") as c:
        r = post(c, wav, model="whisper-1")
    sock.close()
    assert r.status_code == 502 and "cannot reach" in r.json()["error"]["message"]


def test_verify_with_an_upstream_listens_with_the_embedded_recogniser(tmp_path, wav):
    received: list = []
    verifier = LengthSensitiveASR()
    with live_server(fake_upstream(received)) as up:  # noqa: SIM117 (up is used below)
        with client(tmp_path, asr=verifier, auth=False, upstream_url=f"{up}/v1") as c:
            r = post(c, wav, model="whisper-1", verify="true")
    assert r.status_code == 200 and r.headers["x-audiosqueeze-verify"] == "fell-back"
    assert sorted(verifier.heard)[-1] == 80000  # the verifier heard the original...
    assert received[0]["samples"] == 80000  # ...and, the words differing, so did the upstream


def scripted_upstream(answers: list):
    """An upstream that answers each request with the next (status, JSON body, headers)."""
    app = FastAPI()

    @app.post("/v1/audio/transcriptions")
    async def transcribe(request: Request):
        await request.form()
        status, body, headers = answers.pop(0)
        return JSONResponse(body, status_code=status, headers=headers)

    return app


ODD_ANSWERS = [
    {"text": "x", "segments": 5},
    {"text": "x", "words": {"start": 0, "end": 1}},
    {"text": "x", "segments": [{"start": 0, "end": 1, "text": "a", "words": "oops"}]},
    {"text": 5},
    {"segments": []},
    [],
    "text",
]


def test_odd_upstream_answers_are_502_or_a_clean_result(tmp_path, wav):
    """Every shape an upstream may answer: a 502 naming it, or a result; never a 500."""
    odd_but_usable = {
        "text": "x",
        "language": {"no": "string"},
        "segments": [
            {"start": 0, "end": 1, "text": 7},  # a number for text
            {"start": 0, "end": 10**400},  # an int no float holds: dropped
            {"start": "a", "end": 1},
        ],
    }
    answers = [(200, a, None) for a in [*ODD_ANSWERS, odd_but_usable, odd_but_usable]]
    with live_server(scripted_upstream(answers)) as up:  # noqa: SIM117 (up is used below)
        with client(tmp_path, auth=False, upstream_url=f"{up}/v1") as c:
            bad = [post(c, wav, model="whisper-1") for _ in ODD_ANSWERS]
            srt = post(c, wav, model="whisper-1", response_format="srt")
            verbose = post(c, wav, model="whisper-1", response_format="verbose_json")
    assert [r.status_code for r in bad] == [502] * len(ODD_ANSWERS), [r.text for r in bad]
    assert all("not transcription JSON" in r.json()["error"]["message"] for r in bad)
    assert srt.status_code == 200 and srt.text.endswith("\n7\n")
    v = verbose.json()
    assert [s["text"] for s in v["segments"]] == ["7"] and v["language"] == "english"


def test_nan_and_deep_nesting_in_an_upstream_answer_are_not_500(tmp_path, wav):
    """NaN in a field passed through made verbose_json unwritable, and nesting past Python's
    recursion limit broke the parse: both were 500s."""
    from fastapi.responses import Response

    nan = (
        b'{"text": "x", "segments": [{"start": 0, "end": 1, "text": "a", "avg_logprob": NaN,'
        b' "words": [{"word": "a", "start": 0, "end": 1, "probability": -Infinity}]}]}'
    )
    deep = b'{"text": "x", "segments": [{"start": 0, "end": 1, "x": ' + b"[" * 5000
    bodies = [nan, deep + b"]" * 5000 + b"}]}"]
    app = FastAPI()

    @app.post("/v1/audio/transcriptions")
    async def transcribe(request: Request):
        await request.form()
        return Response(bodies.pop(0), media_type="application/json")

    with live_server(app) as up:  # noqa: SIM117 (up is used below)
        with client(tmp_path, auth=False, upstream_url=f"{up}/v1") as c:
            v = post(c, wav, response_format="verbose_json", timestamp_granularities="word")
            d = post(c, wav, response_format="verbose_json")
    assert v.status_code == 200, v.text
    segment = v.json()["segments"][0]
    assert segment["avg_logprob"] is None and segment["words"][0]["probability"] is None
    assert d.status_code == 502 and "not transcription JSON" in d.json()["error"]["message"]


def test_words_nested_in_upstream_segments_come_back_mapped_too(tmp_path, wav):
    """speaches and faster-whisper servers nest each segment's words in it: those times were
    passed through on the compressed timeline."""
    tm = expected_map(wav)
    d = tm.compressed_samples / 16000
    words = [
        {"word": "first", "start": 0.1, "end": 0.4},
        {"word": "last", "start": d - 0.4, "end": d},
    ]
    answer = {
        "text": "first last",
        "segments": [{"start": 0.0, "end": d, "text": "first last", "words": words}],
        "words": words,
    }
    with live_server(scripted_upstream([(200, answer, None)])) as up:  # noqa: SIM117
        with client(tmp_path, auth=False, upstream_url=f"{up}/v1") as c:
            r = post(
                c,
                wav,
                model="whisper-1",
                response_format="verbose_json",
                **{"timestamp_granularities[]": ["word", "segment"]},
            )
    body = r.json()
    nested = body["segments"][0]["words"]
    assert (
        nested
        == body["words"]
        == [
            {
                "word": w["word"],
                "start": round(tm.to_original(w["start"]), 3),
                "end": round(tm.to_original(w["end"]), 3),
            }
            for w in words
        ]
    )
    assert nested[1]["start"] > 4.0  # after the removed pause: moved, not passed through


def test_upstream_url_and_failures_do_not_leak_to_callers(tmp_path, wav, caplog):
    """The upstream URL (credentials, an internal host) was in /healthz, in every
    verbose_json and in error messages; an upstream 401's message (which may quote part of the
    server's key) or a 500's (a traceback) went to the caller. 429 is 503 with Retry-After."""
    answers = [
        (401, {"error": {"message": "Incorrect API key provided: sk-proj-****abcd"}}, None),
        (500, {"error": "Traceback (most recent call last): /srv/upstream/app.py"}, None),
        (429, {"error": {"message": "slow down"}}, {"retry-after": "7"}),
        (400, {"error": {"message": "language 'xx' is not supported"}}, None),
        (200, {"text": "ok", "segments": [{"start": 0, "end": 1, "text": "ok"}]}, None),
    ]
    with live_server(scripted_upstream(answers)) as up:  # noqa: SIM117 (up is used below)
        url = up.replace("http://", "http://svc:hunter2@")
        with client(tmp_path, auth=False, upstream_url=f"{url}/v1") as c:
            health = c.get("/healthz").text
            got = [post(c, wav, model="whisper-1") for _ in range(4)]
            ok = post(c, wav, model="whisper-1", response_format="verbose_json")
    seen = health + ok.text + "".join(r.text + str(r.headers) for r in got)
    assert "hunter2" not in seen and up.split("//")[1] not in seen
    assert [r.status_code for r in got] == [502, 502, 503, 400]
    assert "sk-proj" not in got[0].text and "Traceback" not in got[1].text
    assert got[2].headers["retry-after"] == "7"
    assert "language 'xx' is not supported" in got[3].json()["error"]["message"]
    assert ok.json()["audiosqueeze"]["backend"] == "upstream"
    assert "sk-proj" in caplog.text and "hunter2" not in caplog.text  # the operator sees why


def test_a_slow_upstream_holds_no_cpu_slot(tmp_path, wav):
    """With one CPU slot, a transcription waiting on its upstream (up to 120 s by default) held
    that slot, so every /v1/compress queued behind it."""
    import threading

    import anyio

    release = threading.Event()
    app = FastAPI()

    @app.post("/v1/audio/transcriptions")
    async def transcribe(request: Request):
        await request.form()
        await anyio.to_thread.run_sync(release.wait, 30)
        return {"text": "late", "segments": []}

    with live_server(app) as up:  # noqa: SIM117 (up is used below)
        with client(tmp_path, auth=False, upstream_url=f"{up}/v1", compute_threads=1) as c:
            waiting = threading.Thread(target=post, args=(c, wav), kwargs={"model": "whisper-1"})
            waiting.start()
            try:
                done: list = []
                compress = threading.Thread(
                    target=lambda: done.append(
                        c.post("/v1/compress", content=wav, headers={"content-type": "audio/wav"})
                    )
                )
                compress.start()
                compress.join(15)
                assert done and done[0].status_code == 200, "compress waited for the upstream"
            finally:
                release.set()
                waiting.join(30)
