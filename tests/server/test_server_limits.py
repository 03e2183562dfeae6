"""Request bodies are bounded while they stream in, on every route and before authentication:
too big is 413 after at most the cap (or at once, when Content-Length says so), too slow is
408; neither reads the rest of the body."""

from __future__ import annotations

import base64
import itertools

import numpy as np
import pytest

from .srv_helpers import ADMIN_KEY, asgi_post, config, create_app, wav_bytes

MB = b"x" * (1 << 20)


def app(tmp_path, **kw):
    return create_app(config(tmp_path, **kw))


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/v1/keys", "application/json"),  # FastAPI reads this body before the key is checked
        ("/dashboard/login", "application/x-www-form-urlencoded"),
    ],
)
def test_anonymous_bodies_are_capped_while_streaming(tmp_path, path, ctype):
    status, body, asked = asgi_post(app(tmp_path), path, {"content-type": ctype}, [MB] * 50)
    assert status == 413 and body["error"]["code"] == 413
    assert asked == 1  # the first 1 MB chunk is already over the 64 KiB cap: nothing more read


def test_upload_cap_is_the_configured_one(tmp_path):
    a = app(tmp_path, max_upload_bytes=3 << 20, auth=False)
    status, body, asked = asgi_post(a, "/v1/compress", {"content-type": "audio/wav"}, [MB] * 50)
    assert (status, asked) == (413, 4) and "exceeds 3145728 bytes" in body["error"]["message"]
    # base64 in JSON may take a third more than the audio it carries
    status, _, asked = asgi_post(a, "/v1/compress", {"content-type": "application/json"}, [MB] * 50)
    assert (status, asked) == (413, 5)


def test_declared_length_over_the_cap_is_refused_before_reading(tmp_path):
    headers = {"content-type": "audio/wav", "content-length": str(50 << 20)}
    status, body, asked = asgi_post(app(tmp_path, auth=False), "/v1/compress", headers, [MB])
    assert (status, asked) == (413, 0)
    assert body["error"]["message"] == f"request body of {50 << 20} bytes exceeds 26214400 bytes"
    bad = {"content-type": "audio/wav", "content-length": "²"}
    assert asgi_post(app(tmp_path, auth=False), "/v1/compress", bad, [MB])[0] == 400


@pytest.mark.parametrize(
    ("path", "ctype", "headers"),
    [
        ("/v1/compress", "audio/wav", {}),
        ("/v1/keys", "application/json", {"authorization": f"Bearer {ADMIN_KEY}"}),
        ("/dashboard/login", "application/x-www-form-urlencoded", {}),
    ],
)
def test_a_client_that_stops_sending_gets_408(tmp_path, admin_env, path, ctype, headers):
    a = app(tmp_path, auth=path != "/v1/compress", body_timeout_s=0.3)
    status, body, asked = asgi_post(
        a, path, {"content-type": ctype, **headers}, itertools.repeat(b"x" * 100), stall_after=3
    )
    assert (status, asked) == (408, 3) and "no request body data for 0.3 s" in body["error"][
        "message"
    ]


def test_bodies_under_the_caps_still_work(tmp_path):
    wav = wav_bytes(np.zeros(16000, np.float32))
    a = app(tmp_path, auth=False)
    chunks = [wav[i : i + 4096] for i in range(0, len(wav), 4096)]
    assert asgi_post(a, "/v1/compress", {"content-type": "audio/wav"}, chunks)[0] == 200
    doc = b'{"audio": "' + base64.b64encode(wav) + b'"}'
    assert asgi_post(a, "/v1/compress", {"content-type": "application/json"}, [doc])[0] == 200


def test_a_client_that_hangs_up_mid_body_is_a_400_record_not_a_500(tmp_path, caplog):
    from sqlalchemy.orm import Session

    from audiosqueeze.server.db import UsageRecord

    a = app(tmp_path, auth=False)
    chunks = itertools.repeat(b"x" * 100)
    status, _, _ = asgi_post(
        a, "/v1/compress", {"content-type": "audio/wav"}, chunks, disconnect_after=2
    )
    assert status == 400
    with Session(a.state.engine) as s:
        (record,) = s.query(UsageRecord).all()
    assert record.status == 400 and "disconnected" in record.error
    assert "Traceback" not in caplog.text and "unhandled error" not in caplog.text
