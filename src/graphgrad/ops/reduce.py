"""Reductions over dimensions: sum, mean, var/std, prod, nansum, all/any, logsumexp, norm, softmax and
log_softmax, trapezoid. The other reducing families: ``extrema`` (max, min, sort, median, ...) and
``cumulative`` (cumsum, cummax, ...)."""

from __future__ import annotations

import functools

import numpy as np

from .. import return_types
from .._core.modes import modes
from .._dtype import is_float_np, to_dtype
from .._size import wrap_dims
from .._tensor import Tensor
from ..autograd.graph import warn_at_user_line
from . import _transformer_loops
from ._args import _combination_error
from ._export import export
from ._op import Op, _torch_name, apply, c_order, summed_dims
from .comparison import where


def reduced_dims(input, dim):
    """The reduced axes; a 0-d tensor accepts dim 0 or -1 (as PyTorch does) and has none to reduce."""
    ndim = input._data.ndim
    if dim is None:
        return tuple(range(ndim))
    dims = wrap_dims(dim, ndim)
    return dims if ndim else ()


def expand_reduced(g, shape, dims, keepdim):
    """The gradient of a reduction, broadcast back over the reduced dimensions of ``shape``."""
    if not keepdim and shape:
        g = g.reshape(tuple(1 if i in dims else s for i, s in enumerate(shape)))
    return g.expand(shape)


def with_indices(op, input, **kw):
    """``(values, indices)`` as PyTorch's named tuple of the op (``return_types.median``, ...): the indices
    are the node's state, as for ``max(dim)``; a 0-d tensor is its own one-element dimension."""
    vals = apply(op, input, **kw)
    node = vals._grad_fn
    idx = node.state if node is not None else op.forward(input._data, **kw)[1]
    result = getattr(return_types, op.forward_name.lower())
    return result((vals, Tensor._make(np.asarray(idx, dtype=np.int64), False, None)))


def one_dim(input, dim):
    nd = input._data.ndim
    return wrap_dims(dim, nd)[0] if nd else (wrap_dims(dim, 0) and 0)


class _AllDims:
    """``dim`` not given: PyTorch records ``dim=None`` given explicitly as the dim overload (SumBackward1)."""

    def __repr__(self):
        return "None"


ALL_DIMS = _AllDims()


# (np.add.reduce is what np.sum runs, without np.sum's four Python frames of dispatch)
def _sum_fwd(a, dims, keepdim, dtype=None):
    return np.add.reduce(a, axis=dims, keepdims=keepdim, dtype=dtype)


SUM = Op("SumBackward1", _sum_fwd,
         lambda n, g: expand_reduced(g, n._in_meta[0][0], n.kwargs["dims"], n.kwargs["keepdim"]))
SUM_ALL = Op("SumBackward0", lambda a, dtype=None: np.add.reduce(a, axis=None, dtype=dtype),
             lambda n, g: g.expand(n._in_meta[0][0]))


def sum_dtype(input, dtype):
    """The dtype of sum, nansum, prod, cumsum and cumprod: ``dtype``, else int64 for bools and integers (PyTorch
    sums and multiplies them as int64), else None (the input's)."""
    if dtype is not None:
        return to_dtype(dtype).np
    if input._data.dtype.kind in "biu":
        return np.int64
    return None


def recordable(input, out, dtype):
    """``out``, or PyTorch's error where ``dtype``, asked of sum, prod, cumsum, ..., is not floating for an input
    that requires grad, in grad mode: it would record a derivative of integers. (Only a ``dtype`` asked can make
    it so: without one, nothing is looked at.)"""
    if dtype is not None and input._requires_grad and modes.recording and not is_float_np(out._data.dtype):
        raise RuntimeError(f"Autograd not support dtype: {_torch_name(out._data.dtype)}")
    return out


