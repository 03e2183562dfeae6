"""The push-based core: any chunking of the input gives the bytes compress() and compress_file()
give; the stream's time map and latency are what the docs say."""

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audiosqueeze as sq
from audiosqueeze.cli.stream import Latency, chunks_of, run_stream
from audiosqueeze.render import CONTEXT_SAMPLES
from conftest import needs_silero, silence, tone

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")


def run_chunked(x, cuts, **kw):
    s = sq.Stream(**kw)
    bounds = [0, *sorted(cuts), len(x)]
    out = [s.push(x[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    out.append(s.flush())
    return np.concatenate(out), s


def planted(seed=0):
    rng = np.random.default_rng(seed)
    hiss = rng.normal(0, 0.01, 2 * SR).astype(np.float32)
    return np.concatenate([silence(1.2), tone(1.5), silence(2.5), hiss, tone(2.0), silence(0.7)])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 10 * SR), max_size=12), st.sampled_from([0.0, 0.4, 1.0]))
def test_any_chunking_is_bit_identical_to_compress(cuts, rate):
    x = planted()
    ref = sq.compress(x, rate, sample_rate=SR, analyze_options=ENERGY)
    got, s = run_chunked(x, [c % len(x) for c in cuts], rate=rate, analyze_options=ENERGY)
    assert np.array_equal(got, ref.audio)
    assert s.plan() == ref.plan
    assert s.timemap == ref.timemap


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 10 * SR), max_size=12),
    st.sampled_from([0.75, 1.0]),
    st.sampled_from([64.0, 100.0, 256.0, 1000.0]),
)
def test_short_segments_any_chunking_is_bit_identical_to_compress(cuts, rate, longest):
    x = planted(2)
    o = sq.AnalyzeOptions(vad="energy", max_segment_ms=longest)
    ref = sq.compress(x, rate, sample_rate=SR, analyze_options=o)
    assert any(e.joined for e in ref.plan.edits)  # speech split, and joined across the splits
    got, s = run_chunked(x, [c % len(x) for c in cuts], rate=rate, analyze_options=o)
    assert np.array_equal(got, ref.audio)
    assert s.timemap == ref.timemap


@needs_silero
@pytest.mark.parametrize("cuts", [[3, 700, 16_000], list(range(11, 300_000, 2_333))])
def test_real_clip_short_segments_stream_equals_file(real_clips, cuts):
    x = sq.load(real_clips[0]["abs"]).samples
    o = sq.AnalyzeOptions(max_segment_ms=256)
    ref = sq.compress(x, 0.75, sample_rate=SR, analyze_options=o)
    got, _ = run_chunked(x, [c for c in cuts if c < len(x)], rate=0.75, analyze_options=o)
    assert np.array_equal(got, ref.audio)


@needs_silero
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_real_clips_stream_file_and_memory_agree(real_clips, tmp_path_factory, data):
    clip = data.draw(st.sampled_from(real_clips))
    x = sq.load(clip["abs"]).samples
    cuts = data.draw(st.lists(st.integers(0, len(x)), max_size=8))
    ref = sq.compress(clip["abs"], 1.0)
    got, _ = run_chunked(x, cuts, rate=1.0)
    assert np.array_equal(got, ref.audio)
    d = tmp_path_factory.mktemp("o")
    sq.compress_file(clip["abs"], d / "o.wav", 1.0)
    sq.save(d / "ref.wav", ref.audio)
    assert (d / "o.wav").read_bytes() == (d / "ref.wav").read_bytes()


@needs_silero
@pytest.mark.parametrize("cuts", [[1, 5000, 16_001, 40_000], list(range(7, 200_000, 9_999))])
def test_vad_reset_gives_the_same_output_for_any_chunking(real_clips, cuts):
    # real speech after 6 s of hiss: resets fall inside the hiss, never on chunk edges
    rng = np.random.default_rng(5)
    hiss = rng.normal(0, 0.02, 6 * SR).astype(np.float32)
    x = np.concatenate([hiss, sq.load(real_clips[1]["abs"]).samples])
    o = sq.AnalyzeOptions(vad_reset_ms=1000)
    ref = sq.compress(x, 0.75, sample_rate=SR, analyze_options=o)
    got, _ = run_chunked(x, cuts, rate=0.75, analyze_options=o)
    assert np.array_equal(got, ref.audio)
    assert any(s.kind == "speech" for s in ref.analysis.segments)


