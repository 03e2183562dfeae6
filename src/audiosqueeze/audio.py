"""Audio values: the :class:`Audio` type, incremental resampling to 16 kHz with sample checks,
:func:`load`, :func:`duration_s` and :func:`encode`.

Decoding lives in :mod:`audiosqueeze.decode`, writing files in :mod:`audiosqueeze.output`.
Resampling: soxr, "HQ" quality, run incrementally (:class:`Resampler`); its output does not
depend on how the input is chunked, so a stream and a whole file resample identically.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import validate
from .decode import Source, _why, open_input, plausible_frames
from .errors import (
    AudioTooLongError,
    EmptyAudioError,
    InvalidAudioError,
    UnsupportedFormatError,
)
from .units import SAMPLE_RATE

#: Float samples beyond this magnitude are refused (float audio lives in [-1, 1]; a little
#: headroom is allowed, integer PCM stored as floats is not).
MAX_ABS_SAMPLE = 8.0
#: Formats :func:`encode` (and the file writers) produce: container and sample encoding.
ENCODINGS = {
    "flac": ("FLAC", "PCM_16"),
    "wav": ("WAV", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "opus": ("OGG", "OPUS"),
}

__all__ = ["Audio", "Resampler", "Source", "duration_s", "encode", "load"]


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``sample_rate`` (16 kHz after :func:`load`).

    ``source_rate`` is the rate the input had before resampling; ``name`` is a label for
    messages (the file name, or ``"<array>"``).
    """

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE
    source_rate: int = SAMPLE_RATE
    name: str = field(default="<array>", compare=False)

    def __post_init__(self) -> None:
        if self.samples.ndim != 1 or self.samples.dtype != np.float32:
            raise InvalidAudioError(
                f"Audio.samples must be a 1-D float32 array, got shape {self.samples.shape} "
                f"dtype {self.samples.dtype}; use audiosqueeze.load() to convert"
            )
        self.samples.setflags(write=False)

    @property
    def num_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.num_samples / self.sample_rate


def check_samples(x: np.ndarray, name: str, offset: int = 0, rate: int = SAMPLE_RATE) -> None:
    """Refuse NaN, infinity and magnitudes over :data:`MAX_ABS_SAMPLE` (quoting where)."""
    if not len(x):
        return
    peak = float(np.max(np.abs(x)))
    if peak <= MAX_ABS_SAMPLE:  # NaN compares False: falls through to the checks below
        return
    bad = ~np.isfinite(x)
    if bad.any():
        at = (offset + int(np.argmax(bad))) / rate
        raise InvalidAudioError(
            f"{name}: {int(bad.sum())} samples are NaN or infinite (first at {at:.3f} s)"
        )
    raise InvalidAudioError(
        f"{name}: samples reach {peak:g}; float audio must lie in [-1, 1] (at most "
        f"{MAX_ABS_SAMPLE:g}); divide integer PCM stored as floats by 32768"
    )


class Resampler:
    """Incremental ``rate`` -> 16 kHz resampling of mono float32 blocks, checking every sample
    before and after (``push`` / ``flush`` / ``reset``)."""

    def __init__(self, rate: int, name: str = "<stream>", target_rate: int = SAMPLE_RATE):
        self.rate = validate.sample_rate(rate)
        self.target_rate = validate.sample_rate(target_rate, "target_rate")
        self.name = name
        self.reset()

    def reset(self) -> None:
        self._stream = None
        if self.rate != self.target_rate:
            import soxr

            self._stream = soxr.ResampleStream(
                self.rate, self.target_rate, 1, dtype="float32", quality="HQ"
            )
        self._in = self._out = 0

    def push(self, x: np.ndarray, last: bool = False) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        check_samples(x, self.name, self._in, self.rate)
        self._in += len(x)
        if self._stream is None:
            y = x
        else:
            y = self._stream.resample_chunk(x, last=last)
            check_samples(y, self.name, self._out, self.target_rate)
        self._out += len(y)
        return y

    def flush(self) -> np.ndarray:
        return self.push(np.zeros(0, np.float32), last=True)


