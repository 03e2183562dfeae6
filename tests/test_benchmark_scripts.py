"""benchmarks/_script.py: each benchmark script turns a bad input into one line, no traceback."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import pytest

from audiosqueeze.errors import AudioFileNotFoundError, OptionsError
from conftest import REPO, load_script, needs_silero, run_benchmark

SCRIPTS = sorted(p for p in (REPO / "benchmarks").glob("*.py") if not p.name.startswith("_"))
#: hands its whole command line to ``audiosqueeze.cli.main``, which has its own error handling
DELEGATES = {"verify_margin_probe.py"}


def _run_script():
    return load_script("benchmarks/_script.py").run_script


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (OptionsError("rate 'x' is not a number"), "error: rate 'x' is not a number"),
        (AudioFileNotFoundError("data folder '/no' does not exist"), "'/no' does not exist"),
        (FileNotFoundError(2, "No such file or directory", "/no/manifest.jsonl"), "'/no/manifest"),
        (json.JSONDecodeError("Expecting value", "x", 0), "error: Expecting value"),
    ],
)
def test_a_bad_input_is_one_line_and_exit_status_2(monkeypatch, capsys, error, line):
    monkeypatch.setattr(sys, "argv", ["probe.py"])

    def main():
        raise error

    with pytest.raises(SystemExit) as e:
        _run_script()(main)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("probe.py: error: ") and line in err
    assert err.count("\n") == 1


def test_the_exit_status_is_mains_and_a_bug_keeps_its_traceback(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["probe.py"])
    run_script = _run_script()
    for returned, code in ((None, 0), (0, 0), (1, 1), (3, 3)):
        with pytest.raises(SystemExit) as e:
            run_script(lambda returned=returned: returned)
        assert e.value.code == code

    def buggy():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        run_script(buggy)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_ends_through_run_script(script):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
    ]
    assert len(blocks) == 1, f"{script.name} has no `if __name__ == '__main__':` block"
    body = ast.unparse(blocks[0])
    if script.name in DELEGATES:
        assert "main()" in body
    else:
        assert "run_script(main)" in body, f"{script.name} does not end with run_script(main)"


@pytest.mark.parametrize(
    "script",
    [
        "rate_knob.py",
        "core_profile.py",
        "budget_knob.py",
        "guard_allowance.py",
        "nuclei_check.py",
        "cue_ranges.py",
    ],
)
def test_a_missing_data_folder_is_one_line_from_the_script_itself(tmp_path, script):
    missing = tmp_path / "no-such-data"
    r = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), "--data", str(missing)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{script}: error: ") and str(missing) in r.stderr


@pytest.mark.parametrize(
    "args, says",
    [
        (["budget_knob.py", "--segments-ms", "abc"], "need numbers like 64,10000"),
        (["budget_knob.py", "--segments-ms", "5"], "max_segment_ms"),
        (["budget_knob.py"], "no LibriSpeech or Common Voice dev clips"),
        (["reduction.py", "--speed-policy", "fastest"], "speed_policy"),
        (["guard_allowance.py", "--allowances", "abc"], "need numbers like 0.04,0.25"),
        (["guard_allowance.py", "--allowances", "2"], "max_risk_increase"),
        (["guard_allowance.py", "--max-speed", "3"], "max_speed"),
        (["guard_allowance.py"], "no LibriSpeech or Common Voice dev clips"),
        (["guard_allowance.py", "--exclude", "nowhere"], "nowhere"),
        (["nuclei_check.py"], "no LibriSpeech or Common Voice dev clips"),
        (["nuclei_check.py", "--limit", "0"], "need a whole number >= 1, got '0'"),
        (["cue_ranges.py"], "no LibriSpeech or Common Voice dev clips"),
        (["cue_ranges.py", "--per-dataset", "0"], "need a whole number >= 1, got '0'"),
    ],
)
def test_a_bad_option_of_a_new_script_is_one_line(tmp_path, args, says):
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.jsonl").write_text("")
    r = run_benchmark(tmp_path, args[0], *args[1:], data=data)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and says in r.stderr


@needs_silero
def test_guard_allowance_prints_the_plans_reductions(tmp_path):
    """One dev clip (the bundled demo): the uniform column is ``plan(a, 1.0).reduction`` and
    a larger allowance never removes fewer tokens; a clip in ``--exclude`` is left out."""
    import audiosqueeze as sq

    demo = REPO / "src" / "audiosqueeze" / "data" / "demo_common_voice_en_73.flac"
    row = {"id": "demo", "path": str(demo), "text": "x", "dataset": "commonvoice"}
    data, held = tmp_path / "data", tmp_path / "held"
    for d, rows in ((data, [row]), (held, [])):
        d.mkdir()
        (d / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (data / "manifest.jsonl").write_text(json.dumps({**row, "split": "cv-valid-dev"}) + "\n")
    cmd = [sys.executable, str(REPO / "benchmarks" / "guard_allowance.py"), "--data", str(data)]
    r = subprocess.run(
        [*cmd, "--exclude", str(held), "--allowances", "0,0.25"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("| commonvoice |"))
    uni, g0, g25 = (float(c.strip(" %")) for c in line.split("|")[3:6])
    a = sq.analyze(sq.load(demo).samples, sample_rate=16000)
    assert uni == pytest.approx(100 * sq.plan(a, 1.0).reduction, abs=0.051)
    assert g0 <= g25
    (held / "manifest.jsonl").write_text(json.dumps(row) + "\n")
    r = subprocess.run(cmd + ["--exclude", str(held)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and "no LibriSpeech or Common Voice dev clips" in r.stderr


def test_whole_takes_whole_numbers_from_its_minimum_only():
    import argparse

    whole = load_script("benchmarks/_script.py").whole
    assert whole(1)("1") == 1 and whole(1)("40") == 40 and whole(0)("0") == 0
    for minimum, text in ((1, "0"), (1, "-1"), (0, "-1"), (1, "2.5"), (1, "abc"), (1, "")):
        with pytest.raises(argparse.ArgumentTypeError, match=f">= {minimum}, got {text!r}"):
            whole(minimum)(text)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_script_takes_a_bare_int_option(script):
    """A bare ``type=int`` lets ``--limit -1`` through, which slices clips off a list's end."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    bare = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and any(k.arg == "type" and ast.unparse(k.value) == "int" for k in node.keywords)
    ]
    assert not bare, f"{script.name}: use _script.whole(minimum): {bare}"


