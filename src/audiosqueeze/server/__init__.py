"""The audiosqueeze service (``pip install 'audiosqueeze[server]'``; ``audiosqueeze serve``).

=====================  =====================================================================
module                 concern
=====================  =====================================================================
``app``                ``create_app(config)``: routers, error handlers, middleware, lifespan
``config``             :class:`ServerConfig` (flags and environment)
``routes_compress``    ``POST /v1/compress`` (multipart, raw body, ScaleDown JSON)
``routes_transcribe``  ``POST /v1/audio/transcriptions`` (OpenAI-compatible proxy)
``backends``           embedded recogniser or an OpenAI-compatible upstream
``formats``            json / text / srt / vtt / verbose_json
``routes_admin``       ``GET /healthz``, ``/v1/keys`` (admin)
``auth``, ``keys``     API keys (hashed), Bearer / x-api-key, rate limit
``db``, ``migrations`` SQLAlchemy models, engine (SQLite WAL or PostgreSQL), Alembic
``usage``              a usage record committed before each response
``dashboard``          ``/dashboard`` pages (Jinja2 + vendored uPlot)
``inputs``, ``work``   hostile bodies (413/415/422) and the CPU work in a worker pool
``cli``                ``audiosqueeze serve`` and ``audiosqueeze keys``
=====================  =====================================================================

Importing this package needs the ``[server]`` extra; ``audiosqueeze`` itself never imports it.
"""

from .config import ServerConfig


def create_app(config: ServerConfig | None = None, **kw):
    """The FastAPI app (see :func:`audiosqueeze.server.app.create_app`)."""
    from .app import create_app as _create

    return _create(config, **kw)


__all__ = ["ServerConfig", "create_app"]
