"""The dashboard over HTTP: login, counters, upload, CSRF, scoping, admin key management, and
no third-party resource anywhere in the page."""

from __future__ import annotations

import re

from audiosqueeze.server.keys import create_key

from .srv_helpers import ADMIN_KEY, client


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def counter(html: str, name: str) -> str:
    return re.search(rf'id="count-{name}">([^<]+)<', html).group(1)


def login(c, key):
    return c.post("/dashboard/login", data={"key": key}, follow_redirects=True)


def test_login_upload_and_counters(tmp_path, wav):
    with client(tmp_path) as c:
        _, key = create_key(c.app.state.engine, "web")
        assert "Log in with an API key" in c.get("/dashboard").text
        bad = c.post("/dashboard/login", data={"key": "sq_000000000000_nope"})
        assert bad.status_code == 401 and "unknown or revoked key" in bad.text
        page = login(c, key)
        assert page.status_code == 200 and counter(page.text, "requests") == "0"
        assert "default-src 'self'" in page.headers["content-security-policy"]
        r = c.post(
            "/dashboard/compress",
            files={"file": ("a.wav", wav, "audio/wav")},
            data={"rate": "1", "model": "gemini", "csrf": csrf(page.text)},
            follow_redirects=True,
        )
        assert r.status_code == 200 and "Compressed (request" in r.text
        assert counter(r.text, "requests") == "1" and counter(r.text, "ok") == "1"
        assert float(counter(r.text, "seconds-saved")) > 1.0
        assert int(counter(r.text, "tokens-saved")) > 30
        assert '"seconds_saved": [' in r.text and "/dashboard/compress" in r.text
        # a forged form (no or wrong token) is refused and recorded, counters unchanged
        forged = c.post(
            "/dashboard/compress",
            files={"file": ("a.wav", wav, "audio/wav")},
            data={"csrf": "0" * 64},
        )
        assert forged.status_code == 403 and counter(forged.text, "ok") == "1"
        # garbage upload: a 4xx page with the library's message, never a 500
        junk = c.post(
            "/dashboard/compress",
            files={"file": ("a.wav", b"junk", "audio/wav")},
            data={"csrf": csrf(page.text)},
        )
        assert junk.status_code == 422 and "not a readable audio file" in junk.text
        # logging out needs the page's token too: a forged logout leaves the session alone
        assert c.post("/dashboard/logout").status_code == 403
        assert c.post("/dashboard/logout", data={"csrf": "0" * 64}).status_code == 403
        assert counter(c.get("/dashboard").text, "ok") == "1"
        c.post("/dashboard/logout", data={"csrf": csrf(page.text)})
        assert "Log in with an API key" in c.get("/dashboard").text


def test_a_key_sees_only_its_own_usage_and_admin_sees_all(tmp_path, wav, admin_env):
    with client(tmp_path) as c:
        _, a = create_key(c.app.state.engine, "a")
        _, b = create_key(c.app.state.engine, "b")
        for key, n in ((a, 2), (b, 1)):
            for _ in range(n):
                c.post(
                    "/v1/compress",
                    content=wav,
                    headers={"content-type": "audio/wav", "x-api-key": key},
                )
        assert counter(login(c, a).text, "requests") == "2"
        assert counter(login(c, b).text, "requests") == "1"
        admin = login(c, ADMIN_KEY).text
        assert counter(admin, "requests") == "3" and 'id="keys"' in admin
        assert 'id="keys"' not in login(c, a).text


def test_admin_creates_and_revokes_keys_in_the_page(tmp_path, wav, admin_env):
    with client(tmp_path) as c:
        page = login(c, ADMIN_KEY).text
        made = c.post("/dashboard/keys", data={"name": "from-the-page", "csrf": csrf(page)})
        assert made.status_code == 201
        key = re.search(r'id="new-key">([^<]+)<', made.text).group(1)
        h = {"content-type": "audio/wav", "x-api-key": key}
        assert c.post("/v1/compress", content=wav, headers=h).status_code == 200
        kid = re.search(r'data-key="(\d+)"', made.text).group(1)
        r = c.post(
            f"/dashboard/keys/{kid}/revoke", data={"csrf": csrf(made.text)}, follow_redirects=True
        )
        assert "revoked" in r.text and key not in r.text
        assert c.post("/v1/compress", content=wav, headers=h).status_code == 401
        # a user's session cannot manage keys
        _, user = create_key(c.app.state.engine, "user")
        login(c, user)
        assert c.post("/dashboard/keys", data={"name": "x", "csrf": "y"}).status_code == 403


