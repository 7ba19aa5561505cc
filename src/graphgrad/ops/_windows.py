"""Strided windows over (N, C, H, W) arrays, shared by convolution and pooling: padding, the window view,
the slices of each kernel offset (padding and offsets over (N, C, D, H, W) too), and the 2-D view of 1-D inputs."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided


# --- strided windows ------------------------------------------------------------------------------
def pad_hw(x, pads, value=0.0):
    """``x`` (N, C, *spatial) padded by ``pads = ((before, after), ...)``, one pair per trailing axis
    (``((top, bottom), (left, right))`` in 2-D); a new array."""
    if not any(b or a for b, a in pads):
        return x
    nd = len(pads)
    out = np.empty(x.shape[:-nd] + tuple(n + b + a for n, (b, a) in zip(x.shape[-nd:], pads)), x.dtype)
    if value == 0:
        out[...] = 0
    else:
        out.fill(value)
    out[(Ellipsis,) + tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[-nd:], pads))] = x
    return out


def windows(xp, k_hw, out_hw, stride, dilation):
    """A read-only (N, C, KH, KW, OH, OW) view of the windows of the padded ``xp``."""
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(xp, (n, c, k_hw[0], k_hw[1], out_hw[0], out_hw[1]),
                      (s_n, s_c, s_h * dilation[0], s_w * dilation[1], s_h * stride[0], s_w * stride[1]),
                      writeable=False)


def tap_slices(k, out, stride, dilation):
    """For each kernel offset, in row-major order over any number of axes: the strided slice of the padded
    input that its outputs read."""
    per_axis = [[slice(o * d, o * d + (n - 1) * s + 1, s) for o in range(kk)]
                for kk, n, s, d in zip(k, out, stride, dilation)]
    for sl in itertools.product(*per_axis):
        yield (Ellipsis,) + sl


def offset_slices(k_hw, out_hw, stride, dilation):
    """For each kernel offset (kh, kw): the strided slice of the padded input its outputs read."""
    offsets = itertools.product(range(k_hw[0]), range(k_hw[1]))
    for (kh, kw), sl in zip(offsets, tap_slices(k_hw, out_hw, stride, dilation)):
        yield kh, kw, sl


def as4d(a, nd):
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if nd == 1 else a


def from4d(a, nd):
    return a.reshape(a.shape[:2] + a.shape[3:]) if nd == 1 else a
