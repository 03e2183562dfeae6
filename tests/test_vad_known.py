"""Planted answers for ``audiosqueeze.vad``: the energy VAD's formula, the noise floor's state,
the Silero wrapper's edges, and how backends and model files are chosen."""

import re

import numpy as np
import pytest

from audiosqueeze import features
from audiosqueeze.errors import ModelNotFoundError
from audiosqueeze.units import FRAME_SAMPLES, SAMPLE_RATE
from audiosqueeze.vad import EnergyVAD, NoiseFloorTracker, find_silero_model, make_vad
from conftest import needs_silero

RISE = 3.0 * FRAME_SAMPLES / SAMPLE_RATE  # dB per frame at 3 dB/s


def mixed_frames(n: int = 40, seed: int = 1) -> np.ndarray:
    """A tone at -55 dBFS plus noise whose level steps up and down: neither sigmoid saturates."""
    rng = np.random.default_rng(seed)
    t = np.arange(n * FRAME_SAMPLES) / SAMPLE_RATE
    tone = np.sqrt(2.0) * 10 ** (-55 / 20) * np.sin(2 * np.pi * 440 * t)
    noise = rng.standard_normal(len(t)) * np.repeat(10 ** (rng.uniform(-75, -55, n) / 20), 512)
    return (tone + noise).astype(np.float32).reshape(n, FRAME_SAMPLES)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def expected_floor(level, rise, start=-70.0):
    """``floor_t = min(level_t, floor_t-1 + rise)``, from ``start``, frame by frame."""
    out, prev = [], None
    for t, v in enumerate(level):
        prev = min(v, start if t == 0 else prev + rise)
        out.append(prev)
    return np.array(out)


@pytest.mark.parametrize(("snr", "rise_db_per_s"), [(10.0, 3.0), (4.0, 9.0)])
def test_energy_vad_is_its_documented_formula(snr, rise_db_per_s):
    f = mixed_frames()
    level = features.level_db(f)
    flat = features.flatness(features.magnitude(f))
    floor = expected_floor(level, rise_db_per_s * FRAME_SAMPLES / SAMPLE_RATE)
    want = sigmoid((level - floor - snr) / 2.0) * sigmoid((0.4 - flat) / 0.08)
    assert want.min() > 0.02 and want.max() < 0.995  # neither sigmoid saturates
    vad = EnergyVAD(snr_db=snr, floor_rise_db_per_s=rise_db_per_s)
    got = vad.process(f)
    assert got.dtype == np.float32 and got.shape == (len(f),)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-7)
    vad.reset()  # a new stream: the floor starts again at -70 dB
    assert np.allclose(vad.process(f), want, rtol=1e-5, atol=1e-7)


def test_make_vad_passes_the_floor_rise_to_the_energy_vad():
    f = mixed_frames()
    want = EnergyVAD(floor_rise_db_per_s=9.0).process(f)
    assert np.array_equal(make_vad("energy", floor_rise_db_per_s=9.0).process(f), want)
    assert not np.array_equal(make_vad("energy").process(f), want)


def test_noise_floor_starts_at_the_initial_level_and_rises_by_the_planted_rate():
    tr = NoiseFloorTracker(rise_db_per_s=3.0, initial_db=-70.0)
    floor = tr.update(np.full(5, -20.0))
    assert np.allclose(floor, -70.0 + RISE * np.arange(5))
    # an empty chunk returns nothing and changes nothing
    assert tr.update(np.zeros(0)).shape == (0,)
    assert tr.update(np.array([-20.0]))[0] == pytest.approx(-70.0 + RISE * 5)
    tr.reset()
    assert tr.update(np.array([-20.0, -90.0, -20.0])).tolist() == pytest.approx(
        [-70.0, -90.0, -90.0 + RISE]
    )


def test_noise_floor_default_rise_and_initial_level():
    floor = NoiseFloorTracker().update(np.full(3, 0.0))
    assert floor.tolist() == pytest.approx([-70.0, -70.0 + RISE, -70.0 + 2 * RISE])


def test_an_explicit_model_path_wins_over_the_environment(monkeypatch, tmp_path):
    a, b = tmp_path / "a.onnx", tmp_path / "b.onnx"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
    monkeypatch.setenv("AUDIOSQUEEZE_SILERO_VAD", str(b))
    assert find_silero_model(a) == a
    assert find_silero_model(str(a)) == a
    assert find_silero_model() == b


