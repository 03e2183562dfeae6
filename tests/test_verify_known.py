"""Verify mode, planted: hand-built plans and word lists where the answer is known exactly."""

import numpy as np
import pytest

from audiosqueeze import verify as v
from audiosqueeze.errors import OptionsError
from audiosqueeze.plan import Edit, Plan
from audiosqueeze.render import render
from audiosqueeze.transcript import Word

SR = 16000


def plan_of(*edits):
    return Plan(tuple(Edit(*e) for e in edits), edits[-1][2], 1.0)


# keep | 1.6x | pause cut to 0.1 s | 1.6x | already 1.0x
PLAN = plan_of(
    ("keep", 0, 8000, 8000, "speech"),
    ("stretch", 8000, 24000, 10000, "speech"),
    ("shorten", 24000, 40000, 1600, "silence"),
    ("stretch", 40000, 56000, 10000, "speech"),
    ("stretch", 56000, 72000, 16000, "speech"),
)


def relaxed(plan):
    """Indices of the stretch edits that play at 1.0x."""
    return [i for i, e in enumerate(plan.edits) if e.kind == "stretch" and e.speed == 1.0]


def test_word_changes_gives_the_midpoints_of_changed_words_on_both_sides():
    a = [Word("Don't", 0.0, 0.4), Word("go", 0.5, 0.7), Word("7", 1.0, 1.2), Word("x", 2.0, 2.4)]
    b = [Word("dont", 0.0, 0.4), Word("go!", 0.5, 0.7), Word("7.", 1.0, 1.2), Word("y", 3.0, 3.6)]
    # the apostrophe counts, case and punctuation do not; "x" is lost and "y" inserted
    assert v.word_changes(a, b).tolist() == pytest.approx([0.2, 0.2, 2.2, 3.3])
    assert v.word_changes(a, a).dtype == np.float64 and len(v.word_changes(a, a)) == 0


def test_word_changes_does_not_junk_a_word_that_is_in_every_other_slot():
    # 200 repeats of one word: difflib's autojunk would call "the" junk and replace everything
    a = [Word("hello", 0.0, 0.2)] + [Word("the", i, i + 0.2) for i in range(1, 201)]
    b = [Word("the", i, i + 0.2) for i in range(1, 201)] + [Word("bye", 201.0, 201.2)]
    assert v.word_changes(a, b).tolist() == pytest.approx([0.1, 201.1])


def test_relax_takes_windows_within_the_margin_of_a_time_to_one_x():
    # a window [start, end) is near t when start - margin <= t < end + margin
    assert relaxed(PLAN) == [4]
    assert relaxed(v.relax(PLAN, np.array([2.0]), margin_s=0.5)) == [3, 4]  # 2.0 s = 32000
    assert relaxed(v.relax(PLAN, np.array([1.9999]), margin_s=0.5)) == [1, 4]
    assert relaxed(v.relax(PLAN, np.array([4.0, 0.25]), margin_s=0.5)) == [1, 4]  # unsorted
    assert relaxed(v.relax(PLAN, np.array([0.0, 5.0]), margin_s=0.5)) == [1, 4]
    assert relaxed(v.relax(PLAN, np.array([3.9]), margin_s=0.5)) == [3, 4]
    assert v.relax(PLAN, np.zeros(0), margin_s=0.5) == PLAN
    # the default margin, VERIFY_MARGIN_S = 0.3 s = 4800 samples, read at call time
    assert relaxed(v.relax(PLAN, np.array([1.79]))) == [1, 4]
    assert relaxed(v.relax(PLAN, np.array([1.8]))) == [4]
    out = v.relax(PLAN, np.array([1.0, 3.0]), margin_s=0.5)
    assert [e.out_samples for e in out.edits] == [8000, 16000, 1600, 16000, 16000]
    assert [e.kind for e in out.edits] == [e.kind for e in PLAN.edits]


def test_relax_leaves_keeps_pauses_and_slowed_stretches_alone():
    p = plan_of(
        ("keep", 0, 16000, 16000, "speech"),
        ("stretch", 16000, 32000, 20000, "speech"),  # slowed down: not sped up
        ("shorten", 32000, 48000, 0, "silence"),
    )
    assert v.relax(p, np.array([0.5, 1.5, 2.5]), margin_s=1.0) == p


UTT = plan_of(
    ("keep", 0, 1000, 1000, "silence"),
    ("keep", 1000, 2000, 1000, "speech"),
    ("stretch", 2000, 5000, 2000, "speech"),
    ("shorten", 5000, 6000, 500, "speech"),
    ("stretch", 6000, 9000, 1500, "speech"),
    ("keep", 9000, 10000, 1000, "noise"),
    ("mute", 10000, 11000, 1000, "speech"),
    ("keep", 11000, 12000, 1000, "speech"),
)