@export("sum")
def sum(input, dim=ALL_DIMS, keepdim=False, *, dtype=None):
    """Sum of all elements, or over ``dim`` (an int or a tuple).

    >>> import graphgrad
    >>> graphgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(0)
    tensor([4., 6.])
    """
    dt = sum_dtype(input, dtype)
    if dim is ALL_DIMS:
        if dt is None:
            return apply(SUM_ALL, input)
        return recordable(input, apply(SUM_ALL, input, dtype=dt), dtype)
    if dim is None or isinstance(dim, (list, tuple)) and len(dim) == 0:  # SumBackward1, as PyTorch
        dims = tuple(range(input._data.ndim))
    else:
        dims = reduced_dims(input, dim)
    out = apply(SUM, input, dims=dims, keepdim=keepdim, dtype=dt)
    return recordable(input, out, dtype)


@export("sum_to_size", function=False)
def sum_to_size(self, *size):
    """Sum broadcast dimensions away until the tensor has ``size``: the one place broadcasting is undone."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = self._data.shape
    if shape == size:
        return self
    dims = summed_dims(shape, size)
    out = sum(self, dims, keepdim=True) if dims else self
    return out.reshape(size) if out._data.shape != size else out


def mean_np(a, axis=None, keepdims=False, dtype=None):
    """``np.mean`` without its "Mean of empty slice" RuntimeWarning (a Python warning, which NumPy's error state
    does not govern): PyTorch's mean of no elements is NaN, silently. Over no elements: the sum over the
    count, 0 / 0 (NaN, computed quietly inside an op)."""
    if a.size:
        return np.mean(a, axis=axis, keepdims=keepdims, dtype=dtype)
    total = np.sum(a, axis=axis, keepdims=keepdims, dtype=dtype)
    return total / total.dtype.type(0)


MEAN = Op("MeanBackward1",
          lambda a, dims, keepdim, dtype=None: mean_np(a, axis=dims, keepdims=keepdim, dtype=dtype),
          lambda n, g: expand_reduced(g, n._in_meta[0][0], n.kwargs["dims"], n.kwargs["keepdim"])
          / _count(n._in_meta[0][0], n.kwargs["dims"]))


MEAN_ALL = Op("MeanBackward0", MEAN.forward, MEAN.backward)


def _count(shape, dims):
    c = 1
    for d in dims:
        c *= shape[d]
    return c


@export("mean")
def mean(input, dim=ALL_DIMS, keepdim=False, *, dtype=None):
    """Mean of all elements, or over ``dim``; integer tensors need an explicit float ``dtype``."""
    if not is_float_np(input._data.dtype) and dtype is None:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {input.dtype.name.capitalize() if input.dtype.name != 'int64' else 'Long'}"
        )
    if dtype is not None and not to_dtype(dtype).is_floating_point:
        name = to_dtype(dtype).name
        raise RuntimeError(
            "mean(): could not infer output dtype. Optional dtype must be either a floating point or complex "
            f"dtype. Got: {name.capitalize() if name != 'int64' else 'Long'}"
        )
    if dim is ALL_DIMS:  # MeanBackward0, with or without dtype
        dims = tuple(range(input._data.ndim))
        if dtype is not None:
            return apply(MEAN_ALL, input, dims=dims, keepdim=False, dtype=to_dtype(dtype).np)
        return apply(MEAN_ALL, input, dims=dims, keepdim=False)
    # dim=None or [] given: all dimensions, recorded as the dim overload (MeanBackward1)
    dims = tuple(range(input._data.ndim)) if dim is None or isinstance(dim, (list, tuple)) and not dim \
        else reduced_dims(input, dim)
    if dtype is not None:
        return apply(MEAN, input, dims=dims, keepdim=keepdim, dtype=to_dtype(dtype).np)
    return apply(MEAN, input, dims=dims, keepdim=keepdim)


def _m2_mean(a, dims, welford):
    """(sum of squared deviations, mean) over ``dims`` (kept; float64, as PyTorch's CPU kernels accumulate).
    With one output (var, std; not ``welford``) its kernel sums the squared deviations from the mean taken in
    the input's own dtype; else (and for var_mean, std_mean) it runs Welford's algorithm. Two passes in the
    input's dtype give their numbers to rounding wherever they are finite, at the least cost; only the outputs
    where they are not are recomputed: in float64, and where that is still inf or NaN (Welford's order then
    decides) as Welford's own answer: over finite elements (a sum that overflows where the running mean does
    not) by running it, element by element, and over inf or NaN by its closed form: the sum of squares is NaN
    (inf - inf), the mean ±inf where the last element is the only inf, NaN otherwise (it meets the next one)."""
    mean = mean_np(a, axis=dims, keepdims=True)
    centered = a - mean
    m2 = np.asarray(np.sum(centered * centered, axis=dims, keepdims=True), np.float64)  # (0-d: a scalar)
    bad = ~(np.isfinite(m2) & np.isfinite(mean))
    if not (a.size and bad.any()):  # (the common case: nothing more)
        return m2, mean.astype(np.float64)
    kept = tuple(s for i, s in enumerate(a.shape) if i not in dims)
    rows = np.moveaxis(a, dims, tuple(range(-len(dims), 0))).reshape(kept + (-1,))[bad.reshape(kept)]
    rows = rows.astype(np.float64)
    mean = np.asarray(mean, np.float64)
    if not welford:
        m2[bad] = np.sum(np.square(rows - mean[bad][:, None]), axis=-1)
        return m2, mean
    rows_mean = rows.mean(-1)
    rows_m2 = np.sum(np.square(rows - rows_mean[:, None]), axis=-1)
    still = ~(np.isfinite(rows_m2) & np.isfinite(rows_mean))
    if still.any():
        x = rows[still]
        finite = np.isfinite(x).all(-1)
        x_m2 = np.full(len(x), np.nan)
        x_mean = np.where(np.isfinite(x[:, :-1]).all(-1) & np.isinf(x[:, -1]), x[:, -1], np.nan)
        run_mean = run_m2 = np.zeros(np.count_nonzero(finite))
        for i, v in enumerate(x[finite].T):
            delta = v - run_mean
            run_mean = run_mean + delta / (i + 1)
            run_m2 = run_m2 + delta * (v - run_mean)
        x_m2[finite], x_mean[finite] = run_m2, run_mean
        rows_m2[still], rows_mean[still] = x_m2, x_mean
    m2[bad], mean[bad] = rows_m2, rows_mean
    return m2, mean


def _var_np(a, dims, correction, keepdim, full=False, welford=False, sqrt=False):
    """var (or std) over ``dims``: the sum of squares (``_m2_mean``) divided by max(0, n - correction) (0 / 0 is
    NaN, a positive sum / 0 inf), in float64, rounded to the input's dtype once at the end, as PyTorch's."""
    out_size = _count(a.shape, tuple(d for d in range(a.ndim) if d not in dims))
    m2 = _m2_mean(a, dims, welford or out_size > 1)[0]
    var = m2 / float(max(0, _count(a.shape, dims) - correction))
    if sqrt:
        var = np.sqrt(var)
    return (var if keepdim else np.squeeze(var, axis=dims)).astype(a.dtype, copy=False)


def _var_grad(g, a, k):
    """PyTorch's var_backward: ``2 / (n - correction) * g * (a - mean)``; with no degrees of freedom left
    over all elements, nan where an element equals the mean and inf elsewhere (times g)."""
    dims = k["dims"]
    dof = _count(a._data.shape, dims) - k["correction"]
    if k.get("full") and dof <= 0:
        return g * where(a == a.mean(), float("nan"), float("inf"))
    centered = a - a.mean(dims, keepdim=True)
    scale = 2.0 / dof if dof else float("inf")
    return scale * expand_reduced(g, a._data.shape, dims, k["keepdim"]) * centered


def _var_bw(n, g):
    (a,) = n.saved_tensors
    return _var_grad(g, a, n.kwargs)


VAR = Op("VarBackward0", _var_np, _var_bw, save="a")


def _std_bw(n, g):
    # PyTorch's std_backward: var_backward of g / (2 * std), which is 0 where std is 0
    a, out = n.saved_tensors

    return _var_grad(where(out == 0, 0.0, g / (out * 2)), a, n.kwargs)


STD = Op("StdBackward0", lambda a, dims, correction, keepdim, full=False, welford=False:
         _var_np(a, dims, correction, keepdim, sqrt=True, welford=welford), _std_bw, save=("a", "out"))


def _welford_mean(a, dims, keepdim):
    mean = _m2_mean(a, dims, welford=True)[1]
    return (mean if keepdim else np.squeeze(mean, axis=dims)).astype(a.dtype, copy=False)


# var_mean's and std_mean's mean: Welford's, from the same kernel as their var (NaN over inf and other elements)
WELFORD_MEAN = Op("MeanBackward1", _welford_mean, MEAN.backward)


def _dof_warning(name, input, dims, correction):
    """PyTorch's UserWarning when ``correction`` leaves no degrees of freedom (numel / output numel)."""
    shape = input._data.shape
    out = 1
    for i, s in enumerate(shape):
        if i not in dims:
            out *= s
    if input._data.size // (out or 1) - correction <= 0:
        warn_at_user_line(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                          "reduction factor (input numel divided by output numel).")


