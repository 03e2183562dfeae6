"""Known answers for the speed curve (curve.py): inner pauses at their boundaries, the
within-window tension, the speeds and the guard's WER estimate, planted where the answer is
known.

Each test here was written against a mutant of curve.py that the other tests let pass."""

import numpy as np
import pytest

from audiosqueeze import curve
from audiosqueeze.analyze import Analysis, Segment
from audiosqueeze.plan import PlanOptions, plan
from audiosqueeze.units import FRAME_SAMPLES
from conftest import planted_speech

SR = 16000


def speech(n_frames, dips=(), start=0, level=-20.0, prob=0.95):
    """A speech segment of planted frames; ``dips``: frame slices quiet (-55 dB) and
    unlikely speech (VAD 0.05)."""
    p, lv = np.full(n_frames, prob), np.full(n_frames, level)
    for d in dips:
        p[d], lv[d] = 0.05, -55.0
    return planted_speech(p, lv, start)


def frames_of(*pairs):
    return [[a * FRAME_SAMPLES, b * FRAME_SAMPLES] for a, b in pairs]


# -- inner pauses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seg",
    [
        Segment("speech", 0, 3200, 0.9, 0.2),  # no frames
        speech(5, [slice(1, 4)]),  # shorter than a pause and the frames either side
        speech(40, [slice(10, 20)], prob=0.3),  # no voiced frame to take the level from
    ],
)
def test_no_inner_pause_is_an_empty_list_of_intervals(seg):
    got = curve.inner_pauses(seg, PlanOptions())
    assert got.shape == (0, 2) and got.dtype == np.int64


def test_a_pause_and_one_frame_either_side_is_long_enough():
    # 120 ms needs 4 frames; 6 frames hold them between the first and the last
    assert curve.inner_pauses(speech(6, [slice(1, 5)]), PlanOptions()).tolist() == frames_of((1, 5))


def test_min_inner_pause_ms_counts_whole_frames_rounding_up():
    o = PlanOptions(min_inner_pause_ms=32.0)  # one frame
    assert curve.inner_pauses(speech(20, [slice(7, 8)]), o).tolist() == frames_of((7, 8))
    o = PlanOptions(min_inner_pause_ms=128.0)  # exactly 4 frames
    assert curve.inner_pauses(speech(20, [slice(7, 11)]), o).tolist() == frames_of((7, 11))
    o = PlanOptions(min_inner_pause_ms=96.05)  # a little over 3 frames: 4
    assert curve.inner_pauses(speech(20, [slice(7, 10)]), o).shape == (0, 2)
    assert curve.inner_pauses(speech(20, [slice(7, 11)]), o).tolist() == frames_of((7, 11))


def test_a_frame_at_vad_probability_one_half_is_voiced():
    # the only frames that are not the dip sit at 0.5: their level is the speech level
    got = curve.inner_pauses(speech(20, [slice(7, 12)], prob=0.5), PlanOptions())
    assert got.tolist() == frames_of((7, 12))


def test_a_pause_is_under_both_thresholds_not_at_them():
    def dip(prob, level):
        seg = speech(20, [slice(7, 12)])
        seg.frames["prob"][7:12], seg.frames["level"][7:12] = prob, level
        return curve.inner_pauses(seg, PlanOptions()).tolist()

    assert dip(0.29, -32.5) == frames_of((7, 12))  # VAD under 0.3, 12.5 dB under the speech
    assert dip(0.3, -32.5) == []
    assert dip(0.29, -32.0) == []


def test_an_inner_pause_never_takes_the_segments_first_or_last_frame():
    seg = speech(20, [slice(0, 6), slice(14, 20)])
    assert curve.inner_pauses(seg, PlanOptions()).tolist() == frames_of((1, 6), (14, 19))


# -- the guard's WER estimate ------------------------------------------------------------------


class LinearGuard:
    """A stand-in guard: each window's risk is ``0.2 + slope * (speed - 1)``."""

    def __init__(self, slope):
        self.slope = slope

    def risk(self, x, speed):
        assert len(x) == len(speed)
        return 0.2 + self.slope * (np.asarray(speed, np.float64) - 1.0)


