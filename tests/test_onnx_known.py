"""Planted answers for ``audiosqueeze.onnx_model``: the wire format against hand-written bytes
and against the ``onnx`` package where it is installed, and broken bytes refused with a
ValueError that says where."""

import numpy as np
import pytest

from audiosqueeze import onnx_model as om
from conftest import has_module

needs_onnx = pytest.mark.skipif(not has_module("onnx"), reason="the onnx package is not installed")


@pytest.mark.parametrize(
    ("n", "wire"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
     (2**63, b"\x80" * 9 + b"\x01"), (-1, b"\xff" * 9 + b"\x01")],
)  # fmt: skip
def test_varints_are_protobufs(n, wire):
    assert om._varint(n) == wire
    assert om._read_varint(wire, 0) == (n % 2**64, len(wire))
    assert om._read_varint(b"\x05" + wire + b"\x07", 1) == (n % 2**64, 1 + len(wire))


def test_fields_read_each_wire_type_and_encode_writes_them_back():
    b = (
        b"\x08\x96\x01"  # field 1 varint 150
        + b"\x11" + bytes(range(8))  # field 2 fixed64
        + b"\x1a\x03abc"  # field 3 bytes "abc"
        + b"\x25" + bytes([9, 8, 7, 6])  # field 4 fixed32
        + b"\xa0\x01\x05"  # field 20 varint 5 (a two-byte key)
    )  # fmt: skip
    want = [(1, 0, 150), (2, 1, bytes(range(8))), (3, 2, b"abc"), (4, 5, bytes([9, 8, 7, 6])),
            (20, 0, 5)]  # fmt: skip
    assert om.fields(b) == want
    assert om.encode(want) == b
    assert om.fields(b"") == []


@pytest.mark.parametrize(
    ("b", "quote"),
    [
        (b"\x08", "varint runs past the end"),  # key, then no value
        (b"\x08\x80", "varint runs past the end"),  # a value's last byte missing
        (b"\x80", "varint runs past the end"),  # a key cut short
        (b"\x1a\x05ab", "field 3 runs past the end"),  # 5 bytes promised, 2 given
        (b"\x11\x00\x00", "field 2 runs past the end"),  # fixed64 cut short
        (b"\x25\x00", "field 4 runs past the end"),  # fixed32 cut short
        (b"\x0b", "wire type 3 (field 1)"),  # a group: not read here
        (b"\x0c", "wire type 4 (field 1)"),
        (b"\x0e", "wire type 6 (field 1)"),
    ],
)
def test_broken_bytes_are_a_value_error_that_says_where(b, quote):
    with pytest.raises(ValueError, match=quote.replace("(", r"\(").replace(")", r"\)")):
        om.fields(b)


def test_a_field_that_ends_exactly_at_the_end_is_read():
    assert om.fields(b"\x1a\x02ab") == [(3, 2, b"ab")]
    assert om.fields(b"\x25abcd") == [(4, 5, b"abcd")]
    assert om.fields(b"\x11abcdefgh") == [(2, 1, b"abcdefgh")]


def test_a_model_with_no_graph_or_two_is_refused():
    with pytest.raises(ValueError, match="this one 0"):
        om.Model(b"\x08\x07")  # ir_version only
    graph = om.encode([(2, 2, b"g")])
    with pytest.raises(ValueError, match="this one 2"):
        om.Model(om.encode([(7, 2, graph), (7, 2, graph)]))
    with pytest.raises(ValueError, match="this one 0"):
        om.Model(b"\x38\x01")  # field 7 as a varint is not a graph


