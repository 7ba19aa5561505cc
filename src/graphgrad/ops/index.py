"""Indexing: ``x[idx]``, ``x[idx] = v``, index_select, gather/scatter, masked_fill.

The gradient of a gather-like op scatters with accumulation (``np.add.at``), so repeated indices sum;
the gradient of that scatter is the gather again, so both are differentiable to any order.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .._core.modes import modes
from .._dtype import from_numpy_dtype
from .._size import wrap_dims
from .._tensor import Tensor
from ..autograd.errors import tensor_type
from ..autograd.explain import inplace_on_leaf
from . import _elementwise_loops
from ._args import torch_type_name
from ._export import export
from ._inplace import apply_inplace, check_inplace
from ._op import Op, _torch_name, apply, check_broadcast
from .comparison import where
from .copy import COPY, FILL_TENSOR


def _np_index(idx):
    """A graphgrad index as the NumPy index that selects the same elements, by PyTorch's rules:

    - a tuple's items are indices, one per dimension (or Ellipsis/None); a later Ellipsis stands for no
      dimension (PyTorch's first one takes them all);
    - a list (not a tuple) holding a tensor, a sequence, a slice, Ellipsis or None is read as a tuple, with
      PyTorch's deprecation warning (``x[[[0, 1], [2, 0]]]`` is ``x[[0, 1], [2, 0]]``);
    - every other sequence (list, nested list, tuple inside the tuple, ``range``) and every NumPy array
      becomes an integer (or bool) array, as PyTorch makes a tensor of it;
    - a Python bool is a 0-d mask (adds a dimension of size 1, or 0 for False).
    """
    if isinstance(idx, tuple):
        return _np_items(idx)
    if _sequence_as_tuple(idx):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
                      "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted "
                      "as tensor index, x[torch.tensor(seq)], which will result either in an error or a different "
                      "result", UserWarning, stacklevel=4)
        return _np_items(tuple(idx))
    return _np_item(idx)


def _np_items(items):
    out, seen_ellipsis = [], False
    for i in items:
        if i is Ellipsis:
            if seen_ellipsis:
                continue
            seen_ellipsis = True
        out.append(_np_item(i))
    return tuple(out)


_SEQUENCES = (list, tuple, range)


def _is_byte(i):
    return isinstance(i, (Tensor, np.ndarray)) and (i._data if isinstance(i, Tensor) else i).dtype == np.uint8


def _sequence_as_tuple(idx):
    """PyTorch's (and old NumPy's) rule for reading a list index as a tuple of indices."""
    if not isinstance(idx, list) or len(idx) >= 32:
        return False
    return any(isinstance(i, _SEQUENCES + (Tensor, np.ndarray, slice)) or i is None or i is Ellipsis for i in idx)


def _np_item(i):
    """One index item as NumPy's: ints, slices, None and Ellipsis as they are; the rest as arrays."""
    if isinstance(i, Tensor):
        arr = i._data
        if arr.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr.astype(bool) if arr.dtype == np.uint8 else arr
    if i is None or i is Ellipsis or (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))):
        return i
    if isinstance(i, bool):
        return np.array(i)
    if isinstance(i, slice):
        if i.step is not None and not isinstance(i.step, Tensor) and i.step <= 0:
            raise ValueError("slice step cannot be zero" if i.step == 0 else "step must be greater than zero")
        return i
    if isinstance(i, _SEQUENCES + (np.ndarray,)):
        if isinstance(i, _SEQUENCES) and any(isinstance(j, Tensor) for j in i):
            arr = np.stack([np.asarray(_np_item(j)) for j in i])
        else:
            arr = np.asarray(i)
        if arr.dtype == np.uint8:
            return arr.astype(bool)  # PyTorch's deprecated byte mask
        if arr.dtype.kind not in "biu":
            arr = arr.astype(np.int64)  # PyTorch makes a tensor of the sequence and reads its floats as longs
        return arr
    if isinstance(i, str):
        raise TypeError("new(): invalid data type 'str'")
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {torch_type_name(i)})")


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def _check_bounds(shape, idx):
    """IndexError with PyTorch's text for an out-of-range integer index. Returns the index to use: PyTorch
    checks the elements it reads, so an empty tensor takes any index tensor (clipped here for NumPy)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    clipped = None
    used = sum(i.ndim if isinstance(i, np.ndarray) and i.dtype == bool else 0 if i is None or i is Ellipsis else 1
               for i in items)
    if used > len(shape):  # a 0-d bool mask uses no dimension (x[x > 0] on a 0-d x)
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    d = 0
    advanced = 0  # PyTorch moves the tensor-indexed dimensions to the front: its errors count among them
    for pos, i in enumerate(items):
        if i is None:
            continue
        if i is Ellipsis:
            d = len(shape) - sum(1 for j in items if j is not None and j is not Ellipsis and
                                 not (isinstance(j, np.ndarray) and j.dtype == bool and j.ndim > 1))
            continue
        if d >= len(shape):  # a 0-d bool mask past the last dimension
            continue
        if isinstance(i, (int, np.integer)) and not -shape[d] <= i < shape[d]:
            raise IndexError(f"index {i} is out of bounds for dimension {d} with size {shape[d]}")
        if isinstance(i, np.ndarray) and i.dtype != bool:
            bad = i[(i >= shape[d]) | (i < -shape[d])]
            if bad.size and shape[d] == 0:
                raise IndexError("index is out of bounds for dimension with size 0")
            if bad.size and 0 in shape:
                clipped = clipped or list(items)
                clipped[pos] = np.clip(i, -shape[d], shape[d] - 1)  # nothing is read: any in-range index will do
            elif bad.size:
                raise IndexError(f"index {int(bad.flat[0])} is out of bounds for dimension {advanced} with size "
                                 f"{shape[d]}")
            advanced += 1
        if isinstance(i, np.ndarray) and i.dtype == bool:
            advanced += i.ndim
            for k, n in enumerate(i.shape):
                if d + k < len(shape) and n != shape[d + k]:
                    raise IndexError(f"The shape of the mask {list(i.shape)} at index {k} does not match the shape "
                                     f"of the indexed tensor {list(shape)} at index {d + k}")
        d += i.ndim if isinstance(i, np.ndarray) and i.dtype == bool else 1
    if clipped is None:
        return idx
    return tuple(clipped) if isinstance(idx, tuple) else clipped[0]


class _TwoStep(tuple):
    """An index PyTorch applies in two steps: its ints, slices and Nones first (a view), then the tensor
    indices. NumPy would treat the ints as advanced indices too, which moves the result's dimensions
    (``x[0, None, [0, 0]]``); the second step sees only the tensor indices, as PyTorch does."""

    __slots__ = ()


def _torch_order(idx):
    """``idx`` unchanged, or as a _TwoStep when ints are mixed with tensor indices."""
    items = idx if isinstance(idx, tuple) else (idx,)
    if not any(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
        return idx
    first, second = [], []
    for i in items:
        if isinstance(i, np.ndarray):
            first.extend([slice(None)] * (i.ndim if i.dtype == bool else 1))
            second.append(i)
        elif i is None:
            first.append(None)
            second.append(slice(None))
        elif i is Ellipsis:
            first.append(i)
            second.append(i)
        elif isinstance(i, slice):
            first.append(i)
            second.append(slice(None))
        else:  # an int: the dimension is gone after the first step
            first.append(i)
    return _TwoStep((tuple(first), tuple(second)))


def _get(a, idx):
    """``a[idx]`` for an advanced index: a new C-contiguous array (NumPy may lay it out otherwise)."""
    r = a[idx[0]][idx[1]] if type(idx) is _TwoStep else a[idx]
    return r if r.flags.c_contiguous else r.copy()  # (not ascontiguousarray: it makes 0-d results 1-d)


def _put(a, idx, v):
    if type(idx) is _TwoStep:
        a[idx[0]][idx[1]] = v
    else:
        a[idx] = v


def _index_add_np(shape, dtype, idx, g):
    out = np.zeros(shape, dtype)
    if type(idx) is _TwoStep:
        np.add.at(out[idx[0]], idx[1], g)  # out[idx[0]] is a view: the sums land in out
    else:
        np.add.at(out, idx, g)
    return out


def _getitem_bw(n, g):
    return apply(INDEX_BACKWARD, g, idx=n.kwargs["idx"], shape=n._in_meta[0][0])


def _basic_get(a, idx):
    """``a[idx]`` for a basic index, always a view: NumPy gives a scalar copy for a full integer index,
    the trailing Ellipsis makes that a 0-d view (PyTorch's x[1] shares x's memory)."""
    r = a[idx]
    if type(r) is not np.ndarray:
        r = a[idx + (Ellipsis,)] if type(idx) is tuple else a[idx, ...]
    return r


def _basic_view_bw_np(n, g):
    """A basic index's derivative on arrays: g written into zeros where the view lay (a basic index reaches
    each element once, so writing is summing)."""
    out = np.zeros(n._in_meta[0][0], g.dtype)
    out[n.kwargs["idx"]] = g
    return out


_basic_view = functools.partial(Op, forward=_basic_get, backward=_getitem_bw, view=True, backward_np=_basic_view_bw_np)


SLICE = _basic_view("SliceBackward0")
# The same view under the name of the last step PyTorch's indexing takes (x[0] selects, x[None] unsqueezes).
SELECT = _basic_view("SelectBackward0")
UNSQUEEZE_IDX = _basic_view("UnsqueezeBackward0")
ALIAS = _basic_view("AliasBackward0")
INDEX = Op("IndexBackward0", _get, _getitem_bw)
INDEX_BACKWARD = Op("IndexPutBackward0", lambda g, idx, shape: _index_add_np(shape, g.dtype, idx, g),
                    lambda n, gg: apply(INDEX, gg, idx=n.kwargs["idx"]))


def getitem(self, idx):
    """``x[idx]``: basic indexing gives a view; integer/bool tensor indexing a copy."""
    _check_0d_index(self, idx)
    npidx = _check_bounds(self._data.shape, _np_index(idx))
    if not _is_basic(npidx):
        return apply(INDEX, self, idx=_torch_order(npidx))
    return apply(_view_op(npidx, self._data.shape), self, idx=npidx)


def _check_0d_index(self, idx):
    """PyTorch's texts for an int or a slice as the whole index of a 0-d tensor (read or written)."""
    if self._data.ndim == 0:
        if isinstance(idx, slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        if isinstance(idx, (int, np.integer)) and not isinstance(idx, bool):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                             "in C++ to convert a 0-dim tensor to a number")


