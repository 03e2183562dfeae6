"""``audiosqueeze serve`` and ``audiosqueeze keys create|list|revoke``.

Registered from ``audiosqueeze.cli`` with one call; nothing here imports FastAPI or SQLAlchemy
until a command runs, so the rest of the CLI works without the ``[server]`` extra.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from pathlib import Path

import click

from ..errors import OptionsError
from ..validate import shown


def _db_options(f):
    f = click.option(
        "--db",
        "db_url",
        envvar="AUDIOSQUEEZE_DB",
        default=None,
        help="Database URL (sqlite:///PATH or postgresql://...). "
        "Default: SQLite in the data dir. [env: AUDIOSQUEEZE_DB]",
    )(f)
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the SQLite database and the session secret live. "
        "[env: AUDIOSQUEEZE_DATA_DIR; default ~/.local/share/audiosqueeze]",
    )(f)


def _config(data_dir, db_url, **kw):
    from .config import ServerConfig

    if data_dir is not None:
        kw["data_dir"] = data_dir
    return ServerConfig(db_url=db_url, **kw)


def _engine(config):
    from ..deps import require

    require("sqlalchemy", "server")
    require("alembic", "server")
    from .db import open_database

    return open_database(config.database_url)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_bind(host: str, port: int) -> None:
    """Bind ``host:port`` as uvicorn will, and let go: a host that does not resolve or is
    not this machine's, or a port in use or not allowed, is an error before anything starts
    (uvicorn would log it after its start-up and exit 3)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except (OSError, UnicodeError, ValueError, TypeError) as e:  # TypeError: IDNA failed
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise OptionsError(f"cannot serve on host {shown(host)} port {port}: {why}") from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@_db_options
@click.option("--no-auth", is_flag=True, help="No API keys (local use only: loopback hosts).")
@click.option(
    "--asr",
    default="whisper-tiny.en",
    show_default=True,
    help="Embedded recogniser for /v1/audio/transcriptions ('none' for no recogniser).",
)
@click.option(
    "--upstream",
    default=None,
    help="OpenAI-compatible base URL (…/v1) to forward "
    "transcriptions to; its key is read from $AUDIOSQUEEZE_UPSTREAM_KEY.",
)
@click.option(
    "--upstream-model", default=None, help="Model name sent upstream (default: the client's)."
)
@click.option(
    "--vad", type=click.Choice(["silero", "webrtc", "energy"]), default="silero", show_default=True
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Server processes."
)
@click.option(
    "--threads",
    default=0,
    type=click.IntRange(0, 256),
    help="CPU-bound requests at once per process (0 = one per core).",
)
@click.option(
    "--rate-limit",
    default=120,
    show_default=True,
    type=click.IntRange(0, None),
    help="Requests per minute per key (0 = unlimited).",
)
@click.option(
    "--max-upload-mb", default=25.0, show_default=True, type=click.FloatRange(0.001, 4096)
)
@click.option("--max-audio-s", default=10800.0, show_default=True, type=click.FloatRange(1, 86400))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    host,
    port,
    data_dir,
    db_url,
    no_auth,
    asr,
    upstream,
    upstream_model,
    vad,
    workers,
    threads,
    rate_limit,
    max_upload_mb,
    max_audio_s,
    log_level,
) -> None:
    """Run the HTTP service: /v1/compress, /v1/audio/transcriptions, /dashboard, /healthz.

    \b
    Admin key (may create keys over HTTP and see every key on the dashboard):
      export AUDIOSQUEEZE_ADMIN_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
    """
    from ..deps import require

    uvicorn = require("uvicorn", "server")
    require("fastapi", "server")
    if no_auth and not _is_loopback(host):
        raise OptionsError(f"--no-auth is for local use: bind to 127.0.0.1, not {host!r}")
    from .config import CONFIG_ENV, admin_key

    config = _config(
        data_dir,
        db_url,
        auth=not no_auth,
        asr=asr,
        upstream_url=upstream,
        upstream_model=upstream_model,
        vad=vad,
        compute_threads=threads,
        rate_limit_per_minute=rate_limit,
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        max_audio_s=max_audio_s,
    )
    admin_key()  # a too-short admin key fails here, before the server starts
    _check_bind(host, port)
    _engine(config).dispose()  # migrate once, before any worker starts
    os.environ[CONFIG_ENV] = config.to_json()
    logging.basicConfig(level=log_level.upper())
    where = f"[{host}]" if ":" in host else host  # an IPv6 address goes in brackets
    click.echo(
        f"audiosqueeze serving on http://{where}:{port} (db {config.database_url.split('@')[-1]}, "
        f"auth {'off' if no_auth else 'on'})",
        err=True,
    )
    uvicorn.run(
        "audiosqueeze.server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=10,
    )


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (stored only as hashes)."""


@keys.command("create")
@click.option("--name", required=True, help="A label for the key (1-100 characters).")
@_db_options
def keys_create(name, data_dir, db_url) -> None:
    """Create a key and print it once (it is not stored and cannot be shown again)."""
    from .keys import create_key

    engine = _engine(_config(data_dir, db_url))
    row, key = create_key(engine, name)
    click.echo(f"created key {row.id} ({row.name}, prefix {row.prefix}); copy it now:", err=True)
    click.echo(key)


@keys.command("list")
@_db_options
def keys_list(data_dir, db_url) -> None:
    """List keys: id, prefix, name, created, revoked."""
    from .keys import list_keys

    rows = list_keys(_engine(_config(data_dir, db_url)))
    if not rows:
        click.echo("no keys", err=True)
    for r in rows:
        revoked = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
        click.echo(f"{r.id}\t{r.prefix}\t{r.name}\t{r.created_at:%Y-%m-%d %H:%M}\t{revoked}")


@keys.command("revoke")
@click.argument("key_id", type=click.IntRange(1, 2**31 - 1))
@_db_options
def keys_revoke(key_id, data_dir, db_url) -> None:
    """Revoke key KEY_ID (its requests get 401 from then on)."""
    from .db import utcnow
    from .keys import revoke_key

    asked = utcnow()
    row = revoke_key(_engine(_config(data_dir, db_url)), key_id)
    what = f"key {row.id} ({row.name}, prefix {row.prefix})"
    when = row.revoked_at
    if when.replace(tzinfo=when.tzinfo or asked.tzinfo) < asked:  # revoke_key kept the first
        click.echo(f"{what} was already revoked on {when:%Y-%m-%d %H:%M:%S}")
    else:
        click.echo(f"revoked {what}")
