"""Batch, layer and group normalisation, weight normalisation (``torch._weight_norm``, ``torch.norm_except_dim``),
embedding, padding and pixel shuffle.

Each derivative is written with graphgrad ops, so ``create_graph=True`` differentiates it once more.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _blas as blas
from .._core.modes import modes
from .._dtype import is_float_np
from ..autograd import errors
from . import _norm_loops, _transformer_loops
from ._export import export
from ._op import Op, _torch_name, apply, const
from .index import index_add
from .reduce import NORM_P_DIM, _norm_p_bw, _norm_p_fwd, blas_float, sums_along


# --- normalisation --------------------------------------------------------------------------------
# y = (x - mean) * invstd * weight + bias, with the statistics over ``axes`` of x viewed as ``stat_shape``
# (batch norm: all but the channel axis; layer norm: the trailing axes; group norm: each group).
# The forward keeps (mean, invstd, normalised x) as state. The backward is the usual formula in graphgrad ops; under
# create_graph it recomputes the statistics from x in graphgrad ops, so that their dependence on x is
# differentiated too (with the stored ones, a first-order backward skips that work).
def _moments(x, axes):
    """Biased mean and variance over ``axes`` (keepdims), accumulated in float64 as PyTorch's CPU kernels."""
    acc = x if x.dtype == np.float64 else x.astype(np.float64)
    mean = acc.mean(axis=axes, keepdims=True)
    var = np.square(acc - mean).mean(axis=axes, keepdims=True)
    return mean, var


def _norm_fwd(x, *wb, stat_shape, axes, affine_shape, eps, has_w, has_b, stats=None, precomputed=None):
    """``stats``: fixed statistics (batch norm in eval mode); ``precomputed``: this batch's statistics.

    The state is (mean, invstd, normalised x): the last is kept when an affine step follows (so it is not the
    result the caller may write into), and saves the backward recomputing it; otherwise None."""
    xs = x.reshape(stat_shape)
    rows = stats is None and precomputed is None and axes == (-1,) and x.dtype in (np.float32, np.float64)
    if rows and has_w and has_b and _along_rows(x.shape, affine_shape, stat_shape):
        fused = _norm_loops.layer_norm(xs.reshape(-1, xs.shape[-1]), *wb, eps)
        if fused is not None:
            y, xhat, mean, invstd = fused
            return y.reshape(x.shape), (mean.reshape(xs.shape[:-1] + (1,)), invstd.reshape(xs.shape[:-1] + (1,)),
                                        xhat.reshape(x.shape))
    if rows:
        xhat, mean, invstd = _row_norm(xs, eps)
        xhat = xhat.reshape(x.shape)
    else:
        if stats is not None or precomputed is not None:
            mean, invstd = stats if stats is not None else precomputed
        else:
            mean, var = _moments(xs, axes)
            invstd = 1.0 / np.sqrt(var + eps)
        mean = mean.astype(x.dtype)
        invstd = invstd.astype(x.dtype)
        xhat = ((xs - mean) * invstd).reshape(x.shape)
    if not (has_w or has_b):
        return xhat, (mean, invstd, None)
    y = xhat * wb[0].reshape(affine_shape) if has_w else xhat + wb[0].reshape(affine_shape)
    if has_w and has_b:
        y += wb[1].reshape(affine_shape)
    return y, (mean, invstd, xhat)


def _row_norm(xs, eps):
    """(x - mean) * invstd with the statistics of each row (layer and group norm), computed in x's precision
    as PyTorch's kernels for them do (batch norm's accumulate in float64): (normalised x, mean, invstd).
    The row sums are matrix-vector products (NumPy's reductions over short rows are several times slower)."""
    n = xs.dtype.type(max(xs.shape[-1], 1))
    mean = sums_along(xs, -1) / n
    centred = xs - mean
    var = sums_along(centred, -1, centred) / n
    invstd = 1 / np.sqrt(var + xs.dtype.type(eps))
    centred *= invstd
    return centred, mean, invstd


