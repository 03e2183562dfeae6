"""The benchmark scripts no other test runs, each run once, cheaply, on planted or tiny inputs.

Each test checks what the script prints (numbers that must hold for the planted input, table
headers, row counts), not only that it ends with 0; a bad input is one line and exit status 2
(``_script.run_script``). The planted data folder holds the bundled demo clip under every
split. Tests that need Whisper (faster-whisper), Ray or the [bench] extra (scoring) skip
without them; those that read the long-form set need ``../shared/data``. Cut down where a real
run is too slow: ``memory_60min.py`` builds a 6-second file, not 60 minutes (and ``build`` is
checked sample by sample); ``decode_repeat.py`` decodes with a planted recogniser, not Whisper
on a long-form recording; ``confidence_signal.py`` reads bench folders made with a planted
recogniser; ``corpus_throughput.py``'s one-clip run (about 15 s, most of it Ray's start-up)
is marked slow and skips without Ray.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import audiosqueeze as sq
from conftest import REPO, has_module, load_script, needs_silero, run_benchmark, silero_available

DEMO = REPO / "src" / "audiosqueeze" / "data" / "demo_common_voice_en_73.flac"
DEMO_TEXT = "His life and his path had always provided him with enough omens."  # ATTRIBUTION.md
NO_WHISPER = "faster-whisper (the [whisper] extra) not installed"
needs_whisper = pytest.mark.skipif(not has_module("faster_whisper"), reason=NO_WHISPER)
#: scoring (``evaluate``: jiwer and Whisper's normaliser) is the [bench] extra
HAS_BENCH = has_module("jiwer") and has_module("whisper_normalizer")
needs_bench = pytest.mark.skipif(not HAS_BENCH, reason="jiwer, whisper-normalizer ([bench])")
#: one manifest split per dataset and split of ``datasets.SPLITS``
PLANTED_SPLITS = {
    ("librispeech", "dev"): "train-clean-5",
    ("commonvoice", "dev"): "cv-valid-dev",
    ("librispeech", "test"): "test-other",
    ("commonvoice", "test"): "cv-valid-test",
}


def one_line_error(r, script: str, says: str) -> None:
    """Exit status 2 and one error line (after argparse's usage, for a bad flag)."""
    assert r.returncode == 2, r.stderr
    *usage, last = r.stderr.splitlines()
    assert "Traceback" not in r.stderr and (not usage or usage[0].startswith("usage: ")), r.stderr
    assert last.startswith(f"{script}: error: ") and says in last, r.stderr


def run_main(monkeypatch, capsys, script: str, *args: str) -> str:
    """``benchmarks/SCRIPT ARGS`` in this process (no interpreter start-up): its stdout."""
    mod = load_script(f"benchmarks/{script}")
    monkeypatch.setattr(sys, "argv", [script, *args])
    mod.main()
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A data folder whose every split holds the bundled demo clip (8.448 s) twice, as clips
    ``{dataset}-{split}-0`` and ``-1``; and an empty one (a manifest without rows)."""
    root = tmp_path_factory.mktemp("planted")
    shutil.copy(DEMO, root / "demo.flac")
    rows = [
        {"id": f"{ds}-{split}-{i}", "path": "demo.flac", "text": DEMO_TEXT, "dataset": ds,
         "split": sub, "duration_s": 8.448}
        for (ds, split), sub in PLANTED_SPLITS.items()
        for i in range(2)
    ]  # fmt: skip
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    empty = root / "empty"
    empty.mkdir()
    (empty / "manifest.jsonl").write_text("")
    return root


@pytest.fixture(scope="module")
def demo() -> np.ndarray:
    return sq.load(DEMO).samples


# --- longform_parts.py ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--decay", "abc"], "argument --decay: need numbers like 3,10,20, got 'abc'"),
        (["--decay", "3,-1"], "--decay must be numbers >= 0 dB/s"),
    ],
)
def test_longform_parts_refuses_a_bad_decay_in_one_line(tmp_path, args, says):
    one_line_error(run_benchmark(tmp_path, "longform_parts.py", *args), "longform_parts.py", says)


@needs_silero
@needs_bench  # the long-form set's references are normalised (evaluate.normalize)
def test_longform_parts_prints_a_row_per_utterance_and_no_unknown_id(shared_data, tmp_path):
    r = run_benchmark(tmp_path, "longform_parts.py", "--count", "1", "--decay", "3,300",
                      data=shared_data)  # fmt: skip
    assert r.returncode == 0, r.stderr
    head, table = r.stdout.splitlines()[0], r.stdout.splitlines()[1:]
    n = int(re.fullmatch(r"longform-0-00 \(dev\): [\d.]+ s, (\d+) utterances", head)[1])
    assert table[0].endswith("| speech, 3 dB/s | speech, 300 dB/s |")
    rows = [line.split(" | ") for line in table[2:]]
    assert [int(c[0].strip("| ")) for c in rows] == list(range(n)) and n > 1
    shares = np.array([[float(c.strip(" |")) for c in row[-2:]] for row in rows])
    assert ((shares >= 0) & (shares <= 1)).all() and shares.max() > 0.5
    r = run_benchmark(tmp_path, "longform_parts.py", "--count", "1", "--id", "longform-0-05",
                      data=shared_data)  # fmt: skip
    says = "no recording 'longform-0-05'; the set has longform-0-00"
    one_line_error(r, "longform_parts.py", says)


@needs_silero
def test_longform_parts_speech_mask_is_the_analysis_with_that_decay(demo):
    """The default decay gives the default analysis' speech; the gain is put back after."""
    import importlib

    analyze_module = importlib.import_module("audiosqueeze.analyze")  # not the function
    lp = load_script("benchmarks/longform_parts.py")
    gain = analyze_module.LevelGain
    x = np.concatenate([np.zeros(16000, np.float32), demo])
    mask = lp.speech_mask(x, 3.0)
    assert analyze_module.LevelGain is gain
    want = np.zeros(len(x), bool)
    for a, b in sq.analyze(x, sample_rate=sq.SAMPLE_RATE).intervals("speech"):
        want[a:b] = True
    assert np.array_equal(mask, want) and not mask[:16000].any() and mask.sum() > 16000


# --- decode_repeat.py (no Whisper decode of a long-form recording: a planted recogniser) -----


@pytest.mark.parametrize("bad", ["nope", "longform-0", "longform-a-1", "longform--1-2", "lf-0-1"])
def test_decode_repeat_refuses_a_malformed_id_before_reading_data(tmp_path, bad):
    r = run_benchmark(tmp_path, "decode_repeat.py", "--id", bad, data=tmp_path / "missing")
    one_line_error(r, "decode_repeat.py", f"--id must look like longform-SEED-K, got {bad!r}")


@needs_bench
def test_decode_repeat_refuses_a_recording_past_the_set(shared_data, tmp_path):
    r = run_benchmark(tmp_path, "decode_repeat.py", "--id", "longform-0-06", data=shared_data)
    one_line_error(r, "decode_repeat.py", "no recording 'longform-0-06': the set has 6")


@needs_bench
def test_decode_repeat_counts_distinct_decodes(shared_data, monkeypatch, capsys):
    """A planted recogniser that answers differently on every call with the fallback on and
    the same without: 3 distinct decodes, then 1; word counts and text hashes as given."""
    import hashlib
    from types import SimpleNamespace

    pytest.importorskip("ctranslate2", reason="ctranslate2 (the [whisper] extra) not installed")
    dr = load_script("benchmarks/decode_repeat.py")
    calls = []

    def load_asr(name, **options):
        fallback = options.get("temperature_fallback", True)

        def transcribe(x):
            calls.append((len(x), fallback))
            n = sum(1 for _, f in calls if f == fallback)
            return SimpleNamespace(text=" ".join(["word"] * (n if fallback else 4)))

        return SimpleNamespace(transcribe=transcribe)

    monkeypatch.setattr(dr, "load_asr", load_asr)
    monkeypatch.setattr(sys, "argv", ["decode_repeat.py", "--data", str(shared_data),
                                      "--id", "longform-0-01", "--repeats", "3"])  # fmt: skip
    dr.main()
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"longform-0-01, original, [\d.]+ s, whisper-tiny.en", out[0])
    seconds = float(out[0].split(", ")[2].split()[0])
    assert len(calls) == 6 and len({n for n, _ in calls}) == 1  # the same array each time
    assert calls[0][0] == pytest.approx(seconds * 16000, abs=800)
    h = {n: hashlib.sha1(" ".join(["word"] * n).encode()).hexdigest()[:6] for n in (1, 2, 3, 4)}
    assert out[4] == f"| fallback on, seed 0 each time | 1 ({h[1]}), 2 ({h[2]}), 3 ({h[3]}) | 3 |"
    assert out[5] == f"| temperature 0 only | 4 ({h[4]}), 4 ({h[4]}), 4 ({h[4]}) | 1 |"


