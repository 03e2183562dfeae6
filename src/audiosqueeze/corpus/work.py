"""One item of a corpus job: hash the source, compress it to its outputs, return its record.

The same function runs in a local process-pool worker and in a Ray actor, so both paths
write the same bytes. It never raises for a bad item: the error becomes the record.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import audiosqueeze as sq

from .. import validate

#: Output formats a corpus job can write (by extension; soundfile writes them).
AUDIO_FORMATS = ("flac", "wav", "ogg", "opus")
#: Folder names under the output root.
AUDIO_DIR, TIMEMAP_DIR = "audio", "timemaps"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 120


@dataclass(frozen=True)
class CorpusOptions:
    """What every item of a corpus job is compressed with.

    Everything here except ``num_threads`` changes the output, so it goes into the
    options hash that decides whether a rerun may skip an item.
    """

    rate: float = 0.5  #: 0 = unchanged, 1 = most aggressive (see ``sq.compress``)
    target_reduction: float | None = None  #: instead of ``rate``: share of duration to remove
    vad: str = "silero"  #: VAD backend: silero, webrtc or energy
    audio_format: str = "flac"  #: format of the compressed files: flac, wav, ogg or opus
    num_threads: int = 1  #: ONNX Runtime threads per worker (does not change the output)

    def __post_init__(self) -> None:
        validate.number("rate", self.rate, 0.0, 1.0)
        if self.target_reduction is not None:
            validate.number("target_reduction", self.target_reduction, 0.0, 1.0, hi_open=True)
        validate.choice("audio_format", self.audio_format, AUDIO_FORMATS)
        validate.integer("num_threads", self.num_threads, 1, 256)
        sq.AnalyzeOptions(vad=self.vad)  # validates the VAD name

    def analyze_options(self) -> sq.AnalyzeOptions:
        return sq.AnalyzeOptions(vad=self.vad, num_threads=self.num_threads)

    def digest(self) -> str:
        """Hash of everything that changes the output (and of the library version)."""
        d = dataclasses.asdict(self)
        del d["num_threads"]
        d["audiosqueeze"] = sq.__version__
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Item:
    """One recording to compress.

    ``key``: unique id within the job (manifest id or relative path); ``source``: the audio
    file; ``offset_s``/``duration_s``: a part of it (a lhotse cut or a NeMo segment), else
    the whole file; ``meta``: fields passed through to the output manifest (``text``...).
    """

    key: str
    source: str
    offset_s: float = 0.0
    duration_s: float | None = None
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def whole(self) -> bool:
        return self.offset_s == 0.0 and self.duration_s is None


@dataclass(frozen=True)
class BadItem:
    """A manifest line that could not be read as an item; recorded as a failure."""

    key: str
    error: str
    source: str = ""


def safe_name(key: str) -> str:
    """A file name for ``key`` that stays inside the output folder.

    >>> safe_name("../../etc/passwd")
    'etc_passwd'
    >>> safe_name("spk1/chapter 2/utt.3")
    'spk1_chapter_2_utt.3'
    """
    name = _UNSAFE.sub("_", key.replace("/", "_")).strip("._") or "item"
    if len(name) > _MAX_NAME:
        name = name[:_MAX_NAME] + "-" + hashlib.sha256(key.encode()).hexdigest()[:10]
    return name


def output_paths(root: Path, name: str, options: CorpusOptions) -> tuple[Path, Path]:
    """Compressed audio and time-map paths of the item named ``name`` under ``root``."""
    return (
        root / AUDIO_DIR / f"{name}.{options.audio_format}",
        root / TIMEMAP_DIR / f"{name}.timemap.json",
    )


def sha256_file(path: str | os.PathLike) -> str:
    """Content hash of a source file, or the library's error for a missing one."""
    p = Path(path)
    if not p.exists():
        raise sq.AudioFileNotFoundError(f"no such file: {str(p)!r}")
    if not p.is_file():
        raise sq.DecodeError(f"{str(p)!r} is not a regular file")
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def json_line(obj) -> str:
    """``obj`` as one line of JSON, UTF-8 where it can be; where it holds a file name that is
    not UTF-8 (lone surrogates from ``os.fsdecode``), ``\\udcXX`` escapes, which ``json.loads``
    reads back as the same name."""
    text = json.dumps(obj, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj)
    return text