def load(
    src: Source,
    sample_rate=None,
    target_rate: int = SAMPLE_RATE,
    *,
    max_duration_s: float | None = None,
) -> Audio:
    """Load ``src`` as mono float32 at ``target_rate``.

    ``src`` may be a path, raw file bytes, a binary file object, an :class:`Audio`, or a NumPy
    array of shape ``(samples,)`` or ``(samples, channels)``; an array needs ``sample_rate``.
    With ``max_duration_s``, longer input is an :class:`AudioTooLongError`, raised as soon as
    the header or the samples decoded so far pass it (a few kilobytes that decode to hours are
    never held in memory).

    >>> import numpy as np, audiosqueeze as sq
    >>> sq.load(np.zeros(44100, dtype=np.float32), sample_rate=44100).num_samples
    16000
    """
    target_rate = validate.sample_rate(target_rate, "target_rate")
    inp = open_input(src, sample_rate)
    max_frames = _max_frames(inp, max_duration_s)
    if isinstance(src, Audio) and inp.rate == target_rate:
        return src
    rs = Resampler(inp.rate, inp.name, target_rate)
    parts, frames = [], 0
    for block in inp.blocks():
        frames += len(block)
        if frames > max_frames:
            raise AudioTooLongError(
                f"{inp.name}: audio is longer than the limit of {max_duration_s:g} s"
            )
        parts.append(rs.push(block))
    parts.append(rs.flush())
    samples = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return Audio(np.ascontiguousarray(samples, np.float32), target_rate, inp.rate, inp.name)


def _max_frames(inp, max_duration_s: float | None) -> float:
    """Frames at the input's rate that ``max_duration_s`` allows; a header that already
    claims more, in a file big enough to hold that many frames, is refused here, before
    decoding (a longer claim than the file can hold is no hint: the file is decoded)."""
    if max_duration_s is None:
        return math.inf
    limit = validate.number("max_duration_s", max_duration_s, 0, None, lo_open=True)
    if inp.frames_hint is not None and inp.frames_hint > limit * inp.rate:
        raise AudioTooLongError(
            f"{inp.name}: audio of {inp.frames_hint / inp.rate:.2f} s is longer than the "
            f"limit of {limit:g} s"
        )
    return limit * inp.rate


def duration_s(src: Source) -> float:
    """Duration in seconds; for a file whose header states a plausible length, from the header
    alone (no decoding), else by decoding it."""
    if isinstance(src, (str, os.PathLike)) and Path(src).is_file():
        import soundfile as sf

        try:
            info = sf.info(str(src))
            size = os.path.getsize(src)
            if plausible_frames(info.frames, size) is not None:
                return info.frames / info.samplerate
        except (sf.LibsndfileError, RuntimeError, UnicodeEncodeError):
            pass  # not a soundfile format (or a name it cannot pass on): decode it, which also
            # reports bad files properly
    if isinstance(src, Audio):
        return src.duration_s
    inp = open_input(src)
    return sum(len(b) for b in inp.blocks()) / inp.rate


def encode(samples: np.ndarray, format: str = "flac", sample_rate: int = SAMPLE_RATE) -> bytes:
    """Mono float samples as the bytes of a ``format`` file: flac, wav (16-bit), ogg (Vorbis)
    or opus (Ogg Opus). Samples are clipped to [-1, 1]; zero samples are an EmptyAudioError.

    >>> import numpy as np
    >>> encode(np.zeros(1600, np.float32), "wav")[:4]
    b'RIFF'
    """
    import soundfile as sf

    fmt = validate.choice("format", format, tuple(ENCODINGS))
    container, subtype = ENCODINGS[fmt]
    x = np.clip(np.asarray(samples, np.float32), -1.0, 1.0)
    if x.ndim != 1:
        raise InvalidAudioError(f"encode takes mono samples, got shape {x.shape}")
    if not len(x):  # a 0-byte FLAC, an Opus file no decoder reads back
        raise EmptyAudioError("encode takes at least one sample, got zero")
    rate = validate.sample_rate(sample_rate)
    buf = io.BytesIO()
    try:
        sf.write(buf, x, rate, format=container, subtype=subtype)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:  # quoted without buf's address
        raise UnsupportedFormatError(f"cannot encode {fmt} at {rate} Hz: {_why(e)}") from None
    return buf.getvalue()