# --- memory_60min.py (a 6-second file, not 60 minutes) ----------------------------------------


def test_memory_60min_builds_the_file_from_librispeech_clips_in_order(planted, tmp_path):
    import soundfile as sf

    m60 = load_script("benchmarks/memory_60min.py")
    got = m60.build(planted, 0.25, tmp_path / "long.flac")  # 15 s: the 8.448-s clip, then part
    assert got == 15.0
    y, sr = sf.read(tmp_path / "long.flac", dtype="int16")
    clip = sf.read(DEMO, dtype="int16")[0]
    assert sr == 16000 and np.array_equal(y, np.concatenate([clip, clip])[: 15 * 16000])


def test_memory_60min_prints_both_paths(planted, tmp_path):
    r = run_benchmark(tmp_path, "memory_60min.py", "--minutes", "0.1", data=planted)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "built long.flac: 0.1 min, 0 MB FLAC; max_segment_ms=64"
    assert lines[1] == "| path | peak RSS (MB) | wall s | x real time | output min |"
    rows = [line.split(" | ") for line in lines[3:]]
    assert [c[0] for c in rows] == ["| compress_file (CLI)", "| compress(path), output held"]
    for c in rows:
        assert 20 < float(c[1]) < 1000 and float(c[3]) > 0 and 0 < float(c[4].strip(" |")) <= 0.1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--minutes", "0"], "--minutes must be a number > 0, got 0"),
        (["--minutes", "-1"], "--minutes must be a number > 0, got -1"),
        (["--max-segment-ms", "5"], "max_segment_ms must be a number in [64"),
        (["--max-segment-ms", "0"], "max_segment_ms must be a number in [64"),
        (["--data", "EMPTY"], "no LibriSpeech clips in "),
    ],
)
def test_memory_60min_refuses_a_bad_input_before_any_child(planted, tmp_path, args, says):
    if args[0] == "--data":
        r = run_benchmark(tmp_path, "memory_60min.py", data=planted / "empty")
    else:
        r = run_benchmark(tmp_path, "memory_60min.py", *args, data=planted)
    one_line_error(r, "memory_60min.py", says)


