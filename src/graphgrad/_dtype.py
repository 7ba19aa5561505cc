"""dtypes and PyTorch's type-promotion rules.

A graphgrad dtype is a thin, hashable handle on a NumPy dtype. Promotion follows PyTorch, not NumPy:
Python scalars never widen a tensor of their own category, and an int tensor meeting a float scalar
becomes the default float dtype (float32), not float64.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dtype", "float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool_"]


class dtype:
    """A tensor element type, e.g. ``graphgrad.float32``.

    >>> import graphgrad
    >>> graphgrad.tensor([1.0]).dtype
    graphgrad.float32
    """

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category", "_legacy")

    def __init__(self, name, np_dtype, category, legacy):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize
        self._legacy = legacy  # PyTorch's tensor-type name, used in its error texts

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return f"graphgrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16", np.float16, 2, "HalfTensor")
float32 = dtype("float32", np.float32, 2, "FloatTensor")
float64 = dtype("float64", np.float64, 2, "DoubleTensor")
uint8 = dtype("uint8", np.uint8, 1, "ByteTensor")
int8 = dtype("int8", np.int8, 1, "CharTensor")
int16 = dtype("int16", np.int16, 1, "ShortTensor")
int32 = dtype("int32", np.int32, 1, "IntTensor")
int64 = dtype("int64", np.int64, 1, "LongTensor")
bool_ = dtype("bool", np.bool_, 0, "BoolTensor")

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
_FROM_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
# PyTorch's aliases
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)


def _by_name(name):
    return _BY_NAME[name]


_default_float = float32


def get_default_dtype():
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default_float


def set_default_dtype(d):
    """Set the default floating dtype (float32 or float64), as ``torch.set_default_dtype``."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        dt = np.dtype(np_dtype)
        if dt.kind in "cu":  # PyTorch has these (complex, uint16/32/64); graphgrad does not
            raise TypeError(f"can't convert np.ndarray of type {dt.type.__module__}.{dt.type.__name__}: graphgrad "
                            "supports float64, float32, float16, int64, int32, int16, int8, uint8, and bool") from None
        raise TypeError(
            f"can't convert np.ndarray of type {dt.type.__module__}.{dt.type.__name__}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, "
            "uint16, uint8, and bool."
        ) from None


def to_dtype(d) -> dtype:
    """Accept a graphgrad dtype, a NumPy dtype, a Python type or a name."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _default_float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    return from_numpy_dtype(d)


def _scalar_category(x):
    if isinstance(x, (bool, np.bool_)):
        return 0
    if isinstance(x, (int, np.integer)):
        return 1
    return 2


def promote_types(a: dtype, b: dtype) -> dtype:
    """Promotion of two tensor dtypes (``torch.promote_types``)."""
    if a is b:
        return a
    if a._category != b._category:  # int with float is the float type (int64 + float16 -> float16)
        return a if a._category > b._category else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def result_type(*operands) -> dtype:
    """PyTorch's ``result_type`` over tensors and Python scalars.

    Dimensioned tensors decide first; zero-dim tensors and then Python scalars only raise the result
    when they are of a higher category (bool < integer < floating).
    """
    from ._tensor import Tensor  # local: _tensor imports this module

    dims = zero = None
    scalar_cat = -1
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x._data.ndim:
                dims = d if dims is None else promote_types(dims, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            scalar_cat = max(scalar_cat, _scalar_category(x))
    out = dims
    if zero is not None:
        if out is None or zero._category > out._category:
            out = zero
    if scalar_cat >= 0:
        if out is None:
            out = (bool_, int64, _default_float)[scalar_cat]
        elif scalar_cat > out._category:
            out = (bool_, int64, _default_float)[scalar_cat]
    return out
