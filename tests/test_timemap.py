import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiosqueeze.errors import TimeMapError
from audiosqueeze.timemap import TimeMap
from audiosqueeze.transcript import Word

# 1 s kept, 2 s cut, 1 s kept, then 2 s of input stretched into 1 s
TM = TimeMap.from_knots([0, 16000, 48000, 64000, 96000], [0, 16000, 16000, 32000, 48000])


@pytest.mark.parametrize(
    ("original_s", "compressed_s"),
    [
        (0.0, 0.0),
        (0.5, 0.5),
        (1.0, 1.0),
        (2.0, 1.0),
        (3.0, 1.0),
        (3.5, 1.5),
        (5.0, 2.5),
        (6.0, 3.0),
    ],
)
def test_to_compressed_planted(original_s, compressed_s):
    assert TM.to_compressed(original_s) == pytest.approx(compressed_s)


@pytest.mark.parametrize(
    ("compressed_s", "original_s"), [(0.5, 0.5), (1.0, 3.0), (1.5, 3.5), (2.5, 5.0), (3.0, 6.0)]
)
def test_to_original_planted(compressed_s, original_s):
    assert TM.to_original(compressed_s) == pytest.approx(original_s)


def test_vectorised_and_clamped():
    out = TM.to_original(np.array([-1.0, 0.25, 99.0]))
    assert out.tolist() == pytest.approx([0.0, 0.25, 6.0])


def test_remap_words():
    words = [Word("hello", 0.1, 0.4, 0.9), Word("world", 1.1, 1.5, 0.8)]
    got = TM.remap_words(words)
    assert [w.text for w in got] == ["hello", "world"]
    assert [w.probability for w in got] == [0.9, 0.8]
    assert [(w.start_s, w.end_s) for w in got] == [
        (pytest.approx(0.1), pytest.approx(0.4)),
        (pytest.approx(3.1), pytest.approx(3.5)),
    ]
    assert TM.remap_words([]) == ()


@pytest.mark.parametrize(
    ("start_s", "end_s", "original"),
    [
        (0.5, 1.0, (0.5, 1.0)),  # ends at the cut: before the 2 s removed, not after them
        (1.0, 1.5, (3.0, 3.5)),  # starts at the cut: after them
        (0.5, 1.5, (0.5, 3.5)),  # spans the cut: spans the pause
        (1.0, 1.0, (3.0, 3.0)),  # a point at the cut stays a point (never end < start)
        (2.0, 2.5, (4.0, 5.0)),  # at the stretch's knot: continuous, either side the same
    ],
)
def test_a_word_that_ends_at_a_cut_ends_before_the_removed_audio(start_s, end_s, original):
    (w,) = TM.remap_words([Word("w", start_s, end_s)])
    assert (w.start_s, w.end_s) == pytest.approx(original)


def test_json_round_trip():
    back = TimeMap.from_json(TM.to_json())
    assert np.array_equal(back.original, TM.original) and np.array_equal(
        back.compressed, TM.compressed
    )


@pytest.mark.parametrize(
    ("orig", "comp", "quote"),
    [
        ([0, 10, 5], [0, 10, 20], "non-decreasing"),
        ([0], [0], "length >= 2"),
        ([0, 10, 10], [0, 5, 5], "repeated"),
        ([-5, 10], [0, 5], "starts at"),
        ([0, 10], [3, 5], "starts at"),
    ],
)
def test_invalid_maps(orig, comp, quote):
    with pytest.raises(TimeMapError, match=quote):
        TimeMap.from_knots(orig, comp)


def test_from_dict_rejects_garbage():
    with pytest.raises(TimeMapError, match="not a time map"):
        TimeMap.from_dict({"original": [0, 1]})


MAP = {"original": [0, 16000], "compressed": [0, 8000]}


@pytest.mark.parametrize(
    ("changes", "quote"),
    [
        # each of these was accepted: a map whose times came out NaN, negative or wrong
        ({"sample_rate": 0}, "sample_rate must be a number in \\[1000, 384000\\], got 0"),
        ({"sample_rate": -16000}, "got -16000"),
        ({"sample_rate": "16000"}, "got '16000'"),
        ({"sample_rate": 16000.9}, "whole number of Hz, got 16000.9"),
        ({"sample_rate": True}, "got True"),
        ({"original": [0, 1.7, 5], "compressed": [0, 1, 2]}, "whole numbers.*1.7"),
        ({"original": ["0", "16000"]}, "whole numbers.*'16000'"),
        ({"original": [False, True], "compressed": [False, True]}, "whole numbers.*True"),
    ],
)
def test_json_maps_with_wrong_types_are_time_map_errors(changes, quote):
    with pytest.raises(TimeMapError, match=quote):
        TimeMap.from_json(__import__("json").dumps({**MAP, **changes}))