@pytest.mark.parametrize(
    "args", [["guard_allowance.py", "--limit", "-1"], ["budget_knob.py", "--limit", "0"]]
)
def test_a_count_below_its_minimum_is_one_line(tmp_path, args):
    r = run_benchmark(tmp_path, args[0], *args[1:])
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"argument --limit: need a whole number >= 1, got '{args[2]}'" in r.stderr


def test_peaks_scaling_prints_a_row_a_length_and_refuses_a_bad_one(tmp_path):
    pytest.importorskip("scipy.signal", reason="scipy (the [dev] extra) not installed")
    script = str(REPO / "benchmarks" / "peaks_scaling.py")
    r = subprocess.run(
        [sys.executable, script, "--lengths", "40,300"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    rows = [line.split("|")[1:3] for line in r.stdout.splitlines()[2:]]
    assert [int(n) for n, _ in rows] == [40, 300] and all(int(k) > 0 for _, k in rows)
    r = subprocess.run(
        [sys.executable, script, "--lengths", "40,-3"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2 and "--lengths must be whole numbers >= 1" in r.stderr


def test_every_script_answers_help_with_its_usage(monkeypatch, capsys):
    import runpy

    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    for script in SCRIPTS:
        monkeypatch.setattr(sys, "argv", [str(script), "--help"])
        with pytest.raises(SystemExit) as e:
            runpy.run_path(str(script), run_name="__main__")
        out = capsys.readouterr()
        assert e.value.code == 0, f"{script.name}: exit {e.value.code!r}"
        assert "usage:" in out.out and script.name in out.out, script.name


@needs_silero
def test_nuclei_check_counts_frames_and_finds_the_runs_agree(shared_data, tmp_path):
    r = run_benchmark(tmp_path, "nuclei_check.py", "--limit", "2", data=shared_data)
    assert r.returncode == 0, r.stderr
    head, shares, agree = r.stdout.splitlines()
    assert head.startswith("4 dev clips, ") and int(head.split()[3]) > 0
    above0, above12 = (float(v) for v in re.findall(r"([\d.]+) %", shares))
    assert 0 <= above12 <= above0 <= 100
    runs, same = (int(v) for v in re.findall(r": (\d+)", agree))
    assert runs > 0 and same == runs


def test_nuclei_check_compares_two_label_files(tmp_path):
    from audiosqueeze.context import FEATURES

    def write(name, rates):
        rows = []
        for r in rates:
            f = [0.0] * len(FEATURES)
            f[FEATURES.index("syllable_rate_hz")] = r
            rows.append(json.dumps({"features": f}))
        (tmp_path / name).write_text("\n".join(rows) + "\n")

    write("old.jsonl", [3.0, 2.0, 4.0, 1.0])
    write("new.jsonl", [3.0, 1.0, 4.0, 0.0])
    r = run_benchmark(tmp_path, "nuclei_check.py", "--labels", "old.jsonl", "new.jsonl")
    assert r.returncode == 0, r.stderr
    assert "syllable_rate_hz: 50.0 % differ; mean 2.500 -> 2.000" in r.stdout
    assert "complexity: 0.0 % differ" in r.stdout
    write("short.jsonl", [3.0])
    r = run_benchmark(tmp_path, "nuclei_check.py", "--labels", "old.jsonl", "short.jsonl")
    assert r.returncode == 2 and "do not hold the same windows" in r.stderr


def test_cue_ranges_reads_only_speech_runs_of_a_second_or_more():
    from audiosqueeze.analyze import CUE_ENDS
    from audiosqueeze.segments import Segment

    cr = load_script("benchmarks/cue_ranges.py")

    def run(kind, seconds, rate):
        cues = {"syllable_rate_hz": rate, "snr_db": 2 * rate, "spectral_flux": rate / 10}
        return Segment(kind, 0, round(seconds * 16000), 1.0, cues=cues)

    runs = [run("speech", 1.0, float(r)) for r in range(11)]  # 0 .. 10: p10 1, p90 9
    runs += [run("speech", 0.99, 100.0), run("noise", 5.0, 100.0), run("silence", 9.0, -50.0)]
    got = cr.percentiles(runs)
    assert list(got) == list(CUE_ENDS)
    assert got["syllable_rate_hz"] == (1.0, 9.0, 11)
    assert got["snr_db"] == (2.0, 18.0, 11)
    assert got["spectral_flux"] == pytest.approx((0.1, 0.9, 11))


@needs_silero
def test_cue_ranges_prints_a_row_per_cue(shared_data, tmp_path):
    r = run_benchmark(tmp_path, "cue_ranges.py", "--per-dataset", "2", data=shared_data)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("4 dev clips (seed 0), ")
    rows = {ln.split(" | ")[0][2:]: ln.split(" | ")[1:] for ln in lines[3:]}
    assert sorted(rows) == sorted(["syllable_rate_hz", "snr_db", "spectral_flux"])
    assert rows["syllable_rate_hz"][2:] == ["2.4", "3.8 |"]  # the ends complexity() uses
    assert rows["snr_db"][2:] == ["60", "24 |"]
    snr_easy, snr_hard = (float(v) for v in rows["snr_db"][:2])
    assert snr_easy >= snr_hard  # the easy end of the SNR is its 90th percentile
