"""Structured views and copies: triangles (tril, triu), diagonals (diagonal, diag, diag_embed, trace),
sliding windows (unfold), broadcast_tensors, diff and index_fill.

Each derivative is one of these ops again (the gradient of ``diagonal`` writes into a diagonal, whose
gradient reads the diagonal back), so derivatives of any order are recorded in the graph.
"""

from __future__ import annotations

import numpy as np

from .._size import wrap_dim
from .._tensor import Tensor
from ._export import export
from ._inplace import apply_inplace, check_inplace
from ._op import Op, apply, check_broadcast
from .shape import cat

# --- tril / triu ----------------------------------------------------------------------------------
TRIL = Op("TrilBackward0", lambda a, diagonal: np.tril(a, diagonal),
          lambda n, g: apply(TRIL, g, diagonal=n.kwargs["diagonal"]))
TRIU = Op("TriuBackward0", lambda a, diagonal: np.triu(a, diagonal),
          lambda n, g: apply(TRIU, g, diagonal=n.kwargs["diagonal"]))


def _triangle(op, name, input, diagonal):
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return apply(op, input, diagonal=int(diagonal))


@export("tril")
def tril(input, diagonal=0):
    """The lower triangle of the last two dimensions (on and below ``diagonal``), the rest zero."""
    return _triangle(TRIL, "tril", input, diagonal)


@export("triu")
def triu(input, diagonal=0):
    """The upper triangle of the last two dimensions (on and above ``diagonal``), the rest zero."""
    return _triangle(TRIU, "triu", input, diagonal)


@export("tril_", function=False)
def tril_(self, diagonal=0):
    check_inplace(self)  # PyTorch refuses a leaf before it looks at the shape
    if self._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return apply_inplace(TRIL, self, diagonal=int(diagonal))


@export("triu_", function=False)
def triu_(self, diagonal=0):
    check_inplace(self)
    if self._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return apply_inplace(TRIU, self, diagonal=int(diagonal))


# --- diagonals ------------------------------------------------------------------------------------
def _diag_view(a, offset, dim1, dim2):
    """A writable view of the diagonal of ``a`` over (dim1, dim2), as a new last dimension (as PyTorch)."""
    n1, n2 = a.shape[dim1], a.shape[dim2]
    length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    keep = [d for d in range(a.ndim) if d not in (dim1, dim2)]
    shape = tuple(a.shape[d] for d in keep) + (length,)
    if not length or not a.size:
        return np.zeros(shape, a.dtype)
    strides = tuple(a.strides[d] for d in keep) + (a.strides[dim1] + a.strides[dim2],)
    # start at the diagonal's first element: a slice moves the data pointer there
    base = a[(slice(None),) * dim2 + (slice(offset, None),)] if offset >= 0 else \
        a[(slice(None),) * dim1 + (slice(-offset, None),)]
    return np.lib.stride_tricks.as_strided(base, shape, strides, writeable=True)


def _diagonal_fwd(a, offset, dim1, dim2):
    return _diag_view(a, offset, dim1, dim2)


def _diagonal_bw(n, g):
    k = n.kwargs
    return apply(DIAGONAL_BW, g, shape=n._in_meta[0][0], offset=k["offset"], dim1=k["dim1"], dim2=k["dim2"])


def _diagonal_bw_fwd(g, shape, offset, dim1, dim2):
    out = np.zeros(shape, g.dtype)
    _diag_view(out, offset, dim1, dim2)[...] = g
    return out


DIAGONAL = Op("DiagonalBackward0", _diagonal_fwd, _diagonal_bw, view=True)
# torch.diag of a matrix copies the diagonal (diagonal_copy): PyTorch's node name for it
DIAGONAL_COPY = Op("DiagonalBackward0_copy", lambda a, offset, dim1, dim2: _diag_view(a, offset, dim1, dim2).copy(),
                   _diagonal_bw)
DIAGONAL_BW = Op("DiagonalBackwardBackward0", _diagonal_bw_fwd,
                 lambda n, g: apply(DIAGONAL, g, offset=n.kwargs["offset"], dim1=n.kwargs["dim1"],
                                    dim2=n.kwargs["dim2"]))