def _var_std(op, name, input, dim, unbiased, keepdim, correction):
    """var/std, or var_mean/std_mean's (var or std, mean): these two from one Welford kernel in PyTorch."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if not is_float_np(input._data.dtype):
        what = "std and var" if name in ("var", "std") else name
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    dims = reduced_dims(input, dim)
    c = _correction(unbiased, correction)
    _dof_warning(name, input, dims, c)
    kw = {"full": True} if dim is None or input._data.ndim == 0 else {}  # PyTorch's derivative: all elements
    if name in ("var", "std"):
        return apply(op, input, dims=dims, correction=c, keepdim=keepdim, **kw)
    return (apply(op, input, dims=dims, correction=c, keepdim=keepdim, welford=True, **kw),
            apply(WELFORD_MEAN, input, dims=dims, keepdim=keepdim))


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


@export("var")
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance (Bessel-corrected unless ``unbiased=False`` or ``correction=0``)."""
    return _var_std(VAR, "var", input, dim, unbiased, keepdim, correction)


@export("std")
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation (Bessel-corrected by default)."""
    return _var_std(STD, "std", input, dim, unbiased, keepdim, correction)


@export("var_mean")
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return _var_std(VAR, "var_mean", input, dim, unbiased, keepdim, correction)


@export("std_mean")
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return _var_std(STD, "std_mean", input, dim, unbiased, keepdim, correction)


def _prod_bw(n, g):
    a, out = n.saved_tensors  # PyTorch saves the result too: writing into it in place is refused
    k = n.kwargs
    dims, keepdim = k["dims"], k["keepdim"]
    arr = a._data
    zeros = np.count_nonzero(arr == 0)
    if not zeros:  # PyTorch's grad * (result / input), in this order (g·out alone may overflow)
        return expand_reduced(g, arr.shape, dims, keepdim) * (expand_reduced(out, arr.shape, dims, keepdim) / a)
    # With zeros, out / a is undefined: the gradient is the product of the *other* elements.
    if zeros > 1 and n.op is PROD_ALL and not modes.recording:
        # PyTorch's shortcut for the whole product: every product of others holds a zero, so zeros (even
        # where an inf or NaN is among them, or the incoming gradient is NaN)
        return a.new_zeros(arr.shape)
    if modes.recording:  # create_graph: the same product, built from differentiable ops
        return expand_reduced(g, arr.shape, dims, keepdim) * _prod_of_others(a, dims)
    moved = np.moveaxis(arr, dims, tuple(range(-len(dims), 0)))
    flat = moved.reshape(moved.shape[: moved.ndim - len(dims)] + (-1,))
    left = np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), flat[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), np.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = np.moveaxis((left * right).reshape(moved.shape), tuple(range(-len(dims), 0)), dims)
    return expand_reduced(g, arr.shape, dims, keepdim) * Tensor._make(others, False, None)


def _prod_of_others(a, dims):
    """For each element, the product of the other elements over ``dims`` (differentiable, no division:
    row i of an m x m matrix holds the m reduced elements with element i replaced by 1)."""
    shape = a._data.shape
    keep = tuple(d for d in range(len(shape)) if d not in dims)
    perm = keep + tuple(dims)
    m = 1
    for d in dims:
        m *= shape[d]
    moved = a.permute(perm) if perm != tuple(range(len(shape))) else a
    flat = moved.reshape(tuple(shape[d] for d in keep) + (m, 1)).transpose(-1, -2)  # (..., 1, m)
    eye = Tensor._make(np.eye(m, dtype=bool), False, None)
    others = where(eye, 1.0, flat.expand(flat._data.shape[:-2] + (m, m))).prod(-1)  # (..., m)
    others = others.reshape(tuple(shape[d] for d in perm))
    return others.permute(tuple(np.argsort(perm))) if perm != tuple(range(len(shape))) else others


PROD = Op("ProdBackward1", lambda a, dims, keepdim, dtype=None: np.prod(a, axis=dims, keepdims=keepdim, dtype=dtype),
          _prod_bw, save=("a", "out"))


PROD_ALL = Op("ProdBackward0", PROD.forward, _prod_bw, save=("a", "out"))


@export("prod")
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements (ProdBackward0), or along ``dim`` (ProdBackward1)."""
    dt = sum_dtype(input, dtype)
    if dim is None:
        out = apply(PROD_ALL, input, dims=reduced_dims(input, None), keepdim=False, dtype=dt)
    else:
        out = apply(PROD, input, dims=reduced_dims(input, dim), keepdim=keepdim, dtype=dt)
    return recordable(input, out, dtype)


