"""The compared methods: FFmpeg baselines, faster-whisper's VAD filter, ours; maps and edits."""

import shutil

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.bench.methods import (
    DEFAULT_METHODS,
    METHODS,
    WSOLA_PROBE,
    _chunks_map,
    _complement,
    _lowpass,
    apply,
    is_method,
    report_order,
    resample_faster,
    split_dithered,
)
from audiosqueeze.errors import OptionsError
from audiosqueeze.tsm import stretch, wsola
from conftest import needs_silero, silence, tone

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg not on PATH (apt-get install ffmpeg)"
)


def _x():
    return np.concatenate([silence(1.0), tone(2.0), silence(3.0), tone(2.0), silence(1.0)])


def test_none_is_the_input():
    x = _x()
    out = apply("none", x)
    assert np.array_equal(out.samples, x) and out.edited.shape == (0, 2)
    assert out.timemap.to_original(2.5) == pytest.approx(2.5)


def test_dithers_add_seeded_noise_at_minus_90_dbfs_and_nothing_else():
    x = _x()
    outs = {m: apply(m, x) for m in ("dither-1", "dither-2", "dither-3")}
    for out in outs.values():
        added = out.samples.astype(np.float64) - x
        assert len(out.samples) == len(x) and out.edited.shape == (0, 2)
        assert 20 * np.log10(np.sqrt(np.mean(added**2))) == pytest.approx(-90.0, abs=0.2)
        assert out.timemap.to_original(2.5) == pytest.approx(2.5)
    assert not np.array_equal(outs["dither-1"].samples, outs["dither-2"].samples)
    assert np.array_equal(apply("dither-1", x).samples, outs["dither-1"].samples)  # seeded
    assert "dither-1" not in DEFAULT_METHODS


@pytest.mark.parametrize("ms", [10, 20, 30])
def test_a_delay_is_the_original_after_that_much_digital_silence(ms):
    x = _x()
    out = apply(f"delay-{ms}", x)
    lead = ms * 16
    assert len(out.samples) == len(x) + lead and out.edited.shape == (0, 2)
    assert not out.samples[:lead].any() and np.array_equal(out.samples[lead:], x)
    assert out.timemap.to_compressed(2.5) == pytest.approx(2.5 + ms / 1000)
    assert out.timemap.to_original(2.5 + ms / 1000) == pytest.approx(2.5)
    assert f"delay-{ms}" in METHODS and f"delay-{ms}" not in DEFAULT_METHODS
    assert np.array_equal(apply(f"delay-{ms}@d1", x).samples[lead:], apply("dither-1", x).samples)


@needs_silero
def test_the_ends_probe_puts_the_original_lead_and_tail_back_and_nothing_else():
    from importlib.resources import files

    demo = sq.load(str(files("audiosqueeze") / "data" / "demo_common_voice_en_73.flac")).samples
    x = np.concatenate([silence(1.5), demo, silence(1.0), demo, silence(2.0)]).astype(np.float32)
    ref = sq.compress(x, 0.5, sample_rate=16000)
    first, last = ref.plan.edits[0], ref.plan.edits[-1]
    assert first.start == 0 and last.end == len(x) and first.kind == last.kind == "shorten"
    assert len(ref.audio) == sum(e.out_samples for e in ref.plan.edits)
    lead = apply("sq-0.5-keeplead", x)
    assert np.array_equal(lead.samples[: first.end], x[: first.end])
    assert np.array_equal(lead.samples[first.end :], ref.audio[first.out_samples :])
    ends = apply("sq-0.5-keepends", x)
    middle = ref.audio[first.out_samples : len(ref.audio) - last.out_samples]
    assert len(ends.samples) == first.end + len(middle) + (len(x) - last.start)
    assert np.array_equal(ends.samples[first.end : first.end + len(middle)], middle)
    assert np.array_equal(ends.samples[first.end + len(middle) :], x[last.start :])
    assert ends.timemap is None and len(ends.edited) == len(lead.edited) - 1
    assert len(lead.edited) == sum(e.kind != "keep" for e in ref.plan.edits) - 1
    assert len(x) > len(ends.samples) > len(ref.audio)  # the inner pause is still cut