def _diag_dims(ndim, dim1, dim2):
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@export("diagonal")
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over (dim1, dim2) as a view, moved to the last dimension."""
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2)
    return apply(DIAGONAL, input, offset=int(offset), dim1=d1, dim2=d2)


def _diag_embed_fwd(a, offset, dim1, dim2):
    n = a.shape[-1] + abs(offset) if a.ndim else abs(offset) + 1
    rest = list(a.shape[:-1])
    shape = []
    for d in range(a.ndim + 1):
        shape.append(n if d in (dim1, dim2) else rest.pop(0))
    out = np.zeros(shape, a.dtype)
    _diag_view(out, offset, dim1, dim2)[...] = a
    return out


DIAG_EMBED = Op("DiagEmbedBackward0", _diag_embed_fwd,
                lambda n, g: apply(DIAGONAL, g, offset=n.kwargs["offset"], dim1=n.kwargs["dim1"],
                                   dim2=n.kwargs["dim2"]))


@export("diag_embed")
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (over the new dims ``dim1``, ``dim2``) whose ``offset`` diagonal is the last dimension of input."""
    d1, d2 = _diag_dims(input._data.ndim + 1, dim1, dim2)
    return apply(DIAG_EMBED, input, offset=int(offset), dim1=d1, dim2=d2)


@export("diag")
def diag(input, diagonal=0):
    """A 1-D tensor as a diagonal matrix, or a matrix's diagonal as a 1-D tensor."""
    nd = input._data.ndim
    if nd == 1:
        return apply(DIAG_EMBED, input, offset=int(diagonal), dim1=0, dim2=1)
    if nd == 2:
        return apply(DIAGONAL_COPY, input, offset=int(diagonal), dim1=0, dim2=1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def _trace_fwd(a):
    out = np.trace(a)
    return np.asarray(out, dtype=np.int64 if a.dtype.kind in "biu" else a.dtype)


def _trace_bw(n, g):
    shape = n._in_meta[0][0]
    k = min(shape)
    return apply(DIAGONAL_BW, g.expand(k), shape=shape, offset=0, dim1=0, dim2=1)


TRACE = Op("TraceBackward0", _trace_fwd, _trace_bw)


@export("trace")
def trace(input):
    """The sum of a matrix's diagonal."""
    if input._data.dtype == np.bool_:  # (the dtype is checked first)
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    return apply(TRACE, input)


# --- unfold: sliding windows ----------------------------------------------------------------------
def _unfold_fwd(a, dim, size, step):
    if a.ndim == 0:
        return a.reshape(1)
    count = (a.shape[dim] - size) // step + 1
    shape = a.shape[:dim] + (count,) + a.shape[dim + 1:] + (size,)
    strides = a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:] + (a.strides[dim],)
    return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=True)


def _unfold_bw_fwd(g, shape, dim, size, step):
    out = np.zeros(shape, g.dtype)
    if not shape:
        return g.reshape(())
    windows = np.moveaxis(g, -1, dim + 1)  # (..., count, size, ...) with the window after its position
    for i in range(g.shape[dim]):
        sl = (slice(None),) * dim + (slice(i * step, i * step + size),)
        out[sl] += np.take(windows, i, axis=dim)
    return out


UNFOLD = Op("UnfoldBackward0", _unfold_fwd,
            lambda n, g: apply(UNFOLD_BW, g, shape=n._in_meta[0][0], **n.kwargs), view=True)
UNFOLD_BW = Op("UnfoldBackwardBackward0", _unfold_bw_fwd,
               lambda n, g: apply(UNFOLD, g, dim=n.kwargs["dim"], size=n.kwargs["size"], step=n.kwargs["step"]))


@export("unfold", function=False)
def unfold(self, dimension, size, step):
    """All windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last dimension (a view)."""
    nd = self._data.ndim
    d = wrap_dim(dimension, nd)
    n = self._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return apply(UNFOLD, self, dim=d, size=int(size), step=int(step))