@export("all")
def all(input, dim=None, keepdim=False):
    axis = None if dim is None else reduced_dims(input, dim)
    return Tensor._make(np.asarray(np.all(input._data, axis=axis, keepdims=keepdim)), False, None)


@export("any")
def any(input, dim=None, keepdim=False):
    axis = None if dim is None else reduced_dims(input, dim)
    return Tensor._make(np.asarray(np.any(input._data, axis=axis, keepdims=keepdim)), False, None)


@export("count_nonzero")
def count_nonzero(input, dim=None):
    axis = None if dim is None else reduced_dims(input, dim)
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axis), dtype=np.int64), False, None)


# --- logsumexp, norm, softmax ---------------------------------------------------------------------
def _logsumexp_fwd(a, dims, keepdim):
    m = np.max(a, axis=dims, keepdims=True, initial=-np.inf)  # over nothing: log(0) = -inf
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(a - m), axis=dims, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dims)


def _logsumexp_bw(n, g):
    a, out = n.saved_tensors
    k = n.kwargs
    shape = a._data.shape
    return expand_reduced(g, shape, k["dims"], k["keepdim"]) * (a - expand_reduced(out, shape, k["dims"],
                                                                                     k["keepdim"])).exp()


LOGSUMEXP = Op("LogsumexpBackward0", _logsumexp_fwd, _logsumexp_bw, save=("a", "out"), promote="float")