def test_a_method_at_a_dither_runs_on_the_dithered_original():
    x = _x()
    out = apply("sq-0.5@d2", x)
    assert out.method == "sq-0.5@d2"
    assert np.array_equal(out.samples, apply("sq-0.5", apply("dither-2", x).samples).samples)
    assert not np.array_equal(out.samples, apply("sq-0.5", x).samples)
    assert np.array_equal(apply("none@d1", x).samples, apply("dither-1", x).samples)
    assert split_dithered("pauses+speed-1.3@d9") == ("pauses+speed-1.3", 9)
    for bad in ("sq-0.5@d0", "sq-0.5@d10", "sq-9@d1", "sq-0.5@x1", "@d1", "sq-0.5@d"):
        assert not is_method(bad) and split_dithered(bad) == (bad, None)
    assert report_order(["sq-0.5@d2", "none@d1", "sq-0.5", "none", "sq-0.5@d1"]) == [
        "none",
        "none@d1",
        "sq-0.5",
        "sq-0.5@d1",
        "sq-0.5@d2",
    ]


def test_wsola_probe_is_our_wsola_at_one_speed_with_its_shape():
    x = _x()
    n_out = int(round(len(x) / 1.25))
    ref = apply("wsola-1.25-f32-t10-n", x)
    assert np.array_equal(ref.samples, stretch(x, n_out))  # the renderer's own shape
    raw = apply("wsola-1.25-f32-t10", x).samples  # the shape before the normalised search
    assert np.array_equal(raw, wsola(x, n_out, normalised=False))
    assert not np.array_equal(raw, ref.samples)
    assert ref.timemap.to_original(4.0) == pytest.approx(5.0)
    assert np.array_equal(ref.edited, [[0, len(x)]])
    others = [m for m in WSOLA_PROBE if m != "wsola-1.25-f32-t10-n"]
    assert len(others) == 13 and not set(WSOLA_PROBE) & set(DEFAULT_METHODS)
    wide = apply("wsola-1.25-f48-t16-n", x).samples
    assert len(wide) == n_out and not np.array_equal(wide, ref.samples)
    assert np.array_equal(wide, wsola(x, n_out, frame=768, tolerance=256, normalised=True))
    half = apply("wsola-1.25-f32-t10-n-o", x).samples
    assert np.array_equal(half, wsola(x, n_out, overlap_only=True))
    low = apply("wsola-1.25-f32-t10-n-lp1000", x).samples
    assert len(low) == n_out and not np.array_equal(low, ref.samples)
    assert np.array_equal(low, wsola(x, n_out, search=_lowpass(x, 1000.0)))


@pytest.mark.parametrize("speed", [1.15, 1.25, 1.5])
def test_resample_probe_plays_faster_with_the_pitch_raised(speed):
    t = np.arange(32000) / 16000
    x = (0.5 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    out = apply(f"resample-{speed}", x)
    assert abs(len(out.samples) - len(x) / speed) <= 1  # the tokens of that speed
    spec = np.abs(np.fft.rfft(out.samples * np.hanning(len(out.samples))))
    assert np.argmax(spec) * 16000 / len(out.samples) == pytest.approx(300 * speed, abs=2)
    assert np.max(np.abs(out.samples[2000:-2000])) == pytest.approx(0.5, abs=0.01)  # level kept
    assert out.timemap.to_original(len(out.samples) / 16000) == pytest.approx(2.0, abs=1e-3)
    assert out.edited.tolist() == [[0, len(x)]]
    assert f"resample-{speed}" not in DEFAULT_METHODS and is_method(f"resample-{speed}")
    assert len(resample_faster(np.zeros(0, np.float32), speed)) == 0


@pytest.mark.parametrize("lib", ["rubberband", "signalsmith"])
def test_tsm_library_probe_is_that_library_at_125(lib):
    pytest.importorskip({"rubberband": "pedalboard", "signalsmith": "python_stretch"}[lib])
    x = _x()
    out = apply(f"tsm-1.25-{lib}", x)
    n_out = int(round(len(x) / 1.25))
    assert np.array_equal(out.samples, stretch(x, n_out, lib))  # the renderer's --tsm lib
    assert not np.array_equal(out.samples, stretch(x, n_out))  # not our WSOLA
    assert out.timemap.to_original(n_out / 16000) == pytest.approx(len(x) / 16000)
    assert out.edited.tolist() == [[0, len(x)]] and f"tsm-1.25-{lib}" not in DEFAULT_METHODS
    assert is_method(f"tsm-1.25-{lib}")  # bench accepts it


def test_the_probes_low_pass_keeps_the_voice_band_and_drops_hiss_without_delay():
    t = np.arange(16000) / 16000
    voice, hiss = np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 4000 * t)
    low = _lowpass((voice + hiss).astype(np.float32), 1000.0)
    middle = slice(2000, -2000)  # away from the filter's edges
    assert np.max(np.abs(low[middle] - voice[middle])) < 0.02  # no delay, no loss below 1 kHz


