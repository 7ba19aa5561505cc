"""Convolution, transposed convolution and their weight gradient, and unfold/fold (im2col, col2im).

Each forward works on ndarrays without Python loops over the batch or the pixels (one BLAS matmul per group);
the derivatives are written with these same ops, as each other's adjoints (the input-gradient of a
convolution is a transposed convolution, whose gradient is a convolution again), so ``create_graph=True``
differentiates them once more. Convolutions are 2-D internally; 1-D ones get a spatial axis of size 1
(``nd=1`` in the op's kwargs).
"""

from __future__ import annotations

import functools
import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _blas as blas
from .._core.modes import modes
from . import _conv_loops
from ._op import Op, apply
from ._windows import as4d, from4d, offset_slices, pad_hw, windows

# --- convolution ----------------------------------------------------------------------------------
# Every convolution is one BLAS matmul per group between the weight (O, rows) and an im2col matrix
# (rows, N * positions): the batch sits inside the matrix ("channels, then batch" layout), so BLAS sees
# one large product that it can spread over threads, not N small ones. Rows are ordered (c, kh, kw), as
# the weight (O, C/G, KH, KW) lies in memory.
# - The forward and the weight gradient take the (C, KH, KW, N, OH, OW) windows of a strided view of
#   the padded input: the matmuls see only real output positions.
# - col2im (the transposed convolution) at stride 1 uses "flat rows": each padded plane is flattened
#   with its row width Wp, so the outputs of kernel offset (kh, kw) land on one contiguous run of
#   OH * Wp elements starting at kh*dh*Wp + kw*dw; its matmul runs over rows of width Wp, g being zero
#   in the Wp - OW columns that wrap around. Each offset's sum is then one long run, not OH short ones.
#   Other strides add each offset's strided window.
_SCRATCH = threading.local()
_SCRATCH_MAX = 256 << 20


