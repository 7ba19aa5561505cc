"""PyTorch's module path ``nn.modules.padding`` (the layers live in ``misc``)."""

from .misc import ConstantPad2d, ReflectionPad2d, ReplicationPad2d, ZeroPad2d

__all__ = ["ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "ZeroPad2d"]