def _view_op(idx, shape):
    """The node PyTorch ends with for a basic index: a lone slice always slices; in a tuple, full
    slices are skipped and the last real step (select, slice, unsqueeze) names the node, else an alias."""
    if isinstance(idx, slice):
        return SLICE
    if not isinstance(idx, tuple):
        idx = (idx,)
    last, d = ALIAS, 0
    n_dims = sum(1 for i in idx if i is not None and i is not Ellipsis)
    for i in idx:
        if i is None:
            last = UNSQUEEZE_IDX
        elif i is Ellipsis:
            d += len(shape) - n_dims
        elif isinstance(i, slice):
            # PyTorch skips a slice that spells out the whole dimension (start 0, stop >= size, step 1)
            full = (i.start in (None, 0) and (i.stop is None or i.stop >= shape[d]) and i.step in (None, 1))
            if not full:
                last = SLICE
            d += 1
        else:
            last = SELECT
            d += 1
    return last


def _whole(idx, shape):
    """Whether a basic index is only full slices and Ellipsis: PyTorch then writes into x itself (x[:] = v)."""
    d = 0
    for i in idx if isinstance(idx, tuple) else (idx,):
        if i is Ellipsis:
            d += len(shape) - sum(1 for j in idx if j is not Ellipsis) if isinstance(idx, tuple) else len(shape)
        elif not (isinstance(i, slice) and i.start in (None, 0) and (i.stop is None or i.stop >= shape[d])
                  and i.step in (None, 1)):
            return False
        else:
            d += 1
    return True


