"""Scoring arithmetic on planted cases: WER/CER counts, bootstrap, hallucination, placement."""

import numpy as np
import pytest

pytest.importorskip("jiwer", reason="jiwer is in the [bench] extra")
pytest.importorskip("whisper_normalizer", reason="whisper-normalizer is in the [bench] extra")

from audiosqueeze import evaluate as ev  # noqa: E402
from audiosqueeze.asr import Word  # noqa: E402


def test_normalize_uses_whisper_rules():
    assert ev.normalize("Mr. Smith, colour!") == "mister smith color"
    assert ev.normalize("  HELLO   World.  ") == "hello world"


def test_word_counts_planted():
    c = ev.word_counts("a b c d", "a x c d e", normalized=True)
    assert c == ev.Counts(ref=4, hits=3, sub=1, dele=0, ins=1)
    assert c.errors == 2 and c.wer == 0.5
    d = ev.word_counts("one two three", "one three", normalized=True)
    assert (d.dele, d.sub, d.ins) == (1, 0, 0)


def test_word_counts_normalises_both_sides():
    assert ev.word_counts("The cat, Mr. Jones.", "the cat mister jones").errors == 0


def test_empty_reference_and_hypothesis():
    assert ev.word_counts("", "hello there", normalized=True) == ev.Counts(0, 0, 0, 0, 2)
    assert ev.word_counts("", "", normalized=True).wer == 0.0
    assert ev.word_counts("", "x", normalized=True).wer == 1.0
    assert ev.word_counts("a b", "", normalized=True) == ev.Counts(2, 0, 0, 2, 0)


def test_corpus_wer_is_pooled_not_averaged():
    a = ev.Counts(10, 9, 1, 0, 0)  # 10 %
    b = ev.Counts(2, 0, 2, 0, 0)  # 100 %
    assert ev.corpus([a, b]).wer == pytest.approx(3 / 12)


def test_char_counts():
    c = ev.char_counts("abc", "abd", normalized=True)
    assert (c.ref, c.sub, c.hits) == (3, 1, 2)


def test_bootstrap_identical_is_zero():
    base = [ev.Counts(10, 9, 1, 0, 0)] * 50
    assert ev.paired_bootstrap(base, base) == (0.0, 0.0, 0.0)


def test_bootstrap_constant_shift_is_exact():
    base = [ev.Counts(10, 10, 0, 0, 0)] * 40
    worse = [ev.Counts(10, 9, 1, 0, 0)] * 40
    d, lo, hi = ev.paired_bootstrap(base, worse)
    assert d == pytest.approx(0.1) and lo == pytest.approx(0.1) and hi == pytest.approx(0.1)


def test_bootstrap_interval_brackets_a_mixed_shift():
    base = [ev.Counts(10, 10, 0, 0, 0)] * 100
    worse = [ev.Counts(10, 8, 2, 0, 0)] * 50 + [ev.Counts(10, 10, 0, 0, 0)] * 50
    d, lo, hi = ev.paired_bootstrap(base, worse, resamples=4000, seed=1)
    assert d == pytest.approx(0.1)
    assert 0.05 < lo < d < hi < 0.15
    # a better method gives a negative delta
    d2, lo2, hi2 = ev.paired_bootstrap(worse, base)
    assert d2 == pytest.approx(-0.1) and hi2 < 0


def test_bootstrap_needs_paired_lists():
    with pytest.raises(ValueError, match="equally long"):
        ev.paired_bootstrap([ev.Counts(1, 1, 0, 0, 0)], [])


def test_insertions_at_gaps():
    ref = "one two three four"
    hyp = "thanks for watching one two three four bye"
    assert ev.insertions_at(ref, hyp, [0, 2, 4]) == [3, 0, 1]
    assert ev.insertions_at(ref, "one two you three four", [2]) == [1]
    assert ev.insertions_at("", "you", [0]) == [1]


def test_ngram_loops_and_loop_words():
    words = ["i", "think", "i", "think", "i", "think", "i", "think", "that", "is", "it"]
    assert ev.ngram_loops(words) == [(2, 0, 4)]
    assert ev.ngram_loops(["no", "loop", "here", "at", "all"]) == []
    assert ev.ngram_loops(["a", "a", "a", "b"]) == [(1, 0, 3)]
    assert ev.ngram_loops(["a", "a", "b"]) == []
    assert ev.loop_words("i think that is it", "i think i think i think that is it") == 4
    # a loop the reference itself contains is not a hallucination
    assert ev.loop_words("no no no", "no no no") == 0


def test_error_positions_place_errors_by_word_time():
    ref = "a b c d"
    hyp = "a x c d e"
    times = np.array([0.5, 1.5, 2.5, 3.5, 4.5])
    pos = ev.error_positions(ref, hyp, times)
    assert sorted(pos) == [("insert", 4.5), ("substitute", 1.5)]
    dele = ev.error_positions("a b c", "a c", np.array([1.0, 3.0]))
    assert dele == [("delete", 2.0)]


def test_in_intervals():
    iv = np.array([[1.0, 2.0], [5.0, 6.0]])
    got = ev.in_intervals(np.array([0.5, 1.0, 1.99, 2.0, 5.5, 7.0]), iv)
    assert got.tolist() == [False, True, True, False, True, False]
    assert not ev.in_intervals(np.array([1.0]), np.zeros((0, 2))).any()


def test_word_times_follow_the_normaliser():
    text, times = ev.word_times([Word("Mr.", 0.0, 1.0), Word("Smith", 1.0, 2.0)])
    assert text == "mister smith" and times.tolist() == [0.5, 1.5]


def test_matched_start_errors_planted_shift():
    orig = [Word("the", 0.0, 0.2), Word("cat", 0.3, 0.6), Word("sat", 0.7, 1.0)]
    mapped = [Word("The", 0.05, 0.2), Word("cat", 0.3, 0.6), Word("mat", 0.9, 1.0)]
    err = ev.matched_start_errors(orig, mapped)
    assert np.allclose(sorted(err), [0.0, 0.05])  # "mat" does not match "sat"
    assert len(ev.matched_start_errors([], mapped)) == 0


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_words = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(_words, _words)
def test_counts_add_up(ref, hyp):
    c = ev.word_counts(" ".join(ref), " ".join(hyp), normalized=True)
    assert c.hits + c.sub + c.dele == len(ref)
    assert c.hits + c.sub + c.ins == len(hyp)
    at = ev.insertions_at(" ".join(ref), " ".join(hyp), list(range(len(ref) + 1)))
    assert sum(at) == c.ins


@settings(max_examples=200, deadline=None)
@given(_words)
def test_loops_are_real_and_disjoint(words):
    end = -1
    for n, start, reps in ev.ngram_loops(words):
        assert start > end and reps >= 3
        gram = words[start : start + n]
        assert all(words[start + k * n : start + (k + 1) * n] == gram for k in range(reps))
        end = start + n * reps - 1


def test_long_phrase_loops_are_found():
    """A Whisper loop seen in the long-form results: a 5-word phrase said five times."""
    hyp = "the boy answered " + "i have raised it up " * 5 + "sadly"
    assert ev.ngram_loops(hyp.split()) == [(5, 3, 5)]
    assert ev.loop_words("the boy answered sadly", hyp) == 20