def _norm_bw(node, g):
    saved = node.saved_tensors
    x = saved[0]
    k = node.kwargs
    need = node.needs_input_grad
    w = saved[1] if k["has_w"] else None
    stat_shape, axes, affine_shape = k["stat_shape"], k["axes"], k["affine_shape"]
    xs = x.reshape(stat_shape)
    if modes.recording and k.get("stats") is None:
        mean = xs.mean(axes, keepdim=True)
        invstd = (xs.var(axes, unbiased=False, keepdim=True) + k["eps"]).rsqrt()
    else:
        mean_a, invstd_a = node.state[:2] if node.state is not None else k["stats"]
        mean, invstd = const(mean_a.astype(x._data.dtype)), const(invstd_a.astype(x._data.dtype))
    xhat = (xs - mean) * invstd
    gx = gw = gb = None
    if need[0]:
        gxhat = (g * w.reshape(affine_shape) if w is not None else g).reshape(stat_shape)
        if k.get("stats") is not None:  # fixed (running) statistics: a per-element scale only
            gx = (gxhat * invstd).reshape(x._data.shape)
        else:
            gx = invstd * (gxhat - gxhat.mean(axes, keepdim=True)
                           - xhat * (gxhat * xhat).mean(axes, keepdim=True))
            gx = gx.reshape(x._data.shape)
    red = tuple(range(x._data.ndim - len(affine_shape))) + tuple(
        i + x._data.ndim - len(affine_shape) for i, s in enumerate(affine_shape) if s == 1)
    if k["has_w"] and need[1]:
        gw = (g * xhat.reshape(x._data.shape)).sum(red).reshape(node._in_meta[1][0])
    if k["has_b"] and need[1 + k["has_w"]]:  # (the bias follows the weight when there is one)
        gb = g.sum(red).reshape(node._in_meta[1 + k["has_w"]][0])
    return (gx,) + ((gw,) if k["has_w"] else ()) + ((gb,) if k["has_b"] else ())


def _norm_bw_np(node, g):
    """``_norm_bw`` on arrays, with the statistics the forward kept (no graph of the derivative is built)."""
    saved = node.saved_tensors
    x = saved[0]._data
    k = node.kwargs
    need = node.needs_input_grad
    stat_shape, axes, affine_shape = k["stat_shape"], k["axes"], k["affine_shape"]
    fixed = k.get("stats") is not None  # batch norm in eval mode: the running statistics, not x's
    mean, invstd, xhat = node.state if node.state is not None else (*k["stats"], None)
    mean, invstd = mean.astype(x.dtype, copy=False), invstd.astype(x.dtype, copy=False)
    if xhat is None:
        xhat = x.reshape(stat_shape) - mean
        xhat *= invstd
    xhat = xhat.reshape(stat_shape)
    w = saved[1]._data if k["has_w"] else None
    if not fixed and axes == (-1,) and _along_rows(x.shape, affine_shape, stat_shape) and blas_float(x):
        gx, gw, gb = _row_norm_bw(g.reshape(stat_shape), xhat, invstd, w, need, k["has_w"], k["has_b"])
    else:
        gx, gw, gb = _norm_bw_arrays(g, xhat, invstd, w, need, k, fixed)
    metas = node._in_meta
    return ((None if gx is None else gx.reshape(x.shape)),) + (
        ((None if gw is None else gw.reshape(metas[1][0])),) if k["has_w"] else ()) + (
        ((None if gb is None else gb.reshape(metas[1 + k["has_w"]][0])),) if k["has_b"] else ())


def _norm_bw_arrays(g, xhat, invstd, w, need, k, fixed):
    """The input's, weight's and bias's gradients of any normalisation, from the normalised x (``xhat``, in
    the statistics' shape): (gx in that shape, gw, gb), None where not needed."""
    stat_shape, axes, affine_shape = k["stat_shape"], k["axes"], k["affine_shape"]
    gx = gw = gb = None
    if need[0]:
        gxhat = (g * w.reshape(affine_shape) if w is not None else g).reshape(stat_shape)
        if fixed:
            gx = gxhat * invstd
        elif axes == (-1,):  # rows: each row's sums as matrix-vector products
            n = xhat.dtype.type(max(xhat.shape[-1], 1))
            gx = gxhat - sums_along(gxhat, -1) / n
            gx -= xhat * (sums_along(gxhat, -1, xhat) / n)
            gx *= invstd
        else:
            gx = gxhat - gxhat.mean(axes, keepdims=True)
            gx -= xhat * (gxhat * xhat).mean(axes, keepdims=True)
            gx *= invstd
    red = tuple(range(g.ndim - len(affine_shape))) + tuple(
        i + g.ndim - len(affine_shape) for i, s in enumerate(affine_shape) if s == 1)
    if k["has_w"] and need[1]:
        gw = blas.sum_leading(g * xhat.reshape(g.shape), red)
    if k["has_b"] and need[1 + k["has_w"]]:
        gb = blas.sum_leading(g, red)
    return gx, gw, gb


