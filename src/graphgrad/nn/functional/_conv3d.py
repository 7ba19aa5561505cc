"""3-D convolutions, composed from the 2-D ones: one conv2d (or conv_transpose2d) per kernel depth slice.

A 3-D kernel of depth K is K stacked 2-D kernels. For kernel slice i, every output depth d reads input
depth d * stride + i * dilation: those input slices go through one batched 2-D convolution with that
kernel slice, and the K results add up. The transposed form places slice i's contribution at output depth
d * stride + i * dilation - padding. The loop runs over the K kernel slices only; everything inside is
batched, and gradients of every order come from the 2-D ops.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...ops._autocast import autocast_rule
from ...ops.shape import cat
from ._conv import _conv_args, _conv_transpose_args, conv2d, conv_transpose2d
from ._resampling import pad


@autocast_rule
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation over (N, C, D, H, W) or (C, D, H, W); ``padding`` may be 'same' or 'valid'.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> y = F.conv3d(graphgrad.ones(1, 1, 3, 4, 4), graphgrad.ones(2, 1, 3, 3, 3), padding=1)
    >>> y.shape, y[0, 0, 1, 1, 1].item()
    (graphgrad.Size([1, 2, 3, 4, 4]), 27.0)
    """
    x, stride, dilation, pads = _conv_args("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)
    if any(p for pair in pads for p in pair):
        x = pad(x, [p for pair in reversed(pads) for p in pair])
    n, c, depth, h, w = x.shape
    kernel_depth = weight.shape[2]
    out_depth = (depth - dilation[0] * (kernel_depth - 1) - 1) // stride[0] + 1
    out = None
    for i in range(kernel_depth):
        start = i * dilation[0]
        slices = x[:, :, start:start + (out_depth - 1) * stride[0] + 1:stride[0]]  # (N, C, D_out, H, W)
        slices = slices.transpose(1, 2).reshape(n * out_depth, c, h, w)
        part = conv2d(slices, weight[:, :, i], None, stride[1:], 0, dilation[1:], groups)
        out = part if out is None else out + part
    out = out.reshape((n, out_depth) + tuple(out.shape[1:])).transpose(1, 2)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out if input.dim() == 5 else out.squeeze(0)


@autocast_rule
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution (the gradient of conv3d with respect to its input); weight (C_in, C_out / groups,
    kD, kH, kW).

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.conv_transpose3d(graphgrad.ones(1, 2, 2, 3, 3), graphgrad.ones(2, 4, 3, 3, 3), stride=2).shape
    graphgrad.Size([1, 4, 5, 7, 7])
    """
    x, stride, dilation, crop, out_pad, out_size = _conv_transpose_args(
        "conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups, dilation)
    n, c, depth, h, w = x.shape
    slices = x.transpose(1, 2).reshape(n * depth, c, h, w)
    kernel_depth = weight.shape[2]
    spread = (depth - 1) * stride[0] + 1  # the input depths, stride apart
    full = spread + dilation[0] * (kernel_depth - 1) + out_pad[0]  # the output depth before cropping padding
    out = None
    for i in range(kernel_depth):
        part = conv_transpose2d(slices, weight[:, :, i], None, stride[1:], crop[1:], out_pad[1:], groups,
                                  dilation[1:])
        part = part.reshape((n, depth) + tuple(part.shape[1:]))  # (N, D_in, C_out, H_out, W_out)
        if stride[0] > 1:  # stride - 1 zero slices after each input depth
            gaps = Tensor._make(np.zeros((n, depth, stride[0] - 1) + tuple(part.shape[2:]), part._data.dtype),
                                False, None)
            part = cat([part.unsqueeze(2), gaps], 2).reshape((n, depth * stride[0]) + tuple(part.shape[2:]))
            part = part[:, :spread]
        before = i * dilation[0]
        part = pad(part, (0, 0, 0, 0, 0, 0, before, full - spread - before))
        out = part if out is None else out + part
    out = out[:, crop[0]:crop[0] + out_size[0]].transpose(1, 2)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out if input.dim() == 5 else out.squeeze(0)
