"""Hallucination summaries, tables and plots on rows and summaries with planted answers.

Every expected number is worked out by hand from what is planted (minutes are seconds / 60,
shares and rates are pooled sums, the intervals are evaluate's 2000-resample bootstraps), so a
wrong unit, index, filter or format shows up as a wrong number.
"""

import pytest

pytest.importorskip("jiwer", reason="bench needs the [bench] extra")
pytest.importorskip("whisper_normalizer", reason="bench needs the [bench] extra")

from audiosqueeze import evaluate as ev  # noqa: E402
from audiosqueeze.bench import ROW_FIELDS, halluc  # noqa: E402


def _row(dataset, uid, method, hyp="", *, input_s=60.0, output_s=30.0, ref="", words=None,
         gaps=None, **kw):  # fmt: skip
    r = dict.fromkeys(ROW_FIELDS)
    n = len(hyp.split())
    r.update(asr="fake", dataset=dataset, split="test", id=uid, method=method, input_s=input_s,
             output_s=output_s, ref=ref, hyp=hyp, words=words or [0, 0, 0, 0, n], loop_words=0,
             gaps=gaps, gemini_before=100, gemini_after=50, category=None,
             asr_config=None)  # fmt: skip
    r.update(kw)
    return r


# eight non-speech clips of 1..8 minutes: the original's words, ours' words
NS_NONE = [3, 0, 5, 1, 0, 7, 2, 0]
NS_OURS = [1, 0, 2, 3, 0, 1, 4, 0]


def _ns_rows():
    rows = []
    for i, (a, b) in enumerate(zip(NS_NONE, NS_OURS, strict=True)):
        minutes = i + 1
        for m, n in (("none", a), ("sq-default", b)):
            rows.append(_row("nonspeech", f"c{i}", m, " ".join(["you"] * n),
                             input_s=60.0 * minutes, output_s=(6.0 if m != "none" else 60.0)
                             * minutes, loop_words=i % 2, category="music"))  # fmt: skip
    rows.append(_row("one-clip", "only", "none", "thank you"))
    rows.append(_row("one-clip", "only", "sq-default", ""))
    return rows


def test_nonspeech_summary_units_intervals_and_defaults():
    ns = {
        (s["dataset"], s["method"], s["category"]): s for s in halluc.nonspeech_summary(_ns_rows())
    }
    minutes = [i + 1 for i in range(8)]
    none, ours = ns[("nonspeech", "none", "all")], ns[("nonspeech", "sq-default", "all")]
    assert none["input_min"] == 36.0 and none["output_min"] == 36.0  # 1 + ... + 8 minutes
    assert ours["output_min"] == pytest.approx(3.6)  # a tenth of each clip sent
    assert none["words"] == 18 and ours["words"] == 11 and none["loop_words"] == 4
    assert none["share"][0] == 0.625  # 5 of 8 clips
    assert ours["share"][0] == 0.625
    assert none["wpm"][0] == 0.5 and ours["wpm"][0] == 0.305556  # 11 / 36, kept to 6 digits
    # the intervals are evaluate's with its default 2000 resamples
    base_any = [float(n > 0) for n in NS_NONE]
    ours_any = [float(n > 0) for n in NS_OURS]
    want = ev.bootstrap_ratio(NS_OURS, minutes)
    assert ours["wpm"] == [round(v, 6) for v in want]
    want = ev.paired_bootstrap_change(NS_NONE, NS_OURS, relative=True)
    assert ours["wpm_removed"] == [round(v, 6) for v in want]
    want = ev.paired_bootstrap_change(base_any, ours_any, relative=True)
    assert ours["share_removed"] == [round(v, 6) for v in want]
    assert "share_vs_fw_vad" not in ours  # no fw-vad rows
    # no asr_config in the rows: an empty one; one clip is enough for a summary
    assert none["asr_config"] == {} and ours["asr_config"] == {}
    one = ns[("one-clip", "sq-default", "all")]
    assert one["clips"] == 1 and one["share"][0] == 0.0 and one["asr_config"] == {}
    assert ns[("one-clip", "none", "all")]["wpm"][0] == 2.0  # 2 words in 1 minute