@needs_ffmpeg
@pytest.mark.parametrize("speed", ["1.25", "1.5", "2.0"])
def test_ffmpeg_atempo_speeds_up_uniformly(speed):
    x = _x()
    out = apply(f"speed-{speed}", x)
    assert len(out.samples) == pytest.approx(len(x) / float(speed), rel=0.01)
    assert out.timemap.to_original(len(out.samples) / 16000) == pytest.approx(len(x) / 16000)
    assert out.edited.tolist() == [[0, len(x)]]


@needs_ffmpeg
def test_ffmpeg_silenceremove_cuts_the_planted_pauses():
    x = _x()
    out = apply("trim", x)
    # 5 s of digital silence around and between 4 s of tone: the pauses go, the tone stays
    assert 3.9 <= len(out.samples) / 16000 <= 4.6
    assert out.timemap is None


def test_chunks_map_and_complement():
    tm = _chunks_map([(100, 200), (500, 600)], 1000)
    assert tm.compressed_samples == 200 and tm.original_samples == 1000
    assert tm.to_original_samples(50) == pytest.approx(150)
    assert tm.to_original_samples(150) == pytest.approx(550)
    assert _complement([(100, 200), (500, 600)], 1000).tolist() == [
        [0, 100],
        [200, 500],
        [600, 1000],
    ]
    assert _chunks_map([], 1000).compressed_samples == 0


@needs_silero
def test_fw_vad_keeps_speech_and_maps_back():
    pytest.importorskip("faster_whisper", reason="fw-vad needs the [whisper] extra")
    x = np.concatenate([silence(4.0), tone(2.0), silence(5.0), tone(2.0), silence(4.0)])
    out = apply("fw-vad", x)
    assert len(out.samples) < len(x)
    assert out.timemap.compressed_samples == len(out.samples)
    assert out.timemap.original_samples == len(x)


@needs_silero
def test_ours_is_compress():
    x = _x()
    out = apply("sq-1.0", x)
    ref = sq.compress(x, 1.0, sample_rate=16000)
    assert np.array_equal(out.samples, ref.audio)
    assert len(out.edited) == sum(e.kind != "keep" for e in ref.plan.edits)


def test_unknown_method():
    with pytest.raises(OptionsError, match="'speed-3'"):
        apply("speed-3", _x())
    assert len(DEFAULT_METHODS) == 14 and set(DEFAULT_METHODS) < set(METHODS)


@needs_silero
def test_sq_default_is_compress_with_every_default():
    x = _x()
    out = apply("sq-default", x)
    ref = sq.compress(x, sample_rate=16000)
    assert np.array_equal(out.samples, ref.audio) and not out.skipped
    assert out.no_speech == getattr(ref.stats, "no_speech", None)


