"""What PyTorch makes of Python data (numbers, nested lists and tuples, arrays, tensors): the dtype it
infers and the array, for ``graphgrad.tensor()`` and for the operands of ops given as plain data.

>>> from_data([[1, 2], [3, 4]]).dtype, from_data(0.5).dtype
(graphgrad.int64, graphgrad.float32)
"""

from __future__ import annotations

import numpy as np

from . import _dtype
from ._tensor import Tensor


def infer_dtype(data):
    """The dtype PyTorch infers for nested Python data: bool < int64 < default float."""
    if isinstance(data, Tensor):
        return data._data.dtype
    if isinstance(data, np.ndarray):
        return data.dtype
    if isinstance(data, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(data, (int, np.integer)):
        return np.dtype(np.int64) if not isinstance(data, np.integer) else np.dtype(data.dtype)
    if isinstance(data, (float, np.floating)):
        return _dtype.get_default_dtype().np if not isinstance(data, np.floating) else np.dtype(data.dtype)
    if isinstance(data, (list, tuple)):
        kinds = [infer_dtype(x) for x in data]
        if not kinds:
            return _dtype.get_default_dtype().np
        out = kinds[0]
        for k in kinds[1:]:
            if k != out:
                out = _dtype.promote_types(_dtype.from_numpy_dtype(out), _dtype.from_numpy_dtype(k)).np
        return out
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def as_array(data):
    """``data`` as an ndarray (NumPy's dtype; ``infer_dtype`` says PyTorch's); nested lists must not be ragged."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and any(isinstance(x, (Tensor, list, tuple)) for x in data):
        _check_ragged(data)
        return np.array([as_array(x) for x in data])
    return np.asarray(data)


def _check_ragged(data, dim=0):
    """PyTorch's ValueError for nested lists of unequal lengths."""
    seqs = [x for x in data if isinstance(x, (list, tuple))]
    if not seqs:
        return
    n = len(seqs[0])
    for x in data:
        if not isinstance(x, (list, tuple)):
            raise TypeError(f"'{type(seqs[0]).__name__}' object cannot be interpreted as an integer")
        if len(x) != n:
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {len(x)})")
    for x in data:
        _check_ragged(x, dim + 1)


def from_data(data):
    """A tensor with no history holding ``data``, in the dtype PyTorch infers for it."""
    arr = np.array(as_array(data), dtype=infer_dtype(data))
    _dtype.from_numpy_dtype(arr.dtype)  # rejects unsupported dtypes with PyTorch's message
    return Tensor._make(arr, False, None)
