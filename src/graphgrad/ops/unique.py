"""``unique`` and ``unique_consecutive`` (also as Tensor methods), with PyTorch's outputs: the values (sorted
on the CPU even with ``sorted=False``, as PyTorch's CPU kernel sorts), the inverse indices and the counts
(int64). The values of a tensor that requires grad carry PyTorch's node, whose derivative PyTorch does not
implement, so ``backward`` through them raises PyTorch's NotImplementedError.

>>> import graphgrad
>>> graphgrad.unique(graphgrad.tensor([3, 1, 2, 3, 1]), return_inverse=True, return_counts=True)
(tensor([1, 2, 3]), tensor([2, 0, 1, 2, 0]), tensor([2, 1, 2]))
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._export import export
from ._op import Op, apply


def _not_implemented(forward_name):
    def backward(node, grad):
        raise NotImplementedError(f"the derivative for '{forward_name}' is not implemented.")

    return backward


# the values, computed beforehand, handed through an op so that they carry PyTorch's node
_VALUES = {kind: Op(node, lambda a, values: values, _not_implemented(kind))
           for kind, node in (("_unique2", "Unique2Backward0"), ("unique_dim", "UniqueDimBackward0"),
                              ("unique_consecutive", "UniqueConsecutiveBackward0"))}


def _dim_first_rows(arr, dim):
    """``arr`` with ``dim`` first and the rest flattened: one row per slice along ``dim``."""
    moved = np.moveaxis(arr, dim, 0)
    return moved.reshape(moved.shape[0], -1), moved.shape


def _results(input, kind, values, inverse, counts, return_inverse, return_counts):
    out = apply(_VALUES[kind], input, values=values)
    extras = [Tensor._make(np.asarray(a, np.int64), False, None) for a, wanted in
              ((inverse, return_inverse), (counts, return_counts)) if wanted]
    return (out, *extras) if extras else out


@export("unique")
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of ``input`` (or distinct slices along ``dim``), with inverse indices and counts."""
    arr = input._data
    if dim is None:
        values, inverse, counts = np.unique(arr.reshape(-1), return_inverse=True, return_counts=True,
                                            equal_nan=False)  # each NaN is its own value, as in PyTorch
        return _results(input, "_unique2", values, inverse.reshape(arr.shape), counts, return_inverse,
                        return_counts)
    dim = input._wrap_dim(dim)
    rows, moved_shape = _dim_first_rows(arr, dim)
    values, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    values = np.moveaxis(values.reshape((len(values),) + moved_shape[1:]), 0, dim)
    return _results(input, "unique_dim", values, inverse.reshape(-1), counts, return_inverse, return_counts)


@export("unique_consecutive")
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive values (or slices along ``dim``) to one."""
    arr = input._data
    if dim is None:
        rows, moved_shape = arr.reshape(-1, 1), None
    else:
        dim = input._wrap_dim(dim)
        rows, moved_shape = _dim_first_rows(arr, dim)
    starts = np.ones(len(rows), dtype=bool)
    starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    inverse = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), len(rows)))
    if moved_shape is None:
        values, inverse = rows[starts, 0], inverse.reshape(arr.shape)
    else:
        values = np.moveaxis(rows[starts].reshape((int(starts.sum()),) + moved_shape[1:]), 0, dim)
    return _results(input, "unique_consecutive", values, inverse, counts, return_inverse, return_counts)
