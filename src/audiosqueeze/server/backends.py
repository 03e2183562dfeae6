"""Who hears the compressed audio: the embedded recogniser, or an OpenAI-compatible upstream.

Both answer a :class:`Heard` on the *compressed* timeline; the route maps it back. The local
backend wraps any ``load_asr`` object (``transcribe(samples) -> Transcript``); the upstream
backend posts the compressed audio as FLAC to ``{base_url}/audio/transcriptions`` asking for
``verbose_json`` with word and segment timestamps, and keeps the upstream's segment fields.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from ..transcript import Transcript, Word
from .errors import ApiError


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
    timed = tuple(getattr(t, "segments", ()) or ())
    if not timed and t.text.strip():
        start = t.words[0].start_s if t.words else 0.0
        end = t.words[-1].end_s if t.words else duration_s
        timed = (Word(t.text.strip(), start, end),)
    return [{"start": s.start_s, "end": s.end_s, "text": s.text} for s in timed]


class LocalBackend:
    """The embedded recogniser (``load_asr`` name, default Whisper tiny.en)."""

    def __init__(self, asr) -> None:
        self.asr = asr
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
        self.name = f"upstream:{self.base_url}"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    def transcribe_bytes(self, flac: bytes, req: TranscribeRequest) -> Heard:
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
            r = self._client.post(
                f"{self.base_url}/audio/transcriptions",
                data=data,
                files={"file": ("audio.flac", flac, "audio/flac")},
            )
        except httpx.TimeoutException:
            raise ApiError(504, f"the upstream {self.base_url} did not answer in time") from None
        except httpx.HTTPError as e:
            raise ApiError(502, f"cannot reach the upstream {self.base_url}: {e}") from None
        return self._parse(r)

    def _parse(self, r) -> Heard:
        if r.status_code >= 400:
            message = _upstream_message(r)
            # the caller's own mistakes (bad language, model) go back as they came
            status = r.status_code if r.status_code in (400, 404, 413, 415, 422) else 502
            raise ApiError(status, f"upstream answered {r.status_code}: {message}")
        try:
            doc = r.json()
            text = str(doc["text"])
        except (ValueError, KeyError, TypeError):
            raise ApiError(502, "upstream answer is not transcription JSON") from None
        segments = [dict(s) for s in doc.get("segments") or () if _timed(s)]
        words = [
            Word(str(w.get("word", "")).strip(), float(w["start"]), float(w["end"]))
            for w in doc.get("words") or ()
            if _timed(w)
        ]
        return Heard(text.strip(), segments, words, doc.get("language"), self.name)


def _timed(d) -> bool:
    try:
        return (
            isinstance(d, dict) and np.isfinite(float(d["start"])) and np.isfinite(float(d["end"]))
        )
    except (KeyError, TypeError, ValueError):
        return False


def _upstream_message(r) -> str:
    try:
        err = r.json().get("error")
        return str(err.get("message") if isinstance(err, dict) else err)[:300]
    except Exception:  # not JSON: quote the start of the body
        return r.text[:300]
