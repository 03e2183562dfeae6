"""Values a hostile user hands the library that once escaped as a bare Python error (or a silent
wrong answer): numbers too big for a float, time maps and plans with the wrong JSON types, inputs
that resample to nothing. Each now gives a correct result or one clear AudiosqueezeError that
quotes the value."""

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

import audiosqueeze as sq
from audiosqueeze import validate
from audiosqueeze.cli import main

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")
HUGE = 10**400  # an int no float holds: float(HUGE) raises OverflowError


@pytest.mark.parametrize(
    "make",
    [
        lambda: sq.compress(np.zeros(SR, np.float32), HUGE, sample_rate=SR),
        lambda: sq.compress(np.zeros(SR, np.float32), target_reduction=-HUGE, sample_rate=SR),
        lambda: sq.compress(np.zeros(SR, np.float32), 0.5, sample_rate=HUGE),
        lambda: sq.Stream(sample_rate=HUGE),
        lambda: sq.AnalyzeOptions(speech_threshold=HUGE),
        lambda: sq.PlanOptions(max_speed=HUGE),
        lambda: sq.RenderOptions(crossfade_ms=-HUGE),
        lambda: sq.tokens(HUGE, model="gemini"),
    ],
)
def test_ints_too_big_for_a_float_are_option_errors(make):
    with pytest.raises(sq.AudiosqueezeError, match="1000000000"):
        make()


@given(st.integers(min_value=2**1023, max_value=10**4000) | st.integers(max_value=-(2**1023)))
def test_number_of_any_int_is_a_value_or_an_error_quoting_it(value):
    try:
        validate.number("x", value, 0, 1)
    except sq.OptionsError as e:
        assert "x must be a number in [0, 1], got" in str(e) and len(str(e)) < 400
    else:
        pytest.fail(f"{value} accepted")


def test_an_int_python_will_not_print_is_still_a_clear_error():
    with pytest.raises(sq.OptionsError, match="rate must be a number.*int of 16610 bits"):
        validate.number("rate", 10**5000, 0, 1)  # repr() raises ValueError past 4300 digits


@pytest.mark.parametrize(
    ("src", "model", "quote"),
    [
        (1e308, "gemini", "1e\\+308 s is too long"),  # ceil(inf) raised OverflowError
        (5.0, ["gemini"], "\\['gemini'\\]"),  # unhashable: TypeError
        (5.0, sq.TokenProfile("x", 1e308), "too long"),
    ],
)
def test_token_counts_out_of_float_range_are_option_errors(src, model, quote):
    with pytest.raises(sq.OptionsError, match=quote):
        sq.tokens(src, model=model)


def test_numpy_integer_seconds_count_like_python_ones():
    assert sq.tokens(np.int64(60), model="gemini") == sq.tokens(60, model="gemini") == 1920


@pytest.mark.parametrize("tps", ["32", None, float("nan"), 0])
def test_token_profile_rates_must_be_positive_numbers(tps):
    with pytest.raises(sq.OptionsError, match="tokens_per_second"):
        sq.TokenProfile("x", tps)


@pytest.mark.parametrize(("n", "rate"), [(1, 384_000), (11, 384_000), (1, 44_100)])
def test_input_shorter_than_one_16k_sample_is_empty_audio(n, rate, tmp_path):
    # it was TimeMapError("time map has a repeated knot"), from the identity map of 0 samples
    x = np.full(n, 0.1, np.float32)
    with pytest.raises(sq.EmptyAudioError, match=f"{n} samples at {rate} Hz"):
        sq.compress(x, 0.5, sample_rate=rate, analyze_options=ENERGY)
    # every driver says the same: the analysis alone, and the two-pass target path
    with pytest.raises(sq.EmptyAudioError, match=f"{n} samples at {rate} Hz"):
        sq.analyze(x, ENERGY, sample_rate=rate)
    with pytest.raises(sq.EmptyAudioError, match=f"{n} samples at {rate} Hz"):
        sq.compress(x, sample_rate=rate, target_reduction=0.3, analyze_options=ENERGY)
    sf.write(tmp_path / "in.wav", x, rate)
    with pytest.raises(sq.EmptyAudioError, match=f"{n} samples at {rate} Hz"):
        sq.compress_file(tmp_path / "in.wav", tmp_path / "o.flac", timemap=tmp_path / "m.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]


def test_stream_command_writes_no_empty_file_for_an_input_of_no_16k_sample(tmp_path, capsys):
    sf.write(tmp_path / "in.wav", np.full(5, 0.1, np.float32), 384_000)
    code = main(["stream", str(tmp_path / "in.wav"), "-o", str(tmp_path / "o.flac"), "--fast"])
    err = capsys.readouterr().err
    assert code == 1 and "error: " in err and "no audio" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]  # was a 0-byte o.flac


def plan_json() -> dict:
    """A real plan (keep, cut pause, keep) as JSON."""
    x = np.concatenate([tone_(0.6), np.zeros(SR, np.float32), tone_(0.6)])
    d = sq.compress(x, 0.5, sample_rate=SR, analyze_options=ENERGY).plan.to_dict()
    assert {e["kind"] for e in d["edits"]} == {"keep", "shorten"}
    return d


def tone_(seconds: float) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * SR)) / SR)).astype(np.float32)