def test_integral_floats_and_numpy_knots_still_load():
    tm = TimeMap.from_dict({"original": [0, 16000.0], "compressed": np.array([0, 8000], "u2")})
    assert tm.original.tolist() == [0, 16000] and tm.original.dtype == np.int64
    assert tm.to_original(0.25) == 0.5


@pytest.mark.parametrize(
    "make",
    [
        lambda: TimeMap.from_knots([0, 2**64], [0, 1]),  # OverflowError
        lambda: TimeMap([0, 1], [0, 1], "16000"),  # AttributeError: list has no .shape
        lambda: TimeMap.from_knots([0, 10], [0, 5], 0),  # divided by zero: NaN times
    ],
)
def test_bad_knots_and_rates_from_python_are_time_map_errors(make):
    with pytest.raises(TimeMapError):
        make()


@pytest.mark.parametrize(
    ("times", "quote"),
    [
        (None, "got None"),  # was nan
        (float("nan"), "got nan"),  # was nan
        ([0.5, None], "None"),  # was [0.5, nan]
        ("1.5", "'1.5'"),  # a string was read as a number
        ("abc", "'abc'"),  # ValueError
        (1 + 2j, "1\\+2j"),  # TypeError
    ],
)
def test_times_that_are_not_numbers_are_time_map_errors(times, quote):
    for f in (TM.to_original, TM.to_compressed, TM.to_original_samples):
        with pytest.raises(TimeMapError, match=quote):
            f(times)


@pytest.mark.parametrize(
    ("words", "quote"),
    [
        (None, "iterable of Word, got None"),  # TypeError
        ("hi", "Word objects, got 'h'"),  # AttributeError
        ([{"text": "hi", "start_s": 1.0, "end_s": 2.0}], "Word objects"),  # AttributeError
        ([Word("hi", float("nan"), 1.0)], "start_s.*nan"),  # was start_s=nan
        ([Word("hi", 1.0, "2")], "end_s.*'2'"),  # was read as 2.0
    ],
)
def test_remap_words_takes_words_with_numeric_times(words, quote):
    with pytest.raises(TimeMapError, match=quote):
        TM.remap_words(words)


@st.composite
def maps(draw):
    """Random maps made of keep / cut / stretch pieces, like the renderer builds them."""
    orig, comp = [0], [0]
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["keep", "cut", "stretch"]))
        n = draw(st.integers(10, 5000))
        if kind == "keep":
            orig.append(orig[-1] + n)
            comp.append(comp[-1] + n)
        elif kind == "cut":
            orig.append(orig[-1] + n)
            comp.append(comp[-1])
            orig.append(orig[-1] + 10)  # a kept tail after each cut
            comp.append(comp[-1] + 10)
        else:
            orig.append(orig[-1] + n)
            comp.append(comp[-1] + max(1, int(n / draw(st.floats(1.0, 2.0)))))
    return TimeMap.from_knots(orig, comp)


