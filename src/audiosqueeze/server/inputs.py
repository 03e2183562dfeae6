"""Reading hostile request bodies: the content type (415) and the fields (422).

The size cap (413) and the idle timeout (408) are enforced while the body streams in, by
:class:`~audiosqueeze.server.limits.BodyLimitMiddleware`, before anything here sees it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field

from fastapi import Request
from starlette.datastructures import UploadFile

from .errors import ApiError

#: Content types accepted as a raw audio body.
RAW_TYPES = ("audio/", "video/webm", "video/mp4", "video/ogg", "application/octet-stream")


@dataclass
class Upload:
    """The audio and the other fields of one request, however it was sent."""

    audio: bytes
    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_upload(request: Request, limit: int, *, allow_json: bool) -> Upload:
    """Parse a multipart form (``file`` + fields), a raw audio body (fields in the query
    string) or, if ``allow_json``, a JSON body with base64 ``audio`` of at most ``limit``
    bytes."""
    media = _media_type(request)
    is_raw = media.startswith(RAW_TYPES)
    if not (
        media == "multipart/form-data" or is_raw or (allow_json and media == "application/json")
    ):
        accepted = "multipart/form-data, audio/*, application/octet-stream"
        raise ApiError(
            415,
            f"unsupported Content-Type {media or '(none)'!r}; send "
            + (accepted + " or application/json" if allow_json else accepted),
        )
    query = dict(request.query_params)
    lists: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        lists.setdefault(name, []).append(value)
    if media == "multipart/form-data":
        return await _multipart_upload(request, query, lists)
    body = await request.body()
    if is_raw:
        return Upload(body, query, lists)
    return _json_upload(body, limit, query)


async def _multipart_upload(request: Request, query: dict, lists: dict) -> Upload:
    form = await request.form(max_files=4, max_fields=64, max_part_size=64 * 1024)
    try:
        files = [v for v in form.getlist("file") if isinstance(v, UploadFile)]
        if not files:
            raise ApiError(422, "multipart body has no 'file' part", param="file")
        if len(files) > 1:
            raise ApiError(422, "send exactly one 'file' part", param="file")
        audio = await files[0].read()
        fields = dict(query)
        for name, value in form.multi_items():
            if isinstance(value, str):
                fields[name] = value
                lists.setdefault(name, []).append(value)
        return Upload(audio, fields, lists)
    finally:
        await form.close()


def _json_upload(body: bytes, limit: int, query: dict) -> Upload:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:  # deep nesting: recursion
        raise ApiError(422, f"body is not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise ApiError(422, f"JSON body must be an object, got {type(doc).__name__}")
    audio_b64 = doc.get("audio")
    if not isinstance(audio_b64, str):
        raise ApiError(422, "JSON body needs 'audio': base64-encoded audio bytes", param="audio")
    try:
        audio = base64.b64decode(audio_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "'audio' is not valid base64", param="audio") from None
    if len(audio) > limit:
        raise ApiError(413, f"decoded audio of {len(audio)} bytes exceeds {limit} bytes")
    fields = dict(query)
    for name in ("model", "rate", "target_reduction", "format", "response"):
        if name in doc and doc[name] is not None:
            fields[name] = _scalar(doc[name], name)
    scaledown = doc.get("scaledown")
    if scaledown is not None:
        if not isinstance(scaledown, dict):
            raise ApiError(422, "'scaledown' must be an object like {\"rate\": 0.5}")
        for name in ("rate", "target_reduction"):
            if name in scaledown and scaledown[name] is not None:
                fields[name] = _scalar(scaledown[name], f"scaledown.{name}")
    fields.setdefault("response", "json")
    return Upload(audio, fields)


def _scalar(value, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ApiError(422, f"{name} must be a string or number, got {type(value).__name__}")
    return str(value)


def number(fields: dict, name: str, default, lo: float, hi: float, *, lo_open=False):
    """``fields[name]`` as a finite float in [lo, hi] (``(lo, hi]`` if ``lo_open``), or 422."""
    raw = fields.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ApiError(422, f"{name} must be a number, got {str(raw)[:40]!r}", param=name) from None
    low_ok = value > lo if lo_open else value >= lo
    if not math.isfinite(value) or not low_ok or value > hi:
        bracket = "(" if lo_open else "["
        raise ApiError(
            422, f"{name} must be in {bracket}{lo}, {hi}], got {str(raw)[:40]!r}", param=name
        )
    return value


def choice(fields: dict, name: str, default: str, options) -> str:
    """``fields[name]`` if it is one of ``options``, else 422."""
    value = fields.get(name) or default
    if value not in options:
        raise ApiError(
            422, f"{name} must be one of {', '.join(options)}, got {value[:40]!r}", param=name
        )
    return value
