"""The published summary, table and plots, field by field, from rows with planted answers.

Each number here is worked out by hand from the rows (minutes are seconds / 60, the interval
is evaluate's 2000-resample paired bootstrap), so a wrong unit, sum or filter in the report
shows up as a wrong number, not only as a missing one.
"""

import numpy as np
import pytest

pytest.importorskip("jiwer", reason="report needs the [bench] extra")

from audiosqueeze import evaluate as ev  # noqa: E402
from audiosqueeze.bench import ROW_FIELDS, report  # noqa: E402
from audiosqueeze.errors import ResultsFileError  # noqa: E402


def row(uid, method, words, **kw):
    r = dict.fromkeys(ROW_FIELDS)
    r.update(
        asr="tiny", dataset="ls", split="dev", id=uid, method=method, words=words,
        input_s=30.0, output_s=30.0, method_s=0.3, asr_s=3.0, edited_s=0.0,
        gemini_before=960, gemini_after=960, chars=[50, 50, 0, 0, 0], loop_words=0,
        ref="a", hyp="a", asr_config={"compute_type": "int8", "beam_size": 5},
    )  # fmt: skip
    r.update(kw)
    return r


NONE_WORDS = [[20, 18, 1, 1, 0], [10, 10, 0, 0, 0], [30, 27, 2, 0, 1]]
OURS_WORDS = [[20, 17, 2, 1, 1], [10, 9, 0, 1, 0], [30, 28, 1, 1, 0]]


def planted():
    rows = []
    for i, (wn, wo) in enumerate(zip(NONE_WORDS, OURS_WORDS, strict=True)):
        n = i + 1  # a clip of n minutes: 1920 n Gemini tokens
        rows.append(
            row(f"u{i}", "none", wn, input_s=60.0 * n, output_s=60.0 * n, gemini_before=1920 * n,
                gemini_after=1920 * n)
        )  # fmt: skip
        rows.append(
            row(
                f"u{i}", "sq-1.0", wo, input_s=60.0 * (i + 1), output_s=45.0 * (i + 1),
                method_s=1.5, asr_s=9.0, edited_s=12.0 * (i + 1), loop_words=i,
                gemini_before=1920 * (i + 1), gemini_after=1440 * (i + 1),
                chars=[100, 90, 5, 3, 2],
                errors_edited=[3, None, 1][i], errors_untouched=[1, None, 0][i],
                base_errors_edited=[2, None, 1][i], base_errors_untouched=[0, None, 0][i],
                gaps=[["noise", 30.0, 1], ["music", 90.0, 0]] if i == 0 else [["hum", 60.0, 5]],
                ts_error_ms=list(range(0, 101)) if i == 0 else None,
            )
        )  # fmt: skip
    return rows


def by_method(summary):
    return {s["method"]: s for s in summary}


def test_every_summary_field_is_worked_out_from_the_rows():
    s = by_method(report.summarize(planted()))
    ours, none = s["sq-1.0"], s["none"]
    assert ours["utterances"] == 3
    assert none["input_min"] == ours["input_min"] == pytest.approx(6.0)  # 60 + 120 + 180 s
    assert none["output_min"] == pytest.approx(6.0) and ours["output_min"] == pytest.approx(4.5)
    assert ours["edited_min"] == pytest.approx(1.2) and none["edited_min"] == 0  # 72 s
    assert (ours["gemini_before"], ours["gemini_after"]) == (11520, 8640)
    assert ours["reduction"] == pytest.approx(0.25)
    assert none["wer"] == pytest.approx(5 / 60) and ours["wer"] == pytest.approx(7 / 60)
    assert (ours["ref_words"], ours["sub"], ours["del"], ours["ins"]) == (60, 3, 3, 1)
    assert ours["cer"] == pytest.approx(0.1) and ours["loop_words"] == 0 + 1 + 2
    assert ours["delta_wer"] == pytest.approx(2 / 60)
    base = [ev.Counts(*w) for w in NONE_WORDS]
    other = [ev.Counts(*w) for w in OURS_WORDS]
    assert (ours["delta_wer"], ours["ci_low"], ours["ci_high"]) == ev.paired_bootstrap(
        base, other, resamples=2000
    )  # the documented interval: 2000 resamples, not "about" it
    assert ours["method_rtf"] == pytest.approx(4.5 / 360) and ours["asr_rtf"] == pytest.approx(
        27 / 270
    )  # recogniser time over the audio it heard (the output), not the input
    # the error-location counts sum the rows that have them (u1 has none)
    assert (ours["errors_edited"], ours["errors_untouched"]) == (4, 1)
    assert (ours["base_errors_edited"], ours["base_errors_untouched"]) == (3, 0)
    assert none["errors_edited"] is None  # no row has them: unknown, not 0
    # gaps: 30 + 90 + 60 + 60 s = 4 minutes of non-speech holding 1 + 0 + 5 + 5 words
    assert ours["nonspeech_min"] == pytest.approx(4.0) and ours["gaps"] == 4
    assert ours["gap_words"] == 11 and ours["gap_words_per_min"] == pytest.approx(11 / 4)
    assert ours["gap_share"] == pytest.approx(3 / 4)
    assert "gap_words_per_min" not in none  # none's rows hold no gaps
    assert (ours["ts_words"], ours["ts_median_ms"], ours["ts_p95_ms"]) == (101, 50.0, 95.0)


