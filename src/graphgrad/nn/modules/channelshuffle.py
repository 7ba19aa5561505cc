"""PyTorch's module path ``nn.modules.channelshuffle`` (the layer lives in ``pooling``)."""

from .pooling import ChannelShuffle

__all__ = ["ChannelShuffle"]