# --- stream_fuzz.py ---------------------------------------------------------------------------


def _fuzz(monkeypatch, capsys, planted, rounds: str, stream=None) -> tuple[int, list[str]]:
    """``stream_fuzz.py`` in this process; ``stream``: the ``Stream`` class it pushes through
    (``compress`` keeps the real one)."""
    from types import SimpleNamespace

    mod = load_script("benchmarks/stream_fuzz.py")
    if stream is not None:
        names = {n: getattr(sq, n) for n in sq.__all__}
        monkeypatch.setattr(mod, "sq", SimpleNamespace(**{**names, "Stream": stream}))
    monkeypatch.setattr(sys, "argv", ["stream_fuzz.py", "--data", str(planted),
                                      "--rounds", rounds, "--seed", "3"])  # fmt: skip
    with pytest.raises(SystemExit) as e:
        mod.main()
    return e.value.code, capsys.readouterr().out.splitlines()


@needs_silero
def test_stream_fuzz_finds_the_stream_equal_to_the_file(planted, monkeypatch, capsys):
    code, out = _fuzz(monkeypatch, capsys, planted, "2")
    assert (code, out) == (0, ["2 rounds, 0 failed"])


@needs_silero
def test_stream_fuzz_reports_a_planted_mismatch_and_a_planted_error(planted, monkeypatch, capsys):
    """A stream whose flush adds one sample differs from the file every round; one whose push
    raises is an error line naming the exception; either way the exit status is 1."""

    class Longer(sq.Stream):
        def flush(self):
            return np.append(super().flush(), np.float32(0))

    class Raises(sq.Stream):
        def push(self, chunk):
            raise RuntimeError("planted")

    code, out = _fuzz(monkeypatch, capsys, planted, "2", Longer)
    assert code == 1 and out[-1] == "2 rounds, 2 failed" and len(out) == 3, out
    for line in out[:-1]:
        assert re.fullmatch(r"differs: \S+-test-[01] max_segment_ms=\d+ rate=[\d.]+ \w+ \w+", line)
    code, out = _fuzz(monkeypatch, capsys, planted, "1", Raises)
    assert code == 1 and out[-1] == "1 rounds, 1 failed"
    assert out[0].startswith("error: ") and out[0].endswith(": RuntimeError: planted")


def test_stream_fuzz_refuses_a_split_without_clips(planted, tmp_path):
    r = run_benchmark(tmp_path, "stream_fuzz.py", "--rounds", "1", data=planted / "empty")
    one_line_error(r, "stream_fuzz.py", "no LibriSpeech or Common Voice test clips in ")


# --- stream_latency.py ------------------------------------------------------------------------


