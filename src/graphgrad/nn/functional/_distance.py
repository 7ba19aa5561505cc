"""cosine_similarity and pairwise_distance."""

from __future__ import annotations

import numpy as np

import graphgrad

from ...ops._op import broadcast_error
from ._common import _const


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``.

    As PyTorch, each input is divided by its clamped norm first; the clamp itself passes gradients through.
    """
    if x1._data.shape != x2._data.shape:
        try:
            shape = np.broadcast_shapes(x1._data.shape, x2._data.shape)
        except ValueError:
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