def test_the_error_names_every_place_looked_in(monkeypatch, tmp_path):
    import importlib.util
    from types import SimpleNamespace

    monkeypatch.delenv("AUDIOSQUEEZE_SILERO_VAD", raising=False)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    specs = {
        "silero_vad": SimpleNamespace(origin=str(pkg / "__init__.py")),
        "faster_whisper": None,
    }
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: specs[name])
    with pytest.raises(ModelNotFoundError) as e:
        find_silero_model()
    msg = str(e.value)
    assert str(pkg / "data" / "silero_vad_16k_sequence.onnx") in msg
    assert "faster_whisper (not installed)" in msg
    # a namespace package (origin None) counts as not installed
    specs["silero_vad"] = SimpleNamespace(origin=None)
    with pytest.raises(ModelNotFoundError, match=r"silero_vad \(not installed\)"):
        find_silero_model()
    # the second place is used when the first has no file
    fw = tmp_path / "fw"
    (fw / "assets").mkdir(parents=True)
    (fw / "assets" / "silero_vad_v6.onnx").write_bytes(b"m")
    specs["faster_whisper"] = SimpleNamespace(origin=str(fw / "__init__.py"))
    assert find_silero_model() == fw / "assets" / "silero_vad_v6.onnx"
    # and the first wins when both have one
    (pkg / "data").mkdir()
    (pkg / "data" / "silero_vad_16k_sequence.onnx").write_bytes(b"m")
    specs["silero_vad"] = SimpleNamespace(origin=str(pkg / "__init__.py"))
    assert find_silero_model() == pkg / "data" / "silero_vad_16k_sequence.onnx"


@needs_silero
def test_silero_on_no_frames_returns_nothing_and_keeps_its_state():
    rng = np.random.default_rng(0)
    f = (0.1 * rng.standard_normal((6, FRAME_SAMPLES))).astype(np.float32)
    want = make_vad("silero").process(f)
    vad = make_vad("silero")
    first = vad.process(f[:3])
    empty = vad.process(f[:0])
    assert empty.shape == (0,) and empty.dtype == np.float32
    assert np.array_equal(np.concatenate([first, vad.process(f[3:])]), want)
    assert want.dtype == np.float32


def test_energy_vad_defaults_are_a_10_db_margin_and_a_3_db_per_s_floor():
    f = mixed_frames(seed=2)
    level = features.level_db(f)
    flat = features.flatness(features.magnitude(f))
    floor = expected_floor(level, RISE)
    want = sigmoid((level - floor - 10.0) / 2.0) * sigmoid((0.4 - flat) / 0.08)
    assert np.allclose(EnergyVAD().process(f), want, rtol=1e-5, atol=1e-7)
    assert np.allclose(make_vad("energy").process(f), want, rtol=1e-5, atol=1e-7)


class RecordingVad:
    """Stands in for ``webrtcvad.Vad``: records what it is asked, answers by the frame's sign."""

    def __init__(self):
        self.calls = []

    def is_speech(self, buf, rate):
        pcm = np.frombuffer(buf, "<i2")
        self.calls.append((pcm.copy(), rate))
        return bool(pcm[0] > 0)


def test_webrtc_hears_the_first_30_ms_clipped_as_16_bit_pcm():
    from audiosqueeze.vad import WebRTCVAD

    vad = WebRTCVAD()
    vad._vad = fake = RecordingVad()
    f = np.zeros((3, FRAME_SAMPLES), np.float32)
    f[0, :4] = [1.0, -1.0, 2.0, 0.5]
    f[1, :4] = [-3.0, 0.25, -0.5, 1e-6]
    f[2, 479:481] = [0.75, 0.9]  # the last sample heard, then the first one not
    p = vad.process(f)
    assert p.dtype == np.float32 and p.tolist() == [1.0, 0.0, 0.0]
    assert [rate for _, rate in fake.calls] == [16000] * 3
    pcm = [c for c, _ in fake.calls]
    assert all(len(c) == 480 for c in pcm)
    assert pcm[0][:4].tolist() == [32767, -32767, 32767, 16383]
    assert pcm[1][:4].tolist() == [-32767, 8191, -16383, 0]
    assert pcm[2][479] == 24575 and not pcm[2][:479].any()


def test_webrtc_modes():
    from audiosqueeze.errors import OptionsError
    from audiosqueeze.vad import WebRTCVAD

    assert WebRTCVAD().mode == 2 and make_vad("webrtc").mode == 2
    for mode in (0, 1, 2, 3):
        assert WebRTCVAD(mode).mode == mode and make_vad("webrtc", webrtc_mode=mode).mode == mode
    for bad in (-1, 4, "2"):
        with pytest.raises(OptionsError, match=repr(bad)):
            WebRTCVAD(bad)


