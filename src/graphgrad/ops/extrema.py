"""Extrema and order: max/min (and amax, argmax, ...), sort, argsort, topk, median, kthvalue, mode."""

from __future__ import annotations

import numpy as np

from .. import _cpp_sort, return_types
from .._dtype import is_float_np
from .._size import wrap_dims
from .._tensor import Tensor
from ..autograd import errors
from ._export import export
from ._op import Op, apply
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


# Which of several equal elements PyTorch reports (sort and argsort with stable=False, topk, kthvalue, mode)
# comes from its C++ sort or selection. Where the rows holding such ties have up to this many elements in
# all, graphgrad replays that C++ code to report the same one; beyond, it keeps the stable order, since the
# replay runs in Python and must not make a large call slow.
_REPLAY_LIMIT = 1 << 16


def _ranks(row):
    """Dense ranks of ``row``'s values, NaNs sharing the top rank (PyTorch orders NaN above everything)."""
    return np.unique(row, return_inverse=True)[1].reshape(-1)


def _adjacent_ties(ranked):
    """For each row of the 2-D ``ranked`` (values in sorted order), whether two neighbours are equal (NaNs
    count as equal to each other)."""
    tied = (ranked[:, 1:] == ranked[:, :-1]).any(axis=1)
    if is_float_np(ranked.dtype):
        tied |= (np.isnan(ranked[:, 1:]) & np.isnan(ranked[:, :-1])).any(axis=1)
    return tied


def _unstable_ties(a, idx, descending):
    """``idx`` (a stable sort order along the last axis of the 2-D ``a``) with rows holding equal values
    re-ordered as PyTorch's unstable sort (libstdc++'s std::sort) leaves them, within ``_REPLAY_LIMIT``."""
    ranked = np.take_along_axis(a, idx, axis=1)
    rows = np.flatnonzero(_adjacent_ties(ranked))
    if rows.size * a.shape[1] <= _REPLAY_LIMIT:
        for row in rows:
            ranks = _ranks(a[row])
            idx[row] = _cpp_sort.sort_order((-ranks if descending else ranks).tolist())
    return idx


@export("argsort")
def argsort(input, dim=-1, descending=False, stable=False):
    d = wrap_dims(dim, input._data.ndim)[0]
    if input._data.ndim == 0:
        return Tensor._make(np.zeros((), np.int64), False, None)
    a = input._data
    if descending and is_float_np(a.dtype) and np.isnan(a).any():
        idx = np.lexsort((-a, ~np.isnan(a)), axis=d)  # PyTorch ranks NaN above everything
    else:
        keys = a.astype(np.int64) if descending and a.dtype.kind in "bu" else a
        # (negating bool or unsigned values does not reverse their order)
        idx = np.argsort(-keys if descending else keys, axis=d, kind="stable")
    if not stable and a.shape[d] > 1:
        rows = np.moveaxis(a, d, -1)
        flat = rows.reshape(-1, rows.shape[-1])
        order = np.moveaxis(idx, d, -1).reshape(flat.shape).copy()
        idx = np.moveaxis(_unstable_ties(flat, order, descending).reshape(rows.shape), -1, d)
    return Tensor._make(np.ascontiguousarray(idx, dtype=np.int64), False, None)


@export("sort")
def sort(input, dim=-1, descending=False, stable=False):
    idx = argsort(input, dim, descending, stable)
    op = STABLE_SORT_GATHER if stable else SORT_GATHER
    return return_types.sort((apply(op, input, dim=wrap_dims(dim, input._data.ndim)[0], index=idx._data), idx))


def _topk_indices(a, k, largest, sorted, sorted_idx):
    """PyTorch's topk indices along the last axis of the 2-D ``a``, given its (stable) sort order ``sorted_idx``.

    Where the k chosen values are distinct and apart from the rest, the stable order is PyTorch's; rows where
    equal values compete (or whose unsorted order the selection decides) replay the C++ library's selection."""
    n = a.shape[1]
    idx = sorted_idx[:, :k]
    if k * 64 > n and not sorted and k > 1 and a.size <= _REPLAY_LIMIT:
        replay = np.ones(a.shape[0], bool)  # nth_element leaves its own order, ties or not
    else:
        head = np.take_along_axis(a, sorted_idx[:, :k + 1], axis=1)  # the k chosen and the runner-up
        replay = _adjacent_ties(head)
    rows = np.flatnonzero(replay)
    if rows.size * n > _REPLAY_LIMIT:
        return idx
    for row in rows:
        ranks = _ranks(a[row])
        keys = (-ranks if largest else ranks).tolist()
        idx[row] = _cpp_sort.topk_order(keys, k, sorted)
    return idx


