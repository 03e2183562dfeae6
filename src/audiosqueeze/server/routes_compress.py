"""``POST /v1/compress``: audio in, shorter audio out, with its time map and token counts.

Three ways in: multipart (``file`` + form fields), a raw audio body (fields in the query
string), or a ScaleDown-shaped JSON body ``{"audio": <base64>, "model": ..., "scaledown":
{"rate": ...}}``. Fields: ``rate`` [0, 1] (default 0.5), ``target_reduction`` (0, 0.95]
(instead of ``rate``), ``model`` (a token profile, default ``gemini``), ``format``
(flac, wav, ogg, opus), ``response`` (``audio`` or ``json``; JSON bodies default to json).

``response=audio`` answers the encoded audio with headers ``x-audiosqueeze-seconds-in/out``,
``x-audiosqueeze-tokens-before/after`` and ``x-audiosqueeze-model`` (and
``x-audiosqueeze-warning`` where the recording is too quiet for the VAD to be trusted);
``response=json`` answers the audio as base64 plus the time map, stats, tokens, latency and
``warnings`` (that warning, or none).
"""

from __future__ import annotations

import base64
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

import audiosqueeze as sq

from .auth import KeyDep
from .errors import ApiError
from .inputs import Upload, choice, number, read_upload
from .usage import usage_of
from .work import FORMATS, WARNING_HEADER, CompressJob, compress, run_cpu, warning_of

router = APIRouter()


def job_of(fields: dict, config) -> CompressJob:
    """The compression a request asks for (422 for a bad or contradictory field)."""
    rate = number(fields, "rate", None, 0.0, 1.0)
    target = number(fields, "target_reduction", None, 0.0, 0.95, lo_open=True)
    if rate is not None and target is not None:
        raise ApiError(422, "give rate or target_reduction, not both", param="target_reduction")
    return CompressJob(0.5 if rate is None else rate, target, config.vad, config.max_audio_s)


def audio_headers(stats, model: str) -> dict[str, str]:
    return {
        "x-audiosqueeze-seconds-in": f"{stats.input_s:.3f}",
        "x-audiosqueeze-seconds-out": f"{stats.output_s:.3f}",
        "x-audiosqueeze-tokens-before": str(stats.tokens_before[model]),
        "x-audiosqueeze-tokens-after": str(stats.tokens_after[model]),
        "x-audiosqueeze-model": model,
        "x-audiosqueeze-no-speech": str(stats.no_speech).lower(),
    }


def note_usage(request: Request, out: sq.Compressed, model: str) -> None:
    usage = usage_of(request.scope)
    if usage is None:
        return
    s = out.stats
    usage.model, usage.token_profile = model, model
    usage.seconds_in, usage.seconds_out = s.input_s, s.output_s
    usage.tokens_before, usage.tokens_after = s.tokens_before[model], s.tokens_after[model]
    usage.no_speech = s.no_speech


async def compress_upload(request: Request, upload: Upload) -> Response:
    """Validate the fields, compress in the worker pool, and answer audio or JSON."""
    started = time.perf_counter()
    state = request.app.state
    fields = upload.fields
    model = choice(fields, "model", "gemini", tuple(sq.PROFILES))
    fmt = choice(fields, "format", "flac", tuple(FORMATS))
    response = choice(fields, "response", "audio", ("audio", "json"))
    job = job_of(fields, state.config)
    out = await run_cpu(state.limiter_cpu, compress, upload.audio, job)
    data = await run_cpu(state.limiter_cpu, sq.encode, out.audio, fmt)
    note_usage(request, out, model)
    headers = audio_headers(out.stats, model)
    warning = warning_of(out, job)
    if warning is not None:
        headers[WARNING_HEADER] = warning
    if response == "audio":
        return Response(data, media_type=FORMATS[fmt], headers=headers)
    s = out.stats
    body = {
        "audio": base64.b64encode(data).decode("ascii"),
        "format": fmt,
        "media_type": FORMATS[fmt],
        "model": model,
        "tokens_before": s.tokens_before[model],
        "tokens_after": s.tokens_after[model],
        "seconds_in": s.input_s,
        "seconds_out": s.output_s,
        "reduction": round(s.reduction, 6),
        "latency_ms": round((time.perf_counter() - started) * 1000.0, 1),
        "stats": s.to_dict(),
        "timemap": out.timemap.to_dict(),
        "warnings": [] if warning is None else [warning],
    }
    return JSONResponse(body, headers=headers)


@router.post("/v1/compress", tags=["compress"])
async def compress_endpoint(request: Request, principal: KeyDep) -> Response:
    """Compress speech audio (multipart ``file``, a raw audio body, or ScaleDown JSON)."""
    limit = request.app.state.config.max_upload_bytes
    upload = await read_upload(request, limit, allow_json=True)
    return await compress_upload(request, upload)
