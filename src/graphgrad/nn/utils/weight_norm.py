"""``nn.utils.weight_norm`` / ``remove_weight_norm``: the older, hook-based weight normalisation (deprecated in
PyTorch in favour of ``nn.utils.parametrizations.weight_norm``, and still common in audio models).

``module.weight`` is replaced by two parameters, ``weight_g`` (the norms over every dimension but ``dim``) and
``weight_v`` (the direction); a forward pre-hook recomputes ``module.weight = weight_g * weight_v / ||weight_v||``
(a plain attribute, not a parameter) before every call.

>>> import warnings
>>> import graphgrad.nn as nn
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     m = nn.utils.weight_norm(nn.Linear(3, 2))
>>> [name for name, _ in m.named_parameters()], m.weight.grad_fn.name()
(['bias', 'weight_g', 'weight_v'], 'WeightNormInterfaceBackward0')
"""

from __future__ import annotations

import warnings

from ...ops import FUNCTIONS
from ..parameter import Parameter, is_lazy
from ._hooks import hooks_on, remove_hook_on

# torch._weight_norm and torch.norm_except_dim as published (PyTorch's argument checks and errors included)
_weight_norm, norm_except_dim = FUNCTIONS["_weight_norm"], FUNCTIONS["norm_except_dim"]

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
        if hooks_on(module, WeightNorm, name):
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if is_lazy(weight):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Split ``module.<name>`` into magnitude ``<name>_g`` and direction ``<name>_v`` (``dim``: the dimension
    that keeps its own norm; ``None``: one norm for the whole tensor). Returns ``module``.

    Deprecated (PyTorch's FutureWarning): ``nn.utils.parametrizations.weight_norm`` does the same as a
    parametrization."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold ``<name>_g`` and ``<name>_v`` back into one parameter ``module.<name>`` and drop the hook."""
    remove_hook_on(module, WeightNorm, name, f"weight_norm of '{name}' not found in {module}")
    return module
