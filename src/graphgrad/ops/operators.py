"""Python operators on Tensor (``+``, ``@``, ``[]``, ``==``, ...), bound to the ops of the other modules."""

from __future__ import annotations

from .._tensor import Tensor
from . import elementwise as ew
from . import index, linalg
from ._op import apply

_NUMBERS = (int, float)


def _swap(fn):
    def reflected(self, other):
        return fn(other, self)

    return reflected


def _arith(op):
    """``a <op> b`` with the two commonest cases handled right here (a float tensor with a number, two
    tensors of one shape): they are most calls in user code and in derivatives, and one Python frame
    less per op is measurable."""
    scalar = op.scalar

    def operator(self, other):
        if type(other) in _NUMBERS and self._data.dtype.kind == "f":
            return apply(scalar, self, other=other)
        if type(other) is Tensor and other._data.shape == self._data.shape:
            return apply(op, self, other)
        return ew.binary(op, self, other)

    return operator


def _equality(fn):
    """``t == None`` is False (and ``!=`` True), as in PyTorch: Python's fallback for unrelated types."""

    def operator(self, other):
        if other is None or isinstance(other, (str, list, tuple, dict)):
            return NotImplemented
        return fn(self, other)

    return operator


OPERATORS = {
    "__add__": _arith(ew.ADD), "__radd__": _arith(ew.ADD), "__iadd__": ew.add_,
    "__sub__": _arith(ew.SUB), "__rsub__": ew.rsub, "__isub__": ew.sub_,
    "__mul__": _arith(ew.MUL), "__rmul__": _arith(ew.MUL), "__imul__": ew.mul_,
    "__truediv__": _arith(ew.DIV), "__rtruediv__": ew.rdiv, "__itruediv__": ew.div_,
    "__floordiv__": ew.floor_divide, "__rfloordiv__": ew._reflected(ew.RFLOOR_DIVIDE, ew.floor_divide),
    "__mod__": ew.remainder, "__rmod__": ew._reflected(ew.RREMAINDER, ew.remainder),
    "__pow__": ew.pow, "__rpow__": _swap(ew.pow), "__ipow__": ew.pow_,
    "__matmul__": linalg.matmul, "__rmatmul__": _swap(linalg.matmul),
    "__neg__": ew.neg, "__pos__": lambda self: self, "__abs__": ew.abs,
    "__invert__": ew.bitwise_not,
    "__eq__": _equality(ew.eq), "__ne__": _equality(ew.ne),
    "__lt__": ew.lt, "__le__": ew.le, "__gt__": ew.gt, "__ge__": ew.ge,
    "__and__": ew.bitwise_and, "__rand__": _swap(ew.bitwise_and),
    "__or__": ew.bitwise_or, "__ror__": _swap(ew.bitwise_or),
    "__xor__": ew.bitwise_xor, "__rxor__": _swap(ew.bitwise_xor),
    "__getitem__": index.getitem, "__setitem__": index.setitem,
}
