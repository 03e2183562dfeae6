"""The baselines' plumbing with planted answers: the time map and edited intervals of kept
chunks, the probe's low-pass filters at their stated order, the dither's sign, and FFmpeg's
two ways to fail."""

import shutil

import numpy as np
import pytest

from audiosqueeze.bench import methods
from audiosqueeze.bench.methods import _chunks_map, _complement, _lowpass, apply, dither
from audiosqueeze.errors import EmptyAudioError, MissingDependencyError, OptionsError
from conftest import needs_silero, silence

SR = 16000


def knots(tm):
    """(original, compressed) sample pairs at every knot of ``tm``."""
    o, c = np.asarray(tm.original).tolist(), np.asarray(tm.compressed).tolist()
    return list(zip(o, c, strict=True))


def test_a_chunk_at_each_end_needs_no_cut_knot_there():
    assert knots(_chunks_map([(0, 1000)], 1000)) == [(0, 0), (1000, 1000)]  # all kept: identity
    tm = _chunks_map([(0, 300), (700, 1000)], 1000)
    assert tm.compressed_samples == 600 and tm.original_samples == 1000
    assert [float(tm.to_original_samples(c)) for c in (0, 150, 299, 300, 450, 600)] == [
        0, 150, 299, 700, 850, 1000,
    ]  # fmt: skip
    # two chunks that touch are one stretch of kept audio, not a knot repeated
    tm = _chunks_map([(100, 400), (400, 700)], 1000)
    assert tm.compressed_samples == 600
    assert float(tm.to_original_samples(300)) == 400 and float(tm.to_original_samples(0)) == 100


def test_nothing_kept_maps_every_original_sample_to_the_start():
    tm = _chunks_map([], 1000)
    assert (tm.original_samples, tm.compressed_samples) == (1000, 0)
    assert float(tm.to_compressed_samples(600)) == 0
    with pytest.raises(EmptyAudioError, match="zero samples"):
        _chunks_map([], 0)  # before: the "repeated knot" of a [0, 0] -> [0, 0] map


@pytest.mark.parametrize("method", ["none", "dither-2", "delay-20", "sq-0.5-keepends"])
def test_the_others_methods_are_always_sent_and_say_nothing_of_speech(monkeypatch, method):
    fake_compress(monkeypatch, ("keep", 0, 100, 100, "speech"))
    out = apply(method, np.zeros(100, np.float32))
    assert out.skipped is False and out.no_speech is None


def test_the_edited_intervals_are_exactly_what_was_not_kept():
    assert _complement([(0, 300), (700, 1000)], 1000).tolist() == [[300, 700]]  # no empty ends
    assert _complement([(0, 1000)], 1000).shape == (0, 2)
    assert _complement([], 1000).tolist() == [[0, 1000]]
    # overlapping or touching chunks (Silero's padding can make them) leave no gap between
    assert _complement([(100, 500), (300, 400), (500, 600)], 1000).tolist() == [
        [0, 100],
        [600, 1000],
    ]


def gain_db(y, hz, middle=slice(8000, -8000)):
    t = np.arange(len(y)) / SR
    ref = np.sin(2 * np.pi * hz * t)
    return 20 * np.log10(np.std(y[middle]) / np.std(ref[middle]))


@pytest.mark.parametrize("causal", [False, True])
def test_the_probes_low_pass_has_its_stated_order(causal):
    # a digital Butterworth at 1 kHz, 2 kHz read through the bilinear warp (r = 2.083): 4th
    # order forwards and backwards is |H|^2 = 1 / (1 + r^8); causal 8th order, |H| =
    # 1 / sqrt(1 + r^16): both -51.0 dB (a 3rd or 5th order, a 7th or 9th: 6 dB or more off)
    r = np.tan(np.pi * 2000 / SR) / np.tan(np.pi * 1000 / SR)
    t = np.arange(3 * SR) / SR
    y = _lowpass(np.sin(2 * np.pi * 2000 * t).astype(np.float32), 1000.0, causal)
    assert y.dtype == np.float32 and len(y) == len(t)
    assert gain_db(y, 2000) == pytest.approx(-10 * np.log10(1 + r**16), abs=1.0)
    y = _lowpass(np.sin(2 * np.pi * 200 * t).astype(np.float32), 1000.0, causal)
    assert gain_db(y, 200) == pytest.approx(0.0, abs=0.1)


def test_the_dither_adds_its_seeded_noise_it_does_not_subtract_it():
    x = np.linspace(-0.5, 0.5, 4000).astype(np.float32)
    noise = np.random.default_rng(2).standard_normal(len(x)) * 10 ** (-90 / 20)
    got = dither(x, 2).astype(np.float64) - x
    assert np.corrcoef(got, noise)[0, 1] > 0.99  # the same noise, with its own sign


