"""1-D and 2-D convolutions and transposed convolutions: PyTorch's argument checks around the
``ops.conv`` primitives (the 3-D ones are composed from these in ``_conv3d``)."""

from __future__ import annotations

from ...ops import conv as conv_ops
from ...ops._autocast import autocast_rule
from ...ops._op import c_type_name
from ._common import _ntuple, _shape


# --- convolution ----------------------------------------------------------------------------------
def _conv_padding(padding, nd, k, dilation, stride):
    """((before, after), ...) per spatial dim, from an int, a tuple, 'same' or 'valid'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        out = []
        for i in range(nd):
            total = dilation[i] * (k[i] - 1)
            out.append((total // 2, total - total // 2))
        return tuple(out)
    p = _ntuple(padding, nd)
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    return tuple((v, v) for v in p)


def _conv_checks(name, x, weight, bias, groups, nd, transposed, stride, dilation):
    """PyTorch's checks shared by convolutions and transposed ones; returns (stride, dilation) as tuples."""
    if x._data.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {_shape(x)}")
    if weight._data.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input {_shape(x)}, but got "
                           f"{weight._data.ndim}-dimensional weight of size {_shape(weight)} instead")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    xs = _shape(x) if x._data.ndim == nd + 2 else [1] + _shape(x)
    if weight._data.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {_shape(weight)} instead")
    if weight._data.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{_shape(weight)}] instead")
    if transposed:
        if xs[1] != weight._data.shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {_shape(weight)}, expected input{xs} to have "
                               f"{weight._data.shape[0]} channels, but got {xs[1]} channels instead")
        out_c = weight._data.shape[1] * groups
    else:
        if xs[1] != weight._data.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {_shape(weight)}, expected input{xs} to have "
                               f"{weight._data.shape[1] * groups} channels, but got {xs[1]} channels instead")
        out_c = weight._data.shape[0]
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != out_c):
        raise RuntimeError(f"Given weight of size {_shape(weight)}, expected bias to be 1-dimensional with {out_c} "
                           f"elements, but got bias of size {_shape(bias)} instead")
    if x._data.dtype != weight._data.dtype:
        raise RuntimeError(f"expected scalar type {x.dtype._legacy[:-6]} but found {weight.dtype._legacy[:-6]}")
    if bias is not None and bias._data.dtype != x._data.dtype:
        raise RuntimeError(f"Input type ({c_type_name(x._data.dtype)}) and bias type "
                           f"({c_type_name(bias._data.dtype)}) should be the same")
    stride, dilation = _ntuple(stride, nd), _ntuple(dilation, nd)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    return stride, dilation


def _conv_args(name, nd, input, weight, bias, stride, padding, dilation, groups):
    """PyTorch's checks of a convolution's arguments; returns (batched input, stride, dilation, pads)."""
    stride, dilation = _conv_checks(name, input, weight, bias, groups, nd, False, stride, dilation)
    k = weight._data.shape[2:]
    pads = _conv_padding(padding, nd, k, dilation, stride)
    x = input if input._data.ndim == nd + 2 else input.unsqueeze(0)
    spatial = x._data.shape[2:]
    padded = [spatial[i] + pads[i][0] + pads[i][1] for i in range(nd)]
    eff = [dilation[i] * (k[i] - 1) + 1 for i in range(nd)]
    if any(padded[i] < eff[i] for i in range(nd)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size")
    return x, stride, dilation, pads


def _conv_nd(name, nd, input, weight, bias, stride, padding, dilation, groups):
    x, stride, dilation, pads = _conv_args(name, nd, input, weight, bias, stride, padding, dilation, groups)
    if nd == 1:
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    out = conv_ops.conv(x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups, nd=nd)
    return out if input._data.ndim == nd + 2 else out.squeeze(0)


@autocast_rule
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over (N, C, L) or (C, L); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@autocast_rule
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation over (N, C, H, W) or (C, H, W), as one BLAS matmul of the im2col matrix.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> y = F.conv2d(graphgrad.ones(1, 1, 4, 4), graphgrad.ones(2, 1, 3, 3), padding=1)
    >>> y.shape, y[0, 0, 0, 0].item()
    (graphgrad.Size([1, 2, 4, 4]), 4.0)
    """
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose_args(name, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    """PyTorch's checks of a transposed convolution's arguments; returns (batched input, stride, dilation,
    padding, output_padding, output spatial size)."""
    stride, dilation = _conv_checks(name, input, weight, bias, groups, nd, True, stride, dilation)
    if isinstance(padding, str):
        raise RuntimeError(f"{name}() received an invalid combination of arguments: padding must be int or tuple, "
                           f"not '{padding}'")
    pad = _ntuple(padding, nd)
    if any(v < 0 for v in pad):
        raise RuntimeError("negative padding is not supported")
    op = _ntuple(output_padding, nd)
    if any(op[i] >= stride[i] and op[i] >= dilation[i] for i in range(nd)):
        dims = ("depth", "height", "width")[3 - nd:]
        parts = " ".join(f"output_padding_{d}: {op[i]}" for i, d in enumerate(dims))
        parts += " " + " ".join(f"stride_{d}: {stride[i]}" for i, d in enumerate(dims))
        parts += " " + " ".join(f"dilation_{d}: {dilation[i]}" for i, d in enumerate(dims))
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {parts}")
    x = input if input._data.ndim == nd + 2 else input.unsqueeze(0)
    k = weight._data.shape[2:]
    out_size = tuple((x._data.shape[2 + i] - 1) * stride[i] - 2 * pad[i] + dilation[i] * (k[i] - 1) + op[i] + 1
                     for i in range(nd))
    if any(o <= 0 for o in out_size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, x._data.shape[2:]))}). Calculated "
                           f"output size per channel: ({' x '.join(map(str, out_size))}). Output size is too small")
    return x, stride, dilation, pad, op, out_size


def _conv_transpose_nd(name, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, stride, dilation, pad, _, out_hw = _conv_transpose_args(name, nd, input, weight, bias, stride, padding,
                                                               output_padding, groups, dilation)
    pads = tuple((p, p) for p in pad)
    if nd == 1:
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    out = conv_ops.conv_transpose(x, weight, bias, in_hw=out_hw, stride=stride, padding=pads, dilation=dilation,
                             groups=groups, nd=nd)
    return out if input._data.ndim == nd + 2 else out.squeeze(0)


@autocast_rule
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution (the gradient of conv1d with respect to its input)."""
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


@autocast_rule
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution; weight is (C_in, C_out / groups, kH, kW)."""
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)

