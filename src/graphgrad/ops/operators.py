"""Python operators on Tensor (``+``, ``@``, ``[]``, ``==``, ...), bound to the ops of the other modules."""

from __future__ import annotations

from .._tensor import Tensor
from . import arithmetic as ar
from . import comparison as cmp
from . import index, linalg, unary
from ._autocast import autocast_rule
from ._op import apply, apply_one
from ._operands import OPERAND_TYPES, binary

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
    checks_bools = op.refuses_bools  # bool - int would be promoted before the forward could see the bool

    def operator(self, other):
        if type(other) in _NUMBERS and self._data.dtype.kind == "f":
            return apply_one(scalar, self, {"other": other}, other)
        if type(other) is Tensor and other._data.shape == self._data.shape and not (
                checks_bools and (self._data.dtype.kind == "b" or other._data.dtype.kind == "b")):
            return apply(op, self, other)
        if not isinstance(other, _OPERANDS):
            return NotImplemented  # Python then raises its TypeError (unsupported operand type(s) ...)
        return binary(op, self, other)

    return operator


_OPERANDS = (Tensor,) + OPERAND_TYPES


def _operand(fn):
    """A binary operator: NotImplemented for operands that aren't tensors, numbers or arrays, so that
    ``t == None`` is False, ``t != "x"`` True and ``t @ "x"`` Python's TypeError, as in PyTorch."""

    def operator(self, other):
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return fn(self, other)

    return operator


OPERATORS = {
    "__add__": _arith(ar.ADD), "__radd__": _arith(ar.ADD), "__iadd__": ar.add_,
    "__sub__": _arith(ar.SUB), "__rsub__": _operand(ar.rsub), "__isub__": ar.sub_,
    "__mul__": _arith(ar.MUL), "__rmul__": _arith(ar.MUL), "__imul__": ar.mul_,
    "__truediv__": _arith(ar.DIV), "__rtruediv__": _operand(ar.rdiv), "__itruediv__": ar.div_,
    "__floordiv__": _operand(ar.floor_divide),
    "__rfloordiv__": _operand(ar._reflected(ar.RFLOOR_DIVIDE, ar.floor_divide)),
    "__mod__": _operand(ar.remainder), "__rmod__": _operand(ar._reflected(ar.RREMAINDER, ar.remainder)),
    "__pow__": _operand(ar.pow), "__rpow__": _operand(_swap(ar.pow)), "__ipow__": ar.pow_,
    "__matmul__": autocast_rule(_operand(linalg.matmul), "matmul"),
    "__rmatmul__": autocast_rule(_operand(_swap(linalg.matmul)), "matmul"),
    "__neg__": unary.neg, "__pos__": lambda self: self, "__abs__": unary.abs,
    "__invert__": unary.bitwise_not,
    "__eq__": _operand(cmp.eq), "__ne__": _operand(cmp.ne),
    "__lt__": _operand(cmp.lt), "__le__": _operand(cmp.le), "__gt__": _operand(cmp.gt), "__ge__": _operand(cmp.ge),
    "__and__": _operand(cmp.bitwise_and), "__rand__": _operand(_swap(cmp.bitwise_and)),
    "__or__": _operand(cmp.bitwise_or), "__ror__": _operand(_swap(cmp.bitwise_or)),
    "__xor__": _operand(cmp.bitwise_xor), "__rxor__": _operand(_swap(cmp.bitwise_xor)),
    "__getitem__": index.getitem, "__setitem__": index.setitem,
}