def _lf_rows():
    """Recordings of 2.5 min with 30 s of music and 90 s of noise planted; `many` has six."""
    rows = []
    for dataset, n in (("lf-one", 1), ("lf-many", 6)):
        for i in range(n):
            for m, music, noise, cut, sub in (
                ("none", 3, i, [0.0, 0.0], i % 3),
                ("sq-nsgain0", 1, i % 2, [0.5, 0.75], (i + 1) % 3),  # half cut: not "more than"
                ("sq-default", 0, 0, [0.25, 0.51], i % 2),
            ):
                gaps = [["music", 30.0, music], ["noise", 90.0, noise]]
                words = [10 + i, 10 + i - sub, sub, 0, music + noise]
                rows.append(_row(dataset, f"r{i}", m, "x", input_s=150.0, ref="r", words=words,
                                 gaps=gaps, parts_cut=cut, gemini_before=400,
                                 gemini_after=400 if m == "none" else 300))  # fmt: skip
    rows += [
        _row("speech", "s0", m, "a", ref="a", words=[1, 1, 0, 0, 0]) for m in ("none", "sq-default")
    ]
    return rows


def test_longform_summary_units_kinds_and_defaults():
    lf = {(s["dataset"], s["method"]): s for s in halluc.longform_summary(_lf_rows())}
    assert {d for d, _ in lf} == {"lf-one", "lf-many"}  # the speech set has no stretches
    one = lf[("lf-one", "none")]
    assert one["input_min"] == 2.5 and one["nonspeech_min"] == 2.0 and one["stretches"] == 2
    assert one["by_kind"] == {"music": 6.0, "noise": 0.0}  # 3 words in half a minute
    assert one["asr_config"] == {} and lf[("lf-one", "sq-default")]["asr_config"] == {}
    assert one["reduction"] == 0.0 and lf[("lf-one", "sq-default")]["reduction"] == 0.25
    many = lf[("lf-many", "sq-nsgain0")]
    assert many["by_kind"] == {"music": 2.0, "noise": pytest.approx(3 / 9)}  # 6 in 3, 3 in 9
    assert many["utterances"] == 6 and many["utterances_cut"] == 6  # the 0.75s, not the 0.5s
    assert lf[("lf-many", "sq-default")]["utterances_cut"] == 6  # 0.51 is more than half
    base = [r for r in _lf_rows() if r["dataset"] == "lf-many" and r["method"] == "none"]
    ours = [r for r in _lf_rows() if r["dataset"] == "lf-many" and r["method"] == "sq-nsgain0"]

    def speech(r):  # the planted substitutions only: the inserted words are all in stretches
        return ev.Counts(*r["words"][:4], 0)

    want = ev.paired_bootstrap([speech(r) for r in base], [speech(r) for r in ours])
    assert many["speech_delta_wer"] == [round(v, 6) for v in want]
    gw = lambda rs: [r["gaps"][0][2] + r["gaps"][1][2] for r in rs]  # noqa: E731
    want = ev.bootstrap_ratio(gw(ours), [2.0] * 6)
    assert many["gap_wpm"] == [round(v, 6) for v in want]
    want = ev.paired_bootstrap_change(gw(base), gw(ours), relative=True)
    assert many["gap_wpm_removed"] == [round(v, 6) for v in want]


def test_treatment_summary_one_recording_and_items_without_insertions():
    rows = [
        _row("ls", "u0", "sq-nsgain0", "a", ref="a b c d", words=[4, 0, 4, 0, 0]),
        _row("ls", "u0", "sq-default", "a", ref="a b c d", words=[4, 0, 3, 1, 0]),
    ]
    (s,) = halluc.treatment_summary(rows)
    assert s["recordings"] == 1 and s["asr_config"] == {}
    assert s["wer"] == 1.0 and s["delta_wer"] == [0.0, 0.0, 0.0]  # no hits, still scored
    # inserted words 0, 1, 3 untreated and 0, 0, 1 treated: two and one items with any
    rows = []
    for i, (a, b) in enumerate(((0, 0), (1, 0), (3, 1))):
        rows.append(_row("ns", f"c{i}", "sq-nsgain0", "", words=[0, 0, 0, 0, a]))
        rows.append(_row("ns", f"c{i}", "sq-nsgain-30", "", words=[0, 0, 0, 0, b]))
    (s,) = halluc.treatment_summary(rows)
    assert s["any_words"] == [2, 1] and s["inserted"] == [4, 1] and "wer" not in s
    # long-form: only the words in the stretches count, with a one-recording set
    lf = [r for r in _lf_rows() if r["dataset"] == "lf-one"]
    (s,) = halluc.treatment_summary(lf)
    assert s["method"] == "sq-default" and s["inserted"] == [1, 0] and s["any_words"] == [1, 0]
    assert s["wer"] == 0.0  # no substitutions; the inserted words are all in the stretches
    many = [r for r in _lf_rows() if r["dataset"] == "lf-many"]
    (s,) = halluc.treatment_summary(many)
    a = [ev.Counts(*r["words"][:4], 0) for r in many if r["method"] == "sq-nsgain0"]
    b = [ev.Counts(*r["words"][:4], 0) for r in many if r["method"] == "sq-default"]
    assert s["delta_wer"] == [round(v, 6) for v in ev.paired_bootstrap(a, b)]


