"""Known answers for the keys and the rate limit: which header counts, who a usage record
bills, how long a caller must wait, and which key names and ids are refused."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from audiosqueeze.errors import OptionsError
from audiosqueeze.server.auth import RateLimiter, presented_key
from audiosqueeze.server.db import ApiKey, UsageRecord, utcnow
from audiosqueeze.server.keys import ADMIN, create_key, digest, prefix_of, revoke_key, verify

from .srv_helpers import ADMIN_KEY, client, http_scope


def compress(c, wav, **headers):
    return c.post(
        "/v1/compress?rate=0", content=wav, headers={"content-type": "audio/wav", **headers}
    )


def records(engine) -> list[UsageRecord]:
    with Session(engine) as s:
        return list(s.scalars(select(UsageRecord).order_by(UsageRecord.id)))


# --- the rate limiter: 120 a minute is 2 tokens a second, so rate and 1/rate differ ---------


def test_an_empty_bucket_refills_at_per_minute_over_60_tokens_a_second():
    rl = RateLimiter(120)
    assert all(rl.acquire("k", now=0.0) == 0.0 for _ in range(120))
    assert rl.acquire("k", now=0.0) == pytest.approx(0.5)  # a token every 0.5 s
    assert rl.acquire("k", now=0.25) == pytest.approx(0.25)  # half a token back: 0.25 s more
    assert rl.acquire("k", now=0.5) == 0.0
    assert rl.acquire("k", now=0.5) == pytest.approx(0.5)


def test_a_limit_of_one_a_minute_is_a_limit():
    rl = RateLimiter(1)
    assert rl.acquire("k", now=0.0) == 0.0
    assert rl.acquire("k", now=0.0) == pytest.approx(60.0)
    assert rl.acquire("k", now=30.0) == pytest.approx(30.0)
    assert rl.acquire("k", now=60.0) == 0.0
    assert RateLimiter(-1).acquire("k") == 0.0  # no limit at all


@pytest.mark.parametrize("per_minute, refill_s", [(60, 1.0), (120, 0.5)])
def test_buckets_full_again_are_forgotten_once_the_bound_is_reached(per_minute, refill_s):
    """Each of the two buckets holds per_minute - 1 after one request, and is exactly full
    again one token's time later: the third caller then finds the dict at its bound, drops
    both, and the dict never holds more than ``max_buckets``."""
    rl = RateLimiter(per_minute)
    rl.max_buckets = 2
    rl.acquire("a", now=0.0)
    rl.acquire("b", now=0.0)
    assert rl.acquire("c", now=refill_s) == 0.0
    assert set(rl._buckets) == {"c"}


def test_a_bucket_not_yet_full_is_kept():
    rl = RateLimiter(120)
    rl.max_buckets = 2
    rl.acquire("a", now=0.0)
    rl.acquire("a", now=0.0)  # 118 left; full again at 1.0 s
    rl.acquire("b", now=0.0)  # 119 left; full again at 0.5 s
    rl.acquire("c", now=0.75)
    assert set(rl._buckets) == {"a", "c"}


# --- which header carries the key --------------------------------------------------------


@pytest.mark.parametrize(
    "headers, key",
    [
        ({"authorization": "Bearer sq_k"}, "sq_k"),
        ({"authorization": "bearer   sq_k  "}, "sq_k"),
        ({"x-api-key": " sq_k "}, "sq_k"),
        ({"authorization": "Bearer sq_a", "x-api-key": "sq_b"}, "sq_a"),
        ({"authorization": "Basic dXNlcjpwdw==", "x-api-key": "sq_k"}, "sq_k"),
        ({"authorization": "Bearer ", "x-api-key": "sq_k"}, "sq_k"),
        ({"authorization": "Bearer    ", "x-api-key": "sq_k"}, "sq_k"),
        ({"authorization": "Basic dXNlcjpwdw=="}, None),
        ({"x-api-key": "   "}, None),
        ({}, None),
    ],
)
def test_presented_key(headers, key):
    assert presented_key(Request(http_scope("/v1/compress", headers))) == key


# --- who a usage record bills, and how long a 429 says to wait ---------------------------


def test_usage_records_name_the_key_that_was_checked(tmp_path, wav, admin_env):
    with client(tmp_path) as c:
        row, key = create_key(c.app.state.engine, "billed")
        assert compress(c, wav, **{"x-api-key": key}).status_code == 200
        assert compress(c, wav, authorization=f"Bearer {ADMIN_KEY}").status_code == 200
        assert compress(c, wav).status_code == 401
        got = [(r.key_id, r.principal, r.status) for r in records(c.app.state.engine)]
    assert got == [(row.id, row.prefix, 200), (None, "admin", 200), (None, "unauthenticated", 401)]


class FixedWait:
    """A limiter that always asks for ``wait_s`` more seconds."""

    per_minute = 7

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s

    def acquire(self, who: str) -> float:
        return self.wait_s


@pytest.mark.parametrize("wait_s, retry_after", [(0.4, "1"), (1.0, "1"), (2.3, "3")])
def test_any_wait_is_a_429_with_retry_after_rounded_up(tmp_path, wav, wait_s, retry_after):
    with client(tmp_path) as c:
        _, key = create_key(c.app.state.engine, "k")
        c.app.state.limiter = FixedWait(wait_s)
        r = compress(c, wav, **{"x-api-key": key})
    assert r.status_code == 429 and r.headers["retry-after"] == retry_after
    assert "7 requests per minute" in r.json()["error"]["message"]


# --- principals and keys ------------------------------------------------------------------


def test_principals_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ADMIN.admin = False  # type: ignore[misc]


def test_without_auth_the_caller_is_the_admin(tmp_path):
    with client(tmp_path, auth=False) as c:
        r = c.get("/v1/keys")
    assert r.status_code == 200 and r.json() == {"data": []}


def test_a_key_needs_a_secret_after_its_prefix():
    key = "sq_0123456789ab_" + "s" * 43
    assert prefix_of(key[:17]) == key[:15]  # one secret character is well-formed
    for n in (13, 14, 15, 16):  # too short to hold the separator, or nothing after it
        assert prefix_of(key[:n]) is None
    assert prefix_of("sq_0123456789abXs") is None  # no separator


@pytest.mark.parametrize(
    "name, stored",
    [("a", "a"), ("  padded  ", "padded"), ("n" * 100, "n" * 100), (" " + "n" * 100, "n" * 100)],
)
def test_key_names_that_are_kept(engine, name, stored):
    row, _ = create_key(engine, name)
    assert row.name == stored


@pytest.mark.parametrize("name", ["", "   ", "n" * 101, "tab\there", "nul\x00", "\x00"])
def test_key_names_that_are_refused(engine, name):
    with pytest.raises(OptionsError, match="1-100 printable"):
        create_key(engine, name)
    with Session(engine) as s:
        assert s.scalars(select(ApiKey)).first() is None


def test_the_largest_id_the_column_holds_can_be_revoked(engine):
    key = "sq_0123456789ab_" + "s" * 43
    big = 2**31 - 1
    with Session(engine) as s, s.begin():
        s.add(
            ApiKey(id=big, name="big", prefix=key[:15], key_sha256=digest(key), created_at=utcnow())
        )
    assert verify(engine, key, None).key_id == big
    assert revoke_key(engine, big).revoked_at is not None
    assert verify(engine, key, None) is None
    for outside in (2**31, 2**32, 3**31, 0, -1):  # PostgreSQL refuses these in a query
        with pytest.raises(OptionsError, match=f"no API key with id {outside}"):
            revoke_key(engine, outside)
