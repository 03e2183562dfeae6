import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from audiosqueeze.units import ms_to_samples, to_samples, to_seconds


def _numpy_samples(seconds, rate):
    return int(np.rint(np.asarray(seconds, np.float64) * rate).astype(np.int64))


@settings(max_examples=300, deadline=None)
@given(
    seconds=st.floats(-1e6, 1e6, allow_nan=False)
    | st.integers(-(10**6), 10**6).map(lambda n: n / 32000),  # exact halves of a sample
    rate=st.sampled_from([8000, 16000, 22050, 44100, 48000]),
)
def test_scalar_to_samples_is_numpys_rint_to_the_bit(seconds, rate):
    got = to_samples(seconds, rate)
    assert type(got) is int
    assert got == _numpy_samples(seconds, rate)


def test_to_samples_rounds_halves_to_even_and_keeps_arrays_and_odd_inputs_on_numpy():
    assert [to_samples(x / 16000) for x in (0.5, 1.5, 2.5, -0.5, -1.5)] == [0, 2, 2, 0, -2]
    assert ms_to_samples(64) == 1024 and ms_to_samples(0.03125) == 0
    arr = to_samples(np.array([0.5, 1.5]) / 16000)
    assert arr.dtype == np.int64 and arr.tolist() == [0, 2]
    assert to_samples(np.float32(0.25)) == 4000  # numpy scalars take numpy's path
    with np.errstate(invalid="ignore"):  # out of range: numpy's cast, as before
        assert to_samples(1e300) == _numpy_samples(1e300, 16000)


@settings(max_examples=300, deadline=None)
@given(samples=st.integers(-(2**60), 2**60), rate=st.sampled_from([8000, 16000, 48000]))
def test_scalar_to_seconds_is_numpys_quotient_to_the_bit(samples, rate):
    got = to_seconds(samples, rate)
    assert type(got) is float
    assert got == float(np.asarray(samples, np.float64) / rate)


def test_to_seconds_past_2_53_samples_is_numpys_quotient_not_pythons_exact_one():
    # past 2**53 an int is rounded to float64 first (numpy's way); Python's int / int divides
    # exactly and differs in the last bit for these
    for samples in (2**53 + 3, 2**53 + 7, -(2**53 + 13), 2**60 + 1):
        got = to_seconds(samples, 16000)
        assert type(got) is float
        assert got == float(np.asarray(samples, np.float64) / 16000)
    assert to_seconds(2**53 + 3) == 562949953421.3123  # not 562949953421.3121


def test_to_samples_past_int64_is_numpys_cast_not_a_python_bigint():
    with np.errstate(invalid="ignore"):
        for seconds in (1e15, -1e15, 3e17):  # 1.6e19 samples: past int64, under 3**62
            assert to_samples(seconds) == _numpy_samples(seconds, 16000)
