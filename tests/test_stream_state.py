"""What a stream reports while it runs (samples in and out, whether its plan and analysis are
complete) and what a stream made from a plan refuses: the input the plan does not cover."""

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.render import render
from conftest import silence, tone

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")


def clip():
    return np.concatenate([silence(0.9), tone(1.2), silence(1.5), tone(0.8), silence(0.4)])


def test_a_stream_counts_its_samples_and_completes_its_plan_and_analysis_at_flush():
    x = clip()
    s = sq.Stream(1.0, analyze_options=ENERGY)
    out = []
    for a in range(0, len(x), 777):
        out.append(s.push(x[a : a + 777]))
        assert s.samples_in == min(len(x), a + 777)
        assert s.samples_out == sum(map(len, out))
        assert s.stats_ready is False
    with pytest.raises(sq.AudiosqueezeError, match="the plan is complete only after flush"):
        s.plan()
    with pytest.raises(sq.AudiosqueezeError, match="the analysis is complete only after flush"):
        s.analysis  # noqa: B018
    out.append(s.flush())
    assert s.stats_ready is True and s.samples_out == sum(map(len, out))
    ref = sq.compress(x, 1.0, sample_rate=SR, analyze_options=ENERGY)
    assert np.array_equal(np.concatenate(out), ref.audio)
    assert s.plan() == ref.plan and s.analysis.num_samples == len(x)
    assert len(s.flush()) == 0 and s.samples_out == len(ref.audio)  # a second flush: nothing


def plan_of(x):
    return sq.compress(x, 1.0, sample_rate=SR, analyze_options=ENERGY).plan


def test_a_stream_from_a_plan_renders_it_in_odd_chunks_and_has_no_analysis():
    x = clip()
    plan = plan_of(x)
    s = sq.Stream.from_plan(plan)
    assert s.plan() == plan  # known before any input
    with pytest.raises(sq.AudiosqueezeError, match="a stream made from a plan has no analysis"):
        s.analysis  # noqa: B018
    out = [s.push(x[a : a + 1001]) for a in range(0, len(x), 1001)] + [s.flush()]
    assert np.array_equal(np.concatenate(out), render(x, plan))
    assert s.stats_ready and s.samples_out == plan.out_samples


@pytest.mark.parametrize("extra", [1, 5000, -1, -5000])
def test_a_stream_from_a_plan_refuses_input_the_plan_does_not_cover(extra):
    x = clip()
    plan = plan_of(x)
    y = np.concatenate([x, tone(1.0)])[: len(x) + extra]
    s = sq.Stream.from_plan(plan)
    s.push(y)
    match = f"the plan covers {len(x)} samples but the input had {len(y)}"
    with pytest.raises(sq.AudiosqueezeError, match=match):
        s.flush()
