"""Keywords PyTorch's argument parser accepts on every function, handled once for all of them:

- NumPy's names: ``axis=`` for ``dim=``, ``keepdims=`` for ``keepdim=``, ``x=``/``a=``/``x1=`` for ``input=``
  and ``x2=`` for ``other=`` (``torch.sum(x, axis=0, keepdims=True)``);
- ``out=`` on the function forms (``torch.mul(a, b, out=c)``): the result is written into ``out`` (resized
  with PyTorch's warning when its shape differs, cast when PyTorch allows the cast) and ``out`` is returned.

Both are taken care of only when the op itself does not know the keyword, on the way back from its
TypeError, so a call without them costs nothing.

>>> import graphgrad
>>> x = graphgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> graphgrad.sum(x, axis=0, keepdims=True)
tensor([[4., 6.]])
>>> out = graphgrad.empty(2)
>>> graphgrad.mul(x[0], x[1], out=out) is out, out
(True, tensor([3., 8.]))
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype
from .._core.modes import modes
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

ALIASES = {"axis": "dim", "keepdims": "keepdim", "x": "input", "a": "input", "x1": "input", "x2": "other"}


def unknown_keyword(error):
    """The keyword a TypeError from calling a Python function complains of, or None."""
    text = str(error)
    marker = "got an unexpected keyword argument '"
    at = text.find(marker)
    return text[at + len(marker):text.index("'", at + len(marker))] if at >= 0 else None


def retry_with_keywords(fn, name, sig, args, kwargs, method, error):
    """Call ``fn`` again with PyTorch's keyword spellings translated, if ``error`` is about one of them.

    Returns ``(True, result)`` when the keywords were the problem and the call was redone, else ``(False, None)``.
    A factory (``zeros``, ``arange``, ``tensor``, ...: a function taking ``requires_grad``) also takes ``size=``
    for its shape varargs and ``pin_memory=``, and an ``out=`` tensor's dtype is the dtype it makes.
    """
    factory = "requires_grad" in sig.parameters
    key = unknown_keyword(error)
    if key == "out" and method:
        raise TypeError(f"{name}() got an unexpected keyword argument 'out'") from None  # methods have no out=
    named = {k for k, p in sig.parameters.items() if p.kind is not p.VAR_POSITIONAL}
    if key is None or key in named or key not in _HANDLED or (key == "out" and method) or (
            key in _FACTORY_ONLY and not factory):
        return False, None  # not ours, or the TypeError came from deeper inside
    params = sig.parameters
    kwargs = dict(kwargs)
    for alias, canonical in ALIASES.items():
        if alias in kwargs and alias not in named and canonical in named:
            if canonical in kwargs:
                raise TypeError(f"{name}() got an unexpected keyword argument '{alias}'") from None
            kwargs[canonical] = kwargs.pop(alias)
    if kwargs.keys() & ALIASES.keys() - named:
        return False, None  # an alias this function has no parameter for: the original error stands
    if factory:
        if kwargs.pop("pin_memory", False):
            raise RuntimeError(PIN_MEMORY_ERROR)
        args = _size_keyword(name, params, args, kwargs)
    out = kwargs.pop("out", None) if "out" not in named else None
    if out is not None and factory and "dtype" in params:
        kwargs["dtype"] = _factory_dtype(kwargs.get("dtype"), out)
    result = fn(*args, **kwargs)
    return True, (result if out is None else write_out(name, result, out, args, kwargs))


PIN_MEMORY_ERROR = ("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory allocator is "
                    "available on this system.")
_HANDLED = frozenset(ALIASES) | {"out", "size", "pin_memory"}
_FACTORY_ONLY = frozenset({"size", "pin_memory"})


def _size_keyword(name, params, args, kwargs):
    """``zeros(size=(2, 3))``: the shape given by keyword to a function taking it as ``*size``."""
    var = next((p for p in params.values() if p.kind is p.VAR_POSITIONAL), None)
    if "size" not in kwargs or var is None or var.name != "size":
        return args
    size = kwargs.pop("size")
    if args:
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    return tuple(size)


def _factory_dtype(dtype, out):
    """A factory writing into ``out`` makes ``out``'s dtype; another dtype asked for is PyTorch's error."""
    if dtype is not None and _dtype.to_dtype(dtype) is not out.dtype:
        raise RuntimeError(f"dtype {_legacy_name(_dtype.to_dtype(dtype))} does not match dtype of out parameter "
                           f"({_legacy_name(out.dtype)})")
    return out.dtype


def _legacy_name(dt):
    """PyTorch's scalar-type name in its messages: Float, Long, ..."""
    if not isinstance(dt, _dtype.dtype):
        dt = _dtype.from_numpy_dtype(dt)
    return dt._legacy[:-len("Tensor")]


def resize_storage(t, size):
    """``t``'s data given ``size`` as PyTorch resizes a tensor's storage (``resize_``, and an out= tensor of another
    shape, where it counts no write): the first elements in memory order kept, sharing the memory when it shrinks
    (views taken before still see later writes), new memory when it grows (zeros here, uninitialised there)."""
    n = int(np.prod(size, dtype=np.int64))
    flat = t._data.reshape(-1) if t._data.flags.c_contiguous else t._data.ravel(order="K")
    if n <= flat.size:
        t._data = flat[:n].reshape(size)  # a view of the same memory, as PyTorch keeps its storage
    else:
        grown = np.zeros(n, dtype=t._data.dtype)
        grown[:flat.size] = flat
        t._data = grown.reshape(size)


def write_out(name, result, out, args=(), kwargs=None):
    """Write ``result`` (a tensor or a tuple of them) into ``out`` as PyTorch's out= variants do."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
        for r, o in zip(result, out):
            write_out(name, r, o, args, kwargs)
        return type(result)(out) if hasattr(result, "_fields") else tuple(out)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    inputs = [a for a in list(args) + list((kwargs or {}).values()) if isinstance(a, Tensor)]
    if modes.recording and (out.requires_grad or any(t.requires_grad for t in inputs)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    src, dst = result._data.dtype, out._data.dtype
    if src != dst and not np.can_cast(src, dst, "same_kind"):
        raise RuntimeError(f"result type {_legacy_name(src)} can't be cast to the desired output type "
                           f"{_legacy_name(dst)}")
    with no_grad():
        if out._data.shape != result._data.shape:
            if name in ("arange", "range") and out._data.size != result._data.size:
                warnings.warn(  # PyTorch's range factories say it their own way
                    f"The number of elements in the out tensor of shape {list(out._data.shape)} is {out._data.size} "
                    f"which does not match the computed number of elements {result._data.size}. Note that this may "
                    "occur as a result of rounding error. The out tensor will be resized to a tensor of shape "
                    f"({result._data.size},).", UserWarning, stacklevel=4)
            elif out._data.size:
                warnings.warn(
                    f"An output with one or more elements was resized since it had shape {list(out._data.shape)}, "
                    f"which does not match the required output shape {list(result._data.shape)}. This behavior is "
                    "deprecated, and in a future PyTorch release outputs will not be resized unless they have zero "
                    "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                    "with t.resize_(0).", UserWarning, stacklevel=4)
            resize_storage(out, result._data.shape)  # (no write counted, no requires_grad check: as PyTorch's)
        out.copy_(result)
    return out
