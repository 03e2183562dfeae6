"""``audiosqueeze compress``, ``analyze``, ``tokens`` and the shared options, run in-process
on inputs whose right answer is known: ranges refused by the command line itself (exit 2,
before any work) and their ends accepted, what ``--skip-no-speech`` writes and prints,
where warnings and progress bars go, and what each table and JSON row says."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiosqueeze.cli import main
from conftest import silence, tone

SR = 16000
ENERGY = ["--vad", "energy"]


@pytest.fixture
def talk(tmp_path):
    p = tmp_path / "talk.wav"
    sf.write(p, np.concatenate([tone(1.0), silence(2.0), tone(1.0)]), SR)
    return p


@pytest.fixture
def hush(tmp_path):
    p = tmp_path / "hush.wav"
    sf.write(p, silence(3.0), SR)
    return p


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    got = capsys.readouterr()
    return code, got.out, got.err


# -- ranges: refused by the command line (2), ends accepted ------------------------------------


@pytest.mark.parametrize(
    ("extra", "quote"),
    [
        ([], "Missing option '-o'"),
        (["--target-reduction", "1"], "0<=x<1"),
        (["--target-reduction", "-0.1"], "0<=x<1"),
        (["--max-wer-increase", "100.5"], "0<=x<=100"),
        (["--max-wer-increase", "-0.5"], "0<=x<=100"),
        (["-o", "-", "--json"], "--json prints on stdout"),
        (["--format", "raw"], "--format raw is for stdout"),
        (["-o", "-", "--format", "raw", "--verify", "x"], "--verify needs the whole output"),
        (["--target-reduction", "0.3", "--max-wer-increase", "1"], "not both"),
    ],
)
def test_out_of_range_options_are_usage_errors(talk, tmp_path, capsys, extra, quote):
    args = ["compress", talk, *ENERGY, *extra]
    if "-o" not in extra and extra:
        args += ["-o", tmp_path / "o.flac"]
    code, out, err = run(capsys, *args)
    assert code == 2 and quote in err and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.wav"]


def test_no_input_is_a_usage_error(tmp_path, capsys):
    code, out, err = run(capsys, "compress", "-o", tmp_path / "o.flac")
    assert code == 2 and "Missing argument 'INPUTS...'" in err and out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "extra",
    [
        ["--target-reduction", "0"],
        ["--target-reduction", "0.3"],
        ["--max-wer-increase", "0.5"],
        ["--max-wer-increase", "100"],
    ],
)
def test_the_ends_of_each_range_are_accepted(talk, tmp_path, capsys, extra):
    args = ["compress", talk, "-o", tmp_path / "o.flac", *ENERGY, *extra, "--json"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    row = json.loads(out)
    assert row["input_s"] == 4.0 and sf.info(tmp_path / "o.flac").frames == round(
        row["output_s"] * SR
    )


def test_ten_verify_rounds_are_accepted(talk, tmp_path, capsys, monkeypatch):
    from audiosqueeze import verify
    from audiosqueeze.transcript import Transcript

    class Deaf:
        name, config = "deaf", {}

        def transcribe(self, samples):
            return Transcript("", ())

    monkeypatch.setattr(verify, "resolve_asr", lambda name: Deaf())
    args = ["compress", talk, "-o", tmp_path / "o.flac", *ENERGY, "--verify", "deaf"]
    assert run(capsys, *args, "--verify-rounds", "10")[0] == 0
    assert run(capsys, *args, "--verify-rounds", "11")[0] == 2


def _sys_refuses_files() -> bool:
    """Whether a new file in /sys is refused even to root (a read-only file system there)."""
    try:
        os.close(os.open("/sys/audiosqueeze-probe", os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except OSError:
        return True
    os.unlink("/sys/audiosqueeze-probe")
    return False


@pytest.mark.parametrize(
    ("out", "timemap", "quote"),
    [
        ("nowhere/o.flac", None, "output folder"),
        ("o.mp3", None, "extension '.mp3'"),
        ("o.flac", "nowhere/m.json", "time map folder"),
        ("/sys/o.flac", None, "cannot write into '/sys'"),
        ("o.flac", "o.flac", "the time map and the audio cannot both be"),
    ],
)
def test_verify_checks_every_output_before_the_recogniser_hears_anything(
    talk, tmp_path, capsys, monkeypatch, out, timemap, quote
):
    """--verify compresses in memory and saves at the end; a path that cannot be written must
    still stop it before the work (two transcriptions of the recording), as without --verify."""
    from audiosqueeze import verify
    from audiosqueeze.transcript import Transcript

    if out.startswith("/sys") and not _sys_refuses_files():
        pytest.skip("/sys takes new files here: no folder that refuses root")
    heard = []

    class Ear:
        name, config = "ear", {}

        def transcribe(self, samples):
            heard.append(len(samples))
            return Transcript("", ())

    monkeypatch.setattr(verify, "resolve_asr", lambda name: Ear())
    args = ["compress", talk, "-o", tmp_path / out, *ENERGY, "--rate", "1", "--verify", "ear"]
    if timemap is not None:
        args += ["--timemap", tmp_path / timemap]
    code, _, err = run(capsys, *args)
    assert code == 1 and quote in err and heard == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.wav"]
    # with a path that can be written, the same run asks the recogniser (the fake is in use)
    good = ["compress", talk, "-o", tmp_path / "o.flac", *ENERGY, "--rate", "1", "--verify", "ear"]
    assert run(capsys, *good)[0] == 0 and heard


def test_several_inputs_need_a_timemap_folder(talk, tmp_path, capsys):
    other = tmp_path / "other.wav"
    other.write_bytes(talk.read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run(capsys, "compress", talk, other, "-o", out, "--timemap", tmp_path / "m.json")
    assert code == 2 and "--timemap must be an existing folder" in err
    assert list(out.iterdir()) == [] and not (tmp_path / "m.json").exists()
    maps = tmp_path / "maps"
    maps.mkdir()
    assert run(capsys, "compress", talk, other, "-o", out, "--timemap", maps, *ENERGY)[0] == 0
    assert sorted(p.name for p in maps.iterdir()) == ["other.timemap.json", "talk.timemap.json"]


@pytest.mark.parametrize(
    ("flag", "quote"),
    [("-o", "output folder 'nowhere/' does not exist"),
     ("--timemap", "time map folder 'nowhere/' does not exist")],
)  # fmt: skip
def test_a_path_ending_in_a_slash_is_a_folder_that_must_exist(
    talk, tmp_path, capsys, monkeypatch, flag, quote
):
    """``-o out/`` or ``--timemap maps/`` names a folder: where it does not exist the message
    says so (not "extension ''"), and no file named ``nowhere`` is written in its place."""
    monkeypatch.chdir(tmp_path)
    args = ["compress", talk, *ENERGY, "-o", "o.flac", flag, "nowhere/"]
    code, _, err = run(capsys, *args)
    assert code == 1 and quote in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.wav"]
    (tmp_path / "nowhere").mkdir()  # once it exists: -o writes into it; a time map is a file
    code, _, err = run(capsys, *args)
    if flag == "-o":
        assert code == 0 and [p.name for p in (tmp_path / "nowhere").iterdir()] == ["talk.flac"]
    else:
        assert code == 1 and "time map 'nowhere' is a folder; give a file name" in err


@pytest.mark.parametrize("as_json", [False, True])
def test_a_bad_input_among_several_is_reported_and_the_others_are_compressed(
    talk, tmp_path, capsys, monkeypatch, as_json
):
    """``compress a.wav bad.wav c.wav -o out/``: the bad file gets its error line and a row,
    the others are written and reported, and the exit status is 1. It stopped at the bad file,
    leaving a.flac written but unreported and c.wav not done."""
    monkeypatch.chdir(tmp_path)
    Path("bad.wav").write_bytes(b"not audio at all")
    Path("other.wav").write_bytes(talk.read_bytes())
    Path("out").mkdir()
    args = ["talk.wav", "bad.wav", "other.wav", "-o", "out", *ENERGY]
    code, stdout, err = run(capsys, "compress", *args, *(["--json"] if as_json else []))
    assert code == 1
    assert sorted(p.name for p in Path("out").iterdir()) == ["other.flac", "talk.flac"]
    lines = err.splitlines()
    assert len(lines) == 2 and "bad.wav: not a readable audio file" in lines[0], err
    assert lines[1] == "error: 1 of 3 inputs failed; the other 2 were compressed"
    if as_json:
        rows = [json.loads(line) for line in stdout.splitlines()]
        assert [r["input"] for r in rows] == ["talk.wav", "bad.wav", "other.wav"]
        assert rows[1]["output"] is None and "not a readable audio file" in rows[1]["error"]
        assert rows[0]["input_s"] == rows[2]["input_s"] == 4.0
    else:
        table = {w: line for line in stdout.splitlines() for w in line.split() if ".wav" in w}
        assert "(failed)" in table["bad.wav"] and "out/other.flac" in table["other.wav"]


def test_stdin_into_a_folder_is_named_stdin_not_dash(talk, tmp_path, capsys, monkeypatch):
    """``cat talk.flac | audiosqueeze compress - -o out/`` wrote out/-.flac, a name the shell
    takes for an option (``rm -.flac``); it is out/stdin.flac, and its time map
    stdin.timemap.json."""
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.BytesIO(talk.read_bytes()))
    out = tmp_path / "out"
    out.mkdir()
    code, stdout, _ = run(capsys, "compress", "-", "-o", out, "--timemap", out, *ENERGY)
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["stdin.flac", "stdin.timemap.json"]


# -- --skip-no-speech --------------------------------------------------------------------------


@pytest.mark.parametrize("verify", [False, True])
def test_skip_no_speech_writes_and_says_nothing_only_for_silence(
    talk, hush, tmp_path, capsys, monkeypatch, verify
):
    extra = []
    if verify:  # the verify path saves the in-memory result itself
        from audiosqueeze import verify as v
        from audiosqueeze.transcript import Transcript

        class Deaf:
            name, config = "deaf", {}

            def transcribe(self, samples):
                return Transcript("", ())

        monkeypatch.setattr(v, "resolve_asr", lambda name: Deaf())
        extra = ["--verify", "deaf"]
    monkeypatch.chdir(tmp_path)  # short relative names: one table row a line
    Path("out").mkdir()
    args = ["compress", "talk.wav", "hush.wav", "-o", "out", *ENERGY, "--skip-no-speech", *extra]
    code, stdout, _ = run(capsys, *args, "--json")
    assert code == 0
    rows = {r["input"]: r for r in map(json.loads, stdout.splitlines())}
    assert rows["hush.wav"]["output"] is None and rows["hush.wav"]["no_speech"]
    assert rows["talk.wav"]["output"] == "out/talk.flac" and not rows["talk.wav"]["no_speech"]
    assert sorted(p.name for p in Path("out").iterdir()) == ["talk.flac"]
    Path("out/talk.flac").unlink()
    code, stdout, _ = run(capsys, *args)  # the table
    assert code == 0
    lines = {w: line for line in stdout.splitlines() for w in line.split() if w.endswith(".wav")}
    assert "(no speech: skipped)" in lines["hush.wav"] and "none found" in lines["hush.wav"]
    assert "skipped" not in lines["talk.wav"] and "out/talk.flac" in lines["talk.wav"]
    assert sorted(p.name for p in Path("out").iterdir()) == ["talk.flac"]


def test_without_skip_no_speech_silence_is_written(hush, tmp_path, capsys):
    code, stdout, _ = run(capsys, "compress", hush, "-o", tmp_path / "o.flac", *ENERGY, "--json")
    row = json.loads(stdout)
    assert code == 0 and row["no_speech"] and row["output"] == str(tmp_path / "o.flac")
    assert sf.info(tmp_path / "o.flac").frames == round(row["output_s"] * SR) > 0


# -- warnings and the help text ----------------------------------------------------------------


def test_warnings_go_to_stderr_and_json_stays_parseable(tmp_path, capsys):
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, tone(2.0, amp=1e-4), SR)  # -83 dBFS: the VAD may miss its speech
    args = ["compress", quiet, "-o", tmp_path / "o.flac", "--vad", "webrtc", "--json"]
    code, out, err = run(capsys, *args)
    assert code == 0 and json.loads(out)["input"] == str(quiet)
    assert re.search(rf"^warning: {re.escape(str(quiet))}: the recording is quiet", err, re.M)


def test_help_shows_the_defaults(capsys):
    code, out, _ = run(capsys, "compress", "--help")
    text = " ".join(out.split())
    assert code == 0
    for option, default in (
        ("--tsm", "wsola"),
        ("--vad", "silero"),
        ("--rate", "0.5"),
        ("--vad-gain", "30.0"),
    ):
        assert re.search(rf"{option} .*?\[default: {default}[;\]]", text), option


# -- progress bars: on stderr, only where they say something, gone at the end -----------------


def bars(capsys, monkeypatch, *args) -> tuple[str, str]:
    """stdout and stderr of a run on a (forced) terminal, where rich draws its bars."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    code, out, err = run(capsys, *args)
    assert code == 0
    return out, err


