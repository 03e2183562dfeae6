"""The FastAPI application: routers, error handlers, usage middleware, and the lifespan.

``create_app(config)`` builds an app; nothing heavy happens until the lifespan starts, which
opens the database (and runs the migrations), loads the recogniser and warms up the VAD once.
Each concern is one router, the WebSocket ``/v1/stream`` (on ``sq.Stream``) among them.
"""

from __future__ import annotations

import contextlib
import logging
import os

import anyio
from fastapi import FastAPI

from .. import __version__
from ..errors import AudiosqueezeError
from . import errors
from .auth import RateLimiter
from .backends import LocalBackend, UpstreamBackend
from .config import UPSTREAM_KEY_ENV, ServerConfig, admin_key
from .db import make_engine, migrate
from .limits import BodyLimitMiddleware
from .usage import UsageMiddleware
from .work import warm_up

log = logging.getLogger("audiosqueeze.server")


def _local(config: ServerConfig, asr):
    """(the embedded recogniser or None, why there is none)."""
    if asr is not None:
        return LocalBackend(asr), None
    if config.asr == "none":
        return None, "this server runs without a recogniser (--asr none)"
    from ..asr import load_asr

    try:
        return LocalBackend(load_asr(config.asr)), None
    except AudiosqueezeError as e:  # missing extra or model: serve the rest, say why
        log.warning("embedded recogniser unavailable: %s", e)
        return None, f"the embedded recogniser is unavailable: {e}"


def _backend(config: ServerConfig, asr):
    """(backend, verifier, error): where transcriptions go, what ``verify`` listens with, and
    why there is no backend. With an upstream, the embedded recogniser (if any) verifies."""
    local, why = _local(config, asr)
    if config.upstream_url:
        upstream = UpstreamBackend(
            config.upstream_url,
            os.environ.get(UPSTREAM_KEY_ENV),
            config.upstream_model,
            config.upstream_timeout_s,
        )
        return upstream, local, None
    return local, None, why


def create_app(config: ServerConfig | None = None, *, asr=None, engine=None) -> FastAPI:
    """The service. ``asr``: a recogniser object to use instead of loading ``config.asr``
    (tests pass a fake); ``engine``: an SQLAlchemy engine to use instead of ``config``'s."""
    config = config or ServerConfig()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        state = app.state
        state.config = config
        state.admin_key = admin_key()
        state.engine = engine or make_engine(config.database_url)
        await anyio.to_thread.run_sync(migrate, state.engine)
        state.limiter = RateLimiter(config.rate_limit_per_minute)
        state.limiter_cpu = anyio.CapacityLimiter(config.threads)
        state.backend, state.verifier, state.backend_error = await anyio.to_thread.run_sync(
            _backend, config, asr
        )
        await anyio.to_thread.run_sync(warm_up, config.vad)
        from .dashboard import session_secret

        state.session_secret = session_secret(config)
        yield
        if isinstance(state.backend, UpstreamBackend):
            await state.backend.aclose()
        if engine is None:
            state.engine.dispose()

    app = FastAPI(
        title="audiosqueeze",
        version=__version__,
        lifespan=lifespan,
        description="Shorter speech audio for speech models, with a time map back.",
    )
    errors.install(app)
    app.add_middleware(UsageMiddleware, engine_getter=lambda: app.state.engine)
    app.add_middleware(BodyLimitMiddleware, config=config)
    from . import dashboard, routes_admin, routes_compress, routes_stream, routes_transcribe

    app.include_router(routes_admin.router)
    app.include_router(routes_compress.router)
    app.include_router(routes_transcribe.router)
    app.include_router(routes_stream.router)
    app.include_router(dashboard.router)
    dashboard.mount_static(app)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: the config ``serve`` put in the environment."""
    return create_app(ServerConfig.from_env())
