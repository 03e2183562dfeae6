import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiosqueeze.errors import OptionsError
from audiosqueeze.tsm import (
    TSM_METHODS,
    WSOLA_FRAME,
    WSOLA_TOLERANCE,
    CurveWSOLA,
    best_lag,
    stretch,
    wsola,
    wsola_curve,
)
from audiosqueeze.wsola_search import LagSearch
from conftest import wsola_ready, wsola_rest

CONTEXT = WSOLA_FRAME + WSOLA_TOLERANCE

SR = 16000


def dominant_hz(x):
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / SR)[np.argmax(spec)]


@pytest.mark.parametrize("method", TSM_METHODS)
@pytest.mark.parametrize("speed", [1.1, 1.25, 1.5])
def test_exact_length_and_pitch_kept(method, speed):
    if method != "wsola":
        pytest.importorskip(
            {"rubberband": "pedalboard", "signalsmith": "python_stretch", "audiotsm": "audiotsm"}[
                method
            ]
        )
    x = (0.5 * np.sin(2 * np.pi * 200 * np.arange(2 * SR) / SR)).astype(np.float32)
    x.setflags(write=False)  # as Audio.samples are
    n_out = int(round(len(x) / speed))
    y = stretch(x, n_out, method)
    assert len(y) == n_out and y.dtype == np.float32
    core = y[SR // 4 : -SR // 4]
    assert dominant_hz(core) == pytest.approx(200, abs=4)  # pitch kept, not resampled
    assert np.sqrt(np.mean(core**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)  # level kept


def test_wsola_starts_where_input_starts():
    x = np.random.default_rng(1).normal(0, 0.1, SR).astype(np.float32)
    y = stretch(x, int(SR / 1.3))
    # the first 100 samples come only from the first frame, taken at its nominal position
    assert np.allclose(y[:100], x[:100], atol=1e-5)


def test_unknown_method():
    from audiosqueeze.errors import OptionsError

    with pytest.raises(OptionsError, match="'fast'"):
        stretch(np.zeros(1000, np.float32), 800, "fast")


def tone_sequence(freqs, seconds_each):
    n = int(seconds_each * SR)
    t = np.arange(n) / SR
    return np.concatenate([0.4 * np.sin(2 * np.pi * f * t) for f in freqs]).astype(np.float32)


@pytest.mark.parametrize("speed", [1.25, 1.6])
def test_tone_sequence_keeps_order_pitch_and_end(speed):
    # four tones in a row: time-stretching keeps each tone's pitch, their order, and ends on the
    # last one; truncation (x[:n_out]) would lose the last tone, resampling would shift pitch
    freqs = [300.0, 500.0, 700.0, 900.0]
    x = tone_sequence(freqs, 0.5)
    n_out = int(round(len(x) / speed))
    y = stretch(x, n_out)
    assert len(y) == n_out
    quarter = n_out // 4
    got = [
        dominant_hz(y[i * quarter + quarter // 4 : (i + 1) * quarter - quarter // 4])
        for i in range(4)
    ]
    assert got == pytest.approx(freqs, abs=12)


def test_stretch_within_context_reads_only_the_core():
    rng = np.random.default_rng(0)
    core = tone_sequence([400.0, 800.0], 0.5)
    lead, trail = (
        rng.normal(0, 0.3, 700).astype(np.float32),
        rng.normal(0, 0.3, 700).astype(np.float32),
    )
    y = stretch(np.concatenate([lead, core, trail]), 12800, lead=700, trail=700)
    assert len(y) == 12800
    assert dominant_hz(y[1000:5000]) == pytest.approx(400, abs=12)
    assert dominant_hz(y[8000:12000]) == pytest.approx(800, abs=12)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_curve_wsola_fed_piece_by_piece_equals_one_shot(data):
    """The renderer feeds the map one edit at a time and the input as it arrives: the output
    is the same samples as one call with everything, and comes out before the map is done."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = data.draw(st.integers(600, 30_000))
    lead, trail = data.draw(st.integers(0, CONTEXT)), data.draw(st.integers(0, CONTEXT))
    x = rng.standard_normal(lead + n + trail).astype(np.float32)
    cuts = np.unique(rng.integers(1, n, data.draw(st.integers(0, 6))))
    in_knots = np.concatenate([[0], cuts, [n]])
    outs = np.maximum(1, np.round(np.diff(in_knots) / rng.uniform(1.0, 2.0, len(cuts) + 1)))
    out_knots = np.concatenate([[0], np.cumsum(outs)])
    whole = wsola_curve(x, in_knots, out_knots, lead, trail)

    w, got, fed, arrived = CurveWSOLA(lead), [], 0, 0
    while fed < len(outs) or arrived < len(x):
        if fed < len(outs) and (arrived >= len(x) or rng.random() < 0.5):
            w.extend(in_knots[fed + 1] - in_knots[fed], outs[fed])
            fed += 1
        else:
            arrived = min(len(x), arrived + int(rng.integers(1, 4000)))
        wsola_ready(w, x, min(arrived, lead + w.in_samples + CONTEXT), got)
    assert np.array_equal(wsola_rest(w, x, got), whole)


def test_curve_wsola_output_comes_before_the_map_is_complete():
    x = np.sin(2 * np.pi * 200 * np.arange(2 * SR) / SR).astype(np.float32)
    w = CurveWSOLA(0)
    w.extend(SR, SR // 1.25)  # the first second at 1.25x; the rest not planned yet
    y = w.render(x, 0, SR + CONTEXT, final=False)
    # every sample that no later frame can change: up to the last frame made, less half a
    # frame, and never past the planned output
    assert 0.9 * (SR // 1.25) < len(y) <= SR // 1.25
    assert w.next_read() > SR // 2
    w.extend(SR, SR)  # the second second at 1x
    rest = w.render(x[w.next_read() :], w.next_read(), len(x), final=True)
    whole = wsola_curve(x, [0, SR, 2 * SR], [0, SR // 1.25, SR // 1.25 + SR])
    assert np.array_equal(np.concatenate([y, rest]), whole)
    with pytest.raises(OptionsError, match="empty"):
        CurveWSOLA(0).render(x, 0, len(x), final=True)


def test_best_lag_finds_the_planted_copy_and_normalising_ignores_loudness():
    rng = np.random.default_rng(3)
    template = rng.standard_normal(256).astype(np.float32)
    region = np.zeros(800, np.float32)
    region[30:286] = 0.1 * template  # a quiet exact copy at lag 30
    region[400:656] = template + 3.0 * rng.standard_normal(256).astype(np.float32)  # loud, noisy
    assert best_lag(region, template) == 400  # raw correlation follows the loud one
    assert best_lag(region, template, normalised=True) == 30  # the shape that fits
    quiet = np.zeros(512, np.float32)
    quiet[77:333] = template
    assert best_lag(quiet, template) == best_lag(quiet, template, normalised=True) == 77
    # the renderer's search, with its scratch arrays kept, finds the same planted answers
    assert LagSearch(256, 272, False)(region, template) == 400
    assert LagSearch(256, 272, True)(region, template) == 30
    assert LagSearch(256, 128, True)(quiet, template) == 77


#: Search shapes and signal scales for the lag-search property tests.
SEARCHES = {
    "seed": st.integers(0, 2**32 - 1),
    "frame": st.sampled_from([4, 64, WSOLA_FRAME]),
    "tolerance": st.integers(0, 200),
    "scale": st.sampled_from([0.0, 1e-20, 1e-4, 1.0, 3e4]),
}


@settings(max_examples=60, deadline=None)
@given(**SEARCHES, normalised=st.booleans())
def test_lag_search_is_best_lag_over_many_frames(seed, frame, tolerance, scale, normalised):
    # the scratch arrays are reused: every frame must still give best_lag's answer exactly
    rng = np.random.default_rng(seed)
    search = LagSearch(frame, tolerance, normalised)
    for _ in range(5):
        region = (scale * rng.standard_normal(frame + 2 * tolerance)).astype(np.float32)
        region[: rng.integers(0, len(region))] *= rng.choice([0.0, 1.0, 1e3])
        template = (scale * rng.standard_normal(frame)).astype(np.float32)
        assert search(region, template) == best_lag(region, template, normalised)


@settings(max_examples=40, deadline=None)
@given(**SEARCHES)
def test_batched_denominators_give_each_frame_best_lags_answer(seed, frame, tolerance, scale):
    # the renderer computes many frames' denominators at once: each row must be the one the
    # single-frame search computes, to the bit, and give best_lag's lag
    rng = np.random.default_rng(seed)
    search = LagSearch(frame, tolerance, True)
    regions = (scale * rng.standard_normal((6, frame + 2 * tolerance))).astype(np.float32)
    regions[1, : rng.integers(0, regions.shape[1])] = 0.0
    regions[2] *= 1e3
    rows = search.denominators(regions)
    assert rows.shape == (6, 2 * tolerance + 1)
    for region, row in zip(regions, rows, strict=True):
        e = np.concatenate([[0.0], np.cumsum(region.astype(np.float64) ** 2)])
        assert np.array_equal(row, np.sqrt(e[frame:] - e[:-frame] + 1e-9))
        template = (scale * rng.standard_normal(frame)).astype(np.float32)
        assert search(region, template, row) == best_lag(region, template, normalised=True)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 40), k0=st.integers(0, 5))
def test_overlap_add_of_many_frames_sums_as_the_frame_by_frame_loop(seed, m, k0):
    # all second halves first, then all first halves: each sample must get its two frames
    # in the loop's order (the other order rounds differently on most of these samples);
    # under 16 frames the loop itself runs
    rng = np.random.default_rng(seed)
    w = CurveWSOLA(0, frame=64, tolerance=8)
    w._acc0 = int(rng.integers(0, 20))
    prior = (rng.standard_normal(k0 * 32 + 40) * 1e3).astype(np.float32)
    w._acc, w._wsum = prior.copy(), prior.copy() * 0.5
    frames = rng.standard_normal((m, 64)).astype(np.float32)
    acc = np.concatenate([prior, np.zeros(m * 64, np.float32)])
    wsum = np.concatenate([prior * 0.5, np.zeros(m * 64, np.float32)])
    for k, f in enumerate(frames):
        i = (k0 + k) * 32 - w._acc0
        if i < 0:
            return  # the loop never writes before the buffer's start
        acc[i : i + 64] += f * w._window
        wsum[i : i + 64] += w._window
    w._overlap_add(list(frames), k0)
    for got, want in ((w._acc, acc), (w._wsum, wsum)):  # the buffer may have grown further
        n = min(len(got), len(want))
        assert np.array_equal(got[:n], want[:n])
        assert not got[n:].any() and not want[n:].any()


@pytest.mark.parametrize("batch", [1, 3, 128])
def test_wsola_output_does_not_depend_on_how_many_denominators_are_batched(monkeypatch, batch):
    import audiosqueeze.tsm as tsm

    rng = np.random.default_rng(5)
    t = np.arange(3 * SR) / SR
    x = np.sin(2 * np.pi * (150 + 40 * t) * t) + 0.1 * rng.standard_normal(len(t))
    x = x.astype(np.float32)
    in_knots, out_knots = [0, SR, 3 * SR], [0, SR // 1.4, SR // 1.4 + 2 * SR // 1.1]
    # every frame searched alone (no batch): the reference
    monkeypatch.setattr(tsm.CurveWSOLA, "_denominators", lambda self, noms, j, *a: [None])
    alone = wsola_curve(x, in_knots, out_knots)
    monkeypatch.undo()
    monkeypatch.setattr(tsm, "_BATCH", batch)
    monkeypatch.setattr(tsm, "_MIN_BATCH", 1)  # batches even of one frame
    assert np.array_equal(wsola_curve(x, in_knots, out_knots), alone)
    # fed in pieces (the stream's case), the batches end at the input's limit
    w = CurveWSOLA(0)
    w.extend(SR, SR // 1.4)
    w.extend(2 * SR, 2 * SR // 1.1)
    parts = [w.render(x[:n], 0, n, final=False) for n in (4000, 9000, 20000, 33000)]
    parts.append(w.render(x, 0, len(x), final=True))
    assert np.array_equal(np.concatenate(parts), alone)


SHAPES = [
    {"frame": 320, "tolerance": 160},
    {"frame": 1024, "tolerance": 80},
    {"frame": 512, "tolerance": 160, "normalised": False},
    {"frame": 512, "tolerance": 160, "overlap_only": True},
    {"frame": 768, "tolerance": 160, "overlap_only": True},
    {"frame": 512, "tolerance": 160, "adaptive_fade": True},
]


@pytest.mark.parametrize("shape", SHAPES)
def test_other_wsola_shapes_keep_order_pitch_and_length(shape):
    freqs = [300.0, 500.0, 700.0, 900.0]
    x = tone_sequence(freqs, 0.5)
    n_out = int(round(len(x) / 1.25))
    y = wsola(x, n_out, **shape)
    assert len(y) == n_out and not np.array_equal(y, wsola(x, n_out))
    quarter = n_out // 4
    got = [
        dominant_hz(y[i * quarter + quarter // 4 : (i + 1) * quarter - quarter // 4])
        for i in range(4)
    ]
    assert got == pytest.approx(freqs, abs=12)


@pytest.mark.parametrize("shape", SHAPES)
def test_other_wsola_shapes_fed_piece_by_piece_equal_one_shot(shape):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(20_000).astype(np.float32)
    in_knots, out_knots = [0, 7000, 20_000], [0, 5000, 15_000]
    whole = wsola_curve(x, in_knots, out_knots, **shape)
    w, got = CurveWSOLA(0, **shape), []
    context = shape["frame"] + shape["tolerance"]
    for i in (1, 2):
        w.extend(in_knots[i] - in_knots[i - 1], out_knots[i] - out_knots[i - 1])
        limit = min(len(x), in_knots[i] + context)
        lo = w.next_read()
        got.append(w.render(x[lo:limit], lo, limit, final=False))
    lo = w.next_read()
    got.append(w.render(x[lo:], lo, len(x), final=True))
    assert np.array_equal(np.concatenate(got), whole)


@pytest.mark.parametrize("frame, tolerance", [(3, 10), (0, 10), (511, 10), (512, -1)])
def test_bad_wsola_shape_is_refused(frame, tolerance):
    with pytest.raises(OptionsError, match=f"frame {frame}, tolerance {tolerance}"):
        CurveWSOLA(0, frame=frame, tolerance=tolerance)


def test_the_renderers_wsola_searches_normalised_unless_the_probe_says_raw():
    assert CurveWSOLA(0).normalised and not CurveWSOLA(0, normalised=False).normalised
    # a voice that swells 30 dB in 0.4 s: the raw search is drawn to the louder lags
    t = np.arange(SR) / SR
    x = (np.sin(2 * np.pi * 140 * t) * np.sin(2 * np.pi * 330 * t) * 10 ** (1.5 * t - 1.5)).astype(
        np.float32
    )
    assert not np.array_equal(wsola(x, 12_800), wsola(x, 12_800, normalised=False))
    assert np.array_equal(wsola(x, 12_800), wsola(x, 12_800, normalised=True))
    CurveWSOLA.normalised_search = False
    try:
        assert np.array_equal(wsola(x, 12_800), wsola(x, 12_800, normalised=False))
    finally:
        CurveWSOLA.normalised_search = True


@pytest.mark.parametrize("frame", ["x", None, float("nan"), float("inf")])
def test_wsola_shape_that_is_not_a_number_is_refused(frame):
    with pytest.raises(OptionsError, match="bad WSOLA shape"):
        CurveWSOLA(0, frame=frame)


def test_overlap_only_search_compares_half_a_frame():
    assert CurveWSOLA(0).match == WSOLA_FRAME
    assert CurveWSOLA(0, overlap_only=True).match == WSOLA_FRAME // 2
    assert CurveWSOLA(0, frame=768, overlap_only=True)._search.frame == 384


def test_wsola_searches_the_search_signal_and_takes_frames_from_the_input():
    t = np.arange(SR) / SR
    x = (np.sin(2 * np.pi * 140 * t) * np.sin(2 * np.pi * 330 * t) * 10 ** (1.5 * t - 1.5)).astype(
        np.float32
    )
    n_out = 12_800
    default = wsola(x, n_out)
    assert np.array_equal(wsola(x, n_out, search=x), default)
    # the normalised search does not hear scale (a power of two scales every score exactly)
    assert np.array_equal(wsola(x, n_out, search=4 * x), default)
    noise = np.random.default_rng(3).standard_normal(len(x)).astype(np.float32)
    assert not np.array_equal(wsola(x, n_out, search=noise), default)
    # what the search reads steers where frames are taken, not what they hold
    silent = np.zeros_like(x)
    assert not np.any(wsola(silent, n_out, search=noise))
    with pytest.raises(OptionsError, match="search signal of shape"):
        wsola(x, n_out, search=x[:-1])


def test_adaptive_fade_keeps_the_power_of_noise_and_leaves_a_tone_alone():
    noise = (np.random.default_rng(0).standard_normal(4 * SR) * 0.1).astype(np.float32)
    n_out = int(len(noise) / 1.25)
    power = float(np.mean(noise**2))
    plain = float(np.mean(wsola(noise, n_out) ** 2))
    fitted = float(np.mean(wsola(noise, n_out, adaptive_fade=True) ** 2))
    assert plain < 0.95 * power  # unlike halves dip at every overlap
    assert fitted == pytest.approx(power, rel=0.02)
    t = np.arange(2 * SR) / SR
    v = np.sin(2 * np.pi * 200 * t).astype(np.float32)
    n_out = int(len(v) / 1.25)
    assert np.allclose(wsola(v, n_out, adaptive_fade=True), wsola(v, n_out), atol=1e-6)


@pytest.mark.parametrize("speed", [0.5, 0.8, 1.0, 1.25, 1.5, 2.0])
@pytest.mark.parametrize("n", [700, 3001, 48_000])
def test_audiotsm_pieces_carry_their_tone_to_the_planned_end(n, speed):
    """audiotsm drops its last frames; the piece's own tone must still reach its planned end
    (it was held as one repeated sample there: a flat line, no zero crossings)."""
    pytest.importorskip("audiotsm")
    from audiosqueeze.tsm_libs import library_stretch

    x = (0.5 * np.sin(2 * np.pi * 300 * np.arange(n) / 16000)).astype(np.float32)
    out = max(1, round(n / speed))
    y = library_stretch(x, out, "audiotsm")
    assert len(y) == out
    tail = y[-min(out, 200) :]
    crossings = np.count_nonzero(np.diff(np.signbit(tail)))
    assert crossings >= len(tail) * 2 * 300 / 16000 - 2  # a 300 Hz tone crosses 0 600 times/s