NS = dict(dataset="nsA", asr="tiny", clips=4, input_min=0.5, words=0, loop_words=0)
NS_TABLE = [
    {**NS, "method": "none", "category": "all", "output_min": 0.5, "loop_words": 2,
     "share": [0.5, 0.25, 0.75], "wpm": [3.0, 1.5, 4.5], "share_removed": [0.0, 0.0, 0.0],
     "no_speech": None, "share_vs_fw_vad": [0.25, 0.0, 0.5]},
    {**NS, "method": "fw-vad", "category": "all", "output_min": 0.375,
     "share": [0.25, 0.0, 0.5], "wpm": [1.0, 0.5, 1.5], "share_removed": [0.5, 0.0, 1.0],
     "no_speech": None, "share_vs_fw_vad": [0.0, 0.0, 0.0]},
    {**NS, "method": "sq-default", "category": "all", "output_min": 0.125,
     "share": [0.0, 0.0, 0.0], "wpm": [0.0, 0.0, 0.0], "share_removed": [1.0, 0.5, None],
     "no_speech": 0.75, "share_vs_fw_vad": [-0.25, -0.5, None]},
    {**NS, "method": "sq-0.5", "category": "all", "output_min": 0.25,
     "share": [0.25, 0.0, 0.5], "wpm": [0.5, 0.0, 1.0], "share_removed": [None, None, None],
     "no_speech": 0.0},
    {**NS, "method": "none", "category": "music", "clips": 3, "share": [1 / 3, 0.0, 1.0]},
    {**NS, "method": "fw-vad", "category": "music", "clips": 3, "share": [0.0, 0.0, 0.0]},
    {**NS, "method": "sq-default", "category": "music", "clips": 3, "share": [0.0, 0.0, 0.0]},
    {**NS, "method": "sq-0.5", "category": "music", "clips": 3, "share": [1 / 3, 0.0, 1.0]},
    {**NS, "method": "none", "category": "near_silence", "clips": 1, "share": [1.0, 1.0, 1.0]},
    {**NS, "method": "fw-vad", "category": "near_silence", "clips": 1, "share": [1.0, 1, 1]},
    {**NS, "method": "sq-default", "category": "near_silence", "clips": 1, "share": [0.0, 0, 0]},
    {**NS, "method": "sq-0.5", "category": "near_silence", "clips": 1, "share": [0.0, 0, 0]},
    {**NS, "dataset": "nsB", "method": "none", "category": "all", "clips": 2, "input_min": 3.0,
     "output_min": 3.0, "share": [0.5, 0.0, 1.0], "wpm": [0.5, 0.0, 1.0],
     "share_removed": [0.0, 0.0, 0.0], "no_speech": None},
]  # fmt: skip
LF = dict(dataset="lfB", asr="tiny", recordings=2, input_min=3.0, nonspeech_min=1.5,
          stretches=4, utterances=2)  # fmt: skip
LF_TABLE = [
    {**LF, "method": "none", "reduction": 0.0, "gap_wpm": [2.0, 1.0, 3.0],
     "gap_wpm_removed": [0.0, 0.0, 0.0], "gap_share": 0.75, "loop_words": 1,
     "utterances_cut": None, "speech_wer": 0.1, "speech_delta_wer": [0.0, 0.0, 0.0],
     "by_kind": {"music": 2.5, "noise": 1.0}},
    {**LF, "method": "sq-default", "reduction": 0.4, "gap_wpm": [0.5, 0.0, 1.25],
     "gap_wpm_removed": [0.75, 0.5, 1.0], "gap_share": 0.25, "loop_words": 0,
     "utterances_cut": 1, "speech_wer": 0.0875, "speech_delta_wer": [-0.0125, -0.03, 0.005],
     "by_kind": {"music": 0.0, "noise": 0.75}},
]  # fmt: skip
TR_TABLE = [
    {"dataset": "ls", "asr": "tiny", "method": "sq-default", "against": "sq-nsgain0",
     "recordings": 3, "wer": 0.0625, "delta_wer": [-0.0125, -0.02, 0.0], "any_words": [2, 1],
     "inserted": [5, 1]},
    {"dataset": "nsA", "asr": "tiny", "method": "sq-roomtone", "against": "sq-nsgain0",
     "recordings": 4, "any_words": [2, 0], "inserted": [6, 0]},
]  # fmt: skip

