"""Decode any input into blocks of mono float32 samples at the input's own rate.

Decoding goes by what the data is, not by what its header claims: files are read block by
block until the decoder reports the real end, so an unknown length (a FLAC written to a pipe),
a lying length (a header claiming 2**36 samples) or a truncated file gives the samples that are
really there, in bounded memory, or a clear :class:`~audiosqueeze.errors.DecodeError`.

wav/flac/ogg/mp3 are read by soundfile (libsndfile); m4a/mp4/webm/opus-in-webm/aac and anything
else FFmpeg reads by PyAV (the ``[formats]`` extra). A path must be a regular file or a FIFO
(read to its end like a pipe); devices and sockets are refused. :class:`Input.blocks` can be
iterated more than once (the two passes of ``target_reduction``).
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Union

import numpy as np

from . import validate
from .errors import (
    AudioFileNotFoundError,
    AudiosqueezeError,
    DecodeError,
    EmptyAudioError,
    InvalidAudioError,
    InvalidSampleRateError,
    PathError,
    TooManyChannelsError,
    UnsupportedFormatError,
)

if TYPE_CHECKING:
    from .audio import Audio

#: More channels than this are rejected rather than silently down-mixed.
MAX_CHANNELS = 8
#: Seconds of audio per decoded block.
BLOCK_SECONDS = 4
#: Bytes read from a pipe, FIFO or file object before giving up (decoded in memory).
MAX_PIPE_BYTES = 2 << 30
#: Extensions that need FFmpeg (PyAV) to decode.
FFMPEG_EXTENSIONS = {".m4a", ".mp4", ".aac", ".webm", ".opus", ".mkv", ".wma", ".amr", ".3gp"}
#: More frames than this per byte of file is a header that lies (a FLAC frame of digital
#: silence, the densest any format here gets, takes at least about 11 bytes for at most 65,535
#: samples: under 6,000 a byte): such a length is no hint, and the file is measured by decoding.
MOST_FRAMES_PER_BYTE = 8192
#: FFmpeg may open no URL of its own: the input is always a file object we opened, and a
#: playlist-like input (ffconcat, HLS, SDP) must not make it read local files or open sockets.
FFMPEG_OPTIONS = {"protocol_whitelist": "none"}

Source = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO, np.ndarray, "Audio"]


@dataclass(frozen=True)
class Input:
    """A decodable input: its ``name`` (for messages), sample ``rate`` and a ``blocks`` factory.

    ``frames_hint`` is the length the header claims, in frames at ``rate`` (``None`` where
    unknown or absurd): for progress bars only, never trusted.
    """

    name: str
    rate: int
    frames_hint: int | None
    _blocks: Callable[[], Iterator[np.ndarray]]

    def blocks(self) -> Iterator[np.ndarray]:
        """Mono float32 blocks at :attr:`rate`, from the start; raises if nothing decodes."""
        empty = True
        for block in self._blocks():
            if len(block):
                empty = False
                yield block
        if empty:
            raise EmptyAudioError(f"{self.name}: audio has zero samples")


def array_to_float(a: np.ndarray, name: str = "<array>") -> np.ndarray:
    """Float or integer PCM -> float32 (integers scaled to [-1, 1))."""
    refuse_masked(a, name)
    if a.dtype.kind == "f":
        with np.errstate(over="ignore"):  # beyond float32: inf, refused by the sample check
            return a.astype(np.float32, copy=False)
    if a.dtype.kind in "iu" and a.dtype.itemsize <= 8:
        info = np.iinfo(a.dtype)
        mid = (int(info.max) + int(info.min) + 1) / 2.0
        x = a.astype(np.float64)
        if info.bits == 64 and x.size and 0 < (peak := float(np.abs(x).max())) <= 2.0**32:
            raise InvalidAudioError(  # narrower PCM in a 64-bit array (np.array of a list)
                f"{name}: {a.dtype} samples reach only {peak:.0f}, not audio at the 64-bit "
                "scale integer PCM is read at (its dtype's range): cast it to the width it was "
                "recorded in, e.g. x.astype(np.int16)"
            )
        return ((x - mid) / (info.max - mid + 1)).astype(np.float32)
    raise InvalidAudioError(f"{name}: unsupported sample dtype {a.dtype}; use float or integer PCM")


def float_to_s16le(y: np.ndarray) -> bytes:
    """Float samples as 16-bit little-endian PCM: x 32768, rounded, clipped to the int16 range.
    The inverse of :func:`array_to_float` on int16, so PCM read and written again is unchanged.

    >>> float_to_s16le(np.array([-1.5, -1.0, 0.00002, 0.99999, 2.0])).hex(" ", 2)
    '0080 0080 0100 ff7f ff7f'
    """
    return (
        np.clip(np.round(np.asarray(y, np.float64) * 32768.0), -32768, 32767)
        .astype("<i2")
        .tobytes()
    )


def refuse_masked(a: np.ndarray, name: str) -> None:
    """An :class:`InvalidAudioError` for a NumPy masked array: its hidden samples would be
    heard as they are, whatever the mask says."""
    if isinstance(a, np.ma.MaskedArray):
        raise InvalidAudioError(
            f"{name}: a masked array ({int(np.ma.count_masked(a))} samples masked); "
            "say what the masked samples are, e.g. x.filled(0)"
        )


def to_mono(data: np.ndarray, name: str) -> np.ndarray:
    """``(samples,)`` or ``(samples, channels)`` -> ``(samples,)`` by averaging channels."""
    if data.ndim == 1:
        return data
    if data.ndim != 2:
        raise InvalidAudioError(
            f"{name}: expected shape (samples,) or (samples, channels), got {data.shape}"
        )
    channels = check_channels(data.shape, name)
    if channels == 1:
        return data[:, 0]
    return data.mean(axis=1, dtype=np.float64).astype(np.float32)


def check_channels(shape: tuple, name: str) -> int:
    """The channel count of a ``(samples, channels)`` shape, if 1 to :data:`MAX_CHANNELS`."""
    channels = shape[1]
    if channels > MAX_CHANNELS or channels == 0:
        raise TooManyChannelsError(
            f"{name}: {channels} channels (shape {shape}); 1 to {MAX_CHANNELS} are "
            "down-mixed. Arrays are (samples, channels): transpose a (channels, samples) array"
        )
    return channels


def open_input(src: Source, sample_rate=None) -> Input:
    """An :class:`Input` for a path, bytes, a binary file object, an ``Audio`` or an array
    (``(samples,)`` or ``(samples, channels)``, which needs ``sample_rate``)."""
    from .audio import Audio

    if isinstance(src, Input):
        return src
    if isinstance(src, Audio):
        return _array_input(src.samples, src.sample_rate, src.name)
    if isinstance(src, np.ndarray):
        if sample_rate is None:
            raise InvalidSampleRateError("a NumPy array needs sample_rate=..., got None")
        return _array_input(src, validate.sample_rate(sample_rate), "<array>")
    if not isinstance(src, (bytes, bytearray, memoryview, str, os.PathLike)) and not hasattr(
        src, "read"
    ):
        raise InvalidAudioError(
            f"cannot load audio from {type(src).__name__!r}: give a NumPy array (with "
            "sample_rate=...), an Audio, a path, bytes or a binary file object"
        )
    if sample_rate is not None:
        raise InvalidSampleRateError(
            f"sample_rate={sample_rate!r} applies to arrays only; files carry their own rate"
        )
    if isinstance(src, (bytes, bytearray, memoryview)):
        return _bytes_input(bytes(src), "<bytes>", "")
    if isinstance(src, (str, os.PathLike)):
        return _path_input(src)
    name = str(getattr(src, "name", "<file>"))
    return _bytes_input(_read_capped(src, name), name, Path(name).suffix.lower())


def _array_input(a: np.ndarray, rate: int, name: str) -> Input:
    if a.ndim not in (1, 2):
        raise InvalidAudioError(
            f"{name}: expected shape (samples,) or (samples, channels), got {a.shape}"
        )
    refuse_masked(a, name)
    array_to_float(a[:0], name)  # dtype and shape errors now, not mid-stream
    if a.ndim == 2:
        check_channels(a.shape, name)  # quoting the array's shape, not an empty slice's
    step = BLOCK_SECONDS * rate

    def blocks() -> Iterator[np.ndarray]:
        for i in range(0, len(a), step):
            yield to_mono(array_to_float(a[i : i + step], name), name)

    return Input(name, rate, len(a), blocks)


def _path_input(src) -> Input:
    if not os.fspath(src):  # Path("") is ".", which would be quoted back as a folder
        raise AudioFileNotFoundError("no such file: '' (an empty path)")
    path = Path(src)
    name = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise AudioFileNotFoundError(f"no such file: {name!r}") from None
    except (OSError, ValueError) as e:
        raise PathError(f"cannot open {name!r}: {_oserror(e)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise DecodeError(f"{name!r} is a folder, not an audio file")
    if stat.S_ISFIFO(st.st_mode):
        with _open_path(path, name) as f:
            return _bytes_input(_read_capped(f, name), name, path.suffix.lower())
    if not stat.S_ISREG(st.st_mode):
        raise PathError(f"{name!r} is not a regular file (a device or socket); give a file or '-'")
    if st.st_size == 0:
        raise EmptyAudioError(f"{name!r} is empty (0 bytes)")
    with _open_path(path, name):
        pass  # readable?
    # opened by Python, not by name, so names that are not valid UTF-8 work too
    return _file_input(lambda: open(path, "rb"), name, path.suffix.lower())


def _open_path(path: Path, name: str):
    try:
        return open(path, "rb")  # noqa: SIM115 (the caller closes it)
    except OSError as e:
        raise PathError(f"cannot read {name!r}: {_oserror(e)}") from None


def _oserror(e: Exception) -> str:
    return e.strerror if isinstance(e, OSError) and e.strerror else str(e)


def _read_capped(f, name: str) -> bytes:
    try:
        raw = f.read(MAX_PIPE_BYTES + 1)
    except OSError as e:
        raise PathError(f"cannot read {name}: {_oserror(e)}") from None
    if not isinstance(raw, (bytes, bytearray)):
        raise InvalidAudioError(f"{name}: the file object gave {type(raw).__name__}, not bytes")
    if len(raw) > MAX_PIPE_BYTES:
        raise DecodeError(
            f"{name}: more than {MAX_PIPE_BYTES >> 30} GiB from a pipe or file object; "
            "pass a path (decoded block by block) or raw PCM through `audiosqueeze stream`"
        )
    if not raw:
        raise EmptyAudioError(f"{name}: zero bytes of input")
    return bytes(raw)


def plausible_frames(frames: float, size_bytes: int) -> int | None:
    """A header's length in frames where a file of ``size_bytes`` could hold it, else ``None``.

    >>> plausible_frames(16000, 132), plausible_frames(2**36 - 1, 132)
    (16000, None)
    """
    ok = 0 < frames < (1 << 40) and frames <= MOST_FRAMES_PER_BYTE * size_bytes
    return int(frames) if ok else None


def _bytes_input(raw: bytes, name: str, suffix: str) -> Input:
    if not raw:
        raise EmptyAudioError(f"{name}: zero bytes of input")
    return _file_input(lambda: io.BytesIO(raw), name, suffix)


def _file_input(opener: Callable[[], BinaryIO], name: str, suffix: str) -> Input:
    """``opener()`` gives a fresh binary file object (closed by the caller) for each pass."""
    import soundfile as sf

    sf_error: Exception | None = None
    if suffix not in FFMPEG_EXTENSIONS:
        try:
            with opener() as fh, sf.SoundFile(fh) as f:
                rate, channels, frames = f.samplerate, f.channels, f.frames
                frames = plausible_frames(frames, fh.seek(0, io.SEEK_END))
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
            sf_error = e
        else:  # libsndfile reads it: its rate and channels are checked here, not by PyAV
            return _soundfile_input(opener, name, rate, channels, frames)
    return _av_input(opener, name, sf_error, suffix)


def _soundfile_input(opener, name: str, rate: int, channels: int, hint: int | None) -> Input:
    import soundfile as sf

    rate = validate.sample_rate(rate, f"sample rate of {name}")
    if not 1 <= channels <= MAX_CHANNELS:
        raise TooManyChannelsError(f"{name}: {channels} channels; 1 to {MAX_CHANNELS} are read")
    step = BLOCK_SECONDS * rate

    def blocks() -> Iterator[np.ndarray]:
        done = 0
        try:
            with opener() as fh, sf.SoundFile(fh) as f:
                # soundfile re-seeks after every read of a seekable file, which fails where the
                # header holds no length; reading forward until the decoder stops needs no seek
                f.seekable = lambda: False
                while True:
                    block = f.read(step, dtype="float32", always_2d=True)
                    if not len(block):
                        return
                    done += len(block)
                    yield to_mono(block, name)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise _corrupt(name, done / rate, e) from None

    return Input(name, rate, hint, blocks)


def _why(e: Exception | None) -> str:
    """What a decoder said, without its file object's repr (a memory address) or FFmpeg's
    error number: libsndfile's own message, FFmpeg's error text, else the exception's."""
    text = getattr(e, "error_string", None) or getattr(e, "strerror", None)
    return str(text) if isinstance(text, str) and text else str(e)


