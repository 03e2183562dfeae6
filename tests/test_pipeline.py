import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audiosqueeze as sq
from conftest import needs_silero, silence, tone

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")


@st.composite
def synthetic(draw):
    """Tone ('speech'), silence and hiss pieces in random order and length."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["tone", "silence", "hiss"]))
        sec = draw(st.floats(0.05, 2.0))
        if kind == "tone":
            parts.append(tone(sec, freq=draw(st.floats(120, 400))))
        elif kind == "silence":
            parts.append(silence(sec))
        else:
            parts.append(rng.normal(0, 0.01, int(sec * SR)).astype(np.float32))
    return np.concatenate(parts)


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(synthetic(), st.sampled_from([8000, 16000, 22050, 44100]))
def test_rate_zero_is_bit_exact(x, rate):
    expected = sq.load(x, sample_rate=rate).samples
    out = sq.compress(x, 0.0, sample_rate=rate, analyze_options=ENERGY)
    assert np.array_equal(out.audio, expected)
    assert out.stats.reduction == 0.0


@FAST
@given(synthetic(), st.floats(0, 1))
def test_never_longer_and_map_consistent(x, rate):
    out = sq.compress(x, rate, sample_rate=SR, analyze_options=ENERGY)
    n_in, n_out = len(x), len(out.audio)
    assert n_out <= n_in
    assert n_out == out.plan.out_samples == out.timemap.compressed_samples
    assert out.timemap.original_samples == n_in
    assert np.all(np.isfinite(out.audio)) and np.abs(out.audio).max() <= 1.0 + 1e-3
    c = np.arange(0, n_out, max(1, n_out // 200))
    o = out.timemap.to_original_samples(c)
    assert np.all(np.diff(o) >= 0) and o.min() >= 0 and o.max() <= n_in
    assert np.allclose(out.timemap.to_compressed_samples(o), c, atol=1.0)


def test_kept_samples_are_covered_and_unchanged():
    x = np.concatenate([tone(1.0), silence(3.0), tone(1.0)])
    out = sq.compress(
        x, 1.0, sample_rate=SR, analyze_options=ENERGY, plan_options=sq.PlanOptions(max_speed=1.0)
    )  # cuts only, no stretch
    for edit in out.plan.edits:
        if edit.kind == "keep":
            o = np.arange(edit.start, edit.end)
            c = np.rint(out.timemap.to_compressed_samples(o)).astype(int)
            assert np.array_equal(out.audio[c], x[o])  # each kept sample sits where the map says
            assert np.allclose(out.timemap.to_original_samples(c), o)


@needs_silero
@pytest.mark.parametrize("rate", [0.25, 0.5, 0.75, 1.0])
def test_real_clips_valid_at_each_rate(real_clips, rate):
    for clip in real_clips:
        out = sq.compress(clip["abs"], rate)
        assert 0 < len(out.audio) <= round(clip["duration_s"] * SR) + 1
        assert out.audio.dtype == np.float32 and np.all(np.isfinite(out.audio))
        assert out.stats.tokens_after["gemini"] <= out.stats.tokens_before["gemini"]


@pytest.mark.slow
@needs_silero
def test_reduction_monotone_in_rate_on_real_clips(real_clips):
    for clip in real_clips:
        audio = sq.load(clip["abs"])
        lengths = [len(sq.compress(audio, r).audio) for r in np.linspace(0, 1, 9)]
        assert all(a >= b for a, b in zip(lengths, lengths[1:], strict=False)), (
            clip["id"],
            lengths,
        )


@needs_silero
def test_target_reduction_on_real_clip(real_clips):
    audio = sq.load(real_clips[0]["abs"])
    most = sq.compress(audio, 1.0).stats.reduction
    assert most > 0.02
    out = sq.compress(audio, target_reduction=most / 2)
    assert out.stats.reduction >= most / 2
    assert out.plan.rate < 1.0


def test_save_audio_and_timemap(tmp_path):
    x = np.concatenate([tone(1.0), silence(2.0), tone(1.0)])
    out = sq.compress(x, 0.8, sample_rate=SR, analyze_options=ENERGY)
    out.save(tmp_path / "o.flac", timemap=tmp_path / "m.json")
    back = sq.load(tmp_path / "o.flac")
    assert back.num_samples == len(out.audio)
    tm = sq.TimeMap.from_json((tmp_path / "m.json").read_text())
    assert tm.compressed_samples == len(out.audio)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "o.flac"]


def test_time_map_json_is_made_only_when_a_path_asks_for_it(tmp_path, monkeypatch):
    # an hour's time map as JSON is megabytes of floats: building it for nobody raised the
    # peak memory of compress(path) + save; both save paths must skip it without a map path
    x = np.concatenate([tone(1.0), silence(2.0), tone(1.0)])
    out = sq.compress(x, 0.8, sample_rate=SR, analyze_options=ENERGY)
    calls = []
    real = sq.TimeMap.to_json
    monkeypatch.setattr(sq.TimeMap, "to_json", lambda self: calls.append(1) or real(self))
    out.save(tmp_path / "a.flac")
    sq.compress_file(tmp_path / "a.flac", tmp_path / "b.flac", 0.8, analyze_options=ENERGY)
    assert calls == [] and sorted(p.name for p in tmp_path.iterdir()) == ["a.flac", "b.flac"]
    out.save(tmp_path / "c.flac", timemap=tmp_path / "c.json")
    assert calls == [1]
    assert sq.TimeMap.from_json((tmp_path / "c.json").read_text()) == out.timemap


def test_unknown_tsm_rejected():
    with pytest.raises(sq.OptionsError, match="'magic'"):
        sq.RenderOptions(tsm="magic")


@pytest.mark.parametrize("fmt", ["flac", "wav"])
def test_compress_file_matches_in_memory(tmp_path, fmt):
    rng = np.random.default_rng(5)
    x = np.concatenate(
        [tone(1.2), silence(2.5), rng.normal(0, 0.02, SR).astype(np.float32), tone(2.0)]
    )
    src = tmp_path / f"in.{fmt}"
    sq.save(src, x)
    ref = sq.compress(src, 0.9, analyze_options=ENERGY)
    ref.save(tmp_path / f"ref.{fmt}")
    got = sq.compress_file(src, tmp_path / f"out.{fmt}", 0.9, analyze_options=ENERGY)
    assert got.plan == ref.plan and got.stats == ref.stats
    a = sq.load(tmp_path / f"ref.{fmt}").samples
    b = sq.load(tmp_path / f"out.{fmt}").samples
    assert np.array_equal(a, b)


def test_compress_file_resamples_other_rates(tmp_path):
    import soundfile as sf

    x = np.concatenate([tone(1.0), silence(2.0), tone(1.0)])
    src = tmp_path / "in44.wav"
    sf.write(src, sq.load(x, sample_rate=SR, target_rate=44100).samples, 44100)
    got = sq.compress_file(src, tmp_path / "o.flac", 1.0, analyze_options=ENERGY)
    assert sf.info(tmp_path / "o.flac").frames == got.plan.out_samples


def test_compress_file_bad_input_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_text("nope")
    with pytest.raises(sq.DecodeError):
        sq.compress_file(bad, tmp_path / "o.flac")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav"]


def test_compress_file_reports_progress(tmp_path):
    x = np.concatenate([tone(8.0), silence(8.0), tone(8.0)])
    sq.save(tmp_path / "in.flac", x)
    seen = []
    sq.compress_file(
        tmp_path / "in.flac",
        tmp_path / "o.flac",
        1.0,
        analyze_options=ENERGY,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert {s for s, _, _ in seen} == {"compress"}
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and len(done) >= 6  # one call per 4-s block
    assert seen[-1] == ("compress", 24.0, 24.0)


def test_compress_file_returns_what_it_wrote(tmp_path):
    sq.save(tmp_path / "in.flac", np.concatenate([tone(1.0), silence(2.0), tone(1.0)]))
    got = sq.compress_file(tmp_path / "in.flac", tmp_path / "o.flac", 1.0, analyze_options=ENERGY)
    assert isinstance(got, sq.Written) and not hasattr(got, "audio")
    assert got.path == tmp_path / "o.flac" and got.timemap_path is None
    assert sq.load(got.path).num_samples == got.plan.out_samples == got.timemap.compressed_samples


def test_reusing_an_analysis_gives_the_same_result():
    x = np.concatenate([tone(1.0), silence(2.0), tone(1.5)])
    a = sq.analyze(sq.Audio(x), ENERGY)
    for rate in (0.3, 1.0):
        fresh = sq.compress(x, rate, sample_rate=SR, analyze_options=ENERGY)
        reused = sq.compress(x, rate, sample_rate=SR, analysis=a)
        assert reused.plan == fresh.plan and np.array_equal(reused.audio, fresh.audio)
    with pytest.raises(sq.OptionsError, match="covers"):
        sq.compress(x[:-SR], 0.5, sample_rate=SR, analysis=a)


@needs_silero
def test_pure_noise_is_flagged_and_becomes_a_short_silence(shared_data):
    noise = sq.load(shared_data / "noise/speech_commands_background/running_tap.flac").samples
    out = sq.compress(noise[: 20 * SR], 0.5, sample_rate=SR)
    assert out.stats.no_speech and out.no_speech and out.stats.to_dict()["no_speech"]
    assert len(out.audio) == 1600 and not out.audio.any()
    assert sq.compress(noise[: 20 * SR], 0.0, sample_rate=SR).stats.no_speech  # flagged at 0 too


@needs_silero
def test_speech_then_20s_of_noise(real_clips, shared_data):
    speech = sq.load(real_clips[0]["abs"]).samples
    noise = sq.load(shared_data / "noise/speech_commands_background/running_tap.flac").samples
    x = np.concatenate([speech, 0.3 * noise[: 20 * SR], speech])
    ro = sq.RenderOptions(nonspeech_gain_db=-30)
    out = sq.compress(x, 1.0, sample_rate=SR, render_options=ro)
    assert not out.no_speech and out.stats.noise_s >= 15
    cut = max(out.plan.edits, key=lambda e: e.in_samples - e.out_samples)
    assert cut.kind == "shorten" and cut.segment == "noise" and cut.out_samples == 1600
    before = sum(e.out_samples for e in out.plan.edits if e.end <= cut.start)
    # speech right up to the cut is bit-exact where it was kept whole
    keep = [e for e in out.plan.edits if e.end == cut.start][0]
    if keep.kind == "keep":
        assert np.array_equal(
            out.audio[before - keep.in_samples : before], x[keep.start : keep.end]
        )
    plain = sq.compress(x, 1.0, sample_rate=SR)
    pause = slice(before + 300, before + 1300)  # inside the kept 100 ms, away from the ramps
    level = np.sqrt(np.mean(out.audio[pause] ** 2) / np.mean(plain.audio[pause] ** 2))
    assert level == pytest.approx(10 ** (-30 / 20), rel=0.01)
