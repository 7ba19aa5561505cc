"""PyTorch's module path ``nn.modules.module``: the Module base class."""

from ..module import Module

__all__ = ["Module"]
