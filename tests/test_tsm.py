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
