"""Max, average and adaptive pooling."""

from __future__ import annotations

import numpy as np

from ...ops import pooling as pooling_ops
from ...ops._op import apply
from ._common import _const, _ntuple, _shape, list_with_default


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


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling (MaxPool2DWithIndicesBackward0); with ``return_indices`` also the flat argmax indices.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.max_pool2d(graphgrad.arange(16.).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    k, s, p, d = _pool_args("max_pool2d", input, kernel_size, stride, padding, dilation)
    kw = dict(k_hw=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode))
    in_hw = input._data.shape[-2:]
    out_hw, _ = pooling_ops._pool_geometry(in_hw, k, s, p, d, ceil_mode)
    _check_pool_output(input, out_hw)
    out = apply(pooling_ops.MAX_POOL, input, **kw)  # (its kernel takes unbatched input too, as PyTorch's)
    if not return_indices:
        return out
    node = out._grad_fn
    masks = node.state if node is not None else pooling_ops.max_pool_np(input._data, **kw)[1]
    idx = pooling_ops.max_pool_indices(masks, in_hw, **kw)  # masks keep a batch axis for unbatched input
    return out, _const(idx if input._data.ndim == 4 else idx[0])


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
    in_hw = input._data.shape[-2:]
    out_hw, _ = pooling_ops._pool_geometry(in_hw, k, s, p, d, ceil_mode)
    _check_pool_output(input, out_hw)
    scale = pooling_ops.avg_pool_divisor(in_hw, k, s, p, ceil_mode, count_include_pad, divisor_override,
                                         input._data.dtype)
    return apply(pooling_ops.AVG_POOL, input, in_hw=in_hw, k_hw=k, stride=s, padding=p, dilation=d,
                 ceil_mode=bool(ceil_mode), scale=scale)  # (unbatched input too, as PyTorch's kernel)


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
}


def _adaptive_sizes(name, input, output_size, nd):
    """The output size as PyTorch's kernel ``name`` gets it: one int for every axis, or one per axis (in 2-D
    PyTorch's Python code first takes the input's size for a None in the list)."""
    if nd == 2:
        output_size = list_with_default(output_size, input.size())
    sizes = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != nd:
        raise RuntimeError(_SIZE_COUNT[name].format(len(sizes)))
    return tuple(int(s) for s in sizes)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (windows ``[floor(i*H/OH), ceil((i+1)*H/OH))``)."""
    oh, ow = _adaptive_sizes("adaptive_avg_pool2d", input, output_size, 2)
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {_shape(input)}")
    h, w = input._data.shape[-2:]
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    dt = input._data.dtype
    mats = (pooling_ops.adaptive_avg_matrix(h, oh, dt), pooling_ops.adaptive_avg_matrix(w, ow, dt))
    return apply(pooling_ops.separable_op("AdaptiveAvgPool2DBackward0"), input, mats=mats)


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


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (AdaptiveMaxPool2DBackward0: a gather of each window's maximum)."""
    oh, ow = _adaptive_sizes("adaptive_max_pool2d", input, output_size, 2)
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got {_shape(input)}")
    h, w = input._data.shape[-2:]
    ih, iw = _adaptive_max_index(h, oh), _adaptive_max_index(w, ow)
    a = input._data
    # candidates (..., OH, OW, KH*KW) in row-major window order; the first maximum wins as in PyTorch
    flat = (ih[:, None, :, None] * w + iw[None, :, None, :]).reshape(oh, ow, -1)
    cand = a.reshape(a.shape[:-2] + (h * w,))[..., flat]
    pick = np.take_along_axis(flat.reshape((1,) * (a.ndim - 2) + flat.shape),
                              cand.argmax(-1)[..., None], axis=-1)[..., 0]
    pick = np.broadcast_to(pick, a.shape[:-2] + (oh, ow)).astype(np.int64)
    pick = np.ascontiguousarray(pick)
    out = apply(pooling_ops.ADAPTIVE_MAX_POOL, input, idx=pick)
    return (out, _const(pick)) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    (o,) = _adaptive_sizes("adaptive_max_pool1d", input, output_size, 1)
    res = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)

