"""WebSocket /v1/stream: what comes back is the library's compress() of the same samples, in
any message sizes; refusals close with the documented code and reason; one usage row each."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import audiosqueeze as sq
from audiosqueeze.server.db import UsageRecord
from audiosqueeze.server.keys import create_key, revoke_key

from .srv_helpers import client, clip, live_server

END = json.dumps({"type": "end"})


@dataclass
class Reply:
    """Everything the server sent on one socket, up to its close."""

    audio: bytes = b""
    texts: list = field(default_factory=list)
    code: int | None = None
    reason: str = ""

    @property
    def done(self) -> dict:
        assert self.texts and self.texts[-1]["type"] == "done", (self.code, self.reason)
        return self.texts[-1]

    def updates(self) -> list[dict]:
        return [t for t in self.texts if t["type"] == "timemap"]


def read_all(ws) -> Reply:
    r = Reply()
    while True:
        m = ws.receive()
        if m["type"] == "websocket.close":
            r.code, r.reason = m["code"], m.get("reason") or ""
            return r
        if m.get("bytes") is not None:
            r.audio += m["bytes"]
        else:
            r.texts.append(json.loads(m["text"]))


def stream(c, query: str, data: bytes, sizes=(4000,), end: str | None = END, **headers) -> Reply:
    """Send ``data`` in messages of ``sizes`` (in order, the last one repeating), then
    ``end``; read to the close."""
    with c.websocket_connect(f"/v1/stream?{query}", headers=dict(headers)) as ws:
        i, k = 0, 0
        while i < len(data):
            n = sizes[min(k, len(sizes) - 1)]
            ws.send_bytes(data[i : i + n])
            i, k = i + n, k + 1
        if end is not None:
            ws.send_text(end)
        return read_all(ws)


def s16(x: np.ndarray) -> np.ndarray:
    """Float samples as 16-bit PCM: x 32768, rounded, clipped (the endpoint's documented rule)."""
    return np.clip(np.round(np.asarray(x, np.float64) * 32768), -32768, 32767).astype("<i2")


def library(samples: np.ndarray, rate: float, vad: str = "energy") -> sq.Compressed:
    opts = sq.AnalyzeOptions(vad=vad)
    return sq.compress(samples, rate, sample_rate=16000, analyze_options=opts)


def records(c) -> list[UsageRecord]:
    """The usage rows of a TestClient's (or an app's) database."""
    app = c.app if isinstance(c, TestClient) else c
    with Session(app.state.engine) as s:
        return list(s.scalars(select(UsageRecord).order_by(UsageRecord.id)))


@pytest.fixture(scope="module")
def pcm() -> np.ndarray:
    return s16(clip())  # 1 s tone, 3 s silence, 1 s tone: the energy VAD cuts the pause


# -- (a) (b) (c) the output is the library's -------------------------------------------------
def test_s16_output_is_the_library_output_and_timemap(tmp_path, pcm):
    expected = library(pcm, 1.0)
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=1&model=gpt-4o", pcm.tobytes())
    assert r.code == 1000, r.reason
    got = np.frombuffer(r.audio, "<i2")
    assert len(got) == len(expected.audio) < 0.7 * len(pcm)  # the pause was cut
    assert np.array_equal(got, s16(expected.audio))
    done = r.done
    assert sq.TimeMap.from_dict(done["timemap"]) == expected.timemap
    assert done["seconds_in"] == pytest.approx(5.0) and done["model"] == "gpt-4o"
    assert done["seconds_out"] == expected.stats.output_s
    assert done["tokens_before"] == expected.stats.tokens_before["gpt-4o"] == 50
    assert done["tokens_after"] == sq.tokens(expected.stats.output_s, "gpt-4o")
    assert done["reduction"] == pytest.approx(expected.stats.reduction, abs=1e-6)
    assert done["stats"]["edits"] == expected.stats.edits
    # the updates are the map's knots in order, each once: appended, they are the whole map
    ups = r.updates()
    assert ups and ups[0]["start"] == 0
    assert [u["start"] for u in ups] == list(np.cumsum([0] + [len(u["original"]) for u in ups]))[
        :-1
    ]
    knots = sq.TimeMap.from_knots(
        sum((u["original"] for u in ups), []), sum((u["compressed"] for u in ups), [])
    )
    assert knots == expected.timemap


def test_f32_output_is_bit_identical_to_the_library(tmp_path):
    x = clip()
    expected = library(x, 0.6)
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=0.6&format=f32le", x.astype("<f4").tobytes(), sizes=(6000,))
    assert r.code == 1000, r.reason
    assert r.audio == expected.audio.astype("<f4").tobytes()
    assert sq.TimeMap.from_dict(r.done["timemap"]) == expected.timemap


def test_max_segment_ms_is_the_librarys_option(tmp_path):
    t = np.arange(6 * 16000) / 16000  # one unbroken 6-s voiced run
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )
    opts = sq.AnalyzeOptions(vad="energy", max_segment_ms=10_000)
    expected = sq.compress(x, 1.0, sample_rate=16000, analyze_options=opts)
    default = library(x, 1.0)

    def runs(c):  # stretch runs (rendered as one WSOLA each)
        return sum(not e.joined for e in c.plan.edits)

    # the default splits the analysis every 256 ms; the planner joins the speech across
    assert len(expected.analysis.segments) == 1 and len(default.analysis.segments) >= 20
    assert runs(default) == runs(expected) == 1
    assert not np.array_equal(default.audio, expected.audio)
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=1&format=f32le&max_segment_ms=10000", x.astype("<f4").tobytes())
    assert r.code == 1000, r.reason
    assert r.audio == expected.audio.astype("<f4").tobytes()


