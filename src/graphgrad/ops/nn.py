"""Neural-network primitives: convolution, pooling, normalisation, losses, activations.

These are the ops that need speed or numerical care; everything else in ``graphgrad.nn.functional``
is composed from the ordinary differentiable ops. Each forward works on ndarrays without Python loops
over the batch or the pixels (strided windows, ``np.matmul``); loops run over kernel offsets only.
Each derivative is written with graphgrad ops -- mostly the primitives of this file used as each
other's adjoints (the input-gradient of a convolution is a transposed convolution, whose gradient is
a convolution again) -- so ``create_graph=True`` differentiates it once more.

Convolutions are 2-D internally; 1-D ones get a spatial axis of size 1 (``nd=1`` in the op's kwargs).
"""

from __future__ import annotations

import functools
import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._core.modes import modes
from .._dtype import is_float_np
from .._tensor import Tensor
from ..autograd import errors
from ._blockwise import blockwise
from ._erf import erfc_abs_float32
from ._op import Op, _torch_name, apply, depends_on
from .elementwise import where
from .shape import cat


def _const(arr):
    """An ndarray as a Tensor that needs no gradient."""
    return Tensor._make(arr, False, None)


# --- strided windows ------------------------------------------------------------------------------
def _pad_hw(x, pads, value=0.0):
    """``x`` (N, C, H, W) padded by ``pads = ((top, bottom), (left, right))``; a new array."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = np.empty((n, c, h + pt + pb, w + pl + pr), x.dtype)
    if value == 0:
        out[...] = 0
    else:
        out.fill(value)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _windows(xp, k_hw, out_hw, stride, dilation):
    """A read-only (N, C, KH, KW, OH, OW) view of the windows of the padded ``xp``."""
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(xp, (n, c, k_hw[0], k_hw[1], out_hw[0], out_hw[1]),
                      (s_n, s_c, s_h * dilation[0], s_w * dilation[1], s_h * stride[0], s_w * stride[1]),
                      writeable=False)


def _offset_slices(k_hw, out_hw, stride, dilation):
    """For each kernel offset (kh, kw): the strided slice of the padded input its outputs read."""
    for kh in range(k_hw[0]):
        h0 = kh * dilation[0]
        sh = slice(h0, h0 + (out_hw[0] - 1) * stride[0] + 1, stride[0])
        for kw in range(k_hw[1]):
            w0 = kw * dilation[1]
            yield kh, kw, (Ellipsis, sh, slice(w0, w0 + (out_hw[1] - 1) * stride[1] + 1, stride[1]))


def _as4d(a, nd):
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if nd == 1 else a


def _from4d(a, nd):
    return a.reshape(a.shape[:2] + a.shape[3:]) if nd == 1 else a


# --- convolution ----------------------------------------------------------------------------------
# Every convolution is one BLAS matmul per group between the weight (O, rows) and an im2col matrix
# (rows, N * positions): the batch sits inside the matrix ("channels, then batch" layout), so BLAS sees
# one large product that it can spread over threads, not N small ones. Two im2col layouts:
# - stride 1 (the common case) uses "flat rows": each padded input plane is flattened with its row
#   width Wp, so the input seen by kernel offset (kh, kw) is one contiguous run of OH * Wp elements
#   starting at kh*dh*Wp + kw*dw; outputs are computed on rows of width Wp and the Wp - OW columns that
#   wrap around are cropped (and are zero in the gradients). Copies and col2im move long runs.
# - other strides take the (C, KH, KW, N, OH, OW) windows of a strided view of the padded input.
# Rows are ordered (kh, kw, c) in the first layout and (c, kh, kw) in the second.
_SCRATCH = threading.local()
_SCRATCH_MAX = 256 << 20


def _scratch(slot, shape, dtype, zero=False):
    """A per-thread reusable buffer for a temporary that dies within one kernel call.

    A fresh multi-megabyte array costs a page fault per 4 KiB on first touch (glibc hands freed large
    blocks back to the OS), which inside a training step costs about as much as the arithmetic of a
    convolution; its padded input, im2col matrix and col2im buffer reuse these buffers instead.
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if nbytes > _SCRATCH_MAX:  # not worth pinning that much memory for the rest of the process
        return np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    bufs = getattr(_SCRATCH, "bufs", None)
    if bufs is None:
        bufs = _SCRATCH.bufs = {}
    buf = bufs.get(slot)
    if buf is None or buf.nbytes < nbytes:
        buf = bufs[slot] = np.empty(max(nbytes, 64), np.uint8)
    out = buf[:nbytes].view(dtype).reshape(shape)
    if zero:
        out.fill(0)
    return out


def _flat(stride):
    return tuple(stride) == (1, 1)