@needs_silero
def test_pauses_plus_speed_is_our_pause_cut_then_one_speed(real_clips):
    x = sq.load(real_clips[0]["abs"]).samples
    out = apply("pauses+speed-1.3", x)
    o = sq.PlanOptions(speed_policy="uniform", max_speed=1.3)
    ref = sq.compress(x, 1.0, sample_rate=16000, plan_options=o)
    assert np.array_equal(out.samples, ref.audio)
    stretched = [e for e in ref.plan.edits if e.kind == "stretch"]
    assert stretched and all(abs(e.speed - 1.3) < 0.01 for e in stretched)
    pauses = apply("sq-pauses", x)  # the same pause cuts, speech untouched
    cut = [(e.start, e.end, e.out_samples) for e in ref.plan.edits if e.kind == "shorten"]
    p_ref = sq.compress(x, 1.0, sample_rate=16000, plan_options=sq.PlanOptions(max_speed=1.0))
    assert [(e.start, e.end, e.out_samples) for e in p_ref.plan.edits if e.kind == "shorten"] == cut
    assert len(out.samples) < len(pauses.samples) < len(x)


@needs_silero
def test_pause_probe_sets_the_kept_pause_and_the_padding(real_clips):
    from audiosqueeze.bench.ours import run_ours

    x = sq.load(real_clips[0]["abs"]).samples
    new = run_ours("sq-keep60-pad32", x)  # today's defaults, spelled out
    assert np.array_equal(new.samples, sq.compress(x, sample_rate=16000).audio)
    old = run_ours("sq-1.0-keep150-pad64", x).result
    for r, keep in ((new.result, 960), (old, 2400)):  # 60 / 150 ms at 16 kHz
        cuts = [e for e in r.plan.edits if e.kind == "shorten" and e.segment == "silence"]
        assert cuts and all(e.out_samples == keep for e in cuts), [e.out_samples for e in cuts]
    # 64 ms of padding each side makes more speech than 32 ms
    assert old.analysis.seconds("speech") > new.result.analysis.seconds("speech")
    assert any(e.kind == "stretch" for e in old.plan.edits)  # rate 1: speech sped up
    assert not any(e.kind == "stretch" for e in new.result.plan.edits)  # rate 0.5: untouched


@needs_silero
def test_raw_search_probe_renders_the_same_plan_with_the_search_of_before(real_clips):
    from audiosqueeze.bench.ours import run_ours
    from audiosqueeze.tsm import CurveWSOLA

    x = sq.load(real_clips[0]["abs"]).samples
    new, raw = run_ours("sq-1.0", x).result, run_ours("sq-1.0-rawsearch", x).result
    assert CurveWSOLA.normalised_search  # restored after the probe
    assert new.plan == raw.plan and len(new.audio) == len(raw.audio)
    assert not np.array_equal(new.audio, raw.audio)
    CurveWSOLA.normalised_search = False
    try:
        assert np.array_equal(sq.compress(x, 1.0, sample_rate=16000).audio, raw.audio)
    finally:
        CurveWSOLA.normalised_search = True


@needs_silero
def test_vad_reset_probe_sets_the_option(real_clips):
    from audiosqueeze.bench.ours import VAD_RESET, run_ours

    x = np.concatenate([np.zeros(4 * 16000, np.float32), sq.load(real_clips[2]["abs"]).samples])
    o = sq.AnalyzeOptions(vad_reset_ms=VAD_RESET["sq-vadreset-2s"])
    got = run_ours("sq-vadreset-2s", x).result
    assert (
        got.analysis.segments
        == sq.compress(x, sample_rate=16000, analyze_options=o).analysis.segments
    )
    assert np.array_equal(got.audio, sq.compress(x, sample_rate=16000, analyze_options=o).audio)


@needs_silero
def test_rate_probe_runs_compress_at_its_rate_between_the_default_and_075(real_clips):
    from audiosqueeze.bench.ours import RATE_PROBE, run_ours

    assert RATE_PROBE == ("sq-0.55", "sq-0.6", "sq-0.65", "sq-0.7")
    x = sq.load(real_clips[0]["abs"]).samples
    got = run_ours("sq-0.6", x)
    assert np.array_equal(got.samples, sq.compress(x, 0.6, sample_rate=16000).audio)
    # strictly between the default's length and rate 0.75's: speech is sped up, less than 0.75
    lengths = [len(run_ours(m, x).samples) for m in ("sq-0.5", "sq-0.6", "sq-0.75")]
    assert lengths[0] > lengths[1] > lengths[2], lengths