def _along_rows(shape, affine_shape, stat_shape):
    """Whether the affine weight runs along the statistics' rows, one value per row element (layer norm)."""
    return tuple(shape[len(shape) - len(affine_shape):]) == tuple(affine_shape) and (
        math.prod(affine_shape) == stat_shape[-1])


def _row_norm_bw(g, xhat, invstd, w, need, has_w, has_b):
    """Layer norm's gradients from the rows of g and of the normalised x (each row its own statistics), with the
    weight ``w`` along the rows (or None): flat, the input's invstd·(g·w - mean(g·w) - xhat·mean(g·w·xhat)), and
    the weight's and bias's column sums. Every row and column sum is a matrix-vector product on g and g·xhat,
    which the weight's gradient needs anyway."""
    rows = g.reshape(-1, g.shape[-1])
    if w is not None and has_b and need[0]:
        fused = _norm_loops.layer_norm_bw(rows, xhat.reshape(rows.shape), w, invstd)
        if fused is not None:
            gx, gw, gb = fused
            return gx, (gw if need[1] else None), (gb if need[2] else None)
    g_xhat = rows * xhat.reshape(rows.shape) if need[0] or (has_w and need[1]) else None
    ones = np.ones(rows.shape[0], g.dtype)
    gx = gw = gb = None
    if need[0]:
        w_row = np.ones(rows.shape[1], g.dtype) if w is None else w.reshape(-1)
        scale = invstd.reshape(-1, 1) / g.dtype.type(max(rows.shape[1], 1))
        shift = (rows @ w_row)[:, None] * scale  # invstd·mean(g·w) of each row
        slope = (g_xhat @ w_row)[:, None] * scale  # invstd·mean(g·w·xhat)
        gx = rows * w_row if w is not None else rows.copy()
        gx *= invstd.reshape(-1, 1)
        correction = xhat.reshape(rows.shape) * slope
        correction += shift
        gx -= correction
    if has_w and need[1]:
        gw = ones @ g_xhat
    if has_b and need[1 + has_w]:
        gb = ones @ rows
    return gx, gw, gb


BATCH_NORM, LAYER_NORM, GROUP_NORM = "NativeBatchNormBackward0", "NativeLayerNormBackward0", "NativeGroupNormBackward0"
# one op per number of tensor arguments; the absent weight/bias still get (None) edges, as in PyTorch
_NORM_OPS = {(name, n): Op(name, _norm_fwd, _norm_bw, save="abc"[:n], stateful=True,
                           saved_names=("input", "weight", "bias")[:n], const_args=3 - n, backward_np=_norm_bw_np)
             for name in (BATCH_NORM, LAYER_NORM, GROUP_NORM) for n in (1, 2, 3)}


def normalize_op(name, x, weight, bias, **kw):
    """Record normalisation ``name`` of x with the optional affine weight and bias."""
    args = (x,) + tuple(t for t in (weight, bias) if t is not None)
    return apply(_NORM_OPS[name, len(args)], *args, has_w=weight is not None, has_b=bias is not None, **kw)


# --- weight normalisation: w = g * v / ||v||, the norm over every dimension of v but ``dim`` ---------------------
# PyTorch's torch._weight_norm runs one fused kernel (_weight_norm_interface, node WeightNormInterfaceBackward0)
# where ``dim`` is the first or the last dimension, and composes ``v * (g / norm_except_dim(v, 2, dim))`` from
# ordinary ops otherwise (dim=-1: the norm of all of v). The kernel's second output, the norms (in float32 for half
# precision, shaped as g), is the node's state: ``grad_fn._saved_result1``.
_LOW_PRECISION = ("float16", "bfloat16")


