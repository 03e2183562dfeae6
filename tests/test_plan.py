import json
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiosqueeze.analyze import Analysis, Segment
from audiosqueeze.errors import OptionsError, TargetNotReachedWarning
from audiosqueeze.plan import Plan, Planner, PlanOptions, plan
from audiosqueeze.plan_search import plan_for_budget, plan_for_target

SR = 16000


def analysis_of(*parts):
    """parts: (kind, seconds[, complexity]) -> a hand-made Analysis."""
    segs, t = [], 0
    for kind, sec, *c in parts:
        n = int(sec * SR)
        segs.append(
            Segment(
                kind,
                t,
                t + n,
                0.9,
                c[0] if kind == "speech" else None,
                "stationary" if kind == "noise" else None,
            )
        )
        t += n
    return Analysis(tuple(segs), t, np.zeros(0), "test")


A = analysis_of(
    ("silence", 2.0), ("speech", 3.0, 0.1), ("noise", 1.0), ("speech", 2.0, 0.9), ("silence", 0.05)
)


def test_rate_zero_is_identity():
    p = plan(A, 0.0)
    assert p.is_identity and p.out_samples == p.num_samples


def test_planted_edits_at_rate_one():
    o = PlanOptions()
    p = plan(A, 1.0, o)
    kinds = [(e.kind, e.segment, e.joined) for e in p.edits]
    run = [("stretch", "speech", True)] * 3 + [("stretch", "speech", False)]
    assert kinds == [
        ("shorten", "silence", False),
        *run,  # 3 s of speech: four 750 ms windows, one variable-rate run
        ("shorten", "noise", False),
        ("stretch", "speech", True),
        ("stretch", "speech", True),
        ("stretch", "speech", False),
        ("keep", "silence", False),
    ]
    assert p.edits[0].out_samples == int(o.min_keep_pause_ms * SR / 1000)  # 60 ms kept
    assert p.edits[5].out_samples == int(o.min_keep_noise_ms * SR / 1000)  # 100 ms kept
    # the uniform policy: every speech window at max_speed at rate 1
    u = plan(A, 1.0, PlanOptions(speed_policy="uniform", max_speed=1.5))
    for e in u.edits[1:5] + u.edits[6:9]:
        assert e.speed == pytest.approx(1.5, rel=1e-3)
    assert sum(e.in_samples for e in p.edits[1:5]) == 3 * SR
    # the cues policy on hand-made segments (no frames): each window takes its segment's
    # complexity, speed 1 + (max_speed - 1) * (1 - complexity)
    c = plan(A, 1.0, PlanOptions(speed_policy="cues", max_speed=1.8))
    assert [e.speed for e in c.edits[1:5]] == pytest.approx([1 + 0.8 * 0.9] * 4, rel=1e-3)
    assert [e.speed for e in c.edits[6:9]] == pytest.approx([1 + 0.8 * 0.1] * 3, rel=1e-3)


def test_short_pause_is_left_alone():
    a = analysis_of(("speech", 1.0, 1.0), ("silence", 0.05), ("speech", 1.0, 1.0))
    p = plan(a, 1.0, PlanOptions(max_speed=1.0))
    assert p.is_identity  # speech kept (max_speed 1); 50 ms < the 60 ms kept pause


def test_edits_are_contiguous_and_json_round_trips():
    p = plan(A, 0.6)
    assert p.edits[0].start == 0 and p.edits[-1].end == p.num_samples
    assert all(a.end == b.start for a, b in zip(p.edits, p.edits[1:], strict=False))
    back = Plan.from_dict(json.loads(p.to_json()))
    assert back == p


@given(st.floats(0, 1), st.floats(0, 1))
def test_reduction_monotone_in_rate(r1, r2):
    lo, hi = sorted((r1, r2))
    assert plan(A, lo).out_samples >= plan(A, hi).out_samples


def test_target_reduction_found_and_minimal():
    p = plan_for_target(A, 0.3)  # rate 1 gives 0.63 on this analysis
    assert p.reduction >= 0.3
    assert plan(A, max(0.0, p.rate - 0.01)).reduction < 0.3


def test_target_not_reachable_warns():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        p = plan_for_target(A, 0.95)
    assert p.rate == 1.0 and any(issubclass(x.category, TargetNotReachedWarning) for x in w)