def _corrupt(name: str, at_s: float, e: Exception) -> DecodeError:
    if not at_s:
        return DecodeError(f"{name}: not a readable audio file ({_why(e)})")
    return DecodeError(f"{name}: corrupt audio after {at_s:.2f} s ({_why(e)})")


def _av_input(opener, name: str, sf_error: Exception | None, suffix: str) -> Input:
    try:
        import av
    except ImportError:
        if sf_error is None:
            raise UnsupportedFormatError(
                f"{name}: {suffix or 'this'} audio needs FFmpeg through PyAV; "
                "install it with: pip install 'audiosqueeze[formats]'"
            ) from None
        raise DecodeError(f"{name}: not a readable audio file ({_why(sf_error)})") from None
    detail = f"{_why(sf_error)}; " if sf_error else ""
    try:
        with opener() as fh, av.open(fh, container_options=FFMPEG_OPTIONS) as c:
            if not c.streams.audio:
                raise DecodeError(f"{name}: the file has no audio stream")
            s = c.streams.audio[0]
            rate, channels = s.rate or 0, s.codec_context.channels
            dur = float(s.duration * s.time_base) if s.duration and s.time_base else None
            size = fh.seek(0, io.SEEK_END)
    except AudiosqueezeError:
        raise
    except Exception as e:  # PyAV raises one error type per FFmpeg error code
        raise DecodeError(f"{name}: not a readable audio file ({detail}{_why(e)})") from None
    if rate == 0 or channels == 0:  # FFmpeg probed the bytes and found no audio it can name
        raise DecodeError(f"{name}: not a readable audio file ({detail}no rate or channels)")
    rate = validate.sample_rate(rate, f"sample rate of {name}")
    if not 1 <= channels <= MAX_CHANNELS:
        raise TooManyChannelsError(f"{name}: {channels} channels; 1 to {MAX_CHANNELS} are read")
    hint = plausible_frames(dur * rate, size) if dur else None

    def blocks() -> Iterator[np.ndarray]:
        step, pending, done = BLOCK_SECONDS * rate, [], 0
        rs, setup = None, None

        def mono(frames) -> list[np.ndarray]:  # packed float: (1, samples * channels)
            return [
                to_mono(o.to_ndarray().reshape(-1, len(o.layout.channels)), name) for o in frames
            ]

        try:
            with opener() as fh, av.open(fh, container_options=FFMPEG_OPTIONS) as c:
                # a stream (or a damaged file) may change its channel layout or rate from one
                # frame to the next: a new resampler then, and every frame down-mixed as it comes
                for frame in c.decode(c.streams.audio[0]):
                    now = (frame.layout.name, frame.sample_rate, frame.format.name)
                    got = []
                    if now != setup:
                        got = mono(rs.resample(None)) if rs is not None else []
                        # packed, not planar: to_ndarray of an 8-plane frame crashes (PyAV 18)
                        rs, setup = av.AudioResampler("flt", frame.layout, rate), now
                    got += mono(rs.resample(frame))
                    pending += got
                    done += sum(len(g) for g in got)
                    if sum(len(p) for p in pending) >= step:
                        yield np.concatenate(pending)
                        pending = []
                pending += mono(rs.resample(None)) if rs is not None else []
        except AudiosqueezeError:
            raise
        except Exception as e:
            raise _corrupt(name, done / rate, e) from None
        if pending:
            yield np.concatenate(pending)

    return Input(name, rate, hint, blocks)
