"""``Stats``, ``Compressed`` and ``Written`` from planted plans and analyses: durations to the
microsecond, segment seconds to the millisecond, reduction and the no-speech flag."""

import dataclasses

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.plan import Edit, Plan
from audiosqueeze.render import timemap_of
from audiosqueeze.results import Compressed, Stats, Written, stats_of

SR = 16000


def planted():
    """Speech 0..19753 (two pieces of one run), silence to 39830, noise to 48001; the plan
    keeps, stretches and shortens them to 21201 samples."""
    segments = (
        sq.Segment("speech", 0, 10000, 0.9, 0.2, continues=True),
        sq.Segment("speech", 10000, 19753, 0.9, 0.2),
        sq.Segment("silence", 19753, 39830, 1.0),
        sq.Segment("noise", 39830, 48001, 0.8, noise_type="stationary"),
    )
    analysis = sq.Analysis(segments, 48001, np.zeros(48001 // 512), "energy")
    edits = (
        Edit("keep", 0, 10000, 10000, "speech"),
        Edit("stretch", 10000, 19753, 8000, "speech"),
        Edit("shorten", 19753, 39830, 1600, "silence", head=800),
        Edit("shorten", 39830, 48001, 1601, "noise", head=800),
    )
    return analysis, Plan(edits, 48001, 0.8)


def test_stats_of_a_planted_plan():
    analysis, plan = planted()
    s = stats_of(analysis, plan)
    # seconds to the microsecond (a sample is 62.5 us), segment seconds to the millisecond
    assert s.input_s == pytest.approx(48001 / SR, abs=1e-6) and round(s.input_s, 6) == s.input_s
    assert s.output_s == pytest.approx(21201 / SR, abs=1e-6) and round(s.output_s, 6) == s.output_s
    for got, samples in ((s.speech_s, 19753), (s.silence_s, 20077), (s.noise_s, 8171)):
        assert got == pytest.approx(samples / SR, abs=5e-4) and round(got, 3) == got
    assert (s.speech_s, s.silence_s) == (1.235, 1.255)
    assert s.segments == 3  # runs: the two speech pieces are one
    assert s.edits == {"keep": 1, "shorten": 2, "stretch": 1, "mute": 0}
    assert s.tokens_before == sq.token_table(48001 / SR)
    assert s.tokens_after == sq.token_table(21201 / SR)
    assert not s.no_speech


def stats(**kw) -> Stats:
    base = dict(input_s=3.0, output_s=1.0, tokens_before={}, tokens_after={}, speech_s=2.0)
    base |= dict(silence_s=1.0, noise_s=0.0, segments=2, edits={})
    return Stats(**(base | kw))


@pytest.mark.parametrize(
    ("input_s", "output_s", "reduction", "rounded"),
    [
        (3.0, 1.0, 2 / 3, 0.666667),
        (4.0, 1.0, 0.75, 0.75),
        (2.0, 2.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 0.0),  # nothing in: nothing removed (not a division by zero)
    ],
)
def test_reduction_is_the_share_removed(input_s, output_s, reduction, rounded):
    s = stats(input_s=input_s, output_s=output_s)
    assert s.reduction == pytest.approx(reduction, abs=1e-12)
    d = s.to_dict()
    assert d["reduction"] == rounded
    assert {k: d[k] for k in ("input_s", "output_s", "segments")} == {
        "input_s": input_s,
        "output_s": output_s,
        "segments": 2,
    }


@pytest.mark.parametrize(("speech_s", "no_speech"), [(0.0, True), (0.001, False), (1.0, False)])
def test_no_speech_means_no_speech_at_all(speech_s, no_speech):
    s = stats(speech_s=speech_s)
    assert s.no_speech is no_speech and s.to_dict()["no_speech"] is no_speech
    analysis, plan = planted()
    tm = timemap_of(plan)
    c = Compressed(np.zeros(8000, np.float32), SR, tm, plan, s, analysis)
    w = Written(None, None, tm, plan, s, analysis)
    assert c.no_speech is no_speech and w.no_speech is no_speech


def test_results_are_frozen():
    analysis, plan = planted()
    s = stats_of(analysis, plan)
    c = Compressed(np.zeros(8000, np.float32), SR, None, plan, s, analysis)
    w = Written(None, None, None, plan, s, analysis)
    for obj, name in ((s, "input_s"), (c, "sample_rate"), (w, "path")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, 1)


def test_compressed_duration_save_and_dict(tmp_path):
    x = np.concatenate([np.zeros(SR, np.float32), 0.3 * np.ones(SR, np.float32)])
    out = sq.compress(x, 1.0, sample_rate=SR, analyze_options=sq.AnalyzeOptions(vad="energy"))
    n = len(out.audio)
    assert out.duration_s == n / SR
    assert Compressed(np.zeros(8000, np.float32), 8000, *[None] * 4).duration_s == 1.0
    assert out.save(tmp_path / "a.wav") == tmp_path / "a.wav"
    assert sq.load(tmp_path / "a.wav").num_samples == n
    d = out.to_dict()
    assert sorted(d) == ["analysis", "plan", "stats", "timemap"]
    assert d["stats"] == out.stats.to_dict() and d["plan"] == out.plan.to_dict()
    assert d["timemap"] == out.timemap.to_dict() and d["analysis"] == out.analysis.to_dict()


def test_written_dict_names_its_paths(tmp_path):
    src = tmp_path / "in.wav"
    sq.save(src, np.concatenate([np.zeros(SR, np.float32), 0.3 * np.ones(SR, np.float32)]))
    energy = sq.AnalyzeOptions(vad="energy")
    w = sq.compress_file(
        src, tmp_path / "o.flac", timemap=tmp_path / "m.json", analyze_options=energy
    )
    d = w.to_dict()
    assert d["path"] == str(tmp_path / "o.flac") and d["timemap_path"] == str(tmp_path / "m.json")
    assert d["stats"] == w.stats.to_dict() and d["timemap"] == w.timemap.to_dict()
    assert d["plan"] == w.plan.to_dict()
    bare = dataclasses.replace(w, path=None, timemap_path=None).to_dict()
    assert bare["path"] is None and bare["timemap_path"] is None
    only_audio = dataclasses.replace(w, timemap_path=None).to_dict()
    assert only_audio["path"] == str(tmp_path / "o.flac") and only_audio["timemap_path"] is None


def test_a_result_prints_in_a_few_lines(tmp_path):
    """``out`` at a prompt shows the stats, not every edit of the plan and every frame's
    speech probability (a minute of audio printed thousands of lines)."""
    from conftest import silence, tone

    x = np.tile(np.concatenate([tone(1.0), silence(1.0)]), 30)  # 60 s, 30 pauses
    energy = sq.AnalyzeOptions(vad="energy")
    out = sq.compress(x, 0.75, sample_rate=SR, analyze_options=energy)
    sq.save(tmp_path / "in.wav", x)
    written = sq.compress_file(
        tmp_path / "in.wav", tmp_path / "o.flac", 0.75, analyze_options=energy
    )
    assert len(out.plan.edits) > 500  # what used to be printed, one Edit each
    for result in (out, written):
        text = repr(result)
        assert "stats=Stats(input_s=60.0," in text and "Edit(" not in text, text[:300]
        assert "speech_prob" not in text and len(text) < 4000, len(text)
    assert "plan=" not in repr(out) and "analysis=" not in repr(written)
    n = len(out.timemap.original)
    assert n > 500 and repr(out.timemap) == (
        f"TimeMap({n} knots, 960000 -> {len(out.audio)} samples, sample_rate=16000)"
    )


def test_tokens_counts_what_compress_file_wrote_as_what_compress_returned(tmp_path):
    """``sq.tokens(result)`` takes either driver's result (it refused ``Written``)."""
    from conftest import silence, tone

    x = np.concatenate([tone(1.0), silence(3.0), tone(1.0)])
    energy = sq.AnalyzeOptions(vad="energy")
    out = sq.compress(x, 0.5, sample_rate=SR, analyze_options=energy)
    sq.save(tmp_path / "in.wav", x)
    written = sq.compress_file(tmp_path / "in.wav", tmp_path / "o.flac", analyze_options=energy)
    assert written.duration_s == out.duration_s == len(out.audio) / SR < 5.0
    for model in ("gemini", "whisper-unpadded"):
        assert sq.tokens(written, model) == sq.tokens(out, model) == out.stats.tokens_after[model]
