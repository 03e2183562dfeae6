"""The search-based planners: the plan at the rate a goal asks for, found by bisection on
``rate`` over :func:`~audiosqueeze.plan.plan`.

- :func:`plan_for_target`: the lowest rate whose reduction reaches ``target_reduction``;
- :func:`plan_for_budget`: the highest rate whose guard-predicted WER increase stays within
  ``max_wer_increase``.

Data flows one way: this module uses :mod:`audiosqueeze.plan`, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable

from . import curve, validate
from .analyze import Analysis
from .context import speech_runs
from .errors import TargetNotReachedWarning, warn
from .plan import Plan, PlanOptions, check_analysis, check_options, plan
from .units import to_seconds

__all__ = ["plan_for_budget", "plan_for_target"]


def plan_for_target(
    analysis: Analysis, target_reduction: float, options: PlanOptions | None = None
) -> Plan:
    """The lowest-rate plan whose reduction reaches ``target_reduction`` (bisection on rate).

    Where rate 1 does not reach it, a :class:`TargetNotReachedWarning` is issued and the rate-1
    plan is returned.
    """
    target_reduction = validate.number("target_reduction", target_reduction, 0.0, 1.0, hi_open=True)
    options = check_options(options)
    # planned up to 32 times: make the segments once
    analysis = check_analysis(analysis).with_objects()
    if target_reduction == 0.0:  # rate 0 (the identity) reaches it; bisection never tries 0
        return plan(analysis, 0.0, options)
    hi = plan(analysis, 1.0, options)
    if hi.reduction < target_reduction:
        warn(
            TargetNotReachedWarning(
                f"target_reduction={target_reduction:.3f} is not reachable: rate 1 gives "
                f"{hi.reduction:.3f} on {to_seconds(analysis.num_samples):.1f} s of audio"
            )
        )
        return hi
    _, hi_rate = _bisect(lambda r: plan(analysis, r, options).reduction < target_reduction, 30)
    return plan(analysis, hi_rate, options)


def plan_for_budget(
    analysis: Analysis, max_wer_increase: float, options: PlanOptions | None = None
) -> Plan:
    """The highest-rate plan whose guard-predicted WER increase (points, see
    :func:`audiosqueeze.curve.predicted_wer_increase`) stays within ``max_wer_increase``
    (bisection on rate; rate 0 when even a little speed-up is predicted to cost more)."""
    budget = validate.number("max_wer_increase", max_wer_increase, 0.0, 100.0)
    options = check_options(options)
    analysis = check_analysis(analysis).with_objects()
    runs = speech_runs(analysis.segments)  # what every estimate reads, joined once

    def cost(p: Plan) -> float:
        return curve.predicted_wer_increase(analysis, p, options, runs)

    hi = plan(analysis, 1.0, options)
    if cost(hi) <= budget:
        return hi
    lo_rate, _ = _bisect(lambda r: cost(plan(analysis, r, options)) <= budget, 12)
    return plan(analysis, lo_rate, options)


def _bisect(below: Callable[[float], bool], steps: int) -> tuple[float, float]:
    """``(lo, hi)`` rates around where ``below(rate)`` turns from true to false (bisection
    on [0, 1] in ``steps`` halvings)."""
    lo, hi = 0.0, 1.0
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if below(mid) else (lo, mid)
    return lo, hi