def _setitem_fwd(a, v, idx):
    _put(a, idx, v)
    return a


def _copyslices_bw(n, g):
    idx = n.kwargs["idx"]
    return apply(ZERO_REGION, g, idx=idx), apply(INDEX, g, idx=idx)


INDEX_PUT = Op("IndexPutBackward0", _setitem_fwd, _copyslices_bw)  # x[tensor_index] = v is index_put_
ZERO_REGION = Op("IndexPutBackward1", lambda g, idx: _zeroed(g, idx), lambda n, gg: apply(ZERO_REGION, gg,
                                                                                          idx=n.kwargs["idx"]))


def _zeroed(g, idx):
    out = g.copy()
    _put(out, idx, 0)
    return out


def setitem(self, idx, value):
    """``x[idx] = value``: an in-place write, recorded as CopySlices when grad is involved."""
    if not isinstance(value, (Tensor, bool, int, float, np.number, np.bool_)):
        raise TypeError(f"can't assign a {torch_type_name(value)} to a {tensor_type(self._data)}")
    _check_0d_index(self, idx)
    if idx is False:
        return  # selects nothing: PyTorch writes nothing and records nothing
    npidx = _check_bounds(self._data.shape, _np_index(idx))
    if (not isinstance(value, Tensor) or value._data.size == 1) and any(
            _is_byte(i) for i in (idx if isinstance(idx, tuple) else (idx,))):
        # PyTorch fills a one-element value through masked_fill_, which takes bool masks only
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value, dtype=self._data.dtype), False, None)
    else:
        # PyTorch's text when the value doesn't fit the indexed region (leading 1s of the value are dropped)
        target = _get(np.broadcast_to(np.empty((), np.int8), self._data.shape), _torch_order(npidx)).shape
        vshape = value._data.shape
        while len(vshape) > len(target) and vshape[0] == 1:
            vshape = vshape[1:]
        if vshape != target:
            try:
                if np.broadcast_shapes(vshape, target) != target:
                    raise ValueError
            except ValueError:
                value.reshape(vshape).expand(target)  # raises PyTorch's "The expanded size ..." error
                raise
    basic = _is_basic(npidx)
    # a 0-d bool mask of a 0-d tensor is PyTorch's x[True]: a view (unsqueezed) too
    zero_d_mask = isinstance(idx, Tensor) and idx._data.dtype == np.bool_ and idx._data.ndim == 0
    if (basic or zero_d_mask) and self._requires_grad and self._grad_fn is None and modes.recording:
        # PyTorch writes x[0] = v through a view of x (copy_ on x[0]): the view's error text

        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation."
                           + inplace_on_leaf(self))
    if not basic:
        apply_inplace(INDEX_PUT, self, value, idx=_torch_order(npidx))
        return
    # as PyTorch: copy_ into the view self[idx] (fill_ with a 0-d value of another shape; else the value viewed
    # without leading 1s, then expanded), so that a write through a view of a view is one CopySlices on the base

    view = self if _whole(npidx, self._data.shape) else apply(_view_op(npidx, self._data.shape), self, idx=npidx)
    target = view._data.shape
    if value._data.shape != target:
        if not value._data.ndim:
            apply_inplace(FILL_TENSOR, view, value)
            return
        vshape = value._data.shape
        while vshape and vshape[0] == 1:
            vshape = vshape[1:]
        value = value.view(vshape)
        if vshape != target:
            value = value.expand(target)
    dt = self._data.dtype
    if value._data.dtype != dt and not (value._requires_grad and np.can_cast(value._data.dtype, dt, "same_kind")):
        value = value.to(dt) if value._requires_grad else Tensor._make(value._data.astype(dt), False, None)
    apply_inplace(COPY, view, value)


