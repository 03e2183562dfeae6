"""Corpus inputs and output manifests.

Inputs (:func:`read_input`): a folder (every audio file below it), a glob, one audio file, or
a JSON-lines manifest (optionally ``.gz``) in one of these formats, told apart by the first
record's fields:

- ours: ``{"id", "path", "text", ...}`` (paths relative to the manifest's folder);
- NeMo: ``{"audio_filepath", "duration", "text", "offset"?}``;
- lhotse ``RecordingSet``: ``{"id", "sources": [{"type": "file", "source", ...}], ...}``;
- lhotse ``CutSet``: ``{"id", "start", "duration", "recording": {...}, "supervisions": [...]}``.

A line that cannot be read becomes a :class:`BadItem` (recorded as a failure, the job goes
on); a manifest that cannot be read at all raises :class:`ManifestError`.

Outputs: a NeMo manifest (:func:`write_nemo`) or lhotse manifests (:func:`write_lhotse`): a
``RecordingSet`` of the compressed audio, a ``CutSet`` whose cuts carry the time map in
``custom`` (lhotse's ``Recording`` has no ``custom`` field), and for inputs with supervisions
a ``SupervisionSet`` with their times moved onto the compressed timeline.
"""

from __future__ import annotations

import glob
import gzip
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import audiosqueeze as sq
from audiosqueeze.errors import ManifestError

from ..output import write_text_atomic
from .work import BadItem, Item, json_line

#: Files a folder or glob input picks up as audio.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus", ".webm", ".mp4", ".aac")
#: Longest duration or offset a manifest may state (about 115 days), in seconds.
MAX_SECONDS = 1e7
_MAX_LINE = 1 << 20
_CUT_TYPES = ("MonoCut", "MultiCut", "Cut")
#: What :func:`write_lhotse` writes into the output folder.
LHOTSE_FILES = ("recordings.jsonl.gz", "cuts.jsonl.gz", "supervisions.jsonl.gz")


class _Bad(Exception):
    """One manifest line is unusable; becomes a :class:`BadItem`."""


