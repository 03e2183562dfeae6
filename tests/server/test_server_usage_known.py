"""Known answers for the usage records: what one record holds (column-sized text, latency,
the error only on a failure) and that the middleware writes exactly one per request however
the app ends it (a response, an exception before or after the status line, a cancellation)."""

from __future__ import annotations

import asyncio
import types

import anyio
import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from audiosqueeze.server import usage as usage_mod
from audiosqueeze.server.db import UsageRecord
from audiosqueeze.server.usage import Usage, UsageMiddleware, usage_of, write_record

from .srv_helpers import client, http_scope, wav_bytes


def records(engine) -> list[UsageRecord]:
    with Session(engine) as s:
        return list(s.scalars(select(UsageRecord).order_by(UsageRecord.id)))


def test_caller_text_is_cut_to_its_column_and_every_database_stores_it(engine):
    u = Usage(principal="p" * 100, model="m" * 100, token_profile="t" * 100, error="e" * 999)
    rec = u.to_record("/v1/" + "x" * 200, 500)
    got = (rec.principal, rec.endpoint, rec.model, rec.token_profile, rec.error)
    assert got == ("p" * 32, ("/v1/" + "x" * 200)[:64], "m" * 64, "t" * 32, "e" * 300)
    write_record(engine, rec)  # PostgreSQL refuses text longer than its column
    (back,) = records(engine)
    assert (back.principal, back.endpoint, back.model, back.token_profile) == got[:4]
    assert back.error == "e" * 300


def test_an_empty_model_name_is_stored_as_none():
    assert Usage(model="").to_record("/v1/compress", 200).model is None


def test_latency_is_milliseconds_since_start_to_a_microsecond(monkeypatch):
    monkeypatch.setattr(usage_mod, "time", types.SimpleNamespace(perf_counter=lambda: 12.3456789))
    assert Usage(started=10.0).to_record("/v1/compress", 200).latency_ms == 2345.679


@pytest.mark.parametrize("status, kept", [(200, False), (399, False), (400, True), (401, True)])
def test_the_error_is_kept_only_for_a_failure(status, kept):
    rec = Usage(error="boom").to_record("/v1/compress", status)
    assert rec.error == ("boom" if kept else None)


def test_a_record_says_no_speech_only_when_there_was_none(tmp_path):
    silence = wav_bytes(np.zeros(32000, np.float32))
    speech = wav_bytes(0.3 * np.sin(2 * np.pi * 200 * np.arange(32000) / 16000).astype("f4"))
    with client(tmp_path, auth=False) as c:
        for body, query in ((speech, "rate=0"), (silence, "rate=0"), (speech, "rate=9")):
            c.post(f"/v1/compress?{query}", content=body, headers={"content-type": "audio/wav"})
        got = [(r.status, r.no_speech) for r in records(c.app.state.engine)]
    assert got == [(200, False), (200, True), (422, False)]


# --- the middleware, around apps that end each way ----------------------------------------


async def _ok(scope, receive, send):
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"done"})


async def _fails_after_start(scope, receive, send):
    usage_of(scope).seconds_in = 1.5
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("mid-body")


async def _fails_before_start(scope, receive, send):
    raise RuntimeError("before any byte")


async def _fails_with_a_message(scope, receive, send):
    usage_of(scope).error = "backend said no"
    raise RuntimeError("before any byte")


async def _hangs(scope, receive, send):
    await anyio.sleep_forever()


def drive(engine, app, path="/v1/compress"):
    """Run ``app`` behind the middleware; returns (what was sent, the exception or None)."""
    sent: list = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def run():
        mw = UsageMiddleware(app, lambda: engine)
        with anyio.move_on_after(0.2):
            await mw(http_scope(path, {}), receive, send)

    try:
        asyncio.run(run())
    except RuntimeError as e:
        return sent, e
    return sent, None


def test_a_response_gets_one_record_and_its_id_header(engine):
    sent, exc = drive(engine, _ok)
    assert exc is None and [m["type"] for m in sent] == ["http.response.start"] + [
        "http.response.body"
    ]
    (rec,) = records(engine)
    assert (rec.status, rec.endpoint, rec.error) == (201, "/v1/compress", None)
    assert dict(sent[0]["headers"])[b"x-request-id"] == rec.request_id.encode()


def test_an_app_failing_after_the_status_line_keeps_its_one_record(engine):
    sent, exc = drive(engine, _fails_after_start)
    assert str(exc) == "mid-body"  # the app's own error, not a duplicate record's
    (rec,) = records(engine)
    assert (rec.status, rec.seconds_in, rec.error) == (200, 1.5, None)


@pytest.mark.parametrize(
    "app, error",
    [(_fails_before_start, "internal error"), (_fails_with_a_message, "backend said no")],
)
def test_an_app_failing_before_the_status_line_is_recorded_as_a_500(engine, app, error):
    sent, exc = drive(engine, app)
    assert sent == [] and str(exc) == "before any byte"
    (rec,) = records(engine)
    assert (rec.status, rec.error) == (500, error)


def test_a_cancelled_request_is_still_recorded(engine):
    sent, exc = drive(engine, _hangs)
    assert sent == [] and exc is None
    (rec,) = records(engine)
    assert (rec.status, rec.error) == (500, "internal error")


def test_paths_outside_the_api_are_not_recorded(engine):
    for path in ("/healthz", "/dashboard", "/v2/compress"):
        sent, exc = drive(engine, _ok, path)
        assert exc is None and b"x-request-id" not in dict(sent[0]["headers"])
    assert records(engine) == []
    drive(engine, _ok, "/dashboard/compress")
    assert [r.endpoint for r in records(engine)] == ["/dashboard/compress"]
