"""Known answers for the database layer: a key's ``active`` flag, a record's defaults, the
SQLite folder and its errors, and a PostgreSQL pool that survives a dropped connection."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from audiosqueeze.errors import OptionsError
from audiosqueeze.server.db import UsageRecord, make_engine, migrate, utcnow
from audiosqueeze.server.keys import create_key, revoke_key

from .srv_helpers import postgres_url


def test_a_key_is_active_until_it_is_revoked(engine):
    row, _ = create_key(engine, "k")
    assert row.active is True
    assert revoke_key(engine, row.id).active is False


def test_a_record_written_without_flags_has_speech_and_no_error(engine):
    now = utcnow()
    with Session(engine) as s, s.begin():
        s.add(
            UsageRecord(
                request_id="r1",
                created_at=now,
                day=now.date(),
                principal="p",
                endpoint="/v1/x",
                status=200,
                latency_ms=1.0,
            )
        )
    with Session(engine) as s:
        rec = s.scalars(select(UsageRecord)).one()
    assert (rec.no_speech, rec.error, rec.key_id, rec.seconds_in) == (False, None, None, None)


def test_sqlite_database_folders_are_created_however_deep(tmp_path):
    where = tmp_path / "a" / "b" / "c" / "usage.db"
    e = make_engine(f"sqlite:///{where}")
    migrate(e)
    e.dispose()
    assert where.is_file()


def test_a_folder_the_system_refuses_is_named_with_the_reason_alone(tmp_path):
    where = tmp_path / ("x" * 300) / "usage.db"  # a name longer than any file system allows
    with pytest.raises(OptionsError) as info:
        make_engine(f"sqlite:///{where}")
    assert str(info.value) == (
        f"cannot create the folder of the SQLite database {str(where)!r}: File name too long"
    )


def test_sqlite_waits_30_s_for_a_lock(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    with e.connect() as c:
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
    e.dispose()


def test_postgresql_pool_replaces_a_connection_the_server_dropped():
    """A pooled connection whose backend was terminated (a server restart, an idle timeout)
    must not fail the next request: the pool checks it before handing it out."""
    url = postgres_url()
    e = make_engine(url)
    other = make_engine(url)
    try:
        with e.connect() as c:
            pid = c.execute(text("SELECT pg_backend_pid()")).scalar()
        with other.begin() as c:
            assert c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        with e.connect() as c:
            assert c.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        e.dispose()
        other.dispose()