def test_several_inputs_get_a_files_bar_on_stderr_and_one_input_none(
    talk, tmp_path, capsys, monkeypatch
):
    other = tmp_path / "other.wav"
    other.write_bytes(talk.read_bytes())
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out, err = bars(capsys, monkeypatch, "compress", talk, other, "-o", out_dir, *ENERGY)
    assert "files" in err and "100%" in err
    assert "files" not in out and "\x1b[?25l" not in out  # the table alone on stdout
    out, err = bars(capsys, monkeypatch, "compress", talk, "-o", tmp_path / "o.flac", *ENERGY)
    assert "files" not in err and "%" not in err  # a short single input: no bar at all
    _, err = bars(capsys, monkeypatch, "compress", talk, other, "-o", out_dir, *ENERGY, "--json")
    assert err == ""  # --json is for machines: no bar


def test_no_bar_is_left_behind_where_stderr_is_not_a_terminal(talk, tmp_path, capsys):
    other = tmp_path / "other.wav"
    other.write_bytes(talk.read_bytes())
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run(capsys, "compress", talk, other, "-o", out_dir, *ENERGY)
    assert code == 0 and err == "" and "reduction" in out  # not even an empty line
    code, out, err = run(capsys, "compress", talk, "-o", tmp_path / "o.flac", *ENERGY)
    assert code == 0 and err == "" and "reduction" in out
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    code, out, err = run(capsys, "compress", bad, "-o", tmp_path / "b.flac", *ENERGY)
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1  # one line


