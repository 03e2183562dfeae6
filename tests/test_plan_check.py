"""Plans built by hand or read from JSON are checked before rendering: each wrong field is one
OptionsError naming it, and each plan the checks pass renders to exactly its out_samples."""

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.plan import Edit, Plan

X = np.zeros(3000, np.float32)


def keep(start, end, **kw):
    return Edit("keep", start, end, end - start, "speech", **kw)


@pytest.mark.parametrize(
    ("plan", "quote"),
    [
        ("not a plan", "expected a Plan, got 'not a plan'"),
        (Plan((keep(0, 3000),), 3000, 1.5), "plan rate must be a number in \\[0, 1\\], got 1.5"),
        (Plan((keep(0, 3000),), 3000, 1.0, options={}), "options must be PlanOptions, got {}"),
        (Plan(None, 3000, 1.0), "plan edits must be a sequence of Edit, got None"),
        (Plan(({"kind": "keep"},), 3000, 1.0), "edits\\[0\\] must be an Edit, got {'kind'"),
        (
            Plan((keep(0, 1000), keep(2000, 3000)), 3000, 1.0),
            "edits must be contiguous: edits\\[1\\] starts at 2000, not 1000",
        ),
        (
            Plan((keep(0, 3000, head=1),), 3000, 1.0),
            "edits\\[0\\].head must be a whole number >= 0 and <= 0, got 1",
        ),
        (
            Plan((Edit("stretch", 0, 1000, 0, "speech"), keep(1000, 3000)), 3000, 1.0),
            "a stretch edit of 1000 samples makes 1 to 11600 samples, got out_samples=0",
        ),
        (  # no input to stretch: WSOLA cannot follow it, a library TSM would make zeros
            Plan(
                (keep(0, 1000), Edit("stretch", 1000, 1000, 10, "speech"), keep(1000, 3000)),
                3000,
                1.0,
            ),
            "edits\\[1\\]: a stretch edit needs input, got start = end = 1000",
        ),
        (
            Plan((Edit("mute", 0, 1000, 11601, "silence"), keep(1000, 3000)), 3000, 1.0),
            "a mute edit of 1000 samples makes 0 to 11600 samples, got out_samples=11601",
        ),
        (
            Plan((Edit("stretch", 0, 1000, 800, "speech", joined=True), keep(1000, 3000)), 3000, 1),
            "edits\\[0\\] is joined to edits\\[1\\], which is no stretch",
        ),
    ],
)
def test_a_wrong_plan_is_one_option_error_naming_what_is_wrong(plan, quote):
    with pytest.raises(sq.OptionsError, match=quote):
        sq.render(X, plan)


@pytest.mark.parametrize(
    "edits",
    [
        # at most 10x the input plus NO_SPEECH_MS (1600 samples) of growth
        (Edit("mute", 0, 1000, 11600, "silence"), keep(1000, 3000)),
        # a shorten edit of 0 samples cuts its span entirely; a stretch may make one sample
        (Edit("shorten", 0, 1000, 0, "silence"), Edit("stretch", 1000, 3000, 1, "speech")),
    ],
)
def test_plans_at_the_limits_render_to_their_out_samples(edits):
    p = Plan(edits, 3000, 1.0)
    assert len(sq.render(X, p)) == p.out_samples == sum(e.out_samples for e in edits)


def test_a_stretch_of_no_input_is_refused_before_any_input_whatever_the_tsm():
    # the renderer cannot follow it (WSOLA refuses it mid-stream; a library TSM made zeros)
    empty = Edit("stretch", 1000, 1000, 10, "speech")
    plan = Plan((keep(0, 1000), empty, keep(1000, 3000)), 3000, 1.0)
    with pytest.raises(sq.OptionsError, match="a stretch edit needs input"):
        sq.Stream.from_plan(plan)
    pytest.importorskip("audiotsm")
    with pytest.raises(sq.OptionsError, match="a stretch edit needs input"):
        sq.render(X, plan, sq.RenderOptions(tsm="audiotsm"))
