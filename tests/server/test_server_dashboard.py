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
        c.post("/dashboard/logout")
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