@needs_silero
def test_stream_latency_rows_hold_for_the_planted_clips(planted, demo, monkeypatch, capsys):
    """Both datasets hold the same clip: their latency and removed columns agree, and removed
    is what ``compress`` removes (stream = file); the last row is both clips as one."""
    out = run_main(monkeypatch, capsys, "stream_latency.py", "--data", str(planted),
                   "--limit", "1", "--max-segment-ms", "256")  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == ("Stream latency, rate 0.5, vad silero, 20 ms chunks, dev split, "
                        "first 1 clips per dataset")  # fmt: skip
    assert lines[1].startswith("| input | clips | minutes | p50 s | p99 s | max s | speech p50 s")
    rows = [[c.strip(" |%") for c in line.split(" | ")] for line in lines[3:6]]
    assert [r[:3] for r in rows] == [
        ["librispeech clips", "1", "0.1"],
        ["commonvoice clips", "1", "0.1"],
        ["all of them as one recording", "1", "0.3"],
    ]
    assert lines[6:] == ['{"max_segment_ms": 256.0}']
    ls, cv, both = ([float(c) for c in r[3:]] for r in rows)
    assert ls[:6] == cv[:6] and ls[-1] == cv[-1]  # latency and removed; not x real time
    for r in (ls, both):
        p50, p99, mx, s50, s99, smx, xrt, removed = r
        assert 0 <= p50 <= p99 <= mx and 0 <= s50 <= s99 <= smx <= mx and xrt > 1
    opts = sq.AnalyzeOptions(num_threads=1, max_segment_ms=256.0)
    got = sq.compress(demo, 0.5, sample_rate=16000, analyze_options=opts).audio
    want = 1 - len(got) / len(demo)
    assert ls[-1] == pytest.approx(100 * want, abs=0.051)


def test_stream_latency_refuses_a_split_without_clips(planted, tmp_path):
    r = run_benchmark(tmp_path, "stream_latency.py", data=planted / "empty")
    one_line_error(r, "stream_latency.py", "no LibriSpeech or Common Voice dev clips in ")
    assert r.stdout == ""


# --- output_hash.py ---------------------------------------------------------------------------


@needs_silero
def test_output_hash_is_the_hash_of_the_analysis_and_every_output(
    planted, demo, monkeypatch, capsys
):
    import hashlib

    args = ("output_hash.py", "--data", str(planted), "--limit", "1", "--policies", "uniform,guard")
    out = run_main(monkeypatch, capsys, *args)
    digest, rest = out.split("  ")
    assert rest == "(12 outputs, max_segment_ms=256)\n"  # 2 clips x 3 rates x 2 policies
    want, opts = hashlib.sha1(), sq.AnalyzeOptions(max_segment_ms=256.0)
    a = sq.analyze(demo, opts, sample_rate=16000)
    for _ in ("librispeech", "commonvoice"):  # the same clip twice
        want.update(repr(tuple(a.segments)).encode())
        for rate in (0.5, 0.75, 1.0):
            for policy in ("uniform", "guard"):
                po = sq.PlanOptions(speed_policy=policy)
                r = sq.compress(demo, rate, analysis=a, plan_options=po, sample_rate=16000)
                want.update(r.audio.tobytes())
    assert digest == want.hexdigest()
    assert run_main(monkeypatch, capsys, *args) == out  # the same twice
    other = run_main(monkeypatch, capsys, *args, "--max-segment-ms", "10000")
    assert other.split("  ")[0] != digest and other.endswith("max_segment_ms=10000)\n")


def test_output_hash_refuses_a_folder_without_dev_clips(planted, tmp_path):
    r = run_benchmark(tmp_path, "output_hash.py", data=planted / "empty")
    one_line_error(r, "output_hash.py", "no LibriSpeech or Common Voice dev clips in ")
    assert r.stdout == ""


# --- verify_speed.py --------------------------------------------------------------------------


@needs_silero
@needs_whisper
def test_verify_speed_times_both_and_counts_changed_plans(planted, demo, monkeypatch, capsys):
    """Two copies of one clip: verify changes both plans or neither, never shortens more than
    the core alone, and the core's reduction is ``compress``'s."""
    out = run_main(monkeypatch, capsys, "verify_speed.py", "--data", str(planted),
                   "--clips", "1", "--rate", "0.75", "--scope", "window").splitlines()  # fmt: skip
    assert out[0] == "2 test clips, 16.9 s of audio, rate 0.75, verify whisper-tiny.en, window"
    core = re.fullmatch(r"core only: +([\d.]+) x real time, ([\d.]+) % shorter", out[1])
    checked = re.fullmatch(r"with verify: +([\d.]+) x real time, ([\d.]+) % shorter", out[2])
    changed = re.fullmatch(r"plans changed by verify: (\d) of 2", out[3])
    assert core and checked and changed and len(out) == 4
    assert float(core[1]) > float(checked[1]) > 0  # verify runs Whisper
    got = sq.compress(demo, 0.75, sample_rate=16000).audio
    assert float(core[2]) == pytest.approx(100 * (1 - len(got) / len(demo)), abs=0.051)
    assert float(checked[2]) <= float(core[2]) and changed[1] in ("0", "2")
    assert (changed[1] == "0") == (checked[2] == core[2])


