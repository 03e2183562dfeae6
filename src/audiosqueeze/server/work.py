"""The CPU-bound work of a request, run in the worker pool: probe, compress, encode.

Everything here is plain synchronous code over the public API; the routes call it through
:func:`run_cpu`, which bounds how many requests compute at once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import anyio
import numpy as np

import audiosqueeze as sq

from .errors import ApiError

#: Output formats (those ``sq.encode`` writes): name -> media type.
FORMATS = {"flac": "audio/flac", "wav": "audio/wav", "ogg": "audio/ogg", "opus": "audio/ogg"}


@dataclass(frozen=True)
class CompressJob:
    """What to do with one upload."""

    rate: float
    target_reduction: float | None
    vad: str
    max_audio_s: float


async def run_cpu(limiter: anyio.CapacityLimiter, fn, *args):
    """Run ``fn(*args)`` in a worker thread, at most ``limiter.total_tokens`` at once."""
    return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)


def probe_seconds(raw: bytes) -> float | None:
    """The duration a header declares (soundfile formats, else FFmpeg's), without decoding."""
    import soundfile as sf

    try:
        info = sf.info(io.BytesIO(raw))
        if info.samplerate > 0 and info.frames > 0:
            return info.frames / info.samplerate
    except Exception:  # not a soundfile format, or corrupt: load() reports it properly
        pass
    try:
        import av

        with av.open(io.BytesIO(raw)) as container:
            if container.duration:
                return container.duration / 1_000_000
    except Exception:  # PyAV missing or unreadable: load() reports it
        pass
    return None


def check_length(raw: bytes, max_audio_s: float) -> None:
    """413 for audio whose header declares more than ``max_audio_s`` (a decompression bomb)."""
    seconds = probe_seconds(raw)
    if seconds is not None and seconds > max_audio_s:
        raise ApiError(
            413, f"audio of {seconds:.0f} s is longer than the limit of {max_audio_s:.0f} s"
        )


def load_audio(raw: bytes, name: str, max_audio_s: float) -> sq.Audio:
    """Decode an upload to 16 kHz mono (library errors become 415/422 in the handler)."""
    check_length(raw, max_audio_s)
    audio = sq.load(raw)
    if audio.duration_s > max_audio_s:
        raise ApiError(
            413,
            f"audio of {audio.duration_s:.0f} s is longer than the limit of {max_audio_s:.0f} s",
        )
    return audio


def compress(raw: bytes, name: str, job: CompressJob) -> sq.Compressed:
    audio = load_audio(raw, name, job.max_audio_s)
    return compress_audio(audio, job)


def compress_audio(audio: sq.Audio, job: CompressJob) -> sq.Compressed:
    options = sq.AnalyzeOptions(vad=job.vad)
    if job.target_reduction is not None:
        return sq.compress(audio, target_reduction=job.target_reduction, analyze_options=options)
    return sq.compress(audio, job.rate, analyze_options=options)


def encode(samples: np.ndarray, fmt: str, sample_rate: int = 16000) -> bytes:
    """Samples -> bytes in ``fmt`` (flac, wav, ogg = Vorbis, opus = Opus in Ogg)."""
    return sq.encode(samples, format=fmt, sample_rate=sample_rate)


def warm_up(vad: str) -> None:
    """Load the VAD model once (at startup) so the first request does not pay for it."""
    t = np.arange(16000, dtype=np.float32) / 16000
    x = np.concatenate([np.zeros(8000, np.float32), 0.3 * np.sin(2 * np.pi * 220 * t)])
    sq.compress(
        x.astype(np.float32), 0.5, sample_rate=16000, analyze_options=sq.AnalyzeOptions(vad=vad)
    )
