"""Padding layers (``F.pad`` as a module) over the last 1, 2 or 3 dimensions: zero, constant, reflection,
replication and circular padding.

``padding`` is one int (the same on every side) or a tuple in ``F.pad``'s order: (left, right) for 1-D,
(left, right, top, bottom) for 2-D, then (front, back) for 3-D.

>>> import graphgrad, graphgrad.nn as nn
>>> nn.ZeroPad2d((1, 0, 0, 2))(graphgrad.ones(1, 1, 2, 2)).shape
graphgrad.Size([1, 1, 4, 3])
"""

from __future__ import annotations

from .. import functional as F
from ..module import Module
from .utils import _ntuple

__all__ = [f"{kind}Pad{n}d" for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular")
           for n in (1, 2, 3)]


class _PadNd(Module):
    """One padding layer: ``_mode`` is F.pad's mode, ``_dims`` how many trailing dimensions it pads."""

    __constants__ = ["padding"]
    _mode = "constant"
    _dims = 0

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2 * self._dims, "padding")(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.dim() not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"expected {self._dims + 1}D or {self._dims + 2}D input (got {input.dim()}D input)")
        return super().forward(input)


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with ``value``."""

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions with ``value``."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dimensions with ``value``."""

    _dims = 3


class ZeroPad1d(_ZeroPadNd):
    """Pads the last dimension with zeros."""

    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pads the last two dimensions with zeros: ``padding`` = (left, right, top, bottom) or one int."""

    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pads the last three dimensions with zeros."""

    _dims = 3


class ReflectionPad1d(_ReflectionPadNd):
    """Pads the last dimension with its reflection (the edge value not repeated)."""

    _dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Pads the last two dimensions with their reflection."""

    _dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Pads the last three dimensions with their reflection."""

    _dims = 3


class ReplicationPad1d(_ReplicationPadNd):
    """Pads the last dimension by repeating its edge values."""

    _dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Pads the last two dimensions by repeating their edge values."""

    _dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Pads the last three dimensions by repeating their edge values."""

    _dims = 3


class CircularPad1d(_CircularPadNd):
    """Pads the last dimension by wrapping around (the other end's values)."""

    _dims = 1


class CircularPad2d(_CircularPadNd):
    """Pads the last two dimensions by wrapping around."""

    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Pads the last three dimensions by wrapping around."""

    _dims = 3
