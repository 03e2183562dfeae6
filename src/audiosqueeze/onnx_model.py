"""The few ONNX messages that :mod:`audiosqueeze.silero_graph` reads and writes, declared for
protobuf (installed with ONNX Runtime), so the core does not need the ``onnx`` package.

With ``onnx`` imported (its C++ checker and shape inference come with it), a 60-minute
``compress(path)`` went past its 300 MB target; protobuf alone costs far less
(``docs/RESULTS.md``, stop 34). Only the fields the rewrite touches are
declared, with ONNX's own field numbers (``onnx/onnx.proto``); every other field of a model
read here is kept as an unknown field and written back unchanged. The messages live in a
pool of their own, so they never clash with ``onnx``'s where both are imported.
"""

from __future__ import annotations

import threading

import numpy as np

FLOAT, INT64 = 1, 7  # TensorProto.DataType
_DTYPES = {FLOAT: np.float32, INT64: np.int64}
_ATTR_FLOAT, _ATTR_INT, _ATTR_STRING, _ATTR_TENSOR, _ATTR_INTS = 1, 2, 3, 4, 7

# message -> (field, number, type, label, message type if any); label 1 optional, 3 repeated
_SCHEMA = {
    "TensorProto": [
        ("dims", 1, "int64", 3),
        ("data_type", 2, "int32", 1),
        ("float_data", 4, "float", 3),
        ("int64_data", 7, "int64", 3),
        ("name", 8, "string", 1),
        ("raw_data", 9, "bytes", 1),
    ],
    "AttributeProto": [
        ("name", 1, "string", 1),
        ("f", 2, "float", 1),
        ("i", 3, "int64", 1),
        ("s", 4, "bytes", 1),
        ("t", 5, "TensorProto", 1),
        ("ints", 8, "int64", 3),
        ("type", 20, "int32", 1),
    ],
    "NodeProto": [
        ("input", 1, "string", 3),
        ("output", 2, "string", 3),
        ("name", 3, "string", 1),
        ("op_type", 4, "string", 1),
        ("attribute", 5, "AttributeProto", 3),
        ("domain", 7, "string", 1),
    ],
    "Dimension": [("dim_value", 1, "int64", 1), ("dim_param", 2, "string", 1)],
    "TensorShapeProto": [("dim", 1, "Dimension", 3)],
    "TensorType": [("elem_type", 1, "int32", 1), ("shape", 2, "TensorShapeProto", 1)],
    "TypeProto": [("tensor_type", 1, "TensorType", 1)],
    "ValueInfoProto": [("name", 1, "string", 1), ("type", 2, "TypeProto", 1)],
    "GraphProto": [
        ("node", 1, "NodeProto", 3),
        ("name", 2, "string", 1),
        ("initializer", 5, "TensorProto", 3),
        ("input", 11, "ValueInfoProto", 3),
        ("output", 12, "ValueInfoProto", 3),
    ],
    "ModelProto": [("ir_version", 1, "int64", 1), ("graph", 7, "GraphProto", 1)],
}


_LOCK = threading.Lock()
_CLASSES: dict = {}


def messages() -> dict:
    """The message classes, by name, made once (under a lock: two threads asking first get
    the same classes, so a model one of them read can take the other's tensors)."""
    with _LOCK:
        if not _CLASSES:
            _CLASSES.update(_build())
        return _CLASSES


def _build() -> dict:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    scalar = {
        "int64": field.TYPE_INT64,
        "int32": field.TYPE_INT32,
        "float": field.TYPE_FLOAT,
        "string": field.TYPE_STRING,
        "bytes": field.TYPE_BYTES,
    }
    fd = descriptor_pb2.FileDescriptorProto(
        name="audiosqueeze_onnx_subset.proto", package="audiosqueeze_onnx", syntax="proto2"
    )
    for message, fields in _SCHEMA.items():
        m = fd.message_type.add(name=message)
        for name, number, kind, label in fields:
            f = m.field.add(name=name, number=number, label=label)
            if kind in scalar:
                f.type = scalar[kind]
                if label == 3 and kind in ("int64", "float"):
                    f.options.packed = True  # as ONNX declares them
            else:
                f.type, f.type_name = field.TYPE_MESSAGE, f".audiosqueeze_onnx.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return {
        name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"audiosqueeze_onnx.{name}")
        )
        for name in _SCHEMA
    }


def load(path: str):
    """The ``ModelProto`` in the file at ``path``."""
    with open(path, "rb") as f:
        return messages()["ModelProto"].FromString(f.read())


def to_array(t) -> np.ndarray:
    """A tensor's values (float32 or int64, raw or listed)."""
    dtype = _DTYPES.get(t.data_type)
    if dtype is None:
        raise ValueError(f"tensor {t.name!r} has data type {t.data_type}, not float32 or int64")
    if t.raw_data:
        values = np.frombuffer(t.raw_data, dtype=np.dtype(dtype).newbyteorder("<"))
    else:
        values = np.asarray(t.float_data if dtype is np.float32 else t.int64_data, dtype)
    return values.astype(dtype).reshape(tuple(t.dims))


def tensor(name: str, values) -> object:
    """A ``TensorProto`` named ``name`` holding ``values`` (float32 or int64)."""
    a = np.asarray(values)
    code = FLOAT if a.dtype.kind == "f" else INT64
    a = np.ascontiguousarray(a, _DTYPES[code]).astype(np.dtype(_DTYPES[code]).newbyteorder("<"))
    return messages()["TensorProto"](name=name, dims=a.shape, data_type=code, raw_data=a.tobytes())


def node(op_type: str, inputs: list[str], output: str, **attrs):
    """A ``NodeProto``; attributes: int, float, str, a list of Python ints, or a
    ``TensorProto``."""
    m = messages()
    n = m["NodeProto"](op_type=op_type, input=inputs, output=[output])
    for name, v in attrs.items():
        a = n.attribute.add(name=name)
        if hasattr(v, "SerializeToString"):
            a.type = _ATTR_TENSOR
            a.t.CopyFrom(v)
        elif isinstance(v, int):
            a.type, a.i = _ATTR_INT, v
        elif isinstance(v, float):
            a.type, a.f = _ATTR_FLOAT, v
        elif isinstance(v, str):
            a.type, a.s = _ATTR_STRING, v.encode()
        elif all(isinstance(i, int) for i in v):
            a.type = _ATTR_INTS
            a.ints.extend(v)
        else:
            raise ValueError(f"attribute {name}={v!r}: lists of ints only")
    return n


def float_input(name: str, shape: tuple[int, ...]):
    """A ``ValueInfoProto`` for a float32 graph input of a fixed ``shape``."""
    v = messages()["ValueInfoProto"](name=name)
    v.type.tensor_type.elem_type = FLOAT
    for d in shape:
        v.type.tensor_type.shape.dim.add(dim_value=int(d))
    return v