# --- index_select / gather / scatter --------------------------------------------------------------
def _check_index(index, name):
    if index._data.dtype.kind not in "iu":
        if name == "index_select":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_scatter_bounds(input, d, index):
    size = input._data.shape[d] if input._data.ndim else 1
    i = index._data
    if i.size and (i.max() >= size or i.min() < 0):  # no negative indices, as in PyTorch
        bad = int(i[(i >= size) | (i < 0)].flat[0])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")


@export("index_select")
def index_select(input, dim, index):
    """The slices at ``index`` (a 1-D integer tensor) along ``dim``."""
    _check_index(index, "index_select")
    d = wrap_dims(dim, input._data.ndim)[0]
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if not input._data.ndim:  # a 0-d input: one index, 0 (PyTorch's scalar path)
        if index._data.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index._data.size} "
                               "value(s)")
        if int(index._data.reshape(-1)[0]) != 0:
            raise IndexError("index out of range in self")
        return apply(INDEX_SELECT, input, idx=_ALL)
    size = input._data.shape[d] if input._data.ndim else 1
    if size == 0 and index._data.size and input._data.ndim > 1:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if index._data.size and (index._data.max() >= size or index._data.min() < 0):
        raise IndexError("index out of range in self")
    idx = (slice(None),) * d + (index._data.reshape(-1),)
    _check_bounds(input._data.shape, idx)
    return apply(INDEX_SELECT, input, idx=idx)


INDEX_SELECT = Op("IndexSelectBackward0", lambda a, idx: a[idx].copy() if idx is _ALL else a[idx], _getitem_bw)


# the one element of a 0-d tensor, as a NumPy index (a 0-d tensor counts as 1-d of size 1 in PyTorch)
_ALL = (Ellipsis,)


def _grid_of(g, index, dim):
    """``_grid`` for a result ``g`` that may be 0-d: its one element, or nothing for an empty index."""
    if g.ndim:
        return _grid(index, dim)
    return _ALL if index.size else (np.False_,)


def _grid(index, dim):
    """The full NumPy index that ``gather``/``scatter`` along ``dim`` address."""
    idx = list(np.indices(index.shape, sparse=True))
    idx[dim] = index
    return tuple(idx)


