import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiosqueeze.plan import Edit, Plan
from audiosqueeze.render import Renderer, RenderOptions, equal_power, render, timemap_of

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


def test_lead_and_trail_keep_the_side_next_to_speech_with_fades():
    x = np.random.default_rng(2).normal(0, 0.1, 4 * SR).astype(np.float32)
    edits = (
        Edit("shorten", 0, SR, 2400, "noise", 0),  # opens the recording: keep its end
        Edit("keep", SR, 3 * SR, 2 * SR, "speech"),
        Edit("shorten", 3 * SR, 4 * SR, 1600, "noise", 1600),  # closes it: keep its start
    )
    y = render(x, Plan(edits, 4 * SR, 1.0), RenderOptions(crossfade_ms=10))
    assert len(y) == 2400 + 2 * SR + 1600
    fade = 160
    assert np.array_equal(y[fade:2400], x[SR - 2400 + fade : SR])  # the end of the lead, as is
    assert abs(y[0]) < abs(x[SR - 2400]) * 0.02 + 1e-6  # faded in from silence
    assert np.array_equal(y[2400 : 2400 + 2 * SR], x[SR : 3 * SR])  # speech untouched
    tail = y[2400 + 2 * SR :]
    assert np.array_equal(tail[: 1600 - fade], x[3 * SR : 3 * SR + 1600 - fade])
    assert abs(tail[-1]) < 0.02 * 0.5