@export("logsumexp")
def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow."""
    return apply(LOGSUMEXP, input, dims=reduced_dims(input, dim), keepdim=keepdim)


def _norm2_fwd(a, dims, keepdim):
    return np.sqrt(np.sum(a * a, axis=dims, keepdims=keepdim))


def _norm2_bw(n, g):
    a, out = n.saved_tensors
    return norm_backward(g, a, out, 2, n.kwargs["dims"], n.kwargs["keepdim"])


NORM2 = Op("LinalgVectorNormBackward0", _norm2_fwd, _norm2_bw, save=("a", "out"))


def _norm_p_fwd(a, p, dims, keepdim):
    x = np.abs(a)
    if p == np.inf:
        return np.max(x, axis=dims, keepdims=keepdim)
    if p == -np.inf:
        return np.min(x, axis=dims, keepdims=keepdim)
    if p == 0:
        return np.sum(x != 0, axis=dims, keepdims=keepdim).astype(a.dtype)
    if p == 1:
        return np.sum(x, axis=dims, keepdims=keepdim)
    return np.sum(x ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)


def norm_np(a, p, dims, keepdim):
    """The ``p``-norm of an array over ``dims``, as ``vector_norm`` computes it (2: the root of the sum of
    squares)."""
    return _norm2_fwd(a, dims, keepdim) if p == 2 else _norm_p_fwd(a, p, dims, keepdim)


def _norm_p_bw(n, g):
    a, out = n.saved_tensors
    k = n.kwargs
    return norm_backward(g, a, out, k["p"], k["dims"], k["keepdim"])


def norm_backward(g, a, out, p, dims, keepdim):
    """The gradient of ``out``, the ``p``-norm of ``a`` over ``dims``, for ``g``: PyTorch's norm_backward, case by
    case (FunctionsManual.cpp), in graphgrad ops (so it differentiates again)."""
    shape = a._data.shape
    g = expand_reduced(g, shape, dims, keepdim)
    if p == 0:
        return None  # PyTorch's undefined gradient: none reaches the input (a leaf's .grad stays None)
    if p == 1:
        return a.sign() * g

    o = expand_reduced(out, shape, dims, keepdim)
    if p == 2:  # (PyTorch's order: grad * (x / norm), NaN where an infinite gradient meets a zero norm)
        return g * where(o == 0, 0.0, a / o)
    if p in (np.inf, -np.inf):
        # the gradient shared among the elements that are the norm, and the NaNs (whose sign is 0)
        mask = ((a.abs() == o) | a.isnan()).to(g.dtype)
        return a.sign() * (g / expand_reduced(mask.sum(dims, keepdim=True), shape, dims, True) * mask)
    if p < 1:
        return a.sign() * where(a == 0, 0.0, a.abs() ** (p - 1)) * g * o ** (1 - p)
    scaled = a.sign() * a.abs() ** (p - 1) if p < 2 else a * a.abs() ** (p - 2)
    return scaled * where(o == 0, 0.0, g / o ** (p - 1))


NORM_P = Op("LinalgVectorNormBackward0", _norm_p_fwd, _norm_p_bw, save=("a", "out"))
# ATen's norm(input, p, dim, keepdim) (what pairwise_distance calls): the same norm and derivative under its node
NORM_P_DIM = Op("NormBackward1", _norm_p_fwd, _norm_p_bw, save=("a", "out"))


def vector_norm(input, p, dim, keepdim, dtype):
    """The vector ``p``-norm over ``dim`` (all elements for None): what torch.norm and torch.linalg.vector_norm
    compute for a numeric order (ops/linalg.py dispatches torch.norm's orders)."""
    if dtype is not None:
        input = input.to(dtype)
    if not is_float_np(input._data.dtype):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           + input.dtype._legacy[:-len("Tensor")])
    dims = reduced_dims(input, dim)
    if p in (2, 2.0):
        return apply(NORM2, input, dims=dims, keepdim=keepdim)
    if (float(p) < 0 or np.isinf(p)) and input._data.size == 0:
        _check_norm_identity(input, float(p), dim, dims)
    return apply(NORM_P, input, p=float(p), dims=dims, keepdim=keepdim)


