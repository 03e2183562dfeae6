"""What the dashboard shows, from the usage records: totals, per day, per model, recent requests.

``key_id=None`` with ``everyone=True`` is the admin's view of all keys; otherwise one key's own.
Savings count only successful requests (status < 400: the page's upload answers 303). Tokens
are summed in each request's own token profile (for ``/v1/compress`` the ``model`` asked for;
for transcriptions ``whisper-unpadded``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .db import ApiKey, UsageRecord, utcnow

R = UsageRecord


@dataclass(frozen=True)
class Totals:
    requests: int
    ok: int
    seconds_in: float
    seconds_out: float
    tokens_before: int
    tokens_after: int

    @property
    def seconds_saved(self) -> float:
        return self.seconds_in - self.seconds_out

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


def _scope(stmt, key_id: int | None, everyone: bool):
    return stmt if everyone else stmt.where(R.key_id == key_id)


def _ok(column):
    return func.coalesce(func.sum(case((R.status < 400, column), else_=0)), 0)


def totals(engine: Engine, key_id: int | None, everyone: bool) -> Totals:
    stmt = select(
        func.count(R.id),
        func.coalesce(func.sum(case((R.status < 400, 1), else_=0)), 0),
        _ok(R.seconds_in),
        _ok(R.seconds_out),
        _ok(R.tokens_before),
        _ok(R.tokens_after),
    )
    with Session(engine) as s:
        row = s.execute(_scope(stmt, key_id, everyone)).one()
    return Totals(int(row[0]), int(row[1]), float(row[2]), float(row[3]), int(row[4]), int(row[5]))


def per_day(engine: Engine, key_id: int | None, everyone: bool, days: int = 30) -> dict:
    """Columns for the chart: day (epoch seconds), seconds saved, tokens saved."""
    since = (utcnow() - dt.timedelta(days=days)).date()
    stmt = (
        select(
            R.day,
            _ok(R.seconds_in) - _ok(R.seconds_out),
            _ok(R.tokens_before) - _ok(R.tokens_after),
        )
        .where(R.day >= since)
        .group_by(R.day)
        .order_by(R.day)
    )
    with Session(engine) as s:
        rows = s.execute(_scope(stmt, key_id, everyone)).all()
    epoch = dt.date(1970, 1, 1)
    return {
        "day": [(d - epoch).days * 86400 for d, _, _ in rows],
        "seconds_saved": [round(float(x), 3) for _, x, _ in rows],
        "tokens_saved": [int(t) for _, _, t in rows],
    }


def by_model(engine: Engine, key_id: int | None, everyone: bool) -> list[dict]:
    stmt = (
        select(
            R.endpoint,
            R.model,
            func.count(R.id),
            _ok(R.seconds_in),
            _ok(R.seconds_out),
            _ok(R.tokens_before) - _ok(R.tokens_after),
        )
        .where(R.model.is_not(None))
        .group_by(R.endpoint, R.model)
        .order_by(R.endpoint, R.model)
    )
    with Session(engine) as s:
        rows = s.execute(_scope(stmt, key_id, everyone)).all()
    return [
        {
            "endpoint": e,
            "model": m,
            "requests": int(n),
            "seconds_in": float(a),
            "seconds_saved": float(a) - float(b),
            "reduction": (1 - float(b) / float(a)) if a else 0.0,
            "tokens_saved": int(t),
        }
        for e, m, n, a, b, t in rows
    ]


def recent(engine: Engine, key_id: int | None, everyone: bool, limit: int = 20) -> list:
    stmt = select(R).order_by(R.id.desc()).limit(limit)
    with Session(engine) as s:
        return list(s.scalars(_scope(stmt, key_id, everyone)))


def keys_with_usage(engine: Engine) -> list[dict]:
    counts = (
        select(R.key_id, func.count(R.id).label("n"), _ok(R.seconds_in) - _ok(R.seconds_out))
        .group_by(R.key_id)
        .subquery()
    )
    stmt = (
        select(ApiKey, counts.c.n, counts.c[2])
        .outerjoin(counts, counts.c.key_id == ApiKey.id)
        .order_by(ApiKey.id)
    )
    with Session(engine) as s:
        return [
            {"key": k, "requests": int(n or 0), "seconds_saved": float(saved or 0.0)}
            for k, n, saved in s.execute(stmt).all()
        ]
