"""A usage record for every API request, committed before the first byte of the response.

:class:`UsageMiddleware` (plain ASGI) puts a :class:`Usage` in the request scope; auth fills in
who is calling, the endpoint what was done. When the app starts its response the middleware
holds the ``http.response.start`` message back, writes and commits the record (in a worker
thread), and only then lets the response go. A process killed at any moment therefore never
has a 200 on the wire without its record on disk.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import anyio
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .db import UsageRecord, utcnow

#: Paths whose requests are recorded (the API and the dashboard's upload).
RECORDED_PREFIXES = ("/v1/", "/dashboard/compress")
REQUEST_ID_HEADER = "x-request-id"


@dataclass
class Usage:
    """What one request did; filled in as it goes."""

    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.perf_counter)
    key_id: int | None = None
    principal: str = "unauthenticated"
    model: str | None = None
    token_profile: str | None = None
    seconds_in: float | None = None
    seconds_out: float | None = None
    tokens_before: int | None = None
    tokens_after: int | None = None
    no_speech: bool = False
    error: str | None = None

    def to_record(self, endpoint: str, status: int) -> UsageRecord:
        now = utcnow()
        return UsageRecord(
            request_id=self.request_id,
            created_at=now,
            day=now.date(),
            key_id=self.key_id,
            principal=storable(self.principal, 32),
            endpoint=storable(endpoint, 64),
            model=storable(self.model or None, 64),
            token_profile=storable(self.token_profile, 32),
            seconds_in=self.seconds_in,
            seconds_out=self.seconds_out,
            tokens_before=self.tokens_before,
            tokens_after=self.tokens_after,
            no_speech=self.no_speech,
            status=status,
            latency_ms=round((time.perf_counter() - self.started) * 1000.0, 3),
            error=storable(self.error, 300) if status >= 400 else None,
        )


def storable(text: str | None, size: int) -> str | None:
    """Caller-supplied text (a path, a model name) as every database stores it: no NUL byte
    (PostgreSQL refuses one), no lone surrogate (not UTF-8), at most ``size`` characters."""
    if text is None:
        return None
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")[:size]


def write_record(engine: Engine, record: UsageRecord) -> None:
    with Session(engine) as s, s.begin():
        s.add(record)


def usage_of(scope) -> Usage | None:
    return scope.get("audiosqueeze.usage")


class UsageMiddleware:
    """Records each request under :data:`RECORDED_PREFIXES` before its response starts."""

    def __init__(self, app, engine_getter) -> None:
        self.app = app
        self.engine_getter = engine_getter

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(RECORDED_PREFIXES):
            await self.app(scope, receive, send)
            return
        usage = Usage()
        scope["audiosqueeze.usage"] = usage
        started = False

        async def send_after_commit(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                await self._commit(usage, path, message["status"])
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), usage.request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_after_commit)
        except BaseException:
            if not started:  # the error handler outside us answers 500; record it first
                usage.error = usage.error or "internal error"
                with anyio.CancelScope(shield=True):
                    await self._commit(usage, path, 500)
            raise

    async def _commit(self, usage: Usage, path: str, status: int) -> None:
        record = usage.to_record(path, status)
        await anyio.to_thread.run_sync(write_record, self.engine_getter(), record)


def has_record(engine: Engine, request_id: str) -> bool:
    with Session(engine) as s:
        return (
            s.scalars(select(UsageRecord.id).where(UsageRecord.request_id == request_id)).first()
            is not None
        )