def _check_norm_identity(input, p, dim, dims):
    """A negative or infinite norm has no value over an empty dimension: PyTorch's error."""
    if dim is None:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor because the "
                           "operation does not have an identity")
    for given, d in zip(dim if isinstance(dim, (list, tuple)) else (dim,), dims):
        if input._data.shape[d] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the dimension {given}because "
                               "this dimension is empty and the operation does not have an identity")


_BLAS_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


def blas_float(a):
    """Whether ``a`` is a non-empty float32/float64 array (what BLAS's matrix-vector products take)."""
    return a.dtype in _BLAS_FLOATS and a.size > 0


@functools.lru_cache(maxsize=64)
def _ones(n, dtype):
    """A read-only vector of ``n`` ones (the row sums' right operand), made once per length and dtype."""
    ones = np.empty(n, dtype)
    ones.fill(1)
    ones.flags.writeable = False
    return ones


def sums_along(a, dim, b=None):
    """``np.sum(a, dim, keepdims=True)`` (of ``a * b`` when ``b`` is given). Along the last axis of a float
    array, as a matrix-vector product (or one dot product per row): NumPy's reduction over short rows is
    several times slower.

    >>> sums_along(np.ones((2, 3), np.float32), -1).tolist()
    [[3.0], [3.0]]
    """
    if dim % a.ndim != a.ndim - 1 or a.dtype not in _BLAS_FLOATS or not a.size:  # (blas_float, inline)
        return np.sum(a if b is None else a * b, axis=dim, keepdims=True)
    if b is None:
        return (a @ _ones(a.shape[-1], a.dtype))[..., None]
    return np.einsum("...i,...i->...", a, b)[..., None]