def read_input(spec: str | os.PathLike) -> tuple[list[Item | BadItem], str]:
    """Items of a corpus input and the input's kind (folder, glob, file, ours, nemo, lhotse)."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS)
        if not files:
            raise ManifestError(
                f"the folder {text!r} holds no audio files ({', '.join(AUDIO_EXTENSIONS)})"
            )
        return _dedupe(_file_items(files, path)), "folder"
    if path.is_file():
        if path.suffix.lower() in AUDIO_EXTENSIONS:
            return [Item(path.stem, str(path.resolve()))], "file"
        return read_manifest(path)
    if glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise ManifestError(f"the pattern {text!r} matched no files")
        base = Path(os.path.commonpath([str(p.parent.resolve()) for p in files]))
        return _dedupe(_file_items(files, base)), "glob"
    raise sq.AudioFileNotFoundError(f"no such file, folder or pattern: {text!r}")


def read_manifest(path: Path) -> tuple[list[Item | BadItem], str]:
    """Items of a JSON-lines manifest; the format is told by the first record."""
    lines = list(_lines(path))
    first = next((obj for _, obj in lines if isinstance(obj, dict)), None)
    if first is None:
        raise ManifestError(f"{str(path)!r} holds no JSON object lines (empty or not JSON-lines)")
    kind, parse = _detect(first, path)
    items: list[Item | BadItem] = []
    for number, obj in lines:
        try:
            if isinstance(obj, _Bad):
                raise obj
            if not isinstance(obj, dict):
                raise _Bad(f"expected a JSON object, got {type(obj).__name__}")
            items.append(parse(obj, path.parent))
        except _Bad as e:
            items.append(BadItem(f"{path.name}:{number}", f"{path.name} line {number}: {e}"))
    return _dedupe(items), kind


def _lines(path: Path) -> Iterator[tuple[int, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                if len(line) > _MAX_LINE:
                    yield number, _Bad(f"line is longer than {_MAX_LINE} characters")
                    continue
                try:
                    yield number, json.loads(line)
                except (ValueError, RecursionError) as e:
                    yield number, _Bad(f"not valid JSON ({str(e)[:80]})")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as e:
        raise ManifestError(f"cannot read {str(path)!r} as a JSON-lines manifest: {e}") from None


def _detect(first: dict, path: Path):
    if "sources" in first:
        return "lhotse-recordings", _lhotse_recording
    if "recording" in first or first.get("type") in _CUT_TYPES:
        return "lhotse-cuts", _lhotse_cut
    if "audio_filepath" in first:
        return "nemo", _nemo
    if "path" in first:
        return "ours", _ours
    keys = ", ".join(sorted(map(str, first))[:8])
    raise ManifestError(
        f"{str(path)!r}: unknown manifest format (first record has keys {keys}); expected "
        "'path' (ours), 'audio_filepath' (NeMo), 'sources' or 'recording' (lhotse)"
    )


# -- field checks ------------------------------------------------------------------------------
def _str(obj: dict, name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise _Bad(f"field {name!r} must be a non-empty string, got {_show(value)}")
    return value


def _seconds(obj: dict, name: str, default: float | None = None) -> float | None:
    value = obj.get(name, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"field {name!r} must be a number of seconds, got {_show(value)}")
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise _Bad(f"field {name!r} must be in [0, {MAX_SECONDS:g}] s, got {_show(value)}")
    return float(value)


def _show(value) -> str:
    return repr(value)[:60] if value is not None else "nothing"


def _resolve(raw: str, base: Path) -> str:
    try:
        p = Path(raw).expanduser()
        if p.is_absolute():
            return str(p)
        if not (base / p).exists() and p.exists():
            return str(p.resolve())  # relative to the working directory (lhotse's convention)
        return str((base / p).resolve())
    except (OSError, RuntimeError, ValueError) as e:
        raise _Bad(f"unusable path {_show(raw)} ({e})") from None


def _meta(obj: dict, drop: Iterable[str]) -> dict:
    return {k: v for k, v in obj.items() if k not in set(drop)}


# -- formats -----------------------------------------------------------------------------------
def _ours(obj: dict, base: Path) -> Item:
    raw = _str(obj, "path")
    key = obj.get("id", raw)
    if not isinstance(key, str) or not key.strip():
        raise _Bad(f"field 'id' must be a non-empty string, got {_show(key)}")
    return Item(key, _resolve(raw, base), meta=_meta(obj, ("id", "path")))


def _nemo(obj: dict, base: Path) -> Item:
    raw = _str(obj, "audio_filepath")
    offset = _seconds(obj, "offset", 0.0)
    duration = _seconds(obj, "duration")
    meta = _meta(obj, ("audio_filepath", "duration", "offset"))
    if "text" in obj and not isinstance(obj["text"], str):
        raise _Bad(f"field 'text' must be a string, got {_show(obj['text'])}")
    key = obj.get("id") if isinstance(obj.get("id"), str) else (Path(raw).stem or raw)
    if "offset" not in obj:
        return Item(key, _resolve(raw, base), meta=meta)
    if duration is None or duration <= 0:
        raise _Bad(f"a segment (offset {offset}) needs a positive 'duration', got {duration}")
    return Item(f"{key}-{round(offset * 1000)}", _resolve(raw, base), offset, duration, meta)


def _recording_source(rec: dict, base: Path) -> tuple[str, float | None]:
    sources = rec.get("sources")
    if not isinstance(sources, list) or not sources or not isinstance(sources[0], dict):
        raise _Bad(f"field 'sources' must be a non-empty list of objects, got {_show(sources)}")
    if len(sources) > 1:
        raise _Bad(f"{len(sources)} sources (one per channel) are not supported; use one file")
    src = sources[0]
    if src.get("type") != "file":
        raise _Bad(f"source type {_show(src.get('type'))} is not supported (only 'file')")
    return _resolve(_str(src, "source"), base), _seconds(rec, "duration")


def _lhotse_recording(obj: dict, base: Path) -> Item:
    key = _str(obj, "id")
    source, _ = _recording_source(obj, base)
    return Item(key, source, meta={"recording_id": key, **_meta(obj, ("id", "sources"))})


def _lhotse_cut(obj: dict, base: Path) -> Item:
    key = _str(obj, "id")
    rec = obj.get("recording")
    if not isinstance(rec, dict):
        raise _Bad(f"field 'recording' must be an object, got {_show(rec)}")
    source, rec_duration = _recording_source(rec, base)
    start, duration = _seconds(obj, "start", 0.0), _seconds(obj, "duration")
    if duration is None or duration <= 0:
        raise _Bad(f"field 'duration' must be positive, got {_show(obj.get('duration'))}")
    sups = obj.get("supervisions", [])
    if not isinstance(sups, list) or not all(isinstance(s, dict) for s in sups):
        raise _Bad(f"field 'supervisions' must be a list of objects, got {_show(sups)}")
    for s in sups:  # lhotse keeps a supervision that sticks out of a cut: start may be < 0
        for name in ("start", "duration"):
            value = s.get(name, 0.0)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or abs(value) > MAX_SECONDS:
                raise _Bad(f"supervision {name!r} must be a number of seconds, got {_show(value)}")
    texts = [s["text"] for s in sups if isinstance(s.get("text"), str)]
    meta = {"recording_id": rec.get("id"), "text": " ".join(texts), "supervisions": sups}
    whole = start == 0.0 and rec_duration is not None and abs(duration - rec_duration) < 1e-3
    if whole:
        return Item(key, source, meta=meta)
    return Item(key, source, start, duration, meta)


def _file_items(files: list[Path], base: Path) -> list[Item]:
    stems = [p.resolve().relative_to(base.resolve()).with_suffix("").as_posix() for p in files]
    clash = {s for s in stems if stems.count(s) > 1}
    return [
        Item(s if s not in clash else f"{s}{p.suffix}", str(p.resolve()))
        for s, p in zip(stems, files, strict=True)
    ]


def _dedupe(items: list[Item | BadItem]) -> list[Item | BadItem]:
    """Each key once: a repeated id becomes a failure, and a failure's own key (``m.jsonl:3``,
    ``id#dup``) never takes the key of a real item, whatever that item's id looks like."""
    real = {it.key for it in items if isinstance(it, Item)}
    seen: set[str] = set()
    out: list[Item | BadItem] = []
    for it in items:
        if isinstance(it, Item) and it.key in seen:
            it = BadItem(it.key + "#dup", f"duplicate id {it.key!r}: only its first line is used")
        if isinstance(it, BadItem) and (it.key in real or it.key in seen):
            n = 2
            while f"{it.key}#{n}" in real or f"{it.key}#{n}" in seen:
                n += 1
            it = replace(it, key=f"{it.key}#{n}")
        seen.add(it.key)
        out.append(it)
    return out


