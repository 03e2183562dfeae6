"""Fixtures for the service: generated audio, the admin key, and each kind of database.

PostgreSQL tests use ``$AUDIOSQUEEZE_TEST_POSTGRES_URL`` (``.ci/run`` starts Debian's server
and sets it) and skip with the reason when it is unset or the server does not answer.
"""

from __future__ import annotations

import importlib.util

import pytest

# Without the [server] extra the test modules are not collected (they import FastAPI and
# SQLAlchemy at the top); test_server_extra.py then reports the skip and its reason once.
SERVER_EXTRA = all(importlib.util.find_spec(m) for m in ("fastapi", "sqlalchemy", "alembic"))
collect_ignore_glob = [] if SERVER_EXTRA else ["test_server_*.py"]


@pytest.fixture(scope="session")
def wav() -> bytes:
    from .srv_helpers import clip, wav_bytes

    return wav_bytes(clip())


@pytest.fixture
def admin_env(monkeypatch):
    from .srv_helpers import ADMIN_KEY

    monkeypatch.setenv("AUDIOSQUEEZE_ADMIN_KEY", ADMIN_KEY)
    return ADMIN_KEY


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A fresh, migrated database of each kind."""
    from sqlalchemy import text

    from audiosqueeze.server.db import make_engine, migrate

    from .srv_helpers import postgres_url

    if request.param == "sqlite":
        e = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    else:
        e = make_engine(postgres_url())
        with e.begin() as c:
            c.execute(text("DROP TABLE IF EXISTS usage_records, api_keys, alembic_version"))
    migrate(e)
    yield e
    e.dispose()
