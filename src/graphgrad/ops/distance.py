"""torch.cdist: the p-norm distance between every row of x1 and every row of x2, over broadcast batches; torch.pdist:
the distances between the rows of one matrix, each pair once (the upper triangle of its cdist with itself);
torch.dist: the p-norm of the difference of two broadcast tensors (DistBackward0).

As PyTorch computes it: with p = 2 on more than 25 rows (or ``compute_mode="use_mm_for_euclid_dist"``) through one
matrix product, ``|a|² + |b|² - 2 a·b`` clamped at 0 before the square root (EuclideanDistBackward0, under a
view, the batches expanded and flattened first); otherwise the direct kernel, the differences' norm
(CdistBackward0), whose gradient PyTorch does not differentiate again (CdistBackwardBackward0 raises).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _blas as blas
from .._dtype import is_float_np
from . import reduce as reduce_ops
from ._export import export
from ._op import Op, _torch_name, apply, check_broadcast, depends_on

_MODES = {None: 0, "use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
          "donot_use_mm_for_euclid_dist": 2}
# the differences of one block of x1's rows with all of x2's: at most this many elements at once
_BLOCK_ELEMENTS = 1 << 22


def _by_blocks(x1, x2, fn, out_shape, dtype):
    """``fn(diff, rows)`` for diff = x1[..., rows, None, :] - x2[..., None, :, :], written into an array of
    ``out_shape`` (batch, r1, ...), a block of x1's rows at a time (all pairs at once would take r1·r2·c elements)."""
    r1 = x1.shape[-2]
    out = np.empty(out_shape, dtype)
    per_row = max(1, math.prod(out_shape) // max(r1, 1) * x1.shape[-1])
    step = max(1, _BLOCK_ELEMENTS // per_row)
    for start in range(0, r1, step):
        rows = slice(start, start + step)
        out[..., rows, :] = fn(x1[..., rows, None, :] - x2[..., None, :, :], rows)
    return out


def _norms(diff, p):
    """The p-norm of each difference along the last axis (p = 0: how many entries differ)."""
    a = np.abs(diff)
    if p == 0:
        return np.count_nonzero(diff, axis=-1).astype(diff.dtype)
    if p == 1:
        return a.sum(-1)
    if p == 2:
        return np.sqrt(np.einsum("...i,...i->...", diff, diff))
    if p == math.inf:
        return a.max(-1)
    return (a ** diff.dtype.type(p)).sum(-1) ** diff.dtype.type(1 / p)


def _cdist_fwd(x1, x2, p):
    batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    shape = batch + (x1.shape[-2], x2.shape[-2])
    if x1.shape[-1] == 0:
        return np.zeros(shape, x1.dtype)
    return _by_blocks(x1, x2, lambda diff, rows: _norms(diff, p), shape, x1.dtype)


def _slopes(diff, dist, p):
    """d dist / d x1 for each pair (the last axis: the columns), as PyTorch's backward kernels compute it: zero
    where the distance is zero (and, for p < 1, where the difference is)."""
    dist = dist[..., None]
    if p == 0:
        return np.zeros_like(diff)
    if p == 1:
        return np.sign(diff)
    if p == math.inf:
        return np.sign(diff) * (np.abs(diff) == dist)
    zero = dist == 0
    if p == 2:
        return np.where(zero, 0, diff / np.where(zero, 1, dist))
    a = np.abs(diff)
    power = diff.dtype.type(p - 1)
    if p < 2:
        slope = np.sign(diff) * a ** power / np.where(zero, 1, dist) ** power
        return np.where(zero | ((diff == 0) & (p < 1)), 0, slope)
    return np.where(zero, 0, diff * a ** diff.dtype.type(p - 2) / np.where(zero, 1, dist) ** power)


def _cdist_grad(g, x1, x2, dist, p):
    """The gradient for x1 (batch, r1, c): each row's slopes weighted by the incoming gradient of its r2 pairs."""
    shape = np.broadcast_shapes(g.shape[:-2], x1.shape[:-2], x2.shape[:-2]) + x1.shape[-2:]
    return _by_blocks(x1, x2, lambda diff, rows: np.einsum("...ij,...ijk->...ik", g[..., rows, :],
                                                           _slopes(diff, dist[..., rows, :], p)),
                      shape, x1.dtype)


def _cdist_bw(n, g):
    x1, x2 = n.saved_tensors[:2]
    dist, p = n.saved_arrays[2], n.kwargs["p"]
    garr = g._data
    grads = (_cdist_grad(garr, x1._data, x2._data, dist, p),
             _cdist_grad(np.swapaxes(garr, -1, -2), x2._data, x1._data, np.swapaxes(dist, -1, -2), p))
    # PyTorch computes these with a kernel it does not differentiate: going back through them raises
    return tuple(depends_on(g.new_tensor(grad), saved, "CdistBackwardBackward0",
                            underivable=NotImplementedError("the derivative for '_cdist_backward' is not implemented."))
                 for grad, saved in zip(grads, (x1, x2)))


CDIST = Op("CdistBackward0", _cdist_fwd, _cdist_bw, save=("a", "b", "out"), saved_names=("x1", "x2", "result"))


def _pairs(n):
    """The (i, j) of the pairs i < j in pdist's order (row by row)."""
    return np.triu_indices(n, 1)


def _pdist_fwd(x, p):
    return _cdist_fwd(x, x, p)[_pairs(x.shape[0])]


def _symmetric(values, n, dtype):
    """The (n, n) matrix holding ``values`` (one per pair, in pdist's order) at (i, j) and (j, i), 0 elsewhere."""
    full = np.zeros((n, n), dtype)
    full[_pairs(n)] = values
    return full


def _pdist_bw(n, g):
    x, out = n.saved_tensors
    p, arr = n.kwargs["p"], x._data
    rows = arr.shape[0]
    # each pair's gradient at (i, j): row i takes it as x1's gradient, row j as x2's; the distances are the saved
    # result, mirrored (the diagonal's 0 is each row's distance to itself)
    full = _symmetric(g._data, rows, arr.dtype)
    dist = _symmetric(out._data, rows, arr.dtype)
    dist += dist.T
    grad = _cdist_grad(full, arr, arr, dist, p) + _cdist_grad(full.T, arr, arr, dist, p)
    return depends_on(g.new_tensor(grad), x, "PdistBackwardBackward0",
                      underivable=NotImplementedError("the derivative for '_pdist_backward' is not implemented."))


PDIST = Op("PdistBackward0", _pdist_fwd, _pdist_bw, save=("a", "out"), saved_names=("self", "result"))


@export("pdist", method=False)
def pdist(input, p=2):
    """The p-norm distances between the rows of ``input`` (n, c), each pair i < j once, row by row: n(n-1)/2.

    >>> import graphgrad
    >>> graphgrad.pdist(graphgrad.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    tensor([5.0000, 1.0000, 4.2426])
    """
    if input._data.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input._data.ndim}D")
    if not is_float_np(input._data.dtype):
        raise RuntimeError("pdist only supports floating-point dtypes")
    if not p >= 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return apply(PDIST, input, p=float(p))


def _euclidean_dist_fwd(x1, x2):
    n1 = np.square(x1).sum(-1, keepdims=True)
    n2 = np.square(x2).sum(-1, keepdims=True)
    a = np.concatenate([x1 * x1.dtype.type(-2), n1, np.ones_like(n1)], -1)
    b = np.concatenate([x2, np.ones_like(n2), n2], -1)
    out = blas.matmul(a, np.ascontiguousarray(np.swapaxes(b, -1, -2)))
    np.maximum(out, 0, out=out)  # (rounding leaves small negatives where rows coincide; NaN stays)
    return np.sqrt(out, out=out)


def _euclidean_dist_bw(n, g):
    x1, x2, res = n.saved_tensors
    ratio = (g / res).masked_fill(res == 0, 0)
    return x1 * ratio.sum(-1, keepdim=True) - ratio @ x2, x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT @ x1


EUCLIDEAN_DIST = Op("EuclideanDistBackward0", _euclidean_dist_fwd, _euclidean_dist_bw, save=("a", "b", "out"),
                    saved_names=("x1", "x2", "result"))


def _check(x1, x2, p, compute_mode):
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} "
                           f"X2: {x2._data.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if not is_float_np(x._data.dtype):
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {_torch_name(x._data.dtype)}")
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1._data.dtype != x2._data.dtype:
        raise RuntimeError(f"expected scalar type {_torch_name(x1._data.dtype)} but found "
                           f"{_torch_name(x2._data.dtype)}")


