"""``/dashboard``: log in with a key, see what it saved, upload a file; admins manage keys.

Server-rendered (Jinja2) with one vendored chart library (uPlot, MIT, in ``static/vendor``);
no CDN, and a Content-Security-Policy of ``'self'`` that would block one. The login is a signed,
expiring, HttpOnly, SameSite=Strict cookie (HMAC-SHA256 with a secret kept in the data dir);
the key is checked again on every page, so revoking it ends its sessions. Every form carries a
CSRF token derived from the session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from ..errors import AudiosqueezeError, OptionsError
from . import dashboard_data as data
from .config import ServerConfig
from .db import ApiKey
from .errors import ApiError, status_of
from .inputs import read_upload
from .keys import ADMIN, ANONYMOUS, Principal, create_key, revoke_key, verify
from .routes_compress import compress_upload
from .usage import usage_of

HERE = Path(__file__).parent
COOKIE = "audiosqueeze_session"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(HERE / "templates"))


def session_secret(config: ServerConfig) -> bytes:
    """``$AUDIOSQUEEZE_SESSION_SECRET``, else a random secret kept in ``data_dir`` (0600)."""
    env = os.environ.get("AUDIOSQUEEZE_SESSION_SECRET")
    if env:
        return env.encode()
    path = config.data_dir / "session.secret"
    config.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    return path.read_text().strip().encode()


def mount_static(app) -> None:
    app.mount("/dashboard/static", StaticFiles(directory=str(HERE / "static")), name="static")


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def make_cookie(secret: bytes, who: str, hours: float) -> str:
    payload = f"{who}.{int(time.time() + hours * 3600)}"
    return f"{payload}.{_sign(secret, payload)}"


def principal_of(request: Request) -> Principal | None:
    """The logged-in principal, if the cookie is valid, unexpired and its key still active."""
    state = request.app.state
    if not state.config.auth:
        return ANONYMOUS
    who, _, rest = request.cookies.get(COOKIE, "").partition(".")
    expiry, _, sig = rest.partition(".")
    if not (who and expiry.isdigit() and sig):
        return None
    if not hmac.compare_digest(_sign(state.session_secret, f"{who}.{expiry}"), sig):
        return None
    if int(expiry) < time.time():
        return None
    if who == "admin":
        return ADMIN if state.admin_key else None
    if not who.isdigit():
        return None
    with Session(state.engine) as s:
        row = s.get(ApiKey, int(who))
        return Principal(row.id, row.prefix) if row is not None and row.active else None


def csrf_token(request: Request) -> str:
    return _sign(request.app.state.session_secret, "csrf." + request.cookies.get(COOKIE, "anon"))


async def _form(request: Request) -> dict:
    form = await request.form(max_files=0, max_fields=8, max_part_size=4096)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _check_csrf(request: Request, token: str | None) -> None:
    if not token or not hmac.compare_digest(token, csrf_token(request)):
        raise ApiError(403, "missing or stale form token: reload the page")


def page(request: Request, who: Principal, status: int = 200, **extra) -> Response:
    engine, everyone = request.app.state.engine, who.admin
    ctx = {
        "who": who,
        "auth": request.app.state.config.auth,
        "csrf": csrf_token(request),
        "totals": data.totals(engine, who.key_id, everyone),
        "models": data.by_model(engine, who.key_id, everyone),
        "recent": data.recent(engine, who.key_id, everyone),
        "chart": json.dumps(data.per_day(engine, who.key_id, everyone)),
        "keys": data.keys_with_usage(engine) if who.admin else [],
        **extra,
    }
    r = templates.TemplateResponse(request, "dashboard.html", ctx, status_code=status)
    r.headers["Content-Security-Policy"] = CSP
    return r


def login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    r = templates.TemplateResponse(request, "login.html", {"error": error}, status_code=status)
    r.headers["Content-Security-Policy"] = CSP
    return r


@router.get("/dashboard")
def dashboard(request: Request, done: str | None = None) -> Response:
    who = principal_of(request)
    if who is None:
        return login_page(request)
    return page(request, who, done=(done or "")[:64])


@router.post("/dashboard/login")
async def login(request: Request) -> Response:
    key = (await _form(request)).get("key", "").strip()
    state = request.app.state
    if state.limiter.acquire(f"login:{request.client.host if request.client else '?'}") > 0:
        return login_page(request, "too many attempts; wait a minute", 429)
    who = verify(state.engine, key, state.admin_key) if key else None
    if who is None:
        return login_page(request, "unknown or revoked key", 401)
    cookie = make_cookie(
        state.session_secret, "admin" if who.admin else str(who.key_id), state.config.session_hours
    )
    r = RedirectResponse("/dashboard", status_code=303)
    r.set_cookie(
        COOKIE,
        cookie,
        max_age=int(state.config.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return r


@router.post("/dashboard/logout")
def logout() -> Response:
    r = RedirectResponse("/dashboard", status_code=303)
    r.delete_cookie(COOKIE, path="/")
    return r


@router.post("/dashboard/compress")
async def upload(request: Request) -> Response:
    """The page's upload form: compress, record usage, and show the counters again."""
    who = principal_of(request)
    if who is None:
        return login_page(request, "log in first", 401)
    usage = usage_of(request.scope)
    if usage is not None:
        usage.key_id, usage.principal = who.key_id, who.label
    try:
        state = request.app.state
        if state.config.auth and state.limiter.acquire(who.label) > 0:
            raise ApiError(429, "rate limit exceeded; wait a moment")
        up = await read_upload(request, request.app.state.config.max_upload_bytes, allow_json=False)
        _check_csrf(request, up.fields.get("csrf"))
        up.fields["response"] = "json"
        await compress_upload(request, up)
    except (ApiError, AudiosqueezeError) as e:
        status = e.status if isinstance(e, ApiError) else status_of(e)
        if usage is not None:
            usage.error = str(e)[:300]
        return page(request, who, status, error=str(e))
    done = usage.request_id if usage is not None else ""
    return RedirectResponse(f"/dashboard?done={done}", status_code=303)


@router.post("/dashboard/keys")
async def new_key(request: Request) -> Response:
    who = principal_of(request)
    if who is None or not who.admin:
        raise ApiError(403, "only the admin manages keys")
    form = await _form(request)
    _check_csrf(request, form.get("csrf"))
    try:
        row, key = create_key(request.app.state.engine, form.get("name", ""))
    except OptionsError as e:
        return page(request, who, 422, error=str(e))
    return page(request, who, 201, new_key=key, new_key_name=row.name)


@router.post("/dashboard/keys/{key_id}/revoke")
async def revoke(key_id: int, request: Request) -> Response:
    who = principal_of(request)
    if who is None or not who.admin:
        raise ApiError(403, "only the admin manages keys")
    _check_csrf(request, (await _form(request)).get("csrf"))
    try:
        revoke_key(request.app.state.engine, key_id)
    except OptionsError as e:
        raise ApiError(404, str(e)) from None
    return RedirectResponse("/dashboard", status_code=303)
