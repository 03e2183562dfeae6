"""``audiosqueeze bench`` and ``report`` on planted command lines: each option reaches the
run as given (or as its documented default), bad values stop before any work with exit 2.
The run itself is a spy, so nothing is transcribed."""

import json

import pytest

from audiosqueeze.bench import run as run_mod
from audiosqueeze.bench.methods import DEFAULT_METHODS
from audiosqueeze.cli import main


@pytest.fixture
def spy(monkeypatch, tmp_path):
    """The run and the report as spies: ``spy.runs`` the options, ``spy.reports`` the calls."""
    calls = type("Calls", (), {"runs": [], "reports": []})()

    def run_bench(opts, progress=None):
        calls.runs.append(opts)
        progress("planted", 1, 2)  # the progress bar takes what the run reports
        return opts.out / "results.jsonl"

    monkeypatch.setattr(run_mod, "run_bench", run_bench)
    monkeypatch.setattr(
        "audiosqueeze.bench.cli._report",
        lambda folders, out: calls.reports.append((list(folders), out)),
    )
    (tmp_path / "data").mkdir()
    return calls


def test_the_defaults_are_the_documented_ones(spy, tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOSQUEEZE_DATA", str(tmp_path / "data"))  # --data from the env
    assert main(["bench", "--out", str(tmp_path / "o")]) == 0
    (o,) = spy.runs
    assert o.data == tmp_path / "data" and o.out == tmp_path / "o"
    assert (o.split, o.datasets, o.asr) == ("test", run_mod.DEFAULT_DATASETS, ("whisper-tiny.en",))
    assert o.methods == DEFAULT_METHODS
    assert (o.limit, o.longform_count, o.seed, o.jobs, o.asr_options) == (None, 6, 0, 1, {})
    assert spy.reports == [([tmp_path / "o"], tmp_path / "o")]  # the report, into --out
    assert "[default: test]" in _help()


def _help():
    from click.testing import CliRunner

    from audiosqueeze.bench.cli import bench

    return CliRunner().invoke(bench, ["--help"], terminal_width=200).output


def test_help_shows_each_default_and_range():
    import re

    shown = re.findall(r"\[[^\]]*\]", "".join(_help().split()))  # click wraps inside words
    assert shown == ["[OPTIONS]", "[dev|test]", "[default:test]", "[:TSV]", "[:CONFIG[:SPLIT]",
                     "[default:librispeech,commonvoice,longform]", "[default:whisper-tiny.en]",
                     f"[default:{','.join(DEFAULT_METHODS)}]", "[x>=1]", "[default:6;x>=1]",
                     "[default:0;x>=0]", "[required]", "[default:1;1<=x<=64]"]  # fmt: skip


def test_each_option_reaches_the_run(spy, tmp_path):
    args = ["bench", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "o"),
            "--split", "dev", "--datasets", " nonspeech , longform-hard ,",
            "--asr", "whisper-base,faster-whisper:/m", "--methods", "none,sq-0.5@d2, trim",
            "--limit", "1", "--longform-count", "1", "--seed", "3", "--jobs", "64",
            "--no-temperature-fallback", "--no-report"]  # fmt: skip
    assert main(args) == 0
    (o,) = spy.runs
    assert o.split == "dev" and o.datasets == ("nonspeech", "longform-hard")
    assert o.asr == ("whisper-base", "faster-whisper:/m")
    assert o.methods == ("none", "sq-0.5@d2", "trim")
    assert (o.limit, o.longform_count, o.seed, o.jobs) == (1, 1, 3, 64)
    assert o.asr_options == {"temperature_fallback": False}  # Whisper-only: allowed here
    assert spy.reports == []  # --no-report


@pytest.mark.parametrize(
    "extra, says",
    [
        (["--methods", "none,sq-deflt,trim"], "'sq-deflt'; choose from none,"),  # only the bad
        (["--methods", "none,sq-deflt,xx"], "'sq-deflt,xx'; choose from"),
        (["--methods", " , "], "' , '; choose from"),  # no name at all
        (["--datasets", ","], "','"),
        (["--asr", ""], "''"),
        (["--split", "train"], "'train'"),
        (["--limit", "0"], "--limit"),
        (["--longform-count", "0"], "--longform-count"),
        (["--seed", "-1"], "--seed"),
        (["--jobs", "0"], "--jobs"),
        (["--jobs", "65"], "--jobs"),
        (["--asr", "whisper-base,hama", "--no-temperature-fallback"], "not hama"),
        (["--asr", "pocketsphinx", "--no-temperature-fallback"], "not pocketsphinx"),
    ],
)
def test_bad_values_stop_before_any_work_with_exit_2(spy, tmp_path, capsys, extra, says):
    args = ["bench", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "o"), *extra]
    assert main(args) == 2
    assert says in " ".join(capsys.readouterr().err.split())
    assert spy.runs == [] and spy.reports == []


def test_out_is_required_and_folders_are_folders(spy, tmp_path, capsys):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    data = str(tmp_path / "data")
    assert main(["bench", "--data", data]) == 2 and "--out" in capsys.readouterr().err
    assert main(["bench", "--data", data, "--out", str(a_file)]) == 2
    assert main(["bench", "--data", str(a_file), "--out", str(tmp_path / "o")]) == 2
    assert main(["report", str(a_file)]) == 2
    assert main(["report"]) == 2  # at least one folder
    assert main(["report", str(tmp_path), "--out", str(a_file)]) == 2
    assert spy.runs == [] and spy.reports == []


def test_report_goes_to_the_first_folder_unless_told(spy, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["report", str(a), str(b)]) == 0
    assert main(["report", str(a), str(b), "--out", str(tmp_path / "m")]) == 0
    assert spy.reports == [([a, b], a), ([a, b], tmp_path / "m")]


def test_report_json_prints_one_summary_row_a_line(monkeypatch, tmp_path, capsys):
    from audiosqueeze.bench import report

    seen = []
    monkeypatch.setattr(report, "load_rows", lambda folders: seen.append(folders) or ["r"])
    monkeypatch.setattr(report, "summarize", lambda rows: [{"method": "none"}, {"n": 2}])
    monkeypatch.setattr(report, "write_report", lambda *a: pytest.fail("no report with --json"))
    assert main(["report", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in out] == [{"method": "none"}, {"n": 2}]
    assert seen == [(tmp_path / "a", tmp_path / "b")]


def test_the_report_lists_what_it_wrote(monkeypatch, tmp_path, capsys):
    from audiosqueeze.bench import report

    seen = []
    monkeypatch.setattr(run_mod, "run_bench", lambda opts, progress=None: opts.out / "r.jsonl")
    monkeypatch.setattr(
        report, "write_report", lambda folders, out: seen.append(out) or [out / "x.md"]
    )
    (tmp_path / "data").mkdir()
    args = ["bench", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "o")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert (
        f"wrote {tmp_path / 'o' / 'r.jsonl'}" in out and f"wrote {tmp_path / 'o' / 'x.md'}" in out
    )
    assert seen == [tmp_path / "o"]
