"""Scoring arithmetic with planted answers: empty sides, bootstrap intervals whose resamples
take a few known values, loops at their limits, errors placed at the ends of a transcript."""

import dataclasses
import math

import numpy as np
import pytest

pytest.importorskip("jiwer", reason="jiwer is in the [bench] extra")
pytest.importorskip("whisper_normalizer", reason="whisper-normalizer is in the [bench] extra")

from audiosqueeze import evaluate as ev  # noqa: E402
from audiosqueeze.asr import Word  # noqa: E402

C = ev.Counts


# -- counts ------------------------------------------------------------------------------------
def test_counts_arithmetic():
    a, b = C(4, 2, 1, 1, 3), C(6, 5, 0, 1, 0)
    assert (a.errors, a.wer) == (5, 1.25)  # insertions can push WER past 1
    assert a + b == C(10, 7, 1, 2, 3) and (a + b).astuple() == (10, 7, 1, 2, 3)
    assert ev.corpus([]) == C(0, 0, 0, 0, 0) and ev.corpus([a]) == a
    assert C(0, 0, 0, 0, 0).wer == 0.0 and C(0, 0, 0, 0, 3).wer == 1.0


def test_char_counts_count_characters_and_spaces():
    assert ev.char_counts("ab cd", "ab cd", normalized=True) == C(5, 5, 0, 0, 0)
    assert ev.char_counts("ab", "abcd", normalized=True) == C(2, 2, 0, 0, 2)
    assert ev.char_counts("", "a b", normalized=True) == C(0, 0, 0, 0, 3)
    assert ev.char_counts("Mr.", "mister").errors == 0  # normalised unless told otherwise
    assert ev.char_counts("Mr.", "mister", normalized=True).errors > 0


def test_word_counts_when_already_normalised_are_not_normalised_again():
    assert ev.word_counts("Mr. Smith", "mister smith", normalized=True).sub == 2
    assert ev.word_counts("uh hello", "hello") == C(1, 1, 0, 0, 0)  # fillers dropped first


# -- bootstraps --------------------------------------------------------------------------------
# Two items, so a resample holds item 0 twice (1/4), item 1 twice (1/4) or one of each (1/2):
# the 2.5 % and 97.5 % percentiles are the two "twice" values.


def test_paired_bootstrap_of_two_items():
    base = [C(10, 10, 0, 0, 0), C(10, 10, 0, 0, 0)]
    other = [C(10, 8, 2, 0, 0), C(10, 10, 0, 0, 0)]
    assert ev.paired_bootstrap(base, other) == pytest.approx((0.1, 0.0, 0.2))
    assert ev.paired_bootstrap(other, base) == pytest.approx((-0.1, -0.2, 0.0))


def test_paired_bootstrap_weights_by_reference_words():
    base = [C(30, 30, 0, 0, 0), C(10, 10, 0, 0, 0)]
    other = [C(30, 27, 3, 0, 0), C(10, 10, 0, 0, 0)]
    d, lo, hi = ev.paired_bootstrap(base, other)
    assert d == pytest.approx(3 / 40) and (lo, hi) == pytest.approx((0.0, 0.1))


def test_paired_bootstrap_without_reference_words_counts_errors():
    d, lo, hi = ev.paired_bootstrap([C(0, 0, 0, 0, 0)] * 3, [C(0, 0, 0, 0, 2)] * 3)
    assert (d, lo, hi) == (6.0, 6.0, 6.0)  # errors over max(words, 1)


@pytest.mark.parametrize(
    "fn", [ev.paired_bootstrap, ev.bootstrap_ratio, ev.paired_bootstrap_change]
)
def test_bootstraps_need_two_equally_long_non_empty_lists(fn):
    one = [C(1, 1, 0, 0, 0)] if fn is ev.paired_bootstrap else [1.0]
    for a, b in ((one, one * 2), (one * 2, one), ([], [])):
        with pytest.raises(ValueError, match="equally long"):
            fn(a, b)