@export("cdist", method=False)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distances between the rows of x1 (..., r1, c) and of x2 (..., r2, c): (..., r1, r2).

    >>> import graphgrad
    >>> graphgrad.cdist(graphgrad.tensor([[0.0, 0.0]]), graphgrad.tensor([[3.0, 4.0], [1.0, 0.0]]))
    tensor([[5., 1.]])
    """
    _check(x1, x2, p, compute_mode)
    s1, s2 = x1._data.shape, x2._data.shape
    r1, r2, c = s1[-2], s2[-2], s1[-1]
    batch = check_broadcast(s1[:-2], s2[:-2])
    mode = _MODES[compute_mode]
    use_mm = p == 2 and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25)))
    if not use_mm or x1._data.size == 0 or x2._data.size == 0:
        return apply(CDIST, x1, x2, p=float(p))
    count = math.prod(batch)
    if count != 1:  # the batches expanded and flattened, as PyTorch's cdist does before its product
        x1 = x1.expand(batch + (r1, c)).reshape(count, r1, c)
        x2 = x2.expand(batch + (r2, c)).reshape(count, r2, c)
    return apply(EUCLIDEAN_DIST, x1, x2).view(batch + (r1, r2))


# --- dist -----------------------------------------------------------------------------------------
def _dist_fwd(a, b, /, p):
    return reduce_ops.norm_np(a - b, p, None, False)


def _dist_bw(n, g):
    """PyTorch's derivative: norm_backward of the difference, for self; its negation for other (each summed to
    its input's shape)."""
    a, b, out = n.saved_tensors
    diff = a - b
    grad = reduce_ops.norm_backward(g, diff, out, n.kwargs["p"], tuple(range(diff.ndim)), False)
    if grad is None:  # p = 0: PyTorch's undefined gradient, which its negation for other refuses
        if n.needs_input_grad[1]:
            raise RuntimeError("Expected a proper Tensor but got None (or an undefined Tensor in C++) for argument "
                               "#0 'self'")
        return None, None
    return grad, -grad


DIST = Op("DistBackward0", _dist_fwd, _dist_bw, save=("a", "b", "out"), promote="same")


@export("dist")
def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast), as one number.

    >>> import graphgrad
    >>> graphgrad.dist(graphgrad.tensor([0.0, 0.0]), graphgrad.tensor([3.0, 4.0]))
    tensor(5.)
    """
    shape = check_broadcast(input._data.shape, other._data.shape)
    dtype = np.result_type(input._data.dtype, other._data.dtype)
    if not is_float_np(dtype):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{_torch_name(dtype)} instead.")
    p = float(p)
    if math.isinf(p) and math.prod(shape) == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor because the "
                           "operation does not have an identity")
    return apply(DIST, input, other, p=p)
