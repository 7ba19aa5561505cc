"""Strided windows over (N, C, H, W) arrays, shared by convolution and pooling: padding, the window view,
the slices of each kernel offset, and the 2-D view of 1-D inputs."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


# --- strided windows ------------------------------------------------------------------------------
def pad_hw(x, pads, value=0.0):
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


def windows(xp, k_hw, out_hw, stride, dilation):
    """A read-only (N, C, KH, KW, OH, OW) view of the windows of the padded ``xp``."""
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(xp, (n, c, k_hw[0], k_hw[1], out_hw[0], out_hw[1]),
                      (s_n, s_c, s_h * dilation[0], s_w * dilation[1], s_h * stride[0], s_w * stride[1]),
                      writeable=False)


def offset_slices(k_hw, out_hw, stride, dilation):
    """For each kernel offset (kh, kw): the strided slice of the padded input its outputs read."""
    for kh in range(k_hw[0]):
        h0 = kh * dilation[0]
        sh = slice(h0, h0 + (out_hw[0] - 1) * stride[0] + 1, stride[0])
        for kw in range(k_hw[1]):
            w0 = kw * dilation[1]
            yield kh, kw, (Ellipsis, sh, slice(w0, w0 + (out_hw[1] - 1) * stride[1] + 1, stride[1]))


def as4d(a, nd):
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if nd == 1 else a


def from4d(a, nd):
    return a.reshape(a.shape[:2] + a.shape[3:]) if nd == 1 else a
