"""Planted answers for the service's plumbing: the body caps at their exact edge, the key
routes, the app's wiring, the dashboard's sessions and the ``serve``/``keys`` commands."""

from __future__ import annotations

import asyncio

import pytest

from audiosqueeze.server.errors import ApiError
from audiosqueeze.server.limits import BodyLimitMiddleware

from .srv_helpers import config

KIB = 1024


def through_limit(cfg, path, headers, messages, *, reads=None):
    """Drive :class:`BodyLimitMiddleware` around an app that calls ``receive`` ``reads``
    times (default: once per message); returns what the app received. ``messages`` items are
    ASGI messages, or a number of seconds to wait before the next one."""
    got = []
    feed = list(messages)

    async def receive():
        while feed and isinstance(feed[0], (int, float)):
            await asyncio.sleep(feed.pop(0))
        return feed.pop(0)

    async def inner(scope, receive, send):
        for _ in range(reads or sum(isinstance(m, dict) for m in messages)):
            got.append(await receive())

    scope = {
        "type": "http",
        "path": path,
        "headers": [(k.encode(), v.encode("latin-1")) for k, v in headers.items()],
    }
    asyncio.run(BodyLimitMiddleware(inner, cfg)(scope, receive, None))
    return got


def body(n: int, more: bool = False) -> dict:
    return {"type": "http.request", "body": b"x" * n, "more_body": more}


# (path, content type, max_upload_bytes, the most bytes that pass)
EDGES = [
    ("/v1/keys", "application/json", 1000, 64 * KIB),
    ("/dashboard/login", "application/x-www-form-urlencoded", 1000, 64 * KIB),
    ("/v1/compress", "audio/wav", 1000, 1000),
    ("/v1/audio/transcriptions", "multipart/form-data; boundary=x", 1000, 1000),
    # base64: 4 characters per 3 bytes (1000 bytes -> 1333), plus 64 KiB for the rest
    ("/v1/compress", "application/json", 1000, 1333 + 64 * KIB),
    ("/dashboard/compress", "Application/JSON; charset=utf-8", 3000, 4000 + 64 * KIB),
]


@pytest.mark.parametrize(("path", "ctype", "cap", "most"), EDGES)
def test_a_body_of_exactly_the_cap_passes_and_one_byte_more_is_413(
    tmp_path, path, ctype, cap, most
):
    cfg = config(tmp_path, max_upload_bytes=cap)
    headers = {"content-type": ctype}
    # in two chunks, so the count is a running total
    got = through_limit(cfg, path, headers, [body(most - 10, True), body(10)])
    assert sum(len(m["body"]) for m in got) == most
    with pytest.raises(ApiError) as e:
        through_limit(cfg, path, headers, [body(most - 10, True), body(11)])
    assert e.value.status == 413 and e.value.message == f"request body exceeds {most} bytes"


@pytest.mark.parametrize(("path", "ctype", "cap", "most"), EDGES)
def test_a_declared_length_of_exactly_the_cap_is_read(tmp_path, path, ctype, cap, most):
    cfg = config(tmp_path, max_upload_bytes=cap)
    ok = {"content-type": ctype, "content-length": str(most)}
    assert through_limit(cfg, path, ok, [body(most)])[0]["body"] == b"x" * most
    over = {"content-type": ctype, "content-length": str(most + 1)}
    with pytest.raises(ApiError) as e:
        through_limit(cfg, path, over, [body(most + 1)])
    assert e.value.status == 413
    assert e.value.message == f"request body of {most + 1} bytes exceeds {most} bytes"


@pytest.mark.parametrize("value", ["12a", "0x10", "1e3", "-5", "²", "", " "])
def test_a_content_length_that_is_not_digits_is_400_quoting_it(tmp_path, value):
    headers = {"content-type": "audio/wav", "content-length": value}
    with pytest.raises(ApiError) as e:
        through_limit(config(tmp_path), "/v1/compress", headers, [body(3)])
    assert e.value.status == 400
    assert e.value.message == f"Content-Length must be a number, got {value!r}"


def test_the_quoted_content_length_is_its_first_40_characters(tmp_path):
    value = "a" * 40 + "b" * 20
    headers = {"content-type": "audio/wav", "content-length": value}
    with pytest.raises(ApiError) as e:
        through_limit(config(tmp_path), "/v1/compress", headers, [body(3)])
    assert e.value.message.endswith("got '" + "a" * 40 + "'")


@pytest.mark.parametrize("final", [body(5), {"type": "http.request", "body": b"x" * 5}])
def test_after_the_last_chunk_a_late_disconnect_is_passed_on_not_timed_out(tmp_path, final):
    """A message without ``more_body`` is the last one (ASGI's default); after it the app may
    wait for the disconnect as long as it likes: no 408, and the message reaches it."""
    cfg = config(tmp_path, body_timeout_s=0.01)
    later = {"type": "http.disconnect"}
    got = through_limit(cfg, "/v1/compress", {"content-type": "audio/wav"}, [final, 0.2, later])
    assert got == [final, later]


def test_a_pause_mid_body_is_408(tmp_path):
    cfg = config(tmp_path, body_timeout_s=0.01)
    with pytest.raises(ApiError) as e:
        through_limit(
            cfg, "/v1/compress", {"content-type": "audio/wav"}, [body(5, True), 0.2, body(5)]
        )
    assert e.value.status == 408 and e.value.headers == {"connection": "close"}
