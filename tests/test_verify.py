"""Verify mode: windows where a recogniser's words change are slowed back to 1.0x."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audiosqueeze as sq
from audiosqueeze.errors import OptionsError
from audiosqueeze.transcript import Transcript, Word
from audiosqueeze.verify import relax, word_changes

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")
UNIFORM = sq.PlanOptions(speed_policy="uniform", max_speed=1.6)


def hum(seconds):
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )


class FakeASR:
    """Hears one word per second of original time; the word at 3 s comes out wrong while the
    audio around it is sped up (read from the compressed/original length ratio)."""

    name, config = "fake", {}

    def __init__(self, n_original):
        self.n = n_original
        self.calls = 0
        self.plan = None

    def transcribe(self, samples):
        self.calls += 1
        ratio = len(samples) / self.n
        words = []
        for i in range(int(self.n / SR)):
            t = i + 0.5  # original seconds
            text = f"w{i}"
            if i == 3 and len(samples) != self.n and self._fast_at(t):
                text = "oops"
            words.append(Word(text, t * ratio - 0.1, t * ratio + 0.1))
        return Transcript(" ".join(w.text for w in words), tuple(words))

    def _fast_at(self, t):
        return any(
            e.kind == "stretch" and e.out_samples < e.in_samples and e.start <= t * SR < e.end
            for e in self.plan.edits
        )


def test_word_changes_finds_lost_changed_and_inserted_words():
    a = [Word("a", 0.0, 0.2), Word("b", 1.0, 1.2), Word("c", 2.0, 2.2)]
    b = [Word("A", 0.0, 0.2), Word("c.", 2.0, 2.2), Word("d", 3.0, 3.2)]
    assert word_changes(a, b).tolist() == pytest.approx([1.1, 3.1])
    assert len(word_changes(a, a)) == 0


def test_relax_slows_only_windows_near_a_changed_word():
    x = hum(8.0)
    r = sq.compress(x, 1.0, sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM)
    p = relax(r.plan, np.array([3.5]), margin_s=0.3)
    for old, new in zip(r.plan.edits, p.edits, strict=True):
        near = old.start - 0.3 * SR <= 3.5 * SR < old.end + 0.3 * SR
        if old.kind == "stretch" and near:
            assert new.out_samples == new.in_samples
        else:
            assert new == old
    assert p.out_samples > r.plan.out_samples


def test_verify_slows_the_window_with_the_changed_word_and_keeps_the_rest(monkeypatch):
    x = hum(8.0)
    fake = FakeASR(len(x))
    from audiosqueeze import verify as v

    real_relax = v.relax

    def tracking_relax(plan, changed, margin_s=v.VERIFY_MARGIN_S):
        p = real_relax(plan, changed, margin_s)
        fake.plan = p
        return p

    monkeypatch.setattr(v, "relax", tracking_relax)
    first = sq.compress(x, 1.0, sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM)
    fake.plan = first.plan
    out = sq.compress(
        x, 1.0, sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM, verify=fake,
        verify_scope="window",
    )  # fmt: skip
    assert fake.calls == 3  # the original, the first render, the refined render
    at3 = [e for e in out.plan.edits if e.kind == "stretch" and e.start <= 3.5 * SR < e.end]
    assert at3 and all(e.out_samples == e.in_samples for e in at3)
    elsewhere = [e for e in out.plan.edits if e.kind == "stretch" and e.end < 2.5 * SR]
    assert elsewhere and all(e.speed > 1.5 for e in elsewhere)
    assert first.stats.reduction > out.stats.reduction > 0.2
    assert len(out.audio) == out.plan.out_samples == out.timemap.compressed_samples


class ScriptedASR(FakeASR):
    """Hears the original as FakeASR does; on the k-th check of a render it changes the words
    whose original seconds ``script[k]`` lists (``"all"``: hears nothing, as a recogniser that
    stops transcribing)."""

    def __init__(self, n_original, script):
        super().__init__(n_original)
        self.script, self.checks, self.lengths = script, 0, []

    def transcribe(self, samples):
        self.calls += 1
        ratio = len(samples) / self.n
        if len(samples) == self.n:
            bad = ()
        else:
            self.lengths.append(len(samples))
            bad = self.script[min(self.checks, len(self.script) - 1)]
            self.checks += 1
        if bad == "all":
            return Transcript("", ())
        words = [
            Word("oops" if i in bad else f"w{i}", (i + 0.5) * ratio - 0.1, (i + 0.5) * ratio + 0.1)
            for i in range(int(self.n / SR))
        ]
        return Transcript(" ".join(w.text for w in words), tuple(words))


def test_verify_returns_the_checked_render_with_fewest_changes_never_an_unchecked_one():
    x = hum(8.0)
    kw = dict(sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM)
    first = sq.compress(x, 1.0, **kw)
    kw["verify_scope"] = "window"  # one hum: the utterance scope slows all of it at once
    # 1st check: one word changed; the render relaxed there loses every word on the 2nd check
    fake = ScriptedASR(len(x), [(3,), "all"])
    out = sq.compress(x, 1.0, verify=fake, verify_rounds=2, **kw)
    assert fake.calls == 3 and fake.checks == 2  # the original and two checks, nothing more
    assert out.plan == first.plan and np.array_equal(out.audio, first.audio)
    # a third check of a render that recovers (no change) returns that one
    fake = ScriptedASR(len(x), [(3,), (3, 5, 6), ()])
    out = sq.compress(x, 1.0, verify=fake, verify_rounds=3, **kw)
    assert fake.checks == 3 and len(out.audio) == fake.lengths[-1] > len(first.audio)
    # with fewer changes on the 2nd check, the 2nd render wins; the last one is checked too
    fake = ScriptedASR(len(x), [(3, 5), (5,)])
    out = sq.compress(x, 1.0, verify=fake, verify_rounds=2, **kw)
    assert fake.checks == 2 and len(out.audio) == fake.lengths[1] > fake.lengths[0]
    # a tie keeps the earlier, more compressed render
    fake = ScriptedASR(len(x), [(3,), (5,)])
    out = sq.compress(x, 1.0, verify=fake, verify_rounds=2, **kw)
    assert out.plan == first.plan


def test_verify_skips_the_recogniser_when_no_speech_is_sped_up():
    x = hum(8.0)
    fake = FakeASR(len(x))
    plain = sq.compress(x, 0.5, sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM)
    assert not any(e.kind == "stretch" for e in plain.plan.edits)  # rate 0.5: pauses only
    out = sq.compress(
        x, 0.5, sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM, verify=fake
    )
    assert fake.calls == 0
    assert np.array_equal(out.audio, plain.audio) and out.plan == plain.plan


def test_verify_rejects_what_is_not_a_recogniser():
    with pytest.raises(OptionsError, match="42"):
        sq.compress(hum(1.0), 1.0, sample_rate=SR, analyze_options=ENERGY, verify=42)
    with pytest.raises(OptionsError, match="verify_rounds.*-1"):
        sq.compress(
            hum(1.0), sample_rate=SR, analyze_options=ENERGY, verify=FakeASR(1), verify_rounds=-1
        )
    for bad in (-0.1, 1.5, float("nan"), "high"):
        with pytest.raises(OptionsError, match="verify_min_probability"):
            sq.compress(
                hum(1.0),
                sample_rate=SR,
                analyze_options=ENERGY,
                verify=FakeASR(1),
                verify_min_probability=bad,
            )


class UnsureASR(FakeASR):
    """Hears the original as FakeASR does, but unsure (probability 0.2) of the word at 5.5 s,
    sure (0.95) of the rest; never changes a word."""

    def transcribe(self, samples):
        self.calls += 1
        ratio = len(samples) / self.n
        words = [
            Word(f"w{i}", (i + 0.5) * ratio - 0.1, (i + 0.5) * ratio + 0.1, 0.2 if i == 5 else 0.95)
            for i in range(int(self.n / SR))
        ]
        return Transcript(" ".join(w.text for w in words), tuple(words))


@pytest.mark.parametrize("rounds", [0, 2])
def test_verify_slows_windows_near_words_the_recogniser_was_unsure_of(rounds):
    x = hum(8.0)
    first = sq.compress(x, 1.0, sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM)
    kw = dict(sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM, verify_rounds=rounds)
    kw["verify_scope"] = "window"
    fake = UnsureASR(len(x))
    out = sq.compress(x, 1.0, verify=fake, verify_min_probability=0.5, **kw)
    assert fake.calls == 1 + min(rounds, 1)  # the original; a round that finds no change ends
    stretches = [e for e in out.plan.edits if e.kind == "stretch"]
    near = [e for e in stretches if e.start - 0.3 * SR <= 5.5 * SR < e.end + 0.3 * SR]
    assert near and all(e.out_samples == e.in_samples for e in near)
    far = [e for e in stretches if e.end < 4.5 * SR]
    assert far and all(e.speed > 1.5 for e in far)
    assert first.stats.reduction > out.stats.reduction > 0.2
    assert np.array_equal(out.audio, sq.render(x, out.plan))
    # a threshold below every probability (or 0, off) changes nothing
    for p in (0.0, 0.1):
        same = sq.compress(x, 1.0, verify=UnsureASR(len(x)), verify_min_probability=p, **kw)
        assert same.plan == first.plan and np.array_equal(same.audio, first.audio)


def test_max_wer_increase_is_a_budget_on_the_guards_prediction():
    from audiosqueeze.curve import predicted_wer_increase

    x = np.concatenate([hum(3.0), np.zeros(SR, np.float32), hum(4.0)])
    a = sq.analyze(x, ENERGY, sample_rate=SR)
    opts = sq.PlanOptions()
    full = sq.plan(a, 1.0, opts)
    top = predicted_wer_increase(a, full, opts)
    assert top > 0  # the guard sees some risk in sped-up speech
    reductions = []
    for budget in (0.0, top / 4, top / 2, top):
        p = sq.plan_for_budget(a, budget, opts)
        assert predicted_wer_increase(a, p, opts) <= budget + 1e-9
        reductions.append(p.reduction)
    assert reductions == sorted(reductions) and reductions[0] < reductions[-1]
    assert sq.plan_for_budget(a, top, opts).rate == 1.0
    out = sq.compress(x, sample_rate=SR, analyze_options=ENERGY, max_wer_increase=top / 2)
    assert out.plan == sq.plan_for_budget(a, top / 2, opts)
    with pytest.raises(OptionsError, match="not both"):
        sq.compress(x, sample_rate=SR, target_reduction=0.2, max_wer_increase=1.0)


def test_a_bad_guard_model_is_a_clear_error(tmp_path):
    bad = tmp_path / "guard.onnx"
    bad.write_bytes(b"not a model")
    x = np.concatenate([hum(2.0), np.zeros(SR, np.float32), hum(2.0)])
    for path, quote in ((bad, "not a usable guard model"), (tmp_path / "none.onnx", "no quality")):
        o = sq.PlanOptions(speed_policy="guard", guard_path=str(path))
        with pytest.raises(sq.AudiosqueezeError, match=quote):
            sq.compress(x, 1.0, sample_rate=SR, analyze_options=ENERGY, plan_options=o)
    with pytest.raises(OptionsError, match="'wobble'"):
        sq.PlanOptions(within_window="wobble")
    with pytest.raises(OptionsError, match="nan"):
        sq.compress(x, sample_rate=SR, max_wer_increase=float("nan"))


_BAD = st.one_of(st.just("all"), st.sets(st.integers(0, 7), max_size=4).map(tuple))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=st.lists(_BAD, min_size=1, max_size=4), rounds=st.integers(0, 4))
def test_verify_property_returns_the_first_checked_render_with_fewest_changes(script, rounds):
    x = hum(8.0)
    kw = dict(sample_rate=SR, analyze_options=ENERGY, plan_options=UNIFORM)
    fake = ScriptedASR(len(x), script)
    # the window scope: ScriptedASR knows the original by its length, and the utterance scope
    # can bring this one-utterance hum back to it (test_verify_utterance.py covers that scope)
    out = sq.compress(x, 1.0, verify=fake, verify_rounds=rounds, verify_scope="window", **kw)
    assert fake.calls == 1 + fake.checks <= 1 + rounds
    if not fake.checks:
        assert rounds == 0 and np.array_equal(out.audio, sq.compress(x, 1.0, **kw).audio)
        return
    # what each check heard: "all" loses all 8 words, else each changed word counts twice
    changes = [
        8 if bad == "all" else 2 * len(bad)
        for bad in (script[min(i, len(script) - 1)] for i in range(fake.checks))
    ]
    best = changes.index(min(changes))
    assert len(out.audio) == fake.lengths[best] == out.plan.out_samples
    assert np.array_equal(out.audio, sq.render(x, out.plan))
