"""Checks for a :class:`~audiosqueeze.plan.Plan` that did not come from the planner (read
from JSON with :meth:`Plan.from_dict`, or built by hand and handed to
:func:`~audiosqueeze.render.render` or :meth:`Stream.from_plan`): every field of the right
type, the edits contiguous over ``[0, num_samples)``, and each edit's output what its kind can
make. A plan that passes renders to exactly ``plan.out_samples`` samples; one that does not is
an :class:`~audiosqueeze.errors.OptionsError` naming the edit, before any work (it was a
ValueError, TypeError, AssertionError or a terabyte allocation).
"""

from __future__ import annotations

from . import validate
from .errors import OptionsError
from .plan import EDIT_KINDS, NO_SPEECH_MS, Edit, Plan, PlanOptions
from .units import ms_to_samples

SEGMENT_KINDS = ("silence", "noise", "speech")
#: A stretched or muted edit may make at most this many times its input (plus
#: :data:`~audiosqueeze.plan.NO_SPEECH_MS`): bounds the memory a plan can ask for.
MAX_GROWTH = 10


def check_plan(p: Plan) -> Plan:
    """``p`` if it is a plan the renderer can follow exactly, else an :class:`OptionsError`."""
    if not isinstance(p, Plan):
        raise OptionsError(f"expected a Plan, got {validate.shown(p)}")
    n = validate.count("plan num_samples", p.num_samples)
    validate.number("plan rate", p.rate, 0.0, 1.0)
    validate.sample_rate(p.sample_rate, "plan sample_rate", OptionsError)
    if not isinstance(p.options, PlanOptions):
        raise OptionsError(f"plan options must be PlanOptions, got {validate.shown(p.options)}")
    if not isinstance(p.edits, (tuple, list)):
        raise OptionsError(f"plan edits must be a sequence of Edit, got {validate.shown(p.edits)}")
    at, extra = 0, ms_to_samples(NO_SPEECH_MS)
    for i, e in enumerate(p.edits):
        name = f"edits[{i}]"
        if not isinstance(e, Edit):
            raise OptionsError(f"{name} must be an Edit, got {validate.shown(e)}")
        validate.choice(f"{name}.kind", e.kind, EDIT_KINDS)
        validate.choice(f"{name}.segment", e.segment, SEGMENT_KINDS)
        if validate.count(f"{name}.start", e.start) != at:
            raise OptionsError(f"edits must be contiguous: {name} starts at {e.start}, not {at}")
        size = validate.count(f"{name}.end", e.end, at) - at
        if e.kind == "stretch" and not size:  # no input to time-scale
            raise OptionsError(f"{name}: a stretch edit needs input, got start = end = {at}")
        out = validate.count(f"{name}.out_samples", e.out_samples)
        top = {"keep": size, "shorten": size}.get(e.kind, MAX_GROWTH * size + extra)
        low = {"keep": size, "stretch": 1}.get(e.kind, 0)
        if not low <= out <= top:
            raise OptionsError(
                f"{name}: a {e.kind} edit of {size} samples makes {low} to {top} samples, "
                f"got out_samples={out}"
            )
        validate.count(f"{name}.head", e.head, 0, out if e.kind == "shorten" else 0)
        if not isinstance(e.joined, bool) or (e.joined and e.kind != "stretch"):
            raise OptionsError(f"{name}.joined must be a bool, True only on stretch edits")
        nxt = p.edits[i + 1] if i + 1 < len(p.edits) else None
        if e.joined and nxt is not None and getattr(nxt, "kind", None) != "stretch":
            raise OptionsError(f"{name} is joined to edits[{i + 1}], which is no stretch")
        at += size
    if at != n:
        raise OptionsError(f"the edits cover {at} samples but num_samples is {n}")
    return p