def test_rate_zero_returns_the_input_bytes(tmp_path, pcm):
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=0", pcm.tobytes())
    assert r.code == 1000 and r.audio == pcm.tobytes()
    assert r.done["seconds_out"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    "sizes",
    [(333,), (1,) * 2001 + (333,), (7, 4097, 1, 2, 65535, 1, 3, 5001), (10**7,)],
    ids=["333", "1-then-333", "odd-mix", "one-message"],
)
def test_message_sizes_do_not_change_the_output(tmp_path, pcm, sizes):
    expected = s16(library(pcm, 1.0).audio).tobytes()
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=1", pcm.tobytes(), sizes=sizes)
    assert r.code == 1000, r.reason
    assert r.audio == expected


def test_f32_samples_split_across_messages(tmp_path):
    x = clip(1.5).astype("<f4")
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=1&format=f32le", x.tobytes(), sizes=(4001, 3, 1, 1, 1, 1, 4003))
    assert r.code == 1000, r.reason
    assert r.audio == library(x, 1.0).audio.astype("<f4").tobytes()


def test_flush_ends_like_end(tmp_path, pcm):
    with client(tmp_path, auth=False) as c:
        r = stream(c, "", pcm.tobytes(), end=json.dumps({"type": "flush"}))
    assert r.code == 1000 and r.done["seconds_in"] == pytest.approx(5.0)
    assert r.audio == s16(library(pcm, 0.5).audio).tobytes()  # rate defaults to 0.5


def test_a_real_clip(tmp_path, real_clips):
    """A LibriSpeech clip (../shared/data), with Silero where its model is installed."""
    from audiosqueeze.errors import ModelNotFoundError
    from audiosqueeze.vad import find_silero_model

    try:
        find_silero_model()
        vad = "silero"
    except ModelNotFoundError:
        vad = "energy"
    x = s16(sq.load(real_clips[0]["abs"]).samples)
    expected = library(x, 1.0, vad)
    with client(tmp_path, auth=False, vad=vad) as c:
        r = stream(c, "rate=1", x.tobytes(), sizes=(3333,))
    assert r.code == 1000, r.reason
    assert r.audio == s16(expected.audio).tobytes()
    assert sq.TimeMap.from_dict(r.done["timemap"]) == expected.timemap
    assert r.done["seconds_in"] == pytest.approx(len(x) / 16000)


# -- (d) keys and the rate limit --------------------------------------------------------------
def test_keys_by_header_and_query_and_refusals_close_1008(tmp_path, pcm):
    data = pcm[:16000].tobytes()
    with client(tmp_path) as c:
        row, key = create_key(c.app.state.engine, "dana")
        missing = stream(c, "rate=1", data)
        wrong = stream(c, "api_key=sq_000000000000_nope", data)
        bearer = stream(c, "rate=1", data, authorization=f"Bearer {key}")
        header = stream(c, "rate=1", data, **{"x-api-key": key})
        query = stream(c, f"rate=1&api_key={key}", data)
        revoke_key(c.app.state.engine, row.id)
        revoked = stream(c, f"api_key={key}", data)
        rows = records(c)
    assert missing.code == 1008 and "missing API key" in missing.reason
    assert missing.texts == [
        {"type": "error", "code": 1008, "status": 401, "message": missing.texts[0]["message"]}
    ]
    assert not missing.audio
    assert wrong.code == revoked.code == 1008 and "invalid or revoked" in revoked.reason
    assert bearer.code == header.code == query.code == 1000
    assert [x.status for x in rows] == [401, 401, 200, 200, 200, 401]
    assert [x.key_id for x in rows[2:5]] == [row.id] * 3
    assert all(x.endpoint == "/v1/stream" for x in rows)


