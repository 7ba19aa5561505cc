"""Python operators on Tensor (``+``, ``@``, ``[]``, ``==``, ...), bound to the ops of the other modules."""

from __future__ import annotations

from . import elementwise as ew
from . import index, linalg


def _swap(fn):
    def reflected(self, other):
        return fn(other, self)

    return reflected


OPERATORS = {
    "__add__": ew.add, "__radd__": _swap(ew.add), "__iadd__": ew.add_,
    "__sub__": ew.sub, "__rsub__": _swap(ew.sub), "__isub__": ew.sub_,
    "__mul__": ew.mul, "__rmul__": _swap(ew.mul), "__imul__": ew.mul_,
    "__truediv__": ew.div, "__rtruediv__": _swap(ew.div), "__itruediv__": ew.div_,
    "__floordiv__": ew.floor_divide, "__rfloordiv__": _swap(ew.floor_divide),
    "__mod__": ew.remainder, "__rmod__": _swap(ew.remainder),
    "__pow__": ew.pow, "__rpow__": _swap(ew.pow), "__ipow__": ew.pow_,
    "__matmul__": linalg.matmul, "__rmatmul__": _swap(linalg.matmul),
    "__neg__": ew.neg, "__pos__": lambda self: self, "__abs__": ew.abs,
    "__invert__": ew.bitwise_not,
    "__eq__": ew.eq, "__ne__": ew.ne, "__lt__": ew.lt, "__le__": ew.le, "__gt__": ew.gt, "__ge__": ew.ge,
    "__and__": ew.bitwise_and, "__rand__": _swap(ew.bitwise_and),
    "__or__": ew.bitwise_or, "__ror__": _swap(ew.bitwise_or),
    "__xor__": ew.bitwise_xor, "__rxor__": _swap(ew.bitwise_xor),
    "__getitem__": index.getitem, "__setitem__": index.setitem,
}
