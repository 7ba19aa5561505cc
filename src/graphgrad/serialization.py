"""graphgrad.save / graphgrad.load: checkpoints in the safetensors format, never pickle.

A file is an ordinary safetensors file. Its tensors are the checkpoint's tensors under flattened
keys (a model state_dict keeps its own keys: ``fc.weight``; an optimizer's become
``state.0.exp_avg``), so ``safetensors.torch.load_file`` reads a graphgrad model checkpoint in
PyTorch with the same keys and values. Everything that is not a tensor (nesting, ints, floats,
strings, lists, tuples, the optimizer's hyperparameters) is stored as JSON in the safetensors
metadata, under the key "graphgrad", with each tensor replaced by ``{"__tensor__": key}``.
Loading parses JSON and raw arrays only: nothing in a file can run code.

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
import os

import numpy as np

from ._core.files import atomic_write_bytes as _atomic_write
from ._tensor import Tensor

__all__ = ["load", "save"]

_META_KEY = "graphgrad"
_TAGS = ("__tensor__", "__ndarray__", "__float__", "__tuple__", "__dict__")
_MAPPING_TYPES = {"dict": dict, "OrderedDict": collections.OrderedDict, "Counter": collections.Counter}
# safetensors dtypes that NumPy (and so graphgrad) can hold.
_SUPPORTED_DTYPES = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "F32", "F64"}


def _safetensors_numpy():
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError(
            "graphgrad.save and graphgrad.load use the safetensors format and need the safetensors package: "
            "pip install safetensors  (or: pip install 'graphgrad[io]')"
        ) from None
    return st


# --- save -----------------------------------------------------------------------------------------
def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write ``obj`` (a state_dict, or nested dicts/lists/tuples of tensors and plain values) to ``f``.

    ``f`` is a path, written atomically: the bytes go to a temporary file in the same directory,
    which is fsynced and then renamed over ``f``, so a crash mid-write leaves the old file intact.
    ``f`` may also be a binary file object (written in place, not atomically). The pickle
    arguments exist for ``torch.save`` compatibility and are ignored.
    """
    st = _safetensors_numpy()
    tensors = {}
    skeleton = _encode(obj, (), tensors)
    metadata = {"format": "pt", _META_KEY: json.dumps(skeleton, allow_nan=False, separators=(",", ":"))}
    data = st.save(tensors, metadata=metadata)
    if hasattr(f, "write"):
        f.write(data)
        if hasattr(f, "flush"):
            f.flush()
        return
    _atomic_write(os.fspath(f), data)


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
        "(the safetensors format, no pickle)"
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


# --- load -----------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Read a checkpoint written by ``graphgrad.save``, or any safetensors file (as a flat dict).

    A safetensors file from elsewhere (``safetensors.torch.save_file``, the Hub) loads as
    ``{name: tensor}``. A truncated or foreign file raises RuntimeError naming the file. Loading
    never unpickles, whatever ``weights_only`` says; ``map_location`` is accepted and ignored (CPU).
    """
    if hasattr(f, "read"):
        name = getattr(f, "name", None) or "<file object>"
        data = f.read()
    else:
        name = os.fspath(f)
        with open(name, "rb") as fh:
            data = fh.read()
    header = _check_header(data, name)
    st = _safetensors_numpy()
    try:
        arrays = st.load(data)
    except Exception as e:
        raise RuntimeError(f"{name}: not a readable safetensors file ({type(e).__name__}: {e})") from None
    tensors = {k: Tensor._make(np.array(a, copy=True), False, None) for k, a in arrays.items()}
    meta = header.get("__metadata__") or {}
    if _META_KEY not in meta:
        return tensors
    try:
        skeleton = json.loads(meta[_META_KEY])
        return _decode(skeleton, tensors, arrays)
    except (ValueError, KeyError, TypeError) as e:
        raise RuntimeError(
            f"{name}: the graphgrad structure stored in this safetensors file is damaged ({type(e).__name__}: {e})"
        ) from None


def _check_header(data, name):
    """Validate the safetensors layout and return the header, with a clear error for anything else."""
    size = len(data)
    n = int.from_bytes(data[:8], "little") if size >= 8 else None
    if n is None or n > size - 8:  # not a safetensors layout: say what it looks like instead
        if data[:4] == b"PK\x03\x04":
            raise RuntimeError(
                f"{name}: this is a zip archive, probably a PyTorch checkpoint written by torch.save (pickle). "
                "graphgrad never unpickles; in PyTorch, convert it with "
                "safetensors.torch.save_file(torch.load(path), new_path) and load that."
            )
        if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            raise RuntimeError(f"{name}: this is a Python pickle, not a safetensors file; graphgrad never unpickles.")
        if n is None:
            raise RuntimeError(f"{name}: not a safetensors file: only {size} bytes (truncated or empty?)")
        raise RuntimeError(
            f"{name}: not a safetensors file, or truncated: its header claims {n} bytes but the file has "
            f"{size} bytes in all"
        )
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, ValueError):
        raise RuntimeError(f"{name}: not a safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise RuntimeError(f"{name}: not a safetensors file (its header is not a JSON object)")
    available = size - 8 - n
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype, (_, end) = info["dtype"], info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise RuntimeError(f"{name}: not a safetensors file (bad header entry for {key!r})") from None
        if end > available:
            raise RuntimeError(
                f"{name}: truncated safetensors file: tensor {key!r} needs bytes up to {end} of the data section, "
                f"which has only {available}"
            )
        if dtype not in _SUPPORTED_DTYPES:
            raise RuntimeError(
                f"{name}: tensor {key!r} has dtype {dtype}, which graphgrad (NumPy) cannot hold; "
                f"convert it to float32 before saving"
            )
    return header


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
