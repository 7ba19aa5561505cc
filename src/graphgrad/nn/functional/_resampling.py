"""Padding, pixel (un)shuffle, interpolation/upsampling, grid sampling (affine_grid, grid_sample) and
fold/unfold."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._core.sites import warn_at_user_line
from ..._size import Size, size_text
from ..._tensor import Tensor
from ...ops import conv as conv_ops
from ...ops import grid_sample as grid_ops
from ...ops import normalization as norm_ops
from ...ops import pooling as pooling_ops
from ...ops._autocast import autocast_rule
from ...ops._op import _torch_name, apply
from ...ops._parser import Kernel
from ._common import pair
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


def _channel_shuffle(op, input, groups):
    shape = input._data.shape
    if len(shape) <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(shape)}")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {shape[1]} channels and {groups} "
                           "groups.")
    return apply(op, input, groups=groups)


def channel_shuffle(input, groups):
    """(N, C, *) with its C channels in ``groups`` groups, interleaved: (N, g, C/g, *) -> (N, C/g, g, *)."""
    return _channel_shuffle(norm_ops.CHANNEL_SHUFFLE, input, groups)


def native_channel_shuffle(input, groups):
    """channel_shuffle with no derivative (PyTorch's NotImplemented node)."""
    return _channel_shuffle(norm_ops.NATIVE_CHANNEL_SHUFFLE, input, groups)


_INTERP_NAMES = {"nearest": "UpsampleNearest{}DBackward0", "nearest-exact": "UpsampleNearestExact{}DBackward0",
                 "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0"}
# (PyTorch's own texts for these modes on the wrong number of dimensions; bicubic gets the general one)
_INTERP_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}
_WITH_CORNERS = ("linear", "bilinear", "bicubic", "trilinear")
_SCALES = {1: ("scales",), 2: ("scales_h", "scales_w"), 3: ("scales_d", "scales_h", "scales_w")}


def _upsample(name, nd, corners):
    """PyTorch's upsampling kernel ``name`` (its two overloads) on ``nd`` spatial axes."""
    flag = "bool align_corners, " if corners else ""
    scales = ", ".join(f"float? {s}=None" for s in _SCALES[nd])
    return Kernel([f"{name}(Tensor input, SymInt[]? output_size, {flag}float[]? scale_factors)",
                   f"{name}(Tensor input, SymInt[{nd}] output_size, {flag}{scales}, *, Tensor? out=None)"])


# the kernel PyTorch's interpolate calls for (mode, spatial axes); 'area' calls adaptive average pooling
_KERNELS = {
    **{("nearest", d): _upsample(f"upsample_nearest{d}d", d, False) for d in (1, 2, 3)},
    **{("nearest-exact", d): _upsample(f"_upsample_nearest_exact{d}d", d, False) for d in (1, 2, 3)},
    ("linear", 1): _upsample("upsample_linear1d", 1, True), ("bilinear", 2): _upsample("upsample_bilinear2d", 2, True),
    ("bicubic", 2): _upsample("upsample_bicubic2d", 2, True),
    ("trilinear", 3): _upsample("upsample_trilinear3d", 3, True),
    ("area", 1): Kernel(["adaptive_avg_pool1d(Tensor input, int[1] output_size)"]),
    ("area", 2): Kernel(["adaptive_avg_pool2d(Tensor input, SymInt[2] output_size)"]),
}


# the kernel whose dtype dispatch refuses a bool or integer input (uint8 passes all but the linear ones'); 4-D input
# reaches the channels-last kernels' first for nearest and bilinear
_REFUSING_INTEGERS = {"nearest": "compute_indices_weights_nearest", "nearest-exact": "compute_indices_weights_nearest",
                      "linear": "compute_indices_weights_linear", "trilinear": "compute_indices_weights_linear",
                      "bicubic": "compute_indices_weights_cubic", "bilinear": "upsample_bilinear2d_channels_last"}
_REFUSING_INTEGERS_2D = {"nearest": "upsample_nearest2d_channels_last",
                         "nearest-exact": "upsample_nearest2d_channels_last"}