def test_an_input_over_a_minute_gets_a_stage_bar(tmp_path, capsys, monkeypatch):
    from audiosqueeze.cli.compress import BAR_MIN_S

    assert BAR_MIN_S == 60.0
    for seconds, shown in ((60.0, False), (60.5, True)):
        src = tmp_path / f"{seconds}.wav"
        sf.write(
            src, np.tile(np.concatenate([tone(1.0), silence(1.0)]), 31)[: int(seconds * SR)], SR
        )
        args = ["compress", src, "-o", tmp_path / "o.flac", *ENERGY, "--rate", "0"]
        _, err = bars(capsys, monkeypatch, *args)
        assert ("compress" in err and "100%" in err) == shown, seconds


# -- raw PCM on stdout -------------------------------------------------------------------------


def test_raw_pcm_is_scaled_by_32768_rounded_and_clipped(tmp_path, capsysbinary):
    x = np.zeros(3 * SR, np.float32)
    x[:7] = [1.5, -1.5, 1.0, -1.0, 0.5, -0.25, 0.7 / 32768]  # beyond, at and within full scale
    src = tmp_path / "loud.wav"
    sf.write(src, x, SR, subtype="FLOAT")
    assert main(["compress", str(src), "-o", "-", "--format", "raw", "--rate", "0", *ENERGY]) == 0
    pcm = np.frombuffer(capsysbinary.readouterr().out, "<i2")
    assert len(pcm) == len(x)
    assert pcm[:7].tolist() == [32767, -32768, 32767, -32768, 16384, -8192, 1]