def test_admin_key_and_no_auth(tmp_path, pcm, admin_env):
    data = pcm[:8000].tobytes()
    with client(tmp_path) as c:
        assert stream(c, f"api_key={admin_env}", data).code == 1000
    with client(tmp_path / "open", auth=False) as c:
        assert stream(c, "", data).code == 1000


def test_rate_limit_closes_1013(tmp_path, pcm):
    data = pcm[:8000].tobytes()
    with client(tmp_path, rate_limit_per_minute=2) as c:
        _, key = create_key(c.app.state.engine, "erin")
        codes = [stream(c, f"api_key={key}", data).code for _ in range(3)]
        last = stream(c, f"api_key={key}", data)
        statuses = [x.status for x in records(c)]
    assert codes == [1000, 1000, 1013]
    assert last.code == 1013 and "rate limit of 2 requests per minute" in last.reason
    assert statuses == [200, 200, 429, 429]


# -- (e) (f) (g) bad parameters, bad samples, too much ----------------------------------------
@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("rate=1.5", "rate must be in"),
        ("rate=nan", "rate must be in"),
        ("rate=fast", "rate must be a number"),
        ("model=gpt-5", "model must be one of"),
        ("format=mp3", "format must be one of"),
        ("target_reduction=0.3", "target_reduction needs the whole recording"),
        ("max_segment_ms=63", "max_segment_ms must be in"),
        ("max_segment_ms=inf", "max_segment_ms must be in"),
    ],
)
def test_bad_parameters_close_1008_with_the_reason(tmp_path, pcm, query, words):
    with client(tmp_path, auth=False) as c:
        r = stream(c, query, pcm[:8000].tobytes())
        (row,) = records(c)
    assert r.code == 1008 and words in r.reason and not r.audio
    assert r.texts[-1]["type"] == "error" and r.texts[-1]["status"] == 422
    assert row.status == 422 and words in row.error


def test_nan_samples_close_1007_with_the_library_message(tmp_path):
    x = clip(1.0).astype("<f4")
    x[20000] = np.nan
    with client(tmp_path, auth=False) as c:
        r = stream(c, "format=f32le", x.tobytes())
        big = stream(c, "format=f32le", np.full(4000, 100.0, "<f4").tobytes())
        (row, _) = records(c)
    assert r.code == 1007 and "samples are NaN or infinite" in r.reason
    assert not any(t["type"] == "done" for t in r.texts)
    assert big.code == 1007 and "samples reach 100" in big.texts[-1]["message"]
    assert row.status == 422 and "NaN" in row.error


@pytest.mark.parametrize(
    ("data", "end", "code", "words"),
    [
        (b"\x00\x00\x01", END, 1007, "ended inside a sample: 1 byte"),
        (b"", END, 1007, "before any audio arrived"),
        (b"\x00" * 640, "hello", 1003, "text messages must be"),
        (b"\x00" * 640, json.dumps({"type": "pause"}), 1003, "text messages must be"),
    ],
)
def test_malformed_streams_are_refused(tmp_path, data, end, code, words):
    with client(tmp_path, auth=False) as c:
        r = stream(c, "", data, end=end)
    assert r.code == code and words in r.reason, (r.code, r.reason)


@pytest.mark.parametrize(
    "limits", [{"max_upload_bytes": 50_000}, {"max_audio_s": 2.0}], ids=["bytes", "seconds"]
)
def test_too_much_audio_closes_1009(tmp_path, pcm, limits):
    with client(tmp_path, auth=False, **limits) as c:
        r = stream(c, "rate=1", pcm.tobytes(), sizes=(8000,))
        ok = stream(c, "rate=1", pcm[:12000].tobytes())
        rows = records(c)
    assert r.code == 1009 and "exceeds" in r.reason
    assert ok.code == 1000
    assert [x.status for x in rows] == [413, 200]


