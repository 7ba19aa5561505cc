"""Extrema and order: max/min (and amax, argmax, ...), sort, argsort, topk, median, kthvalue, mode."""

from __future__ import annotations

import numpy as np

from .. import return_types
from .._dtype import is_float_np
from .._size import wrap_dims
from .._tensor import Tensor
from ..autograd import errors
from ._op import Op, apply, export
from .comparison import maximum, minimum
from .index import SORT_GATHER, STABLE_SORT_GATHER, TOPK_GATHER, scatter_into_zeros
from .reduce import expand_reduced, one_dim, reduced_dims, with_indices


# --- max / min ------------------------------------------------------------------------------------
def _evenly_bw(n, g):
    """Full-reduction max/min/amax: the gradient is shared evenly among the tied extreme elements."""
    a, out = n.saved_tensors
    k = n.kwargs
    dims, keepdim = k.get("dims"), k.get("keepdim", False)
    if dims is None:  # PyTorch's evenly_distribute_backward: zeros elsewhere, a NaN result picks the NaNs
        mask = a.isnan() if np.isnan(out._data).any() else a == out
        return (g / mask.sum()).where(mask, 0.0)
    outk = expand_reduced(out, a._data.shape, dims, keepdim)
    mask = (a == outk).to(g.dtype)
    count = mask.sum(dims, keepdim=True)
    return mask * expand_reduced(g, a._data.shape, dims, keepdim) / count


MAX_ALL = Op("MaxBackward1", np.max, _evenly_bw, save=("a", "out"))
MIN_ALL = Op("MinBackward1", np.min, _evenly_bw, save=("a", "out"))
AMAX = Op("AmaxBackward0", lambda a, dims, keepdim: np.max(a, axis=dims, keepdims=keepdim), _evenly_bw,
          save=("a", "out"))
AMIN = Op("AminBackward0", lambda a, dims, keepdim: np.min(a, axis=dims, keepdims=keepdim), _evenly_bw,
          save=("a", "out"))


def _select_fwd(pick):
    def fwd(a, dim, keepdim):
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        idx = pick(a, axis=dim, keepdims=True)
        vals = np.take_along_axis(a, idx, axis=dim)
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx

    return fwd


def _select_bw(n, g):
    k = n.kwargs
    idx = n.state
    if idx is None:
        raise errors.second_backward(n)
    dim = k["dim"]
    shape = n._in_meta[0][0]
    if not shape:  # a 0-d input is its own max
        return g * 1
    if not k["keepdim"]:
        g = g.unsqueeze(dim)
        idx = np.expand_dims(idx, dim)

    return scatter_into_zeros(g, dim, idx, shape)


MAX_DIM = Op("MaxBackward0", _select_fwd(np.argmax), _select_bw, stateful=True)
MIN_DIM = Op("MinBackward0", _select_fwd(np.argmin), _select_bw, stateful=True)


def _max_min(input, dim, keepdim, other, full_op, dim_op, name):
    if isinstance(dim, Tensor):
        other = dim
    if other is not None:
        return maximum(input, other) if name == "max" else minimum(input, other)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction "
                "dim with the 'dim' argument."
            )
        return apply(full_op, input)
    d = wrap_dims(dim, input._data.ndim)[0]
    _nonempty_dim(name, input, (d,))
    vals = apply(dim_op, input, dim=d, keepdim=keepdim)
    node = vals._grad_fn
    idx = node.state if node is not None else dim_op.forward(input._data, d, keepdim)[1]
    result = return_types.max if name == "max" else return_types.min
    return result((vals, Tensor._make(np.asarray(idx, dtype=np.int64), False, None)))


@export("max")
def max(input, dim=None, keepdim=False, *, other=None):
    """Largest element, or ``(values, indices)`` along ``dim``; ``max(a, b)`` is elementwise."""
    return _max_min(input, dim, keepdim, other, MAX_ALL, MAX_DIM, "max")


@export("min")
def min(input, dim=None, keepdim=False, *, other=None):
    return _max_min(input, dim, keepdim, other, MIN_ALL, MIN_DIM, "min")


def _nonempty_dim(name, input, dims, shown=None):
    """PyTorch's IndexError for a max/min-like reduction over a dimension of size 0 (``shown``: the dims
    as the caller spelled them, which amax/amin name; the others name the wrapped dim)."""
    shape = input._data.shape
    if not input._data.size and shape:
        for d, s in zip(dims, shown if shown is not None else dims):
            if shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {s} to have non-zero size.")


