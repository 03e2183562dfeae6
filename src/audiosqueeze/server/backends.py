"""Who hears the compressed audio: the embedded recogniser, or an OpenAI-compatible upstream.

Both answer a :class:`Heard` on the *compressed* timeline; the route maps it back. The local
backend wraps any ``load_asr`` object (``transcribe(samples) -> Transcript``); the upstream
backend posts the compressed audio as FLAC to ``{base_url}/audio/transcriptions`` asking for
``verbose_json`` with word and segment timestamps, and keeps the upstream's segment fields; it
is async, so a slow upstream holds neither a worker thread nor a CPU slot.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import threading
import urllib.parse
from dataclasses import dataclass, field

import numpy as np

from ..transcript import Transcript, Word
from .errors import ApiError

log = logging.getLogger("audiosqueeze.server")
#: Upstream statuses that are about the caller's own request, passed on with their message.
CALLER_ERRORS = (400, 404, 413, 415, 422)


@dataclass(frozen=True)
class TranscribeRequest:
    """The OpenAI fields that reach the backend."""

    model: str
    language: str | None = None
    prompt: str | None = None
    temperature: float | None = None


@dataclass
class Heard:
    """A transcript on the timeline of the audio sent: segments as dicts with start/end."""

    text: str
    segments: list[dict] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    language: str | None = None
    backend: str = ""


def _segments_from(t: Transcript, duration_s: float) -> list[dict]:
    timed = t.segments
    if not timed and t.text.strip():
        start = t.words[0].start_s if t.words else 0.0
        end = t.words[-1].end_s if t.words else duration_s
        timed = (Word(t.text.strip(), start, end),)
    return [{"start": s.start_s, "end": s.end_s, "text": s.text} for s in timed]


class LocalBackend:
    """The embedded recogniser (``load_asr`` name, default Whisper tiny.en).

    Requests call it from several worker threads at once. Only a recogniser that says it may be
    (``thread_safe = True``: faster-whisper's model can) is; any other (a pocketsphinx decoder,
    a transformers pipeline, one object with state per utterance) is called by one thread at a
    time."""

    def __init__(self, asr) -> None:
        self.asr = asr
        thread_safe = getattr(asr, "thread_safe", False) is True
        self._one_at_a_time = contextlib.nullcontext() if thread_safe else threading.Lock()
        self.name = getattr(asr, "name", type(asr).__name__)
        params = inspect.signature(asr.transcribe).parameters
        self._kwargs = {"prompt", "temperature"} & set(params)
        self.english_only = self.name.endswith(".en")

    def transcribe(self, samples: np.ndarray, req: TranscribeRequest) -> Heard:
        if self.english_only and req.language not in (None, "en"):
            raise ApiError(
                422,
                f"the embedded recogniser {self.name!r} is English-only; "
                f"language {req.language!r} is not available",
                param="language",
            )
        kw = {k: getattr(req, k) for k in self._kwargs if getattr(req, k) is not None}
        with self._one_at_a_time:
            t = self.asr.transcribe(np.ascontiguousarray(samples, np.float32), **kw)
        duration_s = len(samples) / 16000
        return Heard(
            t.text.strip(),
            _segments_from(t, duration_s),
            list(t.words),
            "english" if self.english_only else req.language,
            self.name,
        )


class UpstreamBackend:
    """Any OpenAI-compatible ``/v1/audio/transcriptions`` (OpenAI, speaches, whisper.cpp...)."""

    def __init__(self, base_url: str, api_key: str | None, model: str | None, timeout_s: float):
        import httpx

        self.base_url = base_url.rstrip("/")
        # callers (and /healthz) see only this: the URL may name an internal host or carry
        # credentials; the log gets it without them
        self.name = "upstream"
        self._where = _without_userinfo(self.base_url)
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout_s)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def transcribe_bytes(self, flac: bytes, req: TranscribeRequest) -> Heard:
        import httpx

        data = {
            "model": self.model or req.model,
            "response_format": "verbose_json",
            "timestamp_granularities[]": ["word", "segment"],
        }
        for name in ("language", "prompt", "temperature"):
            if getattr(req, name) is not None:
                data[name] = str(getattr(req, name))
        try:
            r = await self._client.post(
                f"{self.base_url}/audio/transcriptions",
                data=data,
                files={"file": ("audio.flac", flac, "audio/flac")},
            )
        except httpx.TimeoutException:
            log.warning("the upstream %s did not answer in time", self._where)
            raise ApiError(504, "the transcription upstream did not answer in time") from None
        except httpx.HTTPError as e:
            log.warning("cannot reach the upstream %s: %s", self._where, e)
            raise ApiError(502, "cannot reach the transcription upstream") from None
        return self._parse(r)

    def _parse(self, r) -> Heard:
        if r.status_code >= 400:
            raise self._error(r)
        try:
            return _heard(r.json(parse_constant=_no_constant), self.name)
        except (ValueError, KeyError, TypeError, RecursionError):  # deep nesting: recursion
            raise ApiError(502, "upstream answer is not transcription JSON") from None

    def _error(self, r) -> ApiError:
        """The caller's own mistakes (bad language, model) go back as they came; anything else
        is the server's business: logged, and answered without the upstream's words (a 401's
        message may quote part of the server's key)."""
        message = _upstream_message(r)
        if r.status_code in CALLER_ERRORS:
            return ApiError(r.status_code, f"upstream answered {r.status_code}: {message}")
        log.warning("the upstream %s answered %s: %s", self._where, r.status_code, message)
        if r.status_code == 429:
            # delta-seconds only: str.isdigit() is also true of '٧' or '²', which a response
            # header cannot carry (a 500) or which no client reads as seconds
            retry = r.headers.get("retry-after", "")
            return ApiError(
                503,
                "the transcription upstream is rate-limiting this server; retry later",
                headers={"Retry-After": retry} if retry.isascii() and retry.isdigit() else None,
            )
        return ApiError(502, f"the transcription upstream failed ({r.status_code})")


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _no_constant(name: str) -> None:
    """``NaN`` and ``Infinity`` in an upstream's JSON (Python's json writes them) read as null:
    passed on in a segment's fields, they made verbose_json unwritable (a 500)."""
    return None


def _heard(doc, backend: str) -> Heard:
    """An upstream's verbose_json as a :class:`Heard`; TypeError/KeyError for any other shape.
    Untimed segments and words are dropped; a segment's own ``words`` stay with it."""
    if not isinstance(doc["text"], str):
        raise TypeError("text is not a string")
    segments = [_segment(s) for s in _items(doc, "segments") if _timed(s)]
    words = [
        Word(str(w.get("word", "")).strip(), float(w["start"]), float(w["end"]))
        for w in _items(doc, "words")
        if _timed(w)
    ]
    language = doc.get("language")
    return Heard(
        doc["text"].strip(),
        segments,
        words,
        language if isinstance(language, str) else None,
        backend,
    )


def _items(doc: dict, key: str) -> list:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"{key} is not a list")
    return value


def _segment(s: dict) -> dict:
    seg = {**s, "text": str(s.get("text") or "")}
    if "words" in s:
        seg["words"] = [dict(w) for w in _items(s, "words") if _timed(w)]
    return seg


def _timed(d) -> bool:
    try:
        return (
            isinstance(d, dict) and np.isfinite(float(d["start"])) and np.isfinite(float(d["end"]))
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return False


def _upstream_message(r) -> str:
    try:
        err = r.json().get("error")
        return str(err.get("message") if isinstance(err, dict) else err)[:300]
    except Exception:  # not JSON: quote the start of the body
        return r.text[:300]
