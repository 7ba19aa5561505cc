"""Flatten parameters into one vector and back (e.g. for second-order methods or evolution strategies)."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.shape import cat
from ..module import typename


def parameters_to_vector(parameters):
    """One 1-D tensor with every parameter's elements, in order (differentiable: it is a cat of views).

    >>> import graphgrad.nn as nn
    >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
    graphgrad.Size([8])
    """
    return cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters' data (no graph is recorded)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
