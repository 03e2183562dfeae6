"""Planted answers for the service's plumbing: the body caps at their exact edge, the key
routes, the app's wiring, the dashboard's sessions and the ``serve``/``keys`` commands."""

from __future__ import annotations

import asyncio
import os

import pytest

from audiosqueeze.server.config import ServerConfig
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


# -- /healthz and /v1/keys ------------------------------------------------------------------


def test_healthz_says_which_database_backend_and_auth(tmp_path):
    from audiosqueeze import __version__

    from .srv_helpers import FakeASR, client

    with client(tmp_path, auth=False) as c:
        assert c.get("/healthz").json() == {
            "status": "ok",
            "version": __version__,
            "database": "sqlite",
            "backend": None,
            "auth": False,
        }
    with client(tmp_path, asr=FakeASR()) as c:
        r = c.get("/healthz").json()
    assert (r["backend"], r["auth"]) == ("fake-asr", True)


@pytest.mark.parametrize(("name", "status"), [("a", 201), ("n" * 100, 201), ("n" * 101, 422)])
def test_a_key_name_over_http_is_1_to_100_characters(tmp_path, admin_env, name, status):
    from .srv_helpers import client

    with client(tmp_path) as c:
        r = c.post(
            "/v1/keys", json={"name": name}, headers={"authorization": f"Bearer {admin_env}"}
        )
    assert r.status_code == status, r.text
    if status == 422:  # refused by the request's schema, which names the field
        assert r.json()["error"]["param"] == "name"
    else:
        assert r.json()["name"] == name


def test_a_new_key_is_shown_once_with_its_row(tmp_path, admin_env):
    from .srv_helpers import client

    admin = {"authorization": f"Bearer {admin_env}"}
    with client(tmp_path) as c:
        made = c.post("/v1/keys", json={"name": "ci"}, headers=admin).json()
        listed = c.get("/v1/keys", headers=admin).json()["data"]
        revoked = c.delete(f"/v1/keys/{made['id']}", headers=admin).json()
    assert made["key"].startswith(made["prefix"] + "_") and made["revoked_at"] is None
    assert (made["id"], made["name"]) == (1, "ci")
    assert listed == [{k: v for k, v in made.items() if k != "key"}]
    assert revoked == listed[0] | {"revoked_at": revoked["revoked_at"]}


def test_key_times_are_utc_with_their_offset_however_the_row_was_read(tmp_path, admin_env):
    """SQLite hands back naive datetimes; the answer must still say the time is UTC, and a
    key's creation time reads the same when it is made, listed and revoked."""
    from datetime import datetime, timedelta

    from .srv_helpers import client

    admin = {"authorization": f"Bearer {admin_env}"}
    with client(tmp_path) as c:
        made = c.post("/v1/keys", json={"name": "ci"}, headers=admin).json()
        (listed,) = c.get("/v1/keys", headers=admin).json()["data"]
        revoked = c.delete(f"/v1/keys/{made['id']}", headers=admin).json()
        (listed_revoked,) = c.get("/v1/keys", headers=admin).json()["data"]
    created = {made["created_at"], listed["created_at"], revoked["created_at"]}
    assert len(created | {listed_revoked["created_at"]}) == 1
    assert revoked["revoked_at"] == listed_revoked["revoked_at"]
    for text in (made["created_at"], revoked["revoked_at"]):
        assert datetime.fromisoformat(text).utcoffset() == timedelta(0), text


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (None, "2026-01-01T12:00:00+00:00"),  # naive (SQLite): already UTC
        (0, "2026-01-01T12:00:00+00:00"),
        (2, "2026-01-01T10:00:00+00:00"),  # PostgreSQL in a session zone two hours east
        (-5, "2026-01-01T17:00:00+00:00"),
    ],
)
def test_utc_iso_moves_an_aware_time_to_utc_and_labels_a_naive_one(hours, expected):
    from datetime import datetime, timedelta, timezone

    from audiosqueeze.server.routes_admin import utc_iso

    zone = None if hours is None else timezone(timedelta(hours=hours))
    assert utc_iso(datetime(2026, 1, 1, 12, tzinfo=zone)) == expected
    assert utc_iso(None) is None


