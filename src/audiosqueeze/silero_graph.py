"""Silero VAD v6 with its first three convolutions run as matrix products: the same
probabilities bit for bit, in half to two thirds of the time (docs/RESULTS.md, stop 34).

The 16 kHz sequence model takes each 32-ms frame (576 samples with context) through an STFT (a
Conv1d of 258 filters over four windows), four Conv1d layers, an LSTM across the frames and an
output layer. ONNX Runtime runs a Conv1d over a batch of frames as one small matrix product per
frame (four or two output positions each), and those three layers (the STFT and the first two
encoder layers) took over 70 % of the model's time. Here they become one matrix product over all
frames at once (``MatMul`` on frames × positions rows), on columns laid out in the
convolution's own order (input channel, then tap), so every output sums the same products in
the same order:

- ONNX Runtime's matrix kernel (MLAS) sums a dot product in one pass when its K is at most the
  block it uses: 256 for a constant, pre-packed right operand (the STFT's K is 256), and 512 or
  more when the right operand has at most 32 columns and is not pre-packed. So the encoder
  layers' weights (K = 387 and 384) are fed as inputs, 32 columns at a time, not stored as
  constants. The later layers (one output position each) keep their convolutions.
- That is how this ONNX Runtime sums on this kind of CPU, not a promise of the format. So
  :func:`fast_silero_session` runs the new graph and the original side by side on a check
  batch of frames and uses the new one only if every output, the recurrent state included,
  is the same bit for bit; otherwise, or where the expected layers are missing, the caller
  runs the original model. The VAD's output never depends on which runs.

The model is read and written by :mod:`audiosqueeze.onnx_model`, straight from protobuf's
wire format: with the ``onnx`` package, or even protobuf's runtime, loaded, a 60-minute
``compress(path)`` went past (or to the edge of) its 300 MB target.
"""

from __future__ import annotations

import numpy as np

from . import onnx_model

_FRAME_IN = 576  # samples per frame the model takes: 64 of context + 512
_COLUMNS = 32  # right-operand columns per product: MLAS then sums K <= 512 in one pass


#: Conv weights of the STFT and the four encoder layers (out, in, taps)
_CONV_SHAPES = [(258, 1, 256), (128, 129, 3), (64, 128, 3), (64, 64, 3), (128, 64, 3)]


class _Graph:
    """Adds nodes and constants to ``graph`` with names of its own."""

    def __init__(self, graph):
        self.graph = graph
        self.nodes: list = []
        self.feeds: dict[str, np.ndarray] = {}
        self._n = 0

    def _name(self, kind: str) -> str:
        self._n += 1
        return f"aq_{kind}_{self._n}"

    def const(self, value, dtype=np.int64) -> str:
        name = self._name("const")
        self.graph.initializer.append(onnx_model.tensor(name, np.asarray(value, dtype)))
        return name

    def feed(self, value: np.ndarray) -> str:
        """A graph input the caller passes at every run (so ONNX Runtime does not pre-pack it)."""
        name = self._name("weight")
        self.feeds[name] = np.array(value, np.float32, order="C")  # a copy of its own, and
        self.feeds[name].setflags(write=False)  # read-only: every VAD of the process shares it
        self.graph.input.append(onnx_model.float_input(name, value.shape))
        return name

    def op(self, kind: str, inputs: list[str], **attrs) -> str:
        out = self._name(kind.lower())
        self.nodes.append(onnx_model.node(kind, inputs, out, **attrs))
        return out

    def slice(self, x: str, start: int, stop: int, axis: int, step: int = 1) -> str:
        ends = [self.const([v]) for v in (start, stop, axis, step)]
        return self.op("Slice", [x, *ends])


def _conv_as_matmul(g: _Graph, x: str, length: int, weight: np.ndarray, bias, stride: int):
    """``relu(conv1d(x))`` (kernel 3, padding 1) for ``x`` laid out (n, length, channels), as
    products over columns in (channel, tap) order; returns the output and its length."""
    out_ch, in_ch, taps = weight.shape
    padded = g.op("Pad", [x, g.const([0, 1, 0, 0, 1, 0])], mode="constant")
    out_len = (length + 2 - taps) // stride + 1
    span = stride * (out_len - 1) + 1
    tap_views = [
        g.op("Unsqueeze", [g.slice(padded, k, k + span, 1, stride), g.const([3])])
        for k in range(taps)
    ]
    columns = g.op("Reshape", [g.op("Concat", tap_views, axis=3), g.const([0, out_len, -1])])
    w = weight.reshape(out_ch, in_ch * taps).T  # (K, out_ch), rows in (channel, tap) order
    parts = [
        g.op("MatMul", [columns, g.feed(w[:, j : j + _COLUMNS])])
        for j in range(0, out_ch, _COLUMNS)
    ]
    y = g.op("Concat", parts, axis=2) if len(parts) > 1 else parts[0]
    return g.op("Relu", [g.op("Add", [y, g.const(bias, np.float32)])]), out_len


