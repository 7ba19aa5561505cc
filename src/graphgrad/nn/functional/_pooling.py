"""Max, average and adaptive pooling."""

from __future__ import annotations

import math

import numpy as np

import graphgrad

from ..._core.fp_errors import quietly
from ..._dtype import is_float_np
from ...ops import pooling as pooling_ops
from ...ops._op import _torch_name, apply
from ._activation import relu
from ._common import _const, _ntuple, _shape, list_with_default, ntuple_parser


# --- pooling --------------------------------------------------------------------------------------
def _pool_args(name, input, kernel_size, stride, padding, dilation, nd=2):
    if input._data.ndim not in (nd + 1, nd + 2) or input._data.size == 0:
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    k = _ntuple(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _ntuple(stride, nd)
    p = _ntuple(padding, nd)
    d = _ntuple(dilation, nd)
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got {list(k)}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{name}: stride must be greater than zero, but got {list(s)}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{name}: dilation must be greater than zero, but got {list(d)}")
    for i in range(nd):
        if p[i] < 0 or p[i] > ((k[i] - 1) * d[i] + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
    return k, s, p, d


def _check_pool_output(x, out_hw):
    if any(o <= 0 for o in out_hw):
        c, h, w = x._data.shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out_hw[0]}x{out_hw[1]}). "
                           "Output size is too small")


def _max_pool(input, nd, k, s, p, d, ceil_mode, return_indices):
    """Max pooling over the last ``nd`` axes, its arguments checked; with ``return_indices`` also the flat
    argmax indices in each plane (volume)."""
    kw = dict(k_hw=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode))
    out = apply(pooling_ops.MAX_POOL[nd], input, **kw)  # (its kernel takes unbatched input too, as PyTorch's)
    if not return_indices:
        return out
    node = out._grad_fn
    masks = node.state if node is not None else pooling_ops.max_pool_np(input._data, **kw)[1]
    idx = pooling_ops.max_pool_indices(masks, input._data.shape[-nd:], **kw)  # masks keep a batch axis
    return out, _const(idx if input._data.ndim == nd + 2 else idx[0])


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling (MaxPool2DWithIndicesBackward0); with ``return_indices`` also the flat argmax indices.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.max_pool2d(graphgrad.arange(16.).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    k, s, p, d = _pool_args("max_pool2d", input, kernel_size, stride, padding, dilation)
    out_hw, _ = pooling_ops._pool_geometry(input._data.shape[-2:], k, s, p, d, ceil_mode)
    _check_pool_output(input, out_hw)
    return _max_pool(input, 2, k, s, p, d, ceil_mode, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L) (computed as 2-D pooling of height 1, as PyTorch does)."""
    k, s, p, d = _pool_args("max_pool1d", input, kernel_size, stride, padding, dilation, nd=1)
    res = max_pool2d(input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0]), ceil_mode, return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling (AvgPool2DBackward0) with PyTorch's divisor rules."""
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("Dimension specified as -3 but tensor has no dimensions")
    if nd < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got -3)")
    if nd > 4:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
                           f"{list(input._data.shape)}")
    k, s, p, d = _pool_args("avg_pool2d", input, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out_hw, _ = pooling_ops._pool_geometry(input._data.shape[-2:], k, s, p, d, ceil_mode)
    _check_pool_output(input, out_hw)
    return _avg_pool(input, 2, k, s, p, ceil_mode, count_include_pad, divisor_override)


def _avg_pool(input, nd, k, s, p, ceil_mode, count_include_pad, divisor_override):
    """Average pooling over the last ``nd`` axes, its arguments checked."""
    in_hw = input._data.shape[-nd:]
    scale = pooling_ops.avg_pool_divisor(in_hw, k, s, p, ceil_mode, count_include_pad, divisor_override,
                                         input._data.dtype)
    return apply(pooling_ops.AVG_POOL[nd], input, in_hw=in_hw, k_hw=k, stride=s, padding=p, dilation=(1,) * nd,
                 ceil_mode=bool(ceil_mode), scale=scale)  # (unbatched input too, as PyTorch's kernel)


def _pool3d_args(name, input, kernel_size, stride, padding, dilation, ceil_mode, avg=False, divisor_override=None):
    """max_pool3d's and avg_pool3d's arguments as tuples, with PyTorch's checks in PyTorch's order (the output
    size of each axis, then the 3-D shape check)."""
    if input._data.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if avg and divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k = _ntuple(kernel_size, 3)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _ntuple(stride, 3)
    p, d = _ntuple(padding, 3), _ntuple(dilation, 3)
    for i in range(3):
        if s[i] == 0:
            raise RuntimeError("stride should not be zero")
        if p[i] < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p[i]}")
        if p[i] > int(((k[i] - 1) * d[i] + 1) / 2):  # (C++'s division, toward zero)
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} kH: {k[1]} kW: {k[2]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} dH: {s[1]} dW: {s[2]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} dilationH: {d[1]} "
                           f"dilationW: {d[2]}")
    shape = input._data.shape
    for n in shape[len(shape) - 4:]:  # (PyTorch names the length, not the dimension)
        if n <= 0:
            raise RuntimeError(f"{name}(): Expected input's non-batch dimensions to have positive length, but input "
                               f"has a shape of {list(shape)} and non-batch dimension {n} has length zero!")
    t, h, w = shape[-3:]
    if avg and (t < k[0] or h < k[1] or w < k[2]):
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size (kT: {k[0]} kH: {k[1]} "
                           f"kW: {k[2]})")
    if any(k[i] // 2 < p[i] for i in range(3)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {k[0]} "
                           f"kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}")
    out, _ = pooling_ops._pool_geometry(shape[-3:], k, s, p, d, ceil_mode)
    if min(out) < 1:
        c = shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{t}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")
    return k, s, p, d


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) (MaxPool3DWithIndicesBackward0)."""
    k, s, p, d = _pool3d_args("max_pool3d_with_indices_out_cpu_template", input, kernel_size, stride, padding,
                              dilation, ceil_mode)
    return _max_pool(input, 3, k, s, p, d, ceil_mode, return_indices)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W) (AvgPool3DBackward0)."""
    k, s, p, _ = _pool3d_args("avg_pool3d", input, kernel_size, stride, padding, 1, ceil_mode, avg=True,
                              divisor_override=divisor_override)
    return _avg_pool(input, 3, k, s, p, ceil_mode, count_include_pad, divisor_override)


