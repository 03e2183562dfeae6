"""Every error leaves as JSON in OpenAI's shape, with a 4xx for anything the caller got wrong.

``{"error": {"message": ..., "type": ..., "param": ..., "code": <status>}}``. Library errors
map by class: unreadable formats 415, audio over the length limit 413, empty/corrupt audio and
bad options 422; a missing model or extra is the server's fault (503). Only a bug reaches the
catch-all 500, and it never carries a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from .. import errors as e

log = logging.getLogger("audiosqueeze.server")

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request_error",
    429: "rate_limit_error",
    502: "upstream_error",
    503: "service_unavailable",
    504: "upstream_timeout",
}


class ApiError(StarletteHTTPException):
    """An HTTP error with a message for the caller (and optional extra headers). An
    ``HTTPException``, so FastAPI passes it on unchanged when it is raised while FastAPI reads
    a body (the body limit raises it from ``receive``)."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(status, message, headers)
        self.status, self.message, self.param = status, message, param


def status_of(exc: e.AudiosqueezeError) -> int:
    """The HTTP status of a library error."""
    if isinstance(exc, e.UnsupportedFormatError):
        return 415
    if isinstance(exc, e.AudioTooLongError):
        return 413
    if isinstance(exc, (e.MissingDependencyError, e.ModelNotFoundError)):
        return 503
    return 422


def error_response(status: int, message: str, param=None, headers=None) -> JSONResponse:
    body = {
        "error": {
            "message": message,
            "type": _TYPES.get(status, "invalid_request_error" if status < 500 else "server_error"),
            "param": param,
            "code": status,
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _note(request: Request, status: int, message: str) -> None:
    usage = request.scope.get("audiosqueeze.usage")
    if usage is not None:
        usage.error = message[:300]


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    _note(request, exc.status, exc.message)
    return error_response(exc.status, exc.message, exc.param, exc.headers)


async def _library_error(request: Request, exc: e.AudiosqueezeError) -> JSONResponse:
    status = status_of(exc)
    _note(request, status, str(exc))
    return error_response(status, str(exc))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = str(exc.detail)
    _note(request, exc.status_code, message)
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    message = f"{'.'.join(loc) or 'request'}: {first.get('msg', 'invalid')}"
    _note(request, 422, message)
    return error_response(422, message, ".".join(loc) or None)


async def _disconnected(request: Request, exc: ClientDisconnect) -> JSONResponse:
    """The client went away mid-body: no one reads this answer, but the record says 400, and
    the log has no traceback (it is not a bug)."""
    _note(request, 400, "the client disconnected before sending the whole body")
    return error_response(400, "the client disconnected before sending the whole body")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    _note(request, 500, f"internal error: {type(exc).__name__}")
    return error_response(500, "internal server error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(e.AudiosqueezeError, _library_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _disconnected)
    app.add_exception_handler(Exception, _unexpected)