def test_utterances_are_runs_of_kept_or_stretched_speech():
    u = v.utterances(UTT)
    assert u.dtype == np.int64
    assert u.tolist() == [[1, 3, 1000, 5000], [4, 5, 6000, 9000], [7, 8, 11000, 12000]]
    assert v.utterances(plan_of(("keep", 0, 100, 100, "speech"))).tolist() == [[0, 1, 0, 100]]


def test_nearest_utterance_prefers_the_span_then_the_nearer_edge_then_the_earlier():
    units = np.array([[0, 1, 0, 16000], [2, 3, 32000, 48000], [4, 5, 64000, 80000]])
    t = np.array([0.5, 1.5, 1.5 + 1 / SR, 2.5, 3.0, 3.5, 4.5, 9.0, -1.0])
    got = v.nearest_utterance(units, t)
    assert got.dtype == np.int64 and got.tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 0]
    assert v.nearest_utterance(units, np.array([[2.5]])).tolist() == [1]


def test_at_levels_walks_each_utterance_down_its_own_ladder():
    u = v.utterances(UTT)  # the stretches: edit 2 at 1.5x, edit 4 at 2.0x
    out = v.at_levels(UTT, u, np.array([1, 1, 0]))
    assert out.edits[2].out_samples == round(3000 / 1.25)  # 1.5x -> 1.25x
    assert out.edits[4].out_samples == 2000  # 2.0x -> 1.5x
    out = v.at_levels(UTT, u, np.array([0, 2, 0]))
    assert [e.out_samples for e in out.edits] == [1000, 1000, 2000, 500, 3000, 1000, 1000, 1000]
    assert v.at_levels(UTT, u, np.array([3, 7, 1])) == v.at_levels(UTT, u, np.array([2, 2, 0]))
    assert v.at_levels(UTT, u, np.zeros(3, np.int64)) == UTT
    assert [e.out_samples for e in v.at_levels(UTT, u, np.array([2, 2, 2])).edits] == [
        1000, 1000, 3000, 500, 3000, 1000, 1000, 1000,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        v.at_levels(UTT, u, np.array([1, 1]))  # one level per utterance


def test_at_levels_takes_a_stretch_with_no_output_back_to_1x():
    # before: its speed is inf, and inf * 0 made the last step a bare "cannot convert float NaN"
    p = plan_of(("keep", 0, 800, 800, "speech"), ("stretch", 800, 1600, 0, "speech"))
    u = v.utterances(p)
    back = v.at_levels(p, u, np.array([v.VERIFY_STEPS]))
    assert [e.out_samples for e in back.edits] == [800, 800]
    assert v.at_levels(p, u, np.array([1])).edits[1].out_samples == 1  # inf -> inf: 1 sample


def test_unsure_words_are_strictly_below_the_threshold_and_have_a_probability():
    ws = [
        Word("a", 0.0, 0.2, 0.5),
        Word("b", 1.0, 1.4, 0.49),
        Word("c", 2.0, 2.2, None),
        Word("d", 3.0, 3.6, 0.0),
    ]
    got = v.unsure_words(ws, 0.5)
    assert got.dtype == np.float64 and got.tolist() == pytest.approx([1.2, 3.3])
    assert len(v.unsure_words(ws, 0.0)) == 0  # 0 turns it off


# -- verify itself, with a recogniser that knows which render it hears -------------------------


def hum(seconds):
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )


@pytest.fixture(scope="module")
def two():
    """4 s of hum, 1 s of silence, 4 s of hum compressed at rate 1: two sped-up utterances."""
    import audiosqueeze as sq

    x = np.concatenate([hum(4.0), np.zeros(SR, np.float32), hum(4.0)])
    opts = sq.PlanOptions(speed_policy="uniform", max_speed=1.6)
    first = sq.compress(x, 1.0, sample_rate=SR, analyze_options=sq.AnalyzeOptions(vad="energy"),
                        plan_options=opts)  # fmt: skip
    units = v.utterances(first.plan)
    assert len(units) == 2
    return x, first, units


class LadderASR:
    """Hears words ``w0`` ... ``w8``, one per second of original time. It tells the render it
    hears by its length: word ``i`` comes out wrong while its utterance is fewer than
    ``need[i]`` steps down the ladder; ``probs[i]`` is its probability (else 0.95)."""

    name, config = "ladder", {}

    def __init__(self, x, first, units, need=None, probs=None, extra=()):
        self.n, self.need, self.probs, self.extra = len(x), need or {}, probs or {}, extra
        self.by_length = {}
        for a in range(3):
            for b in range(3):
                p = v.at_levels(first.plan, units, np.array([a, b]))
                self.by_length[p.out_samples] = (a, b)
        assert len(self.by_length) == 9
        self.heard = []

    def transcribe(self, samples):
        from audiosqueeze.transcript import Transcript

        levels = (2, 2) if len(samples) == self.n else self.by_length[len(samples)]
        self.heard.append(levels)
        ratio = len(samples) / self.n
        words = []
        for i in range(9):
            bad = levels[0 if i < 4 else 1] < self.need.get(i, 0)
            t = (i + 0.5) * ratio
            p = self.probs.get(i, 0.95)
            words.append(Word("oops" if bad else f"w{i}", t - 0.1, t + 0.1, p))
        words += self.extra
        return Transcript(" ".join(w.text for w in words), tuple(words))