def test_revoking_an_id_no_key_can_have_is_404_not_500(tmp_path, engine, admin_env):
    """An id past the database's integer (2**31 on PostgreSQL, 2**63 on SQLite) was sent to
    the database, which refused it: a 500 from the page's revoke form."""
    with client(tmp_path, engine=engine) as c:
        token = csrf(login(c, ADMIN_KEY).text)
        for kid in ["2147483648", "99999999999999999999", "0", "-1"]:
            r = c.post(f"/dashboard/keys/{kid}/revoke", data={"csrf": token})
            assert r.status_code == 404, (kid, r.text)
            assert f"no API key with id {kid}" in r.json()["error"]["message"]


def test_revoking_a_key_ends_its_dashboard_session(tmp_path):
    with client(tmp_path) as c:
        row, key = create_key(c.app.state.engine, "gone")
        assert 'id="count-requests"' in login(c, key).text
        from audiosqueeze.server.keys import revoke_key

        revoke_key(c.app.state.engine, row.id)
        assert "Log in with an API key" in c.get("/dashboard").text


def test_tampered_cookie_is_not_a_login(tmp_path):
    with client(tmp_path) as c:
        _, key = create_key(c.app.state.engine, "t")
        login(c, key)
        cookie = c.cookies.get("audiosqueeze_session")
        who, expiry, sig = cookie.split(".")
        c.cookies.clear()
        c.cookies.set("audiosqueeze_session", f"admin.{expiry}.{sig}")
        assert "Log in with an API key" in c.get("/dashboard").text
        c.cookies.clear()
        c.cookies.set("audiosqueeze_session", cookie)  # the untouched cookie still works
        assert 'id="count-requests"' in c.get("/dashboard").text


def test_page_loads_nothing_from_elsewhere(tmp_path):
    with client(tmp_path, auth=False) as c:
        html = c.get("/dashboard").text
        srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert srcs and all(s.startswith(("/", "data:")) for s in srcs), srcs
        for s in srcs:
            if s.startswith("/"):
                assert c.get(s).status_code == 200
        assert "uPlot" in c.get("/dashboard/static/vendor/uPlot.iife.min.js").text[:2000]


def test_non_ascii_cookie_and_form_token_are_refused_not_500(tmp_path):
    """hmac.compare_digest raises TypeError for non-ASCII str: a cookie or form token with one
    (any client can send it) was a 500."""
    with client(tmp_path) as c:
        cookie = "audiosqueeze_session=1.9999999999.\xe9".encode("latin-1")
        r = c.get("/dashboard", headers={"cookie": cookie})
        assert r.status_code == 200 and "Log in with an API key" in r.text
        _, key = create_key(c.app.state.engine, "k")
        page = login(c, key)
        assert page.status_code == 200
        r = c.post(
            "/dashboard/compress",
            files={"file": ("a.wav", b"RIFF", "audio/wav")},
            data={"csrf": "é" * 64},
        )
        assert r.status_code == 403 and "form token" in r.text


def test_no_database_work_on_the_event_loop(tmp_path, wav, admin_env):
    """Every database connection is taken in a worker thread: one taken on the event loop
    (login, key management and the upload page did that) stalls every other request while
    SQLite waits on a lock (up to 30 s) or PostgreSQL on the network."""
    import asyncio

    from sqlalchemy import event

    on_loop: list[str] = []

    def checkout(*_):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: fine
        on_loop.append(current)

    with client(tmp_path) as c:
        event.listen(c.app.state.engine, "checkout", checkout)
        current = "login"
        page = login(c, ADMIN_KEY).text
        current = "create key"
        made = c.post("/dashboard/keys", data={"name": "k", "csrf": csrf(page)})
        kid = re.search(r'data-key="(\d+)"', made.text).group(1)
        current = "upload"
        c.post(
            "/dashboard/compress",
            files={"file": ("a.wav", wav, "audio/wav")},
            data={"csrf": csrf(page)},
        )
        current = "bad upload"
        c.post("/dashboard/compress", files={"file": ("a.wav", b"x", "audio/wav")}, data={})
        current = "revoke"
        c.post(f"/dashboard/keys/{kid}/revoke", data={"csrf": csrf(page)})
        current = "api"
        c.post(
            "/v1/compress",
            content=wav,
            headers={"x-api-key": ADMIN_KEY, "content-type": "audio/wav"},
        )
    assert on_loop == []