def test_raw_pcm_of_16_bit_input_at_rate_0_is_the_input_bytes(tmp_path, capsysbinary):
    pcm = np.random.default_rng(3).integers(-32768, 32768, 2 * SR).astype("<i2")
    pcm[:2] = [-32768, 32767]
    src = tmp_path / "pcm16.wav"
    sf.write(src, pcm, SR, subtype="PCM_16")
    assert main(["compress", str(src), "-o", "-", "--format", "raw", "--rate", "0", *ENERGY]) == 0
    assert capsysbinary.readouterr().out == pcm.tobytes()


# -- the shared options and helpers (cli/common) -----------------------------------------------


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (["--vad-gain", "60.5"], 2),
        (["--vad-gain", "60"], 0),
        (["--vad-gain", "0.5"], 0),
        (["--vad-gain", "-0.5"], 2),
        (["--vad-reset-drop", "200.5"], 2),
        (["--vad-reset-drop", "200"], 0),
        (["--vad-reset-drop", "0.5"], 0),
        (["--vad-reset-drop", "-0.5"], 2),
    ],
)
def test_the_vad_level_options_are_ranges_of_the_command_line(talk, tmp_path, capsys, extra, code):
    got, _, err = run(capsys, "compress", talk, "-o", tmp_path / "o.flac", *ENERGY, *extra)
    assert got == code, err
    if code == 2:
        assert extra[0] in err and not (tmp_path / "o.flac").exists()


