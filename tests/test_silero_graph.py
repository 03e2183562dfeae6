"""Silero's faster graph (``silero_graph``): the VAD's probabilities are the model's own, bit for
bit, whichever graph runs; a graph that differs, or one that cannot be built, is not used."""

import contextlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiosqueeze import onnx_model, silero_graph
from audiosqueeze.vad import SileroVAD, _onnx_session, find_silero_model
from conftest import has_module, needs_silero, silence, silero_available, tone

pytestmark = needs_silero


def make_session(model):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads, so.log_severity_level = 1, 1, 3
    return ort.InferenceSession(model, sess_options=so, providers=["CPUExecutionProvider"])


def signal(seconds: float = 12.0) -> np.ndarray:
    """Silence, a tone with a syllable envelope, noise and a loud chirp: every path of the model."""
    rng = np.random.default_rng(3)
    t = np.arange(int(2.0 * 16000)) / 16000
    chirp = 0.9 * np.sin(2 * np.pi * (100 + 1800 * t) * t)
    x = np.concatenate([silence(1.0), tone(4.0), 0.05 * rng.standard_normal(32000), chirp])
    x = np.tile(x, int(np.ceil(seconds * 16000 / len(x))))[: int(seconds * 16000)]
    return x.astype(np.float32)


def model_probabilities(frames: np.ndarray) -> np.ndarray:
    """What the model file itself says, run here without the analyzer's session."""
    sess = make_session(str(find_silero_model()))
    context = np.concatenate([np.zeros((1, 64), np.float32), frames[:-1, -64:]])
    h = c = np.zeros((1, 1, 128), np.float32)
    p, _, _ = sess.run(None, {"input": np.concatenate([context, frames], axis=1), "h": h, "c": c})
    return p.reshape(-1)


@pytest.mark.parametrize("num_threads", [1, 2])
def test_vad_says_what_the_model_says_bit_for_bit(num_threads):
    frames = signal().reshape(-1, 512)
    want = model_probabilities(frames)
    vad = SileroVAD(num_threads=num_threads)
    whole = vad.process(frames)
    vad.reset()
    pieces = np.concatenate([vad.process(frames[i : i + 5]) for i in range(0, len(frames), 5)])
    assert np.array_equal(whole, want)
    assert np.array_equal(pieces, want)
    assert want.min() < 0.1 and want.max() > 0.5  # the signal reaches both ends of the scale


def model_files() -> list[str]:
    """The analyzer's model and, where faster-whisper is installed, its copy (other names)."""
    import importlib.util
    from pathlib import Path

    files = [str(find_silero_model())]
    spec = importlib.util.find_spec("faster_whisper")
    if spec is not None and spec.origin is not None:
        fw = Path(spec.origin).parent / "assets" / "silero_vad_v6.onnx"
        files += [str(fw)] if fw.is_file() else []
    return files


@pytest.mark.parametrize("path", model_files())
def test_the_faster_graph_runs_where_it_agrees(path):
    built = silero_graph.fast_silero_session(path, make_session(path), make_session)
    if built is None:
        pytest.skip("ONNX Runtime sums the rewritten products differently on this CPU")
    fast, feeds = built
    assert all(w.shape[1] <= 32 for w in feeds.values())  # MLAS sums K <= 512 in one pass
    frames = signal(32.0).reshape(-1, 512)
    context = np.concatenate([np.zeros((1, 64), np.float32), frames[:-1, -64:]])
    batch = {"input": np.concatenate([context, frames], axis=1)}
    batch["h"] = batch["c"] = np.zeros((1, 1, 128), np.float32)
    got = fast.run(None, {**batch, **feeds})
    want = make_session(path).run(None, batch)
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    assert _onnx_session(path, 1)[1].keys() == feeds.keys()  # and the analyzer uses it


def rewritten_session(path: str):
    model, feeds = silero_graph.rewrite(onnx_model.load(path))
    return make_session(model.SerializeToString()), feeds