def test_paired_bootstrap_change_needs_a_matching_denominator():
    with pytest.raises(ValueError, match="equally long"):
        ev.paired_bootstrap_change([1, 2], [1, 2], [1])


def test_bootstrap_ratio_of_two_items():
    assert ev.bootstrap_ratio([1, 0], [2, 2]) == pytest.approx((0.25, 0.0, 0.5))
    assert ev.bootstrap_ratio([3, 1], [1, 1]) == pytest.approx((2.0, 1.0, 3.0))
    assert ev.bootstrap_ratio([1], [0]) == (1e12, 1e12, 1e12)  # a zero denominator: no crash


def test_bootstrap_is_repeatable_and_its_seed_matters():
    rng = np.random.default_rng(5)
    num, den = rng.random(30), rng.random(30) + 0.5
    assert ev.bootstrap_ratio(num, den, seed=3) == ev.bootstrap_ratio(num, den, seed=3)
    assert ev.bootstrap_ratio(num, den, seed=3) != ev.bootstrap_ratio(num, den, seed=4)
    lo, hi = ev.bootstrap_ratio(num, den, resamples=5000)[1:]
    assert lo < num.sum() / den.sum() < hi


def test_paired_bootstrap_change_difference_per_denominator():
    # other - base over den: resamples 4/4 = 1 (item 0 twice), 0 (item 1 twice), 2/4 (mixed)
    assert ev.paired_bootstrap_change([1, 0], [3, 0], [2, 2]) == pytest.approx((0.5, 0.0, 1.0))
    # den defaults to one per item
    assert ev.paired_bootstrap_change([1, 0], [3, 0]) == pytest.approx((1.0, 0.0, 2.0))


def test_paired_bootstrap_change_relative():
    assert ev.paired_bootstrap_change([2, 2], [1, 1], relative=True) == pytest.approx(
        (0.5, 0.5, 0.5)
    )
    # item 1 has no base: its "twice" resamples are left out, the others remove 1/2 or 3/4
    d, lo, hi = ev.paired_bootstrap_change([4, 0], [2, 0], relative=True)
    assert (d, lo, hi) == pytest.approx((0.5, 0.5, 0.5))
    d, lo, hi = ev.paired_bootstrap_change([4, 4], [1, 3], relative=True)
    assert (d, lo, hi) == pytest.approx((0.5, 0.25, 0.75))
    # a base that sums to 0: nothing to remove a share of
    assert all(math.isnan(x) for x in ev.paired_bootstrap_change([0, 0], [1, 0], relative=True))
    # more than before: a negative share
    assert ev.paired_bootstrap_change([1, 1], [2, 2], relative=True)[0] == pytest.approx(-1.0)


# -- alignment and placement ------------------------------------------------------------------
def test_alignment_of_an_empty_reference_is_one_insertion():
    (ch,) = ev.alignment("", "a b c")
    assert (ch.type, ch.ref_start_idx, ch.ref_end_idx, ch.hyp_start_idx, ch.hyp_end_idx) == (
        "insert",
        0,
        0,
        0,
        3,
    )
    assert ev.alignment("", "") == []
    assert ev.insertions_at("", "a b c", [0, 1]) == [3, 0]


def test_deletions_at_the_ends_take_the_nearest_word_time():
    times = np.array([1.0, 2.0])
    assert ev.error_positions("a b c d", "b c", times) == [("delete", 1.0), ("delete", 2.0)]
    assert ev.error_positions("a b c d", "a b", times) == [("delete", 2.0)] * 2
    assert ev.error_positions("a b", "", np.zeros(0)) == []  # no word to place them by
    assert ev.error_positions("a", "a x y", np.array([0.0, 5.0, 7.0])) == [
        ("insert", 5.0),
        ("insert", 7.0),
    ]


def test_word_times_split_and_drop_as_the_normaliser_does():
    words = [Word("won't", 0.0, 2.0), Word("uh", 2.0, 3.0), Word("go", 3.0, 4.0)]
    text, times = ev.word_times(words)
    assert text == "will not go" and times.tolist() == [1.0, 1.0, 3.5]


