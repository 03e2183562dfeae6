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
