"""graphgrad.nn.functional: PyTorch's ``torch.nn.functional`` on graphgrad tensors.

Same signatures, defaults, output dtypes, grad_fn names (where practical) and error texts as PyTorch.
Convolution, pooling, normalisation, the losses and most activations are primitives of the op modules
``conv``, ``pooling``, ``normalization``, ``activation`` and ``loss`` (vectorised NumPy forwards, derivatives in
graphgrad ops); the rest is composed from ordinary differentiable ops, so gradients of any order work everywhere.

>>> import graphgrad
>>> import graphgrad.nn.functional as F
>>> x = graphgrad.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
>>> loss = F.cross_entropy(x, graphgrad.tensor([2]))
>>> loss.grad_fn.name()
'NllLossBackward0'
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import graphgrad

from .._dtype import is_float_np
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops import activation as _activation
from ..ops import conv as _conv
from ..ops import loss as _loss
from ..ops import normalization as _norm
from ..ops import pooling as _pooling
from ..ops._op import _torch_name, apply, apply_inplace
from .attention import cpu_kernel_enabled

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "alpha_dropout",
    "avg_pool1d", "avg_pool2d", "batch_norm", "bilinear", "binary_cross_entropy", "conv3d", "conv_transpose3d",
    "binary_cross_entropy_with_logits", "celu", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "elu", "embedding", "feature_alpha_dropout", "gaussian_nll_loss", "gelu", "glu", "group_norm", "hardshrink",
    "hardsigmoid", "hardswish", "hardtanh", "hardtanh_", "hinge_embedding_loss", "huber_loss", "interpolate",
    "kl_div", "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_", "linear", "log_softmax", "logsigmoid",
    "margin_ranking_loss", "max_pool1d", "max_pool2d", "mish", "mse_loss", "multilabel_soft_margin_loss",
    "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance", "pixel_shuffle", "pixel_unshuffle",
    "poisson_nll_loss", "prelu", "relu", "relu6", "relu_", "elu_", "selu", "sigmoid", "silu", "smooth_l1_loss",
    "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh", "tanhshrink",
    "threshold", "threshold_", "triplet_margin_loss", "upsample", "upsample_bilinear", "upsample_nearest",
    "unfold", "fold", "scaled_dot_product_attention", "rms_norm", "gumbel_softmax", "instance_norm",
    "local_response_norm",
]


def _const(arr):
    return Tensor._make(arr, False, None)


def _ntuple(v, n, name="value"):
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and n > 1:
            return tuple(int(v[0]) for _ in range(n))
        return tuple(int(i) for i in v)
    return (int(v),) * n


def _shape(t):
    return list(t._data.shape)


def _torch_dtype_name(t):
    return {"float32": "float", "float64": "double", "float16": "half"}.get(t._data.dtype.name, t._data.dtype.name)


def _TorchSize(shape):
    return f"torch.Size({list(shape)})"


# --- reductions of the losses ---------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction, emit=True):
    """PyTorch's ``size_average`` / ``reduce`` arguments mapped to a ``reduction`` string."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    if emit:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _apply_reduction(loss, reduction):
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# --- linear ---------------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (AddmmBackward0 for 2-D input, as PyTorch records it).

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.linear(graphgrad.ones(2, 3), graphgrad.ones(4, 3), graphgrad.zeros(4)).shape
    graphgrad.Size([2, 4])
    """
    x = input
    lead = x._data.shape[:-1]
    out_f = weight._data.shape[0] if weight._data.ndim == 2 else 1
    if bias is not None and bias._data.shape != (out_f,):  # the usual bias needs no broadcasting check
        try:
            np.broadcast_shapes(bias._data.shape, (out_f,))
            ok = np.broadcast_shapes(bias._data.shape, (max(int(np.prod(lead)), 1), out_f)) == \
                (max(int(np.prod(lead)), 1), out_f)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"The expanded size of the tensor ({out_f}) must match the existing size "
                f"({bias._data.shape[-1] if bias._data.ndim else 1}) at non-singleton dimension "
                f"{1 if x._data.ndim > 1 else 0}.  Target sizes: {list(lead) + [out_f]}.  Tensor sizes: "
                f"{_shape(bias)}"
            )
    if x._data.ndim == 2:
        return graphgrad.addmm(bias, x, weight.t()) if bias is not None else x.matmul(weight.t())
    if x._data.ndim == 1 or x._data.ndim > 2:
        x2 = x.reshape(-1, x._data.shape[-1]) if x._data.ndim > 2 else x.unsqueeze(0)
        out = graphgrad.addmm(bias, x2, weight.t()) if bias is not None else x2.matmul(weight.t())
        return out.reshape(tuple(lead) + (out.shape[-1],))
    raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and "
                       f"{weight._data.ndim}D")


def bilinear(input1, input2, weight, bias=None):
    """``out[..., o] = input1 @ weight[o] @ input2 + bias[o]``."""
    s1, s2 = input1._data.shape, input2._data.shape
    if s1[:-1] != s2[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(s1[:-1])} and "
                           f"{list(s2[:-1])}")
    o, i1, i2 = weight._data.shape
    if s1[-1] != i1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {s1[-1]} but expected {i1}")
    if s2[-1] != i2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {s2[-1]} but expected {i2}")
    x1 = input1.reshape(-1, i1)
    x2 = input2.reshape(-1, i2)
    t = (x1 @ weight.permute(1, 0, 2).reshape(i1, o * i2)).reshape(-1, o, i2)
    out = (t * x2.unsqueeze(1)).sum(-1).reshape(tuple(s1[:-1]) + (o,))
    return out + bias if bias is not None else out


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


def _conv_checks(name, x, weight, bias, groups, nd, transposed):
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
        raise RuntimeError(f"Input type ({_torch_dtype_name(x)}) and bias type ({_torch_dtype_name(bias)}) should be "
                           "the same")


def _conv_args(name, nd, input, weight, bias, stride, padding, dilation, groups):
    """PyTorch's checks of a convolution's arguments; returns (batched input, stride, dilation, pads)."""
    _conv_checks(name, input, weight, bias, groups, nd, False)
    stride, dilation = _ntuple(stride, nd), _ntuple(dilation, nd)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
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
    out = _conv.conv(x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups, nd=nd)
    return out if input._data.ndim == nd + 2 else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over (N, C, L) or (C, L); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


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
    _conv_checks(name, input, weight, bias, groups, nd, True)
    stride, dilation = _ntuple(stride, nd), _ntuple(dilation, nd)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
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
    out = _conv.conv_transpose(x, weight, bias, in_hw=out_hw, stride=stride, padding=pads, dilation=dilation,
                             groups=groups, nd=nd)
    return out if input._data.ndim == nd + 2 else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution (the gradient of conv1d with respect to its input)."""
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution; weight is (C_in, C_out / groups, kH, kW)."""
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


# --- pooling --------------------------------------------------------------------------------------
def _pool_args(name, input, kernel_size, stride, padding, dilation, nd=2):
    if input._data.ndim not in (nd + 1, nd + 2) or input._data.size == 0:
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    k = _ntuple(kernel_size, nd)
    s = _ntuple(stride, nd) if stride not in (None, [], ()) else k
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
    x = input if input._data.ndim == 4 else input.unsqueeze(0)
    kw = dict(k_hw=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode))
    out_hw, _ = _pooling._pool_geometry(x._data.shape[2:], k, s, p, d, ceil_mode)
    _check_pool_output(x, out_hw)
    out = apply(_pooling.MAX_POOL, x, **kw)
    if return_indices:
        node = out._grad_fn
        args = node.state if node is not None else _pooling.max_pool_np(x._data, **kw)[1]
        idx = _const(_pooling.max_pool_indices(args, x._data.shape[2:], **kw))
    if input._data.ndim == 3:
        out = out.squeeze(0)
        if return_indices:
            idx = idx.squeeze(0)
    return (out, idx) if return_indices else out


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
    x = input if input._data.ndim == 4 else input.unsqueeze(0)
    in_hw = x._data.shape[2:]
    out_hw, _ = _pooling._pool_geometry(in_hw, k, s, p, d, ceil_mode)
    _check_pool_output(x, out_hw)
    scale = _pooling.avg_pool_divisor(in_hw, k, s, p, ceil_mode, count_include_pad, divisor_override, x._data.dtype)
    out = apply(_pooling.AVG_POOL, x, in_hw=in_hw, k_hw=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode),
                scale=scale)
    return out if input._data.ndim == 4 else out.squeeze(0)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L)."""
    k, s, p, _ = _pool_args("avg_pool1d", input, kernel_size, stride, padding, 1, nd=1)
    return avg_pool2d(input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode,
                      count_include_pad).squeeze(-2)