def _shorten(d):
    return next(e for e in d["edits"] if e["kind"] == "shorten")


def _keep(d):
    return next(e for e in d["edits"] if e["kind"] == "keep")


@pytest.mark.parametrize(
    ("change", "quote"),
    [
        # what each did before: render raised ValueError / TypeError / AssertionError or
        # MemoryError (3.6 TiB), or the plan was taken and gave a wrong or NaN answer later
        (lambda d: d["edits"][0].update(out_samples=-5), "out_samples.*got -5"),
        (lambda d: d["edits"][0].update(out_samples=5.5), "out_samples.*got 5.5"),
        (lambda d: _shorten(d).update(kind="mute", out_samples=10**12), "got out_samples=10"),
        (lambda d: _keep(d).update(out_samples=100), "keep edit.*got out_samples=100"),
        (lambda d: _shorten(d).update(head=10**6), "head must be.*got 1000000"),
        (lambda d: d.update(num_samples="abc"), "num_samples.*'abc'"),
        (lambda d: d.update(num_samples=d["num_samples"] + 1), "cover"),
        (lambda d: d.update(rate=float("nan")), "rate.*nan"),
        (lambda d: d.update(sample_rate=0), "sample_rate.*got 0"),
        (lambda d: d["edits"][0].update(segment=5), "segment.*got 5"),
        (lambda d: d["edits"][0].update(joined="no"), "joined"),
    ],
)
def test_a_plan_read_from_json_is_checked_before_rendering(change, quote):
    d = plan_json()
    x = np.zeros(d["num_samples"], np.float32)
    sq.render(x, sq.Plan.from_dict(d))  # the untouched plan renders
    change(d)
    with pytest.raises(sq.OptionsError, match=quote):
        sq.render(x, sq.Plan.from_dict(d))


def test_render_checks_a_plan_built_by_hand():
    from audiosqueeze.plan import Edit

    x = np.zeros(32000, np.float32)
    keep = Edit("keep", 0, 16000, 16000, "speech")
    short = sq.Plan((keep,), 32000, 1.0)  # covers half: the rest was silently dropped
    with pytest.raises(sq.OptionsError, match="cover 16000 samples but num_samples is 32000"):
        sq.render(x, short)
    joined = sq.Plan((Edit("keep", 0, 32000, 32000, "speech", 0, True),), 32000, 1.0)
    with pytest.raises(sq.OptionsError, match="edits\\[0\\].joined"):
        sq.render(x, joined)


@pytest.mark.parametrize("shape", [(1, 32000), (100, 0), (4000, 9)])
def test_channel_errors_quote_the_shape_given(shape):
    # compress quoted the shape of an empty slice: (0, 32000) for a (1, 32000) array
    with pytest.raises(sq.TooManyChannelsError, match=f"shape \\({shape[0]}, {shape[1]}\\)"):
        sq.compress(np.zeros(shape, np.float32), 0.5, sample_rate=SR)


def test_a_masked_array_is_refused_not_heard_unmasked():
    # the mask was ignored: the hidden samples (here NaN, or any value) were compressed
    x = np.ma.masked_array(np.zeros(32000, np.float32), mask=np.arange(32000) < 100)
    for src in (x, x[:, None]):
        with pytest.raises(sq.InvalidAudioError, match="masked array \\(100 samples masked\\)"):
            sq.compress(src, 0.5, sample_rate=SR)
        with pytest.raises(sq.InvalidAudioError, match="x.filled"):
            sq.Stream(0.5, sample_rate=SR).push(src)
    assert len(sq.compress(x.filled(0), 0.5, sample_rate=SR).audio) > 0


def test_a_time_map_refuses_masked_times_rather_than_mapping_hidden_ones():
    # the mask was dropped: the hidden values (here 99.0) were mapped as if shown
    tm = sq.TimeMap.from_knots([0, 16000, 48000], [0, 16000, 16000])
    t = np.ma.masked_array([0.5, 99.0], mask=[False, True])
    for method in (tm.to_original, tm.to_compressed, tm.to_original_samples):
        with pytest.raises(sq.TimeMapError, match="masked array \\(1 masked\\)"):
            method(t)
    assert tm.to_compressed(t.compressed()).tolist() == [0.5]


@pytest.mark.parametrize(
    ("src", "kwargs", "error", "quote"),
    [
        # a list was told "sample_rate applies to arrays only; files carry their own rate"
        ([0.1] * 1600, {"sample_rate": SR}, sq.InvalidAudioError, "from 'list': give a NumPy"),
        ((0.1, 0.2), {}, sq.InvalidAudioError, "from 'tuple'"),
        (7, {"sample_rate": SR}, sq.InvalidAudioError, "from 'int'"),
        ("", {}, sq.AudioFileNotFoundError, "'' \\(an empty path\\)"),  # was "'.' is a folder"
        (b"", {}, sq.EmptyAudioError, "<bytes>: zero bytes"),  # was "not a readable audio file"
        (bytearray(), {}, sq.EmptyAudioError, "zero bytes"),
    ],
)
def test_what_cannot_be_audio_is_named_for_what_it_is(src, kwargs, error, quote):
    with pytest.raises(error, match=quote):
        sq.compress(src, 0.5, **kwargs)
    with pytest.raises(error, match=quote):
        sq.load(src, **kwargs) if kwargs else sq.load(src)