def test_verify_speed_refuses_a_folder_without_test_clips(planted, tmp_path):
    r = run_benchmark(tmp_path, "verify_speed.py", "--asr", "nope", data=planted / "empty")
    one_line_error(r, "verify_speed.py", "unknown ASR 'nope'")
    pytest.importorskip("faster_whisper", reason=NO_WHISPER)
    r = run_benchmark(tmp_path, "verify_speed.py", data=planted / "empty")
    one_line_error(r, "verify_speed.py", "no LibriSpeech or Common Voice test clips in ")


# --- eval_throughput.py -----------------------------------------------------------------------


@needs_silero
@needs_whisper
def test_eval_throughput_counts_the_default_methods(planted, demo, monkeypatch, capsys):
    """The estimate is over what a plain ``bench`` runs (``DEFAULT_METHODS``), not over every
    probe of ``METHODS`` (which once held Whisper-verify methods and made the estimate 10x);
    shares are each method's output length over its input."""
    from audiosqueeze.bench.methods import DEFAULT_METHODS

    out = run_main(monkeypatch, capsys, "eval_throughput.py", "--data", str(planted),
                   "--asr", "whisper-tiny.en", "--utterances", "1").splitlines()  # fmt: skip
    assert out[1] == "1 LibriSpeech test utterances, 8.4 s of audio"
    share = dict(c.rsplit(" ", 1) for c in out[2].removeprefix("audio left by each method: ")
                 .split(", "))  # fmt: skip
    assert list(share) == list(DEFAULT_METHODS)
    assert [share[m] for m in ("none", "speed-1.25", "speed-1.5", "speed-2.0")] == [
        "1.00", "0.80", "0.67", "0.50"
    ]  # fmt: skip
    got = sq.compress(demo, 0.5, sample_rate=16000).audio
    assert float(share["sq-0.5"]) == pytest.approx(len(got) / len(demo), abs=0.0051)
    total = sum(float(v) for v in share.values())
    split = re.fullmatch(r"test split \(.*\): ([\d.]+) min; after all (\d+) methods: ([\d.]+) "
                         r"min to transcribe per recogniser", out[3])  # fmt: skip
    assert split[1] == "0.6" and split[2] == str(len(DEFAULT_METHODS))  # 4 x 8.448 s
    assert float(split[3]) == pytest.approx(4 * 8.448 * total / 60, abs=0.06)
    assert out[5].startswith("| recogniser | utterances / min | real-time factor | full test-")
    row = out[7].split(" | ")
    assert row[0] == "| whisper-tiny.en" and len(out) == 8
    assert float(row[1]) == pytest.approx(60 / (float(row[2]) * 8.448), rel=0.05)


def test_eval_throughput_refuses_a_folder_without_test_clips(planted, tmp_path):
    r = run_benchmark(tmp_path, "eval_throughput.py", data=planted / "empty")
    one_line_error(r, "eval_throughput.py", "no LibriSpeech test clips in ")


# --- tsm_choice.py ----------------------------------------------------------------------------


@needs_whisper
@needs_bench
def test_tsm_choice_prints_the_original_and_each_method(planted, monkeypatch, capsys):
    out = run_main(monkeypatch, capsys, "tsm_choice.py", "--data", str(planted),
                   "--clips", "2", "--methods", "wsola").splitlines()  # fmt: skip
    assert out[0] == "2 dev utterances, 17 s; Whisper tiny.en int8 beam 5; speed 1.25x"
    assert out[1].startswith("| method | stretch speed (x real time, one core) | WER at 1.25x |")
    base = re.fullmatch(r"\| original \(no stretch\) \| - \| ([\d.]+)% \| - \|", out[3])
    row = re.fullmatch(r"\| wsola \| (\d+) \| ([\d.]+)% \| ([+-][\d.]+) pts \|", out[4])
    assert base and row and len(out) == 5
    assert float(base[1]) < 60 and int(row[1]) > 1  # tiny.en gets 7 of its 12 words
    assert float(row[3]) == pytest.approx(float(row[2]) - float(base[1]), abs=0.011)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--methods", "wsola,nope"], "unknown TSM method 'nope'; choose one of wsola"),
        (["--data", "EMPTY"], "no LibriSpeech or Common Voice dev clips in "),
    ],
)
def test_tsm_choice_refuses_a_bad_input_before_transcribing(planted, tmp_path, args, says):
    if args[0] == "--data":
        if not HAS_BENCH:
            pytest.skip("jiwer, whisper-normalizer ([bench])")
        r = run_benchmark(tmp_path, "tsm_choice.py", data=planted / "empty")
    else:
        r = run_benchmark(tmp_path, "tsm_choice.py", *args, data=planted)
    one_line_error(r, "tsm_choice.py", says)


# --- bench_jobs.py ----------------------------------------------------------------------------


