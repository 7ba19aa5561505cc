"""Helpers shared by the distributions: broadcasting parameters, probabilities <-> logits, lazy properties."""

from __future__ import annotations

import functools
import numbers

import numpy as np

from .. import _factories, broadcast_tensors
from .._constants import finfo
from .._dtype import get_default_dtype
from .._size import Size
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]


def broadcast_all(*values):
    """Numbers and tensors broadcast to one shape; numbers become tensors of the first tensor's dtype
    (or the default dtype).

    >>> import graphgrad
    >>> from graphgrad.distributions.utils import broadcast_all
    >>> broadcast_all(0.5, graphgrad.zeros(2))
    (tensor([0.5000, 0.5000]), tensor([0., 0.]))
    """
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or objects implementing "
                         "__torch_function__.")
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), get_default_dtype())
    tensors = [v if isinstance(v, Tensor) else _factories.tensor(v, dtype=dtype) for v in values]
    return broadcast_tensors(*tensors)


def clamp_probs(probs):
    """Probabilities kept ``eps`` away from 0 and 1 (so their logs are finite)."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """Sigmoid of binary logits, softmax over the last dimension otherwise."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs, is_binary=False):
    """The inverse of ``logits_to_probs`` (for categorical: normalised log-probabilities)."""
    clamped = clamp_probs(probs)
    return clamped.log() - (-clamped).log1p() if is_binary else clamped.log()


class lazy_property:
    """Computed on first access (with grad enabled, so it stays differentiable), then cached on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _standard_normal(shape, dtype):
    """Standard normal draws of ``shape``, through the tensor sampler PyTorch's rsample uses."""
    return _factories.empty(shape, dtype=dtype).normal_()


def _broadcast_shapes(*shapes):
    """The shape the given shapes broadcast to, as a Size."""
    return Size(np.broadcast_shapes(*(tuple(s) for s in shapes)))


def _sum_rightmost(value, dim):
    """Sum over the ``dim`` rightmost dimensions."""
    return value if dim == 0 else value.reshape(value.shape[:-dim] + (-1,)).sum(-1)