def test_a_silent_client_is_dropped(tmp_path, pcm):
    with client(tmp_path, auth=False, body_timeout_s=0.3) as c:
        with c.websocket_connect("/v1/stream") as ws:
            ws.send_bytes(pcm[:1000].tobytes())
            r = read_all(ws)
        (row,) = records(c)
    assert r.code == 1008 and "no message for 0.3 s" in r.reason
    assert row.status == 408


# -- (h) (i) usage, disconnects ---------------------------------------------------------------
def test_usage_row_has_the_seconds_and_tokens(tmp_path, pcm):
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=1&model=whisper-unpadded", pcm.tobytes())
        (row,) = records(c)
    done = r.done
    assert row.endpoint == "/v1/stream" and row.status == 200 and row.error is None
    assert row.request_id == done["request_id"]
    assert row.seconds_in == pytest.approx(5.0)
    assert row.seconds_out == done["seconds_out"] < 3.5
    assert (row.tokens_before, row.tokens_after) == (done["tokens_before"], done["tokens_after"])
    assert row.token_profile == row.model == "whisper-unpadded" and row.principal == "anonymous"


def wait_for_rows(c, n: int) -> list[UsageRecord]:
    """The usage rows once there are ``n`` (a row is written when its stream has ended)."""
    deadline = time.monotonic() + 20
    while len(rows := records(c)) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return rows


def test_disconnect_mid_stream_is_recorded_and_the_server_goes_on(tmp_path, pcm):
    with client(tmp_path, auth=False) as c:
        with c.websocket_connect("/v1/stream?rate=1") as ws:
            for i in range(0, 2 * 32000, 3200):  # 2 s, then hang up without "end"
                ws.send_bytes(pcm.tobytes()[i : i + 3200])
            ws.close(1001)
            (gone,) = wait_for_rows(c, 1)  # the server saw the hang-up (not a cancel)
        after = stream(c, "rate=1", pcm.tobytes())
        rows = records(c)
    assert gone.status == 499 and "disconnected" in gone.error
    assert gone.seconds_in == pytest.approx(2.0) and gone.seconds_out < 2.0
    assert gone.tokens_before == sq.tokens(2.0, "gemini")
    assert after.code == 1000 and after.audio == s16(library(pcm, 1.0).audio).tobytes()
    assert [x.status for x in rows] == [499, 200]


def test_close_reason_fits_a_close_frame():
    from audiosqueeze.server.routes_stream import close_reason

    long = "é" * 200
    cut = close_reason(long)
    assert len(cut.encode()) <= 123 and cut.endswith("...")
    assert close_reason("short") == "short"


# -- a real server: uvicorn's own WebSocket support ------------------------------------------
def test_live_server_with_the_websockets_client(tmp_path, pcm):
    """Under uvicorn (needs ``websockets``, in the [server] extra), end to end."""
    pytest.importorskip("websockets", reason="websockets is not installed ([server] extra)")
    import asyncio

    import websockets

    from audiosqueeze.server import create_app

    from .srv_helpers import config

    async def talk(url: str) -> tuple[bytes, dict, int]:
        out = b""
        async with websockets.connect(url) as ws:
            for i in range(0, len(pcm) * 2, 6400):
                await ws.send(pcm.tobytes()[i : i + 6400])
            await ws.send(END)
            async for m in ws:
                if isinstance(m, bytes):
                    out += m
                elif json.loads(m)["type"] == "done":
                    done = json.loads(m)
        return out, done, ws.close_code

    async def hang_up(url: str) -> None:
        ws = await websockets.connect(url)
        for i in range(0, 32000, 3200):  # 1 s, then the connection drops: no close frame
            await ws.send(pcm.tobytes()[i : i + 3200])
        ws.transport.abort()

    app = create_app(config(tmp_path, auth=False))
    with live_server(app) as base:
        url = base.replace("http://", "ws://") + "/v1/stream?rate=1"
        asyncio.run(hang_up(url))
        (gone,) = wait_for_rows(app, 1)
        audio, done, code = asyncio.run(talk(url))
        rows = wait_for_rows(app, 2)  # written once the socket has closed
    assert code == 1000 and audio == s16(library(pcm, 1.0).audio).tobytes()
    assert done["seconds_in"] == pytest.approx(5.0)
    # the dropped client is billed for what was processed before the server noticed it gone
    # (its next send of output fails): at most the 1 s it sent
    assert [x.status for x in rows] == [499, 200] and 0 < gone.seconds_in <= 1.0
