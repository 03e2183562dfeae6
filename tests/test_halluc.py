"""Hallucination metrics, summaries and the non-speech benchmark, on planted answers with a
fake recogniser."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from conftest import needs_silero

pytest.importorskip("jiwer", reason="bench needs the [bench] extra")
pytest.importorskip("whisper_normalizer", reason="bench needs the [bench] extra")

from audiosqueeze import evaluate as ev  # noqa: E402
from audiosqueeze.asr import Transcript  # noqa: E402
from audiosqueeze.bench import (  # noqa: E402
    ROW_FIELDS,
    BenchOptions,
    halluc,  # noqa: E402
    run_bench,
)
from audiosqueeze.bench.probes import ROOM_TONE_DBFS, ROOM_TONE_RAMP, kept_nonspeech, room_tone  # noqa: E402
from audiosqueeze.datasets.nonspeech import CATEGORIES  # noqa: E402


def test_bootstrap_ratio_and_paired_change():
    v, lo, hi = ev.bootstrap_ratio([1, 0, 1, 0, 1, 0, 0, 0], [1] * 8)
    assert v == 0.375 and 0.0 <= lo < v < hi <= 1.0
    assert ev.bootstrap_ratio([6, 0], [1.0, 2.0])[0] == 2.0  # words per minute, pooled
    d, lo, hi = ev.paired_bootstrap_change([1, 1, 1, 1, 0, 0], [0, 0, 0, 1, 0, 0], relative=True)
    assert d == 0.75 and lo <= d <= hi and hi <= 1.0
    d, lo, hi = ev.paired_bootstrap_change([2, 0, 4], [0, 0, 1], [1.0, 1.0, 1.0])
    assert d == pytest.approx(-5 / 3) and lo <= d <= hi <= 0
    same = ev.paired_bootstrap_change([1, 0, 1], [1, 0, 1])
    assert same == (0.0, 0.0, 0.0)
    assert math.isnan(ev.paired_bootstrap_change([0, 0], [1, 0], relative=True)[0])
    with pytest.raises(ValueError, match="equally long"):
        ev.bootstrap_ratio([1, 2], [1])
    with pytest.raises(ValueError, match="equally long"):
        ev.paired_bootstrap_change([1], [1, 2])


def test_room_tone_replaces_only_the_spans():
    x = np.full(3000, 0.5, np.float32)
    y = room_tone(x, np.array([[1000, 2200]]))
    assert np.array_equal(y[:1000], x[:1000]) and np.array_equal(y[2200:], x[2200:])
    mid = y[1000 + ROOM_TONE_RAMP : 2200 - ROOM_TONE_RAMP]
    db = 20 * np.log10(np.sqrt(np.mean(mid.astype(np.float64) ** 2)))
    assert db == pytest.approx(ROOM_TONE_DBFS, abs=1.0)
    ramp = y[1000 : 1000 + ROOM_TONE_RAMP]
    assert ramp[0] > 0.49 and abs(ramp[-1]) < 0.01  # fades from the audio into the tone
    assert np.array_equal(room_tone(x, np.array([[1000, 2200]])), y)  # deterministic
    assert np.array_equal(room_tone(x, np.zeros((0, 2), np.int64)), x)


def test_kept_nonspeech_spans_are_output_positions():
    e = lambda kind, seg, out: SimpleNamespace(kind=kind, segment=seg, out_samples=out)  # noqa: E731
    plan = SimpleNamespace(
        edits=[
            e("keep", "speech", 100),
            e("shorten", "noise", 50),
            e("stretch", "speech", 80),
            e("keep", "silence", 10),
            e("shorten", "silence", 30),
        ]  # fmt: skip
    )
    assert kept_nonspeech(plan).tolist() == [[100, 150], [240, 270]]


def _speech_noise_speech(noise_s=20.0, noise_rms=0.01):
    """The bundled Common Voice clip (real speech), ``noise_s`` of white noise, the clip again."""
    from importlib.resources import files

    import audiosqueeze as sq

    demo = sq.load(str(files("audiosqueeze") / "data" / "demo_common_voice_en_73.flac")).samples
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(int(noise_s * 16000)) * noise_rms).astype(np.float32)
    return np.concatenate([demo, noise, demo]), len(demo)


def _db(x):
    return 20 * np.log10(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


@needs_silero
def test_roomtone_method_changes_only_the_kept_noise():
    """sq-roomtone's output is sq-default's except in the kept part of shortened non-speech,
    which is room tone at the documented level."""
    from audiosqueeze.bench.ours import run_ours

    x, _ = _speech_noise_speech()
    base = run_ours("sq-default", x)
    treated = run_ours("sq-roomtone", x)
    spans = kept_nonspeech(base.result.plan)
    assert len(spans) >= 1 and len(base.samples) < len(x) - 15 * 16000
    assert len(treated.samples) == len(base.samples) and base.no_speech is False
    inside = np.zeros(len(base.samples), bool)
    for s, t in spans:
        inside[s:t] = True
        assert _db(treated.samples[s + ROOM_TONE_RAMP : t - ROOM_TONE_RAMP]) == pytest.approx(
            ROOM_TONE_DBFS, abs=1.5
        )
    assert np.array_equal(treated.samples[~inside], base.samples[~inside])


@needs_silero
def test_core_contract_no_speech_flag_and_skip():
    """What the benchmark relies on: pure noise is flagged as having no speech, and
    sq-default-skip then sends nothing."""
    import audiosqueeze as sq
    from audiosqueeze.bench.methods import apply

    noise = (np.random.default_rng(3).standard_normal(10 * 16000) * 0.05).astype(np.float32)
    out = sq.compress(noise, sample_rate=16000)
    assert out.stats.no_speech and out.stats.speech_s == 0
    assert len(out.audio) < 0.5 * 16000 and not np.any(out.audio)  # a short digital silence
    skip = apply("sq-default-skip", noise)
    assert skip.skipped and len(skip.samples) == 0 and skip.no_speech
    sent = apply("sq-default", noise)
    assert not sent.skipped and np.array_equal(sent.samples, out.audio)


@needs_silero
@pytest.mark.parametrize("gain_db", [0.0, -30.0])
def test_core_contract_speech_bit_exact_and_kept_pause_level(gain_db):
    """Speech + 20 s noise + speech with no speech stretching: the speech comes out bit-exact
    on both sides of the cut, the 20 s are one shortened stretch, and the middle of every kept
    non-speech part is ``gain_db`` under the same part rendered at 0 dB."""
    import audiosqueeze as sq

    x, n_speech = _speech_noise_speech()
    kw = dict(sample_rate=16000, plan_options=sq.PlanOptions(max_speed=1.0))
    out = sq.compress(x, render_options=sq.RenderOptions(nonspeech_gain_db=gain_db), **kw)
    ref = sq.compress(x, **kw)
    edits = out.plan.edits
    assert edits == ref.plan.edits
    assert all(e.kind in ("keep", "shorten") for e in edits)
    y, o = out.audio, 0
    for e in edits:  # every speech edit is a bit-exact copy at its output position
        if e.segment == "speech":
            assert np.array_equal(y[o : o + e.out_samples], x[e.start : e.end])
        o += e.out_samples
    long = [e for e in edits if e.kind == "shorten" and e.in_samples > 18 * 16000]
    assert len(long) == 1 and long[0].start < n_speech + 16000  # the noise: one stretch
    ramp = 160
    for a, b in kept_nonspeech(out.plan):
        if b - a > 4 * ramp:
            got = _db(y[a + ramp : b - ramp]) - _db(ref.audio[a + ramp : b - ramp])
            assert got == pytest.approx(gain_db, abs=1.0)


def _row(uid, method, hyp, *, dataset="nonspeech", category="music", input_s=30.0, ref="",
         words=None, gaps=None, no_speech=None):  # fmt: skip
    r = dict.fromkeys(ROW_FIELDS)
    n = len(hyp.split())
    r.update(asr="fake", dataset=dataset, split="test", id=uid, method=method, asr_s=0.1,
             cached=False, asr_config={"beam_size": 5}, input_s=input_s, output_s=input_s / 2,
             gemini_before=int(32 * input_s), gemini_after=int(16 * input_s), ref=ref, hyp=hyp,
             words=words or [0, 0, 0, 0, n], chars=[0, 0, 0, 0, len(hyp)], loop_words=0,
             method_s=0.0, gaps=gaps, edited_s=0.0, category=category,
             no_speech=no_speech)  # fmt: skip
    return r


def _nonspeech_rows():
    said = {  # clip -> hypothesis per method
        "none": ["thank you", "you", "come on come on", "", "", ""],
        "fw-vad": ["you", "", "", "", "", ""],
        "sq-default": ["", "", "", "", "", "bye"],
    }
    cats = ["music", "music", "environmental", "environmental", "near_silence", "near_silence"]
    return [
        _row(f"c{i}", m, hyp, category=cats[i], no_speech=(m == "sq-default") or None)
        for m, hyps in said.items()
        for i, hyp in enumerate(hyps)
    ]


def test_nonspeech_summary_planted():
    ns = halluc.nonspeech_summary(_nonspeech_rows(), resamples=200)
    top = {s["method"]: s for s in ns if s["category"] == "all"}
    approx = lambda v: pytest.approx(v, abs=1e-6)  # noqa: E731  (summaries keep 6 digits)
    assert top["none"]["share"][0] == approx(3 / 6)
    assert top["fw-vad"]["share"][0] == approx(1 / 6)
    assert top["sq-default"]["share"][0] == approx(1 / 6)
    assert top["none"]["wpm"][0] == approx(7 / 3.0)  # 7 words in 3 minutes
    assert top["sq-default"]["share_removed"][0] == approx(2 / 3)
    assert top["fw-vad"]["share_removed"][0] == approx(2 / 3)
    assert top["sq-default"]["share_vs_fw_vad"][0] == approx(0.0)
    assert top["none"]["share_vs_fw_vad"][0] == approx(2 / 6)
    assert top["sq-default"]["no_speech"] == 1.0 and top["none"]["no_speech"] is None
    by_cat = {(s["method"], s["category"]): s for s in ns}
    assert by_cat[("none", "music")]["share"][0] == 1.0
    assert by_cat[("none", "near_silence")]["share"][0] == 0.0
    assert by_cat[("sq-default", "near_silence")]["share"][0] == 0.5
    assert by_cat[("none", "music")]["clips"] == 2
    text = halluc.markdown(ns, [], [])
    assert "| sq-default | 16.7 [" in text and "near_silence (2)" in text
    # speech datasets give no non-speech summary
    assert halluc.nonspeech_summary([_row("u", "none", "a b", dataset="ls", ref="a b")]) == []


def _lf_rows():
    rows = []
    for i, (none_gap, sq_gap) in enumerate([((3, 1), (0, 0)), ((0, 2), (0, 1))]):
        for m, (g1, g2) in (("none", none_gap), ("sq-nsgain0", sq_gap), ("sq-default", (0, 0))):
            gaps = [["music", 30.0, g1], ["silence", 30.0, g2]]
            words = [10, 9, 1, 0, g1 + g2] if m != "sq-default" else [10, 10, 0, 0, 0]
            rows.append(_row(f"lf{i}", m, "x", dataset="longform-hard", ref="r", category=None,
                             input_s=90.0, words=words, gaps=gaps))  # fmt: skip
            rows[-1]["parts_cut"] = [0.9 if (m, i) == ("sq-nsgain0", 1) else 0.1]
    return rows


def test_longform_summary_counts_stretch_words_and_speech_wer():
    lf = {s["method"]: s for s in halluc.longform_summary(_lf_rows(), resamples=200)}
    assert lf["none"]["nonspeech_min"] == 2.0 and lf["none"]["gap_words"] == 6
    assert lf["none"]["gap_wpm"][0] == 3.0 and lf["sq-nsgain0"]["gap_wpm"][0] == 0.5
    assert lf["sq-nsgain0"]["gap_wpm_removed"][0] == pytest.approx(5 / 6, abs=1e-6)
    assert lf["none"]["by_kind"] == {"music": 3.0, "silence": 3.0}  # 3 words in 1 min each
    # the speech WER leaves out the words counted in the stretches: 1 substitution per 10
    assert lf["none"]["speech_wer"] == pytest.approx(0.1)
    assert lf["sq-default"]["speech_delta_wer"][0] == pytest.approx(-0.1)
    assert lf["none"]["gap_share"] == 0.75 and lf["sq-default"]["gap_share"] == 0.0
    assert (lf["sq-nsgain0"]["utterances_cut"], lf["none"]["utterances_cut"]) == (1, 0)
    assert lf["none"]["utterances"] == 2
    tr = halluc.treatment_summary(_lf_rows(), resamples=200)
    assert [(s["method"], s["against"]) for s in tr] == [("sq-default", "sq-nsgain0")]
    assert tr[0]["delta_wer"][0] == pytest.approx(-0.1) and tr[0]["inserted"] == [1, 0]
    text = halluc.markdown([], list(lf.values()), tr)
    assert "| none | 50.0 | 3.00 [" in text and "Pause treatment against `sq-nsgain0`" in text


def _bench_folder(root):
    """A data folder with only non-speech clips: loud noise (music, environmental) and
    near-silence, 3 s each; dev and test halves."""
    folder = root / "nonspeech"
    rng = np.random.default_rng(1)
    rows = []
    for cat in CATEGORIES:
        (folder / cat).mkdir(parents=True)
        for j in range(2):
            uid = f"{cat}-{j}"
            level = 0.0005 if cat == "near_silence" else 0.05
            sf.write(folder / cat / f"{uid}.flac", rng.standard_normal(48000) * level, 16000)
            rows.append({"id": uid, "path": f"{cat}/{uid}.flac", "category": cat, "text": "",
                         "dataset": "nonspeech", "split": ("dev", "test")[j]})  # fmt: skip
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


class NoiseHearer:
    """Says 'thank you' on 2 s or more of audio louder than -40 dBFS; counts calls."""

    name = "hearer"
    config = {"backend": "hearer", "version": 1}

    def __init__(self):
        self.calls = 0

    def transcribe(self, samples):
        self.calls += 1
        loud = len(samples) >= 32000 and np.sqrt(np.mean(samples.astype(np.float64) ** 2)) > 0.01
        return Transcript("Thank you." if loud else "")


@needs_silero
def test_bench_on_nonspeech_with_a_fake_recogniser(tmp_path, monkeypatch):
    data = _bench_folder(tmp_path)
    asr = NoiseHearer()
    opts = BenchOptions(data=data, out=tmp_path / "o", split="dev", datasets=("nonspeech",),
                        asr=(asr,), methods=("none", "sq-default", "sq-default-skip"))  # fmt: skip
    rows = [json.loads(line) for line in run_bench(opts).read_text().splitlines()]
    assert len(rows) == 4 * 3 and all(set(r) == set(ROW_FIELDS) for r in rows)
    assert {r["category"] for r in rows} == set(CATEGORIES)
    assert all(r["ref"] == "" and r["split"] == "dev" for r in rows)
    said = {(r["id"], r["method"]): r["hyp"] for r in rows}
    # planted: the original's loud clips get words, near-silence none; ours is short
    assert said[("music-0", "none")] == "thank you" and said[("near_silence-0", "none")] == ""
    assert all(said[(c, "sq-default")] == "" for c, _ in said)
    assert all(r["no_speech"] is None for r in rows if r["method"] == "none")
    sent = sum(r["output_s"] > 0 and not r["cached"] for r in rows)
    assert asr.calls == sent  # empty audio is never sent to the recogniser
    from audiosqueeze.bench.report import write_report

    written = write_report([tmp_path / "o"])
    report = (tmp_path / "o" / "report.md").read_text()
    assert "nonspeech · hearer (4 clips" in report and "| none | 75.0 [" in report
    assert any(p.name == "hallucination-nonspeech.png" for p in written)
    hall = json.loads((tmp_path / "o" / "hallucination.json").read_text())
    assert {s["category"] for s in hall["nonspeech"]} == {"all", *CATEGORIES}


def test_bench_cli_takes_nonspeech_and_new_methods(tmp_path, monkeypatch):
    """The CLI accepts the datasets and methods, and rejects unknown ones with exit 2."""
    from click.testing import CliRunner

    from audiosqueeze.bench.cli import bench

    r = CliRunner().invoke(bench, ["--data", str(tmp_path), "--out", str(tmp_path / "o"),
                                   "--methods", "none,sq-deflt"])  # fmt: skip
    assert r.exit_code == 2 and "sq-deflt" in r.output
    import audiosqueeze.bench.run as run

    _bench_folder(tmp_path)
    monkeypatch.setattr(run, "load_asr", lambda name, **kw: NoiseHearer())
    methods = "none,none@d1,trim" if _ffmpeg() else "none,none@d1"
    args = ["--data", str(tmp_path), "--split", "test", "--datasets", "nonspeech",
            "--methods", methods, "--out", str(tmp_path / "o")]  # fmt: skip
    r = CliRunner().invoke(bench, args)
    assert r.exit_code == 0, r.output
    rows = (tmp_path / "o" / "results.jsonl").read_text().splitlines()
    assert len(rows) == 4 * (3 if _ffmpeg() else 2)
    report = (tmp_path / "o" / "report.md").read_text()
    assert "Hallucinations" in report and "| none@d1 |" in report


def _ffmpeg():
    import shutil

    return shutil.which("ffmpeg") is not None


@needs_silero
def test_long_nonspeech_keeps_one_pause_like_the_longseg_probe():
    """The 20 s of noise is several 10-s analysis segments; the planner merges them into one
    stretch with one kept pause, as the sq-longseg probe (one long analysis segment) does."""
    from audiosqueeze.bench.ours import run_ours

    x, n_speech = _speech_noise_speech()
    end = n_speech + 20 * 16000

    def inside(r):
        return [e for e in r.result.plan.edits if e.segment != "speech" and e.out_samples
                and e.start < end and e.end > n_speech]  # fmt: skip

    default, longseg = run_ours("sq-default", x), run_ours("sq-longseg", x)
    assert len(inside(default)) == 1 and len(inside(longseg)) == 1
    assert inside(default)[0].out_samples == inside(longseg)[0].out_samples


def test_parts_cut_measures_planted_utterances_cut_out():
    from audiosqueeze.bench.run import _parts_cut
    from audiosqueeze.datasets import Gap
    from audiosqueeze.timemap import TimeMap

    gaps = (
        Gap(0, 16000, 0, "music"),
        Gap(48000, 64000, 3, "noise"),
        Gap(96000, 112000, 6, "silence"),
    )
    # the method cut [20000, 40000) (inside the first utterance) and [50000, 60000) (a stretch)
    tm = TimeMap.from_knots([0, 20000, 40000, 50000, 60000, 112000],
                            [0, 20000, 20000, 30000, 30000, 82000])  # fmt: skip
    assert _parts_cut(gaps, tm) == [0.625, 0.0]
    assert _parts_cut(gaps, TimeMap.identity(112000)) == [0.0, 0.0]


def test_treatment_summary_counts_insertions_on_speech():
    rows = []
    for i in range(3):
        for m, words in (("sq-nsgain0", [10, 9, 1, 0, 2]), ("sq-nsgain-30", [10, 10, 0, 0, 0])):
            rows.append(_row(f"u{i}", m, "a b c", dataset="librispeech", ref="a", category=None,
                             words=words))  # fmt: skip
    (s,) = halluc.treatment_summary(rows, resamples=200)
    assert s["method"] == "sq-nsgain-30" and s["against"] == "sq-nsgain0"
    assert s["delta_wer"][0] == pytest.approx(-0.3) and s["wer"] == 0.0
    assert s["any_words"] == [3, 0] and s["inserted"] == [6, 0]