def test_a_dataset_without_the_original_is_left_out_not_compared_with_nothing():
    rows = [r for r in planted() if r["method"] != "none"]
    assert report.summarize(rows, resamples=50) == []
    other = [{**r, "dataset": "cv"} for r in planted() if r["method"] == "sq-1.0"]
    got = report.summarize(planted() + other, resamples=50)
    assert {(x["dataset"], x["method"]) for x in got} == {("ls", "none"), ("ls", "sq-1.0")}


def test_the_interval_is_the_2000_resample_paired_bootstrap():
    rng = np.random.default_rng(7)
    rows = []
    for i in range(40):
        ref = int(rng.integers(5, 30))
        e_none, e_ours = (int(x) for x in rng.integers(0, 4, 2))
        rows.append(row(f"c{i:02d}", "none", [ref, ref - e_none, e_none, 0, 0]))
        rows.append(row(f"c{i:02d}", "sq-1.0", [ref, ref - e_ours, e_ours, 0, 0]))
    got = by_method(report.summarize(rows))["sq-1.0"]
    base = [ev.Counts(*r["words"]) for r in rows[::2]]
    ours = [ev.Counts(*r["words"]) for r in rows[1::2]]
    want = ev.paired_bootstrap(base, ours, resamples=2000)
    assert (got["delta_wer"], got["ci_low"], got["ci_high"]) == want
    assert want != ev.paired_bootstrap(base, ours, resamples=1999)  # the test can tell


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("loop_words", 1.5),  # counts are whole
        ("loop_words", True),
        ("chars", [10, 10, 0, 0]),  # jiwer's five counts
        ("chars", "10"),
        ("gaps", [["noise", "30", 1]]),  # seconds must be a number
        ("gaps", [["noise", 30.0]]),
        ("ts_error_ms", ["12"]),
        ("ts_error_ms", "12"),
        ("parts_cut", [None]),
        ("parts_cut", 3.0),
    ],
)
def test_a_row_the_summary_cannot_read_is_refused_by_name(field, value):
    bad = row("u", "sq-1.0", [1, 1, 0, 0, 0], **{field: value})
    with pytest.raises(ResultsFileError, match=f"field '{field}' is "):
        report.summarize([row("u", "none", [1, 1, 0, 0, 0]), bad], resamples=10)


def test_a_bad_field_is_quoted_to_60_characters_and_its_row_named_to_40():
    bad = row("u" * 50, "none", [1, 1, 0, 0, 0], input_s="x" * 100)
    with pytest.raises(ResultsFileError) as e:
        report.summarize([bad])
    text = str(e.value)
    assert text.endswith("field 'input_s' is '" + "x" * 59)
    assert f"ls/tiny/none/{'u' * 40} cannot" in text


def test_the_table_row_says_each_number_in_its_own_unit():
    rows = planted()  # and a method whose rows do not locate their errors: "–", not None
    rows += [{**r, "method": "speed-1.25"} for r in planted() if r["method"] == "none"]
    summary = report.summarize(rows)
    lines = report.markdown(summary).splitlines()
    assert lines[0] == "#### ls · tiny (3 recordings, 6.0 min; compute_type int8, beam_size 5)"
    rows_of = {ln.split(" | ")[0][2:]: ln for ln in lines if ln.startswith("| ")}
    none_line, ours_line, speed_line = (rows_of[m] for m in ("none", "sq-1.0", "speed-1.25"))
    assert speed_line.startswith("| speed-1.25 | 11520 → 11520 |")
    assert speed_line.endswith(" | – | – | 0 | – | – |")
    assert none_line == (
        "| none | 11520 → 11520 | 0.0 | 8.33 | 0 (reference) | 0.00 | 3 / 1 / 1 "
        "| – | – | 0 | – | – |"
    )
    lo, hi = (100 * by_method(summary)["sq-1.0"][k] for k in ("ci_low", "ci_high"))
    assert ours_line == (
        f"| sq-1.0 | 11520 → 8640 | 25.0 | 11.67 | +3.33 [{lo:+.2f}, {hi:+.2f}] | 10.00 "
        "| 3 / 3 / 1 | 2.75 | 75 | 3 | 4 / 1 (3 / 0) | 50 / 95 |"
    )


