"""Operands of the elementwise ops: numbers and arrays made tensors with PyTorch's dtypes, broadcast checks,
and the shared entry of every binary op (``binary``) and of its in-place form (``binary_inplace``)."""

from __future__ import annotations

import numpy as np

from .._from_python import from_data
from .._tensor import Tensor
from ._inplace import apply_inplace, check_inplace, check_no_partial_overlap
from ._op import apply, as_tensor_like, check_broadcast

OPERAND_TYPES = (bool, int, float, np.number, np.bool_, np.ndarray)


def operand_error(x, which, op_name):
    where = f"{op_name}(): argument" if op_name else "argument"
    pos = 1 if which == "input" else 2
    return TypeError(f"{where} '{which}' (position {pos}) must be Tensor, not {type(x).__name__}")


def operands(a, b, op_name=None):
    """Both operands as Tensors (a Python scalar takes the dtype PyTorch gives it); lists, None, strings
    are rejected with PyTorch's TypeError."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            if not isinstance(a, OPERAND_TYPES):
                raise operand_error(a, "input", op_name)
            if not isinstance(b, OPERAND_TYPES):
                raise operand_error(b, "other", op_name)
            a = from_data(a)  # torch.mul(2, 3) is tensor(6)
            b = as_tensor_like(b, a)
        elif not isinstance(a, OPERAND_TYPES):
            raise operand_error(a, "input", op_name)
        else:
            a = as_tensor_like(a, b)
    elif not isinstance(b, Tensor):
        if not isinstance(b, OPERAND_TYPES):
            raise operand_error(b, "other", op_name)
        b = as_tensor_like(b, a)
    sa, sb = a._data.shape, b._data.shape
    if sa != sb and sa and sb:
        check_broadcast(sa, sb)
    return a, b


NUMBERS = (int, float)


SUB_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
            "mask, use the `~` or `logical_not()` operator instead.")
SUB_TWO_BOOLS = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                 "`logical_xor()` operator instead.")


def _is_bool(x):
    return x.__class__ is bool or isinstance(x, np.bool_) or isinstance(x, Tensor) and x._data.dtype == np.bool_


def broadcasts(a, b):
    """Whether shapes ``a`` and ``b`` broadcast together."""
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def check_bool_sub(a, b):
    """PyTorch's sub_check: its text for two bool operands, and another for one (Python bools count)."""
    ba, bb = _is_bool(a), _is_bool(b)
    if ba and bb:
        raise RuntimeError(SUB_TWO_BOOLS)
    if ba or bb:
        raise RuntimeError(SUB_BOOL)


def binary(op, a, b, **kw):
    """``op`` applied to two operands (tensors, numbers or arrays), as every binary elementwise op applies it."""
    # Fast path: float tensor with a Python number. NumPy treats the number as "weak", as PyTorch does,
    # so the tensor's dtype is kept and nothing needs wrapping.
    if type(b) in NUMBERS and op.scalar is not None and isinstance(a, Tensor) and a._data.dtype.kind == "f":
        return apply(op.scalar, a, other=b, **kw)
    if op.refuses_bools:
        check_bool_sub(a, b)  # before the shapes, as PyTorch (x - True counts as x - a bool tensor)
    a, b = operands(a, b, op.forward_name.lower())
    return apply(op, a, b, **kw)


def binary_inplace(op, x, other, **kw):
    """``op`` written into ``x`` (``x.add_(other)``): ``other`` must broadcast to ``x``'s shape."""
    if not isinstance(other, Tensor):
        if not isinstance(other, OPERAND_TYPES):
            raise operand_error(other, "other", op.forward_name.lower() + "_")
        other = as_tensor_like(other, x)
    elif other._data.shape != x._data.shape:
        check_inplace(x)  # PyTorch refuses the leaf, then an input overlapping x in part, before it looks at
        check_no_partial_overlap(x, (other,))  # the shapes
        check_broadcast(x._data.shape, other._data.shape)
    return apply_inplace(op, x, other, **kw)