def test_a_new_admin_key_ends_the_old_admin_sessions(tmp_path, admin_env):
    """An admin session was just 'admin': after the admin key leaked and was replaced, a
    cookie made with the old one stayed an admin session for its 12 hours."""
    with client(tmp_path) as c:
        assert 'id="keys"' in login(c, ADMIN_KEY).text
        assert 'id="keys"' in c.get("/dashboard").text
        c.app.state.admin_key = "rotated-" + "y" * 40  # what a restart with a new key does
        assert "Log in with an API key" in c.get("/dashboard").text
        assert 'id="keys"' in login(c, c.app.state.admin_key).text


def test_forms_posted_from_another_site_are_refused(tmp_path, admin_env):
    """Login CSRF: a page elsewhere could post its own key to /dashboard/login and log the
    visitor into the attacker's account (the form has no token: there is no session yet)."""
    evil = {"origin": "https://evil.example"}
    with client(tmp_path) as c:
        _, key = create_key(c.app.state.engine, "attacker")
        r = c.post("/dashboard/login", data={"key": key}, headers=evil)
        assert r.status_code == 403 and "audiosqueeze_session" not in r.headers.get(
            "set-cookie", ""
        )
        r = c.post("/dashboard/login", data={"key": key}, headers={"origin": "null"})
        assert r.status_code == 403
        page = c.post(
            "/dashboard/login",
            data={"key": ADMIN_KEY},
            headers={"origin": "http://testserver"},
            follow_redirects=True,
        )
        assert 'id="keys"' in page.text  # same origin (or no Origin at all) still works
        made = c.post("/dashboard/keys", data={"name": "x", "csrf": csrf(page.text)}, headers=evil)
        assert made.status_code == 403


def test_an_origin_that_is_not_a_url_is_refused_not_500(tmp_path, admin_env):
    """An Origin with an unclosed IPv6 bracket made urlsplit raise ValueError: a 500."""
    with client(tmp_path) as c:
        for origin in ["http://[::1", "http://[", "https://[evil.example"]:
            r = c.post("/dashboard/login", data={"key": ADMIN_KEY}, headers={"origin": origin})
            assert r.status_code == 403, (origin, r.text)
            assert repr(origin) in r.json()["error"]["message"]
            assert "audiosqueeze_session" not in r.headers.get("set-cookie", "")


def test_session_secret_is_whole_and_long_or_the_server_does_not_start(tmp_path, monkeypatch):
    """Workers starting together: one created session.secret, another read it before it was
    written and signed cookies with b'' (anyone can forge those). An empty or short secret is
    now refused; a new file appears whole."""
    import stat
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    from audiosqueeze.errors import OptionsError
    from audiosqueeze.server.dashboard import session_secret

    from .srv_helpers import config

    cfg = config(tmp_path)
    (tmp_path / "session.secret").write_text("")
    with pytest.raises(OptionsError, match="has 0 characters, fewer than 32"):
        session_secret(cfg)
    (tmp_path / "session.secret").unlink()
    with ThreadPoolExecutor(8) as pool:
        got = set(pool.map(lambda _: session_secret(cfg), range(8)))
    assert len(got) == 1 and len(got.pop()) == 64
    assert stat.S_IMODE((tmp_path / "session.secret").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if "secret" in p.name] == ["session.secret"]
    monkeypatch.setenv("AUDIOSQUEEZE_SESSION_SECRET", "too-short")
    with pytest.raises(OptionsError, match=r"\$AUDIOSQUEEZE_SESSION_SECRET has 9 characters"):
        session_secret(cfg)