def _adaptive_sizes(input, output_size, nd):
    sizes = _ntuple(output_size, nd) if not isinstance(output_size, (list, tuple)) else tuple(output_size)
    if len(sizes) != nd:
        raise ValueError(f"adaptive pooling: output_size must be {nd}-dimensional, got {output_size}")
    in_sizes = input._data.shape[-nd:]
    return tuple(in_sizes[i] if sizes[i] is None else int(sizes[i]) for i in range(nd))


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (windows ``[floor(i*H/OH), ceil((i+1)*H/OH))``)."""
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {_shape(input)}")
    oh, ow = _adaptive_sizes(input, output_size, 2)
    h, w = input._data.shape[-2:]
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    dt = input._data.dtype
    mats = (_pooling.adaptive_avg_matrix(h, oh, dt), _pooling.adaptive_avg_matrix(w, ow, dt))
    return apply(_pooling.separable_op("AdaptiveAvgPool2DBackward0"), input, mats=mats)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling over the last axis to ``output_size`` positions."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {_shape(input)}")
    (o,) = _adaptive_sizes(input, output_size, 1)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)  # as PyTorch computes (and records) it


def _adaptive_max_index(n_in, n_out):
    """(n_out, kmax) input positions of each adaptive window (short windows repeat their last position)."""
    o = np.arange(n_out)
    start = (o * n_in) // n_out
    end = -((-(o + 1) * n_in) // n_out)
    kmax = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size; composed as a gather of the maxima (GatherBackward0)."""
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got {_shape(input)}")
    oh, ow = _adaptive_sizes(input, output_size, 2)
    h, w = input._data.shape[-2:]
    ih, iw = _adaptive_max_index(h, oh), _adaptive_max_index(w, ow)
    a = input._data
    # candidates (..., OH, OW, KH*KW) in row-major window order; the first maximum wins as in PyTorch
    flat = (ih[:, None, :, None] * w + iw[None, :, None, :]).reshape(oh, ow, -1)
    cand = a.reshape(a.shape[:-2] + (h * w,))[..., flat]
    pick = np.take_along_axis(flat.reshape((1,) * (a.ndim - 2) + flat.shape),
                              cand.argmax(-1)[..., None], axis=-1)[..., 0]
    pick = np.broadcast_to(pick, a.shape[:-2] + (oh, ow)).astype(np.int64)
    idx = _const(np.ascontiguousarray(pick))
    out = input.flatten(-2).gather(-1, idx.flatten(-2)).reshape(a.shape[:-2] + (oh, ow))
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    (o,) = _adaptive_sizes(input, output_size, 1)
    res = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


