"""Cumulative ops along a dimension: cumsum, cumprod, cummax, cummin, logcumsumexp."""

from __future__ import annotations

import functools

import numpy as np

from .._dtype import is_float_np, to_dtype
from .._size import wrap_dims
from .._tensor import Tensor
from ..autograd import errors
from ._export import export
from ._inplace import write_back_form
from ._op import Op, _torch_name, apply
from .comparison import where
from .index import scatter_into_zeros
from .reduce import one_dim, recordable, sum_dtype, with_indices
from .shape import cat


def _accumulate(ufunc, a, dim, dtype):
    """``ufunc.accumulate`` along ``dim`` as PyTorch's CPU kernels run it: ``a`` cast to the result's dtype
    (``dtype``, else a's), accumulated in that dtype's at::acc_type (float64 for float32 and float64, float32 for
    float16 and bfloat16, int64 for integers), each entry rounded (or wrapped) to the result's dtype."""
    out = np.dtype(dtype or a.dtype)
    a = a.astype(out, copy=False)
    if a.ndim == 0:
        return a.copy()
    if is_float_np(out):
        wide = np.float64 if out.itemsize >= 4 else np.float32
    else:
        wide = np.uint64 if out == np.uint64 else np.int64
    return ufunc.accumulate(a, axis=dim, dtype=wide).astype(out, copy=False)


def _cumulative_dtype(name, input, dtype):
    """The result's dtype (``sum_dtype``'s rule) and PyTorch's error for bool."""
    dt = sum_dtype(input, dtype)
    if dt == np.bool_:
        raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    return dt


def _in_own_dtype(fn, name):
    """The in-place form ``x.<name>(dim)``: the running sums or products in x's own dtype (integers wrapping as
    x's), not int64, as PyTorch's in-place forms compute them."""
    write = write_back_form(fn, name)

    @functools.wraps(write)
    def inplace(self, dim, *, dtype=None):
        return write(self, dim, dtype=self.dtype if dtype is None else dtype)

    return inplace


def cumsum(input, dim, *, dtype=None):
    """The running sums along ``dim`` (bools and integers as int64, unless ``dtype`` says otherwise)."""
    dt = _cumulative_dtype("cumsum", input, dtype)
    dim = wrap_dims(dim, input._data.ndim)[0]  # (a 0-d one takes dim 0/-1)
    out = apply(CUMSUM, input, dim=dim, dtype=dt)
    return recordable(input, out, dtype)


export("cumsum", inplace=True, inplace_form=_in_own_dtype(cumsum, "cumsum_"))(cumsum)


def _cumsum_fwd(a, dim, dtype=None):
    return _accumulate(np.add, a, dim, dtype)


def _cumsum_bw(n, g):
    """PyTorch's cumsum_backward(grad.to(self's dtype)): the reversed running sums."""
    d = n.kwargs["dim"]
    g = g.to(to_dtype(n._in_meta[0][1]))
    return g.flip(d).cumsum(d).flip(d) if g._data.ndim else g.cumsum(d)


CUMSUM = Op("CumsumBackward0", _cumsum_fwd, _cumsum_bw)


def _cumprod_bw(n, g):
    """PyTorch's cumprod_backward(grad.to(self's dtype), self, dim, result)."""
    a, out = n.saved_tensors
    d = n.kwargs["dim"]
    g = g.to(a.dtype)
    if not g._data.ndim or a._data.shape[d] == 1:
        return g * 1
    if not (a._data == 0).any():  # Σ_{j>=k} g_j out_j / a_k
        return (g * out).flip(d).cumsum(d).flip(d) / a
    # With zeros the division fails; as PyTorch: for each k, Σ_{j>=k} g_j Π_{i<=j, i!=k} a_i, from the products
    # before k and the running products after it (quadratic in the dimension's size, only for inputs with zeros)
    size = a._data.shape[d]
    grads = []
    for k in range(size):
        before = a.narrow(d, 0, k).prod(d, keepdim=True) if k else None
        after = a.narrow(d, k + 1, size - k - 1).cumprod(d) if k < size - 1 else None
        if after is None:
            omitted = before
        elif before is None:
            shape = list(after._data.shape)
            shape[d] = 1
            omitted = cat([Tensor._make(np.ones(shape, after._data.dtype), False, None), after], d)
        else:
            omitted = cat([before, before * after], d)
        grads.append((g.narrow(d, k, size - k) * omitted).sum(d, keepdim=True))
    return cat(grads, d)


def _reversed_cumsum(x, d):
    return np.flip(_accumulate(np.add, np.flip(x, d), d, None), d)


def _cumprod_bw_np(n, g):
    """The first derivative alone (no graph of it), as PyTorch computes it then: with zeros, masked by where each
    position lies against the first two zeros of its row (a term past a zero is left out, not multiplied by its
    zero: an infinite gradient there gives no NaN)."""
    a, out = (t._data for t in n.saved_tensors)
    d = n.kwargs["dim"]
    g = g.astype(a.dtype, copy=False)
    if not g.ndim or a.shape[d] == 1:
        return g.copy()
    zero = a == 0
    if not zero.any():
        return _reversed_cumsum(g * out, d) / a
    count = np.cumsum(zero, axis=d)
    before = count == 0  # before the first zero: Σ_{k<=j<z1} g_j out_j / a_k
    first = zero & (count == 1)  # the first zero: Σ_{z1<=j<z2} g_j Π_{i<=j, i!=z1} a_i
    between = count == 1
    grad = np.where(before, _reversed_cumsum(np.where(before, g * out, 0), d) / np.where(before, a, 1), 0)
    partial = _accumulate(np.multiply, np.where(first, 1, a), d, None)
    at_first = np.where(between, g * partial, 0).sum(axis=d, keepdims=True)
    return np.where(first, at_first, grad).astype(g.dtype, copy=False)  # (after it: 0)


