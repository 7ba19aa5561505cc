"""PyTorch's module path ``nn.modules.pixelshuffle`` (the layers live in ``misc``)."""

from .misc import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
