"""Known answers for the planner (plan.py) and the rate searches (plan_search.py): the default
thresholds, the option ranges, the boundaries of each rule, planted where the answer is known.

Each test here was written against a mutant of the planner that the other tests let pass."""

import dataclasses
import json
import warnings

import numpy as np
import pytest

from audiosqueeze import curve
from audiosqueeze.analyze import Analysis, Segment
from audiosqueeze.errors import OptionsError, TargetNotReachedWarning
from audiosqueeze.plan import Edit, Plan, PlanOptions, plan
from audiosqueeze.plan_search import plan_for_budget, plan_for_target
from audiosqueeze.units import FRAME_SAMPLES
from conftest import planted_speech

SR = 16000


def analysis_of(*parts):
    """``(kind, samples)`` parts, one after another -> a hand-made Analysis (speech of
    complexity 0: no frames, so every policy gives it the top speed)."""
    segs, t = [], 0
    for kind, n in parts:
        c = 0.0 if kind == "speech" else None
        segs.append(Segment(kind, t, t + n, 0.9, c, "stationary" if kind == "noise" else None))
        t += n
    return Analysis(tuple(segs), t, np.zeros(0, np.float32), "test")


def _unchanged(p):
    """Every edit a keep of its own length."""
    return all(e.kind == "keep" and e.out_samples == e.in_samples for e in p.edits)


A = analysis_of(
    ("silence", 2 * SR), ("speech", 3 * SR), ("noise", SR), ("speech", 2 * SR), ("silence", 800)
)


# -- plan_search ---------------------------------------------------------------------------


def test_a_target_met_exactly_at_rate_one_is_reached_without_a_warning():
    o = PlanOptions(max_speed=1.0)  # from rate 0.5 on nothing more goes: a plateau
    top = plan(A, 1.0, o).reduction
    assert top == plan(A, 0.5, o).reduction > 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reachable: no TargetNotReachedWarning
        p = plan_for_target(A, top, o)
    # the lowest rate that reaches it: where the kept pause reaches 60 ms, not rate 1
    assert p.reduction == top
    assert 0.45 < p.rate <= 0.5
    assert plan(A, p.rate - 1e-6, o).reduction < top


def test_a_target_of_no_reduction_is_the_identity_plan():
    # rate 0 reaches a target of 0, so it is the lowest rate that does (bisection alone
    # stopped at rate 2**-30, which already shortens every pause over 1 s to 1 s)
    p = plan_for_target(A, 0.0)
    assert p.rate == 0.0 and p.reduction == 0.0 and p.edits == plan(A, 0.0).edits
    assert plan_for_target(A, 1e-9).reduction > 0.1  # a target over 0: some pause must go


def test_the_unreachable_target_warning_points_at_the_caller():
    with pytest.warns(TargetNotReachedWarning, match="target_reduction=0.950") as w:
        p = plan_for_target(A, 0.95)
    assert p.rate == 1.0
    assert w[0].filename == __file__  # stacklevel 2: the line that asked, not the library


def test_a_budget_that_rate_one_meets_exactly_gives_rate_one():
    # nothing speeds up at max_speed 1.0, so nothing is predicted to cost: the whole range
    # is within a budget of 0, and the highest rate is 1 itself (not 1 - 2**-12)
    p = plan_for_budget(A, 0.0, PlanOptions(max_speed=1.0))
    assert p.rate == 1.0


@pytest.mark.parametrize(
    ("bad", "span"), [(100.5, "[0, 100]"), (-0.5, "[0, 100]"), (float("inf"), "[0, 100]")]
)
def test_the_wer_budget_range_is_0_to_100_points(bad, span):
    with pytest.raises(OptionsError, match=f"max_wer_increase must be a number in \\{span}"):
        plan_for_budget(A, bad)
    assert plan_for_budget(A, 100.0).rate == 1.0


# -- PlanOptions -------------------------------------------------------------------------------

# field, the range its errors state, values just outside it, the ends it accepts
RANGES = [
    ("min_keep_noise_ms", "(0, 1000]", [0.0, 1000.5], [0.5, 1000.0]),
    ("min_cut_ms", "[0, 1000]", [-0.5, 1000.5], [0.0, 1000.0]),
    ("max_speed", "[1, 2]", [0.5, 2.5], [1.0, 2.0]),
    ("max_speed_step", "(0, 1]", [0.0, 1.5], [0.01, 1.0]),
    ("window_ms", "[100, 10000]", [99.5, 10000.5], [100.0, 10000.0]),
    ("min_stretch_ms", "[0, inf]", [-0.5], [0.0]),
    ("max_risk_increase", "[0, 1]", [-0.5, 1.5], [0.0, 1.0]),
    ("min_inner_pause_ms", "[32, 10000]", [31.5, 10000.5], [32.0, 10000.0]),
    ("inner_pause_prob", "[0, 1]", [-0.5, 1.5], [0.0, 1.0]),
    ("inner_pause_drop_db", "[0, 100]", [-0.5, 100.5], [0.0, 100.0]),
]


