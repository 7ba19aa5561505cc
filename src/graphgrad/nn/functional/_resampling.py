"""Padding, pixel (un)shuffle, interpolation/upsampling and fold/unfold."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...ops import conv as conv_ops
from ...ops import normalization as norm_ops
from ...ops import pooling as pooling_ops
from ...ops._op import apply
from ._common import _ntuple
from ._pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

_PAD_DIMS = {2: (2, 3), 4: (3, 4), 6: (4, 5)}


def _pad_index(mode, size, before, after, dim, shape):
    j = np.arange(-before, size + after)
    if mode == "reflect":
        if before >= size or after >= size:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({before}, {after}) at dimension {dim} of input {list(shape)}")
        j = np.abs(j)
        return np.where(j > size - 1, 2 * (size - 1) - j, j)
    if mode == "replicate":
        if size == 0:
            raise RuntimeError(f"Expected a non-empty input at dimension {dim}")
        return np.clip(j, 0, size - 1)
    if before > size or after > size:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    return j % size


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing dimensions: ``pad = (left_last, right_last, left_second_last, ...)``.

    Modes: 'constant' (negative amounts crop), 'reflect', 'replicate', 'circular'.
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pad) // 2
    shape = input._data.shape
    if nd > len(shape):
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {len(shape)}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(nd))[::-1]  # first padded dim first
    if mode == "constant":
        return apply(norm_ops.CONSTANT_PAD, input, pads=pairs, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    if len(pad) not in _PAD_DIMS or len(shape) not in _PAD_DIMS[len(pad)]:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {len(shape)}D input tensor.\nSupported combinations for "
            "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: "
            "padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    first = len(shape) - nd
    idxs = tuple(_pad_index(mode, shape[first + i], a, b, first + i, shape) for i, (a, b) in enumerate(pairs))
    return apply(norm_ops.index_pad_op(mode, nd), input, idxs=idxs, sizes=tuple(shape[first:]))


def _image_shape(name, input):
    """The shape of pixel_(un)shuffle's input, which needs (*, C, H, W)."""
    shape = input._data.shape
    if len(shape) < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with "
                           f"{len(shape)} dimension(s)")
    return shape


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    shape = _image_shape("pixel_shuffle", input)
    if shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={shape[-3]} is not divisible by {r * r}")
    return apply(norm_ops.PIXEL_SHUFFLE, input, r=r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    shape = _image_shape("pixel_unshuffle", input)
    for name, i in (("height", -2), ("width", -1)):
        if shape[i] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but input.size"
                               f"({i})={shape[i]} is not divisible by {r}")
    return apply(norm_ops.PIXEL_UNSHUFFLE, input, r=r)


_INTERP_NAMES = {"nearest": "UpsampleNearest{}DBackward0", "nearest-exact": "UpsampleNearestExact{}DBackward0",
                 "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0"}
_INTERP_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dimensions: 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'area'."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input._data.ndim - 2
    if not 1 <= dim <= 3:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input._data.ndim}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = input._data.shape[2:]
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(in_sizes)} and output size of {list(size)}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            out_sizes = tuple(int(s) for s in size)
        else:
            out_sizes = (int(size),) * dim
        scales = (None,) * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(in_sizes)} and scale_factor of shape {list(scale_factor)}. Please "
                    "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format.")
            scales = tuple(float(s) for s in scale_factor)
        else:
            scales = (float(scale_factor),) * dim
        out_sizes = tuple(int(math.floor(float(in_sizes[i]) * scales[i])) for i in range(dim))
        if recompute_scale_factor:
            scales = (None,) * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias:
        raise NotImplementedError("antialias=True is not supported by graphgrad's interpolate")
    if mode in _INTERP_DIMS and _INTERP_DIMS[mode] != dim:
        raise NotImplementedError(f"Got {input._data.ndim}D input, but {mode} mode needs {_INTERP_DIMS[mode] + 2}D "
                                  "input")
    dt = input._data.dtype
    if mode == "area":
        if dim == 1:
            return adaptive_avg_pool1d(input, out_sizes)
        if dim == 2:
            return adaptive_avg_pool2d(input, out_sizes)
    if mode in ("nearest", "nearest-exact"):
        mats = tuple(pooling_ops.nearest_matrix(in_sizes[i], out_sizes[i], scales[i], dt, mode == "nearest-exact")
                     for i in range(dim))
    elif mode in ("linear", "bilinear", "trilinear"):
        mats = tuple(pooling_ops.linear_matrix(in_sizes[i], out_sizes[i], scales[i], align_corners, dt)
                     for i in range(dim))
    else:
        raise NotImplementedError(f"Input Error: mode {mode!r} is not supported by graphgrad's interpolate")
    name = _INTERP_NAMES.get(mode, "UpsampleTrilinear3DBackward0").format(dim)
    return apply(pooling_ops.separable_op(name), input, mats=mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (with PyTorch's warning)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks as columns: (N, C, H, W) -> (N, C*kh*kw, L) (Im2ColBackward0)."""
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input._data.ndim}D)")
    k, d, p, s = (_ntuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    x = input if input._data.ndim == 4 else input.unsqueeze(0)
    blocks = conv_ops._blocks(x._data.shape[2:], k, d, p, s)
    if any(b <= 0 for b in blocks):
        raise RuntimeError(f"Given input with spatial size {list(x._data.shape[2:])}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as {list(blocks)}, but its "
                           "components must be at least one.")
    return apply(conv_ops.UNFOLD, input, k_hw=k, dilation=d, padding=p, stride=s)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold``: columns summed back into an image (N, C, *output_size) (Col2ImBackward0)."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got "
                           f"{input._data.ndim}D)")
    o, k, d, p, s = (_ntuple(v, 2) for v in (output_size, kernel_size, dilation, padding, stride))
    x = input if input._data.ndim == 3 else input.unsqueeze(0)
    ckk, length = x._data.shape[1:]
    if ckk % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={ckk} and kernel_size={k}.")
    blocks = conv_ops._blocks(o, k, d, p, s)
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={length}.")
    return apply(conv_ops.FOLD, input, out_hw=o, k_hw=k, dilation=d, padding=p, stride=s)

