"""Audio in and out: decode, validate, down-mix, resample to 16 kHz, and write atomically.

Decoding: wav/flac/ogg/mp3 through soundfile (libsndfile); m4a/mp4/webm/opus-in-webm/aac and
anything else FFmpeg reads through PyAV, installed with the ``[formats]`` or ``[whisper]`` extra.
Resampling: soxr, "HQ" quality.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np

from .errors import (
    AudioFileNotFoundError,
    DecodeError,
    EmptyAudioError,
    InvalidAudioError,
    InvalidSampleRateError,
    MissingDependencyError,
    TooManyChannelsError,
    UnsupportedFormatError,
)
from .units import SAMPLE_RATE

#: Sample rates outside this range are rejected as absurd for speech audio.
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000
#: More channels than this are rejected rather than silently down-mixed.
MAX_CHANNELS = 8
#: Extensions soundfile can write (output format is chosen by the extension).
WRITE_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}
#: Extensions that need FFmpeg (PyAV) to decode.
FFMPEG_EXTENSIONS = {".m4a", ".mp4", ".aac", ".webm", ".opus", ".mkv", ".wma", ".amr", ".3gp"}

Source = Union[str, os.PathLike, bytes, bytearray, BinaryIO, np.ndarray, "Audio"]


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


def load(src: Source, sample_rate: int | None = None, target_rate: int = SAMPLE_RATE) -> Audio:
    """Load ``src`` as mono float32 at ``target_rate``.

    ``src`` may be a path, raw file bytes, a binary file object, an :class:`Audio`, or a NumPy
    array of shape ``(samples,)`` or ``(samples, channels)``; an array needs ``sample_rate``.

    >>> import numpy as np, audiosqueeze as sq
    >>> sq.load(np.zeros(44100, dtype=np.float32), sample_rate=44100).num_samples
    16000
    """
    _check_rate(target_rate, "target_rate")
    if isinstance(src, Audio):
        data, rate, name = src.samples, src.sample_rate, src.name
        source_rate = src.source_rate
    elif isinstance(src, np.ndarray):
        if sample_rate is None:
            raise InvalidSampleRateError("a NumPy array needs sample_rate=..., got None")
        data, rate, name = _array_to_float(src), int(sample_rate), "<array>"
        source_rate = rate
    else:
        if sample_rate is not None:
            raise InvalidSampleRateError(
                f"sample_rate={sample_rate!r} applies to arrays only; files carry their own rate"
            )
        data, rate, name = _decode(src)
        source_rate = rate
    _check_rate(rate, f"sample rate of {name}")
    mono = _to_mono(data, name)
    if mono.shape[0] == 0:
        raise EmptyAudioError(f"{name}: audio has zero samples")
    if not np.all(np.isfinite(mono)):
        bad = int(np.count_nonzero(~np.isfinite(mono)))
        raise InvalidAudioError(f"{name}: {bad} samples are NaN or infinite")
    if rate != target_rate:
        import soxr

        mono = soxr.resample(mono, rate, target_rate, quality="HQ").astype(np.float32, copy=False)
    return Audio(np.ascontiguousarray(mono, dtype=np.float32), target_rate, source_rate, name)


def save(path: str | os.PathLike, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write mono samples to ``path`` (format from its extension) atomically.

    The data goes to a temporary file in the same folder that is renamed over ``path`` only once
    complete, so an interrupted run never leaves a half-written file.
    """
    import soundfile as sf

    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"cannot write {str(path)!r}: extension {path.suffix!r} is not one of "
            f"{sorted(WRITE_FORMATS)}"
        )
    if not path.parent.is_dir():
        raise AudioFileNotFoundError(f"output folder {str(path.parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            sf.write(f, np.asarray(samples, dtype=np.float32), sample_rate, format=fmt)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def duration_s(src: Source) -> float:
    """Duration in seconds; for a file soundfile reads, from its header alone (no decoding)."""
    if isinstance(src, (str, os.PathLike)) and Path(src).is_file():
        import soundfile as sf

        try:
            info = sf.info(str(src))
            if info.frames > 0:
                return info.frames / info.samplerate
        except (sf.LibsndfileError, RuntimeError):
            pass  # not a soundfile format: decode it, which also reports bad files properly
    return load(src).duration_s


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed over it when complete."""
    path = Path(path)
    if not path.parent.is_dir():
        raise AudioFileNotFoundError(f"output folder {str(path.parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _check_rate(rate: int, what: str) -> None:
    if not isinstance(rate, (int, np.integer)) or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InvalidSampleRateError(
            f"{what} must be an integer in [{MIN_SAMPLE_RATE}, {MAX_SAMPLE_RATE}] Hz, got {rate!r}"
        )


def _array_to_float(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f":
        return a.astype(np.float32, copy=False)
    if a.dtype.kind in "iu":
        info = np.iinfo(a.dtype)
        mid = (int(info.max) + int(info.min) + 1) / 2.0
        return ((a.astype(np.float64) - mid) / (info.max - mid + 1)).astype(np.float32)
    raise InvalidAudioError(f"unsupported sample dtype {a.dtype}; use float or integer PCM")


def _to_mono(data: np.ndarray, name: str) -> np.ndarray:
    if data.ndim == 1:
        return data
    if data.ndim != 2:
        raise InvalidAudioError(
            f"{name}: expected shape (samples,) or (samples, channels), got {data.shape}"
        )
    channels = data.shape[1]
    if channels > MAX_CHANNELS:
        raise TooManyChannelsError(
            f"{name}: {channels} channels (shape {data.shape}); at most {MAX_CHANNELS} are "
            "down-mixed. Arrays are (samples, channels): transpose a (channels, samples) array"
        )
    return data.mean(axis=1, dtype=np.float64).astype(np.float32)


def _decode(src) -> tuple[np.ndarray, int, str]:
    """Decode a path, bytes or file object with soundfile, falling back to PyAV."""
    suffix = ""
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        name, suffix = str(path), path.suffix.lower()
        if not path.exists():
            raise AudioFileNotFoundError(f"no such file: {name!r}")
        if path.is_dir():
            raise DecodeError(f"{name!r} is a folder, not an audio file")
        if path.stat().st_size == 0:
            raise EmptyAudioError(f"{name!r} is empty (0 bytes)")
        raw: bytes | None = None
    elif isinstance(src, (bytes, bytearray, memoryview)):
        raw, name = bytes(src), "<bytes>"
        if not raw:
            raise EmptyAudioError("<bytes>: zero bytes of input")
    elif hasattr(src, "read"):
        raw, name = src.read(), getattr(src, "name", "<file>")
        if not raw:
            raise EmptyAudioError(f"{name}: the file object gave zero bytes")
        suffix = Path(str(name)).suffix.lower()
    else:
        raise InvalidAudioError(f"cannot load audio from {type(src).__name__!r}")

    def opener():
        return io.BytesIO(raw) if raw is not None else name

    import soundfile as sf

    sf_error: Exception | None = None
    if suffix not in FFMPEG_EXTENSIONS:
        try:
            data, rate = sf.read(opener(), dtype="float32", always_2d=False)
            return data, int(rate), name
        except (sf.LibsndfileError, RuntimeError, TypeError) as e:
            sf_error = e
    try:
        return (*_decode_av(opener()), name)
    except MissingDependencyError:
        if sf_error is None:
            raise UnsupportedFormatError(
                f"{name}: {suffix or 'this'} audio needs FFmpeg through PyAV; "
                "install it with: pip install 'audiosqueeze[formats]'"
            ) from None
        raise DecodeError(f"{name}: not a readable audio file ({sf_error})") from None
    except (EmptyAudioError, TooManyChannelsError):
        raise
    except Exception as e:  # PyAV raises its own error types per FFmpeg error code
        detail = f"{sf_error}; {e}" if sf_error else str(e)
        raise DecodeError(f"{name}: not a readable audio file ({detail})") from None


def _decode_av(file) -> tuple[np.ndarray, int]:
    try:
        import av
    except ImportError as e:
        raise MissingDependencyError("PyAV is not installed") from e
    with av.open(file) as container:
        if not container.streams.audio:
            raise DecodeError("the file has no audio stream")
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        if channels > MAX_CHANNELS:
            raise TooManyChannelsError(
                f"{channels} channels; at most {MAX_CHANNELS} are down-mixed"
            )
        resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=stream.rate)
        chunks = [
            out.to_ndarray()
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        chunks += [out.to_ndarray() for out in resampler.resample(None)]
        rate = int(stream.rate)
    if not chunks:
        raise EmptyAudioError("the audio stream decoded to zero samples")
    return np.concatenate(chunks, axis=1).T.astype(np.float32), rate