@pytest.mark.parametrize(("name", "span", "outside", "ends"), RANGES)
def test_each_option_takes_its_range_ends_and_names_the_range_past_them(name, span, outside, ends):
    for v in ends:
        assert getattr(PlanOptions(**{name: v}), name) == v
    for v in outside:
        want = f"{name} must be a number in {span}, got {v!r}"
        with pytest.raises(OptionsError) as e:
            PlanOptions(**{name: v})
        assert str(e.value).startswith(want), str(e.value)


def test_the_kept_pause_may_be_any_positive_length_up_to_the_longest():
    o = PlanOptions(min_keep_pause_ms=0.5)
    assert o.keep_ms("silence", 1.0) == 0.5
    same = PlanOptions(min_keep_pause_ms=200.0, max_keep_pause_ms=200.0)
    assert [same.keep_ms("silence", r) for r in (0.0, 0.3, 1.0)] == [200.0] * 3
    for lo, hi in ((0.0, 1000.0), (300.0, 200.0)):
        with pytest.raises(OptionsError, match=f"got {lo!r} and {hi!r}"):
            PlanOptions(min_keep_pause_ms=lo, max_keep_pause_ms=hi)


def test_options_edits_and_plans_are_frozen():
    o = PlanOptions()
    e = Edit("keep", 0, 10, 10, "speech")
    p = Plan((e,), 10, 0.5)
    for obj, name in ((o, "max_speed"), (e, "out_samples"), (p, "rate")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, 1)
    assert hash(o) == hash(PlanOptions()) and hash(e) == hash(Edit("keep", 0, 10, 10, "speech"))


# -- the defaults, each where it decides ---------------------------------------------------


def _between_speech(n):
    """``n`` samples of silence between two 1-s stretches of speech."""
    return analysis_of(("speech", SR), ("silence", n), ("speech", SR))


def test_the_kept_pause_is_295_ms_at_rate_a_quarter():
    # 60 + (1000 - 60) * (1 - 0.25 / 0.5) ** 2 = 295 ms, split around the middle
    (e,) = [e for e in plan(_between_speech(2 * SR), 0.25).edits if e.kind == "shorten"]
    assert (e.start, e.end, e.out_samples, e.head) == (SR, 3 * SR, 4720, 2360)


def test_a_pause_is_shortened_from_10_ms_too_long_on():
    # rate 1 keeps 60 ms (960 samples); a cut of min_cut_ms (10 ms, 160 samples) is made,
    # one sample less is not
    cut = plan(_between_speech(960 + 160), 1.0, PlanOptions(max_speed=1.0)).edits
    assert [(e.kind, e.out_samples) for e in cut] == [
        ("keep", SR),
        ("shorten", 960),
        ("keep", SR),
    ]
    kept = plan(_between_speech(960 + 159), 1.0, PlanOptions(max_speed=1.0))
    assert _unchanged(kept)


def test_speech_of_a_window_and_a_half_gets_two_windows():
    # 750-ms windows (12000 samples): 18001 samples are just over 1.5 windows, so two
    p = plan(analysis_of(("speech", 18001)), 1.0)
    assert [(e.kind, e.start, e.end) for e in p.edits] == [
        ("stretch", 0, 9000),
        ("stretch", 9000, 18001),
    ]
    assert [e.out_samples for e in p.edits] == [6000, 6001]  # 1.5x, max_speed at rate 1
    assert len(plan(analysis_of(("speech", 17999)), 1.0).edits) == 1


def test_speech_is_sped_up_from_400_ms_on():
    assert [e.kind for e in plan(analysis_of(("speech", 6400)), 1.0).edits] == ["stretch"]
    assert _unchanged(plan(analysis_of(("speech", 6399)), 1.0))


def _speech_frames(n_frames, dip, dip_level):
    """A speech segment of planted frames at -20 dB, frames ``dip`` quiet (VAD 0.05) at
    ``dip_level`` dB."""
    prob, level = np.full(n_frames, 0.95), np.full(n_frames, -20.0)
    prob[dip], level[dip] = 0.05, dip_level
    return planted_speech(prob, level)


