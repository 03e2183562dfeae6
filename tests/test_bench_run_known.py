"""The benchmark driver (``bench.run``) on planted answers, fast: a fake recogniser whose words
depend on what it hears, a planted method in place of ours (``apply`` spied), a tiny data
folder, a fake clock for the recogniser's seconds and an in-process stand-in for the worker
pool. The slow end-to-end runs (Silero, real workers, Whisper) are in ``test_bench.py``."""

from __future__ import annotations

import dataclasses
import json
import types

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("jiwer", reason="bench needs the [bench] extra")
pytest.importorskip("whisper_normalizer", reason="bench needs the [bench] extra")

from audiosqueeze.bench import run  # noqa: E402
from audiosqueeze.bench.methods import MethodOutput, apply  # noqa: E402
from audiosqueeze.datasets import Gap, Utterance  # noqa: E402
from audiosqueeze.errors import OptionsError  # noqa: E402
from audiosqueeze.timemap import TimeMap  # noqa: E402
from audiosqueeze.tokens import tokens  # noqa: E402
from audiosqueeze.transcript import Transcript, Word  # noqa: E402

SR = 16000
N = SR  # every planted clip is 1 s long


class LengthASR:
    """Hears only the length of its input: the full clip is 'hello world' with 'hello' at
    0.1 s, half of it 'hello world' with 'hello' 50 ms later; counts calls."""

    def __init__(self, name="fake", config=None):
        self.name = name
        self.config = config or {"backend": name}
        self.calls = 0

    def transcribe(self, samples):
        self.calls += 1
        assert len(samples) > 0, "empty audio was sent to the recogniser"
        hello = Word("Hello", 0.1, 0.2) if len(samples) == N else Word("Hello", 0.15, 0.2)
        return Transcript("Hello world.", (hello, Word("world.", 0.3, 0.4)))