@pytest.mark.parametrize(("hyp_of_many", "same"), [("a b", "True"), ("a c", "False")])
def test_bench_jobs_compares_rows_but_for_the_seconds(
    planted, tmp_path, monkeypatch, capsys, hyp_of_many, same
):
    """A planted bench: with N jobs the rows differ in ``asr_s``/``method_s`` only (the same)
    or in a transcript too (not the same)."""
    bj = load_script("benchmarks/bench_jobs.py")
    seen = []

    def run_bench(opts):
        seen.append(opts)
        opts.out.mkdir(parents=True)
        hyp = "a b" if opts.jobs == 1 else hyp_of_many
        rows = [{"id": f"u{i}", "method": m, "hyp": hyp, "asr_s": opts.jobs + i, "method_s": i}
                for i in range(2) for m in ("none", "sq-0.5")]  # fmt: skip
        path = opts.out / "results.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path

    monkeypatch.setattr(bj, "run_bench", run_bench)
    monkeypatch.setattr(sys, "argv", ["bench_jobs.py", "--data", str(planted), "--limit", "2",
                                      "--methods", "none,sq-0.5", "--jobs", "3"])  # fmt: skip
    bj.main()
    out = capsys.readouterr().out.splitlines()
    assert [o.jobs for o in seen] == [1, 3] and {o.limit for o in seen} == {2}
    assert seen[0].out.name == "one" and not seen[0].out.exists()  # a fresh temporary folder
    assert out[0].startswith("4 rows (commonvoice, dev, --limit 2, whisper-tiny.en, none,sq-0.5); ")
    assert out[1:3] == ["| jobs | wall s | x one job |", "| ---: | ---: | ---: |"]
    assert re.fullmatch(r"\| 1 \| [\d.]+ \| 1.00 \|", out[3])
    assert re.fullmatch(r"\| 3 \| [\d.]+ \| [\d.]+ \|", out[4])
    assert out[5:] == [f"rows the same, but for the seconds each step took: {same}"]


@needs_whisper  # without it, the error is the recogniser's
def test_bench_jobs_refuses_a_split_without_clips(planted, tmp_path):
    r = run_benchmark(tmp_path, "bench_jobs.py", "--limit", "1", data=planted / "empty")
    one_line_error(r, "bench_jobs.py", "no commonvoice dev clips in ")


@needs_silero
@needs_whisper
@needs_bench
def test_bench_jobs_two_jobs_give_the_same_rows(planted, tmp_path):
    r = run_benchmark(tmp_path, "bench_jobs.py", "--limit", "1", "--methods", "none,sq-0.5",
                      "--jobs", "2", data=planted)  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0].startswith("2 rows (commonvoice, dev, --limit 1, whisper-tiny.en, none,sq-0.5)")
    assert [line.split(" | ")[0] for line in out[3:5]] == ["| 1", "| 2"]
    assert out[5] == "rows the same, but for the seconds each step took: True"


# --- confidence_signal.py (bench folders made with a planted recogniser) ---------------------


class _WordPerHalfSecond:
    """A planted recogniser: word ``w{i}`` every 0.5 s of what it hears, probabilities in a
    cycle of four. A shortened clip loses its last words, so the words change at its end."""

    def __init__(self, name: str):
        self.name, self.config = name, {"planted": name}

    def transcribe(self, x):
        from audiosqueeze.transcript import Transcript, Word

        n = len(x) // 8000
        words = tuple(Word(f"w{i}", 0.5 * i, 0.5 * i + 0.4, 0.2 + 0.2 * (i % 4)) for i in range(n))
        return Transcript(" ".join(w.text for w in words), words)


def test_confidence_signal_auc_and_near_on_planted_scores():
    cs = load_script("benchmarks/confidence_signal.py")
    labels = np.array([False, False, True, True])
    assert cs.auc(labels, np.array([0.1, 0.2, 0.3, 0.4])) == 1.0
    assert cs.auc(labels, np.array([0.4, 0.3, 0.2, 0.1])) == 0.0
    assert cs.auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5  # ties count half
    assert cs.auc(labels, np.array([0.1, 0.3, 0.2, 0.4])) == 0.75
    assert np.isnan(cs.auc(np.array([True, True]), np.array([0.1, 0.2])))
    # a time within VERIFY_MARGIN_S (0.3 s) of [1 s, 2 s) is near it
    assert cs.near(np.array([0.75]), 16000, 32000) and cs.near(np.array([2.25]), 16000, 32000)
    assert not cs.near(np.array([0.65, 2.35]), 16000, 32000) and not cs.near([], 0, 16000)


@pytest.fixture(scope="module")
def planted_bench(planted, tmp_path_factory):
    from audiosqueeze.bench.run import BenchOptions, run_bench

    if not silero_available() or not HAS_BENCH:
        pytest.skip("needs the Silero VAD model and the [bench] extra (jiwer, whisper-normalizer)")
    out = tmp_path_factory.mktemp("bench") / "run"
    run_bench(BenchOptions(planted, out, split="dev", datasets=("librispeech", "commonvoice"),
                           asr=(_WordPerHalfSecond("planted"),), limit=1,
                           methods=("none", "sq-0.5", "sq-0.75")))  # fmt: skip
    return out


