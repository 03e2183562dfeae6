"""``GET /healthz`` and the admin's key management over HTTP (``/v1/keys``)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from .. import __version__
from ..errors import OptionsError
from .auth import AdminDep
from .errors import ApiError
from .keys import create_key, list_keys, revoke_key

router = APIRouter()


class NewKey(BaseModel):
    name: str = Field(min_length=1, max_length=100)


def utc_iso(t: dt.datetime | None) -> str | None:
    """``t`` in ISO 8601 with its ``+00:00``: the times are stored in UTC, and SQLite hands
    them back naive (PostgreSQL in the session's zone)."""
    if t is None:
        return None
    utc = dt.timezone.utc
    return (t.replace(tzinfo=utc) if t.tzinfo is None else t.astimezone(utc)).isoformat()


def key_json(row) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": utc_iso(row.created_at),
        "revoked_at": utc_iso(row.revoked_at),
    }


@router.get("/healthz", tags=["health"])
def healthz(request: Request) -> dict:
    """Liveness and readiness: the database answers, and which backend is loaded."""
    state = request.app.state
    with state.engine.connect() as c:
        c.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "version": __version__,
        "database": state.engine.dialect.name,
        "backend": getattr(state.backend, "name", None),
        "auth": state.config.auth,
    }


@router.post("/v1/keys", status_code=201, tags=["keys"])
def create(body: NewKey, request: Request, admin: AdminDep) -> dict:
    """Create a key; the answer is the only place the key ever appears."""
    row, key = create_key(request.app.state.engine, body.name)
    return {**key_json(row), "key": key}


@router.get("/v1/keys", tags=["keys"])
def index(request: Request, admin: AdminDep) -> dict:
    return {"data": [key_json(r) for r in list_keys(request.app.state.engine)]}


@router.delete("/v1/keys/{key_id}", tags=["keys"])
def revoke(key_id: int, request: Request, admin: AdminDep) -> dict:
    """Revoke a key (404 if there is none with that id)."""
    if not 0 < key_id < 2**31:
        raise ApiError(404, f"no API key with id {key_id}")
    try:
        return key_json(revoke_key(request.app.state.engine, key_id))
    except OptionsError as e:
        raise ApiError(404, str(e)) from None