def test_an_inner_pause_is_12_db_under_the_speech():
    dip = slice(20, 26)  # 192 ms, longer than min_inner_pause_ms
    want = [[20 * FRAME_SAMPLES, 26 * FRAME_SAMPLES]]
    assert curve.inner_pauses(_speech_frames(60, dip, -32.5), PlanOptions()).tolist() == want
    assert curve.inner_pauses(_speech_frames(60, dip, -31.5), PlanOptions()).shape == (0, 2)


# -- Plan ------------------------------------------------------------------------------------


def test_an_empty_recording_plans_to_nothing_and_removes_nothing():
    p = plan(Analysis((), 0, np.zeros(0, np.float32), "test"), 1.0)
    assert p.edits == () and p.out_samples == 0
    assert p.reduction == 0.0 and p.to_dict()["reduction"] == 0.0


def test_the_json_reduction_has_six_decimals():
    p = Plan((Edit("keep", 0, 1, 1, "speech"), Edit("shorten", 1, 3, 0, "silence")), 3, 1.0)
    assert p.reduction == pytest.approx(2 / 3)
    assert json.loads(p.to_json())["reduction"] == 0.666667


@pytest.mark.parametrize(
    "d",
    [
        {"edits": [{"kind": "keep"}], "num_samples": 3, "rate": 1.0},
        {"num_samples": 3, "rate": 1.0},
        {"edits": [], "num_samples": 3, "rate": 1.0, "options": {"speed": 2}},
    ],
)
def test_a_dict_that_is_not_a_plan_is_an_options_error(d):
    with pytest.raises(OptionsError, match="not a plan: "):
        Plan.from_dict(d)


def test_the_default_rate_is_a_half_for_the_planner_and_plan():
    from audiosqueeze.plan import Planner

    pl = Planner()
    assert pl.rate == 0.5
    assert tuple(pl.flush(A.segments)) == plan(A).edits == plan(A, 0.5).edits
    assert plan(A).rate == 0.5 and plan(A).edits != plan(A, 1.0).edits


@pytest.mark.parametrize(
    ("policy", "rule", "rate"), [("cues", "flat", 0.5), ("uniform", "flat", 1.0)]
)
def test_no_run_is_read_where_nothing_reads_it(monkeypatch, policy, rule, rate):
    """The speech run (features for the speed policies and within-window rules) is only
    gathered where a policy reads it and speech speeds up."""
    from audiosqueeze import context

    def boom(*a, **k):
        raise AssertionError("the run was read")

    monkeypatch.setattr(context.RunContext, "add", boom)
    seg = _speech_frames(60, slice(20, 26), -40.0)
    a = Analysis((seg,), seg.end, np.zeros(0, np.float32), "test")
    p = plan(a, rate, PlanOptions(speed_policy=policy, within_window=rule))
    assert [e.kind for e in p.edits][1] == "shorten"  # the inner pause still cut


def test_at_the_default_rate_no_speech_is_touched():
    # a short first speech (under min_stretch_ms) and a long one after a pause: all kept as
    # they are at rate 0.5 (1.0x), none a stretch edit, streamed or not
    from audiosqueeze.plan import Planner

    a = analysis_of(
        ("silence", SR), ("speech", 4800), ("silence", SR), ("speech", 2 * SR), ("noise", SR)
    )
    p = plan(a, 0.5)
    assert [(e.kind, e.segment) for e in p.edits] == [
        ("shorten", "silence"),
        ("keep", "speech"),
        ("shorten", "silence"),
        ("keep", "speech"),
        ("shorten", "noise"),
    ]
    pl = Planner(0.5)
    pl.push(A.segments)  # a planner reused after reset starts afresh
    pl.reset()
    assert tuple(pl.flush(a.segments)) == p.edits


def test_short_speech_is_kept_wherever_it_starts():
    p = plan(analysis_of(("silence", SR), ("speech", 6399), ("silence", SR)), 1.0)
    assert [(e.kind, e.segment) for e in p.edits][1] == ("keep", "speech")


def _inner_pause_plan(rate, dip, **opts):
    seg = _speech_frames(60, dip, -40.0)
    a = Analysis((seg,), seg.end, np.zeros(0, np.float32), "test")
    return plan(a, rate, PlanOptions(max_speed=1.0, **opts))


def test_an_inner_pause_shorter_than_the_kept_pause_is_left_alone():
    # 6 frames (192 ms): under the 295 ms kept at rate 0.25, over the 60 ms kept at rate 1
    assert _unchanged(_inner_pause_plan(0.25, slice(20, 26)))
    cut = _inner_pause_plan(1.0, slice(20, 26)).edits
    assert [(e.kind, e.start, e.end, e.out_samples, e.head) for e in cut][1] == (
        "shorten",
        20 * FRAME_SAMPLES,
        26 * FRAME_SAMPLES,
        960,
        480,
    )