def test_which_vads_carry_a_state_the_analysis_may_reset():
    from audiosqueeze.vad import SileroVAD, WebRTCVAD

    assert SileroVAD.stateful is True
    assert not getattr(WebRTCVAD, "stateful", False) and not getattr(EnergyVAD, "stateful", False)


DECAY = 3.0 * FRAME_SAMPLES / SAMPLE_RATE


def tone_frames(levels_db):
    t = np.arange(FRAME_SAMPLES) / SAMPLE_RATE
    unit = np.sqrt(2.0) * np.sin(2 * np.pi * 500 * t)
    return (10 ** (np.asarray(levels_db, float)[:, None] / 20) * unit).astype(np.float32)


def gains(gain, f, floor=-100.0):
    out = gain.process(f, features.level_db(f), np.full(len(f), floor))
    return 20 * np.log10(np.abs(out).max(axis=1) / np.abs(f).max(axis=1))


def test_level_gain_carries_the_envelope_peak_of_the_whole_chunk():
    from audiosqueeze.vad import LevelGain

    g = LevelGain()  # -45 dBFS, at most 30 dB
    assert gains(g, tone_frames([-80.0, -50.0])) == pytest.approx([30.0, 5.0], abs=1e-3)
    # the next chunk's envelope falls from the -50 dB frame, not the -80 dB one before it
    assert gains(g, tone_frames([-90.0])) == pytest.approx([5.0 + DECAY], abs=1e-3)


def test_level_gain_default_cap_is_30_db_and_a_1_db_cap_still_raises():
    from audiosqueeze.vad import LevelGain

    quiet = tone_frames([-100.0])  # 55 dB under -45 dBFS, in a room far quieter still
    assert gains(LevelGain(), quiet, floor=-200.0) == pytest.approx([30.0], abs=1e-3)
    assert gains(LevelGain(max_gain_db=1.0), tone_frames([-100.0])) == pytest.approx(
        [1.0], abs=1e-3
    )
    f = tone_frames([-100.0])
    assert LevelGain(max_gain_db=0.0).process(f, features.level_db(f), np.zeros(1)) is f


def test_level_gain_on_no_frames_returns_them_and_keeps_its_state():
    from audiosqueeze.vad import LevelGain

    g = LevelGain()
    gains(g, tone_frames([-50.0]))
    empty = np.zeros((0, FRAME_SAMPLES), np.float32)
    assert g.process(empty, np.zeros(0), np.zeros(0)) is empty
    assert gains(g, tone_frames([-90.0])) == pytest.approx([5.0 + DECAY], abs=1e-3)


def tiny_model(tmp_path, name, outputs):
    """An ONNX model with Silero's inputs whose three outputs are ``outputs``: nodes on
    ``input`` (frames, 576), ``h`` and ``c`` (1, 1, 128)."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    def info(n, shape):
        return helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)

    nodes = [
        helper.make_node("ReduceMean", ["input"], ["mean"], axes=[1], keepdims=0),
        helper.make_node("Identity", ["input"], ["same"]),
        helper.make_node("Identity", ["h"], ["h_out"]),
        helper.make_node("Identity", ["c"], ["c_out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [info("input", [None, None]), info("h", [1, 1, 128]), info("c", [1, 1, 128])],
        [info(o, None) for o in outputs],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(
    ("outputs", "shapes"),
    [
        (["same", "h_out", "c_out"], "(1, 576), (1, 1, 128), (1, 1, 128)"),
        (["mean", "same", "c_out"], "(1,), (1, 576), (1, 1, 128)"),
        (["mean", "h_out", "same"], "(1,), (1, 1, 128), (1, 576)"),
    ],
)
def test_a_model_with_silero_inputs_but_other_output_shapes_is_refused(outputs, shapes, tmp_path):
    from audiosqueeze.vad import SileroVAD

    path = tiny_model(tmp_path, "-".join(outputs) + ".onnx", outputs)
    with pytest.raises(ModelNotFoundError, match=re.escape(f"outputs of shapes {shapes}")):
        SileroVAD(path)


def test_a_model_with_silero_shapes_passes_the_check(tmp_path):
    """The check's own known answer: right shapes pass (the model then runs as it is)."""
    from audiosqueeze.vad import SileroVAD

    path = tiny_model(tmp_path, "ok.onnx", ["mean", "h_out", "c_out"])
    vad = SileroVAD(path)
    f = np.full((3, FRAME_SAMPLES), 0.5, np.float32)
    f[0] = 0.0
    # the mean over 64 samples of context then the frame: the wrapper's own framing
    want = [0.0, 0.5 * 512 / 576, 0.5]
    assert vad.process(f) == pytest.approx(want, abs=1e-6)
