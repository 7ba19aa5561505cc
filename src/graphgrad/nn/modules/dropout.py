"""Dropout layers: active in training mode, the identity in eval mode (computed by ``F.dropout*``)."""

from __future__ import annotations

from .. import functional as F
from ..module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability p and scales the rest by 1/(1-p), in training mode.

    >>> import graphgrad, graphgrad.nn as nn
    >>> m = nn.Dropout(p=0.2).eval()
    >>> x = graphgrad.ones(3)
    >>> m(x) is x or bool((m(x) == x).all())
    True
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) inputs."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels (feature maps) of (N, C, H, W) inputs."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels: each (sample, channel) map is kept or set to SELU's saturation value,
    then all are shifted and scaled so that mean and variance are kept (``F.feature_alpha_dropout``).

    >>> import graphgrad, graphgrad.nn as nn
    >>> x = graphgrad.randn(2, 3, 4)
    >>> bool((nn.FeatureAlphaDropout(0.5).eval()(x) == x).all())
    True
    """

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