def _gather_fwd(a, dim, index):
    if a.ndim and index.ndim:
        return np.take_along_axis(a, index, axis=dim)
    # a 0-d input or index counts as 1-d, as in PyTorch
    return np.take_along_axis(np.atleast_1d(a), np.atleast_1d(index), axis=dim).reshape(index.shape)


def _gather_bw(n, g):
    _ = n.saved_tensors  # raises if the input was written in place since (PyTorch saves it; only its shape is used)
    index, shape = n.kwargs["index"], n._in_meta[0][0]
    if len(shape) and index.ndim:
        return apply(INDEX_BACKWARD, g, idx=_grid(index, n.kwargs["dim"]), shape=shape)
    index = np.atleast_1d(index)
    return apply(INDEX_BACKWARD, g.reshape(index.shape), idx=_grid(index, n.kwargs["dim"]),
                 shape=shape or (1,)).reshape(shape)


# PyTorch's GatherBackward0 keeps self (version-checked, though only its shape is used)
GATHER = Op("GatherBackward0", _gather_fwd, _gather_bw, save="a")


# sort / topk record the gather of their values under PyTorch's names
SORT_GATHER = Op("SortBackward0", GATHER.forward, GATHER.backward)
STABLE_SORT_GATHER = Op("SortBackward1", GATHER.forward, GATHER.backward)
TOPK_GATHER = Op("TopkBackward0", GATHER.forward, GATHER.backward)


@export("gather")
def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[i][index[i][j]]`` for dim=1 (and likewise for other dims)."""
    _check_index(index, "gather")
    d = wrap_dims(dim, input._data.ndim)[0]
    if max(index._data.ndim, 1) != max(input._data.ndim, 1):  # 0-d counts as 1-d
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    size = input._data.shape[d] if input._data.ndim else 1
    if index._data.size and (index._data.max() >= size or index._data.min() < 0):  # negatives are out of bounds
        bad = index._data[(index._data >= size) | (index._data < 0)].flat[0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    return apply(GATHER, input, dim=d, index=index._data)


def scatter_into_zeros(g, dim, index, shape):
    """A tensor of ``shape`` with ``g`` added at ``index`` along ``dim`` (the backward of gather/max)."""
    return apply(INDEX_BACKWARD, g, idx=_grid(index, dim), shape=shape)


def _scatter_fwd(a, src, dim, index, reduce=None):
    if not a.ndim:  # a 0-d tensor counts as 1-d
        src = src.reshape(-1) if src.ndim <= 1 else src
        return _scatter_fwd(a.reshape(1), src, 0, index.reshape(-1), reduce).reshape(())
    out = a.copy()
    grid = _grid(index, dim)
    if src.ndim == index.ndim and src.shape != index.shape:  # src may be larger than index: its leading part
        s = src[tuple(slice(0, k) for k in index.shape)]
    else:
        s = np.broadcast_to(src, index.shape) if src.shape != index.shape else src
    if reduce == "add":
        np.add.at(out, grid, s)
    elif reduce == "multiply":
        np.multiply.at(out, grid, s)
    else:
        out[grid] = s
    return out


def _scatter_bw(n, g):
    k = n.kwargs
    g_self = apply(ZERO_REGION, g, idx=_grid_of(g, k["index"], k["dim"]))
    g_src = apply(GATHER, g, dim=k["dim"], index=k["index"])
    return g_self, g_src


def _scatter_add_bw(n, g):
    k = n.kwargs
    return g, apply(GATHER, g, dim=k["dim"], index=k["index"])


SCATTER = Op("ScatterBackward0", _scatter_fwd, _scatter_bw)
# scatter(dim, index, value) with a number: ScatterBackward1, one edge
SCATTER_VALUE = Op("ScatterBackward1",
                   lambda a, dim, index, value, reduce=None: _scatter_fwd(a, np.asarray(value, a.dtype), dim, index,
                                                                          reduce),
                   lambda n, g: apply(ZERO_REGION, g, idx=_grid_of(g, n.kwargs["index"], n.kwargs["dim"])))
SCATTER_ADD = Op("ScatterAddBackward0", lambda a, s, dim, index: _scatter_fwd(a, s, dim, index, "add"),
                 _scatter_add_bw)


@export("scatter")
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    _check_index(index, "scatter")
    d = wrap_dims(dim, input._data.ndim)[0]
    src = src if src is not None else value
    if isinstance(src, Tensor):
        _check_scatter_add(input, d, index, src)  # the same checks (sizes against self and src, then bounds)
    else:
        _check_scatter_bounds(input, d, index)
    if not isinstance(src, Tensor):
        kw = {} if reduce is None else {"reduce": reduce}
        return apply(SCATTER_VALUE, input, dim=d, index=index._data, value=src, **kw)
    if reduce is not None:
        return apply(SCATTER, input, src, dim=d, index=index._data, reduce=reduce)
    return apply(SCATTER, input, src, dim=d, index=index._data)


def _size(shape, d):
    """PyTorch's ensure_nonempty_size: a 0-d tensor has size 1 in its one dimension."""
    if not shape:
        if d not in (0, -1):
            raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {d})")
        return 1
    if d >= len(shape):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-len(shape)}, {len(shape) - 1}], but "
                         f"got {d})")
    return shape[d]