def test_the_plots_draw_each_dataset_and_recogniser_at_its_own_numbers(request, tmp_path):
    pytest.importorskip("matplotlib", reason="plots need the [bench] extra")
    rows = planted()
    base = [{**r, "asr": "base"} for r in planted()]  # base's output is 3/4 of tiny's
    rows += [{**r, "gemini_after": r["gemini_after"] * 3 // 4,  # and twice the words in gaps
              "gaps": [[k, t, 2 * n] for k, t, n in r["gaps"]]} if r["method"] != "none" else r
             for r in base]  # fmt: skip
    rows += [{**r, "method": "sq-0.5"} for r in planted() if r["method"] == "sq-1.0"]  # tiny only
    cv = [{**r, "dataset": "cv"} for r in planted()]  # cv's output is half ls's: other points
    rows += [
        {**r, "gemini_after": r["gemini_after"] // 2} if r["method"] != "none" else r for r in cv
    ]
    summary = report.summarize(rows, resamples=50)
    figs = request.getfixturevalue("captured_figures")
    paths = report.plots(summary, tmp_path / "new" / "folder")  # made, parents too
    assert (tmp_path / "new" / "folder").is_dir()
    assert [p.name for p in paths] == ["tradeoff-cv.png", "tradeoff-ls.png", "hallucination.png"]
    ax = figs["tradeoff-ls.png"].axes[0]
    series = {c.get_label(): c for c in ax.containers}
    assert sorted(series) == ["base", "tiny"]  # cv's rows are not drawn on ls's plot
    tiny = [s for s in summary if (s["dataset"], s["asr"]) == ("ls", "tiny")]
    xy = series["tiny"].lines[0].get_xydata()
    assert xy.tolist() == [[100 * s["reduction"], 100 * s["delta_wer"]] for s in tiny]
    bars = series["tiny"].lines[2][0].get_segments()  # the 95 % interval, in points
    for seg, s in zip(bars, tiny, strict=True):
        assert seg[:, 1].tolist() == pytest.approx([100 * s["ci_low"], 100 * s["ci_high"]])
    assert sorted(t.get_text() for t in ax.texts) == ["none", "none", "sq-0.5", "sq-1.0", "sq-1.0"]
    assert [ln.get_ydata()[0] for ln in ax.lines if ln.get_label() == "+0.5 pt target"] == [0.5]
    horizontal = [ln.get_ydata()[0] for ln in ax.lines if list(ln.get_xdata()) == [0, 1]]
    assert horizontal == [0, 0.5]  # the zero line, then the target
    assert [ln.get_xdata()[0] for ln in ax.lines if ln.get_label() == "40 % target"] == [40]
    hall = figs["hallucination.png"].axes[0]
    ticks = [t.get_text() for t in hall.get_xticklabels()]
    assert ticks == ["sq-0.5", "sq-1.0"]  # only methods whose rows hold non-speech stretches
    heights = {  # words per minute of non-speech; base has no sq-0.5 rows: a bar of 0
        "base": [0.0, 22 / 4],
        "tiny": [11 / 4, 11 / 4],
    }
    for k, asr in enumerate(["base", "tiny"]):
        bars = next(c for c in hall.containers if c.get_label() == asr).patches
        assert [b.get_height() for b in bars] == pytest.approx(heights[asr])
        assert [b.get_width() for b in bars] == pytest.approx([0.4, 0.4])  # 0.8 for the pair
        assert [b.get_x() + 0.2 for b in bars] == pytest.approx([k * 0.4, 1 + k * 0.4])
    assert hall.get_xticks().tolist() == pytest.approx([0.2, 1.2])  # centred under each pair


def test_the_report_goes_to_the_first_folder_unless_told_and_holds_the_summary(tmp_path):
    import json

    a, b = tmp_path / "a", tmp_path / "b"
    for folder, rows in ((a, planted()), (b, [{**r, "asr": "base"} for r in planted()])):
        folder.mkdir()
        (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = report.write_report([a, b])
    assert {p.parent for p in written} == {a}
    summary = report.summarize(planted() + [{**r, "asr": "base"} for r in planted()])
    assert json.loads((a / "summary.json").read_text()) == json.loads(json.dumps(summary))
    assert (a / "report.md").read_text().startswith(report.markdown(summary))
    deep = tmp_path / "new" / "deeper"
    assert {p.parent for p in report.write_report([b], deep)} == {deep}


def test_a_folder_that_does_not_exist_is_named_as_such(tmp_path):
    from audiosqueeze.bench.report import load_rows
    from audiosqueeze.errors import AudioFileNotFoundError

    with pytest.raises(AudioFileNotFoundError, match="no such folder: '.*nowhere'"):
        load_rows([tmp_path / "nowhere"])
    with pytest.raises(AudioFileNotFoundError, match="no results.jsonl"):
        load_rows([tmp_path])  # a folder, but no rows in it