def _wn_axes(ndim, dim):
    """The axes the norm runs over: all but ``dim``."""
    return tuple(a for a in range(ndim) if a != dim)


def _wn_fwd(v, g, dim):
    """(w, norms): the kernel's ``norm = sqrt(sum(v * v))`` and ``w = v * (g / norm)``, in float32 for half
    precision (PyTorch's opmath type)."""
    acc = v.astype(np.float32) if v.dtype.name in _LOW_PRECISION else v
    norms = np.sqrt(np.sum(acc * acc, axis=_wn_axes(v.ndim, dim), keepdims=True))
    w = acc * (g.astype(acc.dtype, copy=False).reshape(norms.shape) / norms)
    return w.astype(v.dtype, copy=False), norms.reshape(g.shape)


def _wn_kernel_bw(node, grad):
    """PyTorch's CPU backward kernel on arrays (what a backward pass that records nothing runs): with
    ``s = sum(grad * v)`` over the norm's axes, ``grad_g = s / norm``, and with ``a = g / norm``,
    ``b = a * grad_g / norm``: ``grad_v = a * grad - b * v`` (inf and NaN where PyTorch's are)."""
    v, g = (t._data for t in node.saved_tensors)
    need = node.needs_input_grad
    axes = _wn_axes(v.ndim, node.kwargs["dim"])
    if v.size == 0:  # (PyTorch's kernel is not run: a zero gradient for g)
        return (np.zeros_like(v) if need[0] else None), (np.zeros_like(g) if need[1] else None)
    acc = np.float32 if v.dtype.name in _LOW_PRECISION else v.dtype
    vv, gw = v.astype(acc, copy=False), grad.astype(acc, copy=False)
    bshape = tuple(1 if i in axes else n for i, n in enumerate(v.shape))
    norms = node.state.astype(acc, copy=False).reshape(bshape)
    grad_g = np.sum(gw * vv, axis=axes, keepdims=True) / norms
    grad_v = None
    if need[0]:
        a = g.astype(acc, copy=False).reshape(bshape) / norms
        b = a * grad_g / norms
        grad_v = (a * gw - b * vv).astype(v.dtype, copy=False)
    return grad_v, (grad_g.reshape(g.shape).astype(g.dtype, copy=False) if need[1] else None)


def _wn_bw(node, grad):
    """The kernel's backward (``_wn_kernel_bw``), or under ``create_graph`` PyTorch's
    ``_weight_norm_differentiable_backward`` in graphgrad ops: ``grad_g = s / ||v||``,
    ``grad_v = g / ||v|| * (grad - v * s / ||v||^2)``.

    The norms there are the forward's, constants of this derivative, as in PyTorch (it reads the node's second
    output, whose gradient its formula drops): ``create_graph`` differentiates through v and g but not through
    the norms' dependence on v, so a second derivative has PyTorch's numbers (which are not the exact second
    derivative: PyTorch's gradgradcheck of ``_weight_norm`` fails too)."""
    if not modes.recording:
        return tuple(None if a is None else const(a) for a in _wn_kernel_bw(node, grad._data))
    v, g = node.saved_tensors
    need = node.needs_input_grad
    axes = _wn_axes(v.ndim, node.kwargs["dim"])
    bshape = tuple(1 if i in axes else n for i, n in enumerate(v._data.shape))
    norms = const(node.state.astype(g._data.dtype, copy=False).reshape(bshape))
    gv = grad * v
    s = gv.sum(axes, keepdim=True) if axes else gv
    grad_v = grad_g = None
    if need[0]:
        grad_v = (g.reshape(bshape) / norms) * (grad - v * (s / (norms * norms)))
    if need[1]:
        grad_g = (s / norms).reshape(g.shape)
    return grad_v, grad_g


WEIGHT_NORM = Op("WeightNormInterfaceBackward0", _wn_fwd, _wn_bw, save="ab", saved_names=("v", "g"), stateful=True,
                 backward_np=_wn_kernel_bw)