@export("topk")
def topk(input, k, dim=-1, largest=True, sorted=True):
    d = wrap_dims(dim, input._data.ndim)[0]
    if not 0 <= k <= (input._data.shape[d] if input._data.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if input._data.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    idx = argsort(input, dim, descending=largest, stable=True)._data
    if input._data.ndim:
        rows = np.moveaxis(input._data, d, -1)
        shape = rows.shape[:-1] + (k,)
        flat = rows.reshape(-1, rows.shape[-1])
        order = np.moveaxis(idx, d, -1).reshape(flat.shape)
        idx = np.moveaxis(_topk_indices(flat, k, largest, sorted, order).reshape(shape), -1, d)
        idx = np.ascontiguousarray(idx)

    return return_types.topk((apply(TOPK_GATHER, input, dim=d, index=idx), Tensor._make(idx, False, None)))


# --- median / kthvalue / mode ----------------------------------------------------------------------
def _kth_fwd(a, dim, k, keepdim, pytorch_ties=False):
    """The k-th smallest (1-based) along ``dim`` and its index; NaN counts as the largest value.

    Among equal values the stable order picks one; ``pytorch_ties`` picks the one PyTorch's ``kthvalue``
    reports instead, replaying its quickselect on the rows where the k-th value is tied."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    order = np.argsort(a, axis=dim, kind="stable")
    idx = np.take(order, [k - 1], axis=dim)
    if pytorch_ties:
        idx = _quickselect_ties(a, dim, k, order, idx)
    vals = np.take_along_axis(a, idx, axis=dim)
    if not keepdim:
        vals, idx = vals.squeeze(dim), idx.squeeze(dim)
    return vals, idx.astype(np.int64)


def _quickselect_ties(a, dim, k, order, idx):
    """``idx`` with the rows whose k-th value has an equal neighbour in sorted ``order`` re-chosen as
    PyTorch's quickselect chooses."""
    rows = np.moveaxis(a, dim, -1).reshape(-1, a.shape[dim])
    ranked = np.take_along_axis(rows, np.moveaxis(order, dim, -1).reshape(rows.shape), axis=1)
    near = ranked[:, k - 2 if k > 1 else 0:k + 1]  # the k-th value and its neighbours in sorted order
    tied = _adjacent_ties(near)
    if not tied.any() or np.count_nonzero(tied) * rows.shape[1] > _REPLAY_LIMIT:
        return idx
    picked = np.moveaxis(idx, dim, -1).reshape(-1).copy()
    for row in np.flatnonzero(tied):
        picked[row] = _cpp_sort.quickselect_position(_ranks(rows[row]).tolist(), k - 1)
    shape = np.moveaxis(idx, dim, -1).shape
    return np.moveaxis(picked.reshape(shape), -1, dim)


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
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and an index of it."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    moved = np.moveaxis(a, dim, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    # within _REPLAY_LIMIT elements, PyTorch's choice among the mode's positions (a C++ std::sort replayed in
    # Python); beyond it, counted with NumPy, reporting the mode's last position
    pick = _mode_index_replayed if flat.size <= _REPLAY_LIMIT else _mode_index_counted
    idx = np.fromiter((pick(row) for row in flat), np.int64, flat.shape[0])
    vals = np.take_along_axis(flat, idx[:, None], axis=1)[:, 0]
    shape = moved.shape[:-1]
    vals, idx = vals.reshape(shape), idx.reshape(shape)
    if keepdim:
        vals, idx = np.expand_dims(vals, dim), np.expand_dims(idx, dim)
    return vals, idx


def _mode_index_replayed(row):
    """PyTorch's choice: std::sort the row, take the first longest run of equal values (each NaN a run of
    its own), report the position of that run's last element."""
    order = _cpp_sort.sort_order(row.tolist())
    ranked = row[order]
    ends = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))  # last position of each run
    lengths = np.diff(ends, prepend=-1)
    return order[ends[np.argmax(lengths)]]


def _mode_index_counted(row):
    uniq, counts = np.unique(row, return_counts=True, equal_nan=False)
    value = uniq[np.argmax(counts)]
    return np.flatnonzero(row == value)[-1] if value == value else np.flatnonzero(np.isnan(row))[0]


def _median_all_fwd(a):
    flat = a.reshape(-1)
    if flat.size == 0:  # PyTorch's NaN, cast as it casts it (True, the smallest int64, ...)
        return np.asarray(np.nan).astype(a.dtype)
    if a.dtype.kind == "f" and np.isnan(flat).any():
        return np.asarray(np.nan, a.dtype)
    return np.asarray(np.sort(flat, kind="stable")[(flat.size - 1) // 2])


MEDIAN_ALL = Op("MedianBackward0", _median_all_fwd, _evenly_bw, save=("a", "out"))
MEDIAN_DIM = Op("MedianBackward1", _median_fwd, _select_bw, stateful=True)
KTHVALUE = Op("KthvalueBackward0", lambda a, dim, k, keepdim: _kth_fwd(a, dim, k, keepdim, True), _select_bw,
              stateful=True)
MODE = Op("ModeBackward0", _mode_fwd, _select_bw, stateful=True)


@export("median")
def median(input, dim=None, keepdim=False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``."""
    if input._data.dtype == np.bool_ and (dim is not None or input._data.size):  # (an empty one gives True)
        raise NotImplementedError(f'"{"median_cpu" if dim is None else "median_out"}" not implemented for \'Bool\'')
    if dim is None:
        return apply(MEDIAN_ALL, input)
    d = one_dim(input, dim)
    if input._data.ndim and input._data.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    return with_indices(MEDIAN_DIM, input, dim=d, keepdim=keepdim)


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