@pytest.mark.parametrize("path", model_files())
def test_the_rewrite_is_the_model_on_any_cpu_and_used_exactly_where_it_is_bit_exact(path):
    """Wherever the tests run: the rewrite computes the model (to float32 rounding), and the
    check accepts it exactly where it gives the same bits (so a check that always said no,
    losing the speed, fails here on this project's machines, where the bits are the same)."""
    fast, feeds = rewritten_session(path)
    original = make_session(path)
    frames = signal(32.0).reshape(-1, 512)
    context = np.concatenate([np.zeros((1, 64), np.float32), frames[:-1, -64:]])
    batch = {"input": np.concatenate([context, frames], axis=1)}
    batch["h"] = batch["c"] = np.zeros((1, 1, 128), np.float32)
    for a, b in zip(fast.run(None, {**batch, **feeds}), original.run(None, batch), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    same = all(
        np.array_equal(a, b)
        for bt in silero_graph.check_batches()
        for a, b in zip(fast.run(None, {**bt, **feeds}), original.run(None, bt), strict=True)
    )
    built = silero_graph.fast_silero_session(path, original, make_session)
    assert (built is not None) == same
    assert bool(_onnx_session(path, 1)[1]) == same  # the analyzer's session follows it


def test_a_graph_that_differs_is_not_used(monkeypatch):
    """One weight moved by one unit in the last place: the check sees it and says no."""
    real = silero_graph.rewrite

    def off_by_one_ulp(model):
        model, feeds = real(model)
        w = next(iter(feeds))
        feeds[w] = np.nextafter(feeds[w], np.float32(np.inf))
        return model, feeds

    monkeypatch.setattr(silero_graph, "rewrite", off_by_one_ulp)
    path = str(find_silero_model())
    assert silero_graph.fast_silero_session(path, make_session(path), make_session) is None


def test_a_graph_that_fails_to_run_is_not_used():
    class Broken:
        def run(self, *_):
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION")

    path = str(find_silero_model())
    assert silero_graph.fast_silero_session(path, make_session(path), lambda m: Broken()) is None


def test_a_file_that_is_not_a_model_leaves_the_model_as_it_is(tmp_path):
    path = str(find_silero_model())
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    assert silero_graph.fast_silero_session(str(junk), make_session(path), make_session) is None


MODEL_BYTES = find_silero_model().read_bytes() if silero_available() else b""


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 10**7), st.integers(0, 255))
def test_any_bytes_read_as_a_model_or_refused_with_a_value_error(data, cut, byte):
    """Random bytes, and the real model cut short or with one byte changed, never raise
    anything but ValueError, and never hang."""
    real = bytearray(MODEL_BYTES[: cut % (len(MODEL_BYTES) + 1)])
    if real:
        real[cut % len(real)] = byte
    for b in (data, bytes(real)):
        with contextlib.suppress(ValueError):
            onnx_model.Model(b).SerializeToString()


