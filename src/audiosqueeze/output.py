"""Writing results: every output path is checked before work starts, data goes to temporary
files beside the destinations, and the audio and its time map are renamed into place together
(both or neither).

Temporary files are named ``.audiosqueeze-<pid>-<random>.part``, created with the umask's
permissions (like any file the user writes). One left behind by a killed run is removed by the
next run that writes into the same folder (its process is gone), so a crash leaves no debris
that outlives the next run.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

import numpy as np

from . import validate
from .audio import ENCODINGS
from .decode import _why
from .errors import (
    EmptyAudioError,
    InvalidAudioError,
    OptionsError,
    PathError,
    UnsupportedFormatError,
)
from .units import SAMPLE_RATE

#: Output format by file extension.
EXTENSIONS = {".flac": "flac", ".wav": "wav", ".ogg": "ogg", ".opus": "opus"}
_WRITE_BLOCK = 10 * SAMPLE_RATE
_TEMP = re.compile(r"^\.audiosqueeze-(\d+)-[0-9a-f]{8}\.part$")


def format_of(path: Path, format: str | None = None) -> str:
    """The audio format for ``path``: ``format`` if given, else from its extension."""
    if format is not None:
        if format not in ENCODINGS:
            raise UnsupportedFormatError(
                f"format must be one of {', '.join(ENCODINGS)}; got {format!r}"
            )
        return format
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"cannot write {str(path)!r}: extension {path.suffix!r} is not one of "
            f"{', '.join(EXTENSIONS)} (or name the format: format= in Python, --format in the "
            "command line)"
        )
    return fmt


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def clean_stale(folder: Path) -> int:
    """Remove temporary files of dead audiosqueeze processes from ``folder``; how many."""
    removed = 0
    with contextlib.suppress(OSError), os.scandir(folder) as it:
        for entry in it:
            m = _TEMP.match(entry.name)
            if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def check_destination(path, what: str = "output") -> Path:
    """Check that ``path`` can be (over)written as a file, without writing it yet."""
    try:
        p = Path(os.fspath(path))
    except TypeError:
        raise PathError(f"{what} path must be a path, got {path!r}") from None
    if not str(p) or str(p) == ".":
        raise PathError(f"{what} path is empty")
    given = path if isinstance(path, str) else ""
    if given.endswith(("/", os.sep)):  # a folder, by its spelling (Path drops the slash)
        if os.path.isdir(given):
            raise PathError(f"{what} {given!r} is a folder; give a file name")
        raise PathError(f"{what} folder {given!r} does not exist")
    shown = str(p)
    try:
        os.fsencode(shown)
        if "\x00" in shown:
            raise ValueError("embedded NUL")
        folder = p.parent
        if not folder.is_dir():
            raise PathError(f"{what} folder {str(folder)!r} does not exist")
        limit = os.pathconf(folder, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
        if len(os.fsencode(p.name)) > limit:
            raise PathError(
                f"{what} name is {len(os.fsencode(p.name))} bytes long, over this "
                f"file system's limit of {limit}: {shown[:60]!r}..."
            )
        if p.is_dir():
            raise PathError(f"{what} {shown!r} is a folder; give a file name")
        if p.exists() and not p.is_file():
            raise PathError(
                f"{what} {shown!r} exists and is not a regular file; will not replace it"
            )
    except (UnicodeError, ValueError) as e:
        raise PathError(f"{what} path {shown!r} cannot be used: {e}") from None
    except PathError:
        raise
    except OSError as e:
        raise PathError(f"{what} path {shown!r} cannot be used: {e.strerror or e}") from None
    return p


def check_writable(path, what: str = "output", probed: set | None = None) -> Path:
    """:func:`check_destination`, and that its folder takes a new file now (a temporary file,
    made and removed; once per folder in ``probed``): for a caller that does its work before
    it opens :class:`Outputs`."""
    p = check_destination(path, what)
    if probed is None or p.parent not in probed:
        _Temp(p).remove()
        if probed is not None:
            probed.add(p.parent)
    return p


def refuse_source(src, dest, what: str = "output") -> None:
    """A :class:`PathError` if writing ``dest`` would replace the input file ``src`` (the same
    file, also through a symlink on the input side or another spelling of the path): the
    recording would be lost and its time map would point into nothing. ``src`` that is not a
    path or a file object (bytes, an array) never clashes; a file object (stdin) clashes when it
    reads the file ``dest`` names (``< talk.flac``). A symlink at ``dest`` is replaced, not
    followed, so it does not clash."""
    if dest is None:
        return
    is_path = isinstance(src, (str, os.PathLike))
    if (is_path and str(src) in ("", "-")) or not (is_path or hasattr(src, "fileno")):
        return
    try:
        a = os.stat(src) if is_path else os.fstat(src.fileno())
        b = os.lstat(dest)
    except (OSError, ValueError):  # either is missing or unusable: nothing to lose
        return
    if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
        name = str(src) if is_path else str(getattr(src, "name", "<file>"))
        raise PathError(
            f"{what} {str(dest)!r} is the input {name!r}: writing it would destroy the "
            "recording; give another name"
        )


class _Temp:
    """A temporary file beside ``dest``, created now (so an unwritable folder fails at once)."""

    def __init__(self, dest: Path):
        clean_stale(dest.parent)
        self.dest = dest
        name = f".audiosqueeze-{os.getpid()}-{secrets.token_hex(4)}.part"
        self.path = dest.parent / name
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as e:
            raise PathError(f"cannot write into {str(dest.parent)!r}: {e.strerror or e}") from None
        os.close(fd)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


class _Sink:
    """The temporary audio file as soundfile writes it: an error of the file system (a full
    disk) is kept for :class:`Outputs` to report, not printed as a traceback from inside
    soundfile's C callback, which then only sees fewer bytes written."""

    def __init__(self, fh):
        self.fh, self.error = fh, None

    def write(self, data) -> int:
        try:
            return self.fh.write(data)
        except OSError as e:
            self.error = self.error or e
            return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        try:  # a buffered file writes out its buffer first
            return self.fh.seek(offset, whence)
        except OSError as e:
            self.error = self.error or e
            return self.fh.tell()

    def __getattr__(self, name):
        return getattr(self.fh, name)