def _with_silence(seg_frames):
    """1 s of silence, the speech (its frames' length), 0.5 s of silence."""
    n = seg_frames * FRAME_SAMPLES
    sp = speech(seg_frames, start=SR)
    segs = (
        Segment("silence", 0, SR, 0.9),
        sp,
        Segment("silence", SR + n, SR + n + SR // 2, 0.9),
    )
    return Analysis(segs, SR + n + SR // 2, np.zeros(0, np.float32), "test")


@pytest.mark.parametrize(
    ("n_frames", "windows"),
    [(375, 16), (20, 1)],  # 12 s: sixteen 750-ms windows; 0.64 s (1.6 words): one
)
def test_the_wer_estimate_is_the_added_risk_per_hundred_words(monkeypatch, n_frames, windows):
    from audiosqueeze import guard

    monkeypatch.setattr(guard, "load_guard", lambda path=None: LinearGuard(0.1))
    a = _with_silence(n_frames)
    o = PlanOptions()  # uniform: every window at 1.5x at rate 1
    p = plan(a, 1.0, o)
    speeds = [e.speed for e in p.edits if e.kind == "stretch"]
    assert len(speeds) == windows and speeds == pytest.approx([1.5] * windows, abs=1e-3)
    # each window adds 0.1 * 0.5 = 0.05; the words: 2.5 a second of speech
    words = n_frames * FRAME_SAMPLES / SR * 2.5
    want = 100.0 * sum(0.1 * (v - 1.0) for v in speeds) / words
    assert curve.predicted_wer_increase(a, p, o) == pytest.approx(want, rel=1e-6)
    # a guard that finds speed harmless adds nothing (no negative risk counted)
    monkeypatch.setattr(guard, "load_guard", lambda path=None: LinearGuard(-0.1))
    assert curve.predicted_wer_increase(a, p, o) == 0.0
    # at rate 0.5 nothing is sped up: nothing to estimate
    assert curve.predicted_wer_increase(a, plan(a, 0.5, o), o) == 0.0


# -- within-window tension -------------------------------------------------------------------


def _ramp(field, values):
    seg = speech(len(values))
    seg.frames[field] = np.asarray(values, np.float64)
    return seg


def test_stress_tension_runs_from_18_db_to_3_db_under_the_90th_percentile():
    # levels 0, -0.3, ..., -30 dB: the 90th percentile is -3 dB, so tension is 0 at -21 dB
    # and 1 at -6 dB, linear between (a straight ramp is its own 3-frame mean)
    level = -0.3 * np.arange(101)[::-1]
    t = curve.tension(_ramp("level", level), "stress")
    want = np.clip((level + 21.0) / 15.0, 0.0, 1.0)
    inner = slice(1, -1)
    assert t[inner] == pytest.approx(np.convolve(want, np.ones(3) / 3, "same")[inner])
    assert level[50] == pytest.approx(-15.0) and t[50] == pytest.approx(0.4)


def test_transient_tension_runs_from_the_25th_to_the_90th_percentile_of_flux():
    flux = np.linspace(0.0, 1.0, 101)  # percentiles 0.25 and 0.9
    t = curve.tension(_ramp("flux", flux), "transients")
    want = np.clip((flux - 0.25) / 0.65, 0.0, 1.0)
    inner = slice(1, -1)
    assert t[inner] == pytest.approx(np.convolve(want, np.ones(3) / 3, "same")[inner])
    assert t[50] == pytest.approx(0.25 / 0.65)


def test_tension_is_the_mean_of_three_frames_with_the_edges_repeated():
    level = np.array([-40.0] * 5 + [-10.0] * 5)  # tension 0 then 1 (top -10 dB)
    t = curve.tension(_ramp("level", level), "stress")
    assert t.tolist() == pytest.approx([0, 0, 0, 0, 1 / 3, 2 / 3, 1, 1, 1, 1])


# -- pieces ----------------------------------------------------------------------------------


def test_a_window_makes_at_least_one_sample_and_never_more_than_its_input():
    seg = speech(10)
    assert curve.pieces(seg, 100, 101, 2.0, None, 2.0) == [(100, 101, 1)]  # not 0
    assert curve.pieces(seg, 100, 102, 2.0, None, 2.0) == [(100, 102, 1)]
    assert curve.pieces(seg, 1000, 2000, 0.5, None, 2.0) == [(1000, 2000, 1000)]


def test_at_1x_a_window_is_one_piece_whatever_its_tension():
    seg = speech(10)
    tense = np.linspace(0.0, 1.0, 10)
    assert curve.pieces(seg, 0, seg.end, 1.0, tense, 2.0) == [(0, seg.end, seg.end)]


@pytest.mark.parametrize(
    ("a", "b", "cuts"),
    [
        (256, 2816, [256, 512, 1024, 1536, 2048, 2560, 2816]),  # boundaries 256 from the ends
        (312, 2760, [312, 1024, 1536, 2048, 2760]),  # 200 from the ends: no cut there
        (0, 5420, [0, *range(512, 5121, 512), 5420]),  # the last boundary 300 before the end
    ],
)
def test_a_window_is_cut_at_frame_boundaries_half_a_frame_clear_of_its_ends(a, b, cuts):
    seg = speech(12)
    parts = curve.pieces(seg, a, b, 1.4, np.zeros(12), 2.0)
    assert [p[0] for p in parts] + [parts[-1][1]] == cuts
    assert sum(p[2] for p in parts) == round((b - a) / 1.4)


def test_fully_tense_frames_keep_their_speed_and_the_rest_make_up_the_window():
    seg = speech(8)
    tense = np.array([1.0] * 4 + [0.0] * 4)  # 2048 samples kept, 2048 to give
    parts = curve.pieces(seg, 0, seg.end, 4096 / 3072, tense, 3.0)  # 4096 -> 3072 samples
    assert [o for _, _, o in parts] == [512] * 4 + [256] * 4


# -- speeds ----------------------------------------------------------------------------------


def test_smoothing_lowers_each_speed_only_as_far_as_its_neighbours_need():
    assert curve.smooth_speeds(np.array([2.0, 2.0, 1.0]), 0.25).tolist() == [1.5, 1.25, 1.0]
    assert curve.smooth_speeds(np.array([1.0, 2.0, 2.0]), 0.25).tolist() == [1.0, 1.25, 1.5]
    assert curve.smooth_speeds(np.array([1.5, 1.0, 1.5]), 0.25).tolist() == [1.25, 1.0, 1.25]


def test_a_segment_without_frames_or_complexity_is_not_sped_up():
    seg = Segment("speech", 0, 2 * SR, 0.9)
    a = Analysis((seg,), seg.end, np.zeros(0, np.float32), "test")
    p = plan(a, 1.0, PlanOptions(speed_policy="cues"))
    assert [(e.kind, e.out_samples) for e in p.edits] == [("keep", 2 * SR)]
    # its complexity counts as 1 (hardest): 1.0x, not a slow-down
    spans = [(0, SR), (SR, 2 * SR)]
    assert curve.speeds_for(seg, spans, 1.0, PlanOptions(speed_policy="cues")).tolist() == [1, 1]


def _flat_features(monkeypatch):
    """Every window as easy as speech gets (complexity 0: the cues policy's top speed)."""
    from audiosqueeze.context import FEATURES

    def feats(run, spans, window_ms):
        return np.zeros((len(spans), len(FEATURES)), np.float32)

    monkeypatch.setattr(curve, "context_features", feats)


def test_the_step_up_from_the_last_piece_is_at_most_one_step_however_long_the_window(
    monkeypatch,
):
    _flat_features(monkeypatch)
    seg, o = speech(60), PlanOptions(speed_policy="cues")
    # a window 1.4 times window_ms after a piece at 1.0x: one step (0.25), not 1.4 steps
    assert curve.speeds_for(seg, [(0, 16800)], 1.0, o, None, 1.0).tolist() == [1.25]
    # half a window: half a step
    assert curve.speeds_for(seg, [(0, 6000)], 1.0, o, None, 1.0).tolist() == [1.125]


def test_the_guard_is_given_rate_times_max_risk_increase(monkeypatch):
    from audiosqueeze import guard

    _flat_features(monkeypatch)
    asked = []

    class Recorder:
        def speeds(self, x, budget, top):
            asked.append((len(x), budget, top))
            return np.full(len(x), top)

    monkeypatch.setattr(guard, "load_guard", lambda path=None: Recorder())
    o = PlanOptions(speed_policy="guard", max_risk_increase=0.25)
    got = curve.speeds_for(speech(60), [(0, 12000), (12000, 24000)], 0.8, o)
    assert asked == [(2, pytest.approx(0.2), pytest.approx(1.3))]
    assert got.tolist() == pytest.approx([1.3, 1.3])


def test_a_window_made_into_one_sample_has_its_full_speed():
    from audiosqueeze.plan import Edit, Plan

    p = Plan((Edit("stretch", 0, 1600, 1, "speech"),), 1600, 1.0)
    spans, speeds = curve._stretch_windows(p, 100.0)
    assert spans == [(0, 1600)] and speeds.tolist() == [1600.0]


def test_speech_without_frames_is_estimated_to_cost_nothing():
    # no run to read the windows' features from: nothing is counted, however fast
    a = Analysis((Segment("speech", 0, 2 * SR, 0.9, 0.0),), 2 * SR, np.zeros(0), "test")
    o = PlanOptions(max_speed=2.0)
    p = plan(a, 1.0, o)
    assert [e.speed for e in p.edits] == pytest.approx([2.0] * 3, rel=1e-3)
    assert curve.predicted_wer_increase(a, p, o) == 0.0