def _scratch(slot, shape, dtype, zero=False):
    """A per-thread reusable buffer for a temporary that dies within one kernel call.

    A fresh multi-megabyte array costs a page fault per 4 KiB on first touch (glibc hands freed large
    blocks back to the OS), which inside a training step costs about as much as the arithmetic of a
    convolution; its im2col matrix, matmul results and col2im buffer reuse these buffers instead.
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
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
    """(cols (G, rows, N * P), out_hw): the windows of x (N, C, H, W), batch inside the columns.

    ``keep``: cols in a fresh array (kept for the weight gradient) rather than the reused scratch buffer.
    """
    n, c = x.shape[:2]
    kh, kw = k_hw
    out_hw = tuple((x.shape[2 + i] + sum(padding[i]) - dilation[i] * (k_hw[i] - 1) - 1) // stride[i] + 1
                   for i in range(2))
    shape = (c, kh, kw, n) + out_hw
    cols = np.empty(shape, x.dtype) if keep else _scratch("cols", shape, x.dtype)
    if not _conv_loops.im2col(x, cols, stride, padding, dilation):
        xp = pad_hw(x, padding)
        s_n, s_c, s_h, s_w = xp.strides
        np.copyto(cols, as_strided(xp, shape, (s_c, dilation[0] * s_h, dilation[1] * s_w, s_n, stride[0] * s_h,
                                               stride[1] * s_w), writeable=False))
    return cols.reshape(groups, c // groups * kh * kw, n * out_hw[0] * out_hw[1]), out_hw


def _weight_rows(w4, groups):
    """The weight as (G, O/G, rows)."""
    o, cg, kh, kw = w4.shape
    return w4.reshape(groups, o // groups, cg * kh * kw)


def _grad_rows(g4, groups, wp):
    """g (N, O, OH, OW) as (G, O/G, N * OH * row width), zero in the wrapped-around columns (flat rows)."""
    n, o, oh, ow = g4.shape
    width = ow if wp is None else wp
    gp = _scratch("grows", (o, n, oh, width), g4.dtype)
    if _conv_loops.swap_planes(g4, gp):
        return gp.reshape(groups, o // groups, n * oh * width)
    if width != ow:
        gp[..., ow:] = 0
    gp[..., :ow] = g4.transpose(1, 0, 2, 3)
    return gp.reshape(groups, o // groups, n * oh * width)


def _from_cn(v, b=None):
    """A (C, N, H, W) view as a fresh (N, C, H, W) array, plus the bias if given."""
    t = v.transpose(1, 0, 2, 3)
    out = np.empty(t.shape, v.dtype)
    if _conv_loops.swap_planes(v, out, b):
        return out
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
    x4, w4 = as4d(x, nd), as4d(w, nd)
    n, o = x4.shape[0], w4.shape[0]
    cols, out_hw = _im2col(x4, w4.shape[2:], stride, padding, dilation, groups, keep=keep_cols)
    out = blas.matmul(_weight_rows(w4, groups), cols, out=_scratch("mm", (groups, o // groups, cols.shape[2]),
                                                                 cols.dtype))
    out = from4d(_from_cn(out.reshape((o, n) + out_hw), b), nd)
    return out, (cols if keep_cols else None)


def conv_transpose_np(g, w, b=None, *, in_hw, stride, padding, dilation, groups, nd=2):
    """The adjoint of ``conv_forward_np`` in its input: g (N, O, OH, OW) -> (N, C, *in_hw) (col2im)."""
    g4, w4 = as4d(g, nd), as4d(w, nd)
    n, o, oh, ow = g4.shape
    _, cg, kh, kw = w4.shape
    c = cg * groups
    in_hw = (1,) + tuple(in_hw) if nd == 1 else tuple(in_hw)
    (pt, pb), (pl, pr) = padding
    hp, wp = in_hw[0] + pt + pb, in_hw[1] + pl + pr
    flat = _flat(stride)
    wt = np.ascontiguousarray(_weight_rows(w4, groups).transpose(0, 2, 1))
    grows = _grad_rows(g4, groups, wp if flat else None)
    cols = blas.matmul(wt, grows, out=_scratch("mm", (groups, wt.shape[1], grows.shape[2]), g.dtype))
    if flat:
        length = oh * wp
        cols = cols.reshape(c, kh, kw, n, length)
        full = _scratch("full", (c, n, hp * wp + (kw - 1) * dilation[1]), g.dtype)
        if not _conv_loops.flat_col2im(cols, full, wp, dilation):
            # offset (0, 0) covers the first ``length`` elements of every row: written, not added to zeros
            full[..., :length] = cols[:, 0, 0]
            full[..., length:] = 0
            for i in range(kh):
                for j in range(kw):
                    s = i * dilation[0] * wp + j * dilation[1]
                    if s:
                        full[..., s:s + length] += cols[:, i, j]
        full = full[..., :hp * wp].reshape(c, n, hp, wp)
    else:
        cols = cols.reshape(c, kh, kw, n, oh, ow)
        full = _scratch("full", (c, n, hp, wp), g.dtype, zero=True)
        for i, j, sl in offset_slices((kh, kw), (oh, ow), stride, dilation):
            full[sl] += cols[:, i, j]
    return from4d(_from_cn(full[:, :, pt:pt + in_hw[0], pl:pl + in_hw[1]], b), nd)


def conv_weight_np(x, g, *, k_hw, stride, padding, dilation, groups, nd=2, cols=None):
    """The gradient of the convolution with respect to its weight: one matmul of g's rows and im2col.

    ``cols``: the forward's im2col matrix of x, when it kept one.
    """
    x4, g4 = as4d(x, nd), as4d(g, nd)
    k_hw = (1,) + tuple(k_hw) if nd == 1 else tuple(k_hw)
    n, o, oh, ow = g4.shape
    if cols is None:
        cols, out_hw = _im2col(x4, k_hw, stride, padding, dilation, groups)
    else:
        out_hw = (oh, ow)
    if (oh, ow) != out_hw:
        # x reaches past g (x is the gradient of a transposed convolution with output_padding):
        # only the windows of g's positions count
        v = cols.reshape(cols.shape[:2] + (n,) + out_hw)[..., :oh, :ow]
        cols = np.ascontiguousarray(v).reshape(cols.shape[:2] + (-1,))
    # (G, O/G, rows) as the transpose of cols @ g^T: OpenBLAS runs this orientation 10-40% faster on these
    # long, thin operands (measured on the convnet and Conv_Classifier shapes), and so does MKL, except with fewer
    # than 8 output channels a group, where g @ cols^T takes half the time (measured: the seeds' CNN's first
    # convolution, 5 channels, 0.16 against 0.32 ms; 8 channels 1.09 times as long)
    grows = _grad_rows(g4, groups, None)
    if grows.shape[1] < 8 and blas.loaded():
        gw = blas.matmul(grows, cols.transpose(0, 2, 1))
    else:
        gw = blas.matmul(cols, grows.transpose(0, 2, 1)).transpose(0, 2, 1)
    gw = np.ascontiguousarray(gw).reshape((o, x4.shape[1] // groups) + k_hw)
    return gw.reshape(gw.shape[:2] + k_hw[1:]) if nd == 1 else gw


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


# --- unfold / fold (im2col and col2im as user-facing ops) ------------------------------------------
def _blocks(hw, k_hw, dilation, padding, stride):
    return tuple((hw[i] + 2 * padding[i] - dilation[i] * (k_hw[i] - 1) - 1) // stride[i] + 1 for i in range(2))


def unfold_np(x, *, k_hw, dilation, padding, stride):
    """(N, C, H, W) -> (N, C*KH*KW, L): every sliding block as a column, rows ordered (c, kh, kw).
    Unbatched (C, H, W) gives (C*KH*KW, L)."""
    if x.ndim == 3:
        return unfold_np(x[None], k_hw=k_hw, dilation=dilation, padding=padding, stride=stride)[0]
    n, c = x.shape[:2]
    xp = pad_hw(x, tuple((p, p) for p in padding))
    out_hw = _blocks(x.shape[2:], k_hw, dilation, padding, stride)
    win = windows(xp, k_hw, out_hw, stride, dilation)
    return np.ascontiguousarray(win).reshape(n, c * k_hw[0] * k_hw[1], out_hw[0] * out_hw[1])


def fold_np(cols, *, out_hw, k_hw, dilation, padding, stride):
    """The adjoint of ``unfold_np``: sum every column back into its block of an (N, C, *out_hw) image
    ((C, *out_hw) for unbatched (C*KH*KW, L) columns)."""
    if cols.ndim == 2:
        return fold_np(cols[None], out_hw=out_hw, k_hw=k_hw, dilation=dilation, padding=padding, stride=stride)[0]
    n, ckk, _ = cols.shape
    c = ckk // (k_hw[0] * k_hw[1])
    blocks = _blocks(out_hw, k_hw, dilation, padding, stride)
    hp, wp = out_hw[0] + 2 * padding[0], out_hw[1] + 2 * padding[1]
    c6 = cols.reshape((n, c) + tuple(k_hw) + blocks)
    full = np.zeros((n, c, hp, wp), cols.dtype)
    for i, j, sl in offset_slices(k_hw, blocks, stride, dilation):
        full[sl] += c6[:, :, i, j]
    return np.ascontiguousarray(full[:, :, padding[0]:padding[0] + out_hw[0], padding[1]:padding[1] + out_hw[1]])


def _fold_kw(kw):
    return {k: kw[k] for k in ("k_hw", "dilation", "padding", "stride")}


UNFOLD = Op("Im2ColBackward0", unfold_np,
            lambda n, g: apply(FOLD, g, out_hw=n._in_meta[0][0][-2:], **_fold_kw(n.kwargs)))
FOLD = Op("Col2ImBackward0", fold_np, lambda n, g: apply(UNFOLD, g, **_fold_kw(n.kwargs)))
