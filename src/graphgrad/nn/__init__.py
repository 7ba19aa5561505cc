"""graphgrad.nn: modules and layers with PyTorch's names, parameters, state_dict keys and repr.

>>> import graphgrad, graphgrad.nn as nn
>>> model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
>>> model(graphgrad.randn(3, 10)).shape
graphgrad.Size([3, 2])
"""

from . import (
    attention,
    functional,
    init,
    modules,
    parallel,  # noqa: E402  (after modules: DataParallel is a Module)
    utils,
)
from .module import Module
from .modules import *  # noqa: F403
from .parallel import DataParallel
from .parameter import Buffer, Parameter

__all__ = sorted(["Buffer", "Parameter", "functional", "init", "utils", *modules.__all__])