# --- broadcast_tensors, diff ----------------------------------------------------------------------
@export("broadcast_tensors", method=False)
def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views)."""
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got {type(t).__name__}")
    if not tensors:
        return ()
    shape = tensors[0]._data.shape
    for t in tensors[1:]:
        if t._data.shape != shape:
            shape = check_broadcast(shape, t._data.shape)
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)  # as PyTorch: itself


@export("diff")
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined first)."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, nd)
    parts = []
    for t in (prepend, input, append):
        if t is None:
            continue
        if t is not input:
            if not isinstance(t, Tensor):
                t = Tensor._make(np.asarray(t, dtype=input._data.dtype), False, None).expand(
                    input._data.shape[:d] + (1,) + input._data.shape[d + 1:])
            if t._data.ndim != nd:
                raise RuntimeError("diff expects prepend or append to be the same dimension as input")
            for k in range(nd):
                if k != d and t._data.shape[k] != input._data.shape[k]:
                    raise RuntimeError(
                        "diff expects the shape of tensor to prepend or append to match that of input except along "
                        f"the differencing dimension; input.size({k}) = {input._data.shape[k]}, but got "
                        f"tensor.size({k}) = {t._data.shape[k]}")
        parts.append(t)

    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        size = x._data.shape[d]
        if size == 0:
            break
        hi = x.narrow(d, 1, size - 1)
        lo = x.narrow(d, 0, size - 1)
        x = hi.logical_xor(lo) if x._data.dtype == np.bool_ else hi - lo
    return x


# --- index_fill -----------------------------------------------------------------------------------
def _index_fill_np(a, dim, index, value):
    out = a.copy()
    out[(slice(None),) * dim + (index,)] = np.asarray(value).astype(a.dtype)
    return out


def _index_fill_bw(n, g):
    k = n.kwargs
    index = Tensor._make(k["index"], False, None)
    g_self = apply(INDEX_FILL, g, dim=k["dim"], index=k["index"], value=0)
    if len(n._in_meta) == 1:
        return g_self
    return g_self, g.index_select(k["dim"], index).sum()


INDEX_FILL = Op("IndexFillBackward0", lambda a, dim, index, value: _index_fill_np(a, dim, index, value), _index_fill_bw)
INDEX_FILL_T = Op("IndexFillBackward1", lambda a, v, dim, index: _index_fill_np(a, dim, index, v), _index_fill_bw)


def _index_fill_args(input, dim, index, value):
    nd = input._data.ndim
    d = wrap_dim(dim, nd) if nd else (wrap_dim(dim, 0) and 0)
    i = index._data
    if i.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if i.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    size = input._data.shape[d] if nd else 1
    i = i.reshape(-1)
    if i.size and (i.max() >= size or i.min() < -size):
        bad = int(i[(i >= size) | (i < -size)].flat[0])
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    return d, np.where(i < 0, i + size, i)


@export("index_fill")
def index_fill(input, dim, index, value):
    """A copy of ``input`` with ``value`` written at ``index`` along ``dim``."""
    d, i = _index_fill_args(input, dim, index, value)
    if not input._data.ndim:
        return apply(INDEX_FILL, input.reshape(1), dim=0, index=i, value=value).reshape(()) if not isinstance(
            value, Tensor) else apply(INDEX_FILL_T, input.reshape(1), value, dim=0, index=i).reshape(())
    if isinstance(value, Tensor):
        return apply(INDEX_FILL_T, input, value, dim=d, index=i)
    return apply(INDEX_FILL, input, dim=d, index=i, value=value)


@export("index_fill_", function=False)
def index_fill_(self, dim, index, value):
    d, i = _index_fill_args(self, dim, index, value)
    if isinstance(value, Tensor):
        return apply_inplace(INDEX_FILL_T, self, value, dim=d, index=i)
    return apply_inplace(INDEX_FILL, self, dim=d, index=i, value=value)


INDEX_FILL.saves = INDEX_FILL_T.saves = True  # PyTorch saves the index: freed by backward()