def test_confidence_signal_counts_the_sped_up_windows(
    planted, planted_bench, demo, monkeypatch, capsys
):
    """The same planted recogniser as "tiny" and "base": both change near the same windows
    (the end of the clip), so tiny's change ranks base's perfectly."""
    out = run_main(monkeypatch, capsys, "confidence_signal.py", "--data", str(planted),
                   str(planted_bench), str(planted_bench), "--rate", "0.75")  # fmt: skip
    lo = sq.compress(demo, 0.5, sample_rate=16000)
    hi = sq.compress(demo, 0.75, sample_rate=16000, analysis=lo.analysis)
    n = sum(e.kind == "stretch" and e.out_samples < e.in_samples for e in hi.plan.edits)
    blocks = out.strip("\n").split("\n\n")
    assert len(blocks) == 4 and n > 5  # per dataset: its summary, its table
    pairs = zip(("librispeech", "commonvoice"), blocks[::2], blocks[1::2], strict=True)
    for ds, head, table in pairs:
        lines = head.splitlines()
        assert lines[0] == f"{ds}: {n} sped-up windows at rate 0.75 (0 clips missing)"
        share = re.fullmatch(r"- base's words change near ([\d.]+)% of them, tiny.en's near "
                             r"([\d.]+)%", lines[1])  # fmt: skip
        assert share[1] == share[2] and 0 < float(share[1]) < 100
        assert lines[2].startswith("- ROC-AUC for base's changes: tiny.en's own change 1.00, ")
        rows = table.splitlines()[2:]
        assert len(rows) == 5 and "nan" not in table
        assert sum(int(r.split(" | ")[1]) for r in rows) == n