def test_ids_the_column_cannot_hold_never_reach_the_database(tmp_path, admin_env, monkeypatch):
    """An id outside 1..2**31-1 is 404 at once (PostgreSQL's INTEGER would fail on it)."""
    from audiosqueeze.server import routes_admin

    from .srv_helpers import client

    asked = []

    def revoke_key(engine, key_id):
        asked.append(key_id)
        raise routes_admin.OptionsError(f"no API key with id {key_id}")

    monkeypatch.setattr(routes_admin, "revoke_key", revoke_key)
    admin = {"authorization": f"Bearer {admin_env}"}
    with client(tmp_path) as c:
        for key_id in (0, -1, 2**31, 2**31 + 1, 2**63):
            r = c.delete(f"/v1/keys/{key_id}", headers=admin)
            assert r.status_code == 404 and r.json()["error"]["message"] == (
                f"no API key with id {key_id}"
            )
        assert asked == []
        for key_id in (1, 2**31 - 1):
            assert c.delete(f"/v1/keys/{key_id}", headers=admin).status_code == 404
    assert asked == [1, 2**31 - 1]


# -- work ----------------------------------------------------------------------------------


def test_a_compress_job_cannot_be_changed_once_made():
    import dataclasses

    from audiosqueeze.server.work import CompressJob

    job = CompressJob(rate=0.5, target_reduction=None, vad="energy", max_audio_s=60.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.rate = 0.9  # type: ignore[misc]
    assert job == CompressJob(0.5, None, "energy", 60.0) and hash(job) == hash(
        CompressJob(0.5, None, "energy", 60.0)
    )


# -- app -------------------------------------------------------------------------------------


def test_a_recogniser_that_fails_to_load_leaves_the_rest_serving_and_says_why(
    tmp_path, wav, monkeypatch
):
    import audiosqueeze.asr
    from audiosqueeze.errors import MissingDependencyError

    from .srv_helpers import TestClient, create_app

    def load_asr(name):
        raise MissingDependencyError(f"{name} needs the [whisper] extra")

    monkeypatch.setattr(audiosqueeze.asr, "load_asr", load_asr)
    app = create_app(config(tmp_path, auth=False, asr="whisper-tiny.en"))
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/healthz").json()["backend"] is None
        assert c.post("/v1/compress", content=wav, headers={"content-type": "audio/wav"}).is_success
        r = c.post("/v1/audio/transcriptions", files={"file": ("a.wav", wav, "audio/wav")})
    assert r.status_code == 503
    assert r.json()["error"]["message"] == (
        "the embedded recogniser is unavailable: whisper-tiny.en needs the [whisper] extra"
    )


def test_the_app_disposes_of_its_own_engine_and_not_of_one_it_was_given(tmp_path, monkeypatch):
    from sqlalchemy import text

    from audiosqueeze.server import app as app_module
    from audiosqueeze.server.db import make_engine

    from .srv_helpers import client

    disposed = []

    def spy(e):
        real = e.dispose
        monkeypatch.setattr(e, "dispose", lambda *a, **k: (disposed.append(e), real(*a, **k)))
        return e

    given = spy(make_engine(f"sqlite:///{tmp_path / 'given.sqlite'}"))
    with client(tmp_path, auth=False, engine=given) as c:
        assert c.get("/healthz").is_success
    assert disposed == []
    with given.connect() as conn:  # still the caller's to use
        assert conn.execute(text("SELECT count(*) FROM api_keys")).scalar() == 0

    made = []
    monkeypatch.setattr(
        app_module, "make_engine", lambda url: made.append(spy(make_engine(url))) or made[-1]
    )
    with client(tmp_path, auth=False) as c:
        assert c.get("/healthz").is_success
    assert len(made) == 1 and disposed == made


# -- dashboard -------------------------------------------------------------------------------


def dash_login(c, key, **kw):
    return c.post("/dashboard/login", data={"key": key}, **kw)


def dash_csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def signed(c, who: str, expiry: str) -> str:
    from audiosqueeze.server.dashboard import _sign

    return f"{who}.{expiry}.{_sign(c.app.state.session_secret, f'{who}.{expiry}')}"


LOGIN = "Log in with an API key"
LOGGED_IN = 'id="count-requests"'


class FixedWait:
    """A rate limiter that always answers the same wait, and remembers who asked."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s, self.asked = wait_s, []

    def acquire(self, who: str, now: float | None = None) -> float:
        self.asked.append(who)
        return self.wait_s


def test_the_dashboard_is_not_in_the_api_schema(tmp_path):
    from .srv_helpers import client

    with client(tmp_path) as c:
        paths = c.get("/openapi.json").json()["paths"]
    assert "/v1/compress" in paths and "/v1/keys" in paths
    assert [p for p in paths if p.startswith("/dashboard")] == []


@pytest.mark.parametrize(("n", "ok"), [(31, False), (32, True), (64, True)])
def test_a_session_secret_needs_32_characters(tmp_path, monkeypatch, n, ok):
    from audiosqueeze.errors import OptionsError
    from audiosqueeze.server.dashboard import SESSION_SECRET_ENV, session_secret

    monkeypatch.setenv(SESSION_SECRET_ENV, "s" * n)
    if ok:
        assert session_secret(config(tmp_path)) == b"s" * n
    else:
        with pytest.raises(OptionsError, match=f"has {n} characters, fewer than 32"):
            session_secret(config(tmp_path))


def test_the_secret_file_is_made_in_a_data_dir_that_is_not_there_yet(tmp_path, monkeypatch):
    from audiosqueeze.server.dashboard import SESSION_SECRET_ENV, session_secret

    monkeypatch.delenv(SESSION_SECRET_ENV, raising=False)
    where = tmp_path / "a" / "b" / "c"
    secret = session_secret(config(where))
    assert (where / "session.secret").read_text().encode() == secret
    assert session_secret(config(where)) == secret  # read back, not made again


def test_a_cookie_expires_session_hours_after_it_is_made(monkeypatch):
    from audiosqueeze.server import dashboard

    monkeypatch.setattr(dashboard.time, "time", lambda: 1000.25)
    cookie = dashboard.make_cookie(b"k" * 32, "7", 2.5)
    who, expiry, sig = cookie.split(".")
    assert (who, expiry) == ("7", str(1000 + 9000))
    assert sig == dashboard._sign(b"k" * 32, "7.10000")


@pytest.mark.parametrize(
    ("base", "secure"), [("http://testserver", False), ("https://testserver", True)]
)
def test_the_login_cookie_lasts_the_session_and_is_secure_over_https(tmp_path, base, secure):
    from audiosqueeze.server.keys import create_key

    from .srv_helpers import TestClient, create_app

    app = create_app(config(tmp_path, session_hours=2.5))
    with TestClient(app, base_url=base) as c:
        _, key = create_key(c.app.state.engine, "web")
        r = dash_login(c, key, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    attrs = [a.strip().lower() for a in r.headers["set-cookie"].split(";")]
    assert "max-age=9000" in attrs and "httponly" in attrs and "samesite=strict" in attrs
    assert "path=/" in attrs and ("secure" in attrs) == secure


def test_without_auth_the_dashboard_needs_no_login(tmp_path):
    from .srv_helpers import client

    with client(tmp_path, auth=False) as c:
        html = c.get("/dashboard").text
    assert LOGGED_IN in html and LOGIN not in html


def test_which_signed_cookies_are_a_session(tmp_path, admin_env):
    """Only a signed, unexpired cookie for an active key or the current admin key logs in;
    anything else is the login page, never a 500."""
    import time

    from audiosqueeze.server.keys import create_key, revoke_key

    from .srv_helpers import client

    with client(tmp_path) as c:
        engine = c.app.state.engine
        live, _ = create_key(engine, "live")
        gone, _ = create_key(engine, "gone")
        revoke_key(engine, gone.id)
        soon, past = str(int(time.time()) + 600), str(int(time.time()) - 1)
        from audiosqueeze.server.dashboard import admin_who

        cases = {
            signed(c, str(live.id), soon): True,
            signed(c, admin_who(c.app.state), soon): True,
            signed(c, str(live.id), past): False,  # expired
            signed(c, str(live.id), "never"): False,  # signed, but no expiry number
            signed(c, str(gone.id), soon): False,  # revoked
            signed(c, "999", soon): False,  # no such key
            signed(c, "nobody", soon): False,  # neither an id nor an admin session
            signed(c, "admin-" + "0" * 32, soon): False,  # not this admin key's session
            signed(c, "", soon): False,
            f"{live.id}.{soon}.": False,  # unsigned
        }
        for cookie, ok in cases.items():
            c.cookies.clear()
            c.cookies.set("audiosqueeze_session", cookie)
            r = c.get("/dashboard")
            assert r.status_code == 200, (cookie, r.text[:200])
            assert (LOGGED_IN in r.text) == ok and (LOGIN in r.text) != ok, cookie


def test_without_an_admin_key_no_cookie_is_an_admin_session(tmp_path, monkeypatch):
    import time

    from .srv_helpers import client

    monkeypatch.delenv("AUDIOSQUEEZE_ADMIN_KEY", raising=False)
    with client(tmp_path) as c:
        assert c.app.state.admin_key is None
        c.cookies.set("audiosqueeze_session", signed(c, "admin-x", str(int(time.time()) + 600)))
        r = c.get("/dashboard")
    assert r.status_code == 200 and LOGIN in r.text


def test_a_refused_origin_is_quoted_to_80_characters(tmp_path):
    from .srv_helpers import client

    origin = "https://" + "e" * 72 + "TAIL.example"  # 80 characters, then the tail
    with client(tmp_path) as c:
        r = dash_login(c, "x", headers={"origin": origin})
    assert r.status_code == 403
    assert r.json()["error"]["message"] == f"a form posted from {origin[:80]!r} is refused"


def test_the_done_notice_shows_at_most_64_characters(tmp_path):
    from .srv_helpers import client

    done = "d" * 64 + "EXTRA"
    with client(tmp_path, auth=False) as c:
        html = c.get("/dashboard", params={"done": done}).text
    assert f"<code>{'d' * 64}</code>" in html and "dEXTRA" not in html


def test_any_wait_refuses_a_login_with_429_per_client_address(tmp_path, admin_env):
    from .srv_helpers import client

    with client(tmp_path) as c:
        c.app.state.limiter = FixedWait(0.5)
        r = dash_login(c, admin_env)
        assert r.status_code == 429 and "too many attempts; wait a minute" in r.text
        assert "audiosqueeze_session" not in r.headers.get("set-cookie", "")
        assert c.app.state.limiter.asked == ["login:testclient"]
        c.app.state.limiter = FixedWait(0.0)
        assert dash_login(c, admin_env, follow_redirects=False).status_code == 303


def test_an_upload_without_a_session_is_the_login_page_with_401(tmp_path, wav):
    from .srv_helpers import client

    with client(tmp_path) as c:
        r = c.post("/dashboard/compress", files={"file": ("a.wav", wav, "audio/wav")})
    assert r.status_code == 401 and LOGIN in r.text and "log in first" in r.text


def records(engine):
    from sqlalchemy.orm import Session

    from audiosqueeze.server.db import UsageRecord

    with Session(engine) as s:
        return s.query(UsageRecord).order_by(UsageRecord.id).all()


def test_an_upload_redirects_to_the_page_naming_its_record(tmp_path, wav, admin_env):
    from .srv_helpers import client

    with client(tmp_path) as c:
        page = dash_login(c, admin_env, follow_redirects=True).text
        r = c.post(
            "/dashboard/compress",
            files={"file": ("a.wav", wav, "audio/wav")},
            data={"csrf": dash_csrf(page)},
            follow_redirects=False,
        )
        (record,) = records(c.app.state.engine)
    assert r.status_code == 303 and r.headers["location"] == f"/dashboard?done={record.request_id}"
    # recorded as answered: the redirect
    assert (record.status, record.endpoint, record.principal) == (
        303,
        "/dashboard/compress",
        "admin",
    )


def test_a_failed_upload_is_recorded_with_its_error_cut_to_300(tmp_path, wav, monkeypatch):
    """The page and the record say the message, as the API's records do; they said
    ``str(ApiError)``, which is "422: why ..." with the status in front."""
    from audiosqueeze.server import dashboard

    from .srv_helpers import client

    async def refuse(request, up):
        raise ApiError(422, "why " + "x" * 400)

    monkeypatch.setattr(dashboard, "compress_upload", refuse)
    with client(tmp_path, auth=False) as c:
        page = c.get("/dashboard").text
        r = c.post(
            "/dashboard/compress",
            files={"file": ("a.wav", wav, "audio/wav")},
            data={"csrf": dash_csrf(page)},
        )
        (record,) = records(c.app.state.engine)
    assert r.status_code == 422 and '<p class="error" role="alert">why xxx' in r.text
    assert record.status == 422 and record.error == ("why " + "x" * 400)[:300]


def test_the_upload_form_takes_no_json(tmp_path, wav):
    import base64

    from .srv_helpers import client

    with client(tmp_path, auth=False) as c:
        token = dash_csrf(c.get("/dashboard").text)
        doc = {"audio": base64.b64encode(wav).decode(), "csrf": token}
        r = c.post("/dashboard/compress", json=doc)
        assert r.status_code == 415 and "or application/json" not in r.text
        assert [x.status for x in records(c.app.state.engine)] == [415]


def test_any_wait_refuses_an_upload_with_429_for_that_key(tmp_path, wav, admin_env):
    from .srv_helpers import client

    with client(tmp_path) as c:
        page = dash_login(c, admin_env, follow_redirects=True).text
        c.app.state.limiter = FixedWait(0.5)
        r = c.post(
            "/dashboard/compress",
            files={"file": ("a.wav", wav, "audio/wav")},
            data={"csrf": dash_csrf(page)},
        )
        assert r.status_code == 429 and "rate limit exceeded; wait a moment" in r.text
        assert c.app.state.limiter.asked == ["admin"]
        assert [(x.status, x.error) for x in records(c.app.state.engine)] == [
            (429, "rate limit exceeded; wait a moment")
        ]


def test_only_the_admin_manages_keys_even_with_a_good_form_token(tmp_path, admin_env):
    """A user's own page token, or the token a visitor without a session gets, is a valid
    token: the refusal must come from who is asking."""
    from audiosqueeze.server.dashboard import _sign
    from audiosqueeze.server.keys import create_key, list_keys

    from .srv_helpers import client

    with client(tmp_path) as c:
        engine = c.app.state.engine
        target, _ = create_key(engine, "target")
        anon_token = _sign(c.app.state.session_secret, "csrf.anon")
        tries = [("nobody", anon_token)]
        _, user = create_key(engine, "user")
        for who, token in tries + [("user", None)]:
            if who == "user":
                token = dash_csrf(dash_login(c, user, follow_redirects=True).text)
            made = c.post("/dashboard/keys", data={"name": "sneaky", "csrf": token})
            gone = c.post(f"/dashboard/keys/{target.id}/revoke", data={"csrf": token})
            for r in (made, gone):
                assert r.status_code == 403, (who, r.text[:200])
                assert r.json()["error"]["message"] == "only the admin manages keys"
        assert [(k.name, k.active) for k in list_keys(engine)] == [
            ("target", True),
            ("user", True),
        ]


@pytest.mark.parametrize("name", ["", "n" * 101, "tab\there"])
def test_a_bad_key_name_in_the_page_is_a_422_page_saying_why(tmp_path, admin_env, name):
    from audiosqueeze.server.keys import list_keys

    from .srv_helpers import client

    with client(tmp_path) as c:
        page = dash_login(c, admin_env, follow_redirects=True).text
        r = c.post("/dashboard/keys", data={"name": name, "csrf": dash_csrf(page)})
        assert list_keys(c.app.state.engine) == []
    assert r.status_code == 422 and 'id="keys"' in r.text
    assert "a key name must be 1-100 printable characters" in r.text


def test_logout_and_revoke_answer_303_back_to_the_page(tmp_path, admin_env):
    from audiosqueeze.server.keys import create_key, list_keys

    from .srv_helpers import client

    with client(tmp_path) as c:
        row, _ = create_key(c.app.state.engine, "k")
        token = dash_csrf(dash_login(c, admin_env, follow_redirects=True).text)
        r = c.post(f"/dashboard/keys/{row.id}/revoke", data={"csrf": token}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/dashboard")
        assert not list_keys(c.app.state.engine)[0].active
        r = c.post("/dashboard/logout", data={"csrf": token}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/dashboard")
        assert 'audiosqueeze_session=""' in r.headers["set-cookie"]
        assert LOGIN in c.get("/dashboard").text


# -- serve / keys ------------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch, tmp_path):
    """``serve`` up to uvicorn's start; returns what uvicorn would get (kwargs and config)."""
    import uvicorn

    from audiosqueeze.server.config import CONFIG_ENV

    got = []

    def run(target, **kw):
        got.append((target, kw, ServerConfig.from_json(os.environ[CONFIG_ENV])))

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("AUDIOSQUEEZE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AUDIOSQUEEZE_ADMIN_KEY", raising=False)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    return got


def serve(*args) -> int:
    from audiosqueeze.cli import main

    return main(["serve", "--vad", "energy", "--asr", "none", "--port", "0", *args])


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_which_hosts_are_loopback(host, loopback):
    from audiosqueeze.server.cli import _is_loopback

    assert _is_loopback(host) is loopback


def test_what_serve_hands_uvicorn(served, capsys):
    assert serve("--workers", "3", "--log-level", "warning", "--max-upload-mb", "0.5") == 0
    ((target, kw, cfg),) = served
    assert target == "audiosqueeze.server.app:app_from_env"
    assert kw == {
        "factory": True,
        "host": "127.0.0.1",
        "port": 0,
        "workers": 3,
        "log_level": "warning",
        "timeout_graceful_shutdown": 10,
    }
    assert cfg.max_upload_bytes == 512 * 1024 and cfg.auth is True


@pytest.mark.parametrize(
    ("flag", "ok", "bad"),
    [
        ("--port", ["0", "65535"], ["-1", "65536"]),
        ("--workers", ["1", "64"], ["0", "65"]),
        ("--threads", ["0", "256"], ["-1", "257"]),
        ("--rate-limit", ["0", "100000"], ["-1"]),
        ("--max-upload-mb", ["0.001", "4096"], ["0.0009", "4096.5"]),
        ("--max-audio-s", ["1", "86400"], ["0.5", "86401"]),
    ],
)
def test_serve_flags_at_their_edges(served, capsys, flag, ok, bad):
    for value in ok:
        assert serve(flag, value) == 0, (flag, value, capsys.readouterr().err)
    for value in bad:
        assert serve(flag, value) == 2, (flag, value)
        assert f"Invalid value for '{flag}'" in capsys.readouterr().err
    assert len(served) == len(ok)


def test_serve_help_shows_the_defaults_and_ranges(capsys):
    import re

    from audiosqueeze.cli import main

    assert main(["serve", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert re.findall(r"\[default: [^]]*\]", text) == [
        "[default: 127.0.0.1]",
        "[default: 8000; 0<=x<=65535]",
        "[default: whisper-tiny.en]",
        "[default: silero]",
        "[default: 1; 1<=x<=64]",
        "[default: 120; x>=0]",
        "[default: 25.0; 0.001<=x<=4096]",
        "[default: 10800.0; 1<=x<=86400]",
        "[default: info]",
    ]
    assert "[0<=x<=256]" in text  # --threads: 0 (one per core) is said in its help


@pytest.mark.parametrize(("key_id", "status"), [("0", 2), ("2147483648", 2), ("2147483647", 1)])
def test_keys_revoke_takes_ids_the_column_can_hold(tmp_path, capsys, key_id, status):
    from audiosqueeze.cli import main

    assert main(["keys", "revoke", key_id, "--data-dir", str(tmp_path)]) == status
    err = capsys.readouterr().err
    if status == 1:
        assert f"no API key with id {key_id}" in err
    else:
        assert "Invalid value for 'KEY_ID'" in err


def test_keys_list_says_no_keys_on_stderr(tmp_path, capsys):
    from audiosqueeze.cli import main

    assert main(["keys", "list", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", "no keys\n")


def test_a_data_dir_flag_that_names_a_file_is_a_usage_error(tmp_path, capsys):
    from audiosqueeze.cli import main

    (tmp_path / "file").write_text("x")
    assert main(["keys", "list", "--data-dir", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["é" * 70, "\udcff", "no such host!"])
def test_a_host_that_cannot_be_encoded_is_one_error_line(served, capsys, host):
    """A host name IDNA cannot encode (a label past 63 characters, or an undecodable argv
    byte) made ``bind`` raise TypeError: "internal error", exit 70."""
    assert serve("--host", host) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot serve on host ") and "internal error" not in err
    assert served == []


def test_the_serving_line_never_shows_the_databases_password(served, capsys, monkeypatch):
    from audiosqueeze.server import cli

    class Engine:
        def dispose(self):
            pass

    monkeypatch.setattr(cli, "_engine", lambda config: Engine())
    assert serve("--db", "postgresql://user:hunter2@db.internal:5432/sq") == 0
    err = capsys.readouterr().err
    assert "(db db.internal:5432/sq, auth on)" in err and "hunter2" not in err
    assert served[0][2].db_url == "postgresql://user:hunter2@db.internal:5432/sq"


def test_keys_create_needs_a_name_and_prints_only_the_key_on_stdout(tmp_path, capsys):
    from audiosqueeze.cli import main
    from audiosqueeze.server.keys import prefix_of

    assert main(["keys", "create", "--data-dir", str(tmp_path)]) == 2
    assert "Missing option '--name'" in capsys.readouterr().err
    assert main(["keys", "create", "--name", "ci", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr()
    key = out.out.strip()
    assert out.out == key + "\n" and prefix_of(key) is not None
    assert f"created key 1 (ci, prefix {prefix_of(key)}); copy it now:" in out.err


def test_a_port_a_closed_server_left_in_time_wait_can_be_served_on():
    """uvicorn binds with SO_REUSEADDR, so a restart right after a stop works; the check
    before it must bind the same way, or it refuses a port uvicorn would take."""
    import socket

    from audiosqueeze.server.cli import _check_bind

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = server.accept()
        conn.close()  # the server's side closes first: its port goes to TIME_WAIT
        client.recv(1)
        client.close()
    with socket.socket() as plain, pytest.raises(OSError):  # the state the check must allow
        plain.bind(("127.0.0.1", port))
    _check_bind("127.0.0.1", port)


def test_keys_revoke_of_a_revoked_key_says_when_it_was_revoked(tmp_path, capsys):
    """Revoking twice changes nothing (the first revocation's time stays) and says so, instead
    of reporting a fresh revocation."""
    from audiosqueeze.cli import main
    from audiosqueeze.server.cli import _engine
    from audiosqueeze.server.keys import list_keys

    from .srv_helpers import config

    args = ["--data-dir", str(tmp_path)]
    assert main(["keys", "create", "--name", "ci", *args]) == 0
    capsys.readouterr()
    assert main(["keys", "revoke", "1", *args]) == 0
    first = capsys.readouterr().out
    assert first.startswith("revoked key 1 (ci, prefix sq_")
    engine = _engine(config(tmp_path))
    when = list_keys(engine)[0].revoked_at
    engine.dispose()
    assert main(["keys", "revoke", "1", *args]) == 0
    again = capsys.readouterr().out
    assert again.startswith("key 1 (ci, prefix sq_") and "was already revoked on" in again
    assert f"{when:%Y-%m-%d %H:%M:%S}" in again
    engine = _engine(config(tmp_path))
    assert list_keys(engine)[0].revoked_at == when
    engine.dispose()