CUMPROD = Op("CumprodBackward0", lambda a, dim, dtype=None: _accumulate(np.multiply, a, dim, dtype), _cumprod_bw,
             save=("a", "out"), backward_np=_cumprod_bw_np)


def cumprod(input, dim, *, dtype=None):
    """The running products along ``dim`` (bools and integers as int64, unless ``dtype`` says otherwise)."""
    dt = _cumulative_dtype("cumprod", input, dtype)
    out = apply(CUMPROD, input, dim=wrap_dims(dim, input._data.ndim)[0], dtype=dt)
    return recordable(input, out, dtype)


export("cumprod", inplace=True, inplace_form=_in_own_dtype(cumprod, "cumprod_"))(cumprod)


# --- cummax / cummin / logcumsumexp ----------------------------------------------------------------
def _cum_select_fwd(accumulate):
    """The running max/min along ``dim`` (``accumulate``: ``np.maximum``/``np.minimum``'s ``accumulate``) and
    where it was last reached (NaN wins and stays, as in PyTorch)."""

    def fwd(a, dim):
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        running = accumulate(a, axis=dim)  # NaN propagates, as PyTorch's running max/min keeps it
        # the last k where a[k] equals the running value (a NaN equals NaN): since the running value is
        # monotone, an earlier element equal to it is where it was reached
        reached = (a == running) | (np.isnan(a) & np.isnan(running)) if a.dtype.kind == "f" else a == running
        at = np.arange(a.shape[dim]).reshape((-1,) + (1,) * (a.ndim - 1 - dim))
        idx = np.maximum.accumulate(np.where(reached, at, 0), axis=dim)
        return np.take_along_axis(a, idx, axis=dim), idx  # the element itself (-0.0 where it was reached)

    return fwd


def _cum_select_bw(n, g):
    """The gradient goes to the element each running max/min came from (summed where several did)."""
    _ = n.saved_tensors  # raises if the input was written in place since (PyTorch saves it)
    idx = n.state
    if idx is None:
        raise errors.second_backward(n)
    shape = n._in_meta[0][0]
    if not shape:
        return g * 1
    return scatter_into_zeros(g, n.kwargs["dim"], idx, shape)


# PyTorch saves the input as well as the indices (its backward takes it): writing it in place is refused
CUMMAX = Op("CummaxBackward0", _cum_select_fwd(np.maximum.accumulate), _cum_select_bw, stateful=True, save="a",
            saved_names=("self", "indices"))
CUMMIN = Op("CumminBackward0", _cum_select_fwd(np.minimum.accumulate), _cum_select_bw, stateful=True, save="a",
            saved_names=("self", "indices"))


@export("cummax")
def cummax(input, dim):
    """``(values, indices)``: the running maximum along ``dim`` and the index it was last reached at."""
    return with_indices(CUMMAX, input, dim=_cum_dim("cummax", input, dim))


def _cum_dim(name, input, dim):
    if input._data.size == 0:
        return 0  # PyTorch returns an empty input as it is, whatever dim (not checked)
    if input._data.ndim == 0 and dim not in (0, -1):
        raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    return one_dim(input, dim)


@export("cummin")
def cummin(input, dim):
    """``(values, indices)``: the running minimum along ``dim`` and the index it was last reached at."""
    return with_indices(CUMMIN, input, dim=_cum_dim("cummin", input, dim))


def _logcumsumexp_fwd(a, dim):
    return a.copy() if a.ndim == 0 else np.logaddexp.accumulate(a, axis=dim)


def _logcumsumexp_bw(n, g):
    """PyTorch's formula: ``grad_j = sum_{i >= j} g_i exp(a_j - out_i)`` as exp(a_j + the reversed
    logcumsumexp of log|g_i| - out_i), for the positive and the negative g_i apart (an O(n) scan whose inf and
    NaN are PyTorch's). Built from graphgrad ops, so it differentiates again."""
    a, out = n.saved_tensors
    if not a._data.ndim or not g._data.size:
        return g * 1
    d = n.kwargs["dim"]
    log_abs = g.abs().log()
    lowest = float(np.finfo(g._data.dtype).min)  # log 0, kept finite as PyTorch's (no -inf - -inf)

    def part(where_sign):
        x = where(where_sign, log_abs, lowest) - out
        return (x.flip(d).logcumsumexp(d).flip(d) + a).exp()

    return part(g > 0) - part(g < 0)


LOGCUMSUMEXP = Op("LogcumsumexpBackward0", _logcumsumexp_fwd, _logcumsumexp_bw, save=("a", "out"), promote="float")


@export("logcumsumexp")
def logcumsumexp(input, dim):
    """``log(cumsum(exp(x)))`` along ``dim``, computed stably."""
    d = one_dim(input, dim)  # (the dimension is checked first)
    if input._data.dtype.kind in "biu":
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{_torch_name(input._data.dtype)}\'')
    return apply(LOGCUMSUMEXP, input, dim=d)
