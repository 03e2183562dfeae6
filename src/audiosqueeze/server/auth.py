"""Who may call: ``Authorization: Bearer <key>`` or ``x-api-key: <key>``; 401, 403 and 429.

Keys are checked against the database on every request (a revoked key stops at once). Each key
(and the admin key) has a token bucket of ``rate_limit_per_minute`` requests that refills
continuously; an empty bucket answers 429 with ``Retry-After``. Buckets live in the process,
so with ``--workers N`` the limit applies per worker.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from .errors import ApiError
from .keys import ANONYMOUS, Principal, verify
from .usage import usage_of


class RateLimiter:
    """Token buckets per principal: ``per_minute`` requests a minute, bursts up to that.

    Anyone can add a bucket (the login form keeps one per client address), so once there are
    more than :attr:`max_buckets` the full ones are dropped: a full bucket is what a new one
    would be, so forgetting it changes nothing."""

    max_buckets = 10_000

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, who: str, now: float | None = None) -> float:
        """0 if a request may go now, else the seconds until one may."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            if len(self._buckets) >= self.max_buckets:
                self._forget_full(now, rate)
            tokens, last = self._buckets.get(who, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[who] = (tokens - 1.0, now)
                return 0.0
            self._buckets[who] = (tokens, now)
            return (1.0 - tokens) / rate

    def _forget_full(self, now: float, rate: float) -> None:
        cap = self.per_minute
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * rate >= cap]
        for k in full:
            del self._buckets[k]


def presented_key(request: Request) -> str | None:
    """The key in ``Authorization: Bearer`` or ``x-api-key``, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = request.headers.get("x-api-key", "").strip()
    return key or None


def authenticate(request: Request, key: str | None) -> Principal:
    """Resolve ``key`` to a principal, or raise 401; then apply the rate limit (429)."""
    state = request.app.state
    if not state.config.auth:
        principal = ANONYMOUS
    else:
        if key is None:
            raise ApiError(
                401,
                "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        principal = verify(state.engine, key, state.admin_key)
        if principal is None:
            raise ApiError(
                401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"}
            )
    usage = usage_of(request.scope)
    if usage is not None:
        usage.key_id, usage.principal = principal.key_id, principal.label
    wait_s = state.limiter.acquire(principal.label) if state.config.auth else 0.0
    if wait_s > 0:
        raise ApiError(
            429,
            f"rate limit of {state.limiter.per_minute} requests per minute exceeded; "
            f"retry in {wait_s:.1f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )
    return principal


def require_key(request: Request) -> Principal:
    """FastAPI dependency: the calling principal (401 / 429 otherwise)."""
    return authenticate(request, presented_key(request))


def require_admin(request: Request) -> Principal:
    """FastAPI dependency: the admin (403 for any other valid key)."""
    principal = require_key(request)
    if not principal.admin:
        raise ApiError(403, "this needs the admin key")
    return principal


#: Endpoint parameter types: ``principal: KeyDep`` / ``admin: AdminDep``.
KeyDep = Annotated[Principal, Depends(require_key)]
AdminDep = Annotated[Principal, Depends(require_admin)]