# PyTorch publishes these names as the pooling functions with return_indices set
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L)."""
    k, s, p, _ = _pool_args("avg_pool1d", input, kernel_size, stride, padding, 1, nd=1)
    return avg_pool2d(input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode,
                      count_include_pad).squeeze(-2)


# what PyTorch's kernels say to an output size of another length
_SIZE_COUNT = {
    "adaptive_avg_pool1d": "adaptive_avg_pool1d() argument 'output_size' should contain one int (got {})",
    "adaptive_max_pool1d": "adaptive_max_pool1d() argument 'output_size' should contain one int (got {})",
    "adaptive_avg_pool2d": "adaptive_avg_pool2d: output_size must be 2",
    "adaptive_max_pool2d": "adaptive_max_pool2d(): internal error: output_size.size() must be 2",
    "adaptive_avg_pool3d": "adaptive_avg_pool3d: output_size must be 3",
    "adaptive_max_pool3d": "adaptive_max_pool3d(): internal error: output_size.size() must be 3",
}


def _adaptive_sizes(name, input, output_size, nd):
    """The output size as PyTorch's kernel ``name`` gets it: one int for every axis, or one per axis (in 2-D
    PyTorch's Python code first takes the input's size for a None in the list)."""
    if nd > 1:
        output_size = list_with_default(output_size, input.size())
    sizes = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != nd:
        raise RuntimeError(_SIZE_COUNT[name].format(len(sizes)))
    return tuple(int(s) for s in sizes)


def _adaptive_avg_pool(input, output_size, nd):
    """Average pooling of the last ``nd`` axes to a fixed output size (windows ``[floor(i*H/OH),
    ceil((i+1)*H/OH))``)."""
    name = f"adaptive_avg_pool{nd}d"
    sizes = _adaptive_sizes(name, input, output_size, nd)
    if input._data.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {_shape(input)}")
    if all(o == 1 for o in sizes):
        return input.mean(tuple(range(-nd, 0)), keepdim=True)  # as PyTorch computes (and records) it
    shape, dt = input._data.shape, input._data.dtype
    for d in range(len(shape) - nd, len(shape)):  # (PyTorch's kernel checks the window axes, then the dtype)
        if shape[d] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(shape)} with dimension {d} being empty")
    if not is_float_np(dt):
        kernel = "adaptive_avg_pool3d_cpu" if nd == 3 else name
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt)}\'')
    mats = tuple(pooling_ops.adaptive_avg_matrix(n, o, dt) for n, o in zip(input._data.shape[-nd:], sizes))
    return apply(pooling_ops.separable_op(f"AdaptiveAvgPool{nd}DBackward0"), input, mats=mats)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (windows ``[floor(i*H/OH), ceil((i+1)*H/OH))``)."""
    return _adaptive_avg_pool(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size."""
    return _adaptive_avg_pool(input, output_size, 3)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling over the last axis to ``output_size`` positions."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {_shape(input)}")
    (o,) = _adaptive_sizes("adaptive_avg_pool1d", input, output_size, 1)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)  # as PyTorch computes (and records) it


def _adaptive_max_index(n_in, n_out):
    """(n_out, kmax) input positions of each adaptive window (short windows repeat their last position)."""
    o = np.arange(n_out)
    start = (o * n_in) // n_out
    end = -((-(o + 1) * n_in) // n_out)
    kmax = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)


def _adaptive_max_pool(input, output_size, return_indices, nd):
    """Max pooling of the last ``nd`` axes to a fixed output size (AdaptiveMaxPool2DBackward0 in 2-D: a gather
    of each window's maximum)."""
    name = f"adaptive_max_pool{nd}d"
    sizes = _adaptive_sizes(name, input, output_size, nd)
    if input._data.ndim not in (nd + 1, nd + 2):
        got = "but got:" if nd == 3 else "but got"  # (PyTorch's 3-D text has the colon, its 2-D one not)
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, {got} {_shape(input)}")
    a = input._data
    idx = _first_max_index(a, [_adaptive_max_index(n, o) for n, o in zip(a.shape[-nd:], sizes)])
    out = apply(pooling_ops.ADAPTIVE_MAX_POOL[nd], input, idx=idx)
    return (out, _const(idx)) if return_indices else out


def _first_max_index(a, positions):
    """The flat index in its plane (volume) of the first maximum of each window over ``a``'s last
    ``len(positions)`` axes, as PyTorch picks it: ``positions[i]`` (..., O_i, K_i) holds each window's input
    positions along axis i, the same for every plane or one set per plane (leading axes as ``a``'s)."""
    nd = len(positions)
    lead = a.shape[:-nd]
    flat = 0
    for i, (n, pos) in enumerate(zip(a.shape[-nd:], positions)):
        at = [1] * (2 * nd)
        at[i], at[nd + i] = pos.shape[-2:]  # (the output axis, the window axis)
        flat = flat * n + pos.reshape(pos.shape[:-2] + tuple(at))
    out = tuple(pos.shape[-2] for pos in positions)
    window = math.prod(pos.shape[-1] for pos in positions)
    flat = flat.reshape(flat.shape[:-2 * nd] + out + (window,))
    # candidates (..., *out, K) in row-major window order; the first maximum wins, or the last NaN (PyTorch's
    # loop takes a later element where it is greater or NaN)
    planes = a.reshape(lead + (-1,))
    if flat.ndim == nd + 1:  # the same windows in every plane
        cand = planes[..., flat]
    else:
        cand = np.take_along_axis(planes, flat.reshape(lead + (-1,)), -1).reshape(lead + flat.shape[-nd - 1:])
    flat = np.broadcast_to(flat, cand.shape)
    pick = cand.argmax(-1)
    if cand.dtype.kind == "f":
        nan = np.isnan(cand)
        if nan.any():
            pick = np.where(nan.any(-1), window - 1 - nan[..., ::-1].argmax(-1), pick)
    return np.ascontiguousarray(np.take_along_axis(flat, pick[..., None], -1)[..., 0], np.int64)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (AdaptiveMaxPool2DBackward0: a gather of each window's maximum)."""
    return _adaptive_max_pool(input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size (AdaptiveMaxPool3DBackward0)."""
    return _adaptive_max_pool(input, output_size, return_indices, 3)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    (o,) = _adaptive_sizes("adaptive_max_pool1d", input, output_size, 1)
    res = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)


# --- power-average pooling: PyTorch composes it in Python, and so the graph is the same -----------
def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    max_pool, avg_pool = {1: (max_pool1d, avg_pool1d), 2: (max_pool2d, avg_pool2d), 3: (max_pool3d, avg_pool3d)}[nd]
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    size = kernel_size if nd == 1 else math.prod(_ntuple(kernel_size, nd))
    return (graphgrad.sign(out) * relu(graphgrad.abs(out))).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling: (sum of x**p over each window) ** (1/p)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling: (sum of x**p over each window) ** (1/p)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-D power-average pooling: (sum of x**p over each window) ** (1/p)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


# --- max unpooling ----------------------------------------------------------------------------------
def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """PyTorch's Python rule for the output size: the pooled size's inverse, or ``output_size`` within a stride
    of it."""
    nd = len(kernel_size)
    input_size = input._data.shape
    default = [(input_size[-nd + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(nd)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(nd):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
        ret = output_size
    for d in range(nd):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return tuple(int(v) for v in ret)


def _max_unpool(nd, input, indices, output_size, stride=None):
    """PyTorch's max_unpool{nd}d kernel (MaxUnpool{nd}DBackward0), with its checks."""
    idx = indices._data
    if idx.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64" +
                           (f" but got: {_torch_name(idx.dtype)}" if nd == 2 else ""))
    shape = input._data.shape
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a tensor "
                           f"with {len(shape)} dimensions.")
    if idx.shape != shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(shape)}) but "
                           f"got indices tensor with shape: {list(idx.shape)}")
    if stride is not None and min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    bad = (idx < 0) | (idx >= math.prod(output_size))
    if bad.any():  # (PyTorch's loop keeps the last one it meets)
        raise RuntimeError(f"Found an invalid max index: {idx[bad][-1]} (output volumes are of size "
                           f"{'x'.join(map(str, output_size))})")
    return apply(pooling_ops.MAX_UNPOOL[nd], input, idx=idx, out_size=output_size)


