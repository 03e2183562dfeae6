"""The guard, planted: tiny hand-made ONNX models and a stand-in risk where the answer is known."""

import numpy as np
import pytest

from audiosqueeze.context import FEATURES
from audiosqueeze.errors import ModelNotFoundError, OptionsError
from audiosqueeze.guard import Guard, load_guard

W = len(FEATURES) + 1


def model(tmp_path, out="two", width=W, name="m"):
    """A model whose probability that words change is ``p = x[:, 0] + 0.1 * speed``.

    ``out``: "two" a ``(n, 2)`` [1 - p, p] output after an int64 label output, as scikit-learn
    exports; "one" ``(n, 1)``; "flat" ``(n,)``; "zipmap" a list of {label: probability}.
    Needs the ``onnx`` package (the ``train`` extra); skipped without it."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    w = np.zeros((width, 1), np.float32)
    w[0, 0], w[-1, 0] = 1.0, 0.1
    init = [
        helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.ravel()),
        helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]),
        helper.make_tensor("flat", TensorProto.INT64, [1], [-1]),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["p"]),
        helper.make_node("Sub", ["one", "p"], ["q"]),
        helper.make_node("Concat", ["q", "p"], ["pq"], axis=1),
        helper.make_node("ArgMax", ["pq"], ["label"], axis=1, keepdims=0),
    ]
    outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, [None])]
    if out == "two":
        outputs.append(helper.make_tensor_value_info("pq", TensorProto.FLOAT, [None, 2]))
    elif out == "one":
        outputs = [helper.make_tensor_value_info("p", TensorProto.FLOAT, [None, 1])]
    elif out == "flat":
        nodes.append(helper.make_node("Reshape", ["p", "flat"], ["pf"]))
        outputs = [helper.make_tensor_value_info("pf", TensorProto.FLOAT, [None])]
    else:  # zipmap
        nodes.append(
            helper.make_node(
                "ZipMap", ["pq"], ["zm"], domain="ai.onnx.ml", classlabels_int64s=[0, 1]
            )
        )
        seq = helper.make_sequence_type_proto(
            helper.make_map_type_proto(TensorProto.INT64, helper.make_tensor_type_proto(1, []))
        )
        outputs.append(helper.make_value_info("zm", seq))
    graph = helper.make_graph(
        nodes,
        "guard",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, width])],
        outputs,
        init,
    )
    m = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)]
    )
    m.ir_version = 8
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, str(path))
    return path


X = np.zeros((3, len(FEATURES)), np.float32)
X[:, 0] = [0.0, 0.2, 0.5]
SPEED = np.array([1.0, 1.5, 2.0])
WANT = [0.1, 0.35, 0.7]


@pytest.mark.parametrize("out", ["two", "one", "flat", "zipmap"])
def test_risk_reads_the_probability_of_a_change_from_every_output_form(tmp_path, out):
    g = Guard(model(tmp_path, out))
    got = g.risk(X, SPEED)
    assert got.dtype == np.float64 and got.tolist() == pytest.approx(WANT, abs=1e-6)
    assert g.risk(X[:0], SPEED[:0]).shape == (0,)


def test_a_model_of_the_wrong_width_is_refused_and_a_free_width_taken(tmp_path):
    with pytest.raises(OptionsError, match=f"takes {W - 1} inputs, expected {W}"):
        Guard(model(tmp_path, width=W - 1))
    onnx = pytest.importorskip("onnx")
    free = tmp_path / "free.onnx"
    m = onnx.load(str(model(tmp_path)))
    dim = m.graph.input[0].type.tensor_type.shape.dim[1]
    dim.ClearField("dim_value")
    dim.dim_param = "width"
    onnx.save(m, str(free))
    assert Guard(free).risk(X, SPEED).tolist() == pytest.approx(WANT, abs=1e-6)
    with pytest.raises(ModelNotFoundError, match="nowhere"):
        Guard(tmp_path / "nowhere.onnx")


def test_load_guard_loads_the_given_path(tmp_path):
    path = model(tmp_path, name="given")
    g = load_guard(str(path))
    assert g.path == path and g.risk(X, SPEED).tolist() == pytest.approx(WANT, abs=1e-6)
    assert load_guard(str(path)) is g
    assert load_guard().path.name == "guard.onnx" and load_guard().path != path


class Planted(Guard):
    """A guard whose risk is planted: row ``i`` of ``x`` has risk ``fn(x[i, 0], speed)``."""

    def __init__(self, fn):
        self.fn = fn

    def risk(self, x, speed):
        x = np.asarray(x)
        return np.array([self.fn(a, s) for a, s in zip(x[:, 0], speed, strict=True)])


def rows(*a):
    x = np.zeros((len(a), len(FEATURES)), np.float32)
    x[:, 0] = a
    return x


def step(a, s):
    """Else 0.1 + slope a (s - 1); a = 2: a bump at 1.05x; a = 3: flat; a = 4: exactly +0.25
    from 1.25x and +0.75 from 1.4x."""
    if a == 2:
        return 0.5 if 1.025 < s < 1.075 else 0.1
    if a == 3:
        return 0.1
    if a == 4:
        return 0.25 + (0.25 if s > 1.225 else 0.0) + (0.5 if s > 1.375 else 0.0)
    return 0.1 + a * (s - 1)


def test_speeds_takes_the_fastest_speed_whose_every_slower_candidate_is_within_budget():
    g = Planted(step)
    # slopes 0.1, 1 and 1.5 at a budget of 0.12: 1.5x (the top), 1.1x, 1.05x; a bump at 1.05x
    # stops the climb there; a risk that is exactly the budget over 1.0x is within it
    got = g.speeds(rows(0.1, 1.0, 1.5, 2, 3, 4), 0.12, 1.5)
    assert got.tolist() == pytest.approx([1.5, 1.1, 1.05, 1.0, 1.5, 1.2])
    got = g.speeds(rows(4, 3, 2), 0.25, 1.5)
    assert got.tolist() == pytest.approx([1.35, 1.5, 1.0])
    assert g.speeds(rows(3), 0.01, 1.5).tolist() == pytest.approx([1.5])  # one window
    assert g.speeds(rows(3, 3), 0.01, 1.05).tolist() == pytest.approx([1.05, 1.05])
    assert g.speeds(rows(3, 3), 0.01, 1.04).tolist() == [1.0, 1.0]  # 1.0x the only candidate
    assert g.speeds(rows(3, 3), 0.0, 1.5).tolist() == [1.0, 1.0]  # no budget: no speed-up
    assert g.speeds(rows(), 0.1, 1.5).shape == (0,)
