"""Fixtures for the service: generated audio, the admin key, and each kind of database.

PostgreSQL tests use ``$AUDIOSQUEEZE_TEST_POSTGRES_URL`` (``.ci/run`` starts Debian's server
and sets it) and skip with the reason when it is unset or the server does not answer.
"""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the [server] extra is not installed")
pytest.importorskip("sqlalchemy", reason="the [server] extra is not installed")

from srv_helpers import ADMIN_KEY, clip, postgres_url, wav_bytes  # noqa: E402


@pytest.fixture(scope="session")
def wav() -> bytes:
    return wav_bytes(clip())


@pytest.fixture
def admin_env(monkeypatch):
    monkeypatch.setenv("AUDIOSQUEEZE_ADMIN_KEY", ADMIN_KEY)
    return ADMIN_KEY


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A fresh, migrated database of each kind."""
    from sqlalchemy import text

    from audiosqueeze.server.db import make_engine, migrate

    if request.param == "sqlite":
        e = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    else:
        e = make_engine(postgres_url())
        with e.begin() as c:
            c.execute(text("DROP TABLE IF EXISTS usage_records, api_keys, alembic_version"))
    migrate(e)
    yield e
    e.dispose()
