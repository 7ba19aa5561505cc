"""PyTorch's module path ``nn.modules.upsampling`` (the layers live in ``misc``)."""

from .misc import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