NS_HEAD = (
    "| method | clips with words % [95 % CI] | share removed vs none % [CI] "
    "| minus fw-vad's share, pts [CI] | words /min [CI] | loop words "
    "| flagged no speech % | audio sent % |"
)
LF_HEAD = (
    "| method | token reduction % | words in non-speech /min [CI] | removed vs none % [CI] "
    "| stretches with words % | loop words | utterances cut | speech WER % "
    "| speech ΔWER pts [CI] | music /min | noise /min |"
)
TR_HEAD = (
    "| dataset | recogniser | method | recordings | WER % | ΔWER pts [95 % CI] "
    "| items with inserted words (untreated → treated) "
    "| inserted words (untreated → treated) |"
)
EXPECTED = "\n".join(
    [
        "#### nsA · tiny (4 clips, 0.5 min)",
        "",
        NS_HEAD,
        "| --- | --- | --- | --- | --- | ---: | ---: | ---: |",
        (
            "| none | 50.0 [25.0, 75.0] | (reference) | +25.0 [+0.0, +50.0] "
            "| 3.00 [1.50, 4.50] | 2 | – | 100.0 |"
        ),
        (
            "| fw-vad | 25.0 [0.0, 50.0] | 50 [0, 100] | (reference) | 1.00 [0.50, 1.50] "
            "| 0 | – | 75.0 |"
        ),
        (
            "| sq-default | 0.0 [0.0, 0.0] | 100 [50, –] | -25.0 [-50.0, –] "
            "| 0.00 [0.00, 0.00] | 0 | 75 | 25.0 |"
        ),
        "| sq-0.5 | 25.0 [0.0, 50.0] | – | – | 0.50 [0.00, 1.00] | 0 | 0 | 50.0 |",
        "",
        "Clips with words %, by category (clips):",
        "",
        "| method | music (3) | near_silence (1) |",
        "| --- | ---: | ---: |",
        "| none | 33 | 100 |",
        "| fw-vad | 0 | 100 |",
        "| sq-default | 0 | 0 |",
        "| sq-0.5 | 33 | 0 |",
        "",
        "#### nsB · tiny (2 clips, 3.0 min)",
        "",
        NS_HEAD,
        "| --- | --- | --- | --- | --- | ---: | ---: | ---: |",
        "| none | 50.0 [0.0, 100.0] | (reference) | – | 0.50 [0.00, 1.00] | 0 | – | 100.0 |",
        "",
        "#### lfB · tiny (2 recordings, 3.0 min, 1.5 min planted non-speech in 4 stretches)",
        "",
        LF_HEAD,
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
        (
            "| none | 0.0 | 2.00 [1.00, 3.00] | (reference) | 75 | 1 | – | 10.00 "
            "| 0 (reference) | 2.50 | 1.00 |"
        ),
        (
            "| sq-default | 40.0 | 0.50 [0.00, 1.25] | 75 [50, 100] | 25 | 0 | 1 of 2 "
            "| 8.75 | -1.25 [-3.00, +0.50] | 0.00 | 0.75 |"
        ),
        "",
        "#### Pause treatment against `sq-nsgain0` (the policy without it)",
        "",
        TR_HEAD,
        "| --- | --- | --- | ---: | ---: | --- | --- | --- |",
        "| ls | tiny | sq-default | 3 | 6.25 | -1.25 [-2.00, +0.00] | 2 → 1 | 5 → 1 |",
        "| nsA | tiny | sq-roomtone | 4 | – | – | 2 → 0 | 6 → 0 |",
        "",
    ]
)