def _check_scatter_add(input, d, index, src):
    """scatter_add's checks in PyTorch's order: index dtype, dtypes, ranks, sizes, src's rank, bounds."""
    if index._data.size and index._data.dtype.kind not in "iu":
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if input._data.dtype != src._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if not index._data.size:
        return
    ish, ssh, srcsh = index._data.shape, input._data.shape, src._data.shape
    if max(len(ssh), 1) != max(len(ish), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    n = max(len(ssh), 1)
    wrong = any(k != d and _size(ish, k) > _size(ssh, k) for k in range(n))
    if not wrong:
        wrong = any(_size(ish, k) > _size(srcsh, k) for k in range(n))
    if wrong:
        raise RuntimeError(f"Expected index {list(ish)} to be no larger than self {list(ssh)} apart from dimension "
                           f"{d} and to be no larger size than src {list(srcsh)}")
    if max(len(srcsh), 1) != max(len(ish), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    size = _size(ssh, d)
    i = index._data
    if i.max() >= size or i.min() < 0:
        bad = int(i[(i >= size) | (i < 0)].flat[0])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")


@export("scatter_add")
def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
    d = wrap_dims(dim, input._data.ndim)[0] if input._data.ndim else wrap_dims(dim, 0) and 0
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")
    _check_scatter_add(input, d, index, src)
    return apply(SCATTER_ADD, input, src, dim=d, index=index._data)


@export("scatter_", function=False)
def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    d = wrap_dims(dim, self._data.ndim)[0]
    src = src if src is not None else value
    if not isinstance(src, Tensor):
        _check_scatter_bounds(self, d, index)
        return apply_inplace(SCATTER_VALUE, self, dim=d, index=index._data, value=src)
    _check_scatter_add(self, d, index, src)
    return apply_inplace(SCATTER, self, src, dim=d, index=index._data)


@export("scatter_add_", function=False)
def scatter_add_(self, dim, index, src):
    d = wrap_dims(dim, self._data.ndim)[0] if self._data.ndim else wrap_dims(dim, 0) and 0
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add_(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")
    _check_scatter_add(self, d, index, src)
    return apply_inplace(SCATTER_ADD, self, src, dim=d, index=index._data)


def _index_add_fwd(a, src, dim, index, alpha=1):
    if not a.ndim:  # a 0-d self: its one element, index 0
        return np.asarray(a + (src * alpha if alpha != 1 else src), a.dtype)
    out = a.copy()
    idx = (slice(None),) * dim + (index,)
    np.add.at(out, idx, src * alpha if alpha != 1 else src)
    return out


INDEX_ADD = Op("IndexAddBackward0", _index_add_fwd,
               lambda n, g: (g, apply(INDEX_SELECT, g, idx=(slice(None),) * n.kwargs["dim"] + (n.kwargs["index"],)
                                      if g.ndim else _ALL) * n.kwargs.get("alpha", 1)))


def _check_index_func(func, input, dim, index, source):
    """PyTorch's index_func_meta_impl checks (index_add, index_copy, ...), in its order; the wrapped dim."""
    d = wrap_dims(dim, input._data.ndim)[0] if input._data.ndim else wrap_dims(dim, 0) and 0
    i = index._data

    def name(arr):
        return from_numpy_dtype(arr.dtype)._legacy[:-len("Tensor")]

    if i.ndim > 1:
        raise IndexError(f"{func}_(): Index is supposed to be a vector, but got dim: {i.ndim} with type: {name(i)} "
                         f"and size: {list(i.shape)}")
    if i.dtype.kind not in "iu":
        raise RuntimeError(f"{func}_(): Expected dtype int32/int64 for index but got: {name(i)}")
    if input._data.dtype != source._data.dtype:
        raise RuntimeError(f"{func}_(): self ({name(input._data)}) and source ({name(source._data)}) must have the "
                           "same scalar type")
    sshape = source._data.shape
    if not (d == 0 or d < len(sshape)):
        raise RuntimeError(f"{func}_(): Indexing dim {d} is out of bounds of the source tensor with dim {len(sshape)}")
    n_src = sshape[d] if sshape else 1
    if i.size != n_src:
        raise RuntimeError(f"{func}_(): Number of indices ({i.size}) should be equal to source.size(dim): ({n_src}), "
                           f"for dim: {d}")
    a, b = list(input._data.shape), list(sshape)
    if a and b:
        del a[d], b[d]
    if a != b:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. Got "
                           f"self.shape = {list(input._data.shape)} source.shape = {list(sshape)}")
    size = input._data.shape[d] if input._data.ndim else 1
    if i.size and (i.max() >= size or i.min() < 0):
        if not input._data.ndim:  # PyTorch's scalar path
            raise IndexError("index out of range in self")
        bad = int(i[(i >= size) | (i < 0)].flat[0])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    return d


@export("index_add")
def index_add(input, dim, index, source, *, alpha=1):
    d = _check_index_func("index_add", input, dim, index, source)
    return apply(INDEX_ADD, input, source, dim=d, index=index._data.reshape(-1), alpha=alpha)


@export("index_add_", function=False)
def index_add_(self, dim, index, source, *, alpha=1):
    d = _check_index_func("index_add", self, dim, index, source)
    return apply_inplace(INDEX_ADD, self, source, dim=d, index=index._data.reshape(-1), alpha=alpha)


def _masked_fill_bw(n, g):
    mask = n.kwargs["mask"]

    m = Tensor._make(mask, False, None)
    return (where(m, 0.0, g),) + ((g * m).sum(),) * (len(n._in_meta) - 1)


def _masked_fill_bw_np(n, g):
    mask = n.kwargs["mask"]
    return (_filled(g, mask, np.zeros((), g.dtype)),) + (np.sum(g * mask),) * (len(n._in_meta) - 1)


_UINT_OF_SIZE = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 4: np.dtype(np.uint32), 8: np.dtype(np.uint64)}


def _filled(a, mask, value):
    """``np.where(mask, value, a)`` for a 0-d ``value`` of a's dtype, C-ordered as PyTorch's result: a copy of a
    with value written where the (broadcast) mask is set, which is about twice as fast as np.where's select (the
    attention's causal mask, broadcast over the batch and the heads). A value of all zero bits (masked_fill's
    derivative) is written by ANDing a's bits with the mask's complement: one pass, twice as fast again."""
    if np.broadcast_shapes(mask.shape, a.shape) != a.shape:  # the mask broadcasts a up: a select
        return np.where(mask, value, a)
    split = _elementwise_loops.fill_where(a, mask, value)  # (over the cores where it applies)
    if split is not None:
        return split
    bits = _UINT_OF_SIZE.get(a.dtype.itemsize)
    if bits is not None and not value.view(bits):
        keep = np.subtract(mask, 1, dtype=bits)  # every bit where the mask is clear, none where it is set
        return np.bitwise_and(a.view(bits), keep, order="C").view(a.dtype)
    out = a.copy()
    np.copyto(out, value, where=mask)
    return out


MASKED_FILL = Op("MaskedFillBackward0", lambda a, mask, value: _filled(a, mask, np.asarray(value, a.dtype)),
                 _masked_fill_bw, backward_np=_masked_fill_bw_np)
MASKED_FILL_T = Op("MaskedFillBackward1", lambda a, v, mask: _filled(a, mask, v.astype(a.dtype)), _masked_fill_bw,
                   backward_np=_masked_fill_bw_np)
# These keep their index/mask as a kwarg; PyTorch saves it as a tensor, so backward() frees it and a
# second backward through the node raises. ``saves`` with no tensors listed gives that lifetime.
for _op in (INDEX, INDEX_SELECT, GATHER, MASKED_FILL, MASKED_FILL_T, SORT_GATHER, STABLE_SORT_GATHER, TOPK_GATHER):
    _op.saves = True


def _mask(input, mask):
    m = mask._data
    if m.dtype != np.bool_:
        if m.dtype == np.uint8:
            m = m.astype(bool)
        else:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.name}")
    check_broadcast(m.shape, input._data.shape)  # PyTorch: a is the mask
    return m