def test_fw_vad_on_silence_keeps_nothing_and_maps_everything_to_zero():
    pytest.importorskip("faster_whisper", reason="fw-vad needs the [whisper] extra")
    x = silence(3.0)
    samples, chunks = methods.fw_vad(x)
    assert samples.dtype == np.float32 and len(samples) == 0 and chunks == []
    out = apply("fw-vad", x)
    assert len(out.samples) == 0 and out.edited.tolist() == [[0, len(x)]]
    assert (out.timemap.original_samples, out.timemap.compressed_samples) == (len(x), 0)


def test_ffmpeg_missing_is_a_dependency_error_naming_the_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="ffmpeg is not on PATH: apt-get install"):
        apply("speed-1.25", silence(0.5))


def test_a_filter_ffmpeg_refuses_is_an_options_error_quoting_it():
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not on PATH (apt-get install ffmpeg)")
    with pytest.raises(OptionsError, match=r"ffmpeg -af 'atempo=nope' failed: "):
        methods._ffmpeg(silence(0.5), "atempo=nope")


class FakeResult:
    def __init__(self, plan):
        self.plan = plan
        self.audio = np.arange(plan.out_samples, dtype=np.float32) + 10_000  # no x value


def fake_compress(monkeypatch, *edits):
    import audiosqueeze as sq
    from audiosqueeze.plan import Edit, Plan

    plan = Plan(tuple(Edit(*e) for e in edits), edits[-1][2], 1.0)
    monkeypatch.setattr(sq, "compress", lambda *a, **k: FakeResult(plan))
    return FakeResult(plan).audio


def test_the_ends_probe_puts_back_exactly_a_shortened_lead_and_tail(monkeypatch):
    x = np.arange(1500, dtype=np.float32)
    audio = fake_compress(
        monkeypatch,
        ("shorten", 0, 200, 50, "silence"),
        ("stretch", 200, 400, 150, "speech"),
        ("shorten", 400, 1000, 100, "silence"),
        ("keep", 1000, 1200, 200, "speech"),
        ("shorten", 1200, 1500, 40, "silence"),
    )
    lead = apply("sq-0.5-keeplead", x)
    assert np.array_equal(lead.samples, np.concatenate([x[:200], audio[50:]]))
    assert lead.edited.tolist() == [[200, 400], [400, 1000], [1200, 1500]]
    ends = apply("sq-0.5-keepends", x)
    assert np.array_equal(ends.samples, np.concatenate([x[:200], audio[50:500], x[1200:]]))
    assert ends.edited.tolist() == [[200, 400], [400, 1000]]


def test_the_ends_probe_leaves_ends_that_were_not_shortened(monkeypatch):
    x = np.arange(600, dtype=np.float32)
    audio = fake_compress(
        monkeypatch,
        ("keep", 0, 200, 200, "speech"),  # speech from the first sample: no lead to put back
        ("shorten", 200, 500, 50, "silence"),
        ("keep", 500, 600, 100, "speech"),
    )
    for method in ("sq-0.5-keeplead", "sq-0.5-keepends"):
        out = apply(method, x)
        assert np.array_equal(out.samples, audio) and out.edited.tolist() == [[200, 500]]


@pytest.mark.parametrize("method", ["none", "dither-1", "none@d2", "delay-10", "sq-0.5-keeplead"])
def test_a_methods_time_is_the_time_it_took(monkeypatch, method):
    import time

    fake_compress(monkeypatch, ("keep", 0, 100, 100, "speech"))
    t0 = time.perf_counter()
    out = apply(method, np.zeros(100, np.float32))
    assert 0 <= out.seconds <= time.perf_counter() - t0


@needs_silero
def test_a_skipped_call_maps_to_nothing_and_a_sent_one_keeps_its_time_map():
    import time

    import audiosqueeze as sq

    x = silence(2.0)
    t0 = time.perf_counter()
    out = apply("sq-default-skip", x)
    assert 0 <= out.seconds <= time.perf_counter() - t0
    assert out.skipped and out.no_speech and len(out.samples) == 0
    assert (out.timemap.original_samples, out.timemap.compressed_samples) == (len(x), 0)
    sent = apply("sq-default", x)  # the same audio, sent: the library's own map
    ref = sq.compress(x, sample_rate=SR)
    assert not sent.skipped and sent.timemap == ref.timemap
    assert sent.timemap.compressed_samples == len(sent.samples) > 0