def test_a_model_keeps_every_field_in_order(tmp_path):
    node = om.node("Relu", ["x"], "y")
    init = om.tensor("w", np.array([1.5, -2.0], np.float32))
    graph = om.encode(
        [(1, 2, node.encode()), (2, 2, b"name"), (5, 2, init.encode()), (11, 2, b"in"),
         (12, 2, b"out")]
    )  # fmt: skip
    b = om.encode([(1, 0, 8), (7, 2, graph), (8, 2, b"opset")])
    path = tmp_path / "m.onnx"
    path.write_bytes(b)
    m = om.load(str(path))
    assert m.rest == [(1, 0, 8), (8, 2, b"opset")]
    assert [n.op_type for n in m.graph.node] == ["Relu"]
    assert m.graph.node[0].input == ["x"] and m.graph.node[0].output == ["y"]
    assert [t.name for t in m.graph.initializer] == ["w"]
    assert om.to_array(m.graph.initializer[0]).tolist() == [1.5, -2.0]
    assert m.graph.input == [b"in"] and m.graph.rest == [(2, 2, b"name"), (12, 2, b"out")]
    # written back: the model's own fields first, then the graph; the graph's in a fixed order
    again = om.fields(m.SerializeToString())
    assert again[:2] == [(1, 0, 8), (8, 2, b"opset")] and again[2][0] == 7
    assert om.fields(again[2][2]) == om.fields(
        om.encode(
            [(1, 2, node.encode()), (5, 2, init.encode()), (11, 2, b"in"), (2, 2, b"name"),
             (12, 2, b"out")]
        )
    )  # fmt: skip


def test_node_and_tensor_bytes_are_planted():
    n = om.Node("Add", ["a", "b"], ["c"], [(7, 2, b"doc")])
    assert n.encode() == b"\x0a\x01a\x0a\x01b\x12\x01c\x22\x03Add\x3a\x03doc"
    p = om.Node.parse(n.encode() + b"\x22\x03Mul")  # op_type twice: the last counts
    assert (p.op_type, p.input, p.output, p.rest) == ("Mul", ["a", "b"], ["c"], [(7, 2, b"doc")])
    assert om.Node.parse(b"").op_type == ""
    t = om.tensor("i", np.array([[1], [-1]]))
    assert t.dims == [2, 1] and t.data_type == om.INT64
    assert t.encode() == (
        b"\x08\x02\x08\x01\x10\x07\x42\x01i\x4a\x10"
        + (1).to_bytes(8, "little") + (2**64 - 1).to_bytes(8, "little")
    )  # fmt: skip
    # dims packed (as onnx writes them), a data type given twice, unknown fields kept
    b = b"\x0a\x02\x02\x03\x10\x07\x10\x01\x42\x01w\x4a\x18" + bytes(24) + b"\x62\x01d"
    u = om.Tensor.parse(b)
    assert (u.name, u.dims, u.data_type, u.rest) == ("w", [2, 3], om.FLOAT, [(12, 2, b"d")])
    assert om.to_array(u).shape == (2, 3) and om.to_array(u).dtype == np.float32
    assert om.Tensor.parse(b"").name == "" and om.Tensor.parse(b"").data_type == 0
    v = om.Tensor.parse(b"\x10\x01\x08\x05")  # a dim after the data type: not a data type
    assert (v.dims, v.data_type) == ([5], om.FLOAT)


def test_to_array_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match=r"tensor 'd': not float32 or int64 raw data \(11\)"):
        om.to_array(om.Tensor("d", [1], 11, b"\x00" * 8))  # a double
    with pytest.raises(ValueError, match=r"'e'.*\(1\)"):
        om.to_array(om.Tensor("e", [0], om.FLOAT, b""))  # values not as raw bytes
    with pytest.raises(ValueError, match="cannot reshape"):
        om.to_array(om.Tensor("f", [3], om.FLOAT, b"\x00" * 8))
    le = om.Tensor("g", [2], om.FLOAT, np.array([1.0, 2.0], "<f4").tobytes())
    assert om.to_array(le).tolist() == [1.0, 2.0] and om.to_array(le).dtype == np.float32
    assert om.tensor("h", np.array([True, False])).data_type == om.INT64


