"""Python operators on Tensor (``+``, ``@``, ``[]``, ``==``, ...), bound to the ops of the other modules."""

from __future__ import annotations

from .._tensor import Tensor
from . import elementwise as ew
from . import index, linalg
from ._autocast import autocast_rule
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
    checks_bools = op is ew.SUB  # bool - int would be promoted before the forward could see the bool

    def operator(self, other):
        if type(other) in _NUMBERS and self._data.dtype.kind == "f":
            return apply(scalar, self, other=other)
        if type(other) is Tensor and other._data.shape == self._data.shape and not (
                checks_bools and (self._data.dtype.kind == "b" or other._data.dtype.kind == "b")):
            return apply(op, self, other)
        if not isinstance(other, _OPERANDS):
            return NotImplemented  # Python then raises its TypeError (unsupported operand type(s) ...)
        return ew.binary(op, self, other)

    return operator


_OPERANDS = (Tensor,) + ew._OPERAND_TYPES


def _operand(fn):
    """A binary operator: NotImplemented for operands that aren't tensors, numbers or arrays, so that
    ``t == None`` is False, ``t != "x"`` True and ``t @ "x"`` Python's TypeError, as in PyTorch."""

    def operator(self, other):
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return fn(self, other)

    return operator


OPERATORS = {
    "__add__": _arith(ew.ADD), "__radd__": _arith(ew.ADD), "__iadd__": ew.add_,
    "__sub__": _arith(ew.SUB), "__rsub__": _operand(ew.rsub), "__isub__": ew.sub_,
    "__mul__": _arith(ew.MUL), "__rmul__": _arith(ew.MUL), "__imul__": ew.mul_,
    "__truediv__": _arith(ew.DIV), "__rtruediv__": _operand(ew.rdiv), "__itruediv__": ew.div_,
    "__floordiv__": _operand(ew.floor_divide),
    "__rfloordiv__": _operand(ew._reflected(ew.RFLOOR_DIVIDE, ew.floor_divide)),
    "__mod__": _operand(ew.remainder), "__rmod__": _operand(ew._reflected(ew.RREMAINDER, ew.remainder)),
    "__pow__": _operand(ew.pow), "__rpow__": _operand(_swap(ew.pow)), "__ipow__": ew.pow_,
    "__matmul__": autocast_rule(_operand(linalg.matmul), "matmul"),
    "__rmatmul__": autocast_rule(_operand(_swap(linalg.matmul)), "matmul"),
    "__neg__": ew.neg, "__pos__": lambda self: self, "__abs__": ew.abs,
    "__invert__": ew.bitwise_not,
    "__eq__": _operand(ew.eq), "__ne__": _operand(ew.ne),
    "__lt__": _operand(ew.lt), "__le__": _operand(ew.le), "__gt__": _operand(ew.gt), "__ge__": _operand(ew.ge),
    "__and__": _operand(ew.bitwise_and), "__rand__": _operand(_swap(ew.bitwise_and)),
    "__or__": _operand(ew.bitwise_or), "__ror__": _operand(_swap(ew.bitwise_or)),
    "__xor__": _operand(ew.bitwise_xor), "__rxor__": _operand(_swap(ew.bitwise_xor)),
    "__getitem__": index.getitem, "__setitem__": index.setitem,
}