def test_confidence_signal_says_when_the_rate_is_not_the_benchs(
    planted, planted_bench, monkeypatch, capsys
):
    with pytest.raises(sq.ManifestError, match=r"no sped-up windows: .* --rate 1.0 "):
        run_main(monkeypatch, capsys, "confidence_signal.py", "--data", str(planted),
                 str(planted_bench), str(planted_bench), "--rate", "1.0")  # fmt: skip
    out = capsys.readouterr().out
    assert out == (
        "\nlibrispeech: no sped-up windows at rate 1.0 (1 clips missing)\n"
        "\ncommonvoice: no sped-up windows at rate 1.0 (1 clips missing)\n"
    )


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        (None, "no results.jsonl(.gz) in "),
        ("", "holds no bench rows with an asr_config"),
        ('{"asr": "a"}\n', "is not bench rows: line 1 has no "),
    ],
)
def test_confidence_signal_refuses_a_folder_without_bench_rows(tmp_path, rows, says):
    folder = tmp_path / "run"
    folder.mkdir()
    if rows is not None:
        (folder / "results.jsonl").write_text(rows)
    script = str(REPO / "benchmarks" / "confidence_signal.py")
    r = subprocess.run([sys.executable, script, str(folder), str(folder)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    one_line_error(r, "confidence_signal.py", says)


# --- lead_words.py ----------------------------------------------------------------------------


@needs_bench
def test_lead_words_prints_what_results_quotes_from_the_committed_rows(tmp_path):
    """docs/RESULTS.md ("The kept lead before the first speech"): 2 clips with each model at
    today's lead (sq-keep60-pad32), 1 (tiny.en) and 3 (base) with the old one (sq-pauses)."""
    rows = REPO / "docs" / "results" / "dev-tuning"
    r = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "lead_words.py"),
         str(rows / "cvall-tiny.jsonl.gz"), str(rows / "cvall-base.jsonl.gz")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[2:] == [
        "| cvall-tiny.jsonl.gz | whisper-tiny.en | sq-keep60-pad32 | 499 | 2 | 14 |",
        "| cvall-tiny.jsonl.gz | whisper-tiny.en | sq-pauses | 499 | 1 | 12 |",
        "| cvall-base.jsonl.gz | whisper-base | sq-keep60-pad32 | 499 | 2 | 10 |",
        "| cvall-base.jsonl.gz | whisper-base | sq-pauses | 499 | 3 | 8 |",
    ]


@needs_bench
def test_lead_words_counts_planted_clips(tmp_path, monkeypatch, capsys):
    import gzip

    def row(asr, uid, method, ref, hyp):
        return {"asr": asr, "dataset": "cv", "id": uid, "method": method, "ref": ref,
                "hyp": hyp, "words": [1, 1, 0, 0, 0]}  # fmt: skip

    clips = [  # id, reference, the original's transcript, the method's
        ("lead", "a b c d e f", "A, b c d e f.", "b c d e f"),  # the first word dropped
        ("tail", "a b c d", "a b c d", "a b c x"),  # the last word changed
        ("orig-wrong", "a b c d e f g h", "x b c d", "c d e f"),  # the original missed both
        ("short", "a", "a", ""),  # too short to count, but a clip
        ("far", "a b c d e f g h i", "a b c d e f g h i", "h i"),  # 7 words lost: not a lead
    ]
    rows = [row("tiny", u, "none", ref, h0) for u, ref, h0, _ in clips]
    rows += [row("tiny", u, "m", ref, h1) for u, ref, _, h1 in clips]
    rows += [row("tiny", "no-method", "none", "a b", "a b"), row("base", "lead", "m2", "a b", "")]
    rows += [row("base", "lead", "none", "a b c", "a b c")]
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    out = run_main(monkeypatch, capsys, "lead_words.py", str(path)).splitlines()
    assert out[0].endswith("| clips | first words dropped | last words changed |")
    assert out[2:] == ["| rows.jsonl.gz | base | m2 | 1 | 0 | 0 |",
                       "| rows.jsonl.gz | tiny | m | 5 | 1 | 1 |"]  # fmt: skip
    r = run_benchmark(tmp_path, "lead_words.py", data=tmp_path)  # --data is not its option
    assert r.returncode == 2 and "unrecognized arguments: --data" in r.stderr


# --- corpus_throughput.py (its functions and a bad input: no Ray start-up here) --------------


def test_corpus_throughput_alternates_dev_clips(tmp_path):
    ct = load_script("benchmarks/corpus_throughput.py")
    splits = {"ls": "train-clean-5", "cv": "cv-valid-dev", "test": "test-other"}
    rows = [{"path": f"{k}{i}.flac", "split": s} for k, s in splits.items() for i in range(3)]
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    names = [p.name for p in ct.clips(tmp_path, 5)]
    assert names == ["ls0.flac", "cv0.flac", "ls1.flac", "cv1.flac", "ls2.flac"]
    assert [p.name for p in ct.clips(tmp_path, 1)] == ["ls0.flac"]


def test_corpus_throughput_same_outputs_compares_every_sample(tmp_path, demo):
    import soundfile as sf

    ct = load_script("benchmarks/corpus_throughput.py")
    for way in ("a", "b"):
        (tmp_path / way / "audio").mkdir(parents=True)
        for name in ("x.flac", "y.flac"):
            sf.write(tmp_path / way / "audio" / name, demo, 16000)
    assert ct.same_outputs(tmp_path / "a", tmp_path / "b")
    changed = demo.copy()
    changed[1000] += 0.01
    sf.write(tmp_path / "b" / "audio" / "y.flac", changed, 16000)
    assert not ct.same_outputs(tmp_path / "a", tmp_path / "b")
    (tmp_path / "b" / "audio" / "y.flac").rename(tmp_path / "b" / "audio" / "z.flac")
    assert not ct.same_outputs(tmp_path / "a", tmp_path / "b")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--rate", "5"], "rate must be a number in [0, 1], got 5.0"),
        (["--clips", "0"], "argument --clips: need a whole number >= 1, got '0'"),
    ],
)
def test_corpus_throughput_refuses_a_bad_input_before_ray(planted, tmp_path, args, says):
    r = run_benchmark(tmp_path, "corpus_throughput.py", "--clips", "1", *args, data=planted)
    one_line_error(r, "corpus_throughput.py", says)
    assert "Ray" not in r.stdout


@pytest.mark.slow
def test_corpus_throughput_runs_the_three_ways_on_one_clip(planted, tmp_path):
    """One planted clip, the three ways (about 15 s here, most of it Ray's start-up)."""
    pytest.importorskip("ray", reason="ray (the [ray] extra) not installed")
    r = run_benchmark(tmp_path, "corpus_throughput.py", "--clips", "1", data=planted)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0].startswith("1 clips, 0.1 min of audio; rate 0.5; ")
    rows = [line.split(" | ") for line in out if line.startswith("| ") and "---" not in line]
    assert [c[0] for c in rows] == ["| way", "| 1 process (--jobs 1)", "| process pool (--jobs 2)",
                                    "| Ray, 2 CPUs (--ray --jobs 2)"]  # fmt: skip
    for c in rows[1:]:
        # x real time is files/s times the clip's 8.448 s (each printed rounded)
        assert (
            c[1] == "1"
            and float(c[2]) > 0
            and float(c[4]) == pytest.approx(8.448 * float(c[3]), abs=0.6)
        )
    assert rows[3][5] == "n/a (Ray workers) |"
    assert "outputs identical across the three ways: True" in out
    assert re.search(r"Ray overhead \(.*, 1 and 2 items\): [\d.-]+ ms per item", r.stdout)
