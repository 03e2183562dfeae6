"""The resumable corpus job: plan what is left, compress it on a process pool or on Ray,
append one record per finished item, then write the output manifest and the summary.

Output folder::

    OUT/audio/<name>.flac            compressed audio (atomic: temp file + rename)
    OUT/timemaps/<name>.timemap.json time map back to the original timeline
    OUT/records.jsonl                append-only log, one record per finished item
    OUT/manifest.jsonl               NeMo manifest (or recordings/supervisions.jsonl.gz for lhotse)
    OUT/summary.json                 hours in/out, tokens saved per model profile, failures,
                                     warnings (e.g. a recording too quiet for the VAD)

A rerun skips an item whose record says ``ok`` for the same source content (SHA-256) and
options and whose two output files exist. A killed run loses at most the items in flight:
a record is written (and flushed) only after both of its outputs are in place. Before a
rerun overwrites anything, it removes the earlier manifests and summary and marks each item
it redoes ``pending``, so a killed rerun leaves no manifest and no record that vouches for
files it changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import audiosqueeze as sq

from ..deps import require
from ..output import write_text_atomic
from .manifests import LHOTSE_FILES, read_input, write_lhotse, write_nemo
from .work import (
    AUDIO_DIR,
    TIMEMAP_DIR,
    BadItem,
    CorpusOptions,
    Item,
    json_line,
    output_paths,
    process,
    safe_name,
    sha256_file,
    stats_hold,
    warm,
)

RECORDS, SUMMARY, LOCK = "records.jsonl", "summary.json", ".lock"
MANIFEST_FORMATS = ("nemo", "lhotse")
Task = tuple[Item, str]  # an item and its output name


@dataclass(frozen=True)
class Summary:
    """What a corpus job did, over every item of its input (earlier runs included)."""

    items: int
    ok: int
    failed: int
    skipped: int  #: done by an earlier run and left alone
    processed: int  #: compressed (or failed) by this run
    input_s: float
    output_s: float
    tokens_saved: dict  #: audio tokens saved per model profile, over the ok items
    failures: list = field(default_factory=list)  #: ``{"key", "source", "error"}`` each
    warnings: list = field(default_factory=list)  #: ``{"key", "source", "warning"}`` each
    wall_s: float = 0.0
    manifests: list = field(default_factory=list)

    @property
    def files_per_s(self) -> float:
        return self.processed / self.wall_s if self.wall_s else 0.0

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["hours_in"], d["hours_out"] = self.input_s / 3600, self.output_s / 3600
        d["files_per_s"] = round(self.files_per_s, 3)
        return d


def run_corpus(
    source: str | os.PathLike,
    out: str | os.PathLike,
    options: CorpusOptions | None = None,
    *,
    jobs: int | None = None,
    ray: str | None = None,
    manifest_format: str = "nemo",
    on_record: Callable[[dict], None] | None = None,
    on_start: Callable[[int, list[dict]], None] | None = None,
) -> Summary:
    """Compress every item of ``source`` (folder, glob or manifest) into the folder ``out``.

    ``jobs``: worker processes (default: all cores; 1 = in this process). ``ray``: run on Ray
    instead (``"local"`` starts a local cluster, else an address such as ``"auto"`` or
    ``"ray://host:10001"``); ``jobs`` is then the number of actors. ``on_start(total, done)``
    and ``on_record(record)`` report progress.
    """
    options = options or CorpusOptions()
    if manifest_format not in MANIFEST_FORMATS:
        raise sq.OptionsError(
            f"manifest format must be one of {MANIFEST_FORMATS}, got {manifest_format!r}"
        )
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise sq.OptionsError(f"jobs must be an integer >= 1, got {jobs!r}")
    if ray is not None:
        require("ray", "ray")  # before any work: a missing extra is one clear line
    started = time.perf_counter()
    items, kind = read_input(source)
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise sq.OptionsError(f"output {str(root)!r} exists and is not a folder")
    _check_apart(Path(source), kind, root)
    ours = (root / AUDIO_DIR, root / TIMEMAP_DIR)  # OUT inside INPUT: its outputs are not input
    items = [it for it in items if not any(_within(it.source, d) for d in ours)]
    try:
        for sub in (root / AUDIO_DIR, root / TIMEMAP_DIR):
            sub.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise sq.AudiosqueezeError(f"cannot create the output folder {str(root)!r}: {e}") from None
    with _locked(root):
        _remove_partials(root)
        log = root / RECORDS
        earlier = load_records(log)
        tasks, done, bad = _plan(items, earlier, root, options)
        if on_start:
            on_start(len(items), [earlier[k] for k in done])
        latest = dict(earlier)
        with _Log(log) as append:
            if tasks:
                _forget_earlier(root, tasks, earlier, append)
            for record in map(_bad_record, bad):
                append(record)
                latest[record["key"]] = record
            runner = _ray_records if ray is not None else _pool_records
            for record in runner(tasks, root, options, jobs, ray):
                append(record)
                latest[record["key"]] = record
                if on_record:
                    on_record(record)
        final = [latest[it.key] for it in items]
        manifests = _write_manifests(root, final, manifest_format)
        summary = _summarise(final, len(done), len(tasks), manifests, started)
        write_text_atomic(root / SUMMARY, json.dumps(summary.to_dict(), indent=1) + "\n")
    return summary


def _check_apart(source: Path, kind: str, root: Path) -> None:
    """An output folder that would write over its input: the input folder itself (or one
    holding it in ``audio/`` or ``timemaps/``), or a manifest that is one of its outputs."""
    if kind == "folder":
        clash = [root] + [root / d for d in (AUDIO_DIR, TIMEMAP_DIR)]
        if _same(source, root) or any(_within(str(source), d) for d in clash[1:]):
            raise sq.OptionsError(
                f"output folder {str(root)!r} would write into the input folder "
                f"{str(source)!r}; choose an output folder outside it (or below it)"
            )
    elif kind not in ("glob", "file"):
        written = (RECORDS, SUMMARY, "manifest.jsonl", *LHOTSE_FILES)
        if any(_same(source, root / name) for name in written):
            raise sq.OptionsError(
                f"the input manifest {str(source)!r} is one of the files the output folder "
                f"{str(root)!r} gets; choose another output folder"
            )


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError, ValueError):
        return False


def _within(source: str, root: Path) -> bool:
    try:
        return bool(source) and Path(source).resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long...
        return False


def load_records(path: Path) -> dict[str, dict]:
    """The latest record per key; a line cut short by a kill is ignored."""
    latest: dict[str, dict] = {}
    if not path.exists():
        return latest
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):  # deep nesting: recursion
                continue
            if isinstance(record, dict) and isinstance(record.get("key"), str):
                latest[record["key"]] = record
    return latest


class _Log:
    """Append-only record log; each line is flushed as soon as its item is finished."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.f = open(self.path, "a+b")
        self.f.seek(0, os.SEEK_END)
        if self.f.tell():
            self.f.seek(-1, os.SEEK_END)
            if self.f.read(1) != b"\n":  # a kill cut the last line short: start a new one
                self.f.write(b"\n")
        return self.append

    def append(self, record: dict) -> None:
        self.f.write((json_line(record) + "\n").encode())
        self.f.flush()

    def __exit__(self, *exc) -> None:
        self.f.close()


