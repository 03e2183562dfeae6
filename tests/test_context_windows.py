"""Planted answers for the edges of :func:`audiosqueeze.context.context_features`' causal
windows (which frame a window ends on, where it starts, how far the run's context reaches)
and for how :class:`~audiosqueeze.context.RunContext` and
:func:`~audiosqueeze.context.speech_runs` join pieces into runs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiosqueeze import context
from audiosqueeze.analyze import Segment
from audiosqueeze.segments import FRAME_FIELDS
from audiosqueeze.units import FRAME_SAMPLES as FS

F = {name: i for i, name in enumerate(context.FEATURES)}
FRAME_S = FS / 16000


def run_of(n: int, start: int = 0, continues: bool = False, **fields) -> Segment:
    base = {"prob": 0.9, "level": -20.0, "band": -40.0, "flux": 0.3, "floor": -60.0}
    f = {k: np.full(n, base[k], np.float64) for k in FRAME_FIELDS}
    for k, v in fields.items():
        f[k] = np.asarray(v, np.float64)
    return Segment("speech", start, start + n * FS, 1.0, None, None, {}, f, continues)


def feats(run: Segment, a: int, b: int, window_ms: float = 100.0) -> dict:
    x = context.context_features(run, [(a, b)], window_ms)[0]
    return dict(zip(context.FEATURES, x.tolist(), strict=True))


def test_a_window_reads_the_frame_holding_its_last_sample_and_none_after():
    prob = np.full(60, 0.9)
    prob[40] = 0.1  # frame 40: samples 40 * FS .. 41 * FS
    run = run_of(60, prob=prob)
    ends_before = feats(run, 30 * FS, 40 * FS)
    assert ends_before["prob_min"] == pytest.approx(0.9)  # frame 40 starts at b: not read
    ends_inside = feats(run, 30 * FS, 40 * FS + 1)
    assert ends_inside["prob_min"] == pytest.approx(0.1)  # b - 1 lies in frame 40


def test_a_window_longer_than_window_ms_reads_all_of_itself():
    level = np.full(100, -20.0)
    level[10:20] = -50.0  # the window's first frames, more than window_ms before its end
    run = run_of(100, level=level)
    got = feats(run, 10 * FS, 60 * FS, window_ms=100.0)
    assert got["duration_s"] == pytest.approx(50 * FRAME_S)
    assert got["level_std_db"] == pytest.approx(np.std(level[10:60]), rel=1e-6)


def test_a_peak_on_the_windows_first_frame_counts():
    band = np.full(60, -40.0)
    band[[16, 20]] = -10.0  # nuclei (3-frame smoothing: plateaus at 15..17 and 19..21)
    run = run_of(60, band=band)
    got = feats(run, 20 * FS, 30 * FS)  # the window starts on the second nucleus
    assert got["syllable_rate_hz"] == pytest.approx(1 / (10 * FRAME_S))
    assert got["segment_syllable_rate_hz"] == pytest.approx(2 / (30 * FRAME_S))


def test_five_frames_can_hold_a_nucleus_and_four_cannot():
    # a nucleus is a peak of the 3-frame mean, and only frames with both neighbours read
    # are smoothed: the peak needs a smoothed frame on each side, so frames 0 and 4 as well
    run = run_of(5, band=[0.0, 20.0, 60.0, 20.0, 0.0])  # smoothed: 26.7, 33.3, 26.7
    got = feats(run, 0, 5 * FS)
    assert got["syllable_rate_hz"] == pytest.approx(1 / (5 * FRAME_S))
    assert feats(run_of(4, band=[0.0, 20.0, 60.0, 20.0]), 0, 4 * FS)["syllable_rate_hz"] == 0


@pytest.mark.parametrize("band_db", [-40.0, 0.0, 30.0, 60.0])
def test_a_flat_band_level_holds_no_nucleus_at_either_end_of_what_is_read(band_db):
    # before: the 3-frame mean padded the frames read with 0 dB on both sides, so where the
    # band level is 12 dB or more (43 % of speech frames on dev) the frame before the window's
    # end stood band/3 dB over the last and counted as a nucleus in every window
    run = run_of(60, band=np.full(60, band_db))
    for a, b in ((0, 60), (20, 30), (50, 55), (0, 8)):
        got = feats(run, a * FS, b * FS)
        assert got["syllable_rate_hz"] == 0 and got["segment_syllable_rate_hz"] == 0, (a, b)


def test_the_runs_context_reaches_back_312_frames_from_the_windows_end():
    n = 400
    band = np.full(n, 20.0)
    band[10::8] = 50.0  # nuclei at 10, 18, ..., 394
    run = run_of(n, band=band)
    got = feats(run, 390 * FS, n * FS)
    inside = np.arange(10, n, 8)
    # the context is frames 88-399; a burst's 3-frame mean is a plateau around it, which is
    # a peak only with a smoothed frame before it: from frame 91, so 98, ..., 394
    inside = inside[inside >= n - 312 + 3]
    assert len(inside) == 38
    assert got["segment_syllable_rate_hz"] == pytest.approx(38 / (312 * FRAME_S), rel=1e-6)


def test_snr_and_flux_spread_are_the_windows_own():
    n = 100
    floor = np.full(n, -80.0)
    floor[90:] = -50.0
    flux = np.full(n, 0.3)
    flux[90:] = [0.1, 0.5] * 5
    run = run_of(n, floor=floor, flux=flux)
    got = feats(run, 90 * FS, n * FS, window_ms=100.0)  # the last 10 frames (reach 3.1)
    assert got["snr_db"] == pytest.approx(-20.0 - -50.0)
    assert got["flux_std"] == pytest.approx(0.2)
    assert got["flux_mean"] == pytest.approx(0.3)


def _pieces(draw_spec):
    """Segments from ``(kind, frames, tail, continues, gap, has_frames)`` rows, laid out in
    order (``tail``: samples short of the last frame, ``gap``: samples skipped before)."""
    rng = np.random.default_rng(len(draw_spec))
    out, at = [], 0
    for kind, n, tail, cont, gap, has in draw_spec:
        at += gap
        end = at + n * FS - tail
        f = None
        if kind == "speech" and has:
            f = {k: rng.normal(size=n) * 10 for k in FRAME_FIELDS}
        out.append(Segment(kind, at, end, 1.0, None, None, {}, f, cont))
        at = end
    return out


ROW = st.tuples(
    st.sampled_from(["speech", "speech", "speech", "silence"]),
    st.integers(1, 6),
    st.sampled_from([0, 0, 0, 1, 200, 511]),
    st.booleans(),
    st.sampled_from([0, 0, 0, 0, 100, 512]),
    st.sampled_from([True, True, True, False]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=14))
def test_stream_context_and_whole_runs_agree_on_any_hand_made_pieces(rows):
    """What the planner's RunContext gives each piece (joined where the last segment was
    speech that continues) reads what :func:`speech_runs` gives for the same windows, and a
    piece is read only from frames on its own grid: joined pieces, gaps, frameless speech,
    runs that end without ``continues`` and pieces whose end is off the 32-ms grid."""
    segs = _pieces(rows)
    runs = context.speech_runs(segs)
    ctx, in_run = context.RunContext(), False
    for seg in segs:
        joined, in_run = in_run, seg.kind == "speech" and seg.continues
        if seg.kind != "speech" or seg.frames is None:
            continue
        so_far = ctx.add(seg, joined)
        (run,) = [r for r in runs if r.start <= seg.start and seg.end <= r.end]
        assert (seg.start - run.start) % FS == 0  # the piece's frames lie on the run's grid
        assert len(run.frames["prob"]) == -(-(run.end - run.start) // FS)
        # the frame a window ending at the piece's end reads last is the piece's last frame
        fb = -(-(seg.end - run.start) // FS)
        assert run.frames["prob"][fb - 1] == seg.frames["prob"][-1]
        for span in ([(seg.start, seg.end)], [(seg.start, seg.start + 1)]):
            want = context.context_features(run, span, 750.0)
            assert np.array_equal(context.context_features(so_far, span, 750.0), want)


def test_runs_split_where_a_piece_does_not_continue_or_a_gap_or_frameless_speech_lies():
    a = run_of(4, 0, True)
    b = run_of(4, 4 * FS, False)  # ends its run though adjoining the next
    c = run_of(4, 8 * FS, True)
    d = run_of(2, 14 * FS, True)  # a gap before it
    e = Segment("speech", 16 * FS, 18 * FS, 1.0, None, None, {}, None, True)  # no frames
    g = run_of(2, 18 * FS, False)
    runs = context.speech_runs([a, b, c, d, e, g])
    assert [(r.start // FS, r.end // FS) for r in runs] == [(0, 8), (8, 12), (14, 16), (18, 20)]
    ctx = context.RunContext()
    assert ctx.add(a, False).start == 0
    assert ctx.add(b, True).start == 0
    assert ctx.add(c, False).start == 8 * FS  # not joined: a run of its own
    assert ctx.add(d, True).start == 14 * FS  # joined, but after a gap
