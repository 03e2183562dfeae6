"""Usage records: one per request, committed before the response starts, on SQLite and
PostgreSQL; the Alembic migrations build exactly the models' schema."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from audiosqueeze.server import create_app
from audiosqueeze.server.db import Base, UsageRecord, make_engine, migrate, normalise_url
from audiosqueeze.server.usage import has_record, storable

from .srv_helpers import client, config, http_scope


def records(engine) -> list[UsageRecord]:
    with Session(engine) as s:
        return list(s.scalars(select(UsageRecord).order_by(UsageRecord.id)))


def test_migrations_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(engine):
    migrate(engine, "base", downgrade=True)
    with engine.connect() as c:
        assert "usage_records" not in engine.dialect.get_table_names(c)
    migrate(engine)
    migrate(engine)  # idempotent
    with engine.connect() as c:
        assert {"usage_records", "api_keys"} <= set(engine.dialect.get_table_names(c))


def test_sqlite_runs_in_wal_mode(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with e.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


@pytest.mark.parametrize("url", ["mysql://x/y", "not a url at all", "sqlite+pysqlite:///:memory:"])
def test_database_urls(url):
    if url.startswith("sqlite"):
        assert normalise_url(url).database == ":memory:"
    else:
        with pytest.raises(Exception, match="database"):
            normalise_url(url)
    pg = normalise_url("postgresql://u:p@h/d")
    assert pg.render_as_string(hide_password=False) == "postgresql+psycopg://u:p@h/d"


def test_every_request_is_recorded_with_its_numbers(tmp_path, wav, engine):
    with client(tmp_path, engine=engine, auth=False) as c:
        ok = c.post(
            "/v1/compress?rate=1&model=voxtral", content=wav, headers={"content-type": "audio/wav"}
        )
        bad = c.post("/v1/compress?rate=7", content=wav, headers={"content-type": "audio/wav"})
        junk = c.post("/v1/compress", content=b"\x00" * 100, headers={"content-type": "audio/wav"})
        c.get("/healthz")  # not an API call: not recorded
    rows = records(engine)
    assert [r.status for r in rows] == [200, 422, 422]
    first = rows[0]
    assert first.request_id == ok.headers["x-request-id"]
    assert first.endpoint == "/v1/compress" and first.model == "voxtral"
    assert first.seconds_in == pytest.approx(5.0)
    assert first.seconds_out == pytest.approx(
        float(ok.headers["x-audiosqueeze-seconds-out"]), abs=1e-3
    )
    assert first.tokens_before == 63 and first.tokens_after == int(
        ok.headers["x-audiosqueeze-tokens-after"]
    )
    assert first.latency_ms > 0 and first.principal == "anonymous" and first.error is None
    assert "rate must be in" in rows[1].error and rows[2].request_id == junk.headers["x-request-id"]
    assert bad.headers["x-request-id"] == rows[1].request_id


def test_record_is_committed_before_the_response_starts(tmp_path, wav, engine):
    """Drive the ASGI app by hand and look in the database at the moment the status line
    is sent: the record must already be there (read through a separate connection)."""
    app = create_app(config(tmp_path, auth=False), engine=engine)
    seen: list = []

    async def run():
        async with app.router.lifespan_context(app):
            body = [{"type": "http.request", "body": wav, "more_body": False}]

            async def receive():
                return body.pop(0) if body else {"type": "http.disconnect"}

            async def send(message):
                if message["type"] == "http.response.start":
                    rid = dict(message["headers"])[b"x-request-id"].decode()
                    seen.append((message["status"], has_record(engine, rid)))

            scope = http_scope("/v1/compress", {"content-type": "audio/wav"}, b"rate=0.5")
            await app(scope, receive, send)

    asyncio.run(run())
    assert seen == [(200, True)]


def test_a_failing_database_means_no_200(tmp_path, wav):
    """If the record cannot be written, the client must not get a 200."""
    e = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    with client(tmp_path, engine=e, auth=False) as c:
        with e.begin() as conn:
            conn.execute(text("DROP TABLE usage_records"))
        r = c.post("/v1/compress?rate=0", content=wav, headers={"content-type": "audio/wav"})
    assert r.status_code == 500 and r.json()["error"]["code"] == 500


def test_caller_text_the_database_cannot_hold_is_made_storable(tmp_path, wav, engine):
    """A NUL in the path or in a field stored in the record (PostgreSQL refuses NUL in text)
    made the record fail, and so the request, with a 500."""
    with client(tmp_path, engine=engine, auth=False) as c:  # no recogniser: 503
        r = c.post(
            "/v1/audio/transcriptions?model=whisper%001",
            content=wav,
            headers={"content-type": "audio/wav"},
        )
        missing = c.post("/v1/x%00y", content=b"")
    assert (r.status_code, missing.status_code) == (503, 404)
    rows = records(engine)
    assert [(x.status, x.model, x.endpoint) for x in rows] == [
        (503, "whisper\ufffd1", "/v1/audio/transcriptions"),
        (404, None, "/v1/x\ufffdy"),
    ]
    assert storable("a\ud800b" + "c" * 100, 4) == "a?bc"