def _exp_and_sums(a, dim, unshifted=True):
    """(exp(a - shift), its sums along ``dim`` (keepdims), a - shift or None when the shift is 0).

    Softmax is the same for any shift of each row; the row maxima keep the exponentials in range. Where every
    row's sum of exp(a) lies in [2**-20, 2**20] (float32 or float64), nothing overflowed, an exponential that
    underflowed into the subnormals is below 2**-106 of its row's sum (a softmax value of no weight), so the
    unshifted exponentials agree with the shifted ones to rounding (not bit for bit) without the maxima and
    the subtraction, which cost more than all the rest over short rows (an attention's rows of 64).
    Otherwise (large or very negative rows, NaN, infinities, a row of -inf) the maxima are subtracted first:
    by np.fmax's reduction, a third faster than np.max's over short rows; that it skips NaNs changes nothing,
    as a NaN reaches its whole row through the sum anyway.

    log_softmax always shifts (``unshifted`` False): x - log(sum exp(x)) is not exactly 0 for a row's only
    element as (x - max) - log(1) is, and chains that divide by such a value (the fuzzer's) amplify that."""
    if unshifted and a.dtype in (np.float32, np.float64):
        e = np.exp(a)
        sums = sums_along(e, dim)
        if sums.min() >= 2.0 ** -20 and sums.max() <= 2.0 ** 20:
            return e, sums, None
    shifted = a - np.fmax.reduce(a, axis=dim, keepdims=True)
    e = np.exp(shifted)
    return e, sums_along(e, dim), shifted


def _softmax_np(a, dim):
    if a.ndim == 0:  # its own dimension: 1, or NaN for NaN and the infinities, as PyTorch
        return _softmax_np(a.reshape(1), 0).reshape(())
    if a.size == 0:
        return np.ones_like(a)
    e, sums, _ = _exp_and_sums(a, dim)
    e *= 1 / sums  # (one division per row)
    return c_order(e)  # (PyTorch's softmax answers a contiguous tensor whatever its input's layout)


def _softmax_bw(n, g):
    (out,) = n.saved_tensors
    d = n.kwargs["dim"]
    return out * (g - (g * out).sum(d, keepdim=True))


def _softmax_bw_np(n, g):
    out = n.saved_arrays[0]
    if out.ndim == 0:  # a 0-d input is its own dimension (no axis to sum over)
        return out * (g - g * out)
    if n.kwargs["dim"] % out.ndim == out.ndim - 1:
        compiled = _transformer_loops.softmax_bw_last_dim(g, out)
        if compiled is not None:
            return compiled
    gx = g - sums_along(g, n.kwargs["dim"], out)
    gx *= out
    return gx


def _log_softmax_np(a, dim):
    if a.ndim == 0:
        return _log_softmax_np(a.reshape(1), 0).reshape(())
    if a.size == 0:
        return np.zeros_like(a)
    e, sums, shifted = _exp_and_sums(a, dim, unshifted=False)
    return c_order(np.subtract(shifted, np.log(sums), out=e))


def _log_softmax_bw(n, g):
    (out,) = n.saved_tensors
    d = n.kwargs["dim"]
    return g - out.exp() * g.sum(d, keepdim=True)


def _log_softmax_bw_np(n, g):
    (out,) = n.saved_arrays
    total = sums_along(g, n.kwargs["dim"]) if g.ndim else g  # a 0-d input is its own dimension
    gx = np.exp(out, out=np.empty(out.shape, out.dtype))  # (an array for 0-d too, which out= needs below)
    gx *= total
    np.subtract(g, gx, out=gx)
    return gx