def test_the_rewrite_loads_no_protobuf_runtime():
    """What made a 60-minute compress(path) peak 3-5 MB higher than reading the bytes here."""
    code = (
        "import sys, numpy as np, audiosqueeze.vad as v; "
        "vad = v.SileroVAD(); vad.process(np.zeros((3, 512), np.float32)); "
        "assert vad._feeds, 'the rewrite did not run'; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('google', 'onnx')))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if "the rewrite did not run" in r.stderr:
        pytest.skip("the rewrite is not used on this CPU")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_another_model_is_refused_with_its_shapes():
    from onnxruntime.datasets import get_example

    with pytest.raises(ValueError, match=r"Conv weights \[\]"):
        silero_graph.rewrite(onnx_model.load(get_example("sigmoid.onnx")))
    model = onnx_model.load(str(find_silero_model()))
    inits = model.graph.initializer
    i = next(i for i, t in enumerate(inits) if list(t.dims) == [258, 1, 256])
    half = onnx_model.to_array(inits[i])[:, :, :128]  # the STFT's filters, half as long
    inits[i] = onnx_model.tensor(inits[i].name, half)
    with pytest.raises(ValueError, match=r"\(258, 1, 128\)"):
        silero_graph.rewrite(model)


def test_a_model_read_and_written_again_is_the_same_model():
    """Fields the subset does not declare (opsets, types, docs) are kept: ONNX Runtime runs the
    rewritten bytes of an unchanged model to the same outputs as the file."""
    path = str(find_silero_model())
    again = make_session(onnx_model.load(path).SerializeToString())
    batch = silero_graph.check_batches()[-1]
    want = make_session(path).run(None, batch)
    assert all(np.array_equal(a, b) for a, b in zip(again.run(None, batch), want, strict=True))


def test_tensors_round_trip_and_nodes_carry_their_attributes():
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    t = onnx_model.Tensor.parse(onnx_model.tensor("w", x).encode())
    assert t.name == "w" and t.dims == [3, 4] and t.data_type == onnx_model.FLOAT
    assert np.array_equal(onnx_model.to_array(t), x)
    assert onnx_model.to_array(onnx_model.tensor("i", [5, -2])).tolist() == [5, -2]
    twice = onnx_model.tensor("a", [1.0]).encode() + onnx_model.tensor("b", [2.0]).encode()
    u = onnx_model.Tensor.parse(twice)  # fields given twice: the last one counts, as in protobuf
    assert u.name == "b" and onnx_model.to_array(u).ravel().tolist() == [2.0]  # dims append
    n = onnx_model.node("Conv", ["x", "w"], "y", strides=[2], mode="reflect", axis=-1, alpha=0.5)
    n = onnx_model.Node.parse(n.encode())
    got = onnx_model.attributes(n)
    assert got["strides"][8] == [2] and got["strides"][20] == [7]  # ints, type INTS
    assert got["mode"][4] == [b"reflect"] and got["mode"][20] == [3]
    assert got["axis"][3] == [2**64 - 1] and got["axis"][20] == [2]  # -1 as int64 on the wire
    assert got["alpha"][2] == [np.float32(0.5).tobytes()] and got["alpha"][20] == [1]
    assert n.input == ["x", "w"] and n.output == ["y"] and n.op_type == "Conv"
    with pytest.raises(ValueError, match="lists of ints only"):  # not cut to [1, 2]
        onnx_model.node("Resize", ["x"], "y", scales=[1.5, 2.0])


@pytest.mark.skipif(not has_module("onnx"), reason="the onnx package is not installed")
def test_the_onnx_package_reads_what_we_write():
    """Our field numbers are ONNX's: the onnx package parses the rewritten model and its
    checker accepts it."""
    import onnx

    model, _ = silero_graph.rewrite(onnx_model.load(str(find_silero_model())))
    parsed = onnx.load_from_string(model.SerializeToString())
    onnx.checker.check_model(parsed)
    ops = [n.op_type for n in parsed.graph.node]
    assert ops.count("MatMul") == 1 + 4 + 2  # the STFT, and 32 columns at a time: 128 + 64
    assert ops.count("Conv") == 3 and ops.count("LSTM") == 1  # encoder 2-3, the output layer
    nodes = {n.output[0]: n for n in parsed.graph.node}
    pad = next(n for n in nodes.values() if n.op_type == "Pad" and n.output[0].startswith("aq_"))
    assert onnx.helper.get_attribute_value(pad.attribute[0]) == b"constant"
    transpose = next(n for n in nodes.values() if n.output[0].startswith("aq_transpose"))
    assert list(transpose.attribute[0].ints) == [0, 2, 1]
    fed = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in parsed.graph.input}
    assert fed[next(k for k in fed if k.startswith("aq_weight"))] == [387, 32]
    assert parsed.opset_import[0].version == 16  # kept from the file, never decoded here


@pytest.mark.parametrize("path", model_files())
def test_the_fed_weights_are_read_only_contiguous_copies(path):
    """Every VAD of the process shares the fed weights, so none can be written through."""
    _, feeds = silero_graph.rewrite(onnx_model.load(path))
    assert feeds
    for w in feeds.values():
        assert w.dtype == np.float32 and w.flags.c_contiguous and not w.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            w[0, 0] = 1.0
