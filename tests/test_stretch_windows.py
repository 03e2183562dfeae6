""":func:`audiosqueeze.curve._stretch_windows`: the plan's sped-up speech as windows and
their mean speeds, which the guard's WER estimate (``max_wer_increase``) reads."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiosqueeze import curve
from audiosqueeze.plan import Edit, Plan


def plan_of(rows) -> Plan:
    """``(kind, in_samples, out_samples)`` rows as a contiguous plan."""
    edits, at = [], 0
    for kind, n, out in rows:
        edits.append(Edit(kind, at, at + n, out, "speech", 0, False))
        at += n
    return Plan(tuple(edits), at, 1.0)


def reference(plan, window_ms):
    """Each window's input over the output its input makes, edit by edit."""
    spans, speeds = [], []
    group = []
    for e in [*plan.edits, None]:
        if e is not None and e.kind == "stretch" and (not group or group[-1].end == e.start):
            group.append(e)
            continue
        if group:
            for a, b in curve.windows(group[0].start, group[-1].end, window_ms):
                out = sum(
                    max(0, min(g.end, b) - max(g.start, a)) * g.out_samples / g.in_samples
                    for g in group
                )
                spans.append((a, b))
                speeds.append((b - a) / out)
        group = [e] if e is not None and e.kind == "stretch" else []
    return spans, speeds


def test_planted_windows_and_speeds():
    # 1.5 s at 2x, then 0.5 s kept, then 1 s at 1.25x: windows of 750 ms over each stretch
    p = plan_of([("stretch", 16000, 8000), ("stretch", 8000, 4000), ("keep", 8000, 8000),
                 ("stretch", 16000, 12800)])  # fmt: skip
    spans, speeds = curve._stretch_windows(p, 750.0)
    assert spans == [(0, 12000), (12000, 24000), (32000, 48000)]
    assert speeds.tolist() == pytest.approx([2.0, 2.0, 1.25])


EDIT = st.tuples(
    st.sampled_from(["stretch", "stretch", "stretch", "keep"]),
    st.integers(1, 20000),
    st.floats(0.5, 1.0),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(EDIT, min_size=1, max_size=60), st.sampled_from([100.0, 750.0, 2000.0]))
def test_windows_and_speeds_are_the_edit_by_edit_sums(rows, window_ms):
    p = plan_of([(k, n, n if k == "keep" else max(1, round(n * r))) for k, n, r in rows])
    spans, speeds = curve._stretch_windows(p, window_ms)
    want_spans, want_speeds = reference(p, window_ms)
    assert spans == want_spans
    assert speeds.tolist() == pytest.approx(want_speeds, rel=1e-9)