SOFTMAX = Op("SoftmaxBackward0", _softmax_np, _softmax_bw, save="out", promote="float", backward_np=_softmax_bw_np)
LOG_SOFTMAX = Op("LogSoftmaxBackward0", _log_softmax_np, _log_softmax_bw, save="out", promote="float",
                 backward_np=_log_softmax_bw_np)


def _softmax_dim(input, dim):
    if dim is None:  # torch.softmax has no implicit dim (nn.functional.softmax picks one before calling it)
        raise TypeError("softmax(): argument 'dim' must be int, not NoneType")
    return wrap_dims(dim, input._data.ndim)[0]


def _softmax_family(op, name, input, dim, dtype):
    """softmax or log_softmax (``op``, PyTorch's kernel ``name``) of input along ``dim``, in ``dtype`` if given."""
    if dtype is not None:
        input = input.to(dtype)
    d = _softmax_dim(input, dim)
    if not is_float_np(input._data.dtype):
        if not input._data.size:  # no element reaches the kernel: PyTorch answers an empty tensor of the dtype
            return Tensor._make(np.empty_like(input._data), False, None)
        # its kernels are floating point only; the error names the kernel (last dim or not)
        kernel = f"{name}_lastdim_kernel_impl" if d >= input._data.ndim - 1 else f"{name}_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(input._data.dtype)}\'')
    return apply(op, input, dim=d)


@export("softmax")
def softmax(input, dim, dtype=None, _stacklevel=3):
    """``exp(x) / sum(exp(x))`` along ``dim``, numerically stable."""
    return _softmax_family(SOFTMAX, "softmax", input, dim, dtype)


@export("log_softmax")
def log_softmax(input, dim, dtype=None, _stacklevel=3):
    """``x - logsumexp(x)`` along ``dim``, numerically stable."""
    return _softmax_family(LOG_SOFTMAX, "log_softmax", input, dim, dtype)


# --- nansum and the order statistics: median, kthvalue, mode ------------------------------------------
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
    out = apply(NANSUM, input, dims=dims, keepdim=keepdim, dtype=sum_dtype(input, dtype))
    return recordable(input, out, dtype)


_TRAPEZOID_SIGNATURES = (" * (Tensor y, Tensor x, *, int dim = -1)\n"
                         " * (Tensor y, *, Number dx = 1, int dim = -1)")


@export("trapezoid", method=False)
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along ``dim``: sample points spaced ``dx`` apart (1 by default), or at the
    positions ``x`` (1-d along ``dim``, or broadcasting with ``y``). Composed of ordinary ops, so it is
    differentiable in ``y`` and ``x``.

    >>> import graphgrad
    >>> graphgrad.trapezoid(graphgrad.tensor([1.0, 2.0, 3.0]))
    tensor(4.)
    """
    if x is not None and dx is not None:
        # (the order the keywords were passed in is lost here: as given x after dx, which PyTorch lists x first)
        raise _combination_error("trapezoid", (y,), {"dx": dx, "x": x}, _TRAPEZOID_SIGNATURES)
    (d,) = wrap_dims(dim, y._data.ndim)
    n = y._data.shape[d]
    if x is None:
        # the sum of all samples less half of the two ends, times the spacing (PyTorch's formulation)
        if n == 0:
            return y.sum(d) * 0.0
        return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * (1 if dx is None else dx)
    if x._data.ndim == 1:
        if x._data.shape[0] != n:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        spacing = (x[1:] - x[:-1]).reshape(-1, *([1] * (y._data.ndim - 1 - d)))
    else:
        m = x._data.shape[d - y._data.ndim] if x._data.ndim >= y._data.ndim - d else 1
        spacing = x.narrow(d - y._data.ndim, 1, m - 1) - x.narrow(d - y._data.ndim, 0, m - 1)
    if n == 0:
        return y.sum(d) * 0.0
    return (spacing * (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1))).sum(d) / 2.0


@export("trapz", method=False)
def trapz(y, x=None, *, dx=None, dim=-1):
    """The older name of ``trapezoid``."""
    return trapezoid(y, x, dx=dx, dim=dim)
