"""Sliding blocks as layers: Unfold (im2col, ``F.unfold``) and its adjoint Fold (col2im, ``F.fold``)."""

from __future__ import annotations

from .. import functional as F
from ..module import Module

__all__ = ["Fold", "Unfold"]


class Fold(Module):
    """Sums columns of sliding blocks (N, C*prod(kernel_size), L) back into an (N, C, *output_size) image.

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.Fold((4, 5), 2)(graphgrad.ones(1, 3 * 4, 12)).shape
    graphgrad.Size([1, 3, 4, 5])
    """

    __constants__ = ["output_size", "kernel_size", "dilation", "padding", "stride"]

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return ("output_size={output_size}, kernel_size={kernel_size}, dilation={dilation}, padding={padding}, "
                "stride={stride}".format(**self.__dict__))


class Unfold(Module):
    """Extracts sliding blocks of an (N, C, H, W) image as columns (N, C*prod(kernel_size), L).

    >>> import graphgrad, graphgrad.nn as nn
    >>> nn.Unfold(2)(graphgrad.ones(1, 3, 4, 5)).shape
    graphgrad.Size([1, 12, 12])
    """

    __constants__ = ["kernel_size", "dilation", "padding", "stride"]

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return "kernel_size={kernel_size}, dilation={dilation}, padding={padding}, stride={stride}".format(
            **self.__dict__)
