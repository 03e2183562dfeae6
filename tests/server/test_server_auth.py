"""API keys: random, hash-only storage, Bearer and x-api-key, 401/403/429, CLI and HTTP admin."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from audiosqueeze.cli import main
from audiosqueeze.server.auth import RateLimiter
from audiosqueeze.server.db import ApiKey, UsageRecord, make_engine, migrate
from audiosqueeze.server.keys import create_key, new_key, prefix_of, revoke_key, verify

from .srv_helpers import ADMIN_KEY, client


def compress(c, wav, **headers):
    return c.post(
        "/v1/compress?rate=0", content=wav, headers={"content-type": "audio/wav", **headers}
    )


def test_keys_are_random_and_well_formed():
    keys = {new_key() for _ in range(200)}
    assert len(keys) == 200
    k = next(iter(keys))
    assert re.fullmatch(r"sq_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", k)  # 48 + 256 random bits
    assert prefix_of(k) == k[:15] and prefix_of("sq_short") is None and prefix_of("x" * 60) is None


def test_database_never_holds_the_key(engine):
    row, key = create_key(engine, "alice")
    assert verify(engine, key, None).key_id == row.id
    with Session(engine) as s:
        stored = s.scalars(select(ApiKey)).one()
    assert key not in repr(stored.__dict__) and stored.key_sha256 != key
    assert key.startswith(stored.prefix) and len(stored.key_sha256) == 64
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")  # right prefix, wrong secret
    assert verify(engine, wrong, None) is None
    revoke_key(engine, row.id)
    assert verify(engine, key, None) is None


def test_a_key_with_a_nul_or_unicode_in_its_prefix_is_401_not_500(tmp_path, engine):
    """A NUL in the lookup part reached the query, and PostgreSQL refuses one: the login form
    and the stream's ?api_key= (where a NUL can arrive) answered 500."""
    odd = ["sq_abcdef\x00bcdef_x", "sq_" + "\x00" * 12 + "_x", "sq_" + "é" * 12 + "_x"]
    for key in odd:
        assert prefix_of(key) is None and verify(engine, key, None) is None
    with client(tmp_path, engine=engine) as c:
        for key in odd:
            r = c.post("/dashboard/login", data={"key": key})
            assert r.status_code == 401 and "unknown or revoked key" in r.text
        with c.websocket_connect("/v1/stream?api_key=sq_abcdef%00bcdef_x") as ws:
            assert ws.receive_json() == {
                "type": "error",
                "code": 1008,
                "status": 401,
                "message": "invalid or revoked API key",
            }


def test_sqlite_file_does_not_contain_the_key(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    migrate(e)
    _, key = create_key(e, "bob")
    e.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("k.db*"))
    assert key.encode() not in raw and key[15:].encode() not in raw
    assert key[:15].encode() in raw  # the public prefix is what is kept


def test_401_without_with_wrong_and_with_revoked_key(tmp_path, wav):
    with client(tmp_path) as c:
        row, key = create_key(c.app.state.engine, "carol")
        assert compress(c, wav).status_code == 401
        r = compress(c, wav, authorization="Bearer sq_000000000000_nope")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["type"] == "authentication_error"
        assert compress(c, wav, authorization=f"Bearer {key}").status_code == 200
        assert compress(c, wav, **{"x-api-key": key}).status_code == 200
        revoke_key(c.app.state.engine, row.id)
        assert compress(c, wav, **{"x-api-key": key}).status_code == 401
        with Session(c.app.state.engine) as s:
            statuses = [r.status for r in s.scalars(select(UsageRecord).order_by(UsageRecord.id))]
    assert statuses == [401, 401, 200, 200, 401]


