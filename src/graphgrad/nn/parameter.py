"""``nn.Parameter``: a Tensor that a Module registers as one of its parameters.

A Parameter is a leaf that requires grad (by default). Ops on it give plain Tensors, as in PyTorch;
only assigning a Parameter to a Module attribute registers it.
"""

from __future__ import annotations

import sys

import numpy as np

from .. import _dtype
from .._device import check_device
from .._tensor import Tensor, factory_requires_grad


def _alias(cls, data, requires_grad):
    """A ``cls`` instance sharing ``data``'s memory and version counter, with no history."""
    if data is None:
        data = Tensor._make(np.empty((0,), dtype=_default_np()), False, None)
    if not isinstance(data, Tensor):
        raise TypeError(f"{cls.__name__}(): argument 'data' must be Tensor, not {type(data).__name__}")
    self = Tensor.__new__(cls)
    Tensor._init(self, data._data, False, None)
    self._version_box = data._version_box
    if requires_grad:
        factory_requires_grad(self)
    return self


def _default_np():
    return _dtype.get_default_dtype().np


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
        result = type(self)(Tensor._make(self._data.copy(), False, None), self._requires_grad)
        if self._grad is not None:
            result._grad = Tensor._make(self._grad._data.copy(), False, None)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (type(self), self._data, self._requires_grad))


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


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (lazy modules); ``materialize`` gives it one.

    Until then it holds no values: reading its shape or using it in an op raises PyTorch's errors; its
    dtype, ``requires_grad``, ``size()`` (``Size([0])``) and repr still answer.
    """

    cls_to_become = None

    @property
    def _data(self):
        raise ValueError(f"Attempted to use an uninitialized parameter in {_entry_point()}. This error happens when "
                         "you are using a `LazyModule` or explicitly manipulating "
                         f"`torch.nn.parameter.{type(self).__name__}` objects. When using LazyModules Call `forward` "
                         "with a dummy batch to initialize the parameters before calling torch functions")

    @_data.setter
    def _data(self, value):
        Tensor._data.__set__(self, value)

    def _placeholder(self):
        """The empty array standing in for the values (it carries the dtype)."""
        return Tensor._data.__get__(self)

    def materialize(self, shape, device=None, dtype=None):
        """Gives the tensor ``shape`` (uninitialised values; dtype kept unless given) and its final class.

        >>> from graphgrad.nn.parameter import UninitializedParameter
        >>> p = UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> type(p).__name__, tuple(p.shape)
        ('Parameter', (2, 3))
        """
        self._data = _storage(shape, dtype if dtype is not None else self.dtype, device)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                           "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                           "initialized one. Call `forward` to initialize the parameters before accessing their "
                           "attributes.")

    def size(self, dim=None):
        return Tensor._make(self._placeholder(), False, None).size(dim)

    @property
    def dtype(self):
        return _dtype.to_dtype(self._placeholder().dtype)

    @property
    def data(self):
        return Tensor._make(self._placeholder(), False, None)

    @data.setter
    def data(self, value):  # Module.to()/double() convert the placeholder: the dtype to materialise with
        self._data = Tensor._data.__get__(value)

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, dtype=self.dtype)
        return memo[id(self)]


def _entry_point():
    """The graphgrad function the user's code called (the outermost graphgrad frame on the stack)."""
    frame, names = sys._getframe(2), []
    while frame is not None and frame.f_globals.get("__name__", "").startswith("graphgrad"):
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    # argument-checking wrappers are all called "function": name the op they wrap (one frame in)
    while len(names) > 1 and names[-1] == "function":
        names.pop()
    return names[-1] if names else "?"


def _storage(shape, dtype, device):
    """Uninitialised (zero) values of ``shape`` (an int or a sequence), as
    ``torch.empty(shape, dtype=dtype, device=device)``."""
    if device is not None:
        check_device(device)  # only the CPU exists: anything else raises what a CPU-only PyTorch raises
    np_dtype = _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np
    if isinstance(shape, int):
        shape = (shape,)
    return np.zeros(tuple(int(s) for s in shape), dtype=np_dtype)


def _uninitialized(cls, requires_grad, device, dtype):
    self = Tensor.__new__(cls)
    Tensor._init(self, _storage((0,), dtype, device), bool(requires_grad), None)
    return self


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter of a lazy module before its first forward (it then becomes a plain Parameter).

    >>> import graphgrad.nn as nn
    >>> nn.LazyLinear(3).weight
    <UninitializedParameter>
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return _uninitialized(cls, requires_grad, device, dtype)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of a lazy module before its first forward (it then becomes a plain Tensor)."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        self = _uninitialized(cls, requires_grad, device, dtype)
        self.persistent = persistent
        return self

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def is_lazy(param):
    """Whether ``param`` is an uninitialised parameter or buffer of a lazy module."""
    return isinstance(param, UninitializedTensorMixin)


def zero_grads(tensors, set_to_none=True):
    """Reset the gradients of ``tensors`` as ``Module.zero_grad`` and ``Optimizer.zero_grad`` do: to None, or
    (``set_to_none=False``) to zeros in place, detached from any graph that made them.

    >>> import graphgrad
    >>> w = graphgrad.ones(2, requires_grad=True)
    >>> w.sum().backward()
    >>> zero_grads([w], set_to_none=False)
    >>> w.grad
    tensor([0., 0.])
    """
    for t in tensors:
        if t.grad is None:
            continue
        if set_to_none:
            t.grad = None
        else:
            if t.grad.grad_fn is not None:
                t.grad.detach_()
            else:
                t.grad.requires_grad_(False)
            t.grad.zero_()
