"""``/dashboard``: log in with a key, see what it saved, upload a file; admins manage keys.

Server-rendered (Jinja2) with one vendored chart library (uPlot, MIT, in ``static/vendor``);
no CDN, and a Content-Security-Policy of ``'self'`` that would block one. The login is a signed,
expiring, HttpOnly, SameSite=Strict cookie (HMAC-SHA256 with a secret kept in the data dir);
the key is checked again on every page, so revoking it (or changing the admin key) ends its
sessions. Every form carries a CSRF token derived from the session, and a form a browser posts
from another origin is refused (the login form has no session to derive a token from).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, Request
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
from .keys import ADMIN, ANONYMOUS, Principal, create_key, revoke_key, same_secret, verify
from .routes_compress import compress_upload
from .usage import usage_of

HERE = Path(__file__).parent
COOKIE = "audiosqueeze_session"
SESSION_SECRET_ENV = "AUDIOSQUEEZE_SESSION_SECRET"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
router = APIRouter(include_in_schema=False)
#: A text field of a posted form. The form routes are plain ``def`` (FastAPI reads the form,
#: then runs them in a worker thread), so their database work never blocks the event loop.
FormField = Annotated[str, Form()]
templates = Jinja2Templates(directory=str(HERE / "templates"))


def session_secret(config: ServerConfig) -> bytes:
    """``$AUDIOSQUEEZE_SESSION_SECRET``, else a random secret kept in ``data_dir`` (0600).

    The file appears whole or not at all (written aside, then linked into place), so worker
    processes starting together all read the one secret, never an empty file; a secret
    shorter than 32 characters (an empty one signs cookies anyone can forge) is refused."""
    secret = os.environ.get(SESSION_SECRET_ENV)
    where = f"${SESSION_SECRET_ENV}"
    if not secret:
        path = config.data_dir / "session.secret"
        where = str(path)
        if not path.exists():
            _create_secret_file(path)
        secret = path.read_text().strip()
    if len(secret) < 32:
        raise OptionsError(
            f"the session secret in {where} has {len(secret)} characters, fewer than 32; "
            "set a longer one (or delete the file to have a new one made)"
        )
    return secret.encode()


def _create_secret_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".session.secret.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        os.link(tmp, path)
    except FileExistsError:
        pass  # another worker made it first: use that one
    finally:
        os.unlink(tmp)


def mount_static(app) -> None:
    app.mount("/dashboard/static", StaticFiles(directory=str(HERE / "static")), name="static")


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def make_cookie(secret: bytes, who: str, hours: float) -> str:
    payload = f"{who}.{int(time.time() + hours * 3600)}"
    return f"{payload}.{_sign(secret, payload)}"


def admin_who(state) -> str:
    """Who an admin session is: tied to the admin key, so a new key ends the old sessions."""
    return "admin-" + _sign(state.session_secret, "admin-key." + state.admin_key)[:32]


def principal_of(request: Request) -> Principal | None:
    """The logged-in principal, if the cookie is valid, unexpired and its key still active."""
    state = request.app.state
    if not state.config.auth:
        return ANONYMOUS
    who, _, rest = request.cookies.get(COOKIE, "").partition(".")
    expiry, _, sig = rest.partition(".")
    if not (who and expiry.isdigit() and sig):
        return None
    if not same_secret(_sign(state.session_secret, f"{who}.{expiry}"), sig):
        return None
    if int(expiry) < time.time():
        return None
    if who.startswith("admin-"):
        return ADMIN if state.admin_key and same_secret(who, admin_who(state)) else None
    if not who.isdigit():
        return None
    with Session(state.engine) as s:
        row = s.get(ApiKey, int(who))
        return Principal(row.id, row.prefix) if row is not None and row.active else None


def csrf_token(request: Request) -> str:
    return _sign(request.app.state.session_secret, "csrf." + request.cookies.get(COOKIE, "anon"))


def same_origin(request: Request) -> None:
    """403 for a form a browser posts from another site. The session cookie is SameSite and
    forms carry a token, but the login form cannot (login CSRF: a page elsewhere logs the
    visitor in with its own key); a browser always says where a form came from."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    try:
        netloc = urllib.parse.urlsplit(origin).netloc
    except ValueError:  # not a URL at all ("http://[::1": an unclosed IPv6 bracket)
        netloc = None
    if netloc != request.headers.get("host"):
        raise ApiError(403, f"a form posted from {origin[:80]!r} is refused")


SAME_ORIGIN = [Depends(same_origin)]


def _check_csrf(request: Request, token: str | None) -> None:
    if not token or not same_secret(token, csrf_token(request)):
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


@router.post("/dashboard/login", dependencies=SAME_ORIGIN)
def login(request: Request, key: FormField = "") -> Response:
    key = key.strip()
    state = request.app.state
    if state.limiter.acquire(f"login:{request.client.host if request.client else '?'}") > 0:
        return login_page(request, "too many attempts; wait a minute", 429)
    who = verify(state.engine, key, state.admin_key) if key else None
    if who is None:
        return login_page(request, "unknown or revoked key", 401)
    cookie = make_cookie(
        state.session_secret,
        admin_who(state) if who.admin else str(who.key_id),
        state.config.session_hours,
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


@router.post("/dashboard/logout", dependencies=SAME_ORIGIN)
def logout(request: Request, csrf: FormField = "") -> Response:
    """Log out; the form's token is checked, so a page elsewhere cannot log a visitor out."""
    _check_csrf(request, csrf)
    r = RedirectResponse("/dashboard", status_code=303)
    r.delete_cookie(COOKIE, path="/")
    return r


@router.post("/dashboard/compress", dependencies=SAME_ORIGIN)
async def upload(request: Request) -> Response:
    """The page's upload form: compress, record usage, and show the counters again (async for
    the upload; its database work goes to worker threads, never the event loop)."""
    who = await anyio.to_thread.run_sync(principal_of, request)
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
        # the message alone, as the API records it (an ApiError's str() starts "422: ")
        status, message = (
            (e.status, e.message) if isinstance(e, ApiError) else (status_of(e), str(e))
        )
        if usage is not None:
            usage.error = message[:300]
        return await anyio.to_thread.run_sync(
            functools.partial(page, request, who, status, error=message)
        )
    done = usage.request_id if usage is not None else ""
    return RedirectResponse(f"/dashboard?done={done}", status_code=303)


@router.post("/dashboard/keys", dependencies=SAME_ORIGIN)
def new_key(request: Request, name: FormField = "", csrf: FormField = "") -> Response:
    who = principal_of(request)
    if who is None or not who.admin:
        raise ApiError(403, "only the admin manages keys")
    _check_csrf(request, csrf)
    try:
        row, key = create_key(request.app.state.engine, name)
    except OptionsError as e:
        return page(request, who, 422, error=str(e))
    return page(request, who, 201, new_key=key, new_key_name=row.name)


@router.post("/dashboard/keys/{key_id}/revoke", dependencies=SAME_ORIGIN)
def revoke(key_id: int, request: Request, csrf: FormField = "") -> Response:
    who = principal_of(request)
    if who is None or not who.admin:
        raise ApiError(403, "only the admin manages keys")
    _check_csrf(request, csrf)
    try:
        revoke_key(request.app.state.engine, key_id)
    except OptionsError as e:
        raise ApiError(404, str(e)) from None
    return RedirectResponse("/dashboard", status_code=303)
