"""Known answers for ``/v1/stream``'s edges: a close reason at exactly the frame's 123 bytes,
s16 clipping, which close code each error gets, the limits at their exact edge, and the usage
record of a stream that ends early or on a bug."""

from __future__ import annotations

import json

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze import errors as e
from audiosqueeze.server import routes_stream as rs
from audiosqueeze.server.errors import ApiError
from audiosqueeze.server.routes_stream import Refused, close_reason, is_end, refusal, to_pcm

from .srv_helpers import client
from .test_server_stream import read_all, records, stream


def test_a_close_reason_is_cut_only_past_123_bytes():
    assert close_reason("a" * 123) == "a" * 123
    assert close_reason("a" * 124) == "a" * 120 + "..."
    assert close_reason("é" * 62) == "é" * 60 + "..."  # 124 bytes cut to 120, then "..."
    assert close_reason("é" * 61 + "a") == "é" * 61 + "a"  # 123 bytes


def test_s16_output_rounds_and_clips():
    y = np.array([0.0, 1.0, -1.0, 2.0, -2.0, 0.5 / 32768, 1.5 / 32768, -0.75 / 32768])
    got = np.frombuffer(to_pcm(y, "s16le"), "<i2").tolist()
    assert got == [0, 32767, -32768, 32767, -32768, 0, 2, -1]
    assert np.frombuffer(to_pcm(y, "f32le"), "<f4").tolist() == y.astype("f4").tolist()


@pytest.mark.parametrize(
    "error, code, status",
    [
        (ApiError(401, "k"), 1008, 401),
        (ApiError(403, "k"), 1008, 403),
        (ApiError(429, "k"), 1013, 429),
        (ApiError(422, "k"), 1008, 422),
        (e.AudioTooLongError("k"), 1009, 413),
        (e.MissingDependencyError("k"), 1011, 503),
        (e.ModelNotFoundError("k"), 1011, 503),
        (e.OptionsError("k"), 1007, 422),
        (e.UnsupportedFormatError("k"), 1007, 415),
    ],
)
def test_each_error_closes_with_its_code(error, code, status):
    r = refusal(error)
    assert (r.code, r.status, r.message) == (code, status, "k")


@pytest.mark.parametrize("text", ['{"type": "end"}', '{"type": "flush", "x": 1}'])
def test_end_messages(text):
    assert is_end(text) is True


@pytest.mark.parametrize("text", [None, "", "[]", '"end"', '{"type": "End"}', "[" * 100_000])
def test_other_text_messages_are_1003(text):
    with pytest.raises(Refused) as info:
        is_end(text)
    assert (info.value.code, info.value.status) == (1003, 422)


def test_a_bug_closes_1011_and_is_recorded_as_a_500(tmp_path, monkeypatch):
    def broken(rate, options):
        raise KeyError("boom")

    monkeypatch.setattr(rs, "_new_stream", broken)
    with client(tmp_path, auth=False) as c:
        with c.websocket_connect("/v1/stream") as ws:
            r = read_all(ws)
        (row,) = records(c)
    assert r.code == 1011 and r.reason == "internal server error"
    assert r.texts == [
        {"type": "error", "code": 1011, "status": 500, "message": "internal server error"}
    ]
    assert (row.status, row.error, row.seconds_in) == (500, "internal error: KeyError", None)


def test_the_upload_limit_allows_exactly_its_bytes(tmp_path):
    pcm = np.zeros(8000, "<i2").tobytes()  # 16000 bytes, half a second
    with client(tmp_path, auth=False, max_upload_bytes=16000) as c:
        ok = stream(c, "rate=1", pcm, sizes=(6000,))
        over = stream(c, "rate=1", pcm + b"\x00\x00", sizes=(6000,))
        rows = records(c)
    assert ok.code == 1000 and over.code == 1009
    assert over.reason == "the stream exceeds 16000 bytes of audio"
    assert [x.status for x in rows] == [200, 413]


