"""Summaries, tables and plots from planted result rows."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("jiwer", reason="report needs the [bench] extra")

from audiosqueeze.bench import ROW_FIELDS  # noqa: E402
from audiosqueeze.bench.report import load_rows, markdown, summarize, write_report  # noqa: E402


def _row(uid, method, words, out_s, gaps=None, ts=None, dataset="librispeech"):
    r = dict.fromkeys(ROW_FIELDS)
    r.update(asr="fake", dataset=dataset, split="test", id=uid, method=method, asr_s=1.0,
             cached=False, asr_config={"beam_size": 5}, input_s=10.0, output_s=out_s,
             gemini_before=320, gemini_after=int(out_s * 32), ref="a", hyp="a", words=words,
             chars=[10, 10, 0, 0, 0], loop_words=0, method_s=0.01, gaps=gaps, edited_s=0.0,
             ts_error_ms=ts)  # fmt: skip
    return r


def _rows():
    rows = []
    for i in range(4):
        rows.append(_row(f"u{i}", "none", [10, 10, 0, 0, 0], 10.0))
        rows.append(_row(f"u{i}", "sq-1.0", [10, 9, 1, 0, 0] if i < 2 else [10, 10, 0, 0, 0], 6.0,
                         ts=[10, 20, 30]))  # fmt: skip
    rows.append(_row("u9", "none", [10, 0, 0, 10, 0], 10.0))  # no sq-1.0 row: left out
    for m, ins in (("none", [3, 0]), ("sq-1.0", [0, 1])):
        rows.append(
            _row(
                "lf",
                m,
                [10, 10, 0, 0, sum(ins)],
                60.0 if m == "none" else 30.0,
                gaps=[["noise", 30.0, ins[0]], ["hum", 30.0, ins[1]]],
                dataset="longform",
            )
        )
    return rows


def test_summary_numbers_from_planted_rows():
    s = {(x["dataset"], x["method"]): x for x in summarize(_rows(), resamples=500)}
    ours = s[("librispeech", "sq-1.0")]
    assert ours["utterances"] == 4  # u9 lacks a row for sq-1.0
    assert ours["wer"] == pytest.approx(2 / 40) and s[("librispeech", "none")]["wer"] == 0
    assert ours["delta_wer"] == pytest.approx(0.05) and ours["ci_low"] <= 0.05 <= ours["ci_high"]
    assert ours["reduction"] == pytest.approx(1 - 4 * 192 / (4 * 320))
    assert ours["ts_median_ms"] == 20 and ours["ts_words"] == 12
    lf_none, lf_ours = s[("longform", "none")], s[("longform", "sq-1.0")]
    assert lf_none["gap_words_per_min"] == pytest.approx(3.0) and lf_none["gap_share"] == 0.5
    assert lf_ours["gap_words_per_min"] == pytest.approx(1.0) and lf_ours["gap_share"] == 0.5


def test_markdown_and_files(tmp_path):
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    assert len(load_rows([tmp_path])) == len(_rows())
    text = markdown(summarize(_rows(), resamples=200))
    assert "#### librispeech · fake (4 recordings" in text
    assert "| sq-1.0 | 1280 → 768 | 40.0 | 5.00 | +5.00 [" in text
    paths = write_report([tmp_path], tmp_path / "rep")
    names = sorted(p.name for p in paths)
    assert names == [
        "hallucination-longform.png",  # the long-form rows' planted stretches
        "hallucination.json",
        "hallucination.png",
        "report.md",
        "summary.json",
        "tradeoff-librispeech.png",
        "tradeoff-longform.png",
    ]
    assert all(p.stat().st_size > 0 for p in paths)
    assert (tmp_path / "rep" / "hallucination.png").read_bytes()[:4] == b"\x89PNG"


def test_report_cli_merges_folders(tmp_path):
    from audiosqueeze.cli import main

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    rows = _rows()
    (a / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:9]))
    other = [{**r, "asr": "other"} for r in rows]
    (b / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in other))
    assert main(["report", str(a), str(b), "--out", str(tmp_path / "m")]) == 0
    text = (tmp_path / "m" / "report.md").read_text()
    assert "librispeech · fake" in text and "librispeech · other" in text
    assert main(["report", str(tmp_path / "missing")]) == 1
    import gzip

    (b / "results.jsonl").rename(b / "old.jsonl")
    (b / "results.jsonl.gz").write_bytes(gzip.compress((b / "old.jsonl").read_bytes()))
    assert len(load_rows([b])) == len(rows)


def test_read_rows_takes_a_run_folder_or_a_row_file(tmp_path):
    import gzip

    from audiosqueeze.bench.report import read_rows
    from audiosqueeze.errors import AudioFileNotFoundError

    rows = [_row("a", "none", [3, 3, 0, 0, 0], 5.0), _row("b", "sq-default", [3, 2, 1, 0, 0], 4.0)]
    text = "".join(json.dumps(r) + "\n" for r in rows) + "\n"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.jsonl").write_text(text)
    (tmp_path / "rows.jsonl.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "rows.jsonl").write_text(text)
    for p in ("run", "rows.jsonl.gz", "rows.jsonl"):
        assert read_rows(tmp_path / p) == rows
    with pytest.raises(AudioFileNotFoundError, match="no such file"):
        read_rows(tmp_path / "missing.jsonl")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AudioFileNotFoundError, match="no results"):
        read_rows(tmp_path / "empty")


_KEYS = b'{"asr": "a", "dataset": "d", "id": "u", "method": "none"'


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"not json\n", "line 2 is not JSON"),
        (b'{"asr": "a", "dataset": "d", "id": "u", "method": "none"}\n', "has no ['words']"),
        (b"[1, 2]\n", "has no ['asr'"),
        (_KEYS + b', "words": [1, 2]}\n', "not five"),
        (_KEYS + b', "words": "12345"}\n', "not five"),
        (_KEYS + b', "words": [1, 1, 0, 0, 0.5]}\n', "not five"),
        (b"\xff\xfe\x00", "not bench rows"),
    ],
)
def test_a_file_that_is_not_bench_rows_is_named_with_its_line(tmp_path, content, why):
    from audiosqueeze.bench.report import read_rows
    from audiosqueeze.errors import ResultsFileError

    good = json.dumps(_row("a", "none", [3, 3, 0, 0, 0], 5.0)) + "\n"
    p = tmp_path / "rows.jsonl"
    p.write_bytes(good.encode() + content)  # the bad line is the second
    with pytest.raises(ResultsFileError, match=r"rows\.jsonl.*not bench rows") as e:
        read_rows(p)
    assert why in str(e.value)
    if content.isascii():
        assert "line 2" in str(e.value)


def test_a_broken_gzip_is_a_results_file_error(tmp_path):
    import gzip

    from audiosqueeze.bench.report import read_rows
    from audiosqueeze.errors import ResultsFileError

    whole = gzip.compress((json.dumps(_row("a", "none", [3, 3, 0, 0, 0], 5.0)) + "\n").encode())
    for name, data in (
        ("cut.jsonl.gz", whole[: len(whole) // 2]),
        ("junk.jsonl.gz", b"\x1f\x8bxx"),
    ):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ResultsFileError, match=name):
            read_rows(tmp_path / name)


def test_report_cli_names_a_bad_results_file_instead_of_an_internal_error(tmp_path, capsys):
    from audiosqueeze.cli import main

    (tmp_path / "results.jsonl").write_text('{"a": 1}\n')
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert "not bench rows" in err and "internal error" not in err
    assert not (tmp_path / "m").exists()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_any_bytes_give_rows_or_a_results_file_error(tmp_path_factory, data, gz):
    import gzip

    from audiosqueeze.bench.report import read_rows
    from audiosqueeze.errors import ResultsFileError

    p = tmp_path_factory.mktemp("fuzz") / ("r.jsonl.gz" if gz else "r.jsonl")
    p.write_bytes(gzip.compress(data) if gz and data[:1] == b"{" else data)
    try:
        rows = read_rows(p)
    except ResultsFileError:
        return
    assert all(isinstance(r, dict) and len(r["words"]) == 5 for r in rows)


@pytest.mark.parametrize(
    ("change", "quote"),
    [
        ({"chars": ...}, "field 'chars' is nothing"),
        ({"id": ["u0"]}, "field 'id' is ['u0']"),
        ({"asr_s": "1.0"}, "field 'asr_s' is '1.0'"),
        ({"input_s": float("nan")}, "field 'input_s' is nan"),
        ({"gaps": [["noise", 30.0]]}, "field 'gaps' is [['noise', 30.0]]"),
        ({"category": ["music"]}, "field 'category' is ['music']"),
        ({"asr_config": "beam 5"}, "field 'asr_config' is 'beam 5'"),
        ({"asr_s": float("nan")}, "field 'asr_s' is nan"),
    ],
)
def test_a_row_the_summary_cannot_read_is_named(tmp_path, capsys, change, quote):
    # before: KeyError / TypeError from summarize(): "internal error", exit 70
    from audiosqueeze.cli import main
    from audiosqueeze.errors import ResultsFileError

    rows = _rows()
    bad = rows[3]
    for k, v in change.items():
        bad.pop(k) if v is ... else bad.__setitem__(k, v)
    with pytest.raises(ResultsFileError, match=re.escape(quote)):
        summarize(rows)
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for args in (["--json"], ["--out", str(tmp_path / "r")]):
        assert main(["report", str(tmp_path), *args]) == 1
        err = capsys.readouterr().err
        assert "cannot be summarised" in err and quote in err and "internal" not in err


def test_rows_without_the_optional_fields_still_summarise():
    rows = _rows()
    timed = {(s["dataset"], s["method"]): s["asr_rtf"] for s in summarize(rows, resamples=50)}
    assert timed[("librispeech", "none")] == pytest.approx(4 * 1.0 / 40.0)
    for r in rows:
        for k in ("parts_cut", "category", "no_speech", "errors_edited", "errors_untouched"):
            r.pop(k, None)
    assert len(summarize(rows, resamples=50)) == 4
    rows[1].pop("asr_s")  # a script that times no recogniser (babble_oracle.py) writes neither
    for r in rows:
        r.pop("asr_config")
    summary = summarize(rows, resamples=50)
    rtf = {(s["dataset"], s["method"]): s["asr_rtf"] for s in summary}
    assert rtf[("librispeech", "sq-1.0")] is None  # unknown, not a sum over the rows that have it
    assert rtf[("librispeech", "none")] == timed[("librispeech", "none")]
    assert all(s["asr_config"] == {} for s in summary)
    assert "#### librispeech · fake (4 recordings, 0.7 min)" in markdown(summary)
