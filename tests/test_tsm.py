import numpy as np
import pytest

from audiosqueeze.tsm import TSM_METHODS, stretch

SR = 16000


def dominant_hz(x):
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / SR)[np.argmax(spec)]


@pytest.mark.parametrize("method", TSM_METHODS)
@pytest.mark.parametrize("speed", [1.1, 1.25, 1.5])
def test_exact_length_and_pitch_kept(method, speed):
    if method != "wsola":
        pytest.importorskip(
            {"rubberband": "pedalboard", "signalsmith": "python_stretch", "audiotsm": "audiotsm"}[
                method
            ]
        )
    x = (0.5 * np.sin(2 * np.pi * 200 * np.arange(2 * SR) / SR)).astype(np.float32)
    x.setflags(write=False)  # as Audio.samples are
    n_out = int(round(len(x) / speed))
    y = stretch(x, n_out, method)
    assert len(y) == n_out and y.dtype == np.float32
    core = y[SR // 4 : -SR // 4]
    assert dominant_hz(core) == pytest.approx(200, abs=4)  # pitch kept, not resampled
    assert np.sqrt(np.mean(core**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)  # level kept


def test_wsola_starts_where_input_starts():
    x = np.random.default_rng(1).normal(0, 0.1, SR).astype(np.float32)
    y = stretch(x, int(SR / 1.3))
    # the first 100 samples come only from the first frame, taken at its nominal position
    assert np.allclose(y[:100], x[:100], atol=1e-5)


def test_unknown_method():
    from audiosqueeze.errors import OptionsError

    with pytest.raises(OptionsError, match="'fast'"):
        stretch(np.zeros(1000, np.float32), 800, "fast")


def tone_sequence(freqs, seconds_each):
    n = int(seconds_each * SR)
    t = np.arange(n) / SR
    return np.concatenate([0.4 * np.sin(2 * np.pi * f * t) for f in freqs]).astype(np.float32)


@pytest.mark.parametrize("speed", [1.25, 1.6])
def test_tone_sequence_keeps_order_pitch_and_end(speed):
    # four tones in a row: time-stretching keeps each tone's pitch, their order, and ends on the
    # last one; truncation (x[:n_out]) would lose the last tone, resampling would shift pitch
    freqs = [300.0, 500.0, 700.0, 900.0]
    x = tone_sequence(freqs, 0.5)
    n_out = int(round(len(x) / speed))
    y = stretch(x, n_out)
    assert len(y) == n_out
    quarter = n_out // 4
    got = [
        dominant_hz(y[i * quarter + quarter // 4 : (i + 1) * quarter - quarter // 4])
        for i in range(4)
    ]
    assert got == pytest.approx(freqs, abs=12)


def test_stretch_within_context_reads_only_the_core():
    rng = np.random.default_rng(0)
    core = tone_sequence([400.0, 800.0], 0.5)
    lead, trail = (
        rng.normal(0, 0.3, 700).astype(np.float32),
        rng.normal(0, 0.3, 700).astype(np.float32),
    )
    y = stretch(np.concatenate([lead, core, trail]), 12800, lead=700, trail=700)
    assert len(y) == 12800
    assert dominant_hz(y[1000:5000]) == pytest.approx(400, abs=12)
    assert dominant_hz(y[8000:12000]) == pytest.approx(800, abs=12)