def process(item: Item, name: str, root: str, options: CorpusOptions) -> dict:
    """Compress ``item`` into ``root`` and return its record; never raises for a bad item."""
    start = time.perf_counter()
    audio, timemap = output_paths(Path(root), name, options)
    record = {
        "key": item.key,
        "name": name,
        "source": item.source,
        "options": options.digest(),
        "offset_s": item.offset_s,
        "duration_s": item.duration_s,
        "meta": item.meta,
    }
    try:
        record["source_sha256"] = sha256_file(item.source)
        with warnings.catch_warnings(record=True) as said:  # the item's, not a bare print
            warnings.simplefilter("always", sq.AudiosqueezeWarning)
            stats = _compress(item, audio, timemap, options)
        written = [sha256_file(audio), sha256_file(timemap)]  # a rerun checks them
    except Exception as e:  # a bad item (or a library bug) is recorded, never stops the job
        error = str(e) if isinstance(e, sq.AudiosqueezeError) else f"{type(e).__name__}: {e}"
        record.update(status="failed", error=error or type(e).__name__)
    else:
        record.update(
            status="ok",
            audio=f"{AUDIO_DIR}/{audio.name}",
            timemap=f"{TIMEMAP_DIR}/{timemap.name}",
            outputs_sha256=written,
            stats=stats,
        )
        if said:  # e.g. too quiet for the VAD: in the record, the summary and the report
            record["warnings"] = [str(w.message) for w in said]
    record["seconds"] = round(time.perf_counter() - start, 4)
    return record


def stats_hold(record: dict, timemap: Path) -> bool:
    """Whether an earlier record's ``stats`` are those of its time map (whose bytes the caller
    has checked): the seconds before and after, and every profile's tokens from them. The
    summary and the manifests are written from ``stats``, so an edited line is redone, never
    trusted (nor a traceback)."""
    stats = record.get("stats")
    try:
        tm = sq.TimeMap.from_json(timemap.read_text(encoding="utf-8"))
    except (OSError, ValueError, sq.AudiosqueezeError):
        return False
    if not isinstance(stats, dict):
        return False
    inp, out = tm.original_samples / tm.sample_rate, tm.compressed_samples / tm.sample_rate
    want = {"input_s": round(inp, 6), "output_s": round(out, 6)}
    want |= {"tokens_before": sq.token_table(inp), "tokens_after": sq.token_table(out)}
    return all(type(stats.get(k)) is type(v) and stats.get(k) == v for k, v in want.items())


def warm(options: CorpusOptions) -> None:
    """Worker start-up: load the VAD (one ONNX session per process) before the first item."""
    with contextlib.suppress(sq.AudiosqueezeError):  # e.g. no Silero model: items say so
        sq.Analyzer(options.analyze_options())


def _compress(item: Item, audio: Path, timemap: Path, options: CorpusOptions) -> dict:
    kwargs = {
        "target_reduction": options.target_reduction,
        "analyze_options": options.analyze_options(),
    }
    if item.whole:  # audio and time map renamed into place together: both or neither
        written = sq.compress_file(item.source, audio, options.rate, timemap=timemap, **kwargs)
        return written.stats.to_dict()
    samples = sq.load(item.source).samples
    first = sq.to_samples(item.offset_s)
    last = len(samples) if item.duration_s is None else first + sq.to_samples(item.duration_s)
    if first >= len(samples) or last > len(samples) + sq.to_samples(0.01):
        raise sq.OptionsError(
            f"{item.source}: segment [{item.offset_s}, {item.offset_s + (item.duration_s or 0)}] "
            f"s lies outside the recording ({len(samples) / sq.SAMPLE_RATE:.3f} s)"
        )
    out = sq.compress(samples[first:last], options.rate, sample_rate=sq.SAMPLE_RATE, **kwargs)
    out.save(audio, timemap=timemap)
    return out.stats.to_dict()