def planted_method(m, x, *, analysis=None):
    """``sq-0.5``: the first half kept, the second cut; ``sq-1.0``: nothing kept; anything
    else: the real method. Records (method, analysis) of every call."""
    planted_method.calls.append((m, analysis))
    n = len(x)
    if m.startswith("sq-0.5"):
        tm = TimeMap.from_knots([0, n // 2, n], [0, n // 2, n // 2])
        return MethodOutput(m, x[: n // 2], tm, np.array([[n // 2, n]]), 0.0, False)
    if m.startswith("sq-1.0"):
        tm = TimeMap.from_knots([0, n], [0, 0])
        return MethodOutput(m, x[:0], tm, np.array([[0, n]]), 0.0, True)
    return apply(m, x)


@pytest.fixture
def spied(monkeypatch):
    """``apply`` planted, ``analyze`` recorded, and a clock that moves 0.25 s per reading."""
    planted_method.calls = []
    monkeypatch.setattr(run, "apply", planted_method)
    analysed = []

    def analyze(audio):
        analysed.append(audio)
        return f"analysis-{len(analysed)}"

    monkeypatch.setattr("audiosqueeze.pipeline.analyze", analyze)
    clock = iter(np.arange(0, 1000, 0.25))
    monkeypatch.setattr(run, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    return types.SimpleNamespace(apply=planted_method.calls, analysed=analysed)


@pytest.fixture
def data(tmp_path):
    """Test split: c0 (test-clean), c1 (test-other), c2 (Common Voice validated); d0 is dev."""
    rows = []
    for i, (uid, ds, subset) in enumerate(
        [("c0", "librispeech", "test-clean"), ("d0", "librispeech", "dev-clean"),
         ("c1", "librispeech", "test-other"), ("c2", "commonvoice", "validated")]
    ):  # fmt: skip
        x = np.random.default_rng(i).standard_normal(N) * 0.01
        sf.write(tmp_path / f"{uid}.flac", x, SR)
        rows.append({"id": uid, "path": f"{uid}.flac", "text": "hello world", "dataset": ds,
                     "split": subset})  # fmt: skip
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- options -----------------------------------------------------------------------------------


def test_library_defaults_are_the_clis(tmp_path):
    """``BenchOptions`` without options runs what ``audiosqueeze bench`` without them runs."""
    from audiosqueeze.bench.cli import bench

    cli = {p.name: p.default for p in bench.params}
    o = run.BenchOptions(data=tmp_path, out=tmp_path)
    assert (o.split, o.longform_count, o.seed, o.jobs, o.limit) == (
        cli["split"], cli["longform_count"], cli["seed"], cli["jobs"], cli["limit"]
    )  # fmt: skip
    assert ",".join(o.datasets) == cli["datasets"] and o.asr == (cli["asr"],)
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.seed = 3


@pytest.mark.parametrize(
    ("kwargs", "ok"),
    [
        ({"limit": 1}, True),
        ({"limit": 0}, False),
        ({"jobs": 64}, True),
        ({"jobs": 1}, True),
        ({"jobs": 65}, False),
        ({"asr": (LengthASR(),)}, True),  # a loaded object is taken as it is
        ({"asr": (object(),)}, False),  # neither a name nor a recogniser
        ({"datasets": ("librispeech:/some/dir",)}, True),
        ({"datasets": ("hf:a/b:c:train",)}, True),
        ({"datasets": ("nonspeech", "longform-hard")}, True),
        ({"datasets": ("tedlium:/x",)}, False),
    ],
)
def test_options_edges(tmp_path, kwargs, ok):
    if ok:
        assert run.BenchOptions(data=tmp_path, out=tmp_path, **kwargs)
    else:
        with pytest.raises(OptionsError):
            run.BenchOptions(data=tmp_path, out=tmp_path, **kwargs)


# -- datasets ----------------------------------------------------------------------------------


def test_manifest_datasets_keep_the_split_and_the_limit_in_manifest_order(data, tmp_path):
    def ids(**kw):
        o = run.BenchOptions(data=data, out=tmp_path / "o", datasets=("librispeech",
                             "commonvoice"), **kw)  # fmt: skip
        return {k: [u.id for u in v] for k, v in run.load_utterances(o).items()}

    assert ids() == {"librispeech": ["c0", "c1"], "commonvoice": ["c2"]}
    assert ids(limit=1) == {"librispeech": ["c0"], "commonvoice": ["c2"]}
    assert ids(split="dev") == {"librispeech": ["d0"], "commonvoice": []}


def _recording(uid):
    return Utterance(uid, "a b", "longform", "test", samples=np.zeros(N, np.float32),
                     duration_s=1.0, gaps=(Gap(0, 800, 0, "noise"),))  # fmt: skip


def test_generated_sets_get_the_options_and_are_described_beside_the_results(
    data, tmp_path, monkeypatch
):
    from audiosqueeze.datasets import longform, nonspeech

    seen = {}

    def longform_set(root, split, *, seed, count):
        seen["longform"] = (root, split, seed, count)
        return [_recording("lf0"), _recording("lf1")]

    def from_nonspeech(root, split):
        seen.setdefault("nonspeech", []).append((root, split))
        return [Utterance("n0", "", "nonspeech", "test", samples=np.zeros(10, np.float32))]

    def make_hard(clips, noise, *, count, seed, split):
        seen["hard"] = ([u.id for u in clips], [u.id for u in noise], count, seed, split)
        return [_recording("h0")]

    monkeypatch.setattr(longform, "longform_set", longform_set)
    monkeypatch.setattr(nonspeech, "from_nonspeech", from_nonspeech)
    monkeypatch.setattr(longform, "make_hard_longform", make_hard)
    out = tmp_path / "not" / "yet"  # its parents do not exist yet
    o = run.BenchOptions(data=data, out=out, datasets=("longform", "nonspeech", "longform-hard"),
                         longform_count=2, seed=7, limit=1)  # fmt: skip
    for _ in range(2):  # the second time into a folder that exists
        got = run.load_utterances(o)
    assert {k: [u.id for u in v] for k, v in got.items()} == {
        "longform": ["lf0"], "nonspeech": ["n0"], "longform-hard": ["h0"]
    }  # fmt: skip
    assert seen["longform"] == (data, "test", 7, 2)
    assert seen["nonspeech"][0] == (data, "test")
    assert seen["hard"] == (["c0", "c1", "c2"], ["n0"], 2, 7, "test")
    lf = json.loads((out / "longform.json").read_text())
    assert lf[0]["id"] == "lf0" and lf[0]["duration_s"] == 1.0
    assert lf[0]["gaps"] == [{"start": 0, "end": 800, "word_index": 0, "kind": "noise"}]
    assert [r["id"] for r in json.loads((out / "longform-hard.json").read_text())] == ["h0"]
    alone = tmp_path / "hard" / "only"  # the harder set first, into a folder not made yet
    run.load_utterances(dataclasses.replace(o, out=alone, datasets=("longform-hard",)))
    assert [r["id"] for r in json.loads((alone / "longform-hard.json").read_text())] == ["h0"]


@pytest.mark.parametrize(
    ("spec", "call"),
    [
        ("librispeech:/ls", ("from_librispeech", ("/ls",))),
        ("commonvoice:/cv", ("from_commonvoice", ("/cv", "dev"))),  # the run's split
        ("commonvoice:/cv:other", ("from_commonvoice", ("/cv", "other"))),
        ("hf:a/b", ("from_huggingface", ("a/b", "dev", None))),
        ("hf:a/b:cfg", ("from_huggingface", ("a/b", "dev", "cfg"))),
        ("hf:a/b::train", ("from_huggingface", ("a/b", "train", None))),
        ("hf:a/b:cfg:train", ("from_huggingface", ("a/b", "train", "cfg"))),
    ],
)
def test_external_specs_reach_their_readers(tmp_path, monkeypatch, spec, call):
    import audiosqueeze.datasets as datasets

    calls = []
    u = Utterance("x", "hi", "ext", "dev", samples=np.zeros(10, np.float32))
    for name in ("from_librispeech", "from_commonvoice", "from_huggingface"):
        # from_huggingface hands back an iterator, the others a list
        kind = iter if name == "from_huggingface" else list
        fake = lambda *a, _n=name, _k=kind: calls.append((_n, a)) or _k([u])  # noqa: E731
        monkeypatch.setattr(datasets, name, fake)
    o = run.BenchOptions(data=tmp_path, out=tmp_path / "o", datasets=(spec,), split="dev")
    assert run.load_utterances(o) == {spec: [u]}
    assert calls == [call]


# -- scores ------------------------------------------------------------------------------------


def _w(text, a, b):
    return Word(text, a, b)


def test_score_places_errors_by_mapped_word_times_and_measures_timestamp_drift():
    """4 s; the method plays 1-3 s twice as fast (out 3 s). Heard on the output: 'red' late
    (0.9 s, 0.9 s after the original's), 'you' inserted at 0.6 s, 'grin' for 'green' at
    compressed 1.6 s = original 2.2 s (inside the edit). The original's transcript: 'grown'
    for 'green' at 1.7 s (inside), the rest right."""
    x = np.zeros(4 * SR, np.float32)
    u = Utterance("u", "Red green, blue black.", "librispeech", "test-clean", samples=x)
    tm = TimeMap.from_knots([0, SR, 3 * SR, 4 * SR], [0, SR, 2 * SR, 3 * SR])
    out = MethodOutput("sq-x", np.zeros(3 * SR, np.float32), tm, np.array([[SR, 3 * SR]]), 0.5)
    t = Transcript("red you grin blue black", (_w("red", 0.9, 0.95), _w("you", 0.6, 0.7),
                   _w("grin", 1.5, 1.7), _w("blue", 2.2, 2.4), _w("black", 2.5, 2.8)))  # fmt: skip
    base = Transcript("red grown blue black", (_w("red", 0.0, 0.4), _w("grown", 1.5, 1.9),
                      _w("blue", 3.2, 3.4), _w("black", 3.5, 3.8)))  # fmt: skip
    row = run.score(u, len(x), out, t, base)
    assert (row["input_s"], row["output_s"], row["edited_s"]) == (4.0, 3.0, 2.0)
    assert (row["gemini_before"], row["gemini_after"]) == (tokens(4.0), tokens(3.0)) == (128, 96)
    assert (row["ref"], row["hyp"], row["method_s"]) == ("red green blue black", t.text, 0.5)
    assert row["words"] == [4, 3, 1, 0, 1]
    assert (row["errors_edited"], row["errors_untouched"]) == (1, 1)  # grin; you
    assert (row["base_errors_edited"], row["base_errors_untouched"]) == (1, 0)  # grown
    assert row["ts_error_ms"] == [900, 0, 0]  # red, blue, black: the words both agree on
    assert row["gaps"] is None and row["parts_cut"] is None
    # the original itself: no drift to measure against itself
    none = run.score(u, len(x), apply("none", x), base, base)
    assert none["ts_error_ms"] is None and none["edited_s"] == 0.0
    # no time map (trim): nothing placed; no words: nothing placed; no base: only ours placed
    trim = dataclasses.replace(out, timemap=None)
    assert run.score(u, len(x), trim, t, base)["errors_edited"] is None
    assert run.score(u, len(x), out, Transcript(t.text), base)["errors_edited"] is None
    alone = run.score(u, len(x), out, t, None)
    assert (alone["errors_edited"], alone["base_errors_edited"], alone["ts_error_ms"]) == (
        1, None, None
    )  # fmt: skip


def test_score_counts_a_stored_reference_as_it_is():
    """A recording's stored normalised reference is not normalised again (the normaliser is
    not idempotent: '20 1' would become '20 one'); the counts are of the row's ref and hyp."""
    x = np.zeros(SR, np.float32)
    u = Utterance("u", "Twenty. One.", "longform", "test", samples=x, reference="20 1")
    row = run.score(u, len(x), apply("none", x), Transcript("20 1"), None)
    assert (row["ref"], row["hyp"]) == ("20 1", "20 one")
    assert row["words"] == [2, 1, 1, 0, 0]  # '1' -> 'one'
    assert row["chars"] == [4, 3, 1, 0, 2]  # '1' -> 'o', 'n' 'e' inserted


def test_score_of_a_long_recording_counts_insertions_per_stretch_and_parts_cut():
    """6 s: stretches 0-1 s, 2-3 s, 5-5.5 s and 5.5-6 s around the parts 1-2 s and 3-5 s; the
    method cuts 0.5-1.5 s and 4-4.5 s, half of the first part and a quarter of the second."""
    x = np.zeros(6 * SR, np.float32)
    half = SR // 2
    gaps = (Gap(0, SR, 0, "silence"), Gap(2 * SR, 3 * SR, 1, "noise"),
            Gap(5 * SR, 5 * SR + half, 2, "hum"),
            Gap(5 * SR + half, 6 * SR, 2, "music"))  # fmt: skip
    u = Utterance("lf", "red green", "longform", "test", samples=x, gaps=gaps)
    knots = [0, SR // 2, 3 * SR // 2, 4 * SR, 9 * SR // 2, 6 * SR]
    tm = TimeMap.from_knots(knots, [0, SR // 2, SR // 2, 3 * SR, 3 * SR, 9 * SR // 2])
    out = MethodOutput("sq-x", np.zeros(9 * SR // 2, np.float32), tm, np.zeros((0, 2)), 0.0)
    row = run.score(u, len(x), out, Transcript("thank red you you green"), None)
    assert row["gaps"] == [["silence", 1.0, 1], ["noise", 1.0, 2], ["hum", 0.5, 0],
                           ["music", 0.5, 0]]  # fmt: skip
    assert row["parts_cut"] == [0.5, 0.25]
    kept = run.score(u, len(x), apply("none", x), Transcript("red green"), None)
    assert kept["parts_cut"] == [0.0, 0.0]
    trim = dataclasses.replace(out, timemap=None)
    assert run.score(u, len(x), trim, Transcript("red green"), None)["parts_cut"] is None


# -- runs --------------------------------------------------------------------------------------


def test_a_run_writes_every_row_in_order_with_the_originals_transcript_as_base(
    data, tmp_path, spied
):
    a, b = LengthASR("a"), LengthASR("b")
    opts = run.BenchOptions(data=data, out=tmp_path / "o", asr=(a, b),
                            datasets=("librispeech", "commonvoice"),
                            methods=("sq-0.5", "none", "sq-1.0"))  # fmt: skip
    seen = []
    rows = lines(run.run_bench(opts, lambda *p: seen.append(p)))
    methods = ["none", "sq-0.5", "sq-1.0"]  # the original first, heard once
    assert [(r["id"], r["asr"], r["method"]) for r in rows] == [
        (i, asr, m) for i in ("c0", "c1", "c2") for asr in "ab" for m in methods
    ]
    assert [r["dataset"] for r in rows] == ["librispeech"] * 12 + ["commonvoice"] * 6
    assert all(set(r) == set(run.ROW_FIELDS) for r in rows)
    assert {r["split"] for r in rows} == {"test"}
    assert [r["asr_config"] for r in rows[:6]] == [a.config] * 3 + [b.config] * 3
    # each recording analysed once and that analysis handed to our methods only
    assert len(spied.analysed) == 3 and np.array_equal(
        spied.analysed[2].samples, run.split_utterances(data, "test", "commonvoice")[0].load()
    )
    assert spied.apply[:3] == [("none", "analysis-1"), ("sq-0.5", "analysis-1"),
                               ("sq-1.0", "analysis-1")]  # fmt: skip
    # the empty output is not sent: an empty transcript in no time
    empty = [r for r in rows if r["method"] == "sq-1.0"]
    assert all((r["hyp"], r["asr_s"], r["cached"]) == ("", 0.0, False) for r in empty)
    assert all(r["no_speech"] for r in empty)
    assert (a.calls, b.calls) == (6, 6)  # 3 recordings x (none, sq-0.5)
    heard = [r for r in rows if r["method"] != "sq-1.0"]
    assert all((r["asr_s"], r["cached"]) == (0.25, False) for r in heard)
    # timestamps against the original's transcript: 'hello' came 50 ms late
    assert [r["ts_error_ms"] for r in rows[:3]] == [None, [50, 0], None]
    assert [r["words"] for r in rows[:2]] == [[2, 2, 0, 0, 0]] * 2
    assert seen == [(f"b · {d} · sq-1.0", k, 18) for d, k in
                    (("librispeech", 6), ("librispeech", 12), ("commonvoice", 18))]  # fmt: skip

    # a second run hears nothing anew and gives the same rows, the first run's seconds too
    again = lines(run.run_bench(opts))
    assert (a.calls, b.calls) == (6, 6)
    assert all(r["cached"] for r in again if r["method"] != "sq-1.0")
    strip = lambda r: {**r, "cached": None, "method_s": None}  # noqa: E731
    assert [strip(r) for r in again] == [strip(r) for r in rows]


def test_dithered_methods_get_no_analysis(data, tmp_path, spied):
    opts = run.BenchOptions(data=data, out=tmp_path / "o", asr=(LengthASR(),),
                            datasets=("commonvoice",), methods=("none", "sq-0.5@d1"))  # fmt: skip
    rows = lines(run.run_bench(opts))
    assert [r["method"] for r in rows] == ["none", "sq-0.5@d1"]
    assert spied.analysed == [] and [a for _, a in spied.apply] == [None, None]


def _row(**kw):
    return {**dict.fromkeys(run.ROW_FIELDS), "asr": "fake", "dataset": "librispeech",
            "split": "test", "id": "c0", "method": "none", **kw}  # fmt: skip


def test_a_run_keeps_the_earlier_rows_it_does_not_redo(data, tmp_path, spied):
    out = tmp_path / "o"
    out.mkdir()
    kept = [_row(method="dither-1"), _row(split="dev"), _row(asr="other"), _row(id="c9")]
    redone = [_row(), _row(id="c1")]
    text = "".join(json.dumps(r) + "\n" for r in kept[:2] + redone[:1] + kept[2:3])
    text += '[1]\n{"asr": "fake", "id": [1]}\nnot json\n' + json.dumps(redone[1]) + "\n"
    (out / "results.jsonl").write_text(text + json.dumps(kept[3]))  # the last line unended
    opts = run.BenchOptions(data=data, out=out, asr=(LengthASR(),),
                            datasets=("librispeech",), methods=("none",))  # fmt: skip
    seen = []
    rows = lines(run.run_bench(opts, lambda *p: seen.append(p[1:])))
    assert rows[:4] == kept  # in their order, at the top; junk dropped
    assert [(r["id"], r["method"], r["hyp"]) for r in rows[4:]] == [
        ("c0", "none", "hello world"), ("c1", "none", "hello world")
    ]  # fmt: skip
    assert seen == [(1, 2), (2, 2)]  # rows of this run only


def test_a_run_into_a_new_folder_without_progress(data, tmp_path, spied):
    out = tmp_path / "new" / "folder"
    opts = run.BenchOptions(data=data, out=out, asr=(LengthASR(),), datasets=("commonvoice",),
                            methods=("none",))  # fmt: skip
    assert run.run_bench(opts) == out / "results.jsonl"
    assert [r["id"] for r in lines(out / "results.jsonl")] == ["c2"]
    assert (out / "cache").is_dir()


def test_recognisers_named_by_spec_are_loaded_once_here_with_the_options(
    data, tmp_path, spied, monkeypatch
):
    loaded = []

    def load_asr(spec, **kw):
        loaded.append((spec, kw))
        return LengthASR(spec)

    monkeypatch.setattr(run, "load_asr", load_asr)
    opts = run.BenchOptions(data=data, out=tmp_path / "o", asr=("whisper-base",),
                            datasets=("commonvoice",), methods=("none",),
                            asr_options={"temperature_fallback": False})  # fmt: skip
    rows = lines(run.run_bench(opts))
    assert loaded == [("whisper-base", {"temperature_fallback": False})]
    assert [r["asr"] for r in rows] == ["whisper-base"]


class InlinePool:
    """``ProcessPoolExecutor`` run in this process: the initializer, then the tasks in order."""

    made: list = []

    def __init__(self, jobs, mp_context, initializer, initargs):
        InlinePool.made.append({"jobs": jobs, "start": mp_context.get_start_method()})
        initializer(*initargs)

    def map(self, fn, tasks):
        return map(fn, tasks)

    def shutdown(self, **kw):
        InlinePool.made[-1]["shutdown"] = kw


@pytest.fixture
def inline_pool(monkeypatch):
    import concurrent.futures

    InlinePool.made = []
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", InlinePool)
    monkeypatch.setattr(run, "_WORKER", ())
    return InlinePool.made


def test_jobs_load_the_recognisers_in_the_workers_only(
    data, tmp_path, spied, monkeypatch, inline_pool
):
    loaded = []

    def load_asr(spec, **kw):
        loaded.append((spec, kw))
        return LengthASR(spec)

    monkeypatch.setattr(run, "load_asr", load_asr)
    out = tmp_path / "o"
    out.mkdir()
    old = _row(asr="whisper-base", dataset="commonvoice", id="c2", hyp="stale")
    (out / "results.jsonl").write_text(json.dumps(old) + "\n")
    opts = run.BenchOptions(data=data, out=out, asr=("whisper-base",), datasets=("commonvoice",),
                            methods=("none",), jobs=3, asr_options={"beam": 1})  # fmt: skip
    rows = lines(run.run_bench(opts))
    assert loaded == [("whisper-base", {"beam": 1})]  # by the worker; the parent loads none
    assert inline_pool == [{"jobs": 3, "start": "spawn", "shutdown": {"cancel_futures": True}}]
    # the parent names the recogniser from its spec: the stale row is redone, not kept
    assert [(r["asr"], r["id"], r["hyp"]) for r in rows] == [("whisper-base", "c2", "hello world")]
    assert (out / "cache").is_dir() and any((out / "cache").iterdir())  # the workers' cache


def test_a_worker_that_cannot_load_hands_its_error_to_the_parent(
    data, tmp_path, spied, monkeypatch, inline_pool
):
    err = OptionsError("no model at /nowhere")

    def load_asr(spec, **kw):
        raise err

    monkeypatch.setattr(run, "load_asr", load_asr)
    opts = run.BenchOptions(data=data, out=tmp_path / "o", asr=("whisper-base",),
                            datasets=("commonvoice",), methods=("none",), jobs=2)  # fmt: skip
    with pytest.raises(OptionsError) as e:
        run.run_bench(opts)
    assert e.value is err
    assert inline_pool[0]["shutdown"] == {"cancel_futures": True}