def _saved_norms(node):
    """``grad_fn._saved_result1``: the kernel's norms, a tensor without history (PyTorch's error once freed)."""
    if node.state is None:
        raise errors.second_backward(node)
    return const(node.state)


WEIGHT_NORM.node_class._saved_result1 = property(_saved_norms, doc="PyTorch's ``grad_fn._saved_result1``.")
# ATen's norm(input, p) over every element (norm_except_dim with dim=-1): its own node name, NormBackward0
NORM_ALL = Op("NormBackward0", _norm_p_fwd, _norm_p_bw, save=("a", "out"))


def _no_dimensions(dim):
    return IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


@export("_weight_norm", method=False)
def weight_norm(v, g, dim=0):
    """``v * (g / norm_except_dim(v, 2, dim))``: PyTorch's ``torch._weight_norm``, one fused node where ``dim`` is
    the first or the last dimension of ``v``, with its checks and errors.

    >>> import graphgrad
    >>> v, g = graphgrad.tensor([[3.0, 4.0]], requires_grad=True), graphgrad.tensor([[2.0]], requires_grad=True)
    >>> w = graphgrad._weight_norm(v, g, 0)
    >>> w, w.grad_fn._saved_result1
    (tensor([[1.2000, 1.6000]], grad_fn=<WeightNormInterfaceBackward0>), tensor([[5.]]))
    """
    ndim = v.dim()
    if dim != 0 and dim != ndim - 1:
        return v * (g / norm_except_dim(v, 2, dim))
    vd, gd = v._data.dtype, g._data.dtype
    if v._data.size:  # (the kernel, and its checks, run only for a non-empty v)
        if not is_float_np(vd):
            raise NotImplementedError(f"\"weight_norm_kernel\" not implemented for '{_torch_name(vd)}'")
        if ndim == 0:
            raise _no_dimensions(dim)
        if gd != vd:
            raise RuntimeError(f"expected scalar type {_torch_name(vd)} but found {_torch_name(gd)}")
    return apply(WEIGHT_NORM, v.contiguous(), g.contiguous(), dim=dim)


