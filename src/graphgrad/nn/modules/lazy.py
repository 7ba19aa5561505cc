"""Lazy modules: layers whose input size is inferred from the first input (``LazyModuleMixin``).

A lazy layer starts with UninitializedParameter/UninitializedBuffer placeholders. Its first forward call
(a forward pre-hook) reads the input's size, materialises them and runs the layer's own
``reset_parameters``, in the same order as the eager layer, so seeded initialisation matches; then the
module becomes that eager class (``cls_to_become``, e.g. LazyLinear -> Linear). Loading a state_dict into
a lazy module materialises its placeholders with the checkpoint's shapes.
"""

from __future__ import annotations

import itertools

from ...autograd.grad_mode import no_grad
from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """Mix in before the eager layer class; subclasses define ``initialize_parameters(*args, **kwargs)``.

    >>> import graphgrad, graphgrad.nn as nn
    >>> m = nn.LazyLinear(3)
    >>> m.has_uninitialized_params()
    True
    >>> _ = m(graphgrad.randn(2, 5))
    >>> m
    Linear(in_features=5, out_features=3, bias=True)
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self.register_load_state_dict_pre_hook(LazyModuleMixin._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(LazyModuleMixin._infer_parameters, with_kwargs=True)

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs):
        """Materialise each placeholder that the state_dict has an initialised tensor for, in its shape."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                input_param = state_dict[key]
                if not is_lazy(input_param):
                    with no_grad():
                        param.materialize(input_param.shape)

    def initialize_parameters(self, *args, **kwargs):
        """Materialise the parameters from the first input (each lazy layer says how)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self):
        """Whether any parameter or buffer is still a placeholder."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))

    def _infer_parameters(self, args, kwargs=None):
        """The forward pre-hook: initialise from this input, then become the eager class for good."""
        self.initialize_parameters(*args, **(kwargs or {}))
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self._initialize_hook.remove()
        self._load_hook.remove()
        delattr(self, "_initialize_hook")
        delattr(self, "_load_hook")
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with `DataParallel`. Run a dummy "
                           "forward pass to correctly initialize the modules")
