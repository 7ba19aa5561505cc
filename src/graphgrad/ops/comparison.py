"""Comparisons, logic and selection: eq/lt/..., logical and bitwise ops, isnan/isinf, equal/allclose/isclose,
maximum/minimum/fmax/fmin and where."""

from __future__ import annotations

import numpy as np

from .._dtype import result_type
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._export import export
from ._inplace import apply_inplace, check_inplace
from ._op import Op, _torch_name, apply, broadcast_error, check_broadcast
from ._operands import NUMBERS, binary, binary_inplace, operands


def _minmax_bw(n, g, first_loses):
    a, b = n.saved_tensors
    # PyTorch: ties split the gradient in half; each side gets it unless it lost (so both get it against a NaN)
    shared = where(a == b, g / 2, g)
    return where(first_loses(a, b), 0.0, shared), where(first_loses(b, a), 0.0, shared)


MAXIMUM = Op("MaximumBackward0", np.maximum, lambda n, g: _minmax_bw(n, g, lambda a, b: a < b), save="ab",
             promote="same")
MINIMUM = Op("MinimumBackward0", np.minimum, lambda n, g: _minmax_bw(n, g, lambda a, b: a > b), save="ab",
             promote="same")


@export("maximum", "max_elementwise")
def maximum(input, other):
    return binary(MAXIMUM, input, other)


@export("minimum")
def minimum(input, other):
    return binary(MINIMUM, input, other)


def _fminmax_bw(n, g, first_wins):
    # PyTorch: the gradient goes to ``self`` where it is chosen (ties included) or ``other`` is NaN
    a, b = n.saved_tensors
    to_a = first_wins(a, b).logical_or(b.isnan())
    return where(to_a, g, 0.0), where(to_a, 0.0, g)


FMAX = Op("FmaxBackward0", np.fmax, lambda n, g: _fminmax_bw(n, g, lambda a, b: a >= b), save="ab", promote="same")
FMIN = Op("FminBackward0", np.fmin, lambda n, g: _fminmax_bw(n, g, lambda a, b: a <= b), save="ab", promote="same")


@export("fmax")
def fmax(input, other):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    return binary(FMAX, input, other)


@export("fmin")
def fmin(input, other):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    return binary(FMIN, input, other)


def _where_bw(n, g):
    cond = Tensor._make(n.kwargs["condition"], False, None)
    return where(cond, g, 0.0), where(cond, 0.0, g)  # zeros where unselected, even for a NaN gradient


# The condition is a constant (a kwarg), so the node has PyTorch's two edges: input and other.
WHERE = Op("WhereBackward0", lambda a, b, condition: np.where(condition, a, b), _where_bw)
WHERE.saves = True  # PyTorch saves the condition: freed by backward()


def _where_method(self, condition, other):
    """``x.where(condition, y)`` is ``where(condition, x, y)``."""
    return where(condition, self, other)


export("where", function=False)(_where_method)


@export("where", method=False)
def where(condition, input=None, other=None):
    """``input`` where ``condition`` holds, else ``other`` (scalars allowed for either)."""
    if input is None and other is None:
        return tuple(Tensor._make(i, False, None) for i in np.nonzero(condition._data))
    if not isinstance(condition, Tensor):
        condition = Tensor._make(np.asarray(condition, dtype=bool), False, None)
    # PyTorch broadcasts condition, input, other in this order: the error names the shape so far and the next
    shape = condition._data.shape
    for t in (input, other):
        if isinstance(t, Tensor) and t._data.shape != shape:
            shape = check_broadcast(shape, t._data.shape)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        dt = result_type(input, other).np
        input = Tensor._make(np.asarray(input, dt), False, None)
    input, other = operands(input, other)
    dt = input._data.dtype if input._data.dtype == other._data.dtype else None
    if dt is None:
        dt = result_type(input, other)
        input, other = input.to(dt), other.to(dt)
    if condition._data.dtype != np.bool_:
        if condition._data.dtype == np.uint8:
            condition = Tensor._make(condition._data.astype(bool), False, None)
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{condition.dtype._legacy[:-len('Tensor')]}")
    sc = condition._data.shape
    if sc != input._data.shape or sc != other._data.shape:
        try:
            np.broadcast_shapes(sc, input._data.shape, other._data.shape)
        except ValueError:
            bad = input._data.shape
            try:
                np.broadcast_shapes(sc, bad)
            except ValueError:
                raise broadcast_error(sc, bad) from None
            raise broadcast_error(np.broadcast_shapes(sc, bad), other._data.shape) from None
    return apply(WHERE, input, other, condition=condition._data)