def test_matched_start_errors_skip_words_the_normaliser_drops_or_splits():
    ref = [Word("uh", 0.0, 0.1), Word("I", 0.2, 0.3), Word("won't", 0.4, 0.5), Word("go", 1.0, 1.2)]
    hyp = [Word("i", 0.25, 0.3), Word("won't", 0.9, 1.0), Word("go", 1.5, 1.6)]
    assert ev.matched_start_errors(ref, hyp).tolist() == pytest.approx([0.05, 0.5])
    assert len(ev.matched_start_errors([Word("uh", 0, 1)], hyp)) == 0


# -- loops -------------------------------------------------------------------------------------
def test_loops_at_the_phrase_length_limit():
    eight = [f"w{i}" for i in range(8)]
    assert ev.ngram_loops(eight * 3) == [(8, 0, 3)]
    assert ev.ngram_loops(eight + ["x"]) == []
    nine = [f"w{i}" for i in range(9)]
    assert ev.ngram_loops(nine * 3) == []
    assert ev.ngram_loops(nine * 3, max_n=9) == [(9, 0, 3)]


def test_loops_at_the_repeat_limit_and_the_end():
    assert ev.ngram_loops(["a", "a"]) == []
    assert ev.ngram_loops(["a", "a"], min_repeats=2) == [(1, 0, 2)]
    assert ev.ngram_loops(["x", "a", "b", "a", "b", "a", "b", "a"]) == [(2, 1, 3)]
    assert ev.ngram_loops(["x", "y", "a", "a", "a"]) == [(1, 2, 3)]  # ends at the last word
    # two loops back to back, each counted once
    assert ev.ngram_loops(["a"] * 3 + ["b"] * 4) == [(1, 0, 3), (1, 3, 4)]


def test_loop_words_count_the_repeats_beyond_the_first():
    assert ev.loop_words("go", "go go go go") == 3
    assert ev.loop_words("", "a b a b a b c c c") == 4 + 2
    assert ev.loop_words("c c c", "a b a b a b c c c") == 4  # the reference says c c c


# -- intervals ---------------------------------------------------------------------------------
def test_flat_spans_are_what_a_cut_removed():
    o, c = np.array([0, 10, 20, 30, 50]), np.array([0, 0, 10, 10, 30])
    assert ev.flat_spans(o, c).tolist() == [[0, 10], [20, 30]]
    assert ev.flat_spans(np.array([0, 10]), np.array([0, 10])).shape == (0, 2)


def test_overlap_of_interval_sets():
    a = np.array([[0, 10], [20, 30]])
    assert ev.overlap(a, a) == 20
    assert ev.overlap(a, np.array([[10, 20]])) == 0  # touching is not sharing
    assert ev.overlap(a, np.array([[-5, 100]])) == 20
    assert ev.overlap(a, np.zeros((0, 2))) == ev.overlap(np.zeros((0, 2)), a) == 0


def test_in_intervals_before_the_first_and_between():
    iv = np.array([[1.0, 2.0], [5.0, 6.0]])
    assert ev.in_intervals(np.array([-1.0, 0.99, 3.0, 5.0, 6.0]), iv).tolist() == [
        False,
        False,
        False,
        True,
        False,
    ]


def test_denominators_below_one_are_not_floored():
    # words per minute over clips of a quarter minute each
    assert ev.bootstrap_ratio([1, 1], [0.25, 0.25]) == pytest.approx((4.0, 4.0, 4.0))
    assert ev.paired_bootstrap_change([0, 0], [1, 1], [0.25, 0.25]) == pytest.approx(
        (4.0, 4.0, 4.0)
    )


def test_a_relative_change_on_a_base_below_one():
    # e.g. hallucinated words per minute: a base that sums to 0.5 still has a share removed
    got = ev.paired_bootstrap_change([0.25, 0.25], [0.125, 0.125], relative=True)
    assert got == pytest.approx((0.5, 0.5, 0.5))