def test_attributes_are_planted_bytes():
    n = om.node("X", ["a"], "b", k=3, f=0.25, s="v", l=[1, -1], t=om.tensor("z", [1.0]))
    got = om.attributes(n)
    assert got["k"][3] == [3] and got["k"][20] == [2]
    assert got["f"][2] == [b"\x00\x00\x80\x3e"] and got["f"][20] == [1]
    assert got["s"][4] == [b"v"] and got["s"][20] == [3]
    assert got["l"][8] == [1, 2**64 - 1] and got["l"][20] == [7]
    assert got["t"][20] == [4] and got["t"][2] == got["t"][3] == got["t"][4] == []
    raw = dict((f[0], f[2]) for f in om.fields(n.rest[4][2]))
    assert om.Tensor.parse(raw[5]).name == "z"
    assert om.attributes(om.Node("Y", [], [], [(7, 2, b"doc")])) == {}
    with pytest.raises(ValueError, match="flag=True: not a bool"):
        om.node("X", [], "b", flag=True)
    with pytest.raises(ValueError, match=r"lists of ints only"):
        om.node("X", [], "b", l=[1, True])


def test_a_float_input_is_planted_bytes():
    want = b"\x0a\x01x\x12\x0e\x0a\x0c\x08\x01\x12\x08\x0a\x02\x08\x01\x0a\x02\x08\x03"
    assert om.float_input("x", (1, 3)) == want


@needs_onnx
def test_the_onnx_package_and_this_reader_agree():
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "w")
    k = numpy_helper.from_array(np.array([-3, 4], np.int64), "k")
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["y"], name="mm", doc_string="d"),
        helper.make_node("Gemm", ["y", "w"], ["z"], alpha=0.5, transB=1),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2])], [w, k],
    )  # fmt: skip
    model = helper.make_model(graph, producer_name="p")
    b = model.SerializeToString()
    m = om.Model(b)
    assert [(n.op_type, n.input, n.output) for n in m.graph.node] == [
        ("MatMul", ["x", "w"], ["y"]),
        ("Gemm", ["y", "w"], ["z"]),
    ]
    assert om.attributes(m.graph.node[1])["transB"][3] == [1]
    assert np.array_equal(om.to_array(m.graph.initializer[0]), numpy_helper.to_array(w))
    assert om.to_array(m.graph.initializer[1]).tolist() == [-3, 4]
    assert onnx.load_from_string(m.SerializeToString()) == model
    # what this module writes, onnx reads as the same values
    m.graph.node.append(om.node("Pad", ["z"], "p", mode="reflect", pads=[0, -1], value=1.5))
    m.graph.initializer.append(om.tensor("t", np.array([[7.0, 8.0]], np.float32)))
    m.graph.input.append(om.float_input("q", (4, 5)))
    parsed = onnx.load_from_string(m.SerializeToString())
    pad = parsed.graph.node[2]
    assert (pad.op_type, list(pad.input), list(pad.output)) == ("Pad", ["z"], ["p"])
    attrs = {a.name: helper.get_attribute_value(a) for a in pad.attribute}
    assert attrs == {"mode": b"reflect", "pads": [0, -1], "value": 1.5}
    assert numpy_helper.to_array(parsed.graph.initializer[2]).tolist() == [[7.0, 8.0]]
    q = parsed.graph.input[1]
    assert q.name == "q" and q.type.tensor_type.elem_type == TensorProto.FLOAT
    assert [d.dim_value for d in q.type.tensor_type.shape.dim] == [4, 5]
    assert parsed.producer_name == "p" and parsed.graph.name == "g"


@pytest.mark.parametrize("b", [b"\x08" + b"\xff" * 10 + b"\x01", b"\x80" * 11 + b"\x00"])
def test_a_varint_longer_than_protobufs_ten_bytes_is_refused(b):
    """Was read on as a number of any size: a corrupt file of a few MB of 0xff bytes took
    minutes (each byte reshifts the whole number so far) where protobuf stops at byte 10."""
    with pytest.raises(ValueError, match="longer than 10 bytes"):
        om.fields(b)
