"""Max and average pooling (one strided view per kernel tap), and the separable linear maps of adaptive
average pooling and interpolation.

Each derivative is written with graphgrad ops, so ``create_graph=True`` differentiates it once more.
"""

from __future__ import annotations

import functools

import numpy as np

from ..autograd import errors
from . import _pool_loops
from ._op import Op, apply, const, depends_on
from ._select import has_negative_zero, keep_where, pick
from ._windows import pad_hw, tap_slices
from .grid_sample import cubic_weights, sum_in_order


# --- pooling: one strided view per kernel tap -----------------------------------------------------
# The kernels take 2-D (N, C, H, W) or 3-D (N, C, D, H, W) pools: the spatial axes are the last len(k_hw).
# Tap (i, j) of a pooling window is a strided view of the padded input holding that element of every
# window, so a pool is a handful of whole-array ops (one per tap), never a loop over pixels. Max
# pooling keeps which element of each window holds its maximum (only the first in row-major order, as
# PyTorch picks it); the backward writes the gradient through those masks. The masks come in two forms:
# - windows that tile the padded input (stride = kernel, the common 2x2 pool): one boolean array in the
#   padded input's own layout (N, C, Hp, Wp), True at each window's winner, so the backward is one
#   select over the input (``_tile_scatter``);
# - any other pool: per tap, a boolean (K, N, C, OH, OW) of the windows whose maximum that tap holds.
# ``_tap_masks`` reads either form per tap. With numba installed, 2x2 windows that tile the input run as
# compiled loops (``_pool_loops``), which give the same arrays as the NumPy passes here.
def _pool_geometry(hw, k_hw, stride, padding, dilation, ceil_mode):
    """Output size and the padding on each side (the far side grows to cover ceil_mode windows)."""
    out, pads = [], []
    for i in range(len(hw)):
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
    return [a[sl] for sl in tap_slices(k_hw, out_hw, stride, dilation)]


def _takes_unbatched(kernel):
    """Let an (N, C, H, W) pooling kernel take one unbatched (C, H, W) plane stack too, as PyTorch's kernels do
    (in 3-D likewise): it runs as a batch of one, and its (first) result loses that batch axis (max pooling's
    masks keep it)."""

    @functools.wraps(kernel)
    def run(a, **kw):
        if a.ndim != len(kw["k_hw"]) + 1:
            return kernel(a, **kw)
        res = kernel(a[None], **kw)
        return (res[0][0],) + res[1:] if isinstance(res, tuple) else res[0]

    return run


@_takes_unbatched
def max_pool_np(x, *, k_hw, stride, padding, dilation, ceil_mode):
    """(out, masks): which element of each window holds its maximum, in one of the two forms above."""
    out_hw, pads = _pool_geometry(x.shape[2:], k_hw, stride, padding, dilation, ceil_mode)
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = pad_hw(x, pads, fill)
    tiles = _tiles(k_hw, stride, dilation, out_hw, xp.shape[2:])
    if tiles:
        res = _pool_loops.tiled_max(xp, k_hw, out_hw) or _tiled_max(xp, k_hw, out_hw)
        if res is not None:
            return res
    out = _separable_max(xp, k_hw, out_hw, stride, dilation)
    taps = _taps(xp, k_hw, out_hw, stride, dilation)
    masks = np.empty((len(taps),) + out.shape, bool)
    for k, t in enumerate(taps):
        np.equal(t, out, out=masks[k])
    # a NaN window has no winner yet (no tap equals NaN): then the count alone can hide a tie elsewhere
    nan_windows = out.dtype.kind == "f" and bool(np.isnan(out).any())
    if nan_windows or np.count_nonzero(masks) != out.size:
        _first_only(masks, taps)
        # ties of equal values differ only as +0/-0 (and NaN payloads): then take the chosen element's
        # bits, the sign of a zero as PyTorch's
        if nan_windows or (out.dtype.kind == "f" and has_negative_zero(xp)):
            pick(masks, taps, out)
    if tiles:  # (a NaN or a -0 in the input): the tiling form all the same
        winners = np.empty(xp.shape, bool)
        for mask, tap in zip(masks, _tap_masks(winners, k_hw)):
            tap[...] = mask
        masks = winners
    return out, masks