@pytest.mark.parametrize("columns", [80, 119, 121, 200])
def test_tables_are_at_least_120_columns_wide(monkeypatch, columns):
    from audiosqueeze.cli.common import console

    monkeypatch.setenv("COLUMNS", str(columns))
    assert console().width == max(columns, 120)


def test_numbers_in_messages_are_not_coloured_on_a_terminal(monkeypatch, capsys):
    from audiosqueeze.cli.common import console

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    console().print("speech 1.25 s, 3 segments")
    out = capsys.readouterr().out
    assert out == "speech 1.25 s, 3 segments\n"


class Terminal:
    """A terminal on stdin: nothing piped in."""

    def __init__(self):
        self.buffer = self

    def isatty(self):
        return True

    def read(self, *a):
        raise AssertionError("read a terminal")


@pytest.mark.parametrize(
    "args", [["compress", "-", "-o", "o.flac"], ["analyze", "-"], ["tokens", "-"]]
)
def test_a_terminal_on_stdin_is_a_usage_error(args, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", Terminal())
    code, out, err = run(capsys, *args, *ENERGY[: 2 if args[0] != "tokens" else 0])
    assert code == 2 and "stdin is a terminal: pipe audio in" in err and out == ""
    assert list(tmp_path.iterdir()) == []


# -- analyze and tokens (cli/info) -------------------------------------------------------------


def test_the_analyze_table_shows_each_run_of_the_analysis(tmp_path, capsys, monkeypatch):
    import audiosqueeze as sq

    monkeypatch.chdir(tmp_path)  # a short name: one row a line
    hiss = np.random.default_rng(1).normal(0, 0.02, 2 * SR).astype(np.float32)
    sf.write("mix.wav", np.concatenate([tone(1.0), hiss, tone(1.0), silence(2.0), tone(1.0)]), SR)
    a = sq.analyze("mix.wav", sq.AnalyzeOptions(vad="energy"))
    code, out, _ = run(capsys, "analyze", "mix.wav", *ENERGY)
    assert code == 0
    table = [line for line in out.splitlines() if line.startswith("│")]
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in table]
    details = {"speech": lambda s: f"{s.complexity:.2f}", "noise": lambda s: s.noise_type}
    assert rows == [
        [f"{s.start / SR:.2f}", f"{s.end / SR:.2f}", s.kind, f"{s.confidence:.2f}",
         details.get(s.kind, lambda s: "")(s)]
        for s in a.runs
    ]  # fmt: skip
    assert {r[2] for r in rows} == {"speech", "noise", "silence"} and rows[1][4] == "stationary"
    assert out.splitlines()[-1] == (
        f"speech {a.seconds('speech'):.2f} s, silence {a.seconds('silence'):.2f} s, "
        f"noise {a.seconds('noise'):.2f} s"
    )


def test_the_analyze_summary_says_when_no_speech_was_found(hush, capsys):
    code, out, _ = run(capsys, "analyze", hush, *ENERGY)
    assert code == 0
    assert out.splitlines()[-1] == "speech 0.00 s, silence 3.00 s, noise 0.00 s (no speech found)"


def test_tokens_needs_an_input_and_gives_seconds_to_the_millisecond(tmp_path, capsys):
    code, out, err = run(capsys, "tokens", "--json")
    assert code == 2 and "Missing argument 'INPUTS...'" in err and out == ""
    src = tmp_path / "odd.wav"
    sf.write(src, tone(19753 / SR), SR)  # 1.2345625 s
    code, out, _ = run(capsys, "tokens", src, "--model", "gemini", "--json")
    assert code == 0 and json.loads(out)[str(src)]["seconds"] == 1.235
