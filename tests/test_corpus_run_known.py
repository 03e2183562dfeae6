"""The corpus job's driver with planted answers: output folders it must refuse, the lock, what a
rerun must redo, how the local pool keeps items in flight (a stand-in executor that runs each
item as it is submitted, so no process is spawned), and the summary's numbers. Short synthetic
clips and the energy VAD: the whole file runs in a few seconds."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import stat
import sys
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.corpus import CorpusOptions, Summary, load_records, run_corpus
from audiosqueeze.corpus import run as run_mod
from conftest import silence, tone

OPTIONS = CorpusOptions(rate=0.5, vad="energy")


def _clip(path: Path, extra_s: float = 0.0) -> Path:
    """1.5 s (tone, pause, tone) plus ``extra_s`` seconds of tone."""
    x = np.concatenate([tone(0.5), silence(0.6), tone(0.4, 330), tone(extra_s)])
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, 16000, subtype="PCM_16")
    return path


def _folder(folder: Path, n: int) -> Path:
    for i in range(n):
        _clip(folder / f"c{i}.wav", extra_s=0.1 * i)  # each a different length
    return folder


def _rows(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]


# -- the summary -------------------------------------------------------------------------------
def test_a_summary_cannot_change_and_has_no_wall_time_unless_told():
    s = Summary(items=1, ok=1, failed=0, skipped=0, processed=1, input_s=1.0, output_s=0.5,
                tokens_saved={})  # fmt: skip
    assert (s.wall_s, s.files_per_s, s.failures, s.manifests) == (0.0, 0.0, [], [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.ok = 5


def test_files_per_second_is_shown_to_the_millisecond():
    s = Summary(1, 1, 0, 0, 1, 1.0, 1.0, {}, wall_s=3.0)
    assert s.to_dict()["files_per_s"] == 0.333


def test_summary_seconds_are_rounded_to_the_millisecond(monkeypatch):
    def ok(inp, out):
        stats = {"input_s": inp, "output_s": out, "tokens_before": {}, "tokens_after": {}}
        return {"key": "k", "status": "ok", "stats": stats}

    monkeypatch.setattr(run_mod, "time", SimpleNamespace(perf_counter=lambda: 11.23456))
    s = run_mod._summarise([ok(1.23456, 0.65432)], 0, 1, [], 10.0)
    assert (s.input_s, s.output_s, s.wall_s) == (1.235, 0.654, 1.235)


# -- what the job refuses, before any work -----------------------------------------------------
def test_without_the_ray_extra_a_ray_job_is_refused_and_a_local_one_runs(tmp_path, monkeypatch):
    src = _clip(tmp_path / "in" / "a.wav").parent
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as if not installed
    with pytest.raises(sq.MissingDependencyError, match=r"audiosqueeze\[ray\]"):
        run_corpus(src, tmp_path / "ray-out", OPTIONS, ray="local")
    assert not (tmp_path / "ray-out").exists()  # said before anything was written
    assert run_corpus(src, tmp_path / "out", OPTIONS, jobs=1).ok == 1


def test_an_output_that_is_a_file_is_refused(tmp_path):
    src = _clip(tmp_path / "in" / "a.wav").parent
    (tmp_path / "out").write_text("mine")
    with pytest.raises(sq.OptionsError, match="exists and is not a folder"):
        run_corpus(src, tmp_path / "out", OPTIONS, jobs=1)
    assert (tmp_path / "out").read_text() == "mine"


def test_an_output_folder_that_cannot_be_made_is_the_librarys_error(tmp_path):
    src = _clip(tmp_path / "in" / "a.wav").parent
    (tmp_path / "file").write_text("x")
    with pytest.raises(sq.AudiosqueezeError, match="cannot create the output folder"):
        run_corpus(src, tmp_path / "file" / "out", OPTIONS, jobs=1)


def test_a_folder_another_job_holds_is_refused_and_left_alone(tmp_path):
    src = _clip(tmp_path / "in" / "a.wav").parent
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the other job
        with pytest.raises(sq.AudiosqueezeError, match="another corpus job is writing to"):
            run_corpus(src, out, OPTIONS, jobs=1)
    finally:
        os.close(fd)
    assert not (out / "records.jsonl").exists() and not list((out / "audio").iterdir())


def test_the_lock_file_is_not_executable_nor_writable_by_others(tmp_path):
    out = tmp_path / "out"
    run_corpus(_clip(tmp_path / "in" / "a.wav").parent, out, OPTIONS, jobs=1)
    mode = stat.S_IMODE((out / ".lock").stat().st_mode)
    assert mode & 0o111 == 0 and mode & 0o002 == 0 and mode & 0o600 == 0o600


def test_paths_that_cannot_be_resolved_are_neither_the_same_nor_inside(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)  # resolve() raises RuntimeError
    assert run_mod._same(loop, loop) is False
    assert run_mod._within(str(loop), tmp_path) is False


# -- what a rerun redoes -----------------------------------------------------------------------
def test_a_source_moved_with_the_same_content_is_redone_from_its_new_path(tmp_path):
    # same key, same bytes, another path: the manifest must name the file that exists now
    (tmp_path / "old").mkdir()
    _clip(tmp_path / "old" / "a.wav")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"id": "a", "path": "old/a.wav"}\n')
    out = tmp_path / "out"
    run_corpus(manifest, out, OPTIONS, jobs=1)
    (tmp_path / "new").mkdir()
    os.rename(tmp_path / "old" / "a.wav", tmp_path / "new" / "a.wav")
    manifest.write_text('{"id": "a", "path": "new/a.wav"}\n')
    again = run_corpus(manifest, out, OPTIONS, jobs=1)
    assert (again.skipped, again.processed, again.ok) == (0, 1, 1)
    assert [r["original_audio_filepath"] for r in _rows(out)] == [str(tmp_path / "new" / "a.wav")]


def test_a_segment_whose_span_changed_under_the_same_key_is_redone(tmp_path):
    _clip(tmp_path / "a.wav")
    manifest = tmp_path / "m.json"
    row = {"audio_filepath": "a.wav", "offset": 0.0, "duration": 1.0, "id": "x"}
    manifest.write_text(json.dumps(row) + "\n")
    out = tmp_path / "out"
    run_corpus(manifest, out, OPTIONS, jobs=1)
    manifest.write_text(json.dumps({**row, "duration": 1.4}) + "\n")  # key "x-0" both times
    again = run_corpus(manifest, out, OPTIONS, jobs=1)
    assert (again.skipped, again.processed) == (0, 1)
    assert [r["original_duration"] for r in _rows(out)] == [1.4]


def test_a_source_gone_since_the_last_run_is_tried_again_not_trusted(tmp_path):
    _clip(tmp_path / "a.wav")
    _clip(tmp_path / "b.wav")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"id": "a", "path": "a.wav"}\n{"id": "b", "path": "b.wav"}\n')
    out = tmp_path / "out"
    run_corpus(manifest, out, OPTIONS, jobs=1)
    (tmp_path / "a.wav").unlink()
    again = run_corpus(manifest, out, OPTIONS, jobs=1)
    assert (again.skipped, again.processed, again.ok, again.failed) == (1, 1, 1, 1)
    assert again.failures[0]["key"] == "a" and "no such file" in again.failures[0]["error"]
    assert [r["original_audio_filepath"] for r in _rows(out)] == [str(tmp_path / "b.wav")]


def test_unreadable_manifest_lines_are_failures_in_the_log_and_the_summary(tmp_path):
    _clip(tmp_path / "a.wav")
    manifest = tmp_path / "m.json"
    manifest.write_text('{"audio_filepath": "a.wav"}\n{"audio_filepath": 5}\n')
    out = tmp_path / "out"
    s = run_corpus(manifest, out, OPTIONS, jobs=1)
    assert (s.items, s.ok, s.failed) == (2, 1, 1)
    assert s.failures[0]["key"] == "m.json:2" and "audio_filepath" in s.failures[0]["error"]
    bad = load_records(out / "records.jsonl")["m.json:2"]
    assert (bad["status"], bad["name"], bad["meta"]) == ("failed", None, {})


# -- the local pool ----------------------------------------------------------------------------
class _Inline:
    """A stand-in ``ProcessPoolExecutor``: runs each item when it is submitted, here, and
    counts the items in flight (submitted, their record not yet taken)."""

    made: list = []

    def __init__(self, workers, mp_context=None, initializer=None, initargs=()):
        self.workers, self.pending, self.most, self.shutdowns = workers, set(), 0, []
        initializer(*initargs)
        _Inline.made.append(self)

    def submit(self, fn, *args):
        fut = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as e:  # as a worker's exception reaches the parent
            fut.set_exception(e)
        self.pending.add(fut)
        self.most = max(self.most, len(self.pending))
        result = fut.result

        def taken(*a):
            self.pending.discard(fut)
            return result(*a)

        fut.result = taken
        return fut

    def shutdown(self, wait=True, cancel_futures=False):
        self.shutdowns.append((wait, cancel_futures))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


@pytest.fixture
def pool(monkeypatch):
    _Inline.made = []
    monkeypatch.setattr(run_mod, "ProcessPoolExecutor", _Inline)
    return _Inline.made


def _every_item_once(out: Path, n: int) -> None:
    rows = _rows(out)
    want = sorted(str(out.parent / "in" / f"c{i}.wav") for i in range(n))
    assert sorted(r["original_audio_filepath"] for r in rows) == want
    for r in rows:  # each row's audio is its own item's (their lengths differ)
        assert r["original_duration"] == sf.info(r["original_audio_filepath"]).duration


@pytest.mark.parametrize(
    ("jobs", "cpus", "n", "workers"),
    [
        (1, 8, 3, None),  # one job: this process, no pool
        (2, 8, 1, None),  # one item: no pool to start
        (None, None, 2, None),  # the core count unknown: one
        (2, 8, 2, 2),
        (None, 3, 2, 3),  # all cores by default
    ],
)
def test_a_pool_is_started_only_for_several_items_and_jobs(
    tmp_path, pool, monkeypatch, jobs, cpus, n, workers
):
    monkeypatch.setattr(run_mod.os, "cpu_count", lambda: cpus)
    s = run_corpus(_folder(tmp_path / "in", n), tmp_path / "out", OPTIONS, jobs=jobs)
    assert (s.ok, s.processed) == (n, n)
    assert [p.workers for p in pool] == ([] if workers is None else [workers])
    _every_item_once(tmp_path / "out", n)


def test_the_pool_keeps_twice_its_workers_in_flight_and_no_more(tmp_path, pool):
    # more than the workers, so none waits on the parent; at most 2x, all a kill can lose
    s = run_corpus(_folder(tmp_path / "in", 7), tmp_path / "out", OPTIONS, jobs=2)
    assert (s.ok, s.failed) == (7, 0)
    assert [p.most for p in pool] == [4]
    _every_item_once(tmp_path / "out", 7)


class _Stop(BaseException):
    """A Ctrl-C stand-in that pytest does not treat as one."""


def test_an_interrupt_cancels_the_pool_without_waiting_and_is_raised(tmp_path, pool, monkeypatch):
    real = run_mod.process

    def stop_at_c3(item, *args):
        if item.key == "c3":
            raise _Stop
        return real(item, *args)

    monkeypatch.setattr(run_mod, "process", stop_at_c3)
    with pytest.raises(_Stop):
        run_corpus(_folder(tmp_path / "in", 6), tmp_path / "out", OPTIONS, jobs=2)
    assert pool[0].shutdowns[0] == (False, True)
    assert len(pool) == 1


def test_items_of_a_broken_pool_are_failures_and_the_rest_run_on_a_new_pool(
    tmp_path, pool, monkeypatch
):
    real, crashed = run_mod.process, []

    def crash_once_at_c2(item, *args):
        if item.key == "c2" and not crashed:
            crashed.append(item.key)
            raise BrokenProcessPool("a worker died")
        return real(item, *args)

    monkeypatch.setattr(run_mod, "process", crash_once_at_c2)
    out = tmp_path / "out"
    s = run_corpus(_folder(tmp_path / "in", 8), out, OPTIONS, jobs=2)
    assert len(pool) == 2 and s.items == 8 and s.ok + s.failed == 8
    failed = {f["key"]: f["error"] for f in s.failures}
    assert "c2" in failed and all("worker process died" in e for e in failed.values())
    assert set(failed) <= {"c0", "c1", "c2", "c3"}  # only what was in flight (4 at a time)
    assert {"c4", "c5", "c6", "c7"} <= {k for k, r in load_records(out / "records.jsonl").items()
                                        if r["status"] == "ok"}  # fmt: skip
    again = run_corpus(tmp_path / "in", out, OPTIONS, jobs=2)
    assert (again.ok, again.processed) == (8, len(failed))


# -- the command -------------------------------------------------------------------------------
from audiosqueeze.cli import main  # noqa: E402
from audiosqueeze.corpus import cli as cli_mod  # noqa: E402


@pytest.fixture
def job(monkeypatch):
    """``run_corpus`` replaced: the command's arguments are recorded, and an empty summary
    comes back, so each call tests only how the command reads its options."""
    calls: list = []

    def fake(source, out, options, **kw):
        calls.append(SimpleNamespace(source=source, out=out, options=options, **kw))
        kw["on_start"](0, [])
        return Summary(0, 0, 0, 0, 0, 0.0, 0.0, {})

    monkeypatch.setattr(cli_mod, "run_corpus", fake)
    return calls


def test_the_command_defaults(job, capsys):
    assert main(["corpus", "in", "-o", "out", "--json"]) == 0
    (call,) = job
    assert (call.source, call.out, call.jobs, call.ray, call.manifest_format) == (
        "in", "out", None, None, "nemo"
    )  # fmt: skip
    assert call.options == CorpusOptions()  # rate 0.5, silero, flac, one thread
    assert json.loads(capsys.readouterr().out)["items"] == 0


@pytest.mark.parametrize(
    ("args", "ray", "source"),
    [(["in", "--ray"], "local", "in"), (["--ray", "auto", "in"], "auto", "in"),
     (["--ray", "ray://h:10001", "in"], "ray://h:10001", "in")],
)  # fmt: skip
def test_ray_alone_is_a_local_cluster_and_takes_an_address(job, args, ray, source):
    assert main(["corpus", *args, "-o", "out", "--json"]) == 0
    assert (job[0].ray, job[0].source) == (ray, source)


@pytest.mark.parametrize(
    ("extra", "field", "value"),
    [
        (["--target-reduction", "0.0"], "target_reduction", 0.0),
        (["--target-reduction", "0.5"], "target_reduction", 0.5),
        (["--threads", "1"], "num_threads", 1),
        (["--threads", "3"], "num_threads", 3),
        (["--jobs", "1"], "jobs", 1),
    ],
)
def test_values_at_the_lower_bounds_are_taken(job, extra, field, value):
    assert main(["corpus", "in", "-o", "out", "--json", *extra]) == 0
    got = getattr(job[0], field, None)
    assert (got if got is not None else getattr(job[0].options, field)) == value


@pytest.mark.parametrize(
    "extra",
    [
        ["--target-reduction", "1.0"],  # removing everything is no compression
        ["--target-reduction", "-0.1"],
        ["--jobs", "0"],
        ["--threads", "0"],
        ["--audio-format", "mp3"],
    ],
)
def test_values_out_of_range_are_usage_errors_before_the_job(job, capsys, extra):
    assert main(["corpus", "in", "-o", "out", *extra]) == 2
    assert "Invalid value" in capsys.readouterr().err and not job


def test_the_output_folder_is_required(job, capsys):
    assert main(["corpus", "in"]) == 2
    assert "Missing option '-o'" in capsys.readouterr().err and not job


def test_the_help_shows_the_defaults(capsys):
    assert main(["corpus", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    for default in (
        "[default: silero]",
        "[default: nemo]",
        "[default: flac]",
        "[default: 1; x>=1]",
    ):
        assert default in shown, default


def test_a_bad_input_prints_its_error_and_nothing_else(tmp_path, capsys):
    assert main(["corpus", str(tmp_path / "nothing"), "-o", str(tmp_path / "out")]) == 1
    shown = capsys.readouterr()
    assert shown.out == "" and "no such file, folder or pattern" in shown.err


def _ok(inp: float, out: float) -> dict:
    return {"status": "ok", "stats": {"input_s": inp, "output_s": out}}


def test_the_bar_counts_files_seconds_saved_failures_and_speed(monkeypatch):
    clock = iter([100.0, 100.5, 101.0, 101.5])  # start, then one record every 0.5 s
    monkeypatch.setattr(cli_mod, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    bar = cli_mod._Bar(disabled=True)
    bar.start(5, [_ok(10.0, 4.0), {"status": "failed"}])  # done by an earlier run
    task = bar.progress.tasks[0]
    assert (task.completed, task.total, task.fields["saved"], task.fields["failed"]) == (
        2, 5, "6 s", 0
    )  # fmt: skip
    bar.record(_ok(20.0, 5.0))
    assert (task.completed, task.fields["saved"], task.fields["speed"]) == (3, "21 s", "2.00")
    assert task.fields["failed"] == 0
    bar.record({"status": "failed", "stats": {"input_s": 9.0, "output_s": 1.0}})
    assert (task.completed, task.fields["saved"], task.fields["failed"]) == (4, "21 s", 1)
    assert task.fields["speed"] == "2.00"  # 2 files in 1 s


def _summary(failures: int, manifest: str = "/o/manifest.jsonl") -> Summary:
    errors = [{"key": f"k{i}", "source": "", "error": f"e{i}"} for i in range(failures)]
    return Summary(items=failures + 1, ok=1, failed=failures, skipped=0, processed=failures + 1,
                   input_s=2.0, output_s=1.0, tokens_saved={}, failures=errors, wall_s=1.0,
                   manifests=[manifest])  # fmt: skip


@pytest.mark.parametrize(("n", "more"), [(10, None), (11, "... and 1 more failures")])
def test_ten_failures_are_listed_and_the_rest_counted(capsys, n, more):
    cli_mod._print_summary(_summary(n))
    shown = capsys.readouterr().out
    assert "failed: k9: e9" in shown and "failed: k10" not in shown
    if more:
        assert more in shown
    else:
        assert "more failures" not in shown


def test_hours_are_hours_of_3600_seconds(capsys):
    assert cli_mod._hours(360000.0) == "100.00 h"
    s = dataclasses.replace(_summary(0), input_s=720000.0, output_s=360000.0)
    cli_mod._print_summary(s)
    assert "hours in 200.000 -> out 100.000 (50.0% shorter)" in capsys.readouterr().out


def test_names_with_brackets_are_printed_as_they_are(capsys):
    s = _summary(1, "/o/[bold]x[/bold]/manifest.jsonl")
    s.failures[0]["key"] = "talk [red]2020[/red]"
    cli_mod._print_summary(s)
    shown = capsys.readouterr().out
    assert "failed: talk [red]2020[/red]: e0" in shown
    assert "manifest: /o/[bold]x[/bold]/manifest.jsonl" in shown


def test_a_quiet_recording_is_named_in_its_record_the_summary_and_the_report(tmp_path, capsys):
    """``compress`` warns where a recording is too quiet for the VAD; in a corpus that warning
    is the item's (record, summary, one 'warning: KEY: ...' line), not a bare Python warning
    printed once for the whole job, without the file's name, from inside click."""
    import warnings

    from audiosqueeze.cli import main

    folder = tmp_path / "in"
    _clip(folder / "loud.wav")
    quiet = np.concatenate([tone(1.0), silence(0.5), tone(1.0)]) * 10 ** (-60 / 20)
    sf.write(folder / "quiet.wav", quiet, 16000, subtype="FLOAT")  # loudest about -88 dBFS
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        s = run_corpus(folder, tmp_path / "out", CorpusOptions(vad="silero"), jobs=1)
    assert not [w for w in escaped if issubclass(w.category, sq.AudiosqueezeWarning)]
    assert s.ok == 2 and [w["key"] for w in s.warnings] == ["quiet"]
    assert "the recording is quiet" in s.warnings[0]["warning"]
    records = load_records(tmp_path / "out" / "records.jsonl")
    assert "warnings" not in records["loud"]
    assert records["quiet"]["warnings"] == [s.warnings[0]["warning"]]
    assert main(["corpus", str(folder), "-o", str(tmp_path / "out"), "--jobs", "1"]) == 0
    shown = capsys.readouterr().out  # the rerun skips both and still reports the warning
    assert "warning: quiet: the recording is quiet" in shown and "warning: loud" not in shown