# -- outputs -----------------------------------------------------------------------------------
def nemo_line(record: dict, root: Path) -> dict:
    """One NeMo manifest line for an ``ok`` record: the compressed file, text passed through."""
    meta = dict(record.get("meta") or {})
    meta.pop("supervisions", None)
    text = meta.pop("text", "")
    stats = record["stats"]
    return {
        "audio_filepath": str((root / record["audio"]).resolve()),
        "duration": stats["output_s"],
        "text": text if isinstance(text, str) else str(text),
        "original_duration": stats["input_s"],
        "original_audio_filepath": record["source"],
        "timemap_filepath": str((root / record["timemap"]).resolve()),
        **{k: v for k, v in meta.items() if k not in _NEMO_OWN},
    }


_NEMO_OWN = ("audio_filepath", "duration", "original_duration", "timemap_filepath")


def write_nemo(path: Path, records: list[dict], root: Path) -> Path:
    """A NeMo JSON-lines manifest of the ``ok`` records, written atomically."""
    lines = [json_line(nemo_line(r, root)) for r in records]
    write_text_atomic(path, "".join(line + "\n" for line in lines))
    return path


def lhotse_recording(record: dict, root: Path) -> dict:
    """A lhotse ``Recording`` dict of the compressed audio (lhotse recordings have no
    ``custom`` field: the time map goes in the cut, see :func:`lhotse_cut`)."""
    n = sq.to_samples(record["stats"]["output_s"])
    return {
        "id": record["key"],
        "sources": [
            {"type": "file", "channels": [0], "source": str((root / record["audio"]).resolve())}
        ],
        "sampling_rate": sq.SAMPLE_RATE,
        "num_samples": n,
        "duration": n / sq.SAMPLE_RATE,
        "channel_ids": [0],
    }


