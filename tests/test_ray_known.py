"""The Ray driver with planted answers and no cluster: :class:`CompressBatch` is called on
batches directly (it runs without Ray), and for ``compress_dataset``, ``corpus_records`` and
``connect`` a stand-in ``ray`` module records what they ask of Ray. Ray need not be installed;
tests/test_corpus_ray.py runs the same code on a real local cluster."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze import ray as ray_mod
from audiosqueeze.corpus.work import CorpusOptions, Item, process
from conftest import silence, tone

ENERGY = {"vad": "energy", "rate": 0.5}
#: 1.5 s: tone, pause, tone; at rate 0.5 the pause is cut.
CLIP = np.concatenate([tone(0.5), silence(0.6), tone(0.4, 330)]).astype(np.float32)


def _wav(samples: np.ndarray = CLIP) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, 16000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture(scope="module")
def want() -> dict:
    """What ``sq.compress`` makes of :data:`CLIP` (as 16-bit WAV, then decoded): the answer
    every row below must give."""
    audio = sq.load(_wav())
    out = sq.compress(audio, 0.5, analyze_options=sq.AnalyzeOptions(vad="energy"))
    samples = sf.read(io.BytesIO(sq.encode(out.audio, "flac")), dtype="int16")[0]
    assert out.stats.output_s < out.stats.input_s == 1.5  # the pause was cut
    return {"samples": samples, "timemap": out.timemap.to_dict(), "stats": out.stats.to_dict()}


def _col(values: list) -> np.ndarray:
    """A column of one value per row (``np.array`` would stack arrays of one length)."""
    col = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        col[i] = v
    return col


def _check_ok(out: dict, i: int, want: dict) -> None:
    assert out["error"][i] == "", out["error"][i]
    samples, rate = sf.read(io.BytesIO(out["compressed"][i]), dtype="int16")
    np.testing.assert_array_equal(samples, want["samples"])
    assert rate == 16000 and json.loads(out["timemap"][i]) == want["timemap"]
    assert json.loads(out["stats"][i]) == want["stats"]
    assert (out["input_s"][i], out["output_s"][i]) == (1.5, want["stats"]["output_s"])


def _check_failed(out: dict, i: int, match: str) -> None:
    assert match in out["error"][i], out["error"][i]
    assert (out["compressed"][i], out["timemap"][i], out["stats"][i]) == (b"", "", "")
    assert np.isnan(out["input_s"][i]) and np.isnan(out["output_s"][i])


@pytest.fixture(scope="module")
def stage():
    return ray_mod.CompressBatch(**ENERGY)


# -- one batch ---------------------------------------------------------------------------------
def test_defaults_of_the_stage():
    s = ray_mod.CompressBatch(vad="energy")
    assert s.options == CorpusOptions(vad="energy")  # rate 0.5, flac, one thread
    assert (s.column, s.keep_input) == (None, False)


@pytest.mark.parametrize("column", ["bytes", "audio", "path", "audio_filepath"])
def test_the_audio_column_is_found_by_name(stage, want, tmp_path, column):
    (tmp_path / "a.wav").write_bytes(_wav())
    value = _wav() if column in ("bytes", "audio") else str(tmp_path / "a.wav")
    out = stage({"id": np.array(["x"]), column: np.array([value], dtype=object)})
    _check_ok(out, 0, want)
    assert list(out["id"]) == ["x"] and column not in out  # the input column is dropped


def test_the_first_known_column_wins_and_a_named_one_is_used(stage, want):
    batch = {"audio": np.array([_wav()], dtype=object), "path": np.array(["/nowhere.wav"])}
    _check_ok(stage(batch), 0, want)  # "audio" before "path"
    named = ray_mod.CompressBatch(**ENERGY, column="path")
    _check_failed(named(batch), 0, "nowhere.wav")


def test_keep_input_keeps_the_audio_column(want):
    batch = {"bytes": np.array([_wav()], dtype=object)}
    out = ray_mod.CompressBatch(**ENERGY, keep_input=True)(batch)
    assert out["bytes"][0] == _wav()
    _check_ok(out, 0, want)


@pytest.mark.parametrize(
    ("column", "shown"), [(None, "'bytes', 'audio', 'array'"), ("wav", "'wav'")]
)
def test_a_batch_without_the_audio_column_is_refused(column, shown):
    stage = ray_mod.CompressBatch(**ENERGY, column=column)
    with pytest.raises(sq.OptionsError, match=f"no audio column .*{shown}.* it has \\['text'\\]"):
        stage({"text": np.array(["x"])})


@pytest.mark.parametrize("rate_column", ["sampling_rate", "sample_rate"])
def test_arrays_take_their_rate_from_either_column(stage, want, rate_column):
    x = sq.load(_wav()).samples
    batch = {"array": _col([x, x.astype(np.float64)])}
    out = stage({**batch, rate_column: np.array([16000, 16000])})
    _check_ok(out, 0, want)
    _check_ok(out, 1, want)


def test_a_hugging_face_value_uses_bytes_then_array_then_path(stage, want, tmp_path):
    (tmp_path / "a.wav").write_bytes(_wav())
    x = sq.load(_wav()).samples
    values = [
        {"bytes": _wav(), "path": "/nowhere.wav"},  # decode=False: the bytes, not the path
        {"bytes": None, "array": x, "sampling_rate": 16000, "path": "/nowhere.wav"},
        {"bytes": None, "array": None, "path": str(tmp_path / "a.wav")},
        {"bytes": None, "path": None},
        {"path": ""},
    ]
    out = stage({"audio": np.array(values, dtype=object)})
    for i in range(3):
        _check_ok(out, i, want)
    _check_failed(out, 3, "audio value has no bytes, array or path: keys ['bytes', 'path']")
    _check_failed(out, 4, "keys ['path']")


def test_raw_bytes_in_any_buffer_are_read(stage, want):
    data = _wav()
    values = [data, bytearray(data), memoryview(data)]
    out = stage({"bytes": np.array(values + [None], dtype=object)})
    for i in range(3):
        _check_ok(out, i, want)
    _check_failed(out, 3, "cannot read audio from a NoneType value")


def test_a_bad_row_fails_alone_and_says_why(stage, want):
    x = sq.load(_wav()).samples
    values = [x, np.array(["a", "b"]), 7, x]
    out = stage({"array": _col(values), "sampling_rate": np.full(4, 16000)})
    _check_ok(out, 0, want)
    _check_failed(out, 1, "cannot read audio from a ndarray value")
    _check_failed(out, 2, "cannot read audio from a int value")
    _check_ok(out, 3, want)
    assert out["input_s"].dtype == np.float64 and out["compressed"].dtype == object


def test_an_array_without_a_rate_column_fails_with_the_librarys_message(stage):
    out = stage({"array": _col([CLIP, CLIP])})
    for i in range(2):
        _check_failed(out, i, "an array of samples needs a sampling_rate column")


def test_an_error_without_a_message_is_named_by_its_type(stage, monkeypatch):
    def boom(*a, **kw):
        raise ValueError("")

    monkeypatch.setattr(ray_mod.sq, "encode", boom)
    out = stage({"bytes": np.array([_wav()], dtype=object)})
    _check_failed(out, 0, "ValueError")
    assert out["error"][0] == "ValueError: "


# -- a stand-in for Ray ------------------------------------------------------------------------
class _Dataset:
    """``from_items`` / ``map_batches`` / ``iter_rows``: the stage is built and run here, one
    row per batch, as Ray would with ``batch_size=1``; ``fail_after`` rows, Ray fails."""

    def __init__(self, rows, fail_after=None, error=None):
        self.rows, self.fail_after, self.error, self.calls = rows, fail_after, error, []

    def map_batches(self, fn, **kw):
        self.calls.append((fn, kw))
        return self

    def iter_rows(self):
        fn, kw = self.calls[-1]
        actor = fn(**kw["fn_constructor_kwargs"])
        for i, row in enumerate(self.rows):
            if i == self.fail_after:
                raise self.error
            batch = actor({k: np.array([v], dtype=object) for k, v in row.items()})
            yield {k: v[0] for k, v in batch.items()}


class _Ray:
    def __init__(self, cpus=None, fail_after=None, error=None, init_error=None):
        self.cpus, self.inits, self.shutdowns, self.datasets = cpus, [], 0, []
        self.fail_after, self.error, self.init_error = fail_after, error, init_error
        self.context = SimpleNamespace(enable_progress_bars=True)
        self.data = SimpleNamespace(
            ActorPoolStrategy=lambda **kw: ("actors", kw),
            DataContext=SimpleNamespace(get_current=lambda: self.context),
            from_items=self._from_items,
        )

    def _from_items(self, rows, override_num_blocks):
        ds = _Dataset(rows, self.fail_after, self.error)
        self.datasets.append((ds, override_num_blocks))
        return ds

    def is_initialized(self):
        return self.cpus is not None

    def cluster_resources(self):
        return {} if self.cpus == "none" else {"CPU": self.cpus}

    def init(self, **kw):
        self.inits.append(kw)
        if self.init_error:
            raise self.init_error
        self.cpus = kw.get("num_cpus") or 2

    def shutdown(self):
        self.shutdowns += 1


@pytest.fixture
def fake(monkeypatch):
    """Install a stand-in Ray: ``fake(**kw)`` makes it and returns it."""

    def install(**kw):
        ray = _Ray(**kw)
        monkeypatch.setattr(ray_mod, "require", lambda module, extra: ray)
        return ray

    return install


# -- compress_dataset --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cpus", "threads", "concurrency", "actors"),
    [
        (None, 1, None, (1, 1)),  # Ray not started yet: one CPU known
        (8, 1, None, (1, 8)),
        (8, 2, None, (1, 4)),  # each actor reserves its threads' CPUs
        (8, 16, None, (1, 1)),  # never none
        ("none", 1, None, (1, 1)),  # a cluster with no CPU count
        (8, 1, 3, (3, 3)),
        (8, 1, (2, 5), (2, 5)),
    ],
)
def test_compress_dataset_sizes_its_actor_pool(fake, cpus, threads, concurrency, actors):
    fake(cpus=cpus)
    ds = _Dataset([])
    assert ray_mod.compress_dataset(ds, concurrency=concurrency, num_threads=threads) is ds
    ((fn, kw),) = ds.calls
    assert fn is ray_mod.CompressBatch
    low, high = actors
    assert kw["compute"] == ("actors", {"min_size": low, "max_size": high})
    assert kw["num_cpus"] == threads


def test_compress_dataset_passes_its_options_to_each_actor(fake):
    fake()
    ds = _Dataset([])
    ray_mod.compress_dataset(ds)
    ((_, kw),) = ds.calls
    assert kw["fn_constructor_kwargs"] == {
        "rate": 0.5, "target_reduction": None, "vad": "silero", "audio_format": "flac",
        "num_threads": 1, "column": None, "keep_input": False,
    }  # fmt: skip
    assert (kw["batch_size"], kw["batch_format"], kw["num_cpus"]) == (4, "numpy", 1)
    with pytest.raises(sq.OptionsError, match="rate"):  # checked here, not in each actor
        ray_mod.compress_dataset(ds, rate=2.0)
    assert len(ds.calls) == 1


# -- corpus_records ----------------------------------------------------------------------------
def _tasks(tmp_path: Path, n: int) -> list[tuple[Item, str]]:
    src = tmp_path / "in"
    src.mkdir(exist_ok=True)
    tasks = []
    for i in range(n):
        sf.write(src / f"c{i}.wav", CLIP[: 16000 + 1600 * i], 16000, subtype="PCM_16")
        tasks.append((Item(f"c{i}", str(src / f"c{i}.wav"), meta={"text": f"t{i}"}), f"n{i}"))
    return tasks


def _out(tmp_path: Path) -> Path:
    for sub in ("audio", "timemaps"):
        (tmp_path / "out" / sub).mkdir(parents=True, exist_ok=True)
    return tmp_path / "out"


OPTIONS = CorpusOptions(**ENERGY)


def test_corpus_records_are_what_process_gives_one_item_per_block(fake, tmp_path):
    ray = fake(cpus=8)
    tasks = _tasks(tmp_path, 3)
    got = list(ray_mod.corpus_records(tasks, _out(tmp_path), OPTIONS, address=None))
    assert [r["key"] for r in got] == ["c0", "c1", "c2"]
    ref = tmp_path / "ref"
    want = [process(item, name, str(_out(ref)), OPTIONS) for item, name in tasks]
    drop = ("seconds",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in got] == [
        {k: v for k, v in r.items() if k not in drop} for r in want
    ]
    assert got[0]["meta"] == {"text": "t0"} and got[2]["stats"]["input_s"] == 1.2
    ((ds, blocks),) = ray.datasets
    ((_, kw),) = ds.calls
    assert blocks == 3 and kw["batch_size"] == 1 and kw["num_cpus"] == 1
    assert kw["compute"] == ("actors", {"size": 3})  # never more actors than items
    assert ray.shutdowns == 0  # a Ray that was running before is left running


@pytest.mark.parametrize(
    ("cpus", "threads", "actors", "n", "size"),
    [(8, 1, None, 5, 5), (8, 2, None, 5, 4), (8, 16, None, 2, 1), ("none", 1, None, 3, 1),
     (8, 1, 2, 5, 2)],
)  # fmt: skip
def test_corpus_records_sizes_its_actor_pool(fake, tmp_path, cpus, threads, actors, n, size):
    ray = fake(cpus=cpus)
    tasks = [(Item(f"k{i}", "/nowhere.wav"), f"k{i}") for i in range(n)]
    options = CorpusOptions(vad="energy", num_threads=threads)
    got = list(ray_mod.corpus_records(tasks, _out(tmp_path), options, actors=actors))
    assert [r["status"] for r in got] == ["failed"] * n
    ((ds, _),) = ray.datasets
    assert ds.calls[0][1]["compute"] == ("actors", {"size": size})
    assert ds.calls[0][1]["num_cpus"] == threads


def test_corpus_records_of_nothing_starts_nothing(fake, tmp_path):
    ray = fake()
    assert list(ray_mod.corpus_records([], tmp_path, OPTIONS)) == []
    assert ray.inits == [] and ray.datasets == []


def test_a_ray_that_fails_mid_job_keeps_the_records_so_far(fake, tmp_path):
    cause = "x" * 299 + "Y" + "z" * 700  # only the first 300 characters are shown
    ray = fake(fail_after=2, error=RuntimeError(cause))
    got = []
    with pytest.raises(sq.AudiosqueezeError) as e:
        for record in ray_mod.corpus_records(_tasks(tmp_path, 4), _out(tmp_path), OPTIONS):
            got.append(record)
    assert [r["key"] for r in got] == ["c0", "c1"]
    assert f"the Ray job stopped (RuntimeError: {'x' * 299}Y); the records so far" in str(e.value)
    assert "rerun to resume" in str(e.value)
    assert ray.shutdowns == 1  # it started this Ray, so it stops it


# -- connect -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "cpus", "init"),
    [("local", 3, {"num_cpus": 3}), (None, None, {"num_cpus": None}),
     ("auto", 3, {"address": "auto"}), ("ray://h:10001", None, {"address": "ray://h:10001"})],
)  # fmt: skip
def test_connect_starts_a_quiet_local_cluster_or_reaches_an_address(fake, address, cpus, init):
    import logging

    ray = fake()
    assert ray_mod.connect(address, cpus) == (ray, True)
    ((kw,),) = [ray.inits]
    quiet = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
    assert kw == {**init, **quiet}
    assert ray.context.enable_progress_bars is False


def test_connect_uses_a_ray_already_running(fake):
    ray = fake(cpus=4)
    assert ray_mod.connect("auto") == (ray, False)
    assert ray.inits == []


@pytest.mark.parametrize("error", [ConnectionError("refused"), ValueError("bad address")])
def test_a_ray_that_cannot_be_reached_is_one_clear_error(fake, error):
    fake(init_error=error)
    with pytest.raises(sq.AudiosqueezeError, match=f"cannot start or reach Ray at 'auto': {error}"):
        ray_mod.connect("auto")


def test_a_local_cluster_has_a_cpu_for_every_thread_of_every_actor(fake, tmp_path):
    # before: Ray was started with `actors` CPUs while each actor reserves `num_threads`, so
    # `corpus --ray --jobs 2 --threads 2` ran on one actor (checked on a real cluster)
    ray = fake()
    tasks = [(Item(f"k{i}", "/nowhere.wav"), f"k{i}") for i in range(3)]
    options = CorpusOptions(vad="energy", num_threads=2)
    list(ray_mod.corpus_records(tasks, _out(tmp_path), options, actors=2))
    assert ray.inits[0]["num_cpus"] == 4
    ((ds, _),) = ray.datasets
    assert ds.calls[0][1]["compute"] == ("actors", {"size": 2})
    assert ds.calls[0][1]["num_cpus"] == 2