def rewrite(model):
    """The faster graph of a Silero v6 16 kHz sequence ``ModelProto`` (changed in place)
    and the weights to feed at each run; ``ValueError`` if its layers are not the expected.

    Layers are found by their place, not their names (faster-whisper's copy names them
    otherwise): the reflect-padded frames feed the STFT, the first of its Conv1d layers (the
    STFT, four encoder layers, the output layer), and the one LSTM takes the encoder's
    output. Strides, pads and windows are the v6 model's; a model that differs there gives
    other outputs, which :func:`fast_silero_session`'s check refuses."""
    graph = model.graph
    weights = {
        t.name: onnx_model.to_array(t)
        for t in graph.initializer
        if t.data_type in (onnx_model.FLOAT, onnx_model.INT64) and t.raw_data
    }
    nodes = list(graph.node)
    kinds = [n.op_type for n in nodes]
    convs = [n for n in nodes if n.op_type == "Conv"]
    shapes = [weights[n.input[1]].shape if n.input[1] in weights else None for n in convs]
    if kinds.count("LSTM") != 1 or shapes[:5] != _CONV_SHAPES:
        raise ValueError(f"not the Silero v6 16 kHz sequence model: Conv weights {shapes}")
    made_by = {o: i for i, n in enumerate(nodes) for o in n.output}
    unsqueeze = nodes[made_by[convs[0].input[0]]]
    padded = unsqueeze.input[0]  # the reflect-padded frames, (n, 832)
    g = _Graph(graph)
    # the STFT's windows 1-4 (its first is computed and dropped by the model), (n, 4, 256)
    blocks = g.op("Reshape", [g.slice(padded, 128, 768, 1), g.const([0, 5, 128])])
    windows = g.op("Concat", [g.slice(blocks, 0, 4, 1), g.slice(blocks, 1, 5, 1)], axis=2)
    basis = np.ascontiguousarray(weights[convs[0].input[1]][:, 0, :].T)  # (256, 258)
    spectrum = g.op("MatMul", [windows, g.const(basis, np.float32)])
    two = g.const(2.0, np.float32)
    real = g.op("Pow", [g.slice(spectrum, 0, 129, 2), two])
    imag = g.op("Pow", [g.slice(spectrum, 129, 258, 2), two])
    x, length = g.op("Sqrt", [g.op("Add", [real, imag])]), 4  # (n, 4, 129)
    for conv, stride in zip(convs[1:3], (1, 2), strict=True):
        w, b = (weights[name] for name in conv.input[1:3])
        x, length = _conv_as_matmul(g, x, length, w, b, stride)
    x = g.op("Transpose", [x], perm=[0, 2, 1])  # (n, 64, 2): the model's own layout again
    for conv, stride in zip(convs[3:5], (2, 1), strict=True):
        x = g.op("Conv", [x, *conv.input[1:]], kernel_shape=[3], pads=[1, 1], strides=[stride])
        x = g.op("Relu", [x])
    x = g.op("Transpose", [x], perm=[0, 2, 1])  # (n, 1, 128), the LSTM's input
    lstm = kinds.index("LSTM")
    middle = nodes[made_by[padded] + 1 : lstm]
    nodes[lstm].input[0] = x
    del graph.node[:]
    graph.node.extend(
        nodes[: made_by[padded] + 1]
        + [n for n in middle if n.op_type == "Constant"]  # constants the rest may read
        + g.nodes
        + nodes[lstm:]
    )
    return model, g.feeds


def check_batches(seed: int = 0) -> list[dict[str, np.ndarray]]:
    """Inputs on which the two graphs must agree: 1, 2, 7 and 16 frames, quiet to loud, from
    a zero and a non-zero recurrent state."""
    rng = np.random.default_rng(seed)
    batches = []
    for n, level, state in ((1, 0.3, 0.0), (2, 1e-4, 0.5), (7, 0.01, 0.0), (16, 0.1, 0.2)):
        x = (rng.standard_normal((n, _FRAME_IN)) * level).astype(np.float32)
        h, c = (rng.standard_normal((2, 1, 1, 128)) * state).astype(np.float32)
        batches.append({"input": x, "h": h, "c": c})
    return batches


def fast_silero_session(path: str, original, make_session):
    """``(session, feeds)`` for the faster graph of the model at ``path``, or ``None`` where it
    cannot be built or does not give the ``original`` session's outputs bit for bit on
    :func:`check_batches`. ``make_session(model_bytes)`` opens a session with the caller's
    options; ``feeds`` go into every ``run`` of the new session."""
    try:
        model, feeds = rewrite(onnx_model.load(path))
        fast = make_session(model.SerializeToString())
        # ONNX Runtime keeps the bytes for the life of the session (its own TODO says so), used
        # again only to rebuild a session for another execution provider; this one is CPU's
        fast._model_bytes = None
        quiet = ort_run_options()  # a graph that fails here is a fallback, not an error to log
        for batch in check_batches():
            want = original.run(None, batch)
            got = fast.run(None, {**batch, **feeds}, quiet)
            if not all(np.array_equal(a, b) for a, b in zip(want, got, strict=True)):
                return None
    except Exception:  # any failure to build or run it (another model, bytes that are not one):
        return None  # the original runs instead
    return fast, feeds


def ort_run_options():
    """ONNX Runtime run options that log nothing (or ``None`` where it cannot be imported)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    options = ort.RunOptions()
    options.log_severity_level = 4
    return options


def release_freed_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere
    nothing). Called once, after the check's session on the original model is dropped: its
    memory would otherwise stay resident for the life of the process."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)