class _locked:
    """An exclusive lock on the output folder: two jobs never write to one folder."""

    def __init__(self, root: Path):
        self.path = root / LOCK

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            raise sq.AudiosqueezeError(
                f"another corpus job is writing to {str(self.path.parent)!r}"
            ) from None
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _remove_partials(root: Path) -> None:
    """Temporary files of writes a kill interrupted (``.<name>.*.part``)."""
    for folder in (root, root / AUDIO_DIR, root / TIMEMAP_DIR):
        for p in folder.glob(".*.part"):
            p.unlink(missing_ok=True)


def _plan(items, earlier: dict, root: Path, options: CorpusOptions):
    """Split the input into what to do, what an earlier run did, and unreadable lines."""
    tasks: list[Task] = []
    done: list[str] = []
    bad: list[BadItem] = []
    names: set[str] = set()
    digest = options.digest()
    for it in items:
        if isinstance(it, BadItem):
            bad.append(it)
            continue
        name = safe_name(it.key)
        if name in names:
            name = f"{name}-{hashlib.sha256(it.key.encode()).hexdigest()[:8]}"
        names.add(name)
        if _is_done(earlier.get(it.key), it, name, root, options, digest):
            done.append(it.key)
        else:
            tasks.append((it, name))
    return tasks, done, bad


