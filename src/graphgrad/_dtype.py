"""dtypes and PyTorch's type-promotion rules.

A graphgrad dtype is a thin, hashable handle on a NumPy dtype. Promotion follows PyTorch, not NumPy:
Python scalars never widen a tensor of their own category, and an int tensor meeting a float scalar
becomes the default float dtype (float32), not float64.
"""

from __future__ import annotations

import numpy as np

from . import _names

__all__ = ["dtype", "float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool_", "bfloat16"]

try:  # bfloat16 lives in NumPy through ml_dtypes, an optional extra
    import ml_dtypes as _ml_dtypes
except ImportError:  # pragma: no cover - depends on the install
    _ml_dtypes = None


class dtype:
    """A tensor element type, e.g. ``graphgrad.float32``.

    >>> import graphgrad
    >>> graphgrad.tensor([1.0]).dtype
    graphgrad.float32
    """

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category", "_legacy")

    def __init__(self, name, np_dtype, category, legacy, itemsize=None):
        self.name = name
        # None: a dtype of PyTorch's that graphgrad cannot hold here (``require_supported`` says why)
        self.np = None if np_dtype is None else np.dtype(np_dtype)
        self._category = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = category == 2
        self.is_signed = category >= 2 or (self.np is not None and self.np.kind == "i")
        self.itemsize = self.np.itemsize if self.np is not None else itemsize
        self._legacy = legacy  # PyTorch's tensor-type name, used in its error texts

    @property
    def is_complex(self):
        return self._category == 3

    def __repr__(self):
        return f"{_names.package}.{self.name}"

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
bfloat16 = dtype("bfloat16", _ml_dtypes and _ml_dtypes.bfloat16, 2, "BFloat16Tensor", itemsize=2)
# PyTorch's dtypes that graphgrad has not got: they exist, and using one raises (require_supported)
complex32 = dtype("complex32", None, 3, "ComplexHalfTensor", itemsize=4)
complex64 = dtype("complex64", None, 3, "ComplexFloatTensor", itemsize=8)
complex128 = dtype("complex128", None, 3, "ComplexDoubleTensor", itemsize=16)
uint16 = dtype("uint16", None, 1, "UInt16Tensor", itemsize=2)
uint32 = dtype("uint32", None, 1, "UInt32Tensor", itemsize=4)
uint64 = dtype("uint64", None, 1, "UInt64Tensor", itemsize=8)
chalf, cfloat, cdouble = complex32, complex64, complex128
_UNSUPPORTED = (complex32, complex64, complex128, uint16, uint32, uint64)

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_) + ((bfloat16,) if _ml_dtypes else ())
_FROM_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL + _UNSUPPORTED + (bfloat16,)}
# PyTorch's aliases
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64,
                chalf=complex32, cfloat=complex64, cdouble=complex128)


FLOAT_NP = frozenset(d.np for d in _ALL if d.is_floating_point)  # (the hot paths test `in` it inline)


def is_float_np(np_dtype) -> bool:
    """Whether a NumPy dtype is one of graphgrad's floating dtypes (bfloat16's NumPy kind is "V", not "f")."""
    return np_dtype in FLOAT_NP


def require_supported(d: dtype) -> dtype:
    """``d`` if graphgrad can hold it here; otherwise a clear error (never a silent float32)."""
    if d.np is not None:
        return d
    if d is bfloat16:
        raise ImportError("graphgrad.bfloat16 needs the ml_dtypes package, which is not installed: "
                          "pip install ml_dtypes  (or: pip install 'graphgrad[bf16]')")
    what = "complex tensors" if d.is_complex else "unsigned integers wider than 8 bits"
    raise TypeError(f"graphgrad does not support dtype torch.{d.name}: it has no {what} "
                    "(supported: float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, bool)")


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
        return require_supported(d)
    if d is float:
        return _default_float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d in _BY_NAME:
        return require_supported(_BY_NAME[d])
    return from_numpy_dtype(d)


_NUMBERS = (bool, int, float, complex, np.number, np.bool_)


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
    when they are of a higher category (bool < integer < floating). An operand that is not a number is a
    tensor (Tensor sits a floor above dtypes; the public ``graphgrad.result_type`` checks the types).
    """
    dims = zero = None
    scalar_cat = -1
    for x in operands:
        if isinstance(x, _NUMBERS):
            scalar_cat = max(scalar_cat, _scalar_category(x))
        else:
            d = x.dtype
            if x.dim():
                dims = d if dims is None else promote_types(dims, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
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