@pytest.mark.parametrize(
    "method, rate, scope",
    [
        ("sq-verify", 0.5, None),  # the defaults: rate 0.5 and the default scope
        ("sq-verify-1.0", 1.0, None),
        ("sq-verify-0.75-utt", 0.75, "utterance"),
        ("sq-verify-1.0-win", 1.0, "window"),
        ("sq-verify-0.75-p50", 0.75, "window"),  # the probe keeps the scope it was run with
    ],
)
def test_verify_methods_pass_their_rate_and_scope(monkeypatch, method, rate, scope):
    from audiosqueeze.bench import ours

    seen, real = {}, sq.compress

    def spy(samples, rate=0.5, **kw):
        seen.update(kw, rate=rate)
        return real(
            samples, rate, sample_rate=16000, analyze_options=sq.AnalyzeOptions(vad="energy")
        )

    monkeypatch.setattr(ours, "verifier", lambda name: f"asr:{name}")
    monkeypatch.setattr(sq, "compress", spy)
    ours.run_ours(method, np.zeros(16000, np.float32))
    assert seen["rate"] == rate and seen["verify"] == "asr:whisper-tiny.en"
    assert seen.get("verify_scope") == scope


@needs_silero
def test_budget_methods_are_compress_with_that_quality_budget(real_clips):
    from audiosqueeze.bench.ours import run_ours

    x = np.concatenate([sq.load(c["abs"]).samples for c in real_clips[:3]])
    outs = [run_ours(m, x) for m in ("sq-budget-0.5", "sq-budget-1", "sq-budget-2")]
    ref = sq.compress(x, sample_rate=16000, max_wer_increase=1.0)
    assert np.array_equal(outs[1].samples, ref.audio)
    rates = [o.result.plan.rate for o in outs]
    assert rates == sorted(rates) and rates[0] < rates[-1]


@needs_silero
def test_guard_eqtok_is_the_guard_at_rate_1_with_the_matched_allowance(real_clips):
    from audiosqueeze.bench.ours import ABLATION_MAX_SPEED, GUARD_EQUAL_TOKENS, run_ours

    x = np.concatenate([sq.load(c["abs"]).samples for c in real_clips[:3]])
    eq, loose = run_ours("sq-guard-eqtok-1.0", x), run_ours("sq-guard-1.0", x)
    o = sq.PlanOptions(
        speed_policy="guard",
        max_speed=ABLATION_MAX_SPEED,
        max_risk_increase=GUARD_EQUAL_TOKENS["sq-guard-eqtok-1.0"],
    )
    assert np.array_equal(eq.samples, sq.compress(x, 1.0, sample_rate=16000, plan_options=o).audio)
    # a smaller allowance than sq-guard-1.0's 0.25 speeds fewer windows up: longer output
    assert len(eq.samples) > len(loose.samples)


@needs_silero
def test_floor_methods_cut_every_pause_and_speed_up_only_to_reach_their_share():
    """The bundled clip loses 30.5 % to its pauses alone: ``sq-floor-0.3`` is the default's
    output; ``sq-floor-0.34`` needs more, so it speeds the speech up until 34 % is gone."""
    from audiosqueeze.bench.ours import run_ours

    x = sq.load(sq.__path__[0] + "/data/demo_common_voice_en_73.flac").samples
    default = run_ours("sq-0.5", x)
    assert default.result.plan.reduction > 0.3
    low, high = run_ours("sq-floor-0.3", x), run_ours("sq-floor-0.34", x)
    assert np.array_equal(low.samples, default.samples)
    assert high.result.plan.rate > 0.5
    assert high.result.plan.reduction == pytest.approx(0.34, abs=0.005)
    assert len(high.samples) < len(default.samples)
