"""Optional compiled loops for the convolution's layout changes (the ``fast`` extra, numba).

- ``im2col``: the (C, KH, KW, N, OH, OW) windows of an unpadded (N, C, H, W) image, zero where a window
  reaches into the padding. NumPy's form pads a copy of the image and copies a six-axis strided view whose
  innermost run is one output row; the loop copies each row once and writes the padding's zeros itself.
- ``flat_col2im``: the sum of the kernel offsets' columns into flattened padded rows (the stride-1
  transposed convolution, ``conv.conv_transpose_np``). NumPy's form makes one whole-array pass per
  kernel offset; the loop finishes one (channel, image) row, which stays in cache, at a time.

- ``swap_planes``: an (A, B, H, W) array as (B, A, H, W') (the convolution's channel-major results back to
  (N, C, H, W), plus the bias; a gradient into channel-major rows zero-padded to the flat row width W').
  NumPy's strided copy of the transposed view ran at half this loop's speed.

All perform NumPy's float operations in NumPy's order (a copy; additions offset by offset, in the same
order), so their arrays are the NumPy forms' bit for bit (tests/nn/test_conv_pool_kernels.py compares
them). Each function returns False where it doesn't apply (numba missing, the loops switched off, another
dtype or memory layout) and the caller runs its NumPy form.
"""

from __future__ import annotations

import numpy as np

from .._core import jit


def _im2col_loop(start, stop, x, cols, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left):
    # rows start:stop of the (channel, image) pairs, channel-major: each pair's windows are its own memory
    n_img, n_ch, h, w = x.shape
    _, kh, kw, _, out_h, out_w = cols.shape
    zero = cols.dtype.type(0)
    for row in range(start, stop):
        c, n = row // n_img, row % n_img
        for i in range(kh):
            h_off = i * dil_h - pad_top
            for j in range(kw):
                w_off = j * dil_w - pad_left
                # the outputs ow whose input column ow * stride_w + w_off lies in [0, w)
                w_lo = 0 if w_off >= 0 else (stride_w - 1 - w_off) // stride_w
                w_hi = min(out_w, max(0, (w - w_off + stride_w - 1) // stride_w))
                w_lo = min(w_lo, w_hi)
                for oh in range(out_h):
                    dst = cols[c, i, j, n, oh]
                    ih = oh * stride_h + h_off
                    if ih < 0 or ih >= h:
                        dst[:] = zero
                        continue
                    src = x[n, c, ih]
                    # unsigned indices: no negative-index wraparound test, so the copy vectorises
                    for ow in range(w_lo):
                        dst[np.uintp(ow)] = zero
                    for ow in range(w_lo, w_hi):
                        dst[np.uintp(ow)] = src[np.uintp(ow * stride_w + w_off)]
                    for ow in range(w_hi, out_w):
                        dst[np.uintp(ow)] = zero


def _flat_col2im_loop(start, stop, cols, full, row_width, dil_h, dil_w):
    # rows start:stop of the (channel, image) pairs, channel-major
    n_ch, kh, kw, n_img, length = cols.shape
    total = full.shape[2]
    for row in range(start, stop):
        c, n = row // n_img, row % n_img
        dst = full[c, n]
        # as NumPy's form: offset (0, 0) written, the rest zeroed, then each offset added in order
        first = cols[c, 0, 0, n]
        for p in range(length):
            dst[np.uintp(p)] = first[np.uintp(p)]
        for p in range(length, total):
            dst[np.uintp(p)] = 0
        for i in range(kh):
            for j in range(kw):
                s = i * dil_h * row_width + j * dil_w
                if s == 0:
                    continue
                src = cols[c, i, j, n]
                for p in range(min(length, total - s)):
                    dst[np.uintp(s + p)] += src[np.uintp(p)]


def _swap_planes_loop(start, stop, src, bias, has_bias, dst):
    # rows start:stop of src's (a, b) planes: dst[b, a, :, :w] = src[a, b] (+ bias[a]), dst[b, a, :, w:] = 0
    n_b, h, w = src.shape[1], src.shape[2], src.shape[3]
    width = dst.shape[3]
    zero = dst.dtype.type(0)
    for row in range(start, stop):
        a, b = row // n_b, row % n_b
        add = bias[a] if has_bias else zero
        for i in range(h):
            s, d = src[a, b, i], dst[b, a, i]
            if has_bias:
                for j in range(w):
                    d[np.uintp(j)] = s[np.uintp(j)] + add
            else:  # a copy: no addition of +0, which would turn -0 into +0
                for j in range(w):
                    d[np.uintp(j)] = s[np.uintp(j)]
            for j in range(w, width):
                d[np.uintp(j)] = zero


# .enabled False: the NumPy forms
LOOPS = jit.CompiledLoops(im2col=_im2col_loop, flat_col2im=_flat_col2im_loop, swap_planes=_swap_planes_loop)


def _takes(*arrays):
    return all(a.dtype in jit.FLOATS and a.dtype == arrays[0].dtype and a.flags.c_contiguous for a in arrays)


def im2col(x, cols, stride, padding, dilation):
    """Fill ``cols`` (C, KH, KW, N, OH, OW) with the windows of ``x`` (N, C, H, W) padded by
    ``padding = ((top, bottom), (left, right))`` with zeros; False where the loop doesn't apply."""
    if not _takes(x, cols):
        return False
    rows = x.shape[0] * x.shape[1]  # (channel, image) pairs
    return LOOPS.split("im2col", rows, x, cols, stride[0], stride[1], dilation[0], dilation[1],
                       padding[0][0], padding[1][0], work_per_row=cols.size // max(rows, 1), streaming=True)


def flat_col2im(cols, full, row_width, dilation):
    """Sum ``cols`` (C, KH, KW, N, length) into the flat padded rows ``full`` (C, N, total), offset
    (kh, kw) starting at kh * dilation_h * row_width + kw * dilation_w; False where the loop doesn't apply."""
    if not _takes(cols, full):
        return False
    rows = full.shape[0] * full.shape[1]  # (channel, image) pairs
    return LOOPS.split("flat_col2im", rows, cols, full, row_width, dilation[0], dilation[1],
                       work_per_row=(cols.size + full.size) // max(rows, 1), streaming=True)


def swap_planes(src, dst, bias=None):
    """Fill ``dst`` (B, A, H, W') with ``src`` (A, B, H, W; any strides) plus ``bias[a]`` if given, zero in
    columns W: (W' >= W); False where the loop doesn't apply."""
    if not (_takes(dst) and src.dtype == dst.dtype and (bias is None or bias.dtype == dst.dtype)):
        return False
    has_bias = bias is not None
    rows = src.shape[0] * src.shape[1]
    return LOOPS.split("swap_planes", rows, src, bias if has_bias else dst.reshape(-1)[:1], has_bias, dst,
                       work_per_row=dst[0, 0].size, streaming=True)
