"""The dropout family, with PyTorch's noise (``bernoulli_(1 - p)`` from the default generator)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _random_kernels
from ...random import generator_or_default
from ._common import _const


# --- dropout --------------------------------------------------------------------------------------
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep(shape, p):
    """PyTorch's dropout noise: ``empty(shape).bernoulli_(1 - p)``, i.e. ``u53 < 1 - p`` per element."""
    return _random_kernels.bernoulli_scalar(generator_or_default(None), math.prod(shape), 1 - p).reshape(shape)


def _mask(shape, p, dtype):
    if p == 1:
        return np.zeros(shape, dtype)
    # noise.div_(1 - p): the kept ones divided in the dtype's compute type (float32 for float16 and bfloat16,
    # whose division by a number happens in float32), rounded once to the dtype
    work = _random_kernels.opmath(dtype)
    return (_keep(shape, p).astype(work) / work(1 - p)).astype(dtype)


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