@given(maps(), st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_monotone_and_round_trips(tm, fracs):
    c = np.sort(np.array(fracs) * tm.compressed_samples)
    o = tm.to_original_samples(c)
    assert np.all(np.diff(o) >= 0)  # monotone
    assert np.all((o >= 0) & (o <= tm.original_samples))  # every compressed sample has a source
    assert np.allclose(tm.to_compressed_samples(o), c, atol=1.0)  # round trip within one sample


@given(maps())
def test_kept_samples_round_trip(tm):
    # every knot of the original that starts a kept/stretched piece maps there and back exactly
    for i in range(len(tm.original) - 1):
        if tm.compressed[i + 1] > tm.compressed[i]:
            o = np.linspace(tm.original[i], tm.original[i + 1] - 1, 7)
            back = tm.to_original_samples(tm.to_compressed_samples(o))
            assert np.allclose(back, o, atol=1.0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.one_of(
    json_values.map(lambda v: __import__("json").dumps(v)),
    st.fixed_dictionaries({"original": json_values, "compressed": json_values,
                           "sample_rate": json_values}).map(lambda d: __import__("json").dumps(d)),
    st.text(max_size=40),
))  # fmt: skip
def test_from_json_of_anything_is_a_time_map_or_a_time_map_error(text):
    try:
        tm = TimeMap.from_json(text)
    except TimeMapError:
        return
    assert tm.original_samples >= 0 and len(tm.original) == len(tm.compressed) >= 2


@pytest.mark.parametrize(
    ("orig", "comp", "message"),
    [
        ([-5, 10], [0, 5], "a time map starts at (0, 0), got (-5, 0)"),
        ([0, 10], [3, 5], "a time map starts at (0, 0), got (0, 3)"),
    ],
)
def test_a_map_not_starting_at_zero_quotes_its_first_knot(orig, comp, message):
    with pytest.raises(TimeMapError) as e:
        TimeMap.from_knots(orig, comp)
    assert str(e.value) == message


def test_maps_compare_by_rate_and_knots():
    tm = TM
    assert (TimeMap.from_json(tm.to_json()) == tm) is True
    orig, comp = tm.original.tolist(), tm.compressed.tolist()
    for other in (
        TimeMap(orig, comp, 8000),
        TimeMap.from_knots(orig, comp[:-1] + [40000]),
        TimeMap.from_knots(orig[:-1] + [90000], comp),
        "a time map",
        None,
    ):
        assert (tm == other) is False, other


def test_a_map_cannot_be_changed_in_place():
    with pytest.raises(ValueError, match="read-only"):
        TM.original[1] = 0
    with pytest.raises(ValueError, match="read-only"):
        TM.compressed[1] = 0
    with pytest.raises(AttributeError):
        TM.sample_rate = 8000
    assert TM.to_original(1.0) == 3.0


def test_identity_maps_every_time_to_itself():
    tm = TimeMap.identity(32000)
    assert tm == TimeMap.from_knots([0, 32000], [0, 32000])
    assert tm.to_original([0.0, 0.75, 2.0]).tolist() == [0.0, 0.75, 2.0]
    assert TimeMap.identity(8000, 8000).to_compressed(0.5) == 0.5


def test_lengths_are_the_last_knots():
    assert (TM.original_samples, TM.compressed_samples) == (96000, 48000)
    assert TimeMap.identity(5).compressed_samples == 5


@pytest.mark.parametrize(
    ("load", "message"),
    [
        # a TimeMapError from the knots is passed on as it is, not wrapped a second time
        (lambda: TimeMap.from_dict({"original": [1, 2], "compressed": [0, 1]}),
         "a time map starts at (0, 0), got (1, 0)"),
        (lambda: TimeMap.from_json("[0, 1]"), "not a time map: expected a JSON object, got list"),
        (lambda: TimeMap.from_knots([0, 2.0**63], [0, 1]),
         "original knots must fit in 64 bits, got [0, 9.223372036854776e+18]"),
        (lambda: TimeMap.from_knots([0, 1], np.array([0, 2**63], np.uint64)),
         "compressed knots must fit in 64 bits, got array([  "),
    ],
)  # fmt: skip
def test_load_errors_are_exact(load, message):
    with pytest.raises(TimeMapError) as e:
        load()
    assert str(e.value).startswith(message)


def test_ragged_knots_and_times_are_time_map_errors():
    with pytest.raises(TimeMapError, match="original knots must be a list of whole samples"):
        TimeMap.from_knots([[0, 1], [2]], [0, 1])
    with pytest.raises(TimeMapError, match="times must be numbers"):
        TM.to_original([[0.5], [1.0, 2.0]])


def test_knots_up_to_int64_load_exactly():
    big = 2**63 - 1
    tm = TimeMap.from_knots([0, 2.0**62], np.array([0, big], np.uint64))
    assert (tm.original_samples, tm.compressed_samples) == (2**62, big)


def test_the_callers_knot_arrays_stay_theirs():
    # the map kept the caller's int64 array and made it read-only
    orig, comp = np.array([0, 16000, 48000]), np.array([0, 16000, 16000])
    tm = TimeMap(orig, comp)
    orig[1] = comp[1] = 8000  # still writable, and the map does not change with them
    assert tm.to_compressed(1.0) == 1.0 and tm.original.tolist() == [0, 16000, 48000]


def test_interpolation_inside_a_one_sample_piece():
    tm = TimeMap.from_knots([0, 1, 16001], [0, 1, 8001])
    assert tm.to_compressed_samples(0.5) == 0.5 and tm.to_original_samples(0.5) == 0.5


def test_the_end_of_a_map_ending_in_a_cut_maps_to_a_time_not_nan():
    tm = TimeMap.from_knots([0, 100, 200], [0, 100, 100])
    got = tm.to_original_samples(np.array([100.0, 150.0]))
    assert np.all((got >= 100) & (got <= 200)), got