def _amax_amin(op, name, input, dim, keepdim):
    if dim == () or dim == []:
        if not input._data.size:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction "
                "dim with the 'dim' argument."
            )
        dim = None
    dims = reduced_dims(input, dim)
    if dim is not None:
        spelled = tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
        _nonempty_dim(name, input, wrap_dims(dim, input._data.ndim) if input._data.ndim else (), spelled)
    return apply(op, input, dims=dims, keepdim=keepdim)


@export("amax")
def amax(input, dim=(), keepdim=False):
    return _amax_amin(AMAX, "amax", input, dim, keepdim)


@export("amin")
def amin(input, dim=(), keepdim=False):
    return _amax_amin(AMIN, "amin", input, dim, keepdim)


def _arg(pick, input, dim, keepdim):
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"{pick.__name__}(): does not support bool input")
    if dim is None:
        if not input._data.size:
            raise IndexError(f"{pick.__name__}(): Expected reduction dim to be specified for input.numel() == 0.")
        return Tensor._make(np.asarray(pick(input._data.reshape(-1)), dtype=np.int64), False, None)
    d = wrap_dims(dim, input._data.ndim)[0]
    if input._data.ndim == 0:
        return Tensor._make(np.asarray(0, dtype=np.int64), False, None)
    _nonempty_dim(pick.__name__, input, (d,))
    return Tensor._make(np.asarray(pick(input._data, axis=d, keepdims=keepdim), dtype=np.int64), False, None)


@export("argmax")
def argmax(input, dim=None, keepdim=False):
    return _arg(np.argmax, input, dim, keepdim)


@export("argmin")
def argmin(input, dim=None, keepdim=False):
    return _arg(np.argmin, input, dim, keepdim)


@export("argsort")
def argsort(input, dim=-1, descending=False, stable=False):
    d = wrap_dims(dim, input._data.ndim)[0]
    if input._data.ndim == 0:
        return Tensor._make(np.zeros((), np.int64), False, None)
    a = input._data
    if descending and is_float_np(a.dtype) and np.isnan(a).any():
        idx = np.lexsort((-a, ~np.isnan(a)), axis=d)  # PyTorch ranks NaN above everything
    else:
        if descending and a.dtype.kind in "bu":
            a = a.astype(np.int64)  # (negating bool or unsigned values does not reverse their order)
        idx = np.argsort(-a if descending else a, axis=d, kind="stable")
    return Tensor._make(idx.astype(np.int64), False, None)


@export("sort")
def sort(input, dim=-1, descending=False, stable=False):
    idx = argsort(input, dim, descending)

    op = STABLE_SORT_GATHER if stable else SORT_GATHER
    return return_types.sort((apply(op, input, dim=wrap_dims(dim, input._data.ndim)[0], index=idx._data), idx))


@export("topk")
def topk(input, k, dim=-1, largest=True, sorted=True):
    d = wrap_dims(dim, input._data.ndim)[0]
    if not 0 <= k <= (input._data.shape[d] if input._data.ndim else 1):
        raise RuntimeError("selected index k out of range")
    idx = argsort(input, dim, descending=largest)
    if input._data.ndim:
        sl = (slice(None),) * d + (slice(0, k),)
        idx = Tensor._make(np.ascontiguousarray(idx._data[sl]), False, None)

    return return_types.topk((apply(TOPK_GATHER, input, dim=d, index=idx._data), idx))


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
        same = row == v if v == v else np.isnan(row)  # np.unique counts the NaNs as one value
        idx[r] = np.nonzero(same)[0][-1]
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


@export("median")
def median(input, dim=None, keepdim=False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``."""
    if input._data.dtype == np.bool_:
        raise NotImplementedError(f'"{"median_cpu" if dim is None else "median_out"}" not implemented for \'Bool\'')
    if dim is None:
        return apply(MEDIAN_ALL, input)
    return with_indices(MEDIAN_DIM, input, dim=one_dim(input, dim), keepdim=keepdim)


@export("kthvalue")
def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element along ``dim`` and its index."""
    d = one_dim(input, dim)
    size = input._data.shape[d] if input._data.ndim else 1
    if size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    return with_indices(KTHVALUE, input, dim=d, k=int(k), keepdim=keepdim)


@export("mode")
def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` and the index of its last occurrence."""
    d = one_dim(input, dim)
    if input._data.ndim and input._data.shape[d] == 0 and input._data.size == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    return with_indices(MODE, input, dim=d, keepdim=keepdim)