# --- normalisation --------------------------------------------------------------------------------
def _bump(t):
    t._bump_version()


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-05):
    """Batch normalisation over all axes but 1 (NativeBatchNormBackward0).

    In training, the batch statistics normalise and the running ones are updated in place:
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased).
    """
    x = input
    if x._data.ndim < 2:
        raise ValueError(f"expected 2D or 3D input (got {x._data.ndim}D input)")
    c = x._data.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")
    if training:
        n = x._data.size // c
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_TorchSize(x._data.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    axes = (0,) + tuple(range(2, x._data.ndim))
    affine = (1, c) + (1,) * (x._data.ndim - 2)
    if training:
        mean, var = _norm._moments(x._data, axes)
        stats = (mean, 1.0 / np.sqrt(var + eps))
        if running_mean is not None and momentum is not None:
            with no_grad():
                rm = running_mean._data
                rm[...] = ((1 - momentum) * rm + momentum * mean.reshape(-1)).astype(rm.dtype)
                _bump(running_mean)
        if running_var is not None and momentum is not None:
            with no_grad():
                rv = running_var._data
                unbiased = var.reshape(-1) * (n / (n - 1))
                rv[...] = ((1 - momentum) * rv + momentum * unbiased).astype(rv.dtype)
                _bump(running_var)
        fixed = False
    else:
        rm = running_mean._data.astype(np.float64).reshape(affine)
        rv = running_var._data.astype(np.float64).reshape(affine)
        stats = (rm, 1.0 / np.sqrt(rv + eps))
        fixed = True
    return _norm.normalize_op(_norm.BATCH_NORM, x, weight, bias, stat_shape=x._data.shape, axes=axes,
                            affine_shape=affine, eps=eps, stats=stats if fixed else None,
                            **({} if fixed else {"precomputed": stats}))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Normalisation of each sample's channels over their spatial axes (group norm with one channel per group).

    With ``use_input_stats`` the running statistics (if given) move towards the batch average of the
    per-instance mean and unbiased variance; without, they normalise, as batch_norm's eval mode does.
    """
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    shape = input._data.shape
    spatial = int(np.prod(shape[2:]))
    if spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {_TorchSize(shape)}")
    n, c = shape[:2]
    per_channel = (1, c) + (1,) * (len(shape) - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {t._data.size * n}")
    axes = tuple(range(2, len(shape)))
    with no_grad():
        if running_mean is not None:
            rm = running_mean._data
            batch_mean = input._data.mean(axes).mean(0)
            rm[...] = ((1 - momentum) * rm + momentum * batch_mean).astype(rm.dtype)
            _bump(running_mean)
        if running_var is not None:
            rv = running_var._data
            batch_var = input._data.var(axes, ddof=1).mean(0)
            rv[...] = ((1 - momentum) * rv + momentum * batch_var).astype(rv.dtype)
            _bump(running_var)
    out = group_norm(input.reshape((1, n * c) + shape[2:]), n * c, None, None, eps).reshape(shape)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    return out + bias.reshape(per_channel) if bias is not None else out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalisation over the trailing ``normalized_shape`` axes (NativeLayerNormBackward0)."""
    ns = (int(normalized_shape),) if isinstance(normalized_shape, numbers.Integral) else tuple(
        int(s) for s in normalized_shape)
    shape = input._data.shape
    k = len(ns)
    if tuple(shape[len(shape) - k:]) != ns or len(shape) < k:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{_shape(t)} and normalized_shape = {list(ns)}")
    lead = shape[:len(shape) - k]
    stat_shape = tuple(lead) + (int(np.prod(ns)) if ns else 1,)
    return _norm.normalize_op(_norm.LAYER_NORM, input, weight, bias, stat_shape=stat_shape, axes=(-1,),
                            affine_shape=ns, eps=eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalisation over each group of ``C / num_groups`` channels and the spatial axes."""
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {len(shape)}")
    n, c = shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.shape[0] != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {_shape(t)} and input of shape {list(shape)}")
    stat_shape = (n, num_groups, input._data.size // max(n * num_groups, 1))
    return _norm.normalize_op(_norm.GROUP_NORM, input, weight, bias, stat_shape=stat_shape, axes=(-1,),
                            affine_shape=(1, c) + (1,) * (len(shape) - 2), eps=eps)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalisation by the sum of squares of ``size`` neighbouring channels."""
    d = input._data.ndim
    if d < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {d} dimensions)")
    div = (input * input).unsqueeze(1)
    if d == 3:
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        s = input._data.shape
        div = div.reshape(s[0], 1, s[1], s[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = div.reshape(s[0], 1, s[1] + size - 1, -1)
        div = avg_pool2d(div, (size, 1), stride=1).reshape(s)
        div = div.reshape(s) if div.shape != s else div
    div = (div * alpha + k) ** beta
    return input / div


# --- dropout --------------------------------------------------------------------------------------
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep(shape, p):
    """PyTorch's dropout noise: ``empty(shape).bernoulli_(1 - p)``, i.e. ``u53 < 1 - p`` per element."""
    from .. import _random_kernels as K
    from ..random import generator_or_default

    return K.bernoulli_scalar(generator_or_default(None), math.prod(shape), 1 - p).reshape(shape)


def _mask(shape, p, dtype):
    if p == 1:
        return np.zeros(shape, dtype)
    # noise.div_(1 - p): the kept ones divided in the tensor's dtype
    return (_keep(shape, p).astype(dtype) / np.asarray(1 - p, dtype)).astype(dtype)


def _dropout(input, p, training, inplace, mask_shape):
    _check_p(p)
    if not training or p == 0 and not inplace or input._data.size == 0:
        return input
    mask = _const(_mask(mask_shape, p, input._data.dtype))
    return input.mul_(mask) if inplace else input * mask


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (in training)."""
    return _dropout(input, p, training, inplace, input._data.shape)


def _feature_dropout(input, p, training, inplace, nd):
    shape = input._data.shape
    batched = len(shape) == nd + 2
    mask_shape = shape[:2] + (1,) * nd if batched else shape[:1] + (1,) * nd
    return _dropout(input, p, training, inplace, mask_shape)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input._data.ndim}D input. Note "
                           "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
                           "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input (a 3-D input is treated as (N, C, L), with PyTorch's warning)."""
    _check_p(p)
    d = input._data.ndim
    if d not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {d}-D input to dropout2d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            "dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if d == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
            "instead.", stacklevel=2)
    shape = input._data.shape
    mask_shape = shape[:2] + (1,) * (d - 2) if d >= 2 else shape
    return _dropout(input, p, training, inplace, mask_shape)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    return _feature_dropout(input, p, training, inplace, 3)


def _alpha_dropout(input, p, training, inplace, mask_shape):
    """PyTorch's alpha dropout: with ``noise = bernoulli(1 - p)``,
    ``x * noise * a + (noise - 1) * alpha * a + alpha * a * p``."""
    _check_p(p)
    if not training or p == 0 or input._data.size == 0:
        return input
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    dt = input._data.dtype
    alpha = 1.7580993408473766
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    noise = _keep(mask_shape, p).astype(dt)
    shift = ((noise - dt.type(1)) * dt.type(alpha * a) + dt.type(alpha * a * p)).astype(dt)
    scale = (noise * dt.type(a)).astype(dt)
    out = input * _const(scale) + _const(shift)
    return input.copy_(out) if inplace else out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's self-normalisation (mean and variance preserved)."""
    return _alpha_dropout(input, p, training, inplace, input._data.shape)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels."""
    shape = input._data.shape[:2] + (1,) * (input._data.ndim - 2)
    return _alpha_dropout(input, p, training, inplace, shape)


# --- embedding, one_hot, pad, pixel shuffle, interpolation ----------------------------------------
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` at the indices ``input``; no gradient flows to row ``padding_idx``."""
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but "
            f"got graphgrad.{input.dtype._legacy} instead (while "
            "checking arguments for embedding)")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    idx = input._data.astype(np.int64, copy=False)
    if idx.size and (idx.max() >= num or idx.min() < 0):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        rows = np.unique(idx)
        with no_grad():
            w = weight._data
            norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
            big = norms > max_norm
            w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
            weight._bump_version()
    return apply(_norm.EMBEDDING, weight, idx=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with ``num_classes`` (max + 1 by default) in a new last dimension."""
    a = tensor._data
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == np.arange(num_classes)).astype(np.int64)
    return _const(out)


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
        return apply(_norm.CONSTANT_PAD, input, pads=pairs, value=0.0 if value is None else value)
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
    name = {"reflect": f"ReflectionPad{nd}DBackward0", "replicate": f"ReplicationPad{nd}DBackward0",
            "circular": "CopySlices"}[mode]
    return apply(_norm.index_pad_op(name), input, idxs=idxs, sizes=tuple(shape[first:]))


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    shape = input._data.shape
    if len(shape) < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(shape)} dimension(s)")
    if shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={shape[-3]} is not divisible by {r * r}")
    return apply(_norm.PIXEL_SHUFFLE, input, r=r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    shape = input._data.shape
    if len(shape) < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(shape)} dimension(s)")
    for name, i in (("height", -2), ("width", -1)):
        if shape[i] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but input.size"
                               f"({i})={shape[i]} is not divisible by {r}")
    return apply(_norm.PIXEL_UNSHUFFLE, input, r=r)


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
        mats = tuple(_pooling.nearest_matrix(in_sizes[i], out_sizes[i], scales[i], dt, mode == "nearest-exact")
                     for i in range(dim))
    elif mode in ("linear", "bilinear", "trilinear"):
        mats = tuple(_pooling.linear_matrix(in_sizes[i], out_sizes[i], scales[i], align_corners, dt)
                     for i in range(dim))
    else:
        raise NotImplementedError(f"Input Error: mode {mode!r} is not supported by graphgrad's interpolate")
    name = _INTERP_NAMES.get(mode, "UpsampleTrilinear3DBackward0").format(dim)
    return apply(_pooling.separable_op(name), input, mats=mats)


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
    blocks = _conv._blocks(x._data.shape[2:], k, d, p, s)
    if any(b <= 0 for b in blocks):
        raise RuntimeError(f"Given input with spatial size {list(x._data.shape[2:])}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as {list(blocks)}, but its "
                           "components must be at least one.")
    out = apply(_conv.UNFOLD, x, k_hw=k, dilation=d, padding=p, stride=s)
    return out if input._data.ndim == 4 else out.squeeze(0)


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
    blocks = _conv._blocks(o, k, d, p, s)
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={length}.")
    out = apply(_conv.FOLD, x, out_hw=o, k_hw=k, dilation=d, padding=p, stride=s)
    return out if input._data.ndim == 3 else out.squeeze(0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """``softmax(q @ k^T * scale + mask) @ v`` (composed, like PyTorch's math reference implementation).
    ``nn.attention.sdpa_kernel`` chooses the kernels; with neither of the CPU's (flash, math) enabled it fails."""
    if not cpu_kernel_enabled():
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This is likely due to "
                           "turning off both the math kernel and the fused kernels.")
    L, S = query._data.shape[-2], key._data.shape[-2]
    scale = 1.0 / math.sqrt(query._data.shape[-1]) if scale is None else scale
    if enable_gqa:
        rep = query._data.shape[-3] // key._data.shape[-3]
        key, value = key.repeat_interleave(rep, -3), value.repeat_interleave(rep, -3)
    scores = query @ key.transpose(-2, -1) * scale
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        scores = scores.masked_fill(_const(~np.tril(np.ones((L, S), bool))), float("-inf"))
    if attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask
    attn = graphgrad.softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, training=True)
    return attn @ value


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing ``normalized_shape`` axes."""
    ns = (int(normalized_shape),) if isinstance(normalized_shape, numbers.Integral) else tuple(
        int(s) for s in normalized_shape)
    shape = input._data.shape
    if tuple(shape[len(shape) - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*"
                           f"{', '.join(map(str, ns))}], but got input of size{list(shape)}")
    if weight is not None and tuple(weight._data.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{_shape(weight)} and normalized_shape = {list(ns)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(-len(ns), 0))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution; ``hard`` gives one-hot samples with soft gradients."""
    # as PyTorch: -empty_like(logits).exponential_().log()
    gumbels = _const(-np.log(graphgrad.empty_like(logits.detach()).exponential_()._data))
    y_soft = graphgrad.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = dim % logits._data.ndim
    hard_np = (np.arange(logits._data.shape[d]).reshape((-1,) + (1,) * (logits._data.ndim - d - 1)) ==
               np.expand_dims(y_soft._data.argmax(d), d)).astype(logits._data.dtype)
    return _const(hard_np) - y_soft.detach() + y_soft


# --- activations ----------------------------------------------------------------------------------
def _act(op, input, inplace=False, **kw):
    return apply_inplace(op, input, **kw) if inplace else apply(op, input, **kw)


def relu(input, inplace=False):
    """``max(x, 0)`` (ReluBackward0)."""
    return input.relu_() if inplace else graphgrad.relu(input)


def relu_(input):
    return input.relu_()


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)`` (HardtanhBackward0, as PyTorch records it)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return _act(_activation.HARDTANH, input, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if not isinstance(negative_slope, (int, float, np.number, Tensor)):
        raise TypeError(f"leaky_relu(): argument 'negative_slope' (position 2) must be Number, not "
                        f"{type(negative_slope).__name__}")
    return _act(_activation.LEAKY_RELU, input, inplace, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)`` with one weight per channel (dim 1) or a single one."""
    c = input._data.shape[1] if input._data.ndim >= 2 else 1
    if weight._data.size != 1 and weight._data.size != c:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight._data.size} and channel size = {c}.")
    if weight._data.size == 1 or input._data.ndim < 2:
        shape = (1,) * input._data.ndim if input._data.ndim else ()
    else:
        shape = (1, c) + (1,) * (input._data.ndim - 2)
    return apply(_activation.PRELU, input, weight, channel_shape=shape)


def elu(input, alpha=1.0, inplace=False):
    return _act(_activation.ELU, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _act(_activation.ELU, input, inplace, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _act(_activation.CELU, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def gelu(input, approximate="none"):
    """``x * Phi(x)``, or its tanh approximation with ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(_activation.GELU, input, approximate=approximate)


def silu(input, inplace=False):
    return _act(_activation.SILU, input, inplace)


def mish(input, inplace=False):
    return _act(_activation.MISH, input, inplace)


def sigmoid(input):
    return graphgrad.sigmoid(input)


def tanh(input):
    return graphgrad.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""
    return apply(_activation.SOFTPLUS, input, beta=beta, threshold=threshold)


def logsigmoid(input):
    return apply(_activation.LOG_SIGMOID, input)


def hardsigmoid(input, inplace=False):
    return _act(_activation.HARDSIGMOID, input, inplace)


def hardswish(input, inplace=False):
    return _act(_activation.HARDSWISH, input, inplace)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``."""
    return _act(_activation.THRESHOLD, input, inplace, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    return _act(_activation.THRESHOLD, input, True, threshold=threshold, value=value)


def softshrink(input, lambd=0.5):
    return apply(_activation.SOFTSHRINK, input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    return apply(_activation.HARDSHRINK, input, lambd=lambd)


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def glu(input, dim=-1):
    """``a * sigmoid(b)`` for the two halves ``a, b`` of ``input`` along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input._data.ndim
    if input._data.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input._data.shape[d]}")
    return apply(_activation.GLU, input, dim=d)


