"""More reductions: nansum, and the order statistics median, kthvalue and mode.

The values along a dimension come with their indices; the gradient goes to the selected element (the
same scatter as ``max(dim)``). The median of all elements shares its gradient among tied elements, as
PyTorch's does.
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from .._dtype import to_dtype
from .._tensor import Tensor
from ._op import Op, apply, export
from .reduce import _evenly_bw, _select_bw, expand_reduced
from .shape import wrap_dims


def _T():
    return Tensor


# --- nansum ---------------------------------------------------------------------------------------
def _nansum_fwd(a, dims, keepdim, dtype=None):
    return np.asarray(np.nansum(a, axis=dims, keepdims=keepdim, dtype=dtype))


def _nansum_bw(n, g):
    (a,) = n.saved_tensors
    k = n.kwargs
    return expand_reduced(g, a._data.shape, k["dims"], k["keepdim"]) * a.isnan().logical_not()


NANSUM = Op("NansumBackward0", _nansum_fwd, _nansum_bw, save="a")


@export("nansum")
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum with NaNs counted as zero."""
    nd = input._data.ndim
    if dim is None or isinstance(dim, (list, tuple)) and not dim:
        dims = tuple(range(nd))
    else:
        dims = wrap_dims(dim, nd) if nd else (wrap_dims(dim, 0) and ())
    if dtype is not None:
        dt = to_dtype(dtype).np
    else:
        dt = np.int64 if input._data.dtype.kind in "biu" else None
    return apply(NANSUM, input, dims=dims, keepdim=keepdim, dtype=dt)


# --- median / kthvalue / mode ----------------------------------------------------------------------
def _kth_fwd(a, dim, k, keepdim):
    """The k-th smallest (1-based) along ``dim`` and its index; NaN counts as the largest value."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    order = np.argsort(a, axis=dim, kind="stable")
    idx = np.take(order, [k - 1], axis=dim)
    vals = np.take_along_axis(a, idx, axis=dim)
    if not keepdim:
        vals, idx = vals.squeeze(dim), idx.squeeze(dim)
    return vals, idx.astype(np.int64)


def _median_fwd(a, dim, keepdim):
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    n = a.shape[dim]
    vals, idx = _kth_fwd(a, dim, (n + 1) // 2, keepdim)
    nan = np.isnan(a)
    if nan.any():  # PyTorch's median is NaN where the slice holds one, with the first NaN's index
        has = nan.any(axis=dim, keepdims=keepdim)
        first = np.argmax(nan, axis=dim)
        if keepdim:
            first = np.expand_dims(first, dim)
        vals = np.where(has, np.asarray(np.nan, a.dtype), vals)
        idx = np.where(has, first, idx)
    return vals, idx


def _mode_fwd(a, dim, keepdim):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and its last index."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    moved = np.moveaxis(a, dim, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    vals = np.empty(flat.shape[0], a.dtype)
    idx = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        uniq, counts = np.unique(row, return_counts=True)
        v = uniq[np.argmax(counts)]
        vals[r] = v
        idx[r] = np.nonzero(row == v)[0][-1]
    shape = moved.shape[:-1]
    vals, idx = vals.reshape(shape), idx.reshape(shape)
    if keepdim:
        vals, idx = np.expand_dims(vals, dim), np.expand_dims(idx, dim)
    return vals, idx


def _median_all_fwd(a):
    flat = a.reshape(-1)
    if flat.size == 0:
        return np.asarray(np.nan, a.dtype)
    if a.dtype.kind == "f" and np.isnan(flat).any():
        return np.asarray(np.nan, a.dtype)
    return np.asarray(np.sort(flat, kind="stable")[(flat.size - 1) // 2])


MEDIAN_ALL = Op("MedianBackward0", _median_all_fwd, _evenly_bw, save=("a", "out"))
MEDIAN_DIM = Op("MedianBackward1", _median_fwd, _select_bw, stateful=True)
KTHVALUE = Op("KthvalueBackward0", lambda a, dim, k, keepdim: _kth_fwd(a, dim, k, keepdim), _select_bw,
              stateful=True)
MODE = Op("ModeBackward0", _mode_fwd, _select_bw, stateful=True)


def _with_indices(op, input, **kw):
    """``(values, indices)`` as PyTorch's named tuple of the op (``return_types.median``, ...): the indices
    are the node's state, as for ``max(dim)``; a 0-d tensor is its own one-element dimension."""
    vals = apply(op, input, **kw)
    node = vals._grad_fn
    idx = node.state if node is not None else op.forward(input._data, **kw)[1]
    result = getattr(return_types, op.forward_name.lower())
    return result((vals, _T()._make(np.asarray(idx, dtype=np.int64), False, None)))


def _dim(input, dim):
    nd = input._data.ndim
    return wrap_dims(dim, nd)[0] if nd else (wrap_dims(dim, 0) and 0)


@export("median")
def median(input, dim=None, keepdim=False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``."""
    if dim is None:
        return apply(MEDIAN_ALL, input)
    return _with_indices(MEDIAN_DIM, input, dim=_dim(input, dim), keepdim=keepdim)


@export("kthvalue")
def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element along ``dim`` and its index."""
    d = _dim(input, dim)
    size = input._data.shape[d] if input._data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _with_indices(KTHVALUE, input, dim=d, k=int(k), keepdim=keepdim)


@export("mode")
def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` and the index of its last occurrence."""
    return _with_indices(MODE, input, dim=_dim(input, dim), keepdim=keepdim)
