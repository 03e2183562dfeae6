"""The speed curve: inner pauses, windows, speeds, the variable-rate render and its time map."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_tsm import dominant_hz, tone_sequence

import audiosqueeze as sq
from audiosqueeze import curve
from audiosqueeze.analyze import Analysis
from audiosqueeze.plan import Edit, Plan, PlanOptions, plan
from audiosqueeze.render import render, timemap_of
from audiosqueeze.tsm import wsola_curve
from audiosqueeze.units import FRAME_SAMPLES
from conftest import planted_speech

SR = 16000


def speech_segment(n_frames, start=0, dips=()):
    """A speech segment with planted per-frame measurements; ``dips``: (first, last) frame
    ranges that are quiet and unlikely speech."""
    prob = np.full(n_frames, 0.95)
    level = np.full(n_frames, -20.0)
    for a, b in dips:
        prob[a:b], level[a:b] = 0.05, -55.0
    return planted_speech(prob, level, start, {"syllable_rate_hz": 3.0})


def test_inner_pause_found_where_planted_and_short_dips_ignored():
    seg = speech_segment(100, start=3200, dips=[(20, 27), (60, 63)])  # 224 ms and 96 ms
    got = curve.inner_pauses(seg, PlanOptions())
    assert got.tolist() == [[3200 + 20 * FRAME_SAMPLES, 3200 + 27 * FRAME_SAMPLES]]
    kinds = [k for k, _, _ in curve.layout(seg, PlanOptions())]
    assert kinds == ["speech", "pause", "speech"]


def test_inner_pause_is_shortened_and_speech_around_it_sped_up():
    seg = speech_segment(100, dips=[(40, 50)])  # 320 ms pause in the middle
    a = Analysis((seg,), seg.end, seg.frames["prob"], "test")
    p = plan(a, 1.0, PlanOptions(speed_policy="uniform", max_speed=1.5))
    pauses = [e for e in p.edits if e.kind == "shorten"]
    assert len(pauses) == 1
    assert (pauses[0].start, pauses[0].end) == (40 * FRAME_SAMPLES, 50 * FRAME_SAMPLES)
    assert pauses[0].out_samples == 960  # min_keep_pause_ms (60 ms) at rate 1
    stretched = [e for e in p.edits if e.kind == "stretch"]
    assert stretched and all(e.speed == pytest.approx(1.5, rel=1e-3) for e in stretched)
    # each run ends un-joined exactly before the pause and at the segment's end
    assert [e.end for e in stretched if not e.joined] == [40 * FRAME_SAMPLES, seg.end]


@given(st.integers(0, 10**6), st.integers(1, 10**6), st.floats(100, 5000))
def test_windows_cover_the_span_in_equal_parts(start, length, window_ms):
    w = curve.windows(start, start + length, window_ms)
    assert w[0][0] == start and w[-1][1] == start + length
    assert all(a[1] == b[0] for a, b in zip(w, w[1:], strict=False))
    sizes = [b - a for a, b in w]
    assert max(sizes) - min(sizes) <= 1


@given(st.lists(st.floats(1.0, 2.0), min_size=1, max_size=30), st.floats(0.05, 1.0))
def test_smoothing_bounds_steps_and_only_slows_down(speeds, step):
    s = curve.smooth_speeds(np.array(speeds), step)
    assert np.all(s <= np.array(speeds) + 1e-12)
    assert np.all(np.abs(np.diff(s)) <= step + 1e-9)


def test_uniform_policy_speeds_and_cues_policy_orders_by_complexity():
    seg = speech_segment(80)
    spans = curve.windows(seg.start, seg.end, 750)
    uni = curve.speeds_for(seg, spans, 0.75, PlanOptions(speed_policy="uniform", max_speed=1.6))
    assert np.allclose(uni, 1.3)  # halfway from 1.0 (rate 0.5) to 1.6 (rate 1)
    cues = curve.speeds_for(seg, spans, 1.0, PlanOptions(speed_policy="cues"))
    assert np.all((cues >= 1.0) & (cues <= 1.8))


# -- the variable-rate render -----------------------------------------------------------------


def test_variable_rate_wsola_keeps_pitch_order_and_length():
    # four 0.5-s tones, each played at its own speed: each output stretch holds its own tone
    # (pitch and order kept) and the output has exactly the planned length; truncation would
    # lose the last tone and resampling would shift every pitch
    freqs, speeds = [300.0, 500.0, 700.0, 900.0], [1.0, 1.5, 2.0, 1.25]
    x = tone_sequence(freqs, 0.5)
    n = len(x) // 4
    outs = [int(round(n / s)) for s in speeds]
    in_knots = np.arange(5) * n
    out_knots = np.concatenate([[0], np.cumsum(outs)])
    y = wsola_curve(x, in_knots, out_knots)
    assert len(y) == out_knots[-1]
    for i, f in enumerate(freqs):
        a, b = out_knots[i], out_knots[i + 1]
        pad = (b - a) // 4
        assert dominant_hz(y[a + pad : b - pad]) == pytest.approx(f, abs=15)


def test_run_of_joined_edits_renders_to_the_planned_length_and_its_map_is_the_integral():
    x = tone_sequence([300.0, 500.0, 700.0, 900.0], 0.5)
    n = len(x) // 4
    speeds = [1.2, 1.9, 1.0, 1.4]
    edits = tuple(
        Edit("stretch", i * n, (i + 1) * n, int(round(n / s)), "speech", 0, i < 3)
        for i, s in enumerate(speeds)
    )
    p = Plan(edits, len(x), 1.0)
    y = render(x, p)
    assert len(y) == p.out_samples
    # time map = integral of 1/s(t) over original time, checked at every 100th sample
    s_of_t = np.repeat([n / e.out_samples for e in edits], n)
    integral = np.concatenate([[0], np.cumsum(1.0 / s_of_t)])
    t = np.arange(0, len(x) + 1, 100)
    tm = timemap_of(p)
    got = tm.to_compressed(t / SR) * SR
    assert np.allclose(got, integral[t], atol=1.0)


def test_a_curve_plan_streams_bit_identically_for_any_chunking():
    rng = np.random.default_rng(4)
    x = np.concatenate(
        [tone_sequence([300.0, 500.0, 700.0], 0.6), np.zeros(SR, np.float32)]
        + [tone_sequence([400.0, 600.0], 0.8)]
    )
    x += rng.normal(0, 0.002, len(x)).astype(np.float32)
    opts = PlanOptions(speed_policy="uniform", max_speed=1.7)
    energy = sq.AnalyzeOptions(vad="energy")
    ref = sq.compress(x, 1.0, sample_rate=SR, analyze_options=energy, plan_options=opts)
    assert any(e.joined for e in ref.plan.edits)  # really a variable-rate run
    for cuts in ([], [1], [333, 5000, 5001, 20000], list(range(0, len(x), 320))):
        s = sq.Stream(1.0, analyze_options=energy, plan_options=opts)
        bounds = [0, *cuts, len(x)]
        got = [s.push(x[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        got = np.concatenate(got + [s.flush()])
        assert np.array_equal(got, ref.audio)
        assert s.timemap == ref.timemap


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(1.0, 2.0), min_size=1, max_size=6),
    st.integers(2000, 9000),
)
def test_any_speed_curve_gives_the_exact_length(speeds, piece):
    x = np.random.default_rng(0).normal(0, 0.1, piece * len(speeds)).astype(np.float32)
    outs = [max(1, int(round(piece / s))) for s in speeds]
    y = wsola_curve(x, np.arange(len(speeds) + 1) * piece, np.concatenate([[0], np.cumsum(outs)]))
    assert len(y) == sum(outs) and np.all(np.isfinite(y))


@pytest.mark.parametrize("rule", ["stress", "transients"])
def test_within_window_rules_keep_the_window_length_and_slow_tense_frames(rule):
    seg = speech_segment(60)
    rng = np.random.default_rng(1)
    seg.frames["level"][:] = rng.uniform(-40, -15, 60)
    seg.frames["flux"][:] = rng.uniform(0.1, 0.6, 60)
    tense = curve.tension(seg, rule)
    a, b = seg.start + 100, seg.end - 300  # not on the frame grid
    parts = curve.pieces(seg, a, b, 1.4, tense, 2.0)
    assert parts[0][0] == a and parts[-1][1] == b
    assert all(p[1] == q[0] for p, q in zip(parts, parts[1:], strict=False))
    assert sum(o for _, _, o in parts) == round((b - a) / 1.4)  # the window's own length
    # local speed falls as tension rises (rank correlation over the whole frames)
    whole = [(s, e, o) for s, e, o in parts if e - s == FRAME_SAMPLES]
    t = [tense[(s - seg.start) // FRAME_SAMPLES] for s, _, _ in whole]
    v = [(e - s) / o for s, e, o in whole]
    assert np.corrcoef(np.argsort(np.argsort(t)), np.argsort(np.argsort(v)))[0, 1] < -0.8
    assert max(v) <= 2.0 + 0.05
    assert curve.tension(seg, "flat") is None


def test_within_window_plan_streams_bit_identically():
    x = np.concatenate([tone_sequence([300.0, 500.0, 700.0, 400.0], 0.6), np.zeros(SR // 2)])
    x = (x * np.linspace(0.3, 1.0, len(x))).astype(np.float32)
    # one long analysis segment (64-ms pieces: tests/test_context.py)
    energy = sq.AnalyzeOptions(vad="energy", max_segment_ms=10_000)
    opts = PlanOptions(speed_policy="uniform", max_speed=1.5, within_window="stress")
    ref = sq.compress(x, 1.0, sample_rate=SR, analyze_options=energy, plan_options=opts)
    speeds = {round(e.speed, 2) for e in ref.plan.edits if e.kind == "stretch"}
    assert len(speeds) > 5  # frame by frame, not one speed
    s = sq.Stream(1.0, analyze_options=energy, plan_options=opts)
    got = np.concatenate([s.push(x[i : i + 333]) for i in range(0, len(x), 333)] + [s.flush()])
    assert np.array_equal(got, ref.audio)


def _periodicity(y, lags, frame=512, step=256):
    """Per frame, the best normalised correlation of ``y`` with itself one period later."""
    out = []
    for i in range(frame, len(y) - 2 * frame, step):
        a = y[i : i + frame]
        best = max(
            float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b) + 1e-12))
            for b in (y[i + lag : i + lag + frame] for lag in lags)
        )
        out.append(best)
    return np.array(out)


def test_speed_changes_every_64_ms_leave_a_voiced_signal_periodic_and_in_pitch():
    # a 150 Hz "voice" with 11 harmonics and a gliding pitch, rendered with the speed
    # switching between 1.0x and 1.5x every 64 ms (as verify leaves it next to relaxed words):
    # every output frame is still one period away from itself (a splice that breaks the
    # waveform, e.g. cutting each piece short, drops that well below 0.9) and the pitch stays
    n = 3 * SR
    t = np.arange(n) / SR
    phase = 2 * np.pi * np.cumsum(150.0 * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t))) / SR
    x = (0.2 * sum(np.sin(k * phase) / k for k in range(1, 12))).astype(np.float32)
    piece, speeds = 1024, (1.0, 1.5)
    edits = tuple(
        Edit(
            "stretch",
            a,
            min(n, a + piece),
            int(round(min(piece, n - a) / speeds[i % 2])),
            "speech",
            0,
            a + piece < n,
        )
        for i, a in enumerate(range(0, n, piece))
    )
    y = render(x, Plan(edits, n, 1.0))
    assert len(y) == sum(e.out_samples for e in edits)
    lags = range(int(SR / 160), int(SR / 140) + 2)  # one period of 142.5-157.5 Hz
    assert _periodicity(y, lags).min() > 0.98
    assert dominant_hz(y[SR // 2 : SR // 2 + 4096]) == pytest.approx(150, abs=15)