def _implicit_dim(name, input, dim, stacklevel):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                      "as an argument.", stacklevel=stacklevel)
        dim = 0 if input.dim() in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return dim


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (SoftmaxBackward0)."""
    return graphgrad.softmax(input, _implicit_dim("softmax", input, dim, _stacklevel), dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (LogSoftmaxBackward0)."""
    return graphgrad.log_softmax(input, _implicit_dim("log_softmax", input, dim, _stacklevel), dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return graphgrad.softmax(-input, _implicit_dim("softmin", input, dim, _stacklevel), dtype=dtype)


# --- losses ---------------------------------------------------------------------------------------
def _check_no_grad(t, name, fn):
    if t is not None and t.requires_grad:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{name}'. This input "
                           "cannot have requires_grad True.")


def _broadcast_pair(input, target, stacklevel=3):
    if input._data.shape != target._data.shape:
        warnings.warn(f"Using a target size ({_TorchSize(target._data.shape)}) that is different to the input size "
                      f"({_TorchSize(input._data.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=stacklevel)
        try:
            shape = np.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            from ..ops._op import broadcast_error

            raise broadcast_error(input._data.shape, target._data.shape) from None
        input, target = input.expand(shape), target.expand(shape)
    return input, target


def _float_target(target, input):
    return target if target._data.dtype == input._data.dtype else target.to(input.dtype)


def _weighted(loss_none, weight, reduction, mean_by_weight):
    """PyTorch's manual weighted reduction of mse/l1/huber (weight of the input's shape)."""
    if tuple(weight._data.shape) != tuple(loss_none._data.shape):
        raise ValueError("Weights and input must have the same size.")
    w = loss_none * weight
    if reduction == "none":
        return w
    if reduction == "sum":
        return w.sum()
    if reduction == "mean":
        return w.sum() / weight.sum() if mean_by_weight else w.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (MseLossBackward0).

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.mse_loss(graphgrad.tensor([1.0, 3.0]), graphgrad.tensor([0.0, 0.0])).item()
    5.0
    """
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input._data.dtype != target._data.dtype or not is_float_np(input._data.dtype):
        promoted = graphgrad._dtype.result_type(input, target)  # PyTorch promotes the pair; its kernel is
        if not promoted.is_floating_point:  # floating point only
            raise NotImplementedError(f'"mse_cpu" not implemented for \'{_torch_name(promoted.np)}\'')
        input = input.to(promoted)
    if weight is not None:
        return _weighted((input - target) ** 2, weight, reduction, True)
    _check_reduction(reduction)
    return apply(_loss.MSE_LOSS, input, _float_target(target, input), reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error (composed: ``(input - target).abs().mean()``, as PyTorch)."""
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted((input - target).abs(), weight, reduction, True)
    return _apply_reduction((input - target).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Quadratic below ``beta``, linear above (SmoothL1LossBackward0)."""
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return apply(_loss.SMOOTH_L1_LOSS, input, _float_target(target, input), reduction=reduction, beta=beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Quadratic below ``delta``, ``delta``-scaled linear above (HuberLossBackward0)."""
    input, target = _broadcast_pair(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(apply(_loss.HUBER_LOSS, input, _float_target(target, input), reduction="none", delta=delta),
                         weight, reduction, False)
    _check_reduction(reduction)
    return apply(_loss.HUBER_LOSS, input, _float_target(target, input), reduction=reduction, delta=delta)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(t log x + (1 - t) log(1 - x))``, each log clamped at -100 as PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_TorchSize(target._data.shape)}) that is different to the input size "
                         f"({_TorchSize(input._data.shape)}) is deprecated. Please ensure they have the same size.")
    _check_no_grad(weight, "weight", "binary_cross_entropy")
    x = input._data
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data, np.broadcast_shapes(weight._data.shape, target._data.shape))
    return apply(_loss.BCE_LOSS, input, _float_target(target, input), reduction=reduction, weight=w)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid + binary cross entropy in one numerically stable op; ``pos_weight`` scales the positive term."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_TorchSize(target._data.shape)}) must be the same as input size "
                         f"({_TorchSize(input._data.shape)})")
    _check_no_grad(weight, "weight", "binary_cross_entropy_with_logits")
    _check_no_grad(pos_weight, "pos_weight", "binary_cross_entropy_with_logits")
    w = weight._data if weight is not None else None
    pw = pos_weight._data if pos_weight is not None else None
    for a in (w, pw):
        if a is not None:
            try:
                np.broadcast_shapes(a.shape, input._data.shape)
            except ValueError:
                from ..ops._op import broadcast_error

                raise broadcast_error(input._data.shape, a.shape) from None
    return apply(_loss.BCE_WITH_LOGITS, input, _float_target(target, input), reduction=reduction, weight=w,
                 pos_weight=pw)