# -- each end of the interval, against the exact resample distribution --------------------------
# With m hits among n items (den one per item), the hits a resample draws are Binomial(n, m/n),
# so the 2.5 % and 97.5 % ends are binomial quantiles over n. n=11, m=3 puts a step of the
# distribution between 2.5 % and 3.5 % (P(0) = 0.030); n=7, m=4 one between 97.5 % and 98.5 %
# (P(7) = 0.020). 20000 resamples keep the drawn shares well inside those gaps.


def _binomial_quantile(n, m, q):
    p, cdf = m / n, 0.0
    for k in range(n + 1):
        cdf += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if cdf >= q:
            return k
    return n


def _hits_interval(fn, hits):
    n = len(hits)
    if fn is ev.paired_bootstrap:
        base = [C(1, 1, 0, 0, 0)] * n
        return fn(base, [C(1, 1 - h, h, 0, 0) for h in hits], resamples=20000)
    if fn is ev.bootstrap_ratio:
        return fn(hits, [1] * n, resamples=20000)
    return fn([0] * n, hits, resamples=20000)


@pytest.mark.parametrize(
    "fn", [ev.paired_bootstrap, ev.bootstrap_ratio, ev.paired_bootstrap_change]
)
def test_interval_ends_are_the_2_5_and_97_5_percentiles(fn):
    point, lo, _ = _hits_interval(fn, [1] * 3 + [0] * 8)
    assert point == pytest.approx(3 / 11)
    assert lo == pytest.approx(_binomial_quantile(11, 3, 0.025) / 11) == 0.0
    _, _, hi = _hits_interval(fn, [1] * 4 + [0] * 3)
    assert hi == pytest.approx(_binomial_quantile(7, 4, 0.975) / 7) == pytest.approx(6 / 7)


@pytest.mark.parametrize(
    "fn", [ev.paired_bootstrap, ev.bootstrap_ratio, ev.paired_bootstrap_change]
)
def test_bootstrap_defaults_are_the_quoted_2000_resamples_with_seed_0(fn):
    # reports quote intervals from the defaults; a changed default would change them silently
    rng = np.random.default_rng(7)
    ref, err = rng.integers(5, 40, 30), rng.integers(0, 9, 30)
    if fn is ev.paired_bootstrap:
        args = (
            [C(int(r), int(r), 0, 0, 0) for r in ref],
            [C(int(r), int(r), 0, 0, int(e)) for r, e in zip(ref, err, strict=True)],
        )
    else:
        args = (rng.random(30), rng.random(30) + 0.5)
    assert fn(*args) == fn(*args, resamples=2000, seed=0)
    assert fn(*args) != fn(*args, resamples=2001, seed=0) != fn(*args, seed=1)  # they can tell


def test_counts_are_immutable_and_hashable():
    c = C(3, 2, 1, 0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.ref = 4
    assert {c, C(3, 2, 1, 0, 0)} == {c}


def test_a_run_of_one_repeat_each():
    # min_repeats=1: every word is a run; nothing is reported past the last word
    assert ev.ngram_loops(["a", "a", "b"], min_repeats=1) == [(1, 0, 2), (1, 2, 1)]


def test_flat_spans_of_one_sample_and_of_repeated_knots():
    assert ev.flat_spans(np.array([0, 1, 2]), np.array([0, 0, 1])).tolist() == [[0, 1]]
    # a knot given twice is no span of its own
    assert ev.flat_spans(np.array([0, 10, 10, 20]), np.array([0, 0, 0, 10])).tolist() == [[0, 10]]


def test_matched_start_errors_after_a_mismatch():
    ref = [Word("a", 0.0, 0.1), Word("b", 1.0, 1.1), Word("c", 2.0, 2.1)]
    hyp = [Word("x", 0.0, 0.1), Word("b", 1.25, 1.3), Word("c", 2.5, 2.6)]
    assert ev.matched_start_errors(ref, hyp).tolist() == pytest.approx([0.25, 0.5])
