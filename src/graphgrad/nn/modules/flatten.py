"""PyTorch's module path ``nn.modules.flatten`` (the layers live in ``misc``)."""

from .misc import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
