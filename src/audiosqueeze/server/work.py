"""The CPU-bound work of a request, run in the worker pool: probe, compress, encode.

Everything here is plain synchronous code over the public API; the routes call it through
:func:`run_cpu`, which bounds how many requests compute at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio
import numpy as np

import audiosqueeze as sq

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


def load_audio(raw: bytes, max_audio_s: float) -> sq.Audio:
    """Decode an upload to 16 kHz mono, never past ``max_audio_s`` (library errors, this
    one included, become 413/415/422 in the handler)."""
    return sq.load(raw, max_duration_s=max_audio_s)


def compress(raw: bytes, job: CompressJob) -> sq.Compressed:
    audio = load_audio(raw, job.max_audio_s)
    return compress_audio(audio, job)


def compress_audio(audio: sq.Audio, job: CompressJob) -> sq.Compressed:
    options = sq.AnalyzeOptions(vad=job.vad)
    if job.target_reduction is not None:
        return sq.compress(audio, target_reduction=job.target_reduction, analyze_options=options)
    return sq.compress(audio, job.rate, analyze_options=options)


#: The response header that carries a warning about the upload (a recording too quiet for
#: the VAD, whose speech may have been taken for silence).
WARNING_HEADER = "x-audiosqueeze-warning"


def warning_of(out: sq.Compressed, job: CompressJob) -> str | None:
    """The warning ``compress`` gave this upload, if any (``QuietInputWarning``), to send the
    client: the library's warning reaches only the server's log."""
    from audiosqueeze.pipeline import quiet_input_message

    return quiet_input_message(out.analysis, sq.AnalyzeOptions(vad=job.vad))


def warm_up(vad: str) -> None:
    """Load the VAD model once (at startup) so the first request does not pay for it."""
    t = np.arange(16000, dtype=np.float32) / 16000
    x = np.concatenate([np.zeros(8000, np.float32), 0.3 * np.sin(2 * np.pi * 220 * t)])
    sq.compress(
        x.astype(np.float32), 0.5, sample_rate=16000, analyze_options=sq.AnalyzeOptions(vad=vad)
    )