def test_markdown_tables_cell_by_cell():
    assert halluc.markdown(NS_TABLE, LF_TABLE, TR_TABLE) == EXPECTED
    assert halluc.markdown([], [], []) == ""
    nothing = {**NS_TABLE[0], "share_removed": None}  # no interval at all: a dash
    assert "| none | 50.0 [25.0, 75.0] | (reference) |" in halluc.markdown([nothing], [], [])
    alone = halluc.markdown([], LF_TABLE[:1], [])  # a long-form set with one method
    assert alone.startswith("#### lfB · tiny (2 recordings, 3.0 min, 1.5 min planted non-speech")
    assert halluc._pct(None) == "–" and halluc._pct([0.25, None, 0.5]) == "25.0 [–, 50.0]"


def test_plots_draw_each_series_at_its_numbers(request, tmp_path):
    pytest.importorskip("matplotlib", reason="plots need the [bench] extra")

    ns = [
        {"dataset": "clips", "asr": "tiny", "method": "none", "category": "all",
         "share": [0.5, 0.25, None]},
        {"dataset": "clips", "asr": "tiny", "method": "none", "category": "music",
         "share": [0.9, 0.8, 1.0]},  # by category: not drawn
    ]  # fmt: skip
    planted = {  # method -> gap words per minute [value, low, high] of recognisers a and b
        "sq-default": ([0.5, 0.25, 1.0], [1.0, 0.5, 2.0]),
        "none": ([3.0, 2.0, 4.0], [6.0, 4.0, 8.0]),
        "sq-1.0": ([1.5, 1.0, 2.0], [2.0, 1.0, 3.0]),
        "trim": ([2.5, 2.0, 3.0], None),  # b has no trim rows: a bar of 0
        "sq-0.5": ([1.0, 0.5, 1.5], [1.5, 1.0, 2.0]),
        "fw-vad": ([2.0, 1.0, 3.0], [4.0, 2.0, 6.0]),
    }
    lf = [{"dataset": "long", "asr": asr, "method": m, "gap_wpm": v[k]}
          for m, v in planted.items() for k, asr in enumerate("ab") if v[k]]  # fmt: skip
    figs = request.getfixturevalue("captured_figures")
    paths = halluc.plots(ns, lf, tmp_path)
    assert paths == [tmp_path / "hallucination-clips.png", tmp_path / "hallucination-long.png"]

    ax = figs["hallucination-clips.png"].axes[0]
    assert figs["hallucination-clips.png"].get_size_inches().tolist() == [6.0, 4.5]
    (bars,) = [c for c in ax.containers if c.get_label() == "tiny"]
    assert [b.get_height() for b in bars.patches] == [50.0]
    (seg,) = bars.errorbar.lines[2][0].get_segments()
    assert seg[:, 1].tolist() == [25.0, 50.0]  # no upper end: a bar of no length
    assert ax.get_ylabel() == "non-speech clips with any recognised word (%)"
    assert ax.get_title() == "Hallucinations on clips (95 % CI)"

    fig = figs["hallucination-long.png"]
    assert fig.get_size_inches().tolist() == pytest.approx([0.9 * 6 + 2, 4.5])
    ax = fig.axes[0]
    order = ["none", "trim", "fw-vad", "sq-0.5", "sq-1.0", "sq-default"]  # the report's order
    assert [t.get_text() for t in ax.get_xticklabels()] == order
    assert ax.get_xticks().tolist() == pytest.approx([i + 0.2 for i in range(6)])
    assert {t.get_rotation() for t in ax.get_xticklabels()} == {35.0}
    assert ax.get_ylabel() == "words per minute of planted non-speech"
    for k, asr in enumerate("ab"):
        c = next(c for c in ax.containers if c.get_label() == asr)
        want = [planted[m][k] or [0.0, 0.0, 0.0] for m in order]
        assert [b.get_height() for b in c.patches] == [w[0] for w in want]
        assert [b.get_width() for b in c.patches] == pytest.approx([0.4] * 6)
        assert [b.get_x() + 0.2 for b in c.patches] == pytest.approx(
            [i + k * 0.4 for i in range(6)]
        )
        segs = c.errorbar.lines[2][0].get_segments()
        assert [s[:, 1].tolist() for s in segs] == [w[1:] for w in want]
        assert {cap.get_markersize() for cap in c.errorbar.lines[1]} == {6.0}  # capsize 3
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b"]
    assert legend.get_texts()[0].get_fontsize() == 8.0
