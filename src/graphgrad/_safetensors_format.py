"""The safetensors format: graphgrad.save to a ``*.safetensors`` path, and graphgrad.load of any safetensors file.

A file is an ordinary safetensors file (read and written here with NumPy; the safetensors package is
not needed). Its tensors are the checkpoint's tensors under flattened keys (a model state_dict keeps
its own keys: ``fc.weight``; an optimizer's become ``state.0.exp_avg``), so
``safetensors.torch.load_file`` reads a graphgrad model checkpoint in PyTorch with the same keys and
values. Everything that is not a tensor (nesting, ints, floats, strings, lists, tuples, the
optimizer's hyperparameters) is stored as JSON in the safetensors metadata, under the key
"graphgrad", with each tensor replaced by ``{"__tensor__": key}``. Loading parses JSON and raw
arrays only: nothing in a file can run code.

>>> import os, tempfile, graphgrad
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
>>> graphgrad.save({"w": graphgrad.ones(2), "epoch": 3, "betas": (0.9, 0.999)}, path)
>>> graphgrad.load(path)
{'w': tensor([1., 1.]), 'epoch': 3, 'betas': (0.9, 0.999)}
"""

from __future__ import annotations

import collections
import json
import math

import numpy as np

from . import _dtype
from ._tensor import Tensor

_META_KEY = "graphgrad"
_TAGS = ("__tensor__", "__ndarray__", "__float__", "__tuple__", "__dict__")
_MAPPING_TYPES = {"dict": dict, "OrderedDict": collections.OrderedDict, "Counter": collections.Counter}
# safetensors dtype codes and the graphgrad dtypes that hold them
_CODES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64",
          "F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}
_CODE_OF = {v: k for k, v in _CODES.items()}


def dumps(obj) -> bytes:
    """The bytes of a safetensors file holding ``obj`` (tensors flattened, the rest as JSON metadata)."""
    tensors = {}
    skeleton = _encode(obj, (), tensors)
    metadata = {"format": "pt", _META_KEY: json.dumps(skeleton, allow_nan=False, separators=(",", ":"))}
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for key, array in tensors.items():
        raw = array.reshape(-1).view(np.uint8).tobytes()
        code = _CODE_OF[_dtype.from_numpy_dtype(array.dtype).name]
        header[key] = {"dtype": code, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data section starts 8-byte aligned, as the safetensors library writes
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def _encode(value, path, tensors):
    """The JSON skeleton of ``value``; its tensors go into ``tensors`` under keys made from ``path``."""
    if isinstance(value, Tensor):
        return {"__tensor__": _put(tensors, path, value._data)}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _put(tensors, path, value)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, path + (str(i),), tensors) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, path + (str(i),), tensors) for i, v in enumerate(value)]
    if isinstance(value, dict):
        kind = type(value).__name__ if type(value).__name__ in _MAPPING_TYPES else "dict"
        plain = kind == "dict" and all(isinstance(k, str) and k not in _TAGS for k in value)
        if plain:
            return {k: _encode(v, path + (k,), tensors) for k, v in value.items()}
        items = [[_encode(k, path + ("key",), tensors), _encode(v, path + (str(k),), tensors)]
                 for k, v in value.items()]
        return {"__dict__": items, "__type__": kind}
    where = ".".join(path) or "the top level"
    raise TypeError(
        f"graphgrad.save cannot store a {type(value).__module__}.{type(value).__qualname__} (at {where}): "
        "a checkpoint holds tensors, ndarrays, numbers, strings, None, and lists, tuples and dicts of them "
        "(the safetensors format, no pickle; save to a path not ending in .safetensors for PyTorch's format)"
    )


def _put(tensors, path, array):
    key = ".".join(path) or "tensor"
    if key in tensors:  # e.g. {"a.b": t, "a": {"b": u}}: keep both, under distinct keys
        n = 1
        while f"{key}#{n}" in tensors:
            n += 1
        key = f"{key}#{n}"
    array = np.asarray(array)
    tensors[key] = array if array.flags.c_contiguous else array.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)
    return key