@export("masked_fill")
def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True, else ``input``."""
    if not isinstance(value, (Tensor, bool, int, float, np.number, np.bool_)):
        raise TypeError(f"masked_fill(): argument 'value' must be Number or Tensor, not {type(value).__name__}")
    m = _mask(input, mask)
    if isinstance(value, Tensor):
        return apply(MASKED_FILL_T, input, value, mask=m)
    return apply(MASKED_FILL, input, mask=m, value=value)


@export("masked_fill_", function=False)
def masked_fill_(self, mask, value):
    check_inplace(self)  # PyTorch refuses the leaf before it looks at the mask
    m = _mask(self, mask)
    if isinstance(value, Tensor):
        return apply_inplace(MASKED_FILL_T, self, value, mask=m)
    return apply_inplace(MASKED_FILL, self, mask=m, value=value)


@export("masked_select")
def masked_select(input, mask):
    m = _mask(input, mask)
    shape = np.broadcast_shapes(input._data.shape, m.shape)
    return apply(MASKED_SELECT, input, mask=np.broadcast_to(m, shape))


def _masked_select_bw(n, g):
    _ = n.saved_tensors  # raises if the input was written in place since (PyTorch saves it)
    m = n.kwargs["mask"]
    full = apply(INDEX_BACKWARD, g, idx=np.nonzero(m) if m.ndim else m, shape=m.shape)  # (a 0-d mask indexes itself)
    return full.sum_to_size(n._in_meta[0][0])


MASKED_SELECT = Op("MaskedSelectBackward0", lambda a, mask: np.broadcast_to(a, mask.shape)[mask], _masked_select_bw,
                   save="a", saved_names=("self",))  # PyTorch saves the input (and the mask, a kwarg here)


@export("take")
def take(input, index):
    n = input._data.size
    if n == 0 and isinstance(index, Tensor) and index._data.size:
        raise IndexError("take(): tried to take from an empty tensor")
    if isinstance(index, Tensor) and index._data.size and (index._data.max() >= n or index._data.min() < -n):
        bad = int(index._data[(index._data >= n) | (index._data < -n)].flat[0])
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return getitem(input.reshape(-1), index)


@export("nonzero")
def nonzero(input, *, as_tuple=False):
    if input._data.ndim == 0:  # as PyTorch: one row (or none) with no columns; as_tuple sees a 1-d tensor
        if as_tuple:
            return (Tensor._make(np.zeros(int(bool(input._data)), np.int64), False, None),)
        return Tensor._make(np.zeros((int(bool(input._data)), 0), np.int64), False, None)
    nz = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64), False, None) for i in nz)
    return Tensor._make(np.stack(nz, axis=1).astype(np.int64), False, None)


@export("argwhere")
def argwhere(input):
    """The indices of input's non-zero elements, one row each (``nonzero``)."""
    return nonzero(input)


