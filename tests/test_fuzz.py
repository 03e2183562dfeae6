"""Fuzzing: damaged files, odd arrays and odd options. Every outcome is either a valid result
(output length = plan length = time-map length, finite samples) or an AudiosqueezeError.
Bounded in examples so the whole file runs in well under a minute."""

import contextlib
import io

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audiosqueeze as sq
from conftest import silence, tone

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
FORMATS = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}


def encoded(fmt: str, rate: int = SR) -> bytes:
    x = np.concatenate([tone(0.6), silence(1.0), tone(0.5)])
    if rate != SR:
        x = sq.load(x, sample_rate=SR, target_rate=rate).samples
    buf = io.BytesIO()
    container, subtype = FORMATS[fmt]
    sf.write(buf, x, rate, format=container, subtype=subtype)
    return buf.getvalue()


GOOD = {(f, r): encoded(f, r) for f in FORMATS for r in (SR, 44100)}


def outcome(run):
    """Run ``run()``; a valid result or an AudiosqueezeError passes, anything else fails."""
    try:
        r = run()
    except sq.AudiosqueezeError:
        return None
    assert len(r.audio) == r.plan.out_samples == r.timemap.compressed_samples
    assert r.timemap.original_samples == r.plan.num_samples
    assert np.all(np.isfinite(r.audio))
    return r


@st.composite
def damaged(draw):
    fmt, rate = draw(st.sampled_from(sorted(GOOD)))
    raw = bytearray(GOOD[(fmt, rate)])
    how = draw(st.sampled_from(["truncate", "flip", "zero_header", "splice", "garbage_tail"]))
    if how == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif how == "flip":
        for _ in range(draw(st.integers(1, 20))):
            i = draw(st.integers(0, len(raw) - 1))
            raw[i] ^= draw(st.integers(1, 255))
    elif how == "zero_header":
        n = draw(st.integers(1, min(64, len(raw))))
        raw[:n] = bytes(n)
    elif how == "splice":
        a, b = sorted(draw(st.lists(st.integers(0, len(raw)), min_size=2, max_size=2)))
        raw = raw[:a] + raw[b:]
    else:
        raw += draw(st.binary(min_size=1, max_size=2000))
    return fmt, bytes(raw)


@FUZZ
@given(damaged(), st.floats(0, 1))
def test_damaged_files_in_memory(case, rate):
    fmt, raw = case
    outcome(lambda: sq.compress(raw, rate, analyze_options=ENERGY))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(damaged())
def test_damaged_files_through_compress_file(tmp_path_factory, case):
    fmt, raw = case
    d = tmp_path_factory.mktemp("fz")
    src, dst = d / f"in.{fmt}", d / "out.wav"
    src.write_bytes(raw)
    try:
        w = sq.compress_file(src, dst, 0.7, analyze_options=ENERGY, timemap=d / "m.json")
    except sq.AudiosqueezeError:
        assert not dst.exists() and not (d / "m.json").exists()
    else:
        assert sf.info(dst).frames == w.plan.out_samples == w.timemap.compressed_samples
    assert not [p for p in d.iterdir() if p.name.startswith(".")]


arrays = st.one_of(
    st.builds(
        lambda n, s: np.random.default_rng(s).normal(0, 0.2, n).astype(np.float32),
        st.integers(0, 3 * SR),
        st.integers(0, 99),
    ),
    st.builds(lambda n, c: np.zeros((n, c), np.int16), st.integers(0, 4000), st.integers(0, 12)),
    st.builds(
        lambda v, n: np.full(n, v, np.float64),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(1, 5000),
    ),
    st.builds(lambda n: np.ones((n, 2, 2), np.float32), st.integers(1, 100)),
    st.builds(lambda n: np.arange(n, dtype=np.uint8), st.integers(1, 9000)),
    st.builds(lambda n: np.zeros(n, np.complex64), st.integers(1, 100)),
    st.builds(lambda n: np.array([True] * n), st.integers(1, 100)),
)
rates = st.one_of(
    st.integers(-10, 10**7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([None, "16000", 8000, 22050, 48000, True]),
)


@FUZZ
@given(arrays, rates, st.floats(0, 1))
def test_odd_arrays_and_sample_rates(x, sample_rate, rate):
    outcome(lambda: sq.compress(x, rate, sample_rate=sample_rate, analyze_options=ENERGY))


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just([1]),
)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "speech_threshold",
                "release_threshold",
                "min_speech_ms",
                "speech_pad_ms",
                "max_segment_ms",
                "vad_reset_ms",
                "vad_reset_drop_db",
                "vad_reset_drop_max_prob",
                "vad_max_gain_db",
                "vad_level_dbfs",
                "vad_floor_dbfs",
                "silence_dbfs",
                "webrtc_mode",
                "num_threads",
                "vad",
            ]
        ),
        values,
        max_size=3,
    ),
    st.dictionaries(
        st.sampled_from(
            [
                "max_keep_pause_ms",
                "min_keep_pause_ms",
                "max_speed",
                "min_cut_ms",
                "min_stretch_ms",
                "speed_policy",
                "within_window",
                "window_ms",
                "max_speed_step",
                "max_risk_increase",
                "min_inner_pause_ms",
                "inner_pause_prob",
                "inner_pause_drop_db",
            ]
        ),
        values | st.sampled_from(["cues", "guard", "uniform", "flat", "stress", "transients"]),
        max_size=4,
    ),
    st.dictionaries(
        st.sampled_from(["tsm", "crossfade_ms", "nonspeech_gain_db"]), values, max_size=2
    ),
    values,
    values,
)
def test_odd_options(ao, po, ro, rate, target):
    x = np.concatenate([tone(0.5), silence(1.5), tone(0.5)])

    def run():
        a = sq.AnalyzeOptions(**{"vad": "energy", **ao})
        return sq.compress(
            x,
            rate,
            sample_rate=SR,
            analyze_options=a,
            plan_options=sq.PlanOptions(**po),
            render_options=sq.RenderOptions(**ro),
            target_reduction=target,
        )

    with contextlib.suppress(sq.AudiosqueezeError):  # e.g. an option out of range
        outcome(run)


@pytest.mark.parametrize("chunk", [np.zeros(0, np.float32), np.zeros((0, 2), np.int16)])
def test_empty_chunks_are_fine(chunk):
    s = sq.Stream(analyze_options=ENERGY)
    assert len(s.push(chunk)) == 0
    with pytest.raises(sq.EmptyAudioError):
        sq.compress(chunk, sample_rate=SR)