@pytest.mark.parametrize(
    ("make", "quote"),
    [
        (lambda: plan(A, 1.5), "1.5"),
        (lambda: plan(A, -0.1), "-0.1"),
        (lambda: plan_for_target(A, 1.0), "target_reduction"),
        (lambda: PlanOptions(min_keep_pause_ms=0), "min_keep_pause_ms"),
        (lambda: PlanOptions(max_speed=3.0), "3.0"),
        (lambda: PlanOptions(min_cut_ms=5000), "min_cut_ms"),
        (lambda: PlanOptions(max_speed="1.2"), "'1.2'"),
        (lambda: PlanOptions(min_keep_noise_ms=float("nan")), "nan"),
        (lambda: plan(A, "0.5"), "'0.5'"),
        (lambda: plan(A, True), "True"),
        (lambda: plan_for_target(A, "0.5"), "'0.5'"),
        (lambda: PlanOptions(speed_policy="fast"), "fast"),
        (lambda: PlanOptions(window_ms=10), "window_ms"),
        (lambda: PlanOptions(max_speed_step=0), "max_speed_step"),
        (lambda: PlanOptions(guard_path=3), "3"),
    ],
)
def test_invalid_options(make, quote):
    with pytest.raises(OptionsError, match=quote):
        make()


@pytest.mark.parametrize("bad", ["guard", 5, {"speed_policy": "cues"}])
@pytest.mark.parametrize(
    "make",
    [
        lambda o: plan(A, 1.0, o),
        lambda o: plan_for_target(A, 0.2, o),
        lambda o: plan_for_budget(A, 1.0, o),
        lambda o: Planner(1.0, o),
    ],
)
def test_options_that_are_not_plan_options_are_named(make, bad):
    """A dict or a policy name where PlanOptions belong is an OptionsError quoting it (it
    was an AttributeError from deep in the planner)."""
    with pytest.raises(OptionsError, match="PlanOptions") as e:
        make(bad)
    assert repr(bad) in str(e.value)


@pytest.mark.parametrize("bad", ["x", None, 5, A.segments])
@pytest.mark.parametrize(
    "make",
    [lambda a: plan(a, 1.0), lambda a: plan_for_target(a, 0.2), lambda a: plan_for_budget(a, 1.0)],
)
def test_an_analysis_that_is_not_one_is_named(make, bad):
    with pytest.raises(OptionsError, match="Analysis"):
        make(bad)