@needs_silero
@pytest.mark.parametrize("cuts", [[1, 5000, 16_001, 40_000], list(range(7, 200_000, 9_999))])
def test_drop_reset_gives_the_same_output_for_any_chunking(real_clips, cuts):
    # real speech, 35 dB quieter, after 3 s of loud hiss: the reset falls where the hiss ends
    rng = np.random.default_rng(6)
    hiss = rng.normal(0, 0.03, 3 * SR).astype(np.float32)
    x = np.concatenate([hiss, sq.load(real_clips[1]["abs"]).samples * np.float32(10**-1.75)])
    o = sq.AnalyzeOptions()  # the reset is on by default (vad_reset_drop_db=20)
    ref = sq.compress(x, 0.75, sample_rate=SR, analyze_options=o)
    got, _ = run_chunked(x, cuts, rate=0.75, analyze_options=o)
    assert np.array_equal(got, ref.audio)
    no_reset = sq.AnalyzeOptions(vad_reset_drop_db=0)
    off = sq.compress(x, 0.75, sample_rate=SR, analyze_options=no_reset)
    assert not np.array_equal(off.audio, ref.audio)  # the reset changed what was heard


@needs_silero
def test_other_input_rates_are_resampled_in_the_stream(real_clips, tmp_path):
    x16 = sq.load(real_clips[3]["abs"]).samples
    x44 = sq.load(x16, sample_rate=SR, target_rate=44100).samples
    sf.write(tmp_path / "in44.wav", x44, 44100, subtype="FLOAT")
    ref = sq.compress(tmp_path / "in44.wav", 0.7)
    got, _ = run_chunked(x44, [1, 4410, 100_000], rate=0.7, sample_rate=44100)
    assert np.array_equal(got, ref.audio)
    assert ref.stats.input_s == pytest.approx(len(x16) / SR, abs=1e-3)


def test_reset_starts_over_and_flushed_stream_refuses_input():
    x = planted(1)
    s = sq.Stream(1.0, analyze_options=ENERGY)
    first = np.concatenate([s.push(x), s.flush()])
    assert s.flush().size == 0
    with pytest.raises(sq.OptionsError, match="reset"):
        s.push(x)
    s.reset()
    again = np.concatenate([s.push(x[:5000]), s.push(x[5000:]), s.flush()])
    assert np.array_equal(first, again)


@pytest.mark.parametrize(
    ("chunk", "error", "quote"),
    [
        ([0.1, 0.2], sq.InvalidAudioError, "'list'"),
        (np.array([0.1, np.nan], np.float32), sq.InvalidAudioError, "NaN"),
        (np.array([1e30], np.float32), sq.InvalidAudioError, "1e\\+30"),
        (np.zeros((4, 9), np.float32), sq.TooManyChannelsError, "9 channels"),
        (np.array(["x"]), sq.InvalidAudioError, "dtype"),
    ],
)
def test_bad_chunks_are_clear_errors(chunk, error, quote):
    with pytest.raises(error, match=quote):
        sq.Stream(analyze_options=ENERGY).push(chunk)


@pytest.mark.parametrize(
    ("kw", "quote"),
    [
        ({"rate": "0.5"}, "'0.5'"),
        ({"rate": float("nan")}, "nan"),
        ({"sample_rate": "abc"}, "'abc'"),
        ({"sample_rate": float("inf")}, "inf"),
        ({"sample_rate": 16000.5}, "16000.5"),
        ({"analyze_options": {"vad": "energy"}}, "AnalyzeOptions"),
    ],
)
def test_bad_stream_options(kw, quote):
    with pytest.raises(sq.AudiosqueezeError, match=quote):
        sq.Stream(**kw)


