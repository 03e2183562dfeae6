"""Helpers for the service tests (imported by the tests and by conftest.py)."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the [server] extra is not installed")
pytest.importorskip("sqlalchemy", reason="the [server] extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402

from audiosqueeze.server import ServerConfig, create_app  # noqa: E402
from audiosqueeze.transcript import Transcript, Word  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "admin-" + "x" * 40
PG_ENV = "AUDIOSQUEEZE_TEST_POSTGRES_URL"


class FakeASR:
    """Says "alpha ... omega": 'alpha' over the first 0.5 s, 'omega' over the last 0.5 s of
    whatever it hears, so the times it reports are known on the compressed timeline."""

    name = "fake-asr"
    config: dict = {}

    def __init__(self) -> None:
        self.heard: list[int] = []

    def transcribe(self, samples: np.ndarray) -> Transcript:
        self.heard.append(len(samples))
        d = len(samples) / 16000
        words = (Word("alpha", 0.0, 0.5), Word("omega", d - 0.5, d))
        segments = (Word("alpha", 0.0, 0.5), Word("omega", d - 0.5, d))
        return Transcript("alpha omega", words, segments)


def speechlike(seconds: float, freq: float = 180.0) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    x = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, 6))
    return (0.25 * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)) * x).astype(np.float32)


def clip(pause_s: float = 3.0) -> np.ndarray:
    """1 s of 'speech', ``pause_s`` of silence, 1 s of 'speech' (the energy VAD cuts the pause)."""
    return np.concatenate(
        [speechlike(1.0), np.zeros(int(pause_s * 16000), np.float32), speechlike(1.0, 230.0)]
    )


def wav_bytes(x: np.ndarray, rate: int = 16000, fmt: str = "WAV") -> bytes:
    import soundfile as sf

    b = io.BytesIO()
    sf.write(b, x, rate, format=fmt, subtype="PCM_16" if fmt in ("WAV", "FLAC") else None)
    return b.getvalue()


def config(tmp_path, **kw) -> ServerConfig:
    kw.setdefault("vad", "energy")
    kw.setdefault("asr", "none")
    return ServerConfig(data_dir=tmp_path, **kw)


@contextlib.contextmanager
def client(tmp_path, asr=None, engine=None, **kw):
    """A TestClient (lifespan run) for an app on SQLite in ``tmp_path`` (or ``engine``)."""
    app = create_app(config(tmp_path, **kw), asr=asr, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"no PostgreSQL: ${PG_ENV} is unset (.ci/run starts one and sets it)")
    from sqlalchemy import create_engine, text

    from audiosqueeze.server.db import normalise_url

    try:
        e = create_engine(normalise_url(url))
        with e.connect() as c:
            c.execute(text("SELECT 1"))
        e.dispose()
    except Exception as exc:  # the server is not up: say so
        pytest.skip(f"PostgreSQL at ${PG_ENV} does not answer: {exc}")
    return url


def free_port() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    return s


@contextlib.contextmanager
def live_server(app):
    """Run ``app`` under uvicorn on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    sock = free_port()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def http_scope(path: str, headers: dict[str, str], query: bytes = b"") -> dict:
    """A plain ASGI ``POST`` scope for driving the app by hand."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "state": {},
    }


def asgi_post(
    app, path: str, headers: dict, body_chunks, *, stall_after=None, disconnect_after=None
):
    """POST to ``app`` by hand (lifespan run), feeding ``body_chunks`` one ``receive`` at a
    time; after ``stall_after`` chunks the client goes silent, after ``disconnect_after`` it
    hangs up. Returns (status, body, number of chunks the app asked for)."""
    import asyncio
    import json

    import anyio

    chunks = iter(body_chunks)
    asked, status, out = [0], [], []

    async def receive():
        if stall_after is not None and asked[0] >= stall_after:
            await anyio.sleep_forever()
        if disconnect_after is not None and asked[0] >= disconnect_after:
            return {"type": "http.disconnect"}
        asked[0] += 1
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            out.append(message.get("body", b""))

    scope = http_scope(path, headers)

    async def run():
        async with app.router.lifespan_context(app):
            with anyio.fail_after(20):  # a hang fails the test instead of hanging it
                await app(scope, receive, send)

    asyncio.run(run())
    body = b"".join(out)
    with contextlib.suppress(ValueError):
        body = json.loads(body)
    return status[0], body, asked[0]