def _check_upsampling(mode, dt, in_sizes, out_sizes):
    """PyTorch's upsampling kernels' checks, in their order: every size positive (upsample_{1,2,3}d_common_check's
    text), then the dtype."""
    if min(in_sizes) <= 0 or min(out_sizes) <= 0:
        axes = "DHW"[3 - len(in_sizes):]

        def shown(sizes):
            return ", ".join(f"{a}: {n}" for a, n in zip(axes, sizes))

        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({shown(in_sizes)})"
                           f"{' and' if len(in_sizes) == 1 else ''} output ({shown(out_sizes)})")
    if dt.kind in "biu" and not (dt == np.uint8 and mode not in ("linear", "trilinear")):
        kernel = (_REFUSING_INTEGERS_2D if len(in_sizes) == 2 else {}).get(mode, _REFUSING_INTEGERS[mode])
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt)}\'')


def _is_integer(x):  # PyTorch's check of each size in a list (NumPy integers and integer tensors count)
    return isinstance(x, (int, np.integer)) or (isinstance(x, Tensor) and not x.is_floating_point())


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dimensions: 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear' or
    'area'.

    The sizes and scale factors take PyTorch's Python way to its kernel (whose parser checks their kinds)."""
    if mode in ("nearest", "area", "nearest-exact"):  # (a tuple: any value of mode compares)
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input._data.ndim - 2
    in_sizes = input._data.shape[2:]
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(in_sizes)} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, "
                                f"int], but got size with types {[type(x) for x in size]}")
            output_size = size
        else:
            output_size = [size for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(in_sizes)} and scale_factor of shape {scale_factor}. Please "
                    "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format.")
            scale_factors = scale_factor
        else:
            scale_factors = [scale_factor for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [int(in_sizes[i] * scale_factors[i]) for i in range(dim)]  # (torch.sym_int)
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input._data.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if isinstance(mode, str) and _INTERP_DIMS.get(mode, dim) != dim:
        raise NotImplementedError(f"Got {input._data.ndim}D input, but {mode} mode needs {_INTERP_DIMS[mode] + 2}D "
                                  "input")
    kernel = _KERNELS.get((mode, dim)) if isinstance(mode, str) else None
    if kernel is None:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input._data.ndim}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})")
    given = (input, output_size) + ((align_corners,) if mode in _WITH_CORNERS else ())
    given, _ = kernel.check(given + ((scale_factors,) if mode != "area" else ()), {})
    if antialias:
        raise NotImplementedError("antialias=True is not supported by graphgrad's interpolate")
    output_size, scale_factors = given[1], given[-1] if mode != "area" else None
    scales = (None,) * dim if scale_factors is None else tuple(float(s) for s in scale_factors)
    out_sizes = tuple(int(s) for s in output_size) if output_size is not None else tuple(
        int(math.floor(float(in_sizes[i]) * scales[i])) for i in range(dim))
    dt = input._data.dtype
    if mode == "area":
        return (adaptive_avg_pool1d if dim == 1 else adaptive_avg_pool2d)(input, out_sizes)
    _check_upsampling(mode, dt, in_sizes, out_sizes)
    if mode in ("nearest", "nearest-exact"):
        mats = tuple(pooling_ops.nearest_matrix(in_sizes[i], out_sizes[i], scales[i], dt, mode == "nearest-exact")
                     for i in range(dim))
    elif mode in ("linear", "bilinear", "trilinear"):
        mats = tuple(pooling_ops.linear_matrix(in_sizes[i], out_sizes[i], scales[i], align_corners, dt)
                     for i in range(dim))
    elif mode == "bicubic":
        taps = tuple(pooling_ops.cubic_taps(in_sizes[i], out_sizes[i], scales[i], align_corners, dt)
                     for i in range(dim))
        return apply(pooling_ops.BICUBIC, input, taps=taps, in_size=tuple(in_sizes))
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