def _im2col(x, k_hw, stride, padding, dilation, groups, keep=False):
    """(cols (G, rows, N * P), out_hw, P): the windows of x (N, C, H, W), batch inside the columns.

    ``keep``: cols in a fresh array (kept for the weight gradient) rather than the reused scratch buffer.
    """
    n, c, h, w = x.shape
    cg = c // groups
    kh, kw = k_hw
    (pt, pb), (pl, pr) = padding
    hp, wp = h + pt + pb, w + pl + pr
    out_hw = tuple((hw_p - dilation[i] * (k_hw[i] - 1) - 1) // stride[i] + 1 for i, hw_p in enumerate((hp, wp)))
    if _flat(stride):
        buf = _scratch("rows", (c, n, hp * wp + (kw - 1) * dilation[1]), x.dtype, zero=True)
        buf[:, :, :hp * wp].reshape(c, n, hp, wp)[:, :, pt:pt + h, pl:pl + w] = x.transpose(1, 0, 2, 3)
        length = out_hw[0] * wp
        s_c, s_n, s_e = buf.strides
        view = as_strided(buf, (groups, kh, kw, cg, n, length),
                          (cg * s_c, dilation[0] * wp * s_e, dilation[1] * s_e, s_c, s_n, s_e), writeable=False)
    else:
        xp = _pad_hw(x, padding)
        length = out_hw[0] * out_hw[1]
        s_n, s_c, s_h, s_w = xp.strides
        view = as_strided(xp, (groups, cg, kh, kw, n) + out_hw,
                          (cg * s_c, s_c, dilation[0] * s_h, dilation[1] * s_w, s_n, stride[0] * s_h,
                           stride[1] * s_w), writeable=False)
    cols = np.empty(view.shape, x.dtype) if keep else _scratch("cols", view.shape, x.dtype)
    np.copyto(cols, view)
    return cols.reshape(groups, cg * kh * kw, n * length), out_hw, length


def _weight_rows(w4, groups, stride):
    """The weight as (G, O/G, rows) in the row order of ``_im2col``."""
    o, cg, kh, kw = w4.shape
    if _flat(stride):
        return np.ascontiguousarray(w4.reshape(groups, o // groups, cg, kh, kw).transpose(0, 1, 3, 4, 2)).reshape(
            groups, o // groups, kh * kw * cg)
    return w4.reshape(groups, o // groups, cg * kh * kw)


def _grad_rows(g4, groups, wp):
    """g (N, O, OH, OW) as (G, O/G, N * OH * row width), zero in the wrapped-around columns (flat rows)."""
    n, o, oh, ow = g4.shape
    width = ow if wp is None else wp
    gp = _scratch("grows", (o, n, oh, width), g4.dtype)
    if width != ow:
        gp[..., ow:] = 0
    gp[..., :ow] = g4.transpose(1, 0, 2, 3)
    return gp.reshape(groups, o // groups, n * oh * width)


def _from_cn(v, b=None):
    """A (C, N, H, W) view as a fresh (N, C, H, W) array, plus the bias if given."""
    t = v.transpose(1, 0, 2, 3)
    out = np.empty(t.shape, v.dtype)
    if b is None:
        np.copyto(out, t)
    else:
        np.add(t, b.reshape(1, -1, 1, 1), out=out)
    return out


def conv_forward_np(x, w, b=None, *, stride, padding, dilation, groups, nd=2, keep_cols=False):
    """Cross-correlation of x (N, C, *spatial) with w (O, C/groups, *kernel): one BLAS matmul per group.

    Returns ``(out, cols)``: with ``keep_cols`` the im2col matrix, which the weight gradient
    (``conv_weight_np``) reuses instead of building it again from x; else None.
    """
    x4, w4 = _as4d(x, nd), _as4d(w, nd)
    n, o = x4.shape[0], w4.shape[0]
    cols, out_hw, length = _im2col(x4, w4.shape[2:], stride, padding, dilation, groups, keep=keep_cols)
    out = np.matmul(_weight_rows(w4, groups, stride), cols, out=_scratch("mm", (groups, o // groups, cols.shape[2]),
                                                                          cols.dtype))
    out = _from4d(_from_cn(out.reshape(o, n, out_hw[0], length // out_hw[0])[..., :out_hw[1]], b), nd)
    return out, (cols if keep_cols else None)


def conv_transpose_np(g, w, b=None, *, in_hw, stride, padding, dilation, groups, nd=2):
    """The adjoint of ``conv_forward_np`` in its input: g (N, O, OH, OW) -> (N, C, *in_hw) (col2im)."""
    g4, w4 = _as4d(g, nd), _as4d(w, nd)
    n, o, oh, ow = g4.shape
    _, cg, kh, kw = w4.shape
    c = cg * groups
    in_hw = (1,) + tuple(in_hw) if nd == 1 else tuple(in_hw)
    (pt, pb), (pl, pr) = padding
    hp, wp = in_hw[0] + pt + pb, in_hw[1] + pl + pr
    flat = _flat(stride)
    wt = np.ascontiguousarray(_weight_rows(w4, groups, stride).transpose(0, 2, 1))
    grows = _grad_rows(g4, groups, wp if flat else None)
    cols = np.matmul(wt, grows, out=_scratch("mm", (groups, wt.shape[1], grows.shape[2]), g.dtype))
    if flat:
        length = oh * wp
        cols = cols.reshape(groups, kh, kw, cg, n, length)
        full = _scratch("full", (groups, cg, n, hp * wp + (kw - 1) * dilation[1]), g.dtype, zero=True)
        for i in range(kh):
            for j in range(kw):
                s = i * dilation[0] * wp + j * dilation[1]
                full[..., s:s + length] += cols[:, i, j]
        full = full[..., :hp * wp].reshape(c, n, hp, wp)
    else:
        cols = cols.reshape(c, kh, kw, n, oh, ow)
        full = _scratch("full", (c, n, hp, wp), g.dtype, zero=True)
        for i, j, sl in _offset_slices((kh, kw), (oh, ow), stride, dilation):
            full[sl] += cols[:, i, j]
    return _from4d(_from_cn(full[:, :, pt:pt + in_hw[0], pl:pl + in_hw[1]], b), nd)


def conv_weight_np(x, g, *, k_hw, stride, padding, dilation, groups, nd=2, cols=None):
    """The gradient of the convolution with respect to its weight: one matmul of g's rows and im2col.

    ``cols``: the forward's im2col matrix of x, when it kept one.
    """
    x4, g4 = _as4d(x, nd), _as4d(g, nd)
    k_hw = (1,) + tuple(k_hw) if nd == 1 else tuple(k_hw)
    if cols is None:
        cols, out_hw, length = _im2col(x4, k_hw, stride, padding, dilation, groups)
    else:
        out_hw, length = g4.shape[2:], cols.shape[2] // g4.shape[0]
    n, o, oh, ow = g4.shape
    flat = _flat(stride)
    width = length // out_hw[0]
    if (oh, ow) != out_hw:
        # x reaches past g (x is the gradient of a transposed convolution with output_padding):
        # only the windows of g's positions count
        v = cols.reshape(cols.shape[:2] + (n, out_hw[0], width))[:, :, :, :oh]
        cols = np.ascontiguousarray(v if flat else v[..., :ow]).reshape(cols.shape[:2] + (-1,))
    cg = x4.shape[1] // groups
    kh, kw = k_hw
    gw = np.matmul(_grad_rows(g4, groups, width if flat else None), cols.transpose(0, 2, 1))  # (G, O/G, rows)
    if flat:
        gw = gw.reshape(groups, o // groups, kh, kw, cg).transpose(0, 1, 4, 2, 3)
    gw = np.ascontiguousarray(gw).reshape(o, cg, kh, kw)
    return gw.reshape((o, cg, kw)) if nd == 1 else gw


def _spatial(shape, nd):
    return tuple(shape[-nd:])


def _conv_params(kw):
    return {k: kw[k] for k in ("stride", "padding", "dilation", "groups", "nd")}


def _bias_grad(g, nd):
    return g.sum((0,) + tuple(range(2, 2 + nd)))


def _conv_bw(node, g):
    x, w = node.saved_tensors
    kw = node.kwargs
    p = _conv_params(kw)
    need = node.needs_input_grad
    gx = gw = gb = None
    if need[0]:
        gx = apply(CONV_T, g, w, in_hw=_spatial(x._data.shape, p["nd"]), **p)
    if need[1]:
        # the forward's im2col matrix, unless this backward is recorded (the node would keep it alive)
        kept = {"cols": node.state} if node.state is not None and not modes.recording else {}
        gw = apply(CONV_WEIGHT, x, g, k_hw=_spatial(w._data.shape, p["nd"]), **kept, **p)
    if len(need) > 2 and need[2]:
        gb = _bias_grad(g, p["nd"])
    return gx, gw, gb


def _crop_to(t, shape):
    """``t`` cut to ``shape`` in its spatial dims (a convolution of an output_padding-grown image)."""
    if t._data.shape == tuple(shape):
        return t
    return t[(Ellipsis,) + tuple(slice(0, s) for s in shape[2:])]


def _conv_t_bw(node, h):
    g, w = node.saved_tensors
    p = _conv_params(node.kwargs)
    need = node.needs_input_grad
    gg = gw = gb = None
    if need[0]:
        gg = _crop_to(apply(CONV, h, w, **p), g._data.shape)
    if need[1]:
        gw = apply(CONV_WEIGHT, h, g, k_hw=_spatial(w._data.shape, p["nd"]), **p)
    if len(need) > 2 and need[2]:
        gb = _bias_grad(h, p["nd"])
    return gg, gw, gb


def _conv_weight_bw(node, v):
    x, g = node.saved_tensors
    p = _conv_params(node.kwargs)
    need = node.needs_input_grad
    gx = apply(CONV_T, g, v, in_hw=_spatial(x._data.shape, p["nd"]), **p) if need[0] else None
    gg = _crop_to(apply(CONV, x, v, **p), g._data.shape) if need[1] else None
    return gx, gg


def _conv_op(const_args, keep_cols):
    forward = functools.partial(conv_forward_np, keep_cols=keep_cols)
    return Op("ConvolutionBackward0", forward, _conv_bw, save="ab", saved_names=("input", "weight"),
              const_args=const_args, stateful=True)


# keyed by (no bias, keep the im2col matrix for the weight gradient); without a bias, PyTorch still
# lists its (absent) edge: next_functions has three entries
_CONV_OPS = {(nb, keep): _conv_op(int(nb), keep) for nb in (False, True) for keep in (False, True)}
CONV = _CONV_OPS[False, False]
"""Convolution (input, weight[, bias])."""
CONV_T = Op("ConvolutionBackward0", conv_transpose_np, _conv_t_bw, save="ab", saved_names=("input", "weight"))
"""Transposed convolution (input, weight[, bias]): the adjoint of CONV in its input."""
CONV_T_NO_BIAS = Op("ConvolutionBackward0", conv_transpose_np, _conv_t_bw, save="ab", saved_names=("input", "weight"),
                const_args=1)
CONV_WEIGHT = Op("ConvolutionBackwardBackward0", conv_weight_np, _conv_weight_bw, save="ab",
                 saved_names=("input", "grad_output"))
"""The weight gradient of CONV as a function of (input, grad_output): bilinear, so differentiable again."""


def conv(x, w, b, *, stride, padding, dilation, groups, nd):
    """Record a convolution (ConvolutionBackward0); arguments already validated by nn.functional."""
    # the forward's im2col matrix serves the weight gradient too, when there will be one
    op = _CONV_OPS[b is None, bool(modes.recording and w._requires_grad)]
    args = (x, w) if b is None else (x, w, b)
    return apply(op, *args, stride=stride, padding=padding, dilation=dilation, groups=groups, nd=nd)


def conv_transpose(x, w, b, *, in_hw, stride, padding, dilation, groups, nd):
    op, args = (CONV_T_NO_BIAS, (x, w)) if b is None else (CONV_T, (x, w, b))
    return apply(op, *args, in_hw=in_hw, stride=stride, padding=padding, dilation=dilation, groups=groups, nd=nd)


# --- pooling: one strided view per kernel tap -----------------------------------------------------
# Tap (i, j) of a pooling window is a strided view of the padded input holding that element of every
# window, so a pool is a handful of whole-array ops (one per tap), never a loop over pixels. Max
# pooling keeps, per tap, a boolean mask of the windows whose maximum it holds (only the first in
# row-major order, as PyTorch picks it); the backward writes the gradient through those masks.
def _pool_geometry(hw, k_hw, stride, padding, dilation, ceil_mode):
    """Output size and the padding on each side (the far side grows to cover ceil_mode windows)."""
    out, pads = [], []
    for i in range(2):
        span = hw[i] + 2 * padding[i] - dilation[i] * (k_hw[i] - 1) - 1
        o = (-(-span // stride[i]) if ceil_mode else span // stride[i]) + 1
        if ceil_mode and (o - 1) * stride[i] >= hw[i] + padding[i]:
            o -= 1
        out.append(o)
        need = (o - 1) * stride[i] + dilation[i] * (k_hw[i] - 1) + 1
        pads.append((padding[i], max(need - hw[i] - padding[i], 0)))
    return tuple(out), tuple(pads)


def _taps(a, k_hw, out_hw, stride, dilation):
    """The K = KH*KW strided views (N, C, OH, OW) of ``a`` (padded), in row-major tap order."""
    return [a[sl] for _, _, sl in _offset_slices(k_hw, out_hw, stride, dilation)]


def max_pool_np(x, *, k_hw, stride, padding, dilation, ceil_mode):
    """(out, masks): masks (K, N, C, OH, OW) marks, per tap, the windows whose maximum it holds."""
    out_hw, pads = _pool_geometry(x.shape[2:], k_hw, stride, padding, dilation, ceil_mode)
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = _pad_hw(x, pads, fill)
    out = _separable_max(xp, k_hw, out_hw, stride, dilation)
    taps = _taps(xp, k_hw, out_hw, stride, dilation)
    masks = np.empty((len(taps),) + out.shape, bool)
    for k, t in enumerate(taps):
        np.equal(t, out, out=masks[k])
    if len(taps) > 1 and np.count_nonzero(masks) != out.size:
        _first_only(masks, taps)
        for k, t in enumerate(taps):  # ties: the chosen element's value (the sign of a zero, as PyTorch's)
            np.copyto(out, t, where=masks[k])
    return out, masks


def _separable_max(xp, k_hw, out_hw, stride, dilation):
    """The window maxima of the padded ``xp``: along each row first, then over the rows.

    KW + KH passes instead of KH * KW, the first of them over whole rows. Of equal values (+0 and -0)
    it may keep either; ``max_pool_np`` settles ties with PyTorch's choice.
    """
    n, c, hp, _ = xp.shape
    row_max = None
    for j in range(k_hw[1]):
        w0 = j * dilation[1]
        tap = xp[..., w0:w0 + (out_hw[1] - 1) * stride[1] + 1:stride[1]]
        row_max = tap.copy() if row_max is None else np.maximum(row_max, tap, out=row_max)
    out = None
    for i in range(k_hw[0]):
        h0 = i * dilation[0]
        tap = row_max[:, :, h0:h0 + (out_hw[0] - 1) * stride[0] + 1:stride[0]]
        out = tap.copy() if out is None else np.maximum(out, tap, out=out)
    return out


def _first_only(masks, taps):
    """Keep one tap per window: the first maximum (ties), or PyTorch's choice for NaN (the last NaN)."""
    seen = masks[0].copy()
    for k in range(1, len(masks)):
        masks[k] &= ~seen
        seen |= masks[k]
    if not seen.all():  # windows holding NaN: no tap equals the (NaN) maximum
        for k in reversed(range(len(masks))):
            pick = ~seen & np.isnan(taps[k])
            masks[k] |= pick
            seen |= pick


def pool_scatter_np(g, *, in_hw, k_hw, stride, padding, dilation, ceil_mode, masks=None, scale=None):
    """Input-gradient of max pooling (through ``masks``) or of average pooling (``scale`` = 1/divisor)."""
    out_hw, pads = _pool_geometry(in_hw, k_hw, stride, padding, dilation, ceil_mode)
    n, c = g.shape[:2]
    hp_wp = (in_hw[0] + pads[0][0] + pads[0][1], in_hw[1] + pads[1][0] + pads[1][1])
    if scale is not None:
        g = g * scale
    tiles = _tiles(k_hw, stride, dilation, out_hw, hp_wp)  # each element in exactly one window: assign
    full = (np.empty if tiles else np.zeros)((n, c) + hp_wp, g.dtype)
    for k, (_, _, sl) in enumerate(_offset_slices(k_hw, out_hw, stride, dilation)):
        if tiles:
            if masks is None:
                full[sl] = g
            else:
                np.multiply(masks[k], g, out=full[sl])
        else:
            full[sl] += g if masks is None else np.multiply(masks[k], g, dtype=g.dtype)
    (pt, _), (pl, _) = pads
    if (pt, pl) == (0, 0) and hp_wp == tuple(in_hw):
        return full
    return np.ascontiguousarray(full[:, :, pt:pt + in_hw[0], pl:pl + in_hw[1]])


def _tiles(k_hw, stride, dilation, out_hw, hw_p):
    """True when the windows tile the padded input exactly (every element in exactly one window)."""
    return tuple(dilation) == (1, 1) and tuple(stride) == tuple(k_hw) and tuple(hw_p) == (
        out_hw[0] * k_hw[0], out_hw[1] * k_hw[1])


def pool_gather_np(a, *, in_hw, k_hw, stride, padding, dilation, ceil_mode, masks=None, scale=None):
    """The adjoint of ``pool_scatter_np``: the max (at the recorded taps) or the weighted window sum."""
    out_hw, pads = _pool_geometry(in_hw, k_hw, stride, padding, dilation, ceil_mode)
    taps = _taps(_pad_hw(a, pads), k_hw, out_hw, stride, dilation)
    if masks is None:
        out = taps[0].copy()
        for t in taps[1:]:
            out += t
        return out * scale if scale is not None else out
    out = np.where(masks[0], taps[0], 0).astype(a.dtype)
    for k in range(1, len(taps)):
        out += np.where(masks[k], taps[k], 0).astype(a.dtype, copy=False)
    return out


def max_pool_indices(masks, in_hw, k_hw, stride, padding, dilation, ceil_mode):
    """PyTorch's ``return_indices``: the flat index (h * W + w) of each maximum in its input plane."""
    out_hw, pads = _pool_geometry(in_hw, k_hw, stride, padding, dilation, ceil_mode)
    k = masks.argmax(0)
    ih = np.arange(out_hw[0]).reshape(-1, 1) * stride[0] - pads[0][0] + (k // k_hw[1]) * dilation[0]
    iw = np.arange(out_hw[1]) * stride[1] - pads[1][0] + (k % k_hw[1]) * dilation[1]
    return (ih * in_hw[1] + iw).astype(np.int64)


def _pool_kw(kw):
    return {k: kw[k] for k in ("k_hw", "stride", "padding", "dilation", "ceil_mode")}


def _max_pool_bw(node, g):
    masks = node.state
    if masks is None:
        raise errors.second_backward(node)
    g = apply(MAX_POOL_BACKWARD, g, in_hw=node._in_meta[0][0][2:], masks=masks, **_pool_kw(node.kwargs))
    return depends_on(g, node.saved_tensors[0], "MaxPool2DWithIndicesBackwardBackward0")


# PyTorch saves the input too (its backward kernel takes it): the first derivative requires grad when it does
MAX_POOL = Op("MaxPool2DWithIndicesBackward0", max_pool_np, _max_pool_bw, stateful=True, save="a",
              saved_names=("self", "indices"))
MAX_POOL_BACKWARD = Op("MaxPool2DWithIndicesBackwardBackward0", pool_scatter_np,
                       lambda n, gg: apply(MAX_POOL_GATHER, gg, **n.kwargs))
MAX_POOL_GATHER = Op("MaxPool2DWithIndicesBackwardBackwardBackward0", pool_gather_np,
                     lambda n, g: apply(MAX_POOL_BACKWARD, g, **n.kwargs))


def avg_pool_divisor(in_hw, k_hw, stride, padding, ceil_mode, count_include_pad, divisor_override, dtype):
    """1/divisor of each output of an average pool, shape (OH, OW), with PyTorch's rules."""
    if divisor_override:
        out_hw, _ = _pool_geometry(in_hw, k_hw, stride, padding, (1, 1), ceil_mode)
        return np.full(out_hw, 1.0 / divisor_override, dtype)
    out_hw, _ = _pool_geometry(in_hw, k_hw, stride, padding, (1, 1), ceil_mode)
    counts = []
    for i in range(2):
        start = np.arange(out_hw[i]) * stride[i] - padding[i]
        end = np.minimum(start + k_hw[i], in_hw[i] + padding[i])
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, in_hw[i]) - np.maximum(start, 0))
    return (1.0 / np.outer(counts[0], counts[1])).astype(dtype)


def _avg_fwd(x, *, in_hw, k_hw, stride, padding, dilation, ceil_mode, scale):
    return pool_gather_np(x, in_hw=in_hw, k_hw=k_hw, stride=stride, padding=padding, dilation=dilation,
                          ceil_mode=ceil_mode, scale=scale)


def _avg_bw_fwd(g, *, in_hw, k_hw, stride, padding, dilation, ceil_mode, scale):
    return pool_scatter_np(g, in_hw=in_hw, k_hw=k_hw, stride=stride, padding=padding, dilation=dilation,
                           ceil_mode=ceil_mode, scale=scale)


AVG_POOL = Op("AvgPool2DBackward0", _avg_fwd,
              lambda n, g: depends_on(apply(AVG_POOL_BACKWARD, g, **n.kwargs), n.saved_tensors[0],
                                            "AvgPool2DBackwardBackward0"), save="a",
              saved_names=("self",))
AVG_POOL_BACKWARD = Op("AvgPool2DBackwardBackward0", _avg_bw_fwd, lambda n, g: apply(AVG_POOL, g, **n.kwargs))


# --- separable linear maps: adaptive average pooling, interpolation -------------------------------
# Each is ``out = A_h @ x @ A_w^T`` (or ``x @ A^T`` in 1-D) with constant matrices; the adjoint uses the
# transposed matrices, and each is the other's derivative.
def _sep_np(x, mats, transpose=False):
    out = x
    nd = len(mats)
    for i, a in enumerate(mats):
        m = a.T if transpose else a
        axis = x.ndim - nd + i
        if axis == x.ndim - 1:
            out = np.matmul(out, np.ascontiguousarray(m.T))
        else:
            out = np.matmul(m, out) if axis == x.ndim - 2 else np.moveaxis(
                np.tensordot(m, out, axes=([1], [axis])), 0, axis)
    return np.ascontiguousarray(out)


_SEPARABLE: dict = {}


def separable_op(name):
    """The (op, adjoint op) pair of a separable linear map recorded under PyTorch's node ``name``."""
    if name not in _SEPARABLE:
        fwd = Op(name, lambda x, mats: _sep_np(x, mats), lambda n, g: apply(adj, g, mats=n.kwargs["mats"]))
        adj = Op(name.replace("Backward0", "BackwardBackward0"), lambda g, mats: _sep_np(g, mats, True),
                 lambda n, g: apply(fwd, g, mats=n.kwargs["mats"]))
        _SEPARABLE[name] = fwd
    return _SEPARABLE[name]


def adaptive_avg_matrix(n_in, n_out, dtype):
    """(n_out, n_in): row o averages input[floor(o*n_in/n_out) : ceil((o+1)*n_in/n_out)]."""
    o = np.arange(n_out)
    start = (o * n_in) // n_out
    end = -((-(o + 1) * n_in) // n_out)
    cols = np.arange(n_in)
    mask = (cols >= start[:, None]) & (cols < end[:, None])
    return (mask / (end - start)[:, None]).astype(dtype)


def _scale_of(n_in, n_out, scale_factor, align_corners=False):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return n_in / n_out


def nearest_matrix(n_in, n_out, scale_factor, dtype, exact=False):
    """(n_out, n_in) selection matrix of PyTorch's nearest (or nearest-exact) source index."""
    scale = np.float32(_scale_of(n_in, n_out, scale_factor))
    dst = np.arange(n_out, dtype=np.float32)
    if n_out == n_in and not exact:
        src = np.arange(n_out)
    elif n_out == 2 * n_in and not exact:
        src = np.arange(n_out) >> 1
    else:
        src = np.floor((dst + np.float32(0.5)) * scale if exact else dst * scale).astype(np.int64)
    src = np.minimum(src, n_in - 1)
    m = np.zeros((n_out, n_in), dtype)
    m[np.arange(n_out), src] = 1
    return m


def linear_matrix(n_in, n_out, scale_factor, align_corners, dtype):
    """(n_out, n_in) interpolation weights of PyTorch's (bi)linear upsampling along one axis."""
    scale = np.float32(_scale_of(n_in, n_out, scale_factor, align_corners))
    dst = np.arange(n_out, dtype=np.float32)
    if align_corners:
        src = dst * scale
    else:
        src = np.maximum(scale * (dst + np.float32(0.5)) - np.float32(0.5), np.float32(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    l1 = src - i0
    m = np.zeros((n_out, n_in), np.float64)
    np.add.at(m, (np.arange(n_out), i0), 1 - l1)
    np.add.at(m, (np.arange(n_out), i1), l1)
    return m.astype(dtype)


# --- normalisation --------------------------------------------------------------------------------
# y = (x - mean) * invstd * weight + bias, with the statistics over ``axes`` of x viewed as ``stat_shape``
# (batch norm: all but the channel axis; layer norm: the trailing axes; group norm: each group).
# The forward keeps (mean, invstd) as state. The backward is the usual formula in graphgrad ops; under
# create_graph it recomputes the statistics from x in graphgrad ops, so that their dependence on x is
# differentiated too (with the stored ones, a first-order backward skips that work).
def _moments(x, axes):
    """Biased mean and variance over ``axes`` (keepdims), accumulated in float64 as PyTorch's CPU kernels."""
    acc = x if x.dtype == np.float64 else x.astype(np.float64)
    mean = acc.mean(axis=axes, keepdims=True)
    var = np.square(acc - mean).mean(axis=axes, keepdims=True)
    return mean, var


def _norm_fwd(x, *wb, stat_shape, axes, affine_shape, eps, has_w, has_b, stats=None, precomputed=None):
    """``stats``: fixed statistics (batch norm in eval mode); ``precomputed``: this batch's statistics."""
    xs = x.reshape(stat_shape)
    if stats is None and precomputed is None and axes == (-1,) and x.dtype in (np.float32, np.float64):
        y, mean, invstd = _row_norm(xs, eps)
        y = y.reshape(x.shape)
    else:
        if stats is not None or precomputed is not None:
            mean, invstd = stats if stats is not None else precomputed
        else:
            mean, var = _moments(xs, axes)
            invstd = 1.0 / np.sqrt(var + eps)
        mean = mean.astype(x.dtype)
        invstd = invstd.astype(x.dtype)
        y = ((xs - mean) * invstd).reshape(x.shape)
    i = 0
    if has_w:
        y *= wb[0].reshape(affine_shape)
        i = 1
    if has_b:
        y += wb[i].reshape(affine_shape)
    return y, (mean, invstd)


def _row_norm(xs, eps):
    """(x - mean) * invstd with the statistics of each row (layer and group norm), computed in x's precision
    as PyTorch's kernels for them do (batch norm's accumulate in float64): (normalised x, mean, invstd)."""
    mean = xs.mean(axis=-1, keepdims=True)
    centred = xs - mean
    var = np.einsum("...i,...i->...", centred, centred)[..., None] / xs.dtype.type(max(xs.shape[-1], 1))
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
        mean_a, invstd_a = node.state if node.state is not None else k["stats"]
        mean, invstd = _const(mean_a.astype(x._data.dtype)), _const(invstd_a.astype(x._data.dtype))
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
    if k["has_b"] and need[-1]:
        gb = g.sum(red).reshape(node._in_meta[-1][0])
    return (gx,) + ((gw,) if k["has_w"] else ()) + ((gb,) if k["has_b"] else ())


def _norm_bw_np(node, g):
    """``_norm_bw`` on arrays, with the statistics the forward kept (no graph of the derivative is built)."""
    saved = node.saved_tensors
    x = saved[0]._data
    k = node.kwargs
    need = node.needs_input_grad
    stat_shape, axes, affine_shape = k["stat_shape"], k["axes"], k["affine_shape"]
    fixed = k.get("stats") is not None  # batch norm in eval mode: the running statistics, not x's
    mean, invstd = node.state if node.state is not None else k["stats"]
    mean, invstd = mean.astype(x.dtype, copy=False), invstd.astype(x.dtype, copy=False)
    xhat = x.reshape(stat_shape) - mean
    xhat *= invstd
    gx = gw = gb = None
    if need[0]:
        gxhat = (g * saved[1]._data.reshape(affine_shape) if k["has_w"] else g).reshape(stat_shape)
        if fixed:
            gx = gxhat * invstd
        elif axes == (-1,):  # rows: the sum of products as one dot product per row
            gx = gxhat - gxhat.mean(-1, keepdims=True)
            gx -= xhat * (np.einsum("...i,...i->...", gxhat, xhat)[..., None] / x.dtype.type(max(xhat.shape[-1], 1)))
            gx *= invstd
        else:
            gx = gxhat - gxhat.mean(axes, keepdims=True)
            gx -= xhat * (gxhat * xhat).mean(axes, keepdims=True)
            gx *= invstd
        gx = gx.reshape(x.shape)
    red = tuple(range(x.ndim - len(affine_shape))) + tuple(
        i + x.ndim - len(affine_shape) for i, s in enumerate(affine_shape) if s == 1)
    if k["has_w"] and need[1]:
        gw = (g * xhat.reshape(x.shape)).sum(red).reshape(node._in_meta[1][0])
    if k["has_b"] and need[-1]:
        gb = g.sum(red).reshape(node._in_meta[-1][0])
    return (gx,) + ((gw,) if k["has_w"] else ()) + ((gb,) if k["has_b"] else ())


BATCH_NORM, LAYER_NORM, GROUP_NORM = "NativeBatchNormBackward0", "NativeLayerNormBackward0", "NativeGroupNormBackward0"
# one op per number of tensor arguments; the absent weight/bias still get (None) edges, as in PyTorch
_NORM_OPS = {(name, n): Op(name, _norm_fwd, _norm_bw, save="abc"[:n], stateful=True,
                           saved_names=("input", "weight", "bias")[:n], const_args=3 - n, backward_np=_norm_bw_np)
             for name in (BATCH_NORM, LAYER_NORM, GROUP_NORM) for n in (1, 2, 3)}


def normalize_op(name, x, weight, bias, **kw):
    """Record normalisation ``name`` of x with the optional affine weight and bias."""
    args = (x,) + tuple(t for t in (weight, bias) if t is not None)
    return apply(_NORM_OPS[name, len(args)], *args, has_w=weight is not None, has_b=bias is not None, **kw)


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
    """The rows of g summed into the rows of a (num, d) gradient that idx names: the lookups sorted by row, and
    each run of equal rows summed in one ``np.add.reduceat`` (np.add.at adds one row at a time)."""
    d = g.shape[-1]
    rows = (g if scale is None else g * scale[..., None]).reshape(-1, d)
    flat = idx.reshape(-1)
    order = np.argsort(flat, kind="stable")  # stable: each row's lookups are summed in their order, as add.at
    picked = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], picked[1:] != picked[:-1]))) if picked.size else picked
    out = np.zeros((num, d), g.dtype)
    if picked.size:
        out[picked[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


def _embedding_gather(w, idx, scale):
    return w[idx] if scale is None else w[idx] * scale[..., None]


EMBEDDING = Op("EmbeddingBackward0",
               lambda w, idx, padding_idx=None, scale_grad_by_freq=False: w[idx],
               lambda n, g: apply(EMBEDDING_BACKWARD, g, idx=n.kwargs["idx"], num=n._in_meta[0][0][0],
                                  scale=_embedding_scale(n.kwargs["idx"], n._in_meta[0][0][0],
                                                         n.kwargs.get("padding_idx"),
                                                         n.kwargs.get("scale_grad_by_freq"), g._data.dtype)))
EMBEDDING_BACKWARD = Op("EmbeddingDenseBackwardBackward0", _embedding_bw_fwd,
                        lambda n, gg: apply(EMBEDDING_GATHER, gg, idx=n.kwargs["idx"], scale=n.kwargs["scale"]))
EMBEDDING_GATHER = Op("EmbeddingBackward0", _embedding_gather,
                      lambda n, g: apply(EMBEDDING_BACKWARD, g, idx=n.kwargs["idx"], num=n._in_meta[0][0][0],
                                         scale=n.kwargs["scale"]))


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


_INDEX_PAD: dict = {}


def index_pad_op(name):
    """Padding that reads input positions by index (reflect, replicate, circular), under ``name``."""
    if name not in _INDEX_PAD:
        fwd = Op(name, lambda x, idxs, sizes: _take_np(x, idxs),
                 lambda n, g: apply(adj, g, idxs=n.kwargs["idxs"], sizes=n.kwargs["sizes"]))
        adj = Op(name.replace("Backward0", "BackwardBackward0"),
                 lambda g, idxs, sizes: _take_adjoint_np(g, idxs, sizes),
                 lambda n, g: apply(fwd, g, idxs=n.kwargs["idxs"], sizes=n.kwargs["sizes"]))
        _INDEX_PAD[name] = fwd
    return _INDEX_PAD[name]


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


# --- activations ----------------------------------------------------------------------------------
try:  # SciPy's erf is the fastest; ._erf is the vectorised fallback of a plain install
    from scipy.special import erf as _erf_np
except ImportError:  # pragma: no cover - depends on the environment
    from ._erf import erf_np as _erf_np


def _sigmoid_np(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def _log_sigmoid_np(a):
    return (np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))).astype(a.dtype, copy=False)


def _where(cond, a, b):
    return where(cond, a, b)


def pointwise(name, fwd, grad):
    """An elementwise op whose derivative is ``grad(x, g, **kwargs)``, written in graphgrad ops."""
    return Op(name, fwd, lambda n, g: grad(n.saved_tensors[0], g, **n.kwargs), save="a", saved_names=("self",))


def _floating_only(kernel, fwd):
    """``fwd`` refusing integer and bool arrays with PyTorch's error, naming its CPU ``kernel``."""

    def forward(a, **kwargs):
        if not is_float_np(a.dtype):
            raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(a.dtype)}\'')
        return fwd(a, **kwargs)

    return forward


_SQRT_2_PI = math.sqrt(2 / math.pi)
ERF = pointwise("ErfBackward0", lambda a: _erf_np(a).astype(a.dtype, copy=False),
                lambda x, g: g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp())


def erf(x):
    return apply(ERF, x)


def _gelu_np(a, approximate="none"):
    """GELU, and Φ(x) (its derivative's main part) as the node's state: the derivative then costs a few passes."""
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(_SQRT_2_PI * (a + 0.044715 * a * a * a))), None
    if a.dtype == np.float64:
        cdf = 0.5 * (1 + _erf_np(a * (1 / math.sqrt(2))))
        return a * cdf, cdf
    return blockwise(_gelu_float32, a, dtype=(a.dtype, np.float32))


def _gelu_float32(x):
    """(x·Φ(x), Φ(x)) in float32, as PyTorch's kernel computes float32 and float16 (see ``_cdf_float32``)."""
    x = x.astype(np.float32, copy=False)
    cdf = _cdf_float32(x)
    return x * cdf, cdf


def _cdf_float32(x):
    """Φ(x) of a float32 array, as Φ(-|x|) + [x > 0]·(1 - 2·Φ(-|x|)): accurate in the lower tail, and with no
    select between the two signs (np.where on a random mask costs more than the whole erfc)."""
    tail = _lower_tail_float32(x)
    upper = tail * np.float32(-2)
    upper += np.float32(1)
    upper *= x > 0
    upper += tail
    return upper


def _lower_tail_float32(x):
    """Φ(-|x|), the normal distribution's lower tail, of a float32 array."""
    tail = erfc_abs_float32(x * np.float32(math.sqrt(0.5)))
    tail *= np.float32(0.5)
    return tail


def _gelu_grad(x, g, approximate="none"):
    if approximate == "tanh":
        t = (_SQRT_2_PI * (x + 0.044715 * x * x * x)).tanh()
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x))
    cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return g * (cdf + x * pdf)


def _gelu_bw_np(n, g):
    """``_gelu_grad`` on arrays, with the forward's Φ(x) (no graph of the derivative is built)."""
    x = n.saved_tensors[0]._data
    if n.kwargs.get("approximate", "none") == "tanh":
        t = np.tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x))
    if x.dtype == np.float64:
        return g * (n.state + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
    return blockwise(_gelu_grad_float32, x, n.state, g, dtype=g.dtype)


def _gelu_grad_float32(x, cdf, g):
    """g·(Φ(x) + x·φ(x)) in float32."""
    x = x.astype(np.float32, copy=False)
    slope = x * x
    slope *= np.float32(-0.5)
    np.exp(slope, out=slope)
    slope *= np.float32(1 / math.sqrt(2 * math.pi))
    slope *= x
    slope += cdf
    slope *= g
    return slope


def _elu_np(a, alpha=1.0, scale=1.0, input_scale=1.0):
    neg = np.expm1(np.minimum(a, 0) * input_scale) * (alpha * scale)
    return np.where(a > 0, a * scale, neg).astype(a.dtype, copy=False)


def _elu_grad(x, g, alpha=1.0, scale=1.0, input_scale=1.0):
    return _where(x > 0, g * scale, g * ((x.clamp(max=0) * input_scale).exp() * (alpha * scale * input_scale)))


def _softplus_np(a, beta=1.0, threshold=20.0):
    z = a * beta
    return np.where(z > threshold, a, np.log1p(np.exp(np.minimum(z, threshold))) / beta).astype(a.dtype, copy=False)


def _softplus_grad(x, g, beta=1.0, threshold=20.0):
    z = x * beta
    return _where(z > threshold, g, g * z.sigmoid())


def _mish_np(a):
    return (a * np.tanh(_softplus_np(a))).astype(a.dtype, copy=False)


def _mish_grad(x, g):
    sp = apply(SOFTPLUS, x, beta=1.0, threshold=20.0)
    t = sp.tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


def _hardswish_np(a):
    return (a * np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False)


def _hardswish_grad(x, g):
    return _where(x < -3, 0.0, _where(x <= 3, g * (x / 3 + 0.5), g))


LEAKY_RELU = pointwise("LeakyReluBackward0",
                       lambda a, negative_slope=0.01: np.where(a > 0, a, a * negative_slope).astype(a.dtype),
                       lambda x, g, negative_slope=0.01: depends_on(_where(x > 0, g, g * negative_slope), x,
                                                                    "LeakyReluBackwardBackward0"))
HARDTANH = pointwise("HardtanhBackward0", lambda a, min_val, max_val: np.clip(a, min_val, max_val).astype(a.dtype),
                     lambda x, g, min_val, max_val: depends_on(_where((x <= min_val) | (x >= max_val), 0.0, g), x,
                                                                     "HardtanhBackwardBackward0"))
ELU = pointwise("EluBackward0", _elu_np, _elu_grad)
CELU = pointwise("CeluBackward0", _elu_np, _elu_grad)
GELU = Op("GeluBackward0", _gelu_np, lambda n, g: _gelu_grad(n.saved_tensors[0], g, **n.kwargs), save="a",
          saved_names=("self",), stateful=True, backward_np=_gelu_bw_np)
SILU = pointwise("SiluBackward0", lambda a: (a * _sigmoid_np(a)).astype(a.dtype, copy=False),
                 lambda x, g: g * (lambda s: s * (1 + x * (1 - s)))(x.sigmoid()))
MISH = pointwise("MishBackward0", _mish_np, _mish_grad)
SOFTPLUS = pointwise("SoftplusBackward0", _softplus_np, _softplus_grad)
LOG_SIGMOID = pointwise("LogSigmoidBackward0", _log_sigmoid_np, lambda x, g: g * (-x).sigmoid())
HARDSIGMOID = pointwise("HardsigmoidBackward0", lambda a: (np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False),
                        lambda x, g: _where((x > -3) & (x < 3), g / 6, 0.0))
HARDSWISH = pointwise("HardswishBackward0", _hardswish_np, _hardswish_grad)
THRESHOLD = pointwise("ThresholdBackward0",
                      lambda a, threshold, value: np.where(a > threshold, a, value).astype(a.dtype, copy=False),
                      lambda x, g, threshold, value: depends_on(_where(x <= threshold, 0.0, g), x,
                                                                "ThresholdBackwardBackward0"))
SOFTSHRINK = pointwise("SoftshrinkBackward0",
                       lambda a, lambd=0.5: np.where(a > lambd, a - lambd, np.where(a < -lambd, a + lambd, a * 0))
                       .astype(a.dtype, copy=False),
                       lambda x, g, lambd=0.5: _where((x >= -lambd) & (x <= lambd), 0.0, g))
# PyTorch's kernels test "inside [-lambd, lambd]", so NaN is outside: it passes (values and gradients)
HARDSHRINK = pointwise("HardshrinkBackward0",
                       lambda a, lambd=0.5: np.where((a >= -lambd) & (a <= lambd), 0, a).astype(a.dtype, copy=False),
                       lambda x, g, lambd=0.5: _where((x >= -lambd) & (x <= lambd), 0.0, g))
# activations whose PyTorch kernels are floating point only (an int or bool input raises, naming the kernel)
for _op, _kernel in ((LEAKY_RELU, "leaky_relu_cpu"), (ELU, "elu_cpu"), (CELU, "elu_cpu"), (GELU, "GeluKernelImpl"),
                     (SILU, "silu_cpu"), (MISH, "mish_cpu"), (SOFTPLUS, "softplus_cpu"),
                     (LOG_SIGMOID, "log_sigmoid_cpu"), (HARDSIGMOID, "hardsigmoid_cpu"), (HARDSWISH, "hardswish_cpu"),
                     (SOFTSHRINK, "softshrink_check"), (HARDSHRINK, "hardshrink_cpu")):
    _op.forward = _floating_only(_kernel, _op.forward)


def _prelu_np(a, w, channel_shape):
    return np.where(a > 0, a, a * w.reshape(channel_shape)).astype(a.dtype, copy=False)


def _prelu_bw(n, g):
    x, w = n.saved_tensors
    shape = n.kwargs["channel_shape"]
    need = n.needs_input_grad
    pos = x > 0
    gx = _where(pos, g, g * w.reshape(shape)) if need[0] else None
    gw = None
    if need[1]:
        full = _where(pos, 0.0, g * x)
        red = tuple(i for i, s in enumerate(shape) if s == 1 and full._data.shape[i] != 1) if len(shape) else ()
        if len(shape) == 0 or w._data.size == 1:
            gw = full.sum().reshape(w._data.shape)
        else:
            gw = full.sum(red).reshape(w._data.shape)
    return gx, gw


PRELU = Op("PreluKernelBackward0", _prelu_np, _prelu_bw, save="ab", saved_names=("self", "weight"))


def _glu_np(a, dim):
    h = a.shape[dim] // 2
    first = np.take(a, np.arange(h), axis=dim)
    second = np.take(a, np.arange(h, 2 * h), axis=dim)
    return first * _sigmoid_np(second)


def _glu_bw(n, g):
    (x,) = n.saved_tensors
    dim = n.kwargs["dim"]
    a, b = x.chunk(2, dim)
    s = b.sigmoid()

    return cat([g * s, g * a * s * (1 - s)], dim)


GLU = Op("GluBackward0", _glu_np, _glu_bw, save="a", saved_names=("self",))


# --- losses ---------------------------------------------------------------------------------------
# Each loss is an op over (input, target) whose derivative (for both) is written in graphgrad ops.
# ``reduction`` is 'none', 'mean' or 'sum'; the gradient of a reduced loss is the elementwise one
# times the incoming scalar (divided by the element count for 'mean').
def _reduce_np(l, reduction):
    if reduction == "none":
        return l
    return np.asarray(l.mean() if reduction == "mean" else l.sum(), l.dtype)


def _grad_scale(node, g):
    """The incoming gradient, scaled for 'mean'; broadcasts against the elementwise derivative."""
    r = node.kwargs["reduction"]
    if r == "mean":
        n = 1
        for s in node._in_meta[0][0]:
            n *= s
        return g / n
    return g


def _loss_op(name, fwd, dx, dt):
    """Op(input, target) with loss ``fwd(x, t, **kw)`` (elementwise) and derivatives dx / dt in graphgrad ops."""

    def forward(x, t, reduction, **kw):
        return _reduce_np(fwd(x, t, **kw), reduction)

    def backward(n, g):
        x, t = n.saved_tensors
        kw = {k: v for k, v in n.kwargs.items() if k != "reduction"}
        gs = _grad_scale(n, g)
        need = n.needs_input_grad
        return (dx(x, t, gs, **kw) if need[0] else None, dt(x, t, gs, **kw) if need[1] else None)

    return Op(name, forward, backward, save="ab", saved_names=("self", "target"))


def _w(weight, dtype):
    return 1 if weight is None else weight.astype(dtype, copy=False)


def _wt(weight, like):
    return 1 if weight is None else _const(weight.astype(like._data.dtype, copy=False))


MSE_LOSS = _loss_op("MseLossBackward0", lambda x, t: np.square(x - t),
                    lambda x, t, g: 2 * (x - t) * g, lambda x, t, g: -2 * (x - t) * g)


def _smooth_l1_np(x, t, beta):
    d = np.abs(x - t)
    return np.where(d < beta, 0.5 * d * d / (beta if beta else 1), d - 0.5 * beta).astype(x.dtype, copy=False)


def _smooth_l1_grad(x, t, g, beta):
    d = x - t
    return g * (_where(d.abs() < beta, d / beta, d.sign()) if beta else d.sign())


SMOOTH_L1_LOSS = _loss_op("SmoothL1LossBackward0", _smooth_l1_np, _smooth_l1_grad,
                          lambda x, t, g, beta: -_smooth_l1_grad(x, t, g, beta))


def _huber_np(x, t, delta):
    d = np.abs(x - t)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)).astype(x.dtype, copy=False)


HUBER_LOSS = _loss_op("HuberLossBackward0", _huber_np, lambda x, t, g, delta: g * (x - t).clamp(-delta, delta),
                      lambda x, t, g, delta: -g * (x - t).clamp(-delta, delta))


def _bce_np(x, t, weight):
    with np.errstate(divide="ignore"):
        l = (t - 1) * np.maximum(np.log1p(-x), -100) - t * np.maximum(np.log(x), -100)
    return (l * _w(weight, x.dtype)).astype(x.dtype, copy=False)


BCE_LOSS = _loss_op("BinaryCrossEntropyBackward0", _bce_np,
                    lambda x, t, g, weight: g * _wt(weight, x) * (x - t) / ((1 - x) * x).clamp(min=1e-12),
                    lambda x, t, g, weight: g * _wt(weight, x) * ((-x).log1p() - x.log()))


def _bce_logits_np(x, t, weight, pos_weight):
    ls = _log_sigmoid_np(x)
    if pos_weight is not None:
        ls = ls * ((pos_weight - 1) * t + 1)
    return ((1 - t) * x - ls) * _w(weight, x.dtype)


def _bce_logits_dx(x, t, g, weight, pos_weight):
    s = x.sigmoid()
    if pos_weight is not None:
        pt = _const(pos_weight.astype(x._data.dtype, copy=False)) * t
        d = (pt + 1 - t) * s - pt
    else:
        d = s - t
    return g * _wt(weight, x) * d


def _bce_logits_dt(x, t, g, weight, pos_weight):
    if pos_weight is not None:
        d = apply(LOG_SIGMOID, -x) - apply(LOG_SIGMOID, x) * _const(pos_weight.astype(x._data.dtype, copy=False))
    else:
        d = -x
    return g * _wt(weight, x) * d


BCE_WITH_LOGITS = _loss_op("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_np, _bce_logits_dx, _bce_logits_dt)


def _nll_weights(target, weight, ignore_index, dtype):
    """(per-sample weight, 0 for ignored samples; valid mask; target with ignored entries at class 0)."""
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    w = (weight[safe] if weight is not None else np.ones(safe.shape, dtype)) * valid
    return w.astype(dtype, copy=False), valid, safe


def _nll_fwd(x, *, target, weight, ignore_index, reduction):
    w, _, safe = _nll_weights(target, weight, ignore_index, x.dtype)
    l = -np.take_along_axis(x, np.expand_dims(safe, 1), axis=1).squeeze(1) * w
    if reduction == "none":
        return l
    if reduction == "sum":
        return np.asarray(l.sum(), x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(l.sum() / w.sum(), x.dtype)  # nan when every sample is ignored, as PyTorch


def _nll_coef(n):
    """d loss / d input, for a gradient of 1 (per sample, for reduction="none"): -weight at each target."""
    k = n.kwargs
    shape, dt = n._in_meta[0]
    w, valid, safe = _nll_weights(k["target"], k["weight"], k["ignore_index"], dt)
    if k["reduction"] == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(valid, w / w.sum(), 0).astype(dt)  # ignored samples get no gradient, even 0/0
    coef = np.zeros(shape, dt)
    np.put_along_axis(coef, np.expand_dims(safe, 1), np.expand_dims(-w, 1), axis=1)
    return coef


def _nll_bw(n, g):
    if n.kwargs["reduction"] == "none":
        g = g.unsqueeze(1)
    return g * _const(_nll_coef(n))


def _nll_bw_np(n, g):
    if n.kwargs["reduction"] == "none":
        g = np.expand_dims(g, 1)
    return g * _nll_coef(n)


NLL_LOSS = Op("NllLossBackward0", _nll_fwd, _nll_bw, backward_np=_nll_bw_np)


# --- unfold / fold (im2col and col2im as user-facing ops) ------------------------------------------
def _blocks(hw, k_hw, dilation, padding, stride):
    return tuple((hw[i] + 2 * padding[i] - dilation[i] * (k_hw[i] - 1) - 1) // stride[i] + 1 for i in range(2))


def unfold_np(x, *, k_hw, dilation, padding, stride):
    """(N, C, H, W) -> (N, C*KH*KW, L): every sliding block as a column, rows ordered (c, kh, kw)."""
    n, c = x.shape[:2]
    xp = _pad_hw(x, tuple((p, p) for p in padding))
    out_hw = _blocks(x.shape[2:], k_hw, dilation, padding, stride)
    win = _windows(xp, k_hw, out_hw, stride, dilation)
    return np.ascontiguousarray(win).reshape(n, c * k_hw[0] * k_hw[1], out_hw[0] * out_hw[1])


def fold_np(cols, *, out_hw, k_hw, dilation, padding, stride):
    """The adjoint of ``unfold_np``: sum every column back into its block of an (N, C, *out_hw) image."""
    n, ckk, _ = cols.shape
    c = ckk // (k_hw[0] * k_hw[1])
    blocks = _blocks(out_hw, k_hw, dilation, padding, stride)
    hp, wp = out_hw[0] + 2 * padding[0], out_hw[1] + 2 * padding[1]
    c6 = cols.reshape((n, c) + tuple(k_hw) + blocks)
    full = np.zeros((n, c, hp, wp), cols.dtype)
    for i, j, sl in _offset_slices(k_hw, blocks, stride, dilation):
        full[sl] += c6[:, :, i, j]
    return np.ascontiguousarray(full[:, :, padding[0]:padding[0] + out_hw[0], padding[1]:padding[1] + out_hw[1]])


def _fold_kw(kw):
    return {k: kw[k] for k in ("k_hw", "dilation", "padding", "stride")}


UNFOLD = Op("Im2ColBackward0", unfold_np,
            lambda n, g: apply(FOLD, g, out_hw=n._in_meta[0][0][2:], **_fold_kw(n.kwargs)))
FOLD = Op("Col2ImBackward0", fold_np, lambda n, g: apply(UNFOLD, g, **_fold_kw(n.kwargs)))