def looks_like_safetensors(head: bytes, size: int) -> bool:
    """Whether a file starting with ``head`` (9 bytes or more) of ``size`` bytes is laid out as safetensors."""
    return len(head) >= 9 and int.from_bytes(head[:8], "little") <= size - 8 and head[8:9] == b"{"


def loads(data: bytes, name: str):
    """The checkpoint in the safetensors bytes ``data`` (``name`` is the file, for errors)."""
    header, start = _check_header(data, name)
    arrays = {}
    for key, info in header.items():
        if key != "__metadata__":
            d = _dtype._BY_NAME[_CODES[info["dtype"]]]
            _dtype.require_supported(d)
            begin, end = info["data_offsets"]
            arrays[key] = np.frombuffer(data, d.np, count=(end - begin) // d.itemsize,
                                        offset=start + begin).reshape(info["shape"]).copy()
    tensors = {k: Tensor._make(a, False, None) for k, a in arrays.items()}
    meta = header.get("__metadata__") or {}
    if _META_KEY not in meta:
        return tensors
    try:
        skeleton = json.loads(meta[_META_KEY])
        return _decode(skeleton, tensors, arrays)
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        raise RuntimeError(
            f"{name}: the graphgrad structure stored in this safetensors file is damaged ({type(e).__name__}: {e})"
        ) from None


def _check_header(data, name):
    """The validated header and where the data section starts; a clear RuntimeError for anything else."""
    size = len(data)
    n = int.from_bytes(data[:8], "little") if size >= 8 else None
    if n is None or n > size - 8:  # not a safetensors layout: say what it looks like instead
        if n is None:
            raise RuntimeError(f"{name}: not a safetensors file: only {size} bytes (truncated or empty?)")
        raise RuntimeError(
            f"{name}: not a safetensors file, or truncated: its header claims {n} bytes but the file has "
            f"{size} bytes in all"
        )
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RuntimeError(f"{name}: not a safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise RuntimeError(f"{name}: not a safetensors file (its header is not a JSON object)")
    available = size - 8 - n
    for key, info in header.items():
        if key == "__metadata__":
            if not (isinstance(info, dict) and all(isinstance(v, str) for v in info.values())):
                raise RuntimeError(f"{name}: not a safetensors file (its __metadata__ is not a map of strings)")
            continue
        _check_entry(name, key, info, available)
    return header, 8 + n


def _is_index(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _check_entry(name, key, info, available):
    try:
        code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
    except (TypeError, KeyError, ValueError):
        raise RuntimeError(f"{name}: not a safetensors file (bad header entry for {key!r})") from None
    if not (_is_index(begin) and _is_index(end) and begin <= end and isinstance(shape, list)
            and all(_is_index(v) for v in shape)):
        raise RuntimeError(f"{name}: not a safetensors file (bad header entry for {key!r}: shape {shape!r}, "
                           f"data_offsets {info['data_offsets']!r})")
    if end > available:
        raise RuntimeError(
            f"{name}: truncated safetensors file: tensor {key!r} needs bytes up to {end} of the data section, "
            f"which has only {available}"
        )
    if code not in _CODES:
        raise RuntimeError(
            f"{name}: tensor {key!r} has dtype {code}, which graphgrad cannot hold; "
            f"convert it to float32 before saving"
        )
    if end - begin != math.prod(shape) * _dtype._BY_NAME[_CODES[code]].itemsize:
        raise RuntimeError(f"{name}: not a safetensors file (tensor {key!r} of shape {shape} and dtype {code} "
                           f"does not fit its {end - begin} bytes)")


def _decode(node, tensors, arrays):
    if isinstance(node, list):
        return [_decode(v, tensors, arrays) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        return tensors[node["__tensor__"]]
    if "__ndarray__" in node:
        return np.array(arrays[node["__ndarray__"]], copy=True)
    if "__float__" in node:
        return float(node["__float__"])
    if "__tuple__" in node:
        return tuple(_decode(v, tensors, arrays) for v in node["__tuple__"])
    if "__dict__" in node:
        items = [(_decode(k, tensors, arrays), _decode(v, tensors, arrays)) for k, v in node["__dict__"]]
        return _MAPPING_TYPES[node.get("__type__", "dict")](dict(items))
    return {k: _decode(v, tensors, arrays) for k, v in node.items()}