def _is_done(record, item: Item, name: str, root: Path, options, digest: str) -> bool:
    if not record or record.get("status") != "ok" or record.get("options") != digest:
        return False
    if record.get("name") != name or record.get("source") != item.source:
        return False
    span = (record.get("offset_s", 0.0), record.get("duration_s"))
    outputs = output_paths(root, name, options)
    if span != (item.offset_s, item.duration_s) or not all(p.is_file() for p in outputs):
        return False
    try:  # the input unchanged, and the outputs as written (not edited or cut short since)
        same_input = sha256_file(item.source) == record.get("source_sha256")
        same_outputs = [sha256_file(p) for p in outputs] == record.get("outputs_sha256")
        return same_input and same_outputs and stats_hold(record, outputs[1])
    except sq.AudiosqueezeError:
        return False


def _forget_earlier(root: Path, tasks: list[Task], earlier: dict, append) -> None:
    """Before outputs are overwritten, what vouches for the earlier ones goes: manifests,
    summary, and each ``ok`` record of an item to redo (a ``pending`` record follows it)."""
    for name in ("manifest.jsonl", SUMMARY, *LHOTSE_FILES):
        (root / name).unlink(missing_ok=True)
    for item, name in tasks:
        if (earlier.get(item.key) or {}).get("status") == "ok":
            append({"key": item.key, "name": name, "source": item.source, "status": "pending"})


def _bad_record(bad: BadItem) -> dict:
    return {
        "key": bad.key,
        "name": None,
        "source": bad.source,
        "status": "failed",
        "error": bad.error,
        "meta": {},
    }


def _pool_records(tasks: list[Task], root: Path, options, jobs, _ray) -> Iterator[dict]:
    """Records as items finish, on ``jobs`` spawned processes (in this one for ``jobs=1``)."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(tasks) <= 1:
        for item, name in tasks:
            yield process(item, name, str(root), options)
        return
    import multiprocessing

    todo = list(reversed(tasks))
    while todo:  # a new pool after a worker died; the items it held are recorded as failed
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=warm, initargs=(options,)) as ex:
            running: dict = {}
            try:
                yield from _drain(ex, todo, running, root, options, 2 * jobs)
            except BrokenProcessPool:
                for item in running.values():  # which one crashed its worker is unknown
                    yield _crashed(item)
            except BaseException:
                ex.shutdown(wait=False, cancel_futures=True)
                raise


def _drain(ex, todo: list[Task], running: dict, root: Path, options, depth: int):
    """Keep ``depth`` items in flight (a kill loses at most these); records as they finish.
    An item stays in ``running`` until its record is out, so a broken pool loses none."""
    while todo or running:
        while todo and len(running) < depth:
            item, name = todo[-1]
            running[ex.submit(process, item, name, str(root), options)] = item
            todo.pop()
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for fut in finished:
            record = fut.result()
            del running[fut]
            yield record


def _crashed(item: Item) -> dict:
    return {
        "key": item.key,
        "name": None,
        "source": item.source,
        "status": "failed",
        "meta": {},
        "error": "the worker process died while this or a concurrent item was being "
        "compressed (rerun to retry)",
    }


def _ray_records(tasks: list[Task], root: Path, options, jobs, address) -> Iterator[dict]:
    from ..ray import corpus_records

    yield from corpus_records(tasks, root, options, address=address, actors=jobs)


def _write_manifests(root: Path, final: list[dict], fmt: str) -> list[str]:
    ok = [r for r in final if r.get("status") == "ok"]
    if fmt == "nemo":
        return [str(write_nemo(root / "manifest.jsonl", ok, root))]
    return [str(p) for p in write_lhotse(root, ok, root)]


def _summarise(final: list[dict], skipped: int, processed: int, manifests, started) -> Summary:
    ok = [r for r in final if r.get("status") == "ok"]
    fail = [r for r in final if r.get("status") != "ok"]
    said = [(r, w) for r in ok for w in r.get("warnings") or ()]  # e.g. too quiet for the VAD
    saved: dict[str, int] = {}
    for r in ok:
        before, after = r["stats"]["tokens_before"], r["stats"]["tokens_after"]
        for model, n in before.items():
            saved[model] = saved.get(model, 0) + n - after.get(model, n)
    return Summary(
        items=len(final),
        ok=len(ok),
        failed=len(fail),
        skipped=skipped,
        processed=processed,
        input_s=round(sum(r["stats"]["input_s"] for r in ok), 3),
        output_s=round(sum(r["stats"]["output_s"] for r in ok), 3),
        tokens_saved=saved,
        failures=[
            {"key": r["key"], "source": r.get("source"), "error": r.get("error")} for r in fail
        ],
        warnings=[{"key": r["key"], "source": r.get("source"), "warning": w} for r, w in said],
        wall_s=round(time.perf_counter() - started, 3),
        manifests=manifests,
    )
