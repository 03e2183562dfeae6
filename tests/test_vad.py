import numpy as np
import pytest

from audiosqueeze.errors import ModelNotFoundError, OptionsError
from audiosqueeze.features import frames_of
from audiosqueeze.vad import EnergyVAD, NoiseFloorTracker, WebRTCVAD, find_silero_model, make_vad
from conftest import needs_silero, silence, tone


def frames(x):
    return frames_of(x[: len(x) - len(x) % 512])


@pytest.mark.parametrize("name", ["energy", "webrtc", pytest.param("silero", marks=needs_silero)])
def test_chunking_does_not_change_probabilities(name, real_clips):
    from audiosqueeze import load

    f = frames(load(real_clips[0]["abs"]).samples)
    whole = make_vad(name).process(f)
    vad = make_vad(name)
    parts = np.concatenate([vad.process(f[i : i + 37]) for i in range(0, len(f), 37)])
    assert whole.shape == (len(f),)
    assert np.array_equal(whole, parts)


@needs_silero
def test_silero_separates_speech_from_silence(real_clips):
    from audiosqueeze import load

    speech = load(real_clips[0]["abs"]).samples
    p = make_vad("silero").process(frames(np.concatenate([silence(2.0), speech])))
    assert p[:55].max() < 0.2  # 2 s of digital silence (62 frames, minus the context edge)
    assert np.mean(p[70:] > 0.5) > 0.5


def test_webrtc_on_tone_and_silence():
    p = WebRTCVAD(3).process(frames(np.concatenate([silence(1.0), tone(1.0, amp=0.5)])))
    assert p[:30].max() == 0.0


def test_webrtc_hears_real_speech(real_clips):
    from audiosqueeze import load

    speech = load(real_clips[0]["abs"]).samples
    p = WebRTCVAD(2).process(frames(np.concatenate([silence(2.0), speech])))
    assert p[:60].max() == 0.0  # a VAD answering 1 everywhere fails here
    assert np.mean(p[70:]) > 0.6  # and one answering 0 everywhere fails here


def test_energy_vad_planted():
    p = EnergyVAD().process(frames(np.concatenate([silence(1.0), tone(1.0)])))
    assert p[:31].max() < 0.01 and p[35:].min() > 0.9


def test_noise_floor_tracker_rises_slowly_and_drops_at_once():
    tr = NoiseFloorTracker(rise_db_per_s=3.0, initial_db=-70.0)
    floor = tr.update(np.full(int(16000 / 512 * 10), -20.0))  # 10 s of a -20 dB level
    assert floor[-1] == pytest.approx(-70 + 3.0 * (len(floor) - 1) * 512 / 16000)
    assert tr.update(np.array([-90.0]))[0] == -90.0


def test_missing_model_is_a_clear_error(monkeypatch, tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        find_silero_model(tmp_path / "nope.onnx")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    monkeypatch.delenv("AUDIOSQUEEZE_SILERO_VAD", raising=False)
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps"):
        find_silero_model()


def test_env_var_points_at_model(monkeypatch, tmp_path):
    f = tmp_path / "m.onnx"
    f.write_bytes(b"x")
    monkeypatch.setenv("AUDIOSQUEEZE_SILERO_VAD", str(f))
    assert find_silero_model() == f


def test_unknown_vad():
    with pytest.raises(OptionsError, match="'x'"):
        make_vad("x")
    with pytest.raises(OptionsError, match="webrtc_mode"):
        WebRTCVAD(7)


@pytest.mark.parametrize("kind", ["folder", "junk", "empty", "another model"])
def test_a_model_file_that_is_not_silero_is_one_clear_error(kind, monkeypatch, tmp_path, capsys):
    """$AUDIOSQUEEZE_SILERO_VAD at a folder, junk bytes, an empty file or another ONNX model
    (the bundled guard): was 'does not exist' for a folder and an internal error (exit 70,
    ONNX Runtime's InvalidProtobuf / ValueError) for the rest."""
    from importlib import resources

    import soundfile as sf

    from audiosqueeze.cli import main

    model = tmp_path / "m.onnx"
    if kind == "folder":
        model.mkdir()
    elif kind == "another model":
        model.write_bytes((resources.files("audiosqueeze") / "data" / "guard.onnx").read_bytes())
    else:
        model.write_bytes(b"" if kind == "empty" else bytes(range(256)) * 20)
    wav = tmp_path / "a.wav"
    sf.write(wav, np.concatenate([tone(1.0), silence(1.0)]), 16000)
    monkeypatch.setenv("AUDIOSQUEEZE_SILERO_VAD", str(model))
    quote = "is not a file" if kind == "folder" else "is not a usable Silero VAD model"
    with pytest.raises(ModelNotFoundError, match=quote):
        make_vad("silero")
    assert main(["analyze", str(wav)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(model) in err and quote in err, err
