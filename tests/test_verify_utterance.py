"""Verify by utterance: a changed word slows its whole utterance one step down a ladder."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audiosqueeze as sq
from audiosqueeze import verify as v
from audiosqueeze.errors import OptionsError
from audiosqueeze.transcript import Transcript, Word

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")
TOP = 1.6
UNIFORM = sq.PlanOptions(speed_policy="uniform", max_speed=TOP)
KW = dict(sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM)


def hum(seconds):
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )


def two_utterances():
    """4 s of speech-like hum, 1 s of silence (a pause the plan cuts), 4 s of hum."""
    return np.concatenate([hum(4.0), np.zeros(SR, np.float32), hum(4.0)])


def stretches(plan, unit):
    a, b = int(unit[0]), int(unit[1])
    return [(e.in_samples, e.out_samples) for e in plan.edits[a:b] if e.kind == "stretch"]


def speeds_of(plan, unit):
    return [i / o for i, o in stretches(plan, unit)]


def all_at(plan, unit, speed):
    """Every stretch of the utterance at ``speed``, to the output sample (and at least one)."""
    pairs = stretches(plan, unit)
    return bool(pairs) and all(abs(i / speed - o) <= 1 for i, o in pairs)


class PlanAwareASR:
    """Hears one word per second of original time (words ``w0`` ... ``w8``). A word in
    ``fragile`` comes out wrong while the audio at it is sped up at all; each word's
    probability is ``probs.get(i, 0.95)``. Reads the plan being checked from ``self.plan``."""

    name, config = "plan-aware", {}

    def __init__(self, n_original, fragile=(), probs=None):
        self.n, self.fragile, self.probs = n_original, set(fragile), probs or {}
        self.calls, self.plan = 0, None

    def transcribe(self, samples):
        self.calls += 1
        ratio = len(samples) / self.n
        words = []
        for i in range(int(self.n / SR)):
            t = i + 0.5
            bad = i in self.fragile and len(samples) != self.n and self._fast_at(t)
            p = self.probs.get(i, 0.95)
            words.append(Word("oops" if bad else f"w{i}", t * ratio - 0.1, t * ratio + 0.1, p))
        return Transcript(" ".join(w.text for w in words), tuple(words))

    def _fast_at(self, t):
        return any(
            e.kind == "stretch" and e.out_samples < e.in_samples and e.start <= t * SR < e.end
            for e in self.plan.edits
        )


@pytest.fixture
def tracked(monkeypatch):
    """Make every plan verify builds visible to a PlanAwareASR."""
    holder = {}
    real = v.at_levels

    def at_levels(planned, units, levels):
        p = real(planned, units, levels)
        holder["asr"].plan = p
        return p

    monkeypatch.setattr(v, "at_levels", at_levels)
    return holder


def test_utterances_are_the_speech_runs_between_pauses():
    x = two_utterances()
    plan = sq.compress(x, 1.0, **KW).plan
    units = v.utterances(plan)
    assert units.shape == (2, 4)
    (a0, b0, s0, e0), (a1, b1, s1, e1) = units.tolist()
    assert s0 < 0.1 * SR and 3.9 * SR < e0 <= 4.2 * SR  # the first hum
    assert 4.8 * SR <= s1 < 5.1 * SR and e1 > 8.9 * SR  # the second hum
    assert b0 <= a1
    for i, e in enumerate(plan.edits):
        inside = a0 <= i < b0 or a1 <= i < b1
        assert inside == (e.segment == "speech" and e.kind in ("keep", "stretch"))
    # the pause between them is cut: it is what ends the first utterance
    between = plan.edits[b0:a1]
    assert between and sum(e.out_samples for e in between) < sum(e.in_samples for e in between)
    empty = sq.compress(np.zeros(2 * SR, np.float32), 1.0, **KW).plan
    assert v.utterances(empty).shape == (0, 4)


def test_nearest_utterance_takes_the_span_or_the_closer_edge():
    units = np.array([[0, 3, 0, 4 * SR], [4, 7, 5 * SR, 9 * SR]])
    t = np.array([0.0, 3.9, 4.2, 4.5, 4.8, 8.0, 12.0])
    assert v.nearest_utterance(units, t).tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert v.nearest_utterance(units, np.zeros(0)).shape == (0,)
    assert v.nearest_utterance(np.zeros((0, 4), np.int64), t).shape == (0,)


def test_at_levels_moves_one_utterance_down_the_ladder_and_leaves_the_other():
    plan = sq.compress(two_utterances(), 1.0, **KW).plan
    units = v.utterances(plan)
    assert all_at(plan, units[0], TOP)
    half = v.at_levels(plan, units, np.array([1, 0]))
    assert all_at(half, units[0], 1 + (TOP - 1) / 2)
    assert speeds_of(half, units[1]) == speeds_of(plan, units[1])
    slow = v.at_levels(plan, units, np.array([2, 0]))
    assert all_at(slow, units[0], 1.0) and max(speeds_of(slow, units[0])) == 1
    assert speeds_of(slow, units[1]) == speeds_of(plan, units[1])
    assert v.at_levels(plan, units, np.array([5, 0])) == slow  # the ladder ends at 1.0x
    assert v.at_levels(plan, units, np.array([0, 0])) == plan
    assert plan.out_samples < half.out_samples < slow.out_samples


@pytest.mark.parametrize("rounds, scope", [(2, "utterance"), (3, "utterance"), (3, None)])
def test_a_changed_word_slows_its_utterance_step_by_step(tracked, rounds, scope):
    x = two_utterances()
    first = sq.compress(x, 1.0, **KW)
    fake = tracked["asr"] = PlanAwareASR(len(x), fragile={2})  # w2 at 2.5 s: the first hum
    fake.plan = first.plan
    scoped = {} if scope is None else {"verify_scope": scope}  # None: the default, utterance
    out = sq.compress(x, 1.0, verify=fake, verify_rounds=rounds, **scoped, **KW)
    units = v.utterances(first.plan)
    if rounds == 2:
        # 1.6x and then 1.3x both lose w2: the tie keeps the first, more compressed render
        assert fake.calls == 3 and out.plan == first.plan
        return
    # the third check, at 1.0x, hears w2: that render is returned
    assert fake.calls == 4
    assert all_at(out.plan, units[0], 1.0) and max(speeds_of(out.plan, units[0])) == 1
    assert speeds_of(out.plan, units[1]) == speeds_of(first.plan, units[1])
    assert np.array_equal(out.audio, sq.render(x, out.plan))
    assert len(out.audio) == out.timemap.compressed_samples
    # the window scope would have left the rest of the first hum fast
    window = v.relax(first.plan, np.array([2.5]))
    assert any(s > 1.5 for s in speeds_of(window, units[0]))


def test_an_unsure_word_slows_its_utterance_one_step_before_the_first_check(tracked):
    x = two_utterances()
    fake = tracked["asr"] = PlanAwareASR(len(x), probs={6: 0.2})  # w6 at 6.5 s: the second hum
    fake.plan = sq.compress(x, 1.0, **KW).plan
    out = sq.compress(
        x, 1.0, verify=fake, verify_min_probability=0.5, verify_scope="utterance", **KW
    )
    units = v.utterances(out.plan)
    assert all_at(out.plan, units[0], TOP)
    assert all_at(out.plan, units[1], 1 + (TOP - 1) / 2)
    assert fake.calls == 2  # the original and one check that heard no change


def test_verify_scope_is_checked_before_any_work():
    fake = PlanAwareASR(SR)
    for bad in ("sentence", "", 3):
        with pytest.raises(OptionsError, match="verify_scope"):
            sq.compress(hum(1.0), 1.0, verify=fake, verify_scope=bad, **KW)
    assert fake.calls == 0


_FRAGILE = st.sets(st.integers(0, 8), max_size=4)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragile=_FRAGILE, rounds=st.integers(1, 4), unsure=_FRAGILE)
def test_utterance_scope_keeps_one_speed_per_utterance_on_the_ladder(fragile, rounds, unsure):
    x = two_utterances()
    first = sq.compress(x, 1.0, **KW)
    fake = PlanAwareASR(len(x), fragile, {i: 0.2 for i in unsure})
    fake.plan = first.plan
    real = v.at_levels

    def at_levels(planned, units, levels):
        fake.plan = real(planned, units, levels)
        return fake.plan

    v.at_levels = at_levels
    try:
        out = sq.compress(
            x, 1.0, verify=fake, verify_rounds=rounds, verify_min_probability=0.5,
            verify_scope="utterance", **KW,
        )  # fmt: skip
    finally:
        v.at_levels = real
    ladder = (TOP, 1 + (TOP - 1) / 2, 1.0)
    for unit in v.utterances(first.plan):  # one speed of the ladder in each utterance
        assert sum(all_at(out.plan, unit, s) for s in ladder) == 1
    assert len(out.audio) == out.plan.out_samples
    assert first.stats.reduction >= out.stats.reduction


def test_verify_units_counts_the_sped_up_utterances():
    from conftest import load_script

    count = load_script("benchmarks/verify_units.py").sped_up_utterances
    x = two_utterances()
    assert count(sq.compress(x, 1.0, **KW).plan) == 2
    assert count(sq.compress(x, 0.5, **KW).plan) == 0  # pauses cut, nothing sped up
    plan = sq.compress(x, 1.0, **KW).plan
    units = v.utterances(plan)
    assert count(v.at_levels(plan, units, np.array([2, 0]))) == 1
