"""Usage records and API keys in SQLAlchemy 2: SQLite (WAL) by default, PostgreSQL by URL.

One engine per process; the schema is created and upgraded only by Alembic
(:func:`migrate`), never by ``create_all``, so both databases follow the same migrations.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..errors import OptionsError

MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    """A key is stored only as its SHA-256 and a short public prefix used to look it up."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    key_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class UsageRecord(Base):
    """One API request: who, when, what, how much audio and how many tokens, and the outcome."""

    __tablename__ = "usage_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), index=True, default=None
    )
    principal: Mapped[str] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64), default=None)
    token_profile: Mapped[str | None] = mapped_column(String(32), default=None)
    seconds_in: Mapped[float | None] = mapped_column(Float, default=None)
    seconds_out: Mapped[float | None] = mapped_column(Float, default=None)
    tokens_before: Mapped[int | None] = mapped_column(Integer, default=None)
    tokens_after: Mapped[int | None] = mapped_column(Integer, default=None)
    no_speech: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(String(300), default=None)


def normalise_url(url: str) -> URL:
    """``postgresql://`` means the psycopg 3 driver; anything unparseable is an OptionsError."""
    try:
        u = make_url(url)
    except Exception as e:
        raise OptionsError(f"not a database URL: {url!r} ({e})") from None
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if not (u.drivername.startswith("sqlite") or u.drivername.startswith("postgresql")):
        raise OptionsError(f"database must be sqlite:/// or postgresql://, got {u.drivername!r}")
    return u


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the response goes
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    """The process's engine; SQLite gets WAL, FULL sync and a 30-s busy timeout."""
    url = normalise_url(url)
    if url.drivername.startswith("sqlite"):
        path = url.database
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                why = e.strerror or str(e)
                if isinstance(e, (FileExistsError, NotADirectoryError)):
                    why = f"{str(e.filename)!r} is a file, not a folder"
                raise OptionsError(
                    f"cannot create the folder of the SQLite database {path!r}: {why}"
                ) from None
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine, revision: str = "head", *, downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the schema to ``revision`` with Alembic; the migrations ship in
    the package."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(cfg, revision)


def open_database(url: str) -> Engine:
    """:func:`make_engine` and :func:`migrate`; a database that cannot be opened or upgraded
    (not a database file, a folder, a server that does not answer or refuses the login) is an
    :class:`OptionsError` quoting the URL without its password."""
    from sqlalchemy.exc import SQLAlchemyError

    engine = make_engine(url)
    try:
        migrate(engine)
    except SQLAlchemyError as e:
        engine.dispose()
        shown = normalise_url(url).render_as_string(hide_password=True)
        why = (str(e.orig) if e.orig is not None else str(e)).strip().splitlines()
        raise OptionsError(f"cannot open the database {shown!r}: {why[0] if why else e}") from None
    return engine


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