def _class_target_checks(input, target):
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{str(target.dtype).split('.')[-1].capitalize()}")
    n_in = input._data.shape[0] if input._data.ndim > 1 else None
    if input._data.ndim > 1:
        if target._data.ndim == 0 or target._data.shape[0] != n_in:
            raise ValueError(f"Expected input batch_size ({n_in}) to match target batch_size "
                             f"({target._data.shape[0] if target._data.ndim else 0}).")
        if input._data.ndim == 2 and target._data.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input._data.ndim > 2 and tuple(target._data.shape) != input._data.shape[:1] + input._data.shape[2:]:
            raise RuntimeError(f"Expected target size {list(input._data.shape[:1] + input._data.shape[2:])}, got "
                               f"{_shape(target)}")
    elif target._data.ndim != 0:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of the class indices ``target`` under log-probabilities ``input`` (N, C, ...)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _class_target_checks(input, target)
    _check_no_grad(weight, "weight", "nll_loss_forward")
    c = input._data.shape[1] if input._data.ndim > 1 else input._data.shape[0]
    if weight is not None and (weight._data.ndim != 1 or weight._data.shape[0] != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got weight "
                           f"tensor of shape: {_shape(weight)}")
    t = target._data.astype(np.int64, copy=False)
    bad = t[(t != ignore_index) & ((t < 0) | (t >= c))]
    if bad.size:
        raise IndexError(f"Target {int(bad.flat[0])} is out of bounds.")
    x = input
    unbatched = input._data.ndim == 1
    if unbatched:
        x, t = input.unsqueeze(0), t.reshape(1)
    out = apply(_loss.NLL_LOSS, x, target=t, weight=None if weight is None else weight._data.astype(x._data.dtype),
                ignore_index=ignore_index, reduction=reduction)
    return out.squeeze(0) if unbatched and reduction == "none" else out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)``; ``target`` holds class indices or class probabilities.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> round(F.cross_entropy(graphgrad.zeros(2, 4), graphgrad.tensor([0, 3])).item(), 4)
    1.3863
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input._data.ndim == 1 else 1
    c = input._data.shape[class_dim]
    logp = log_softmax(input, class_dim)
    if target._data.dtype.kind == "f":  # class probabilities
        if target._data.shape != input._data.shape:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{str(target.dtype).split('.')[-1].capitalize()}"
                               if target._data.dtype.kind != "f" else
                               f"Expected target size {_shape(input)}, got {_shape(target)}")
        _check_no_grad(weight, "weight", "cross_entropy")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape((1, c) + (1,) * (input._data.ndim - 2) if class_dim else (c,))
        if reduction == "none":
            return -prod.sum(class_dim)
        if reduction == "sum":
            return -prod.sum()
        n = input._data.size // c
        return -prod.sum() / n
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return loss
    t = target._data
    ignore = _const(t == ignore_index)
    if weight is not None:
        smooth = -(logp * weight.reshape((1, c) + (1,) * (input._data.ndim - 2) if class_dim else (c,))).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            kept = t[t != ignore_index]
            ret = smooth.sum() / weight[_const(kept.astype(np.int64))].sum()
        else:
            ret = smooth.sum() / float((t != ignore_index).sum())
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * loss + ret * (label_smoothing / c)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of ``target`` from ``exp(input)`` (input holds log-probabilities)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        zero = target == 0
        safe = graphgrad.where(zero, 1.0, target)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        out = loss.sum()
        return out / input._data.shape[0] if input._data.ndim else out
    return _apply_reduction(loss, reduction)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``.

    As PyTorch, each input is divided by its clamped norm first; the clamp itself passes gradients through.
    """
    if x1._data.shape != x2._data.shape:
        try:
            shape = np.broadcast_shapes(x1._data.shape, x2._data.shape)
        except ValueError:
            from ..ops._op import broadcast_error

            raise broadcast_error(x1._data.shape, x2._data.shape) from None
        x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = x1.norm(2, dim, keepdim=True)
    n2 = x2.norm(2, dim, keepdim=True)
    n1 = n1 + _const(np.maximum(n1._data, eps) - n1._data)
    n2 = n2 + _const(np.maximum(n2._data, eps) - n2._data)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dimension."""
    d = max(x1._data.ndim, x2._data.ndim) - 1
    return graphgrad.norm(x1 - x2 + eps, p, d, keepdim)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = 1 if input1._data.ndim == 2 else 0
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + 1e-12
    m2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    zeros = cos * 0
    out = graphgrad.where(target == 1, 1 - cos, zeros) + graphgrad.where(target == -1, (cos - margin).clamp_min(0),
                                                                         zeros)
    return _apply_reduction(out, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input1._data.ndim != input2._data.ndim or input1._data.ndim != target._data.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_TorchSize(input1._data.shape)}, input2: {_TorchSize(input2._data.shape)}, "
                           f"target: {_TorchSize(target._data.shape)} ")
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    zeros = input * 0
    margin_clamp = (margin - input).clamp_min(0)
    out = graphgrad.where(target != 1, margin_clamp, zeros) + graphgrad.where(target != -1, input, zeros)
    return _apply_reduction(out, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _apply_reduction(softplus(-input * target), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input._data.ndim - 1
    loss = loss.sum(class_dim) / input._data.shape[class_dim]
    return _apply_reduction(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        t = target._data
        stirling = np.where(t > 1, t * np.log(np.where(t > 1, t, 1)) - t + 0.5 * np.log(2 * np.pi * np.where(
            t > 1, t, 1)), 0).astype(input._data.dtype)
        loss = loss + _const(stirling)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = graphgrad.ones_like(input) * var
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    if var._data.shape != input._data.shape:
        if input._data.shape[:-1] == var._data.shape:
            var = var.unsqueeze(-1)
        elif input._data.ndim == var._data.ndim and sum(
                v for i, v in zip(input._data.shape, var._data.shape) if i != v) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + _const(np.maximum(var._data, eps) - var._data)  # clamp without cutting the gradient, as PyTorch
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = graphgrad.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


# the attention-mask helpers live in their own file; PyTorch exposes them as F._canonical_mask etc.
from ._conv3d import conv3d, conv_transpose3d  # noqa: E402
from ._masks import _canonical_mask, _none_or_dtype  # noqa: E402, F401