def test_kept_pause_sits_next_to_speech():
    a = analysis_of(
        ("silence", 3.0),
        ("speech", 2.0, 1.0),
        ("silence", 2.0),
        ("speech", 1.0, 1.0),
        ("noise", 4.0),
    )
    p = plan(a, 1.0, PlanOptions(max_speed=1.0))
    lead, mid, trail = p.edits[0], p.edits[2], p.edits[4]
    keep = int(PlanOptions().min_keep_pause_ms * SR / 1000)
    assert (lead.kind, lead.out_samples, lead.head, lead.tail) == ("shorten", keep, 0, keep)
    assert (mid.kind, mid.head, mid.tail) == ("shorten", keep // 2, keep - keep // 2)
    noise = int(PlanOptions().min_keep_noise_ms * SR / 1000)
    assert (trail.kind, trail.out_samples, trail.head, trail.tail) == ("shorten", noise, noise, 0)


def test_no_speech_becomes_a_short_silence_and_rate_zero_keeps_it():
    from audiosqueeze.plan import NO_SPEECH_MS

    a = analysis_of(("noise", 10.0), ("noise", 10.0), ("silence", 3.0))
    p = plan(a, 0.5)
    assert [(e.kind, e.start, e.end) for e in p.edits] == [("mute", 0, 23 * SR)]
    assert p.out_samples == int(NO_SPEECH_MS * SR / 1000)
    assert plan(a, 0.0).is_identity
    # beyond MAX_HELD_MS the held part is let go (cut entirely: no speech came before it)
    long = analysis_of(*[("noise", 10.0)] * 8)
    p = plan(long, 0.5)
    assert [(e.kind, e.out_samples) for e in p.edits] == [
        ("shorten", 0),
        ("mute", int(NO_SPEECH_MS * SR / 1000)),
    ]
    assert p.edits[0].end == 60 * SR


def test_nonspeech_split_in_pieces_is_planned_as_one_stretch():
    # the analysis splits long runs at 10 s; the planner merges them back: one kept pause
    a = analysis_of(
        ("noise", 10.0),
        ("noise", 4.0),
        ("speech", 2.0, 0.9),
        ("silence", 10.0),
        ("noise", 10.0),
        ("silence", 3.0),
        ("speech", 1.0, 0.9),
        ("silence", 10.0),
        ("silence", 5.0),
    )
    p = plan(a, 1.0, PlanOptions(max_speed=1.0))
    shortened = [(e.start // SR, e.end // SR, e.out_samples, e.head, e.segment) for e in p.edits]
    shortened = [x for x in shortened if x[2] < (x[1] - x[0]) * SR]
    assert shortened == [
        (0, 14, 1600, 0, "noise"),  # lead: its end, next to the speech, stays
        (16, 39, 1600, 800, "noise"),  # middle: 23 s of silence and noise, one 100 ms pause
        (40, 55, 960, 960, "silence"),  # trail: its start stays (60 ms)
    ]


@given(
    st.lists(
        st.tuples(st.sampled_from(["silence", "noise", "speech"]), st.floats(0.01, 12)),
        min_size=1,
        max_size=8,
    ),
    st.floats(0, 1),
)
def test_streaming_planner_equals_offline_plan(parts, rate):
    from audiosqueeze.plan import Planner

    a = analysis_of(*[(k, s, 0.1) if k == "speech" else (k, s) for k, s in parts])
    planner = Planner(rate)
    edits = []
    for seg in a.segments[:-1]:
        edits += planner.push([seg])  # one segment at a time, as the analyzer closes them
    edits += planner.flush(a.segments[-1:])
    assert tuple(edits) == plan(a, rate).edits
    assert all(x.end == y.start for x, y in zip(edits, edits[1:], strict=False))
    assert edits[0].start == 0 and edits[-1].end == a.num_samples


def test_rate_cuts_pauses_first_then_speeds_up_speech():
    o = PlanOptions(max_keep_pause_ms=1000, min_keep_pause_ms=150, max_speed=1.6)
    # kept pause: (1 - rate / 0.5)^2 of the way from the shortest to the longest, then shortest
    assert [o.keep_ms("silence", r) for r in (0.0, 0.25, 0.5, 0.75, 1.0)] == pytest.approx(
        [1000.0, 150 + 850 / 4, 150.0, 150.0, 150.0]
    )
    assert o.keep_ms("noise", 0.5) == pytest.approx(o.min_keep_noise_ms)
    # speech: untouched until rate 0.5, then linearly up to max_speed at rate 1
    assert [o.top_speed(r) for r in (0.0, 0.25, 0.5, 0.75, 1.0)] == pytest.approx(
        [1.0, 1.0, 1.0, 1.3, 1.6]
    )


@given(st.floats(0, 1), st.floats(0, 1))
def test_rate_mapping_is_monotone(r1, r2):
    lo, hi = sorted((r1, r2))
    o = PlanOptions()
    assert o.keep_ms("silence", lo) >= o.keep_ms("silence", hi)
    assert o.top_speed(lo) <= o.top_speed(hi) <= o.max_speed


def _split_speech(seconds, piece_s, complexity=0.0):
    """One speech run cut into ``piece_s`` segments, each but the last ``continues``."""
    n, step = int(seconds * SR), int(piece_s * SR)
    starts = list(range(0, n, step))
    return Analysis(
        tuple(
            Segment("speech", a, min(n, a + step), 0.9, complexity, continues=a + step < n)
            for a in starts
        ),
        n,
        np.zeros(0, np.float32),
        "energy",
    )


@pytest.mark.parametrize("piece_s", [0.3, 1.0, 2.5])
def test_speech_split_by_length_is_one_joined_run(piece_s):
    a = _split_speech(6.0, piece_s)
    p = plan(a, 1.0)
    # pieces shorter than min_stretch_ms (400) are sped up too: they belong to a 6-s run
    assert all(e.kind == "stretch" for e in p.edits)
    assert [e.joined for e in p.edits] == [True] * (len(p.edits) - 1) + [False]
    top = PlanOptions().max_speed
    assert p.out_samples == pytest.approx(6 * SR / top, rel=0.01)
    # the same run unsplit: the same speed everywhere, so the same length to a few samples
    whole = plan(_split_speech(6.0, 6.0), 1.0)
    assert abs(p.out_samples - whole.out_samples) <= len(p.edits)
    # without speed-up nothing is joined
    assert not any(e.joined for e in plan(a, 0.5).edits)


def test_a_split_after_a_short_span_still_joins():
    # 0.3-s pieces: shorter than min_stretch_ms on their own, so without the join they would
    # all be kept at 1x; the streaming planner gives the same edits as the offline one
    from audiosqueeze.plan import Planner

    a = _split_speech(3.0, 0.3)
    pl = Planner(1.0)
    edits = []
    for seg in a.segments[:-1]:
        edits += pl.push([seg])
    edits += pl.flush([a.segments[-1]])
    assert tuple(edits) == plan(a, 1.0).edits
    assert sum(e.out_samples for e in edits) < 0.75 * a.num_samples