def test_timemap_grows_with_the_output():
    x = planted(2)
    s = sq.Stream(1.0, analyze_options=ENERGY)
    assert s.timemap is None
    out = 0
    for c in chunks_of([x], 3200):
        out += len(s.push(c))
        tm = s.timemap
        if tm is not None:
            assert tm.compressed_samples >= out  # planned edits cover what has been returned
    out += len(s.flush())
    assert s.timemap.compressed_samples == out and s.timemap.original_samples == len(x)


def test_latency_is_bounded_by_segment_lookahead_and_context():
    x = planted(3)
    o = ENERGY
    waits, n = run_stream(sq.Stream(1.0, analyze_options=o), chunks_of([x], 320))
    lat = Latency.of(waits)
    ref = sq.compress(x, 1.0, sample_rate=SR, analyze_options=o)
    assert n == len(ref.audio)
    segs = [seg.num_samples / SR for seg in ref.analysis.segments]
    assert ref.analysis.segments[0].kind != "speech"  # a held lead: it waits for the next one
    # non-speech is held until the next speech segment closes: a run of non-speech and the
    # speech after it wait together
    together, held = [], 0.0
    for seg, sec in zip(ref.analysis.segments, segs, strict=True):
        if seg.kind == "speech":
            together.append(held + sec)
            held = 0.0
        else:
            held += sec
    longest = max(*together, held)
    lookahead = 2 * (o.speech_pad_ms + o.min_speech_ms - 32) / 1000
    # nothing waits longer than that + look-ahead + context + 1 chunk
    bound = longest + lookahead + CONTEXT_SAMPLES / SR + 0.02
    assert 1.0 < lat.max <= bound
    assert 0 < lat.p50 <= lat.p99 <= lat.max


@pytest.mark.parametrize("segment_ms", [64.0, 96.0, 256.0])
def test_speech_waits_for_its_segment_one_frame_and_the_label_lookahead(segment_ms):
    # The analyzer labels a frame once (speech_pad_ms + min_speech_ms - 32 ms) = 96 ms of
    # input follow it and closes a full segment one frame after its end; the renderer needs
    # CONTEXT_SAMPLES beyond. So a speech sample waits at most segment + 32 + 96 ms + context
    # (+ one 20-ms chunk): 0.19 s with 64-ms segments, inside the 250-ms look-ahead.
    o = sq.AnalyzeOptions(vad="energy", max_segment_ms=segment_ms)
    x = np.concatenate([silence(0.5), tone(3.0), silence(0.8), tone(2.0), silence(0.5)])
    for rate in (0.5, 1.0):
        s = sq.Stream(rate, analyze_options=o)
        waits, n = run_stream(s, chunks_of([x], 320))
        ends = np.cumsum([e.out_samples for e in s.plan().edits])
        kinds = np.array([e.segment for e in s.plan().edits])
        probes = np.arange(0, n, SR // 100)
        speech = kinds[np.searchsorted(ends, probes, side="right")] == "speech"
        assert speech.sum() > 200
        lookahead = (o.speech_pad_ms + o.min_speech_ms - 32) / 1000
        bound = (segment_ms + 32) / 1000 + lookahead + CONTEXT_SAMPLES / SR + 0.02
        assert segment_ms / 1000 < waits[speech].max() <= bound, (rate, waits[speech].max())


def test_last_segment_closes_at_flush_even_when_a_split_lands_on_the_end():
    # no look-ahead (no padding, no minimum run) and speech + 10 s of silence ending exactly on
    # a frame and on the 10-s split: the final silence must still be planned as the last
    o = sq.AnalyzeOptions(vad="energy", speech_pad_ms=0, min_speech_ms=0, max_segment_ms=10_000)
    x = np.concatenate([tone(2.048), silence(9.984)])  # the silence is exactly 312 frames
    assert len(x) % 512 == 0
    fresh = sq.compress(x, 1.0, sample_rate=SR, analyze_options=o)
    reused = sq.compress(x, 1.0, sample_rate=SR, analysis=fresh.analysis)
    assert fresh.plan == reused.plan and np.array_equal(fresh.audio, reused.audio)
    assert fresh.plan.edits[-1].head == fresh.plan.edits[-1].out_samples  # kept its start only