def test_an_inner_pause_is_cut_when_exactly_min_cut_ms_would_go():
    # 4 frames (2048 samples) less the 960 kept: 1088 samples, 68 ms
    dip = slice(20, 24)
    assert [e.kind for e in _inner_pause_plan(1.0, dip, min_cut_ms=68.0).edits][1] == "shorten"
    assert _unchanged(_inner_pause_plan(1.0, dip, min_cut_ms=68.0625))


def test_with_min_cut_ms_0_a_pause_one_sample_too_long_is_cut():
    # 4 frames (2048 samples), 2047 kept at rate 1: one sample goes
    p = _inner_pause_plan(1.0, slice(20, 24), min_cut_ms=0.0, min_keep_pause_ms=127.9375)
    assert [(e.kind, e.out_samples) for e in p.edits][1] == ("shorten", 2047)


def test_a_split_run_steps_up_from_the_speed_its_last_window_ended_at(monkeypatch):
    """A 1.5-s segment split off a longer run (two 750-ms windows: hard, then easy) and a
    64-ms piece after it: the piece speeds up from the first segment's last window (1.25x,
    one step above the hard window's 1.0x) by at most a step per window_ms."""
    from audiosqueeze.context import FEATURES
    from audiosqueeze.segments import FRAME_FIELDS

    def seg(a_frame, n_frames, continues):
        f = {k: np.zeros(n_frames) for k in FRAME_FIELDS}
        a, b = a_frame * FRAME_SAMPLES, (a_frame + n_frames) * FRAME_SAMPLES
        return Segment("speech", a, b, 1.0, None, None, {}, f, continues)

    hard_end = 12000  # the first window: complexity 1, the rest 0

    def feats(run, spans, window_ms):
        x = np.zeros((len(spans), len(FEATURES)), np.float32)
        x[:, FEATURES.index("complexity")] = [b <= hard_end for _, b in spans]
        return x

    monkeypatch.setattr(curve, "context_features", feats)
    first, piece = seg(0, 46, True), seg(46, 2, False)  # 1472 ms then 64 ms
    o = PlanOptions(speed_policy="cues")
    edits = plan(Analysis((first, piece), piece.end, np.zeros(0, np.float32), "test"), 1.0, o)
    speeds = [e.speed for e in edits.edits]
    assert len(speeds) == 3 and all(e.kind == "stretch" for e in edits.edits)
    assert speeds[:2] == pytest.approx([1.0, 1.25], abs=2e-4)
    assert speeds[2] == pytest.approx(1.25 + 0.25 * 1024 / 12000, abs=2e-3)


def test_with_min_cut_ms_0_a_pause_exactly_as_long_as_the_kept_one_is_kept():
    # 60 ms (960 samples) kept at rate 1: a pause of 960 is left alone, one of 961 loses 1
    o = PlanOptions(max_speed=1.0, min_cut_ms=0.0)
    assert _unchanged(plan(_between_speech(960), 1.0, o))
    assert plan(_between_speech(961), 1.0, o).edits[1].out_samples == 960
    # inside speech too: 4 frames (2048 samples) kept whole at 128 ms
    whole = _inner_pause_plan(1.0, slice(20, 24), min_cut_ms=0.0, min_keep_pause_ms=128.0)
    assert _unchanged(whole)


def test_no_frame_runs_faster_than_2x_under_a_within_window_rule():
    # a loud frame in every four (stressed), the rest quiet: at max_speed 1.9 the quiet
    # frames would need more than 2x for the loud ones to keep theirs; they stop at 2x and
    # each window still comes out at its mean speed
    n = 48
    level = np.where(np.arange(n) % 4 == 0, -20.0, -45.0)
    frames = {
        "prob": np.full(n, 0.95),
        "level": level,
        "band": level + 1.0,
        "flux": np.full(n, 0.3),
        "floor": np.full(n, -70.0),
    }
    seg = Segment("speech", 0, n * FRAME_SAMPLES, 0.9, 0.2, None, {}, frames)
    a = Analysis((seg,), seg.end, np.zeros(0, np.float32), "test")
    p = plan(a, 1.0, PlanOptions(within_window="stress", max_speed=1.9))
    assert len(p.edits) == n  # one per frame
    assert max(e.speed for e in p.edits) == pytest.approx(2.0, abs=0.005)
    assert p.out_samples == 2 * round(seg.end / 2 / 1.9)  # two 768-ms windows