def test_the_audio_limit_allows_exactly_its_seconds(tmp_path):
    pcm = np.zeros(16000, "<i2").tobytes()  # exactly 1 s
    with client(tmp_path, auth=False, max_audio_s=1.0) as c:
        ok = stream(c, "rate=1", pcm, sizes=(4000,))
        over = stream(c, "rate=1", pcm + b"\x00\x00", sizes=(4000,))
    assert ok.code == 1000 and ok.done["seconds_in"] == 1.0
    assert over.code == 1009 and over.reason == "the stream exceeds the 1 s limit of audio"


def test_an_unfinished_stream_is_billed_what_it_sent(tmp_path):
    """A stream refused part-way (a bad text message after 24001 samples) keeps the seconds
    and tokens it had pushed, to the microsecond."""
    n = 24001
    x = (0.1 * np.sin(2 * np.pi * 200 * np.arange(n) / 16000) * 32767).astype("<i2")
    m = "whisper-unpadded"
    with client(tmp_path, auth=False) as c:
        r = stream(c, f"rate=1&model={m}", x.tobytes(), sizes=(4002, 4000), end="x" * 50)
        (row,) = records(c)
    assert r.code == 1003 and row.status == 422
    assert f"got {'x' * 40!r}; audio is binary" in r.reason
    assert row.seconds_in == round(n / 16000, 6) and row.tokens_before == sq.tokens(
        row.seconds_in, m
    )
    k = round(row.seconds_out * 16000)
    assert 0 < k <= n and row.seconds_out == round(k / 16000, 6)
    assert row.tokens_after == sq.tokens(row.seconds_out, m)


@pytest.mark.parametrize(
    "data, words", [(b"\x00\x00\x01", "inside a sample"), (b"", "before any audio")]
)
def test_streams_that_end_wrong_are_recorded_as_422(tmp_path, data, words):
    with client(tmp_path, auth=False) as c:
        r = stream(c, "", data)
        (row,) = records(c)
    assert r.code == 1007 and words in r.reason and (row.status, row.error) == (422, r.reason)


def test_each_knot_is_sent_once_in_order(tmp_path):
    x = np.concatenate(
        [np.full(8000, 3000, "<i2"), np.zeros(24000, "<i2"), np.full(8000, -3000, "<i2")]
    )
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=1", x.tobytes(), sizes=(640,))
    updates = [t for t in r.texts if t["type"] == "timemap"]
    assert updates and all(len(u["original"]) > 0 for u in updates)
    starts = [u["start"] for u in updates]
    assert starts == [sum(len(u["original"]) for u in updates[:i]) for i in range(len(updates))]


def test_a_refused_handshake_bills_no_audio(tmp_path):
    with client(tmp_path, auth=False) as c:
        r = stream(c, "target_reduction=0.5", b"")
        (row,) = records(c)
    assert r.code == 1008 and "needs the whole recording" in r.reason
    assert (row.status, row.seconds_in, row.tokens_before) == (422, None, None)


def test_the_done_message_carries_the_reduction_to_six_places(tmp_path):
    x = np.concatenate(
        [np.full(16001, 3000, "<i2"), np.zeros(30017, "<i2"), np.full(7001, -2000, "<i2")]
    )
    with client(tmp_path, auth=False) as c:
        r = stream(c, "rate=1", x.tobytes())
    done = r.done
    exact = 1 - done["seconds_out"] / done["seconds_in"]
    assert done["reduction"] == round(exact, 6) and 0 < done["reduction"] < 1
    assert json.loads(json.dumps(done["timemap"])) == done["timemap"]


def test_a_missing_key_names_the_query_parameter_too(tmp_path):
    with client(tmp_path) as c:
        r = stream(c, "", b"")
        (row,) = records(c)
    assert r.code == 1008 and r.reason.startswith("missing API key: ")
    assert "?api_key=<key>" in r.reason and row.status == 401
