"""Read and write the few parts of an ONNX model that :mod:`audiosqueeze.silero_graph` touches,
straight from protobuf's wire format.

Neither the ``onnx`` package nor protobuf's own runtime is loaded: with ``onnx`` a 60-minute
``compress(path)`` went from 293 to 309 MB, past its 300 MB target, and with protobuf's runtime
(its C extension and the message classes) it still peaked at 298-300 MB, against 295-296 MB
reading and writing the bytes here (``docs/RESULTS.md``, stop 34). The format is small and
stable: each field is a key (field number << 3 | wire type) and a varint, a fixed 4 or 8
bytes, or length-prefixed bytes. Field numbers are ONNX's own (``onnx/onnx.proto``). Only the
fields the rewrite reads are decoded; every other field of a message read here is kept as
its bytes and written back unchanged.
"""

from __future__ import annotations

import struct

import numpy as np

FLOAT, INT64 = 1, 7  # TensorProto.DataType
_DTYPES = {FLOAT: np.float32, INT64: np.int64}
_ATTR_FLOAT, _ATTR_INT, _ATTR_STRING, _ATTR_TENSOR, _ATTR_INTS = 1, 2, 3, 4, 7
_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def _read_varint(b: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if i >= len(b):
            raise ValueError("protobuf: a varint runs past the end of its message")
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        if c < 0x80:
            return n, i
        shift += 7
        if shift >= 70:  # protobuf's varints end by byte 10; reading on is quadratic in length
            raise ValueError("protobuf: a varint longer than 10 bytes")


def fields(b: bytes) -> list[tuple[int, int, int | bytes]]:
    """A message's fields in order: ``(number, wire type, value)``, the value an int for a
    varint and the bytes for the others."""
    out, i = [], 0
    while i < len(b):
        key, i = _read_varint(b, i)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, i = _read_varint(b, i)
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            value, i = b[i : i + size], i + size
        elif wire == _BYTES:
            size, i = _read_varint(b, i)
            value, i = b[i : i + size], i + size
        else:
            raise ValueError(f"protobuf wire type {wire} (field {number}) is not read here")
        if i > len(b):
            raise ValueError(f"protobuf: field {number} runs past the end of its message")
        out.append((number, wire, value))
    return out


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # a negative int64 is its ten-byte two's complement
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode(items) -> bytes:
    """``(number, wire type, value)`` fields as a message's bytes."""
    out = bytearray()
    for number, wire, value in items:
        out += _varint(number << 3 | wire)
        if wire == _VARINT:
            out += _varint(value)
        elif wire == _BYTES:
            out += _varint(len(value)) + value
        else:
            out += value
    return bytes(out)


def _text(items, number: int) -> list[str]:
    return [v.decode() for n, w, v in items if n == number and w == _BYTES]


class Node:
    """A ``NodeProto``: its op type, inputs and outputs (lists that may be changed), and the
    rest (name, attributes, domain) as read."""

    def __init__(self, op_type: str, inputs, outputs, rest=()):
        self.op_type, self.input, self.output, self.rest = (
            op_type,
            list(inputs),
            list(outputs),
            list(rest),
        )

    @classmethod
    def parse(cls, b: bytes) -> Node:
        items = fields(b)
        op = _text(items, 4)
        rest = [f for f in items if f[0] not in (1, 2, 4)]
        return cls(op[-1] if op else "", _text(items, 1), _text(items, 2), rest)

    def encode(self) -> bytes:
        named = [(1, _BYTES, s.encode()) for s in self.input]
        named += [(2, _BYTES, s.encode()) for s in self.output] + [
            (4, _BYTES, self.op_type.encode())
        ]
        return encode(named + self.rest)


class Tensor:
    """A ``TensorProto``: name, dims, data type and its values' bytes, and the rest as read."""

    def __init__(self, name: str, dims, data_type: int, raw_data: bytes = b"", rest=()):
        self.name, self.dims, self.data_type = name, list(dims), data_type
        self.raw_data, self.rest = raw_data, list(rest)

    @classmethod
    def parse(cls, b: bytes) -> Tensor:
        items, dims = fields(b), []
        for n, w, v in items:
            if n == 1:
                dims += [v] if w == _VARINT else _packed_varints(v)
        name, kinds = _text(items, 8), [v for n, w, v in items if n == 2 and w == _VARINT]
        raw = [v for n, w, v in items if n == 9 and w == _BYTES]
        rest = [f for f in items if f[0] not in (1, 2, 8, 9)]
        # a field given twice: the last one counts, as in protobuf
        return cls(
            name[-1] if name else "", dims, kinds[-1] if kinds else 0, raw[-1] if raw else b"", rest
        )

    def encode(self) -> bytes:
        items = [(1, _VARINT, d) for d in self.dims] + [(2, _VARINT, self.data_type)]
        items += [(8, _BYTES, self.name.encode()), (9, _BYTES, self.raw_data)]
        return encode(items + self.rest)


def _packed_varints(b: bytes) -> list[int]:
    out, i = [], 0
    while i < len(b):
        v, i = _read_varint(b, i)
        out.append(v)
    return out


class Graph:
    """A ``GraphProto``: nodes and initializers parsed, inputs and the rest as bytes."""

    def __init__(self, b: bytes):
        items = fields(b)
        self.node = [Node.parse(v) for n, w, v in items if n == 1 and w == _BYTES]
        self.initializer = [Tensor.parse(v) for n, w, v in items if n == 5 and w == _BYTES]
        self.input = [v for n, w, v in items if n == 11 and w == _BYTES]
        self.rest = [f for f in items if f[0] not in (1, 5, 11)]

    def encode(self) -> bytes:
        items = [(1, _BYTES, n.encode()) for n in self.node]
        items += [(5, _BYTES, t.encode()) for t in self.initializer]
        return encode(items + [(11, _BYTES, v) for v in self.input] + self.rest)


class Model:
    """A ``ModelProto``: its graph parsed, everything else (IR version, opsets) as read."""

    def __init__(self, b: bytes):
        items = fields(b)
        graphs = [v for n, w, v in items if n == 7 and w == _BYTES]
        if len(graphs) != 1:
            raise ValueError(f"an ONNX model holds one graph, this one {len(graphs)}")
        self.graph = Graph(graphs[0])
        self.rest = [f for f in items if f[0] != 7]

    def SerializeToString(self) -> bytes:  # noqa: N802 (protobuf's name, so callers read alike)
        return encode(self.rest + [(7, _BYTES, self.graph.encode())])


def load(path: str) -> Model:
    """The model in the file at ``path``."""
    with open(path, "rb") as f:
        return Model(f.read())


def to_array(t: Tensor) -> np.ndarray:
    """A tensor's values (float32 or int64, stored as raw bytes)."""
    dtype = _DTYPES.get(t.data_type)
    if dtype is None or not t.raw_data:
        raise ValueError(f"tensor {t.name!r}: not float32 or int64 raw data ({t.data_type})")
    values = np.frombuffer(t.raw_data, dtype=np.dtype(dtype).newbyteorder("<"))
    return values.astype(dtype).reshape(tuple(t.dims))


def tensor(name: str, values) -> Tensor:
    """A tensor named ``name`` holding ``values`` (float32 or int64)."""
    a = np.asarray(values)
    code = FLOAT if a.dtype.kind == "f" else INT64
    a = np.ascontiguousarray(a, np.dtype(_DTYPES[code]).newbyteorder("<"))
    return Tensor(name, a.shape, code, a.tobytes())


def _attribute(name: str, value) -> bytes:
    items = [(1, _BYTES, name.encode())]
    if isinstance(value, Tensor):
        items += [(5, _BYTES, value.encode()), (20, _VARINT, _ATTR_TENSOR)]
    elif isinstance(value, bool):
        raise ValueError(f"attribute {name}={value!r}: not a bool")
    elif isinstance(value, int):
        items += [(3, _VARINT, value), (20, _VARINT, _ATTR_INT)]
    elif isinstance(value, float):
        items += [(2, _FIXED32, struct.pack("<f", value)), (20, _VARINT, _ATTR_FLOAT)]
    elif isinstance(value, str):
        items += [(4, _BYTES, value.encode()), (20, _VARINT, _ATTR_STRING)]
    elif all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        items += [(8, _VARINT, i) for i in value] + [(20, _VARINT, _ATTR_INTS)]
    else:
        raise ValueError(f"attribute {name}={value!r}: lists of ints only")
    return encode(items)


def node(op_type: str, inputs: list[str], output: str, **attrs) -> Node:
    """A node; attributes: int, float, str, a list of ints, or a :class:`Tensor`."""
    rest = [(5, _BYTES, _attribute(k, v)) for k, v in attrs.items()]
    return Node(op_type, inputs, [output], rest)


def attributes(n: Node) -> dict[str, dict[int, list]]:
    """A node's attributes: name -> {field number: values} (for tests and inspection)."""
    out = {}
    for number, _, value in n.rest:
        if number == 5:
            items = fields(value)
            out[_text(items, 1)[0]] = {
                k: [v for f, _, v in items if f == k] for k in (2, 3, 4, 8, 20)
            }
    return out


def float_input(name: str, shape: tuple[int, ...]) -> bytes:
    """A ``ValueInfoProto`` (bytes) for a float32 graph input of a fixed ``shape``."""
    dims = encode([(1, _BYTES, encode([(1, _VARINT, int(d))])) for d in shape])
    tensor_type = encode([(1, _VARINT, FLOAT), (2, _BYTES, dims)])
    return encode([(1, _BYTES, name.encode()), (2, _BYTES, encode([(1, _BYTES, tensor_type)]))])
