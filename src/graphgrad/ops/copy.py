"""Copies and writes: the dtype cast behind ``Tensor.to``, clone, conj, and fill_/zero_/copy_."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._export import export
from ._inplace import apply_inplace, check_inplace, check_no_partial_overlap
from ._op import Op, apply, check_broadcast


def _cast_np(a, dtype, copy=False):
    return a.astype(dtype, copy=True) if copy or a.dtype != dtype else a


def passed_through(n, g):
    """The derivative of a copy (clone, cast, expand) on Tensors and arrays alike: the gradient as it came.
    Node._fit_to_inputs casts it back to the input's dtype and sums it over broadcast dimensions."""
    return g


CAST = Op("ToCopyBackward0", _cast_np, passed_through, backward_np=passed_through)
CLONE = Op("CloneBackward0", lambda a, memory_format=None: a.copy(), passed_through, backward_np=passed_through)


def cast(x, dtype, copy=False):
    """``x.to(dtype)``: a recorded copy; the gradient is cast back to x's dtype by the engine."""
    if x._data.dtype == dtype.np and not copy:
        return x
    return apply(CAST, x, dtype=dtype.np, copy=copy)


@export("clone")
def clone(input, *, memory_format=None):
    """A copy that stays in the graph (CloneBackward0), laid out in ``memory_format`` when one is named."""
    out = apply(CLONE, input)
    if memory_format is not None and memory_format.name != "preserve_format":
        out._data = memory_format.arrange(out._data)
    return out


@export("conj_", function=False)
def conj_(self):
    return self  # real tensors only: conjugation is the identity


@export("conj", "resolve_conj", "resolve_neg")
def conj(input):
    return input


def _overwritten(g):
    """The gradient of values that a write replaced: zeros, constant (PyTorch's zeros_like, no history)."""
    return Tensor._make(np.zeros_like(g._data), False, None)


FILL = Op("FillBackward2", lambda a, value: np.full_like(a, value), lambda n, g: _overwritten(g))
FILL_TENSOR = Op("FillBackward3", lambda a, v: np.broadcast_to(v, a.shape).astype(a.dtype),
                 lambda n, g: (_overwritten(g), g.sum()))


@export("fill_", function=False)
def fill_(self, value):
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
        return apply_inplace(FILL_TENSOR, self, value)
    return apply_inplace(FILL, self, value=value)


@export("zero_", function=False)
def zero_(self):
    return apply_inplace(ZERO, self)


ZERO = Op("ZeroBackward0", np.zeros_like, lambda n, g: _overwritten(g))
COPY = Op("torch::autograd::CopyBackwards", lambda a, src: np.broadcast_to(src, a.shape),
          lambda n, g: (_overwritten(g), g))


@export("copy_", function=False)
def copy_(self, src, non_blocking=False):
    """Copy ``src``'s values into this tensor (broadcasting, casting); recorded when src requires grad."""
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src), False, None)
    if src._data.shape != self._data.shape:
        check_inplace(self)  # PyTorch refuses the leaf, then a partial overlap, before it looks at the shapes
        check_no_partial_overlap(self, (src,))
    shape = check_broadcast(self._data.shape, src._data.shape)
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")
    if src._data.dtype != self._data.dtype:
        if src._requires_grad:
            src = src.to(self.dtype)
        else:
            src = Tensor._make(src._data.astype(self._data.dtype), False, src._grad_fn)
    return apply_inplace(COPY, self, src)
