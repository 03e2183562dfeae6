"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright's
Python package; never `playwright install`): log in, upload a file through the page, see the
counters and the chart change; the admin creates a key in the page.

Set ``AUDIOSQUEEZE_SCREENSHOT=docs/dashboard.png`` to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .srv_helpers import ADMIN_KEY, FakeASR, config, create_app, live_server

CHROMIUM = os.environ.get("AUDIOSQUEEZE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium)",
    ),
]


@pytest.fixture
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the [browser] extra (playwright) is not installed"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def counter(page, name: str) -> str:
    return page.locator(f"#count-{name}").inner_text()


def test_login_upload_and_counters_change_in_chromium(tmp_path, wav, browser, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("AUDIOSQUEEZE_ADMIN_KEY", ADMIN_KEY)
    clip = tmp_path / "talk.wav"
    clip.write_bytes(wav)
    app = create_app(config(tmp_path), asr=FakeASR())
    errors: list[str] = []
    with live_server(app) as url:
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/dashboard")
        page.fill("#key", "sq_000000000000_wrong")
        page.click("#login")
        assert "unknown or revoked key" in page.locator(".error").inner_text()

        page.fill("#key", ADMIN_KEY)
        page.click("#login")
        page.wait_for_selector("#count-requests")
        assert counter(page, "requests") == "0"
        # dashboard.js writes this once it has run: wait for it, do not race it
        sync_api.expect(page.locator("#chart")).to_have_text("no savings recorded yet")

        page.fill("#key-name", "made-in-chromium")
        page.click("#create-key")
        key = page.locator("#new-key").inner_text()
        assert key.startswith("sq_")

        page.set_input_files("#file", str(clip))
        page.fill("#rate", "1")
        page.click("#upload")
        page.wait_for_selector(".ok")
        assert counter(page, "requests") == "1" and counter(page, "ok") == "1"
        assert float(counter(page, "seconds-saved")) > 1.0
        assert int(counter(page, "tokens-saved")) > 30
        page.wait_for_selector("#chart .uplot canvas")  # the vendored chart drew
        assert page.locator("#chart").get_attribute("data-days") == "1"
        assert "made-in-chromium" in page.locator("#keys").inner_text()
        assert "/dashboard/compress" in page.locator("#recent").inner_text()

        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        keep = os.environ.get("AUDIOSQUEEZE_SCREENSHOT")
        if keep:
            shutil.copy(shot, keep)
    # the wrong key's page is answered 401 on purpose; nothing else may fail
    assert [e for e in errors if "status of 401" not in e] == []