_ALIGN_CORNERS_DEFAULT = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                          "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                          "documentation of grid_sample for details.")
_GRID_MODES = {"bilinear": grid_ops.BILINEAR, "nearest": grid_ops.NEAREST, "bicubic": grid_ops.BICUBIC}
_GRID_PADDINGS = {"zeros": grid_ops.ZEROS, "border": grid_ops.BORDER, "reflection": grid_ops.REFLECTION}
_GRID_SAMPLER = Kernel(["grid_sampler(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, "
                        "bool align_corners)"])
_AFFINE_GRID_GENERATOR = Kernel(["affine_grid_generator(Tensor theta, SymInt[] size, bool align_corners)"])


def _shown(size):
    """``size`` as PyTorch's f-string prints it (a Size as torch.Size)."""
    return size_text(size) if isinstance(size, Size) else f"{size}"


@autocast_rule  # (PyTorch's CPU autocast runs grid_sampler in float32)
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) or (N, C, D, H, W) at the points of ``grid`` (N, H_out, W_out, 2) or
    (N, D_out, H_out, W_out, 3), whose last axis holds (x, y[, z]) in [-1, 1] (GridSampler2DBackward0 /
    GridSampler3DBackward0); 'bilinear', 'nearest' or (4-D only) 'bicubic', padded with 'zeros', 'border' or
    'reflection'."""
    if mode != "bilinear" and mode != "nearest" and mode != "bicubic":
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode != "zeros" and padding_mode != "border" and padding_mode != "reflection":
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warn_at_user_line(_ALIGN_CORNERS_DEFAULT)
        align_corners = False
    args = (input, grid, _GRID_MODES[mode], _GRID_PADDINGS[padding_mode], align_corners)
    args, _ = _GRID_SAMPLER.check(args, {})
    return grid_ops.grid_sampler(*args)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) or (N, D, H, W, 3) of a batch of affine matrices ``theta`` (N, 2, 3) or
    (N, 3, 4) for an output of ``size`` (N, C, H, W) or (N, C, D, H, W), for ``grid_sample``
    (AffineGridGeneratorBackward0)."""
    if align_corners is None:
        warn_at_user_line(_ALIGN_CORNERS_DEFAULT)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got torch.{theta.dtype.name}")
    shape = theta._data.shape
    if len(size) == 4:
        if len(shape) != 3 or shape[-2] != 2 or shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {_shown(size)}. Got "
                             f"{size_text(shape)}.")
        spatial_size = size[-2:]
    elif len(size) == 5:
        if len(shape) != 3 or shape[-2] != 3 or shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {_shown(size)}. Got "
                             f"{size_text(shape)}.")
        spatial_size = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {_shown(size)}.")
    if align_corners and min(spatial_size) == 1:
        warn_at_user_line("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                          "align_corners=True. This is not an intended use case of affine_grid. See the "
                          "documentation of affine_grid for details.")
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {_shown(size)}")
    (theta, size, align_corners), _ = _AFFINE_GRID_GENERATOR.check((theta, size, align_corners), {})
    return grid_ops.affine_grid_generator(theta, size, align_corners)


def _pairs(**sizes):
    """PyTorch's ``_pair`` of each argument, which its im2col and col2im kernels want as exactly two ints."""
    out = []
    for name, v in sizes.items():
        v = pair(v)
        if len(v) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
        out.append(tuple(int(x) for x in v))
    return out


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks as columns: (N, C, H, W) -> (N, C*kh*kw, L) (Im2ColBackward0)."""
    k, d, p, s = _pairs(kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input._data.ndim}D)")
    x = input if input._data.ndim == 4 else input.unsqueeze(0)
    blocks = conv_ops._blocks(x._data.shape[2:], k, d, p, s)
    if any(b <= 0 for b in blocks):
        raise RuntimeError(f"Given input with spatial size {list(x._data.shape[2:])}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as {list(blocks)}, but its "
                           "components must be at least one.")
    return apply(conv_ops.UNFOLD, input, k_hw=k, dilation=d, padding=p, stride=s)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold``: columns summed back into an image (N, C, *output_size) (Col2ImBackward0)."""
    o, k, d, p, s = _pairs(output_size=output_size, kernel_size=kernel_size, dilation=dilation, padding=padding,
                           stride=stride)
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got "
                           f"{input._data.ndim}D)")
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