def lhotse_cut(record: dict, root: Path) -> dict:
    """A lhotse ``MonoCut`` over the whole compressed recording; ``custom`` holds the time
    map, the original source and duration, and the text."""
    rec = lhotse_recording(record, root)
    meta = record.get("meta") or {}
    timemap_path = root / record["timemap"]
    return {
        "id": record["key"],
        "start": 0.0,
        "duration": rec["duration"],
        "channel": 0,
        "supervisions": lhotse_supervisions(record, root),
        "recording": rec,
        "custom": {
            "original_source": record["source"],
            "original_duration": record["stats"]["input_s"],
            "original_recording_id": meta.get("recording_id"),
            "text": meta.get("text"),
            "timemap_filepath": str(timemap_path.resolve()),
            "timemap": read_timemap(timemap_path).to_dict(),
        },
        "type": "MonoCut",
    }


def read_timemap(path: Path) -> sq.TimeMap:
    """The time map an earlier run wrote; one edited, cut short or removed is named."""
    try:
        return sq.TimeMap.from_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, sq.TimeMapError) as e:
        raise ManifestError(
            f"time map {str(path)!r} cannot be read ({e}); delete it and rerun to compress "
            "its recording again"
        ) from None


def lhotse_supervisions(record: dict, root: Path) -> list[dict]:
    """The cut's supervisions with their times moved onto the compressed recording."""
    sups = (record.get("meta") or {}).get("supervisions") or []
    if not sups:
        return []
    tm = read_timemap(root / record["timemap"])
    out = []
    length = record["stats"]["input_s"]
    for i, s in enumerate(sups):
        start, end = float(s.get("start", 0.0)), float(s.get("start", 0.0) + s.get("duration", 0.0))
        start, end = min(max(start, 0.0), length), min(max(end, 0.0), length)  # inside the cut
        a, b = tm.to_compressed(start), tm.to_compressed(end)
        sid = s.get("id") if isinstance(s.get("id"), str) else f"{record['key']}-{i}"
        out.append(
            {
                **{k: v for k, v in s.items() if k not in ("start", "duration")},
                "id": sid,
                "recording_id": record["key"],
                "start": round(float(a), 6),
                "duration": round(float(b - a), 6),
                "channel": 0,
            }
        )
    return out


def write_lhotse(folder: Path, records: list[dict], root: Path) -> list[Path]:
    """``recordings.jsonl.gz``, ``cuts.jsonl.gz`` (time maps in ``custom``) and, where the
    input had any, ``supervisions.jsonl.gz`` on the compressed timeline."""
    cuts = [lhotse_cut(r, root) for r in records]
    recordings, cuts_file, sups_file = (folder / name for name in LHOTSE_FILES)
    paths = [
        _write_gz(recordings, [c["recording"] for c in cuts]),
        _write_gz(cuts_file, cuts),
    ]
    sups = [s for c in cuts for s in c["supervisions"]]
    if sups:
        paths.append(_write_gz(sups_file, sups))
    return paths


def _write_gz(path: Path, rows: list[dict]) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            for row in rows:
                f.write(json_line(row) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
