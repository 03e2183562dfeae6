"""``POST /v1/audio/transcriptions``: OpenAI-compatible, but the recogniser hears less audio.

The upload is compressed, transcribed by the configured backend (embedded Whisper or an
upstream), and every segment and word time is mapped back to the original timeline. Extra
fields: ``rate`` / ``target_reduction`` (as for ``/v1/compress``) and ``verify``: with
``verify=true`` the embedded recogniser hears both the original and the compressed audio, and
if the words differ the backend is given the original audio instead (a whole-request back-off;
``x-audiosqueeze-verify: agreed | fell-back``). Every answer carries
``x-audiosqueeze-seconds-in`` / ``-out``; ``verbose_json`` also has an ``audiosqueeze`` object
with the savings.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

import audiosqueeze as sq

from ..transcript import Word
from .auth import KeyDep
from .backends import Heard, LocalBackend, TranscribeRequest, UpstreamBackend
from .errors import ApiError
from .formats import RESPONSE_FORMATS, srt, verbose, vtt
from .inputs import Upload, choice, number, read_upload
from .routes_compress import job_of
from .usage import usage_of
from .work import WARNING_HEADER, CompressJob, compress_audio, load_audio, run_cpu, warning_of

router = APIRouter()
TOKEN_PROFILE = "whisper-unpadded"
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


@dataclass(frozen=True)
class Params:
    request: TranscribeRequest
    response_format: str
    words: bool
    job: CompressJob
    verify: bool


@dataclass
class Result:
    """The CPU part's outcome (what the backend will hear, and its time map), then what the
    backend heard."""

    samples: np.ndarray
    timemap: sq.TimeMap
    stats: sq.Stats
    seconds_in: float
    verify: str | None
    warning: str | None = None  #: a recording too quiet for the VAD (``work.warning_of``)
    heard: Heard | None = None

    @property
    def seconds_out(self) -> float:
        return len(self.samples) / sq.SAMPLE_RATE


def params_of(upload: Upload, config) -> Params:
    f = upload.fields
    language = f.get("language") or None
    if language is not None and not _LANGUAGE.fullmatch(language):
        raise ApiError(
            422, f"language must be an ISO-639-1 code, got {language[:20]!r}", param="language"
        )
    if f.get("stream", "false").lower() not in _FALSE:
        raise ApiError(
            422, "stream=true is not supported; use the WebSocket stream", param="stream"
        )
    verify = f.get("verify", "false").lower()
    if verify not in _TRUE + _FALSE:
        raise ApiError(422, f"verify must be true or false, got {verify[:20]!r}", param="verify")
    granularities = upload.lists.get("timestamp_granularities[]", []) + upload.lists.get(
        "timestamp_granularities", []
    )
    for g in granularities:
        if g not in ("word", "segment"):
            raise ApiError(
                422,
                f"timestamp_granularities must be word or segment, got {g[:20]!r}",
                param="timestamp_granularities[]",
            )
    request = TranscribeRequest(
        model=(f.get("model") or "whisper-1")[:64],
        language=language,
        prompt=f.get("prompt") or None,
        temperature=number(f, "temperature", None, 0.0, 1.0),
    )
    return Params(
        request,
        choice(f, "response_format", "json", RESPONSE_FORMATS),
        "word" in granularities,
        job_of(f, config),
        verify in _TRUE,
    )


def _normalised(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def prepare(upload: Upload, p: Params, verifier) -> Result:
    """Decode, compress and (with ``verify``) compare: the CPU-bound part of a request."""
    audio = load_audio(upload.audio, p.job.max_audio_s)
    out = compress_audio(audio, p.job)
    samples, timemap, verdict = out.audio, out.timemap, None
    if p.verify:
        if verifier is None:
            raise ApiError(503, "verify needs the embedded recogniser, and this server has none")
        plain = TranscribeRequest("verify")
        same = _normalised(verifier.transcribe(audio.samples, plain).text) == _normalised(
            verifier.transcribe(out.audio, plain).text
        )
        verdict = "agreed" if same else "fell-back"
        if not same:
            samples, timemap = audio.samples, sq.TimeMap.identity(audio.num_samples)
    return Result(samples, timemap, out.stats, audio.duration_s, verdict, warning_of(out, p.job))


async def hear(state, result: Result, req: TranscribeRequest) -> Heard:
    """The backend's transcript of ``result.samples``. The embedded recogniser is CPU work (a
    worker-pool slot); waiting on an upstream is not, so it holds no slot meanwhile."""
    if isinstance(state.backend, UpstreamBackend):
        flac = await run_cpu(state.limiter_cpu, sq.encode, result.samples, "flac")
        return await state.backend.transcribe_bytes(flac, req)
    return await run_cpu(state.limiter_cpu, state.backend.transcribe, result.samples, req)


def remap_timed(items: list[dict], timemap: sq.TimeMap) -> list[dict]:
    """Copies of dicts with ``start``/``end`` on the compressed timeline, moved to the original
    one (every other field kept)."""
    moved = timemap.remap_words(Word("", float(d["start"]), float(d["end"])) for d in items)
    return [
        {**d, "start": round(w.start_s, 3), "end": round(w.end_s, 3)}
        for d, w in zip(items, moved, strict=True)
    ]


def map_back(heard: Heard, timemap: sq.TimeMap) -> Heard:
    """The same transcript with every time on the original timeline: segments, words, and the
    words an upstream nests in its segments."""
    segments = [
        {**s, "words": remap_timed(s["words"], timemap)} if "words" in s else s
        for s in remap_timed(heard.segments, timemap)
    ]
    return dataclasses.replace(
        heard, segments=segments, words=list(timemap.remap_words(heard.words))
    )


def render(result: Result, p: Params) -> Response:
    h = result.heard
    headers = {
        "x-audiosqueeze-seconds-in": f"{result.seconds_in:.3f}",
        "x-audiosqueeze-seconds-out": f"{result.seconds_out:.3f}",
    }
    if result.verify:
        headers["x-audiosqueeze-verify"] = result.verify
    if result.warning is not None:
        headers[WARNING_HEADER] = result.warning
    fmt = p.response_format
    if fmt == "text":
        return PlainTextResponse(h.text + "\n", headers=headers)
    if fmt == "srt":
        return PlainTextResponse(srt(h.segments), headers=headers)
    if fmt == "vtt":
        return Response(vtt(h.segments), media_type="text/vtt", headers=headers)
    if fmt == "json":
        return JSONResponse({"text": h.text}, headers=headers)
    saved = result.seconds_in - result.seconds_out
    savings = {
        "seconds_in": round(result.seconds_in, 3),
        "seconds_out": round(result.seconds_out, 3),
        "seconds_saved": round(saved, 3),
        "reduction": round(saved / result.seconds_in, 6) if result.seconds_in else 0.0,
        "backend": h.backend,
        "verify": result.verify,
    }
    doc = verbose(
        h.text,
        h.segments,
        h.words if p.words else None,
        language=h.language,
        duration_s=result.seconds_in,
        temperature=p.request.temperature,
        savings=savings,
    )
    return JSONResponse(doc, headers=headers)


@router.post("/v1/audio/transcriptions", tags=["transcription"])
async def transcriptions(request: Request, principal: KeyDep) -> Response:
    """OpenAI-compatible transcription of compressed audio, times mapped back."""
    state = request.app.state
    upload = await read_upload(request, state.config.max_upload_bytes, allow_json=False)
    p = params_of(upload, state.config)
    usage = usage_of(request.scope)
    if usage is not None:
        usage.model, usage.token_profile = p.request.model, TOKEN_PROFILE
    if state.backend is None:
        raise ApiError(503, state.backend_error or "no transcription backend is configured")
    verifier = state.backend if isinstance(state.backend, LocalBackend) else state.verifier
    result = await run_cpu(state.limiter_cpu, prepare, upload, p, verifier)
    result.heard = map_back(await hear(state, result, p.request), result.timemap)
    if usage is not None:
        usage.seconds_in, usage.seconds_out = result.seconds_in, result.seconds_out
        usage.tokens_before = sq.tokens(result.seconds_in, TOKEN_PROFILE)
        usage.tokens_after = sq.tokens(result.seconds_out, TOKEN_PROFILE)
        usage.no_speech = result.stats.no_speech
    return render(result, p)