def _unpool_args(nd, input, kernel_size, stride, padding, output_size):
    k = _ntuple(kernel_size, nd)
    s = k if stride is None else _ntuple(stride, nd)
    p = _ntuple(padding, nd)
    return s, p, _unpool_output_size(input, k, s, p, output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: each value written back at its index, zeros elsewhere."""
    _, _, size = _unpool_args(1, input, kernel_size, stride, padding, output_size)
    return _max_unpool(2, input.unsqueeze(-1), indices.unsqueeze(-1), size + (1,)).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: each value written back at its index, zeros elsewhere."""
    _, _, size = _unpool_args(2, input, kernel_size, stride, padding, output_size)
    return _max_unpool(2, input, indices, size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d: each value written back at its index, zeros elsewhere."""
    s, _, size = _unpool_args(3, input, kernel_size, stride, padding, output_size)
    return _max_unpool(3, input, indices, size, stride=s)


# --- fractional max pooling: windows of a fixed size at pseudo-random starts ----------------------
@quietly  # (samples of NaN or inf give PyTorch's kernel some window silently)
def _fractional_max_pool(nd, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    """PyTorch's fractional_max_pool{nd}d: its Python code (the output size, the samples drawn with ``rand`` from
    the default generator, so a seed gives PyTorch's windows) and its kernel's checks and windows."""
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = ntuple_parser(nd)(output_ratio)
        output_size = [int(input.size(i - nd) * ratio[i]) for i in range(nd)]
    if _random_samples is None:
        n_batch = 1 if input.dim() == nd + 1 else input.size(0)
        _random_samples = graphgrad.rand(n_batch, input.size(-nd - 1), nd, dtype=input.dtype)
    k, out = _ntuple(kernel_size, nd), _ntuple(output_size, nd)
    a, samples = input._data, _random_samples._data
    kernel = f"{name}()" if nd == 2 else "fractional_max_pool3d_out()"
    # (PyTorch's 3-D kernel checks time, width, height and wants one more input element than its 2-D one)
    checks = ((0, "height"), (1, "width")) if nd == 2 else ((0, "time"), (2, "width"), (1, "height"))
    for i, axis in checks:
        n = a.shape[a.ndim - nd + i]
        if out[i] + k[i] - 1 > n - (nd == 3):
            raise RuntimeError(f"{kernel}: pool {axis} {k[i]} too large relative to input {axis} {n}")
    if samples.dtype != a.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    if samples.shape[0] < (a.shape[0] if a.ndim == nd + 2 else 1):
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != a.shape[-nd - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}.")
    planes = samples[:a.shape[0]] if a.ndim == nd + 2 else samples[0]
    # the samples' columns by axis: (W, H) in 2-D, (T, H, W) in 3-D, as PyTorch's kernels read them
    columns = (1, 0) if nd == 2 else (0, 1, 2)
    positions = [pooling_ops.fractional_starts(planes[..., c], n, o, kk)[..., None] + np.arange(kk)
                 for c, n, o, kk in zip(columns, a.shape[-nd:], out, k)]
    idx = _first_max_index(a, positions)
    res = apply(pooling_ops.FRACTIONAL_MAX_POOL[nd], input, idx=idx)
    return (res, _const(idx)) if return_indices else res


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Max pooling over windows of ``kernel_size`` at pseudo-random starts (Graham's fractional max pooling)."""
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """3-D fractional max pooling over (N, C, D, H, W) or (C, D, H, W)."""
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, True, _random_samples)
