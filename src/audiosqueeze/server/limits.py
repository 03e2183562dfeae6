"""Request bodies are bounded while they stream in: a size cap per path (413) and an idle
timeout (408), for every route, before any of them reads a byte.

This has to sit around the whole app: FastAPI reads a declared body (``/v1/keys``' JSON, the
dashboard's forms) before the dependencies that check the key run, so a cap inside a route
comes too late for an anonymous client. The audio endpoints may receive
``max_upload_bytes`` (a third more for base64 in JSON); everything else at most
:data:`SMALL_BODY_BYTES`. A client that declares more is refused before its first byte is read;
one that sends more is stopped at the cap; one that stops sending for ``body_timeout_s`` gets
408. Both close the connection.
"""

from __future__ import annotations

import anyio

from .config import ServerConfig
from .errors import ApiError

#: Routes that take an audio upload.
UPLOAD_PATHS = ("/v1/compress", "/v1/audio/transcriptions", "/dashboard/compress")
#: The cap for every other body (a key name, a login form).
SMALL_BODY_BYTES = 64 * 1024
_CLOSE = {"connection": "close"}


def body_limit(config: ServerConfig, path: str, media_type: str) -> int:
    """The most bytes a request to ``path`` with this ``Content-Type`` may send."""
    if path not in UPLOAD_PATHS:
        return SMALL_BODY_BYTES
    if media_type == "application/json":  # base64 audio: 4 characters per 3 bytes
        return config.max_upload_bytes * 4 // 3 + SMALL_BODY_BYTES
    return config.max_upload_bytes


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def declared_length(scope) -> int | None:
    """``Content-Length`` as an int (400 if it is not a number)."""
    value = _header(scope, b"content-length")
    if value is None:
        return None
    if not (value.isascii() and value.strip().isdigit()):
        raise ApiError(400, f"Content-Length must be a number, got {value[:40]!r}")
    return int(value)


class BodyLimitMiddleware:
    """Wraps ``receive``: counts body bytes against :func:`body_limit` and times out a client
    that stops sending."""

    def __init__(self, app, config: ServerConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        media = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        limit = body_limit(self.config, scope.get("path", ""), media)
        timeout_s = self.config.body_timeout_s
        received, done = 0, False

        async def limited() -> dict:
            nonlocal received, done
            if done:  # after the body: only a disconnect can come, and it may take a while
                return await receive()
            declared = declared_length(scope)
            if declared is not None and declared > limit:
                raise ApiError(
                    413, f"request body of {declared} bytes exceeds {limit} bytes", headers=_CLOSE
                )
            with anyio.move_on_after(timeout_s) as waited:
                message = await receive()
            if waited.cancelled_caught:
                raise ApiError(
                    408, f"no request body data for {timeout_s:g} s; giving up", headers=_CLOSE
                )
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, f"request body exceeds {limit} bytes", headers=_CLOSE)
                done = not message.get("more_body", False)
            return message

        await self.app(scope, limited, send)
