"""``nn.Parameter``: a Tensor that a Module registers as one of its parameters.

A Parameter is a leaf that requires grad (by default). Ops on it give plain Tensors, as in PyTorch;
only assigning a Parameter to a Module attribute registers it.
"""

from __future__ import annotations

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor, factory_requires_grad


def _alias(cls, data, requires_grad):
    """A ``cls`` instance sharing ``data``'s memory and version counter, with no history."""
    if data is None:
        data = Tensor._make(np.empty((0,), dtype=_default_np()), False, None)
    if not isinstance(data, Tensor):
        raise TypeError(f"{cls.__name__}(): argument 'data' must be Tensor, not {type(data).__name__}")
    self = Tensor.__new__(cls)
    Tensor._init(self, data._data, False, None)
    self._vbox = data._vbox
    if requires_grad:
        factory_requires_grad(self)
    return self


def _default_np():
    return get_default_dtype().np


class Parameter(Tensor):
    """A Tensor that is a module parameter: ``requires_grad=True`` unless told otherwise.

    >>> import graphgrad
    >>> p = graphgrad.nn.Parameter(graphgrad.ones(2))
    >>> p
    Parameter containing:
    tensor([1., 1.], requires_grad=True)
    >>> (p * 2).__class__.__name__   # ops give plain Tensors
    'Tensor'
    """

    def __new__(cls, data=None, requires_grad=True):
        return _alias(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass  # everything is done in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy(), False, None), self._rg)
        if self._grad is not None:
            result._grad = Tensor._make(self._grad._data.copy(), False, None)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (type(self), self._data, self._rg))


def _rebuild_parameter(cls, arr, requires_grad):
    return cls(Tensor._make(arr, False, None), requires_grad)


class _BufferMeta(type):
    # isinstance(t, Buffer) is True for the plain tensors that Buffer(...) marks, as in PyTorch.
    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a buffer when assigned to a Module attribute (``persistent`` as register_buffer's).

    ``Buffer(t)`` returns a plain Tensor (sharing t's memory) with the mark, as PyTorch does.

    >>> import graphgrad
    >>> m = graphgrad.nn.Module()
    >>> m.steps = graphgrad.nn.Buffer(graphgrad.zeros(1))
    >>> list(m.state_dict()), type(m.steps).__name__
    (['steps'], 'Tensor')
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = Tensor._make(np.empty((0,), dtype=_default_np()), False, None)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


def is_lazy(param):
    """graphgrad has no lazy modules: always False."""
    return False