# --- comparisons and logic: results are bool and never require grad -------------------------------
def _zero_grads(n, g):
    """The derivative of a comparison in each input: zero. Only the in-place form records it (``x.eq_(y)``
    writes 0/1 into a float x that requires grad, whose gradient then stops here, as in PyTorch)."""
    return tuple(Tensor._make(np.zeros(shape, dt), False, None) for shape, dt in n._in_meta)


def _compare(name, fn, doc, names, float_kernel=True):
    """Declare a comparison (``name``: PyTorch's node for a tensor ``other``, ...Backward1; a number records
    ...Backward0 with one edge) or a logical/bitwise op (``name`` without Backward: no derivative), exported
    under ``names`` with its in-place methods: ``x.eq_(y)`` writes 0/1 in x's dtype and stops x's gradient,
    ``x.logical_and_(y)`` is not recorded (x keeps its history, as in PyTorch). ``float_kernel=False``: the op
    refuses floating-point tensors, with PyTorch's error (bitwise ops)."""
    compares = name.endswith("Backward1")
    op = Op(name, fn, _zero_grads if compares else None, promote="same")
    if compares:
        op.scalar = Op(name[:-1] + "0", lambda a, other: fn(a, other), _zero_grads, const_args=1)

    def check_kernel(*tensors):
        for t in tensors:
            if not float_kernel and isinstance(t, Tensor) and t._data.dtype.kind in "fc":
                raise NotImplementedError(f'"{names[0]}_cpu" not implemented for \'{_torch_name(t._data.dtype)}\'')

    def f(input, other):
        check_kernel(input, other)
        return binary(op, input, other)

    def inplace(self, other):
        if not float_kernel:
            check_inplace(self)  # PyTorch refuses a leaf that requires grad before it looks at the dtype
        check_kernel(self, other)
        if not compares:
            with no_grad():
                return binary_inplace(op, self, other)
        if type(other) in NUMBERS and self._data.dtype.kind == "f":
            return apply_inplace(op.scalar, self, other=other)
        return binary_inplace(op, self, other)

    f.__doc__ = doc
    f.__name__ = inplace.__name__ = names[0]
    return export(*names, inplace=True, inplace_form=inplace)(f)


eq = _compare("EqBackward1", np.equal, "Elementwise ``==`` (a bool tensor).", ("eq",))
ne = _compare("NeBackward1", np.not_equal, "Elementwise ``!=``.", ("ne", "not_equal"))
lt = _compare("LtBackward1", np.less, "Elementwise ``<``.", ("lt", "less"))
le = _compare("LeBackward1", np.less_equal, "Elementwise ``<=``.", ("le", "less_equal"))
gt = _compare("GtBackward1", np.greater, "Elementwise ``>``.", ("gt", "greater"))
ge = _compare("GeBackward1", np.greater_equal, "Elementwise ``>=``.", ("ge", "greater_equal"))
logical_and = _compare("LogicalAnd", np.logical_and, "Elementwise logical and.", ("logical_and",))
logical_or = _compare("LogicalOr", np.logical_or, "Elementwise logical or.", ("logical_or",))
logical_xor = _compare("LogicalXor", np.logical_xor, "Elementwise logical xor.", ("logical_xor",))
bitwise_and = _compare("BitwiseAnd", np.bitwise_and, "Elementwise ``&``.", ("bitwise_and",), float_kernel=False)
bitwise_or = _compare("BitwiseOr", np.bitwise_or, "Elementwise ``|``.", ("bitwise_or",), float_kernel=False)
bitwise_xor = _compare("BitwiseXor", np.bitwise_xor, "Elementwise ``^``.", ("bitwise_xor",), float_kernel=False)
_ISNAN = Op("IsNan", np.isnan, None)
_ISINF = Op("IsInf", np.isinf, None)
_ISFINITE = Op("IsFinite", np.isfinite, None)


@export("isnan")
def isnan(input):
    return apply(_ISNAN, input)


def _signbit_np(a):
    if a.dtype.kind == "c":
        raise RuntimeError("signbit is not implemented for complex tensors.")
    return np.zeros(a.shape, np.bool_) if a.dtype == np.bool_ else np.signbit(a)


_SIGNBIT = Op("Signbit", _signbit_np, None)


@export("signbit")
def signbit(input):
    """Whether each element's sign bit is set (True for -0.0 and a negative NaN)."""
    return apply(_SIGNBIT, input)


@export("isinf")
def isinf(input):
    return apply(_ISINF, input)


@export("isfinite")
def isfinite(input):
    return apply(_ISFINITE, input)


@export("equal")
def equal(input, other):
    """True when both tensors have the same shape and values."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def _check_broadcast(a, b):
    check_broadcast(a._data.shape, b._data.shape)


@export("allclose")
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_broadcast(input, other)
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@export("isclose")
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_broadcast(input, other)
    return Tensor._make(np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan), False, None)
