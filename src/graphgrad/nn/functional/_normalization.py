"""batch, instance, layer, group, RMS and local-response normalisation; ``normalize``."""

from __future__ import annotations

import math
import numbers

import numpy as np

import graphgrad

from ..._core.fp_errors import quietly
from ..._size import size_text
from ...autograd.grad_mode import no_grad
from ...ops import normalization as norm_ops
from ._common import _shape
from ._pooling import avg_pool2d
from ._resampling import pad


# --- normalisation --------------------------------------------------------------------------------
def _bump(t):
    t._bump_version()


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-05):
    """Batch normalisation over all axes but 1 (NativeBatchNormBackward0).

    In training, the batch statistics normalise and the running ones are updated in place:
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased).
    """
    if training and input._data.ndim >= 2 and input._data.size // input._data.shape[1] <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size_text(input._data.shape)}")
    check_batch_norm_eps(training, eps)  # (PyTorch's Python code, before its kernel: not instance_norm's)
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@quietly  # (its statistics are computed here, outside the op)
def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    x = input
    if x._data.ndim < 2:
        raise ValueError(f"expected 2D or 3D input (got {x._data.ndim}D input)")
    c = x._data.shape[1]
    n = x._data.size // c
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    axes = (0,) + tuple(range(2, x._data.ndim))
    affine = (1, c) + (1,) * (x._data.ndim - 2)
    if training:
        mean, var = norm_ops._moments(x._data, axes)
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
    return norm_ops.normalize_op(norm_ops.BATCH_NORM, x, weight, bias, stat_shape=x._data.shape, axes=axes,
                            affine_shape=affine, eps=eps, stats=stats if fixed else None,
                            **({} if fixed else {"precomputed": stats}))


@quietly  # (the running statistics' update)
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Normalisation of each sample's channels over their spatial axes (batch norm of the (1, N*C, ...) view).

    With ``use_input_stats`` the running statistics (if given) move towards the batch average of the
    per-instance mean and unbiased variance; without, they normalise, as batch_norm's eval mode does.
    """
    shape = input._data.shape
    if use_input_stats and int(np.prod(shape[2:])) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size_text(shape)}")
    n, c = shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {t._data.size * n}")
    if use_input_stats:
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
        running_mean = running_var = None  # (updated above: batch_norm gets none to update)

    def per_instance(t):
        return None if t is None else t.repeat(n)

    # as PyTorch: batch norm of the (1, N*C, ...) view with per-channel tensors repeated per sample, viewed back
    out = _batch_norm(input.reshape((1, n * c) + shape[2:]), per_instance(running_mean), per_instance(running_var),
                      per_instance(weight), per_instance(bias), use_input_stats, momentum, eps)
    return out.reshape(shape)


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
    stat_shape = tuple(lead) + (math.prod(ns),)  # (1 for an empty normalized_shape)
    return norm_ops.normalize_op(norm_ops.LAYER_NORM, input, weight, bias, stat_shape=stat_shape, axes=(-1,),
                            affine_shape=ns, eps=eps)


def check_batch_norm_eps(training, eps):
    """PyTorch's batch_norm compares eps with 0 before its kernel reads it."""
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")


def check_group_norm_groups(input, num_groups):
    """PyTorch's group_norm divides by num_groups (Python's error for one it cannot divide by) to ask for more
    than one value per group, before its kernel reads it."""
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {len(shape)}")
    size = [shape[0] * shape[1] // num_groups, num_groups] + list(shape[2:])
    if math.prod(size[2:]) * size[0] == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalisation over each group of ``C / num_groups`` channels and the spatial axes."""
    check_group_norm_groups(input, num_groups)
    shape = input._data.shape
    n, c = shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.shape[0] != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {_shape(t)} and input of shape {list(shape)}")
    stat_shape = (n, num_groups, input._data.size // max(n * num_groups, 1))
    return norm_ops.normalize_op(norm_ops.GROUP_NORM, input, weight, bias, stat_shape=stat_shape, axes=(-1,),
                            affine_shape=(1, c) + (1,) * (len(shape) - 2), eps=eps)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``; with ``out``, written into it by ``div(..., out=out)`` (as
    PyTorch's code does, the norm clamped in place first): ``out`` returned, div's errors (its out= refusing autograd,
    a dtype it can't take) and its resizing of ``out``."""
    if out is None:
        denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
        return input / denom
    denom = input.norm(p, dim, keepdim=True).clamp_min_(eps).expand_as(input)
    return graphgrad.div(input, denom, out=out)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalisation by the sum of squares of ``size`` neighbouring channels."""
    d = input._data.ndim
    if d < 3:
        # (PyTorch's text keeps the indentation of its source line in the middle)
        raise ValueError(f"Expected 3D or higher dimensionality{' ' * 26}input (got {d} dimensions)")
    if input._data.size == 0:
        return input
    div = input.mul(input).unsqueeze(1)
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
    div = div.mul(alpha).add(k).pow(beta)  # (PyTorch's method calls: their errors for odd alpha, k, beta)
    return input / div



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