@export("norm_except_dim", method=False)
def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, shaped to broadcast against ``v`` (``dim=-1``:
    the norm of all of ``v``, a 0-d tensor). PyTorch's ``torch.norm_except_dim``, with its nodes.

    >>> import graphgrad
    >>> graphgrad.norm_except_dim(graphgrad.tensor([[3.0, 4.0], [6.0, 8.0]]), 2, 0)
    tensor([[ 5.],
            [10.]])
    """
    ndim = v.dim()
    p = float(pow)
    if dim not in (-1, 0, ndim - 1):
        return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)
    if dim != -1 and ndim == 0:
        raise _no_dimensions(dim)
    if not is_float_np(v._data.dtype):
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{_torch_name(v._data.dtype)} instead.")
    if dim == -1:
        return apply(NORM_ALL, v, p=p, dims=tuple(range(ndim)), keepdim=False)
    if dim == 0:
        flat = v.contiguous().view(v.size(0), -1)
        shape = [v.size(0)] + [1] * (ndim - 1)
        return apply(NORM_P_DIM, flat, p=p, dims=(1,), keepdim=False).view(shape)
    flat = v.contiguous().view(-1, v.size(ndim - 1))
    shape = [1] * (ndim - 1) + [v.size(ndim - 1)]
    return apply(NORM_P_DIM, flat, p=p, dims=(0,), keepdim=False).view(shape)


# --- embedding ------------------------------------------------------------------------------------
def _embedding_scale(idx, num, padding_idx, scale_grad_by_freq, dtype):
    """Per-lookup factor of the weight gradient: 0 at padding_idx, 1/count with scale_grad_by_freq (None: all 1)."""
    if not scale_grad_by_freq and padding_idx is None:
        return None
    scale = np.ones(idx.shape, dtype)
    if scale_grad_by_freq:
        counts = np.bincount(idx.reshape(-1), minlength=num)
        scale = scale / counts[idx]
    if padding_idx is not None:
        scale = np.where(idx == padding_idx, 0, scale).astype(dtype)
    return scale


def _embedding_bw_fwd(g, *, idx, num, scale):
    """The rows of g summed into the rows of a (num, d) gradient that idx names: in lookup order by the compiled
    loop (PyTorch's sums); else the lookups sorted by row, and each run of equal rows summed in one
    ``np.add.reduceat`` (which sums in its own order: PyTorch's sums to rounding; np.add.at adds one row at a
    time, far slower)."""
    d = g.shape[-1]
    rows = (g if scale is None else g * scale[..., None]).reshape(-1, d)
    flat = idx.reshape(-1)
    if rows.dtype == g.dtype:  # (scale_grad_by_freq's rows are float64: summed as such below, then rounded)
        compiled = _transformer_loops.embedding_grad(rows, flat, num)
        if compiled is not None:
            return compiled
    order = np.argsort(flat, kind="stable")
    picked = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], picked[1:] != picked[:-1]))) if picked.size else picked
    out = np.zeros((num, d), g.dtype)
    if picked.size:
        out[picked[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


def _padding_mask(scale, dtype):
    """The first backward's per-lookup scale without its 1/count: 0 at padding_idx, else 1 (None: all 1)."""
    return None if scale is None else (scale != 0).astype(dtype)


def _embedding_gather(w, idx, scale):
    return w[idx] if scale is None else w[idx] * scale[..., None]


def _embedding_bw_kwargs(n, dtype):
    """What the weight's gradient needs: the lookups, the number of rows and the per-lookup scale."""
    k, num = n.kwargs, n._in_meta[0][0][0]
    return {"idx": k["idx"], "num": num,
            "scale": _embedding_scale(k["idx"], num, k.get("padding_idx"), k.get("scale_grad_by_freq"), dtype)}


EMBEDDING = Op("EmbeddingBackward0",
               lambda w, idx, padding_idx=None, scale_grad_by_freq=False: w[idx],
               lambda n, g: apply(EMBEDDING_BACKWARD, g, **_embedding_bw_kwargs(n, g._data.dtype)),
               backward_np=lambda n, g: _embedding_bw_fwd(g, **_embedding_bw_kwargs(n, g.dtype)))
# PyTorch's double backward gathers without the 1/count of scale_grad_by_freq (only padding_idx stays zeroed),
# so the gather's scale keeps just the padding mask of the first backward's scale.
EMBEDDING_BACKWARD = Op("EmbeddingDenseBackwardBackward0", _embedding_bw_fwd,
                        lambda n, gg: apply(EMBEDDING_GATHER, gg, idx=n.kwargs["idx"],
                                            scale=_padding_mask(n.kwargs["scale"], gg._data.dtype)))
EMBEDDING_GATHER = Op("EmbeddingBackward0", _embedding_gather,
                      lambda n, g: apply(EMBEDDING_BACKWARD, g, idx=n.kwargs["idx"], num=n._in_meta[0][0][0],
                                         scale=n.kwargs["scale"]))


# --- embedding_bag --------------------------------------------------------------------------------
def _bag_lookups(indices, bag_of, padding_idx):
    """The positions of the lookups that count: inside a bag (bag_of >= 0) and not at padding_idx."""
    keep = bag_of >= 0
    if padding_idx is not None:
        keep &= indices != padding_idx
    return np.flatnonzero(keep)


def _bag_max_rows(weight, indices, bag_of, n_bags, padding_idx):
    """max mode: for each bag and column, the row of weight holding the maximum (the first one on ties, as
    PyTorch's kernel, which replaces only on a greater value); -1 for an empty bag."""
    pos = _bag_lookups(indices, bag_of, padding_idx)
    rows = np.full((n_bags, weight.shape[1]), -1, np.int64)
    for b in np.unique(bag_of[pos]):
        lookups = indices[pos[bag_of[pos] == b]]
        rows[b] = lookups[weight[lookups].argmax(axis=0)]
    return rows


def _embedding_bag_np(weight, per_sample_weights=None, *, indices, bag_of, n_bags, mode, padding_idx,
                      scale_grad_by_freq):
    """(n_bags, d): the sum, mean or max of each bag's rows of weight (zeros for an empty bag)."""
    out = np.zeros((n_bags, weight.shape[1]), weight.dtype)
    if mode == "max":
        rows = _bag_max_rows(weight, indices, bag_of, n_bags, padding_idx)
        filled = rows >= 0
        out[filled] = weight[rows[filled], np.nonzero(filled)[1]]
        return out
    pos = _bag_lookups(indices, bag_of, padding_idx)
    rows = weight[indices[pos]]
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[pos, None]
    np.add.at(out, bag_of[pos], rows)  # each bag summed in lookup order, as PyTorch's kernel
    if mode == "mean":
        counts = np.bincount(bag_of[pos], minlength=n_bags)
        out /= np.maximum(counts, 1)[:, None].astype(out.dtype)
    return out


def _embedding_bag_bw(n, g):
    """Each lookup's row gets its bag's gradient (times its per-sample weight, or 1/size in mean mode, or only
    at the maximum in max mode); built from differentiable ops."""
    k = n.kwargs
    saved = n.saved_tensors
    weight = saved[0]
    indices, bag_of, mode = k["indices"], k["bag_of"], k["mode"]
    num, d = weight._data.shape
    zeros = const(np.zeros((num, d), g._data.dtype))
    if mode == "max":
        rows = _bag_max_rows(weight._data, indices, bag_of, k["n_bags"], k["padding_idx"])
        bags, cols = np.nonzero(rows >= 0)
        flat = const(rows[bags, cols] * d + cols)  # (row, column) of each maximum in the flattened gradient
        return index_add(zeros.reshape(-1), 0, flat, g[const(bags), const(cols)]).reshape(num, d), None
    pos = _bag_lookups(indices, bag_of, k["padding_idx"])
    lookups, bags = const(indices[pos]), const(bag_of[pos])
    per_lookup = g[bags]
    scale = np.ones(pos.size, g._data.dtype)
    if mode == "mean":
        scale /= np.bincount(bag_of[pos], minlength=k["n_bags"])[bag_of[pos]]
    if k["scale_grad_by_freq"]:
        scale /= np.bincount(indices[pos], minlength=num)[indices[pos]]
    weighted = per_lookup * const(scale[:, None].astype(g._data.dtype))
    need = n.needs_input_grad
    grad_psw = None
    if len(saved) > 1:  # the per_sample_weights op
        psw = saved[1]
        if need[0]:
            weighted = weighted * psw[const(pos)].unsqueeze(1)
        if need[1]:
            dots = (per_lookup * weight[lookups]).sum(1)
            grad_psw = index_add(const(np.zeros(indices.shape, g._data.dtype)), 0, const(pos), dots)
    grad_weight = index_add(zeros, 0, lookups, weighted) if need[0] else None
    return grad_weight, grad_psw


# one op per number of tensor arguments (weight, and per_sample_weights when given: else a (None) edge for it, as
# in PyTorch)
EMBEDDING_BAG = Op("EmbeddingBagBackward0", _embedding_bag_np, _embedding_bag_bw, save="a", saved_names=("weight",),
                   const_args=1)
EMBEDDING_BAG_WEIGHTED = Op("EmbeddingBagBackward0", _embedding_bag_np, _embedding_bag_bw, save="ab",
                            saved_names=("weight", "per_sample_weights"))


# --- padding --------------------------------------------------------------------------------------
def _constant_pad_np(x, pads, value):
    """Pad (or crop, for negative amounts) the trailing dims; pads = ((before, after), ...) per dim."""
    nd = len(pads)
    lead = x.shape[:x.ndim - nd]
    shape = lead + tuple(s + a + b for s, (a, b) in zip(x.shape[x.ndim - nd:], pads))
    out = np.full(shape, value, x.dtype) if value != 0 else np.zeros(shape, x.dtype)
    src = [slice(None)] * len(lead)
    dst = [slice(None)] * len(lead)
    for s, (a, b) in zip(x.shape[x.ndim - nd:], pads):
        src.append(slice(max(-a, 0), s - max(-b, 0)))
        dst.append(slice(max(a, 0), max(a, 0) + max(s - max(-a, 0) - max(-b, 0), 0)))
    if all(sl.start < sl.stop for sl in src[len(lead):]):
        out[tuple(dst)] = x[tuple(src)]
    return out


CONSTANT_PAD = Op("ConstantPadNdBackward0", _constant_pad_np,
                  lambda n, g: apply(CONSTANT_PAD, g, pads=tuple((-a, -b) for a, b in n.kwargs["pads"]), value=0))


def _take_np(x, idxs):
    nd = len(idxs)
    for i, idx in enumerate(idxs):
        x = np.take(x, idx, axis=x.ndim - nd + i)
    return x


def _take_adjoint_np(g, idxs, sizes):
    nd = len(idxs)
    for i in reversed(range(nd)):
        axis = g.ndim - nd + i
        shape = list(g.shape)
        shape[axis] = sizes[i]
        out = np.zeros(shape, g.dtype)
        np.add.at(out, (slice(None),) * axis + (idxs[i],), g)
        g = out
    return g


def _index_pad_ops(name):
    """The op of a padding that reads input positions by index (reflect, replicate, circular), under ``name``,
    and its adjoint (each the other's derivative)."""
    fwd = Op(name, lambda x, idxs, sizes: _take_np(x, idxs),
             lambda n, g: apply(adj, g, idxs=n.kwargs["idxs"], sizes=n.kwargs["sizes"]))
    adj = Op(name.replace("Backward0", "BackwardBackward0"),
             lambda g, idxs, sizes: _take_adjoint_np(g, idxs, sizes),
             lambda n, g: apply(fwd, g, idxs=n.kwargs["idxs"], sizes=n.kwargs["sizes"]))
    return fwd


# PyTorch's node per padding mode and number of padded dims (circular pads by slice copies: CopySlices)
INDEX_PAD_NAMES = {**{("reflect", nd): f"ReflectionPad{nd}DBackward0" for nd in (1, 2, 3)},
                   **{("replicate", nd): f"ReplicationPad{nd}DBackward0" for nd in (1, 2, 3)},
                   **{("circular", nd): "CopySlices" for nd in (1, 2, 3)}}
# created when the module loads so that every one is in REGISTRY
_INDEX_PAD = {name: _index_pad_ops(name) for name in set(INDEX_PAD_NAMES.values())}


def index_pad_op(mode, nd):
    """The op of ``mode`` padding ('reflect', 'replicate', 'circular') over the last ``nd`` dims."""
    return _INDEX_PAD[INDEX_PAD_NAMES[mode, nd]]


# --- pixel shuffle --------------------------------------------------------------------------------
def _pixel_shuffle_np(x, r):
    *lead, c, h, w = x.shape
    oc = c // (r * r)
    y = x.reshape(tuple(lead) + (oc, r, r, h, w))
    k = len(lead)
    y = y.transpose(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return np.ascontiguousarray(y).reshape(tuple(lead) + (oc, h * r, w * r))


def _pixel_unshuffle_np(x, r):
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    y = y.transpose(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return np.ascontiguousarray(y).reshape(tuple(lead) + (c * r * r, h // r, w // r))


PIXEL_SHUFFLE = Op("PixelShuffleBackward0", _pixel_shuffle_np, lambda n, g: apply(PIXEL_UNSHUFFLE, g, **n.kwargs))
PIXEL_UNSHUFFLE = Op("PixelUnshuffleBackward0", _pixel_unshuffle_np, lambda n, g: apply(PIXEL_SHUFFLE, g, **n.kwargs))


# --- channel shuffle: (N, g, C/g, *) -> (N, C/g, g, *); its derivative is the shuffle by C/g -------------
def _channel_shuffle_np(x, groups):
    n, c = x.shape[:2]
    y = x.reshape((n, groups, c // groups) + x.shape[2:]).swapaxes(1, 2)
    return np.ascontiguousarray(y).reshape(x.shape)


def _no_channel_shuffle_derivative(node, grad):
    raise RuntimeError("derivative for aten::native_channel_shuffle is not implemented")


CHANNEL_SHUFFLE = Op("ChannelShuffleBackward0", _channel_shuffle_np,
                     lambda n, g: apply(CHANNEL_SHUFFLE, g, groups=g.shape[1] // n.kwargs["groups"]))
# native_channel_shuffle has no derivative in PyTorch: its result carries the NotImplemented node
NATIVE_CHANNEL_SHUFFLE = Op("NotImplemented", _channel_shuffle_np, _no_channel_shuffle_derivative)