def test_per_key_rate_limit_answers_429(tmp_path, wav):
    with client(tmp_path, rate_limit_per_minute=3) as c:
        _, a = create_key(c.app.state.engine, "a")
        _, b = create_key(c.app.state.engine, "b")
        codes = [compress(c, wav, **{"x-api-key": a}).status_code for _ in range(5)]
        other = compress(c, wav, **{"x-api-key": b})
        r = compress(c, wav, **{"x-api-key": a})
    assert codes == [200, 200, 200, 429, 429]
    assert other.status_code == 200  # buckets are per key
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_rate_limiter_refills_continuously():
    rl = RateLimiter(60)  # one per second
    assert all(rl.acquire("k", now=0.0) == 0 for _ in range(60))
    assert rl.acquire("k", now=0.0) == pytest.approx(1.0)
    assert rl.acquire("k", now=1.0) == 0.0
    assert RateLimiter(0).acquire("k") == 0.0


def test_rate_limiter_memory_is_bounded():
    """The login form keeps a bucket per client address: without a bound, a client that
    changes addresses (an IPv6 /64 has 2**64) grows the dict for ever."""
    rl = RateLimiter(60)
    rl.max_buckets = 1000
    for i in range(5000):
        rl.acquire(f"login:{i}", now=i * 0.1)  # each bucket refills to full after 1 s
    assert len(rl._buckets) <= 1000
    for _ in range(60):
        rl.acquire("busy", now=500.0)
    for i in range(2000):  # buckets still refilling are kept, so their limit holds
        rl.acquire(f"other:{i}", now=500.0 + i * 0.0001)
    assert rl.acquire("busy", now=500.3) > 0


def test_admin_creates_lists_and_revokes_keys_over_http(tmp_path, wav, admin_env):
    with client(tmp_path) as c:
        admin = {"authorization": f"Bearer {ADMIN_KEY}"}
        r = c.post("/v1/keys", json={"name": "dave"}, headers=admin)
        assert r.status_code == 201
        key, kid = r.json()["key"], r.json()["id"]
        assert compress(c, wav, **{"x-api-key": key}).status_code == 200
        user = {"x-api-key": key}
        assert c.post("/v1/keys", json={"name": "eve"}, headers=user).status_code == 403
        assert c.get("/v1/keys", headers=user).status_code == 403
        listed = c.get("/v1/keys", headers=admin).json()["data"]
        assert [k["name"] for k in listed] == ["dave"] and "key" not in listed[0]
        assert c.delete(f"/v1/keys/{kid}", headers=admin).json()["revoked_at"]
        assert c.delete("/v1/keys/999", headers=admin).status_code == 404
        assert compress(c, wav, **user).status_code == 401
        assert c.post("/v1/keys", json={"name": ""}, headers=admin).status_code == 422


def test_auth_is_on_by_default_and_no_auth_is_explicit(tmp_path, wav):
    with client(tmp_path) as c:
        assert compress(c, wav).status_code == 401
    with client(tmp_path, auth=False) as c:
        assert compress(c, wav).status_code == 200


def test_short_admin_key_is_refused(monkeypatch):
    from audiosqueeze.server.config import admin_key

    monkeypatch.setenv("AUDIOSQUEEZE_ADMIN_KEY", "short")
    with pytest.raises(Exception, match="at least 24"):
        admin_key()


def test_cli_keys_create_list_revoke(tmp_path, capsys):
    args = ["--data-dir", str(tmp_path)]
    assert main(["keys", "create", "--name", "ci", *args]) == 0
    key = capsys.readouterr().out.strip()
    assert prefix_of(key) is not None
    assert main(["keys", "list", *args]) == 0
    listed = capsys.readouterr().out
    assert key[:15] in listed and "active" in listed and key not in listed
    assert main(["keys", "revoke", "1", *args]) == 0
    assert main(["keys", "list", *args]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "revoke", "7", *args]) == 1  # no such key: one line, exit 1
    assert "no API key with id 7" in capsys.readouterr().err


def test_serve_refuses_no_auth_on_a_public_host(capsys):
    assert main(["serve", "--no-auth", "--host", "0.0.0.0", "--asr", "none"]) == 1
    assert "--no-auth is for local use" in capsys.readouterr().err