def test_nonspeech_gain_attenuates_only_the_kept_pause():
    rng = np.random.default_rng(3)
    speech = sine(SR, hz=220)
    noise = rng.normal(0, 0.1, 20 * SR).astype(np.float32)
    x = np.concatenate([speech, noise, speech])
    keep = 2400
    edits = (
        Edit("keep", 0, SR, SR, "speech"),
        Edit("shorten", SR, 21 * SR, keep, "noise", keep // 2),
        Edit("keep", 21 * SR, 22 * SR, SR, "speech"),
    )
    p = Plan(edits, len(x), 1.0)
    plain = render(x, p, RenderOptions())
    quiet = render(x, p, RenderOptions(nonspeech_gain_db=-30))
    assert np.array_equal(quiet[:SR], x[:SR]) and np.array_equal(quiet[-SR:], x[-SR:])
    mid = slice(SR + 400, SR + keep - 400)  # away from the ramps at both ends
    ratio = np.sqrt(np.mean(quiet[mid] ** 2) / np.mean(plain[mid] ** 2))
    assert ratio == pytest.approx(10 ** (-30 / 20), rel=1e-3)


def test_mute_is_digital_silence_of_the_planned_length():
    x = np.random.default_rng(4).normal(0, 0.1, SR).astype(np.float32)
    y = render(x, Plan((Edit("mute", 0, SR, 1600, "noise"),), SR, 0.5))
    assert len(y) == 1600 and not y.any()


def test_gain_out_of_range_is_rejected():
    from audiosqueeze.errors import OptionsError

    with pytest.raises(OptionsError, match="nonspeech_gain_db"):
        RenderOptions(nonspeech_gain_db=6)


def test_joined_run_renders_as_its_edits_arrive_and_equals_one_shot():
    x = sine(5 * SR, 220.0)
    pieces = [(8000 + 4000 * i, 8000 + 4000 * (i + 1)) for i in range(12)]  # 3 s of speech
    stretch = [Edit("stretch", a, b, int((b - a) / (1.2 + 0.02 * i)), "speech", 0, i < 11)
               for i, (a, b) in enumerate(pieces)]  # fmt: skip
    edits = [Edit("keep", 0, 8000, 8000, "speech"), *stretch,
             Edit("keep", 56000, len(x), len(x) - 56000, "speech")]  # fmt: skip
    plan = Plan(tuple(edits), len(x), 1.0)
    whole = render(x, plan)
    assert len(whole) == plan.out_samples
    r, out, pushed = Renderer(), [], 0
    for i, e in enumerate(edits):
        upto = min(len(x), e.end + 3000)
        r.push(x[pushed:upto])
        pushed = upto
        r.add([e])
        out.append(r.pull())
        if i == 6:  # half the run planned: most of its output so far has already come out
            assert sum(map(len, out)) > 8000 + sum(s.out_samples for s in stretch[:5])
    r.push(x[pushed:])
    out.append(r.pull(final=True))
    assert np.array_equal(np.concatenate(out), whole)
    assert r.samples_out == plan.out_samples


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_plan_any_push_order_renders_like_one_call(data):
    """Edits planned ahead of the input (a plan given up front) or behind it (the live
    planner), pushed in any chunks: the same samples as rendering everything at once."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    n = int(rng.integers(4000, 250_000))  # past the renderer's first buffer (65536 samples)
    x = sine(n, 180.0) + 0.3 * sine(n, 530.0, 1.0)
    cuts = np.unique(np.concatenate([[0, n], rng.integers(1, n, int(rng.integers(1, 40)))]))
    edits = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        a, b = int(a), int(b)
        kind = str(rng.choice(["keep", "shorten", "stretch", "stretch"]))
        if kind == "keep" or b - a < 8:
            edits.append(Edit("keep", a, b, b - a, "speech"))
        elif kind == "shorten":
            out = int(rng.integers(0, b - a))
            edits.append(Edit("shorten", a, b, out, "silence", out // 2))
        else:
            out = max(1, int((b - a) / rng.uniform(1.0, 2.0)))
            edits.append(Edit("stretch", a, b, out, "speech", 0, False))
    for i in range(len(edits) - 1):  # join some neighbouring stretches into one run
        if edits[i].kind == edits[i + 1].kind == "stretch" and rng.random() < 0.7:
            edits[i] = dataclasses.replace(edits[i], joined=True)
    plan = Plan(tuple(edits), n, 1.0)
    whole = render(x, plan)
    ahead = data.draw(st.booleans())
    r, out, pushed, added = Renderer(), [], 0, 0
    if ahead:
        r.add(edits)
        added = len(edits)
    while pushed < n:
        step = int(rng.choice([rng.integers(1, 1500), rng.integers(1, 70_000)]))
        r.push(x[pushed : pushed + step])
        pushed = min(n, pushed + step)
        while not ahead and added < len(edits) and edits[added].end <= pushed:
            r.add([edits[added]])
            added += 1
        out.append(r.pull())
    r.add(edits[added:])
    out.append(r.pull(final=True))
    assert np.array_equal(np.concatenate(out), whole)


def test_input_after_a_run_is_kept_when_the_run_ends_just_before_a_push():
    # the case `compress(..., analysis=)` met (a plan given up front, 4-s blocks): the first
    # block ends 512 samples after a joined run, inside the context the next edit needs; the
    # next block makes the renderer drop old input, and it must keep that context
    n = 132_960
    x = sine(n, 180.0)
    edges = [*range(8704, 63488, 4096), 63488]
    run = [Edit("stretch", a, b, int((b - a) / 1.25), "speech", 0, b < 63488)
           for a, b in zip(edges[:-1], edges[1:], strict=True)]  # fmt: skip
    edits = [Edit("shorten", 0, 8704, 1600, "noise", 0), *run,
             Edit("keep", 63488, 65024, 1536, "noise"),
             Edit("stretch", 65024, n, int((n - 65024) / 1.25), "speech")]  # fmt: skip
    plan = Plan(tuple(edits), n, 0.75)
    r = Renderer()
    r.add(edits)
    out = []
    for a in range(0, n, 64_000):
        r.push(x[a : a + 64_000])
        out.append(r.pull())
    out.append(r.pull(final=True))
    assert np.array_equal(np.concatenate(out), render(x, plan))


def test_a_plan_ending_on_a_joined_edit_still_renders():
    x = sine(20_000)
    keep = Edit("keep", 0, 4000, 4000, "speech")
    joined = Edit("stretch", 4000, 20_000, 12_800, "speech", 0, True)
    y = render(x, Plan((keep, joined), len(x), 1.0))
    # the run simply ends with the plan: the same samples as a properly closed run
    closed = Edit("stretch", 4000, 20_000, 12_800, "speech", 0, False)
    assert np.array_equal(y, render(x, Plan((keep, closed), len(x), 1.0)))
    assert len(y) == 16_800 and np.array_equal(y[:3000], x[:3000])
