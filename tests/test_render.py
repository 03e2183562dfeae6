import numpy as np
import pytest

from audiosqueeze.plan import Edit, Plan
from audiosqueeze.render import RenderOptions, equal_power, render, timemap_of

SR = 16000


def sine(n, hz=300.0, phase=0.0):
    return (0.5 * np.sin(2 * np.pi * hz * np.arange(n) / SR + phase)).astype(np.float32)


def one_cut_plan(n, start, end, keep):
    edits = (
        Edit("keep", 0, start, start, "speech"),
        Edit("shorten", start, end, keep, "silence", keep // 2),
        Edit("keep", end, n, n - end, "speech"),
    )
    return Plan(edits, n, 1.0)


def test_equal_power_gains():
    out, inn = equal_power(160)
    assert np.allclose(out**2 + inn**2, 1.0, atol=1e-6)
    assert out[0] > 0.99 and inn[-1] > 0.99


def test_cut_has_no_click():
    # the cut joins samples 13600 apart; at 255.5 periods per 13600 samples they meet in
    # anti-phase, so a hard splice jumps
    x = sine(3 * SR, hz=255.5 * SR / 13600)
    n = len(x)
    start, end, keep = SR, 2 * SR, 2400
    head = keep // 2
    hard = np.concatenate([x[: start + head], x[end - (keep - head) :]])
    y = render(x, one_cut_plan(n, start, end, keep))
    assert len(y) == n - (end - start) + keep
    natural = np.abs(np.diff(x)).max()
    assert np.abs(np.diff(hard)).max() > 3 * natural  # the planted click is real
    assert np.abs(np.diff(y)).max() <= 1.05 * natural  # and the crossfade removes it


def test_cut_keeps_untouched_samples_bit_exact():
    x = np.random.default_rng(0).normal(0, 0.1, 3 * SR).astype(np.float32)
    start, end, keep = SR, 2 * SR, 2400
    y = render(x, one_cut_plan(len(x), start, end, keep), RenderOptions(crossfade_ms=10))
    assert np.array_equal(y[: start + keep // 2 - 80], x[: start + keep // 2 - 80])
    tail = keep - keep // 2
    assert np.array_equal(y[-(len(x) - end + tail - 80) :], x[end - tail + 80 :])


def test_identity_plan_is_bit_exact_copy():
    x = np.random.default_rng(0).normal(0, 0.1, SR).astype(np.float32)
    p = Plan(
        (
            Edit("keep", 0, SR // 2, SR // 2, "speech"),
            Edit("keep", SR // 2, SR, SR // 2, "silence"),
        ),
        SR,
        0.0,
    )
    y = render(x, p)
    assert np.array_equal(y, x) and y is not x


def test_stretch_joins_smoothly_and_map_is_linear():
    x = sine(3 * SR)
    n = len(x)
    edits = (
        Edit("keep", 0, SR, SR, "speech"),
        Edit("stretch", SR, 2 * SR, 12800, "speech"),
        Edit("keep", 2 * SR, n, SR, "speech"),
    )
    p = Plan(edits, n, 1.0)
    y = render(x, p)
    assert len(y) == SR + 12800 + SR
    assert np.abs(np.diff(y)).max() <= 1.3 * np.abs(np.diff(x)).max()
    tm = timemap_of(p)
    assert tm.to_compressed(1.5) == pytest.approx(1.0 + 0.5 * 12800 / SR)


def test_timemap_of_cut():
    p = one_cut_plan(3 * SR, SR, 2 * SR, 2400)
    tm = timemap_of(p)
    assert tm.compressed_samples == 2 * SR + 2400 and tm.original_samples == 3 * SR
    assert tm.to_compressed(1.5) == pytest.approx((SR + 1200) / SR)  # inside the cut -> cut point
    assert tm.to_original((SR + 1200) / SR) == pytest.approx((2 * SR - 1200) / SR)
