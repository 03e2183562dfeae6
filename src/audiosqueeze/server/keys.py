"""API keys: 256 random bits, shown once, stored only as SHA-256 plus a public lookup prefix.

A key looks like ``sq_<12 chars>_<43 chars>``; the part up to the second underscore is its
prefix (stored in clear, unique, used to find the row), the whole key is hashed. The secret has
256 bits of entropy, so one fast hash is enough (nothing to brute-force), and the check compares
digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..errors import OptionsError
from .db import ApiKey, utcnow

KEY_PREFIX = "sq_"
_PREFIX_LEN = len(KEY_PREFIX) + 12


@dataclass(frozen=True)
class Principal:
    """Who is calling: a stored key (``key_id``), the admin key, or nobody (``--no-auth``)."""

    key_id: int | None
    label: str
    admin: bool = False


ADMIN = Principal(None, "admin", admin=True)
ANONYMOUS = Principal(None, "anonymous", admin=True)


def new_key() -> str:
    """A fresh key: ``sq_`` + 12 lookup characters + ``_`` + 32 random bytes (base64url)."""
    lookup = secrets.token_hex(6)
    return f"{KEY_PREFIX}{lookup}_{secrets.token_urlsafe(32)}"


def prefix_of(key: str) -> str | None:
    """The public prefix of a well-formed key (its lookup part ASCII letters and digits), else
    ``None``: a NUL there would reach the database, and PostgreSQL refuses one in a query."""
    if not key.startswith(KEY_PREFIX) or len(key) < _PREFIX_LEN + 2 or key[_PREFIX_LEN] != "_":
        return None
    lookup = key[len(KEY_PREFIX) : _PREFIX_LEN]
    return key[:_PREFIX_LEN] if lookup.isascii() and lookup.isalnum() else None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def same_secret(a: str, b: str) -> bool:
    """Constant-time equality of two secrets of any length and any characters (compares their
    SHA-256 digests; ``hmac.compare_digest`` itself refuses non-ASCII strings)."""
    return hmac.compare_digest(digest(a), digest(b))


def create_key(engine: Engine, name: str) -> tuple[ApiKey, str]:
    """Store a new key named ``name``; returns the row and the key (the only time it exists)."""
    name = name.strip()
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise OptionsError(f"a key name must be 1-100 printable characters, got {name!r}")
    key = new_key()
    with Session(engine, expire_on_commit=False) as s, s.begin():
        row = ApiKey(name=name, prefix=prefix_of(key), key_sha256=digest(key), created_at=utcnow())
        s.add(row)
    return row, key


def list_keys(engine: Engine) -> list[ApiKey]:
    with Session(engine, expire_on_commit=False) as s:
        return list(s.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(engine: Engine, key_id: int) -> ApiKey:
    """Revoke key ``key_id`` (idempotent); :class:`OptionsError` if there is no such key (an
    id outside the column's range, which the database would refuse, included)."""
    with Session(engine, expire_on_commit=False) as s, s.begin():
        row = s.get(ApiKey, key_id) if 0 < key_id < 2**31 else None
        if row is None:
            raise OptionsError(f"no API key with id {key_id!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
    return row


def verify(engine: Engine, key: str, admin_key: str | None) -> Principal | None:
    """The principal ``key`` belongs to, or ``None`` if it is unknown, malformed or revoked."""
    if admin_key is not None and same_secret(key, admin_key):
        return ADMIN
    prefix = prefix_of(key)
    if prefix is None:
        return None
    with Session(engine) as s:
        row = s.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if row is None or not hmac.compare_digest(row.key_sha256, digest(key)):
            return None
        if row.revoked_at is not None:
            return None
        return Principal(row.id, row.prefix)