class Outputs:
    """The audio file (and optionally the time-map JSON) of one result, written atomically
    together. Use as a context manager: anything raised inside removes the temporary files.

    >>> import tempfile, numpy as np
    >>> d = Path(tempfile.mkdtemp())
    >>> with Outputs(d / "a.flac", d / "a.json") as out:
    ...     out.write(np.zeros(1600, np.float32))
    ...     out.commit('{"ok": true}')
    >>> sorted(p.name for p in d.iterdir())
    ['a.flac', 'a.json']
    """

    def __init__(
        self,
        audio_path,
        timemap_path=None,
        format: str | None = None,
        sample_rate: int = SAMPLE_RATE,
        source=None,
    ):
        """``source``: the input path, which neither output may replace (:func:`refuse_source`)."""
        self.audio_path = check_destination(audio_path, "output")
        refuse_source(source, self.audio_path, "output")
        self.format = format_of(self.audio_path, format)
        self.timemap_path = None
        if timemap_path is not None:
            self.timemap_path = check_destination(timemap_path, "time map")
            if os.path.abspath(self.timemap_path) == os.path.abspath(self.audio_path):
                raise OptionsError(f"the time map and the audio cannot both be {str(audio_path)!r}")
            refuse_source(source, self.timemap_path, "time map")
        self.sample_rate = validate.sample_rate(sample_rate)
        self._temps: list[_Temp] = []
        self._file = self._fh = None
        self._frames = 0

    def __enter__(self) -> Outputs:
        import soundfile as sf

        self._temps = [_Temp(self.audio_path)]
        if self.timemap_path is not None:
            self._temps.append(_Temp(self.timemap_path))
        container, subtype = ENCODINGS[self.format]
        try:
            self._fh = open(self._temps[0].path, "r+b")  # by Python: any file name works
            self._sink = _Sink(self._fh)
            self._file = sf.SoundFile(
                self._sink, "w", self.sample_rate, 1, format=container, subtype=subtype
            )
        except (sf.LibsndfileError, RuntimeError) as e:
            self.abort()
            raise UnsupportedFormatError(
                f"cannot write {self.format} at {self.sample_rate} Hz: {_why(e)}"
            ) from None
        except BaseException:  # a with statement does not call __exit__ when __enter__ raises
            self.abort()
            raise
        return self

    def write(self, samples: np.ndarray) -> None:
        self._frames += len(samples)
        try:
            for i in range(0, len(samples), _WRITE_BLOCK):  # clipped a block at a time: no copy
                self._file.write(np.clip(samples[i : i + _WRITE_BLOCK], -1.0, 1.0))
        except (AssertionError, RuntimeError) as e:  # soundfile: fewer frames written than given
            raise self._failed(e) from None

    def _failed(self, e: Exception) -> PathError:
        """The error of a write that failed (the disk is full), naming the destination."""
        why = self._sink.error or e
        text = getattr(why, "strerror", None) or str(why) or type(why).__name__
        return PathError(f"cannot write {str(self.audio_path)!r}: {text}")

    def commit(self, timemap=None) -> None:
        """Finish the audio, write the time map, and rename both into place. ``timemap``: a
        :class:`~audiosqueeze.timemap.TimeMap` (made into JSON only when a time-map path was
        given: an hour's is megabytes) or its JSON text. Zero samples are refused (an
        :class:`EmptyAudioError`): libsndfile writes them as a 0-byte FLAC or an Opus file that
        no decoder reads back."""
        if self._frames == 0:
            raise EmptyAudioError(f"cannot write {str(self.audio_path)!r}: zero samples")
        try:
            self._file.close()
            self._fh.close()
        except (OSError, RuntimeError) as e:  # the end of the file does not fit on the disk
            raise self._failed(e) from None
        if self._sink.error is not None:  # libsndfile may not have noticed
            raise self._failed(self._sink.error)
        if self.timemap_path is not None:
            if timemap is None:
                raise OptionsError("a time map path was given but no time map to write")
            text = timemap if isinstance(timemap, str) else timemap.to_json()
            try:
                self._temps[1].path.write_text(text, encoding="utf-8")
            except OSError as e:
                where = str(self.timemap_path)
                raise PathError(f"cannot write {where!r}: {e.strerror or e}") from None
            os.replace(self._temps[1].path, self.timemap_path)
        try:
            os.replace(self._temps[0].path, self.audio_path)
        except OSError as e:  # keep both-or-neither: take the fresh time map back out
            if self.timemap_path is not None:
                with contextlib.suppress(OSError):
                    self.timemap_path.unlink()
            raise PathError(f"cannot write {str(self.audio_path)!r}: {e.strerror or e}") from None
        self._temps = []

    def abort(self) -> None:
        if self._file is not None and not self._file.closed:
            with contextlib.suppress(Exception):
                self._file.close()
        if self._fh is not None:
            with contextlib.suppress(OSError):  # the disk is full: its buffer cannot be flushed
                self._fh.close()
        for t in self._temps:
            t.remove()
        self._temps = []

    def __exit__(self, exc_type, exc, tb) -> None:
        self.abort()


def save(
    path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE, format: str | None = None
) -> Path:
    """Write mono ``samples`` to ``path`` (format from its extension, or ``format``) atomically."""
    x = np.asarray(samples, np.float32)
    if x.ndim != 1:  # flattened, a (samples, 2) array was written interleaved, twice as long
        raise InvalidAudioError(f"save takes mono samples, got shape {x.shape}")
    with Outputs(path, format=format, sample_rate=sample_rate) as out:
        out.write(x)
        out.commit()
    return out.audio_path


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed over it when complete."""
    dest = check_destination(path, "output")
    tmp = _Temp(dest)
    try:
        tmp.path.write_text(text, encoding="utf-8")
        os.replace(tmp.path, dest)
    except OSError as e:  # a full disk, a folder gone: one error, no part file left
        tmp.remove()
        raise PathError(f"cannot write {str(dest)!r}: {e.strerror or e}") from None
    except BaseException:
        tmp.remove()
        raise
    return dest