@export("take_along_dim")
def take_along_dim(input, indices, dim=None):
    """``input``'s elements at ``indices`` along ``dim``, the other dimensions broadcast between the two (a
    gather); without ``dim``, ``indices`` pick from the flattened input.

    >>> import graphgrad
    >>> x = graphgrad.tensor([[10, 30, 20], [60, 40, 50]])
    >>> graphgrad.take_along_dim(x, x.argmax(1, keepdim=True), 1).tolist()
    [[30], [60]]
    """
    if dim is None:  # (PyTorch's gather checks the indices here, and takes int32 ones too)
        _check_index(indices, "gather")
        flat = indices._data.reshape(-1).astype(np.int64, copy=False)
        return gather(input.reshape(-1), 0, Tensor._make(flat, False, None))
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_torch_name(indices._data.dtype)}")
    if input._data.ndim != indices._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input._data.ndim} dimensions for input, and {indices._data.ndim} dimensions "
                           "for indices")
    d = wrap_dims(dim, input._data.ndim)[0]
    shape = list(np.broadcast_shapes(_except(input._data.shape, d), _except(indices._data.shape, d)))
    input_shape, index_shape = list(shape), list(shape)
    input_shape[d], index_shape[d] = input._data.shape[d], indices._data.shape[d]
    return gather(input.expand(input_shape), d, indices.expand(index_shape))  # (PyTorch expands, even to itself)


def _except(shape, dim):
    """shape with a 1 at ``dim`` (the dimension that is not broadcast)."""
    return shape[:dim] + (1,) + shape[dim + 1:]


@export("select")
def select(input, dim, index):
    if input._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dims(dim, input._data.ndim)[0]
    size = input._data.shape[d]
    if isinstance(index, (int, np.integer)) and not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {d}")
    return getitem(input, (slice(None),) * d + (index,))