def test_verify_defaults_two_checks_by_utterance_below_probability_0_7(two):
    x, first, units = two
    asr = LadderASR(x, first, units, need={2: 2}, probs={6: 0.6})
    out = v.verify(x, first, asr)
    # the original; w6 unsure: the second hum one step down; w2 lost at (0, 1) and at (1, 1):
    # the tie keeps the first check
    assert asr.heard == [(2, 2), (0, 1), (1, 1)]
    assert out.plan == v.at_levels(first.plan, units, np.array([0, 1]))
    assert np.array_equal(out.audio, render(x, out.plan))
    asr = LadderASR(x, first, units, need={2: 2, 7: 1})
    out = v.verify(x, first, asr, rounds=10, min_probability=0.0)
    assert asr.heard == [(2, 2), (0, 0), (1, 1), (2, 1)]  # the third check hears every word
    assert out.plan == v.at_levels(first.plan, units, np.array([2, 1]))


def test_verify_checks_its_own_options(two):
    x, first, units = two
    for kw, quote in (
        ({"rounds": 11}, "verify_rounds.*11"),
        ({"rounds": -1}, "verify_rounds.*-1"),
        ({"min_probability": 1.01}, "verify_min_probability.*1.01"),
        ({"min_probability": -0.1}, "verify_min_probability.*-0.1"),
        ({"scope": "sentence"}, "verify_scope.*sentence"),
    ):
        asr = LadderASR(x, first, units)
        with pytest.raises(OptionsError, match=quote):
            v.verify(x, first, asr, **kw)
        assert asr.heard == []
    # 1.0: every word below it is unsure, both hums go one step down before the only check
    asr = LadderASR(x, first, units)
    out = v.verify(x, first, asr, rounds=1, min_probability=1.0)
    assert asr.heard == [(2, 2), (1, 1)]
    assert out.plan == v.at_levels(first.plan, units, np.array([1, 1]))


def test_verify_returns_the_result_itself_when_nothing_changes(two):
    x, first, units = two
    # an unsure word, but the window scope finds no sped-up window near it: no re-render
    asr = LadderASR(x, first, units, extra=[Word("far", 30.0, 30.2, 0.1)])
    assert v.verify(x, first, asr, rounds=0, scope="window") is first
    asr = LadderASR(x, first, units)
    assert v.verify(x, first, asr, rounds=0, min_probability=0.0) is first
    assert asr.heard == [(2, 2)]
    with pytest.raises(OptionsError, match="42"):
        v.verify(x, first, 42)


def test_verify_renders_with_the_options_it_is_given(two):
    from audiosqueeze.render import RenderOptions

    x, first, units = two
    opts = RenderOptions(crossfade_ms=40.0)
    out = v.verify(x, first, LadderASR(x, first, units), 1, opts, min_probability=1.0)
    assert out.plan == v.at_levels(first.plan, units, np.array([1, 1]))
    assert np.array_equal(out.audio, render(x, out.plan, opts))
    assert not np.array_equal(out.audio, render(x, out.plan))


def test_verify_asks_nothing_when_every_stretch_is_already_1x():
    from types import SimpleNamespace

    class Never:
        def transcribe(self, samples):
            raise AssertionError("transcribed")

    result = SimpleNamespace(plan=plan_of(("stretch", 0, 16000, 16000, "speech")))
    assert v.verify(np.zeros(16000, np.float32), result, Never()) is result


def test_nearest_utterance_measures_in_fractions_of_a_sample():
    units = np.array([[0, 1, 0, 16000], [2, 3, 16001, 32000]])
    assert v.nearest_utterance(units, np.array([16000.9 / SR, 16000.1 / SR])).tolist() == [1, 0]


def test_at_levels_on_a_two_sample_stretch():
    p = plan_of(("stretch", 0, 2, 1, "speech"))
    out = v.at_levels(p, v.utterances(p), np.array([1]))
    assert out.edits[0].out_samples == 1  # 2 / 1.5 samples
    out = v.at_levels(p, v.utterances(p), np.array([2]))
    assert out.edits[0].out_samples == 2


def test_resolve_asr_loads_a_recogniser_by_name(monkeypatch):
    import audiosqueeze.asr

    loaded = []
    monkeypatch.setattr(audiosqueeze.asr, "load_asr", lambda name: loaded.append(name) or "R")
    assert v.resolve_asr("whisper-tiny.en") == "R" and loaded == ["whisper-tiny.en"]
    with pytest.raises(OptionsError, match="None"):
        v.resolve_asr(None)