def _tiled_max(xp, k_hw, out_hw):
    """``max_pool_np`` for windows that tile the padded ``xp``: (out, winners in xp's layout), or None
    when xp holds a NaN or a -0 (their choice among equal values needs the per-tap path).

    The maxima of each row's KW consecutive elements first (whole-array passes over strided 1-D views),
    then over the KH rows of a window; the winners likewise: the first maximum within its row part, in
    the first row holding the window's maximum, which is the row-major first that PyTorch picks.
    """
    n, c, hp, wp = xp.shape
    kh, kw = k_hw
    col_taps = list(xp.reshape(-1, kw).T)  # element j of every row part: (N*C*Hp*OW,)
    row_max = _max_of(col_taps)
    rows = row_max.reshape(-1, kh, out_hw[1])  # (N*C*OH, KH, OW): row i of every window
    out = _max_of(list(rows.transpose(1, 0, 2)))
    # out.all() is False only where a window's maximum is a zero (NaN counts as true)
    if out.dtype.kind == "f" and (np.isnan(out).any() or (not out.all() and has_negative_zero(xp))):
        return None
    if kh == 2:
        in_winning_row = _in_first_of_two_rows(row_max, out_hw[1])
    else:
        in_winning_row = np.empty(rows.shape, bool)
        _first_winners(list(rows.transpose(1, 0, 2)), out, list(in_winning_row.transpose(1, 0, 2)))
        in_winning_row = in_winning_row.reshape(-1)
    winners = np.empty(xp.shape, bool)
    if kw == 2:
        # both bytes of a row part at once: (low, high) = (first, second) & in_winning_row, as in_winning_row
        # * 1 or * 256 (byte order fixed little-endian); strided one-byte writes cost several times this
        first = np.greater_equal(col_taps[0], col_taps[1])
        pair = winners.reshape(-1).view("<u2")
        np.multiply(first.view(np.uint8), np.uint16(255), out=pair, dtype="<u2")
        np.subtract(np.uint16(256), pair, out=pair)
        np.multiply(pair, in_winning_row.view(np.uint8), out=pair)
    else:
        cols = winners.reshape(-1, kw)
        _first_winners(col_taps, row_max, [cols[:, j] for j in range(kw)])
        cols &= in_winning_row[:, None]
    return out.reshape((n, c) + tuple(out_hw)), winners


def _in_first_of_two_rows(row_max, ow):
    """Windows of two rows: whether each row part of ``row_max`` (flat, in (N*C*OH, 2, OW) order) lies in
    the row holding its window's first maximum: the top one where top >= bottom, else the bottom one.

    Each comparison runs over the whole flat array against itself shifted by one row: long passes, of
    which a fixed top/bottom pattern keeps the valid half (slicing out the rows instead takes a short
    loop per row, several times slower on these images of a few dozen columns).
    """
    size = row_max.size
    top, bottom = _row_pattern(size, ow)
    first = np.zeros(size, bool)
    np.greater_equal(row_max[:-ow], row_max[ow:], out=first[:-ow])  # valid in top rows
    second = np.zeros(size, bool)
    np.greater(row_max[ow:], row_max[:-ow], out=second[ow:])  # valid in bottom rows
    first &= top
    second &= bottom
    first |= second
    return first


