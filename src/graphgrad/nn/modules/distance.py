"""Distances between pairs of inputs as layers: PairwiseDistance and CosineSimilarity."""

from __future__ import annotations

from .. import functional as F
from ..module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    """The p-norm of ``x1 - x2 + eps`` over the last dimension (``F.pairwise_distance``).

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.PairwiseDistance()(graphgrad.zeros(2, 3), graphgrad.ones(2, 3)).shape
    graphgrad.Size([2])
    """

    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (``F.cosine_similarity``).

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.CosineSimilarity(dim=0)(graphgrad.tensor([1.0, 0.0]), graphgrad.tensor([1.0, 1.0])).item()
    0.7071067690849304
    """

    __constants__ = ["dim", "eps"]

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