def _row_pattern(size, ow):
    """(top, bottom): flat masks of the top and the bottom row parts of (size // 2ow, 2, ow)."""
    top = np.repeat(np.array([True, False]), ow)
    return np.tile(top, size // (2 * ow)), np.tile(~top, size // (2 * ow))


def _first_winners(taps, best, out):
    """Into the boolean ``out[k]``: where tap k holds ``best`` (the taps' maximum) and no earlier tap does.
    No NaN among them."""
    if len(taps) == 1:
        out[0][...] = True
        return
    seen = np.zeros(best.shape, bool)
    for t, w in zip(taps, out):
        np.equal(t, best, out=w)
        w &= ~seen
        seen |= w


def _tap_masks(masks, k_hw):
    """The (N, C, OH, OW) mask of each tap, from either form of max pooling's masks."""
    if masks.ndim == len(k_hw) + 3:
        return masks
    n, c, hp, wp = masks.shape
    kh, kw = k_hw
    w6 = masks.reshape(n, c, hp // kh, kh, wp // kw, kw)
    return [w6[:, :, :, i, :, j] for i in range(kh) for j in range(kw)]


def _separable_max(xp, k_hw, out_hw, stride, dilation):
    """The window maxima of the padded ``xp``: along each row first, then over the rows (and the planes).

    KW + KH passes instead of KH * KW, the first of them over whole rows. Of equal values (+0 and -0)
    it may keep either; ``max_pool_np`` settles ties with PyTorch's choice.
    """
    best = xp
    for i in reversed(range(len(k_hw))):
        lead = (slice(None),) * (xp.ndim - len(k_hw) + i)
        best = _max_of([best[lead + (slice(o, o + (out_hw[i] - 1) * stride[i] + 1, stride[i]),)]
                        for o in range(0, k_hw[i] * dilation[i], dilation[i])])
    return best


def _max_of(views):
    """The elementwise maximum of same-shape ``views``, in a new array."""
    if len(views) == 1:
        return views[0].copy()
    out = np.maximum(views[0], views[1])
    for v in views[2:]:
        np.maximum(out, v, out=out)
    return out


def _first_only(masks, taps):
    """Keep one tap per window: the first maximum (ties), or PyTorch's choice for NaN (the last NaN)."""
    seen = masks[0].copy()
    for k in range(1, len(masks)):
        masks[k] &= ~seen
        seen |= masks[k]
    if not seen.all():  # windows holding NaN: no tap equals the (NaN) maximum
        for k in reversed(range(len(masks))):
            last_nan = ~seen & np.isnan(taps[k])
            masks[k] |= last_nan
            seen |= last_nan


@_takes_unbatched
def pool_scatter_np(g, *, in_hw, k_hw, stride, padding, dilation, ceil_mode, masks=None, scale=None):
    """Input-gradient of max pooling (through ``masks``) or of average pooling (``scale`` = 1/divisor)."""
    out_hw, pads = _pool_geometry(in_hw, k_hw, stride, padding, dilation, ceil_mode)
    padded = tuple(n + before + after for n, (before, after) in zip(in_hw, pads))
    if scale is not None:
        g = g * scale
    if _tiles(k_hw, stride, dilation, out_hw, padded):
        full = _tile_scatter(g, masks, k_hw, padded)
    else:
        full = np.zeros(g.shape[:2] + padded, g.dtype)
        for k, sl in enumerate(tap_slices(k_hw, out_hw, stride, dilation)):
            full[sl] += g if masks is None else keep_where(masks[k], g)
    if padded == tuple(in_hw):
        return full
    return np.ascontiguousarray(full[(Ellipsis,) + tuple(slice(b, b + n) for n, (b, _) in zip(in_hw, pads))])


def _tile_scatter(g, winners, k_hw, hp_wp):
    """``pool_scatter_np`` when the windows tile the padded input: each element takes its window's gradient
    (or 0 where it is not the window's maximum, ``winners`` in the padded input's layout).

    Written as one select over whole rows of the padded input (g repeated along each row) rather than
    one strided write per tap: those touch every cache line of the result once per tap.
    """
    if winners is not None:
        compiled = _pool_loops.tile_scatter(g, winners, k_hw)
        if compiled is not None:
            return compiled
    n, c, oh, ow = g.shape
    rows = (n, c, oh, k_hw[0], hp_wp[1])  # input row kh of output row oh: (N, C, OH, KH, W)
    along_rows = _repeat_each(g.reshape(-1), k_hw[1]).reshape(n, c, oh, 1, hp_wp[1])
    spread = np.broadcast_to(along_rows, rows)
    if winners is None:
        return np.array(spread).reshape((n, c) + hp_wp)
    return keep_where(winners.reshape(rows), spread).reshape((n, c) + hp_wp)


def _repeat_each(a, times):
    """``np.repeat(a, times)`` of a flat array; twice each element of 4 bytes or less as one multiply: its
    bits times 2**bits + 1 fill both halves of an integer twice as wide (half the time of np.repeat).

    >>> _repeat_each(np.array([1.5, -0.0], np.float32), 2)
    array([ 1.5,  1.5, -0. , -0. ], dtype=float32)
    """
    size = a.itemsize
    if times != 2 or size > 4:
        return np.repeat(a, times)
    wide = np.dtype(f"u{2 * size}")
    return np.multiply(a.view(f"u{size}"), wide.type((1 << (8 * size)) + 1), dtype=wide).view(a.dtype)


def _tiles(k_hw, stride, dilation, out_hw, hw_p):
    """True when the windows of a 2-D pool tile the padded input exactly (every element in exactly one window);
    the tiling forms are 2-D only."""
    return len(k_hw) == 2 and tuple(dilation) == (1, 1) and tuple(stride) == tuple(k_hw) and tuple(hw_p) == (
        out_hw[0] * k_hw[0], out_hw[1] * k_hw[1])


@_takes_unbatched
def pool_gather_np(a, *, in_hw, k_hw, stride, padding, dilation, ceil_mode, masks=None, scale=None):
    """The adjoint of ``pool_scatter_np``: the max (at the recorded taps) or the weighted window sum."""
    out_hw, pads = _pool_geometry(in_hw, k_hw, stride, padding, dilation, ceil_mode)
    taps = _taps(pad_hw(a, pads), k_hw, out_hw, stride, dilation)
    if masks is None:
        out = taps[0].copy()
        for t in taps[1:]:
            out += t
        return out * scale if scale is not None else out
    out = np.empty(taps[0].shape, a.dtype)
    return pick(_tap_masks(masks, k_hw), taps, out)  # one winner per window: its value, bit for bit


def max_pool_indices(masks, in_hw, k_hw, stride, padding, dilation, ceil_mode):
    """PyTorch's ``return_indices``: the flat index (h * W + w, or (d * H + h) * W + w) of each maximum in its
    input plane (volume)."""
    out_hw, pads = _pool_geometry(in_hw, k_hw, stride, padding, dilation, ceil_mode)
    taps = np.unravel_index(np.argmax(_tap_masks(masks, k_hw), axis=0), k_hw)  # each axis' offset in the window
    flat = 0
    for i, tap in enumerate(taps):
        at = [1] * len(k_hw)
        at[i] = -1
        start = np.arange(out_hw[i]).reshape(at) * stride[i] - pads[i][0]
        flat = flat * in_hw[i] + start + tap * dilation[i]
    return flat.astype(np.int64)


def _pool_kw(kw):
    return {k: kw[k] for k in ("k_hw", "stride", "padding", "dilation", "ceil_mode")}


def _max_pool_ops(nd):
    """PyTorch's max pooling in ``nd`` dimensions (its derivative and that one's are declared with it)."""
    name = f"MaxPool{nd}DWithIndicesBackward"

    def backward(node, g):
        masks = node.state
        if masks is None:
            raise errors.second_backward(node)
        g = apply(scatter, g, in_hw=node._in_meta[0][0][-nd:], masks=masks, **_pool_kw(node.kwargs))
        return depends_on(g, node.saved_tensors[0], f"{name}Backward0")

    # PyTorch saves the input too (its backward kernel takes it): the first derivative requires grad when it does
    pool = Op(f"{name}0", max_pool_np, backward, stateful=True, save="a", saved_names=("self", "indices"))
    scatter = Op(f"{name}Backward0", pool_scatter_np, lambda n, gg: apply(gather, gg, **n.kwargs))
    gather = Op(f"{name}BackwardBackward0", pool_gather_np, lambda n, g: apply(scatter, g, **n.kwargs))
    return pool


MAX_POOL = {nd: _max_pool_ops(nd) for nd in (2, 3)}  # by the number of spatial axes


# --- adaptive max pooling: a gather of the input planes at the maxima's flat indices ---------------
def _plane_gather_np(a, idx, nd):
    """a (..., H, W) read at flat plane indices idx (..., OH, OW) (in 3-D: volumes and their flat indices)."""
    flat = a.reshape(a.shape[:-nd] + (-1,))
    return np.take_along_axis(flat, idx.reshape(idx.shape[:-nd] + (-1,)), -1).reshape(idx.shape)


def _plane_scatter_np(g, idx, in_hw):
    """The adjoint of ``_plane_gather_np``: g summed into (..., H, W) at idx (windows overlap: indices repeat)."""
    lead, plane = g.shape[:-len(in_hw)], int(np.prod(in_hw))
    rows = np.arange(int(np.prod(lead)))[:, None] * plane
    sums = np.bincount((rows + idx.reshape(rows.shape[0], -1)).ravel(), weights=g.reshape(-1),
                       minlength=rows.shape[0] * plane)
    return sums.astype(g.dtype).reshape(lead + tuple(in_hw))


def _gather_pool_ops(kind, nd):
    """A max pooling whose windows are known beforehand (``kind``: AdaptiveMaxPool or FractionalMaxPool) in ``nd``
    dimensions: a gather at the maxima's flat indices, and its derivative, the scatter back."""
    name = f"{kind}{nd}DBackward0"
    pool = Op(name, lambda a, idx: _plane_gather_np(a, idx, nd),
              lambda n, g: apply(scatter, g, idx=n.kwargs["idx"], in_hw=n._in_meta[0][0][-nd:]))
    scatter = Op(name.replace("Backward0", "BackwardBackward0"),
                 lambda g, idx, in_hw: _plane_scatter_np(g, idx, in_hw),
                 lambda n, gg: apply(pool, gg, idx=n.kwargs["idx"]))
    return pool


ADAPTIVE_MAX_POOL = {nd: _gather_pool_ops("AdaptiveMaxPool", nd) for nd in (2, 3)}
FRACTIONAL_MAX_POOL = {nd: _gather_pool_ops("FractionalMaxPool", nd) for nd in (2, 3)}


def fractional_starts(samples, n_in, n_out, k):
    """PyTorch's pseudo-random window starts of fractional max pooling along one axis, in the samples' precision:
    ``int((i + u) * alpha) - int(u * alpha)`` for output i, alpha = (n_in - k) / (n_out - 1), the last window
    ending at the input's end. ``samples`` (...,) gives (..., n_out)."""
    real = samples.dtype.type
    u = samples[..., None]
    alpha = real(n_in - k) / real(n_out - 1) if n_out > 1 else real(0)
    starts = ((np.arange(n_out).astype(samples.dtype) + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    starts[..., -1] = n_in - k
    return starts


# --- max unpooling: the input written at its flat indices into zero planes (volumes) ----------------
def _unpool_np(x, idx, out_size):
    """x (..., *in) written at the flat indices idx (x's shape) of zero planes (..., *out_size); a repeated
    index keeps the last write, as PyTorch's loop over each plane does."""
    nd = len(out_size)
    lead = x.shape[:x.ndim - nd]
    rows = int(np.prod(lead))
    out = np.zeros((rows, int(np.prod(out_size))), x.dtype)
    out[np.arange(rows)[:, None], idx.reshape(rows, -1)] = x.reshape(rows, -1)
    return out.reshape(lead + tuple(out_size))


def _unpool_backward(node, g):
    # PyTorch's max_pool_double_backward: the gradient read at the indices (views around a gather)
    idx = node.kwargs["idx"]
    planes = idx.shape[:idx.ndim - len(node.kwargs["out_size"])] + (-1,)
    return g.contiguous().view(planes).gather(-1, const(idx.reshape(planes))).view(idx.shape)


MAX_UNPOOL = {nd: Op(f"MaxUnpool{nd}DBackward0", lambda x, idx, out_size: _unpool_np(x, idx, out_size),
                     _unpool_backward) for nd in (2, 3)}


def avg_pool_divisor(in_hw, k_hw, stride, padding, ceil_mode, count_include_pad, divisor_override, dtype):
    """1/divisor of each output of an average pool, shape (OH, OW) (or (OD, OH, OW)), with PyTorch's rules."""
    out_hw, _ = _pool_geometry(in_hw, k_hw, stride, padding, (1,) * len(k_hw), ceil_mode)
    if divisor_override:
        return np.full(out_hw, 1.0 / divisor_override, dtype)
    counts = []
    for i in range(len(k_hw)):
        start = np.arange(out_hw[i]) * stride[i] - padding[i]
        end = np.minimum(start + k_hw[i], in_hw[i] + padding[i])
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, in_hw[i]) - np.maximum(start, 0))
    return (1.0 / functools.reduce(np.multiply.outer, counts)).astype(dtype)


def _avg_fwd(x, *, in_hw, k_hw, stride, padding, dilation, ceil_mode, scale):
    return pool_gather_np(x, in_hw=in_hw, k_hw=k_hw, stride=stride, padding=padding, dilation=dilation,
                          ceil_mode=ceil_mode, scale=scale)


def _avg_bw_fwd(g, *, in_hw, k_hw, stride, padding, dilation, ceil_mode, scale):
    return pool_scatter_np(g, in_hw=in_hw, k_hw=k_hw, stride=stride, padding=padding, dilation=dilation,
                           ceil_mode=ceil_mode, scale=scale)


def _avg_pool_ops(nd):
    """PyTorch's average pooling in ``nd`` dimensions; its derivative is its adjoint, and the other way round."""
    name = f"AvgPool{nd}DBackward"
    pool = Op(f"{name}0", _avg_fwd,
              lambda n, g: depends_on(apply(adjoint, g, **n.kwargs), n.saved_tensors[0], f"{name}Backward0"),
              save="a", saved_names=("self",))
    adjoint = Op(f"{name}Backward0", _avg_bw_fwd, lambda n, g: apply(pool, g, **n.kwargs))
    return pool


AVG_POOL = {nd: _avg_pool_ops(nd) for nd in (2, 3)}


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


def _separable_ops(name):
    """The op of a separable linear map recorded under PyTorch's node ``name`` (its adjoint op is its
    derivative and the other way round)."""
    fwd = Op(name, lambda x, mats: _sep_np(x, mats), lambda n, g: apply(adj, g, mats=n.kwargs["mats"]))
    adj = Op(name.replace("Backward0", "BackwardBackward0"), lambda g, mats: _sep_np(g, mats, True),
             lambda n, g: apply(fwd, g, mats=n.kwargs["mats"]))
    return fwd


# PyTorch's node names of the separable maps; created when the module loads so that every one is in REGISTRY
SEPARABLE_NAMES = ("AdaptiveAvgPool2DBackward0", "AdaptiveAvgPool3DBackward0", "UpsampleLinear1DBackward0",
                   "UpsampleBilinear2DBackward0", "UpsampleTrilinear3DBackward0",
                   *(f"UpsampleNearest{nd}DBackward0" for nd in (1, 2, 3)),
                   *(f"UpsampleNearestExact{nd}DBackward0" for nd in (1, 2, 3)))
_SEPARABLE = {name: _separable_ops(name) for name in SEPARABLE_NAMES}


def separable_op(name):
    """The op of the separable linear map recorded under PyTorch's node ``name`` (one of SEPARABLE_NAMES)."""
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
    # PyTorch computes the source positions in the input's precision (float for float32 and narrower)
    real = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    scale = real(_scale_of(n_in, n_out, scale_factor, align_corners))
    dst = np.arange(n_out, dtype=real)
    if align_corners:
        src = dst * scale
    else:
        src = np.maximum(scale * (dst + real(0.5)) - real(0.5), real(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    l1 = src - i0
    m = np.zeros((n_out, n_in), np.float64)
    np.add.at(m, (np.arange(n_out), i0), 1 - l1)
    np.add.at(m, (np.arange(n_out), i1), l1)
    return m.astype(dtype)


def cubic_taps(n_in, n_out, scale_factor, align_corners, dtype):
    """PyTorch's bicubic upsampling along one axis (compute_indices_weights_cubic): per output, the input indices of
    its four taps around the source position (which, unlike linear's, may fall before the first pixel), clamped to
    the input, (n_out, 4); and their weights, the cubic convolution (A = -0.75) of the position's fraction, clamped
    to [0, 1], (n_out, 4) in the precision the kernels compute in (float32 below float64): as the forward's kernel
    stores them (in ``dtype``: rounded for bfloat16), and as the backward's computes them."""
    real = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    scale = real(_scale_of(n_in, n_out, scale_factor, align_corners))
    dst = np.arange(n_out, dtype=real)
    src = dst * scale if align_corners else scale * (dst + real(0.5)) - real(0.5)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(real), real(0), real(1))
    index = np.clip(i0[:, None] + np.arange(-1, 3), 0, n_in - 1)
    weights = np.stack([np.asarray(w, real) for w in cubic_weights(t, upsample=True)], 1)
    stored = weights.astype(dtype).astype(real)
    for a in (index, stored, weights):
        a.flags.writeable = False
    return index, stored, weights


def _bicubic_np(x, taps, in_size):
    """The forward as PyTorch's kernel sums it (its Interpolate<2, ..., 4>): per output, each of its four rows' taps
    summed along W, then those four sums along H, each sum the first product plus the next ones in turn, in float32
    (float64 for float64). Only the 16 taps are read: an inf elsewhere in the row meets no zero weight. (A row's sum
    along W is the same for every output that reads the row: it is computed once per input row.) PyTorch's AVX2 and
    AVX512 builds of this kernel let the compiler fuse parts of the weights' polynomials and of these sums into
    FMAs, so its values can differ from these in the last bits (its backward kernel, built without, agrees bit for
    bit)."""
    (hi, hw, _), (wi, ww, _) = taps
    xs = x.astype(hw.dtype, copy=False)
    along_w = np.take(xs, wi[:, 0], axis=-1) * ww[:, 0]  # (..., H, OW)
    for k in range(1, 4):
        along_w += np.take(xs, wi[:, k], axis=-1) * ww[:, k]
    out = np.take(along_w, hi[:, 0], axis=-2) * hw[:, 0, None]
    for j in range(1, 4):
        out += np.take(along_w, hi[:, j], axis=-2) * hw[:, j, None]
    return out.astype(x.dtype, copy=False)


def _bicubic_adjoint_np(g, taps, in_size):
    """The derivative as PyTorch's upsample_bicubic2d_backward kernel sums it: per output (row by row), for each W tap
    then each H tap, (gradient * H weight) * W weight added in turn at the clamped input pixel, in float32 (float64
    for float64); a copy where the sizes are equal. (``sum_in_order`` adds in that order, all planes at once.)"""
    (hi, _, hw), (wi, _, ww) = taps
    lead, (oh, ow) = g.shape[:-2], g.shape[-2:]
    h, w = in_size
    if (h, w) == (oh, ow):
        return g.copy()
    real = hw.dtype
    by_output = np.ascontiguousarray(g.astype(real, copy=False).reshape(-1, oh * ow).T)  # (OH * OW, planes)
    entries = (oh, ow, 4, 4)  # (output row, output column, x tap, y tap): the kernel's order
    pixel = np.broadcast_to(hi[:, None, None, :] * w + wi[None, :, :, None], entries).reshape(-1)
    h_weight = np.broadcast_to(hw[:, None, None, :], entries).reshape(-1, 1)
    w_weight = np.broadcast_to(ww[None, :, :, None], entries).reshape(-1, 1)

    def rows_of(e):  # (an entry's output: e // 16)
        rows = np.take(by_output, e >> 4, axis=0)
        rows *= h_weight[e]
        rows *= w_weight[e]
        return rows

    out = sum_in_order(pixel, h * w, rows_of, by_output.shape[1:], real)  # (H * W, planes)
    return np.ascontiguousarray(out.T).reshape(lead + (h, w)).astype(g.dtype, copy=False)


# PyTorch's UpsampleBicubic2DBackward0 (its derivative the adjoint, UpsampleBicubic2DBackwardBackward0, and the
# other way round); ``taps`` from ``cubic_taps`` per axis, ``in_size`` the input's (H, W)
BICUBIC = Op("UpsampleBicubic2DBackward0", _bicubic_np,
             lambda n, g: apply(_BICUBIC_ADJOINT, g, taps=n.kwargs["taps"], in_size=n.kwargs["in_size"]))
_BICUBIC_ADJOINT = Op("UpsampleBicubic2DBackwardBackward0", _bicubic_adjoint_np,
                      lambda n, g: apply(BICUBIC, g, taps=n.kwargs["taps"], in_size=n.kwargs["in_size"]))
