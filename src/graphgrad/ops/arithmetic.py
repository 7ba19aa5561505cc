"""Arithmetic: add, sub, mul, div, remainder, pow, lerp, addcmul/addcdiv, atan2, hypot, xlogy, copysign,
and their in-place forms.

Each derivative is written with graphgrad ops, so ``create_graph=True`` differentiates it again.
Broadcasting is not undone here: ``Node.apply`` sums every input gradient back to its input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from .._dtype import bool_, is_float_np, result_type
from .._random_kernels import fma32, fma64
from .._tensor import Tensor
from . import _elementwise_loops
from ._export import export
from ._inplace import apply_inplace
from ._op import Op, _torch_name, apply, as_tensor_like, broadcast_error, c_type_name, check_broadcast
from ._operands import NUMBERS, binary, binary_inplace, broadcasts, check_bool_sub, operands
from .comparison import where

# --- arithmetic -----------------------------------------------------------------------------------
# Large float operands run as a loop split over the cores where the fast extra is installed (NumPy's bits, see
# ``_elementwise_loops``); the size test comes first, so that small operands pay no call for it.
_SPLIT_FROM = _elementwise_loops.MIN_ELEMENTS


def _split(ufunc, a, b, out=None):
    """``ufunc(a, b, out=out)`` on the cores, for operands past ``_SPLIT_FROM`` elements."""
    result = _elementwise_loops.binary(ufunc, a, b, out)
    return ufunc(a, b, out=out) if result is None else result


def _add_np(a, b, alpha=1, out=None):
    if alpha != 1:
        return _add_scaled(a, alpha, b, out)
    return _split(np.add, a, b, out) if a.size >= _SPLIT_FROM else np.add(a, b, out=out)


def _add_scaled(a, alpha, b, out=None):
    """``a + alpha * b``. PyTorch's kernel fuses it (one multiply-add); here the product is rounded first, which
    changes the last bit at most, except where alpha * b overflows while the exact sum does not (|alpha| > 1
    only): those elements alone are redone fused (in float64 scaled down by a power of 2, exact, so that
    neither the product nor fma64's splitting of b overflows)."""
    scaled = alpha * b
    result = _split(np.add, a, scaled, out) if a.size >= _SPLIT_FROM else np.add(a, scaled, out=out)
    if abs(alpha) <= 1 or result.dtype not in (np.float32, np.float64):
        return result
    over = np.isinf(scaled) & np.isfinite(b)
    if over.any():
        over = np.broadcast_to(over, result.shape) & np.isfinite(a)
        av, bv = (np.broadcast_to(v, result.shape)[over] for v in (a, b))
        if result.dtype == np.float32:  # (float32 products are exact in float64: no scaling needed)
            result[over] = fma32(bv, np.float32(alpha), av)
        else:
            scale = 2.0 ** math.ceil(math.log2(abs(alpha)))
            result[over] = fma64(bv * 2.0 ** -30, alpha / scale, av * (2.0 ** -30 / scale)) * (scale * 2.0 ** 30)
    return result


ADD = Op("AddBackward0", _add_np,
         lambda n, g: (g, g if n.kwargs.get("alpha", 1) == 1 else g * n.kwargs["alpha"]), promote="same",
         out=True)


def _sub_np(a, b, alpha=1, out=None):  # bool operands are refused before this (``refuses_bools``)
    if alpha != 1:
        return _add_scaled(a, -alpha, b, out)  # (PyTorch's sub is add with -alpha)
    return _split(np.subtract, a, b, out) if a.size >= _SPLIT_FROM else np.subtract(a, b, out=out)


SUB = Op("SubBackward0", _sub_np,
         lambda n, g: (g, -g if n.kwargs.get("alpha", 1) == 1 else g * -n.kwargs["alpha"]), promote="same",
         out=True, refuses_bools=True)


def _mul_bw(n, g):
    a, b = n.saved_tensors
    need = n.needs_input_grad
    return (g * b.conj_() if need[0] else None, g * a if need[1] else None)


def _mul_bw_np(n, g):
    a, b = n.saved_tensors
    need = n.needs_input_grad
    large = g.size >= _SPLIT_FROM
    return (None if not need[0] else _split(np.multiply, g, b._data) if large else g * b._data,
            None if not need[1] else _split(np.multiply, g, a._data) if large else g * a._data)


def _mul_np(a, b, out=None):
    return _split(np.multiply, a, b, out) if a.size >= _SPLIT_FROM else np.multiply(a, b, out=out)


MUL = Op("MulBackward0", _mul_np, _mul_bw, save="ab", promote="same", out=True, backward_np=_mul_bw_np,
         needed_by=((1,), (0,)))


def _div_bw(n, g):
    a, b = n.saved_tensors
    need = n.needs_input_grad
    # PyTorch's -g * ((a / b) / b), not -g * a / b²: b² under- or overflows where the quotient does not
    return (g / b if need[0] else None, -g * ((a / b) / b) if need[1] else None)


def _div_bw_np(n, g):
    a, b = n.saved_tensors  # a is None unless b requires grad; neither when no input does (a no_grad view's op)
    need = n.needs_input_grad
    if not (need[0] or need[1]):
        return None, None
    b = b._data
    return (g / b if need[0] else None, -g * ((a._data / b) / b) if need[1] else None)


DIV = Op("DivBackward0", np.true_divide, _div_bw, save="ab", promote="float", out=True, backward_np=_div_bw_np,
         needed_by=((1,), (0, 1)))

# Variants with a Python number as the second operand (kwarg "other"): same node names as PyTorch.
ADD.scalar = Op("AddBackward0", lambda a, other, alpha=1: _split(np.add, a, other * alpha) if a.size >= _SPLIT_FROM
                else a + other * alpha, lambda n, g: g, const_args=1, backward_np=lambda n, g: g)
SUB.scalar = Op("SubBackward0", lambda a, other, alpha=1: a - other * alpha, lambda n, g: g, const_args=1,
                backward_np=lambda n, g: g)
MUL.scalar = Op("MulBackward0", lambda a, other: _split(np.multiply, a, other) if a.size >= _SPLIT_FROM else a * other,
                lambda n, g: g * n.kwargs["other"], const_args=1,
                backward_np=lambda n, g: _split(np.multiply, g, n.kwargs["other"]) if g.size >= _SPLIT_FROM
                else g * n.kwargs["other"])


def _div_by_number(name):
    return Op(name, lambda a, other: a / other, lambda n, g: g / n.kwargs["other"], const_args=1,
              backward_np=lambda n, g: g / n.kwargs["other"])


DIV.scalar = _div_by_number("DivBackward0")
# ATen's div.Scalar: a division by a number inside PyTorch's C++ composites (e.g. cross_entropy's mean)
DIV_BY_SCALAR = _div_by_number("DivBackward1")
# PyTorch saves the wrapped number for mul/div (not for add/sub): like any saved value it is freed by
# backward(), and a second backward through the node raises. ``saves`` with nothing listed does just that.
MUL.scalar.saves = DIV.scalar.saves = DIV_BY_SCALAR.saves = True


def _div_mode(a, b, rounding_mode=None):
    if rounding_mode is None:
        return np.true_divide(a, b)
    if rounding_mode == "floor":
        return np.floor_divide(a, b) if a.dtype.kind != "f" else np.floor(a / b)
    if rounding_mode == "trunc":
        return np.trunc(a / b).astype(np.result_type(a, b)) if a.dtype.kind != "f" else np.trunc(a / b)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def _zero_grads(n, g):
    """The rounded quotient's derivative: zeros, also where the incoming gradient is NaN (PyTorch's)."""
    zeros = g.new_zeros(g.shape)
    return zeros, zeros


DIV_ROUNDED = Op("DivBackward2", _div_mode, _zero_grads, promote="same")


# ``div(x, y, rounding_mode=None)`` spelt out: PyTorch's other overload (DivBackward2), true division.
DIV_MODE_NONE = Op("DivBackward2", np.true_divide, _div_bw, save="ab", promote="float")
_UNSET = object()


def _not_implemented(name):
    def backward(n, *g):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return backward


# PyTorch records these with a NotImplemented node (one edge per tensor operand): backward raises.
def _integer_checked(divide):
    """``divide(a, b)``, raising PyTorch's error for an integer division by zero (NumPy gives 0 and a
    warning); b is an array or a Python number."""
    def forward(a, b=None, other=None):
        divisor = b if other is None else other
        if a.dtype.kind in "iub" and np.asarray(divisor).dtype.kind in "iub" and not np.all(divisor):
            raise RuntimeError("ZeroDivisionError")
        return divide(a, divisor)
    return forward


FLOOR_DIVIDE = Op("torch::autograd::NotImplemented", _integer_checked(np.floor_divide),
                  _not_implemented("floor_divide"), promote="same")
FLOOR_DIVIDE.scalar = Op("torch::autograd::NotImplemented", _integer_checked(np.floor_divide),
                         _not_implemented("floor_divide"))
# x.floor_divide_(y): its own NotImplemented node, whose error names the in-place op as PyTorch's does
FLOOR_DIVIDE_ = Op("torch::autograd::NotImplemented", _integer_checked(np.floor_divide),
                   _not_implemented("floor_divide_"), promote="same")
RFLOOR_DIVIDE = Op("torch::autograd::NotImplemented", lambda a, other: np.floor_divide(np.asarray(other, a.dtype), a),
                   _not_implemented("floor_divide"))
RREMAINDER = Op("torch::autograd::NotImplemented", lambda a, other: np.remainder(np.asarray(other, a.dtype), a),
                _not_implemented("remainder"))


def _reflected(op, fn):
    """``number <op> tensor``: a float tensor records ``op``; anything else goes the general way."""

    def reflected(self, other):
        if type(other) in NUMBERS and self._data.dtype.kind == "f":
            return apply(op, self, other=other)
        return fn(other, self)

    return reflected


# The rounded quotient is one op whose own derivative is zero (PyTorch's div with a rounding mode): the
# second derivative through it is zero, also where a / b is 0 / 0.
def _remainder_bw(n, g):
    a, b = n.saved_tensors
    return g, -g * a.div(b, rounding_mode="floor")


def _fmod_bw(n, g):
    a, b = n.saved_tensors
    return g, -g * a.div(b, rounding_mode="trunc")


# Tensor operands record RemainderBackward1/FmodBackward1; a Python number records ...Backward0 (one edge).
REMAINDER = Op("RemainderBackward1", _integer_checked(np.remainder), _remainder_bw, save="ab", promote="same")
FMOD = Op("FmodBackward1", _integer_checked(np.fmod), _fmod_bw, save="ab", promote="same")
REMAINDER.scalar = Op("RemainderBackward0", _integer_checked(np.remainder), lambda n, g: g)
FMOD.scalar = Op("FmodBackward0", _integer_checked(np.fmod), lambda n, g: g)
# ``2 - x`` records RsubBackward1 (one edge), ``torch.rsub(x, y)`` RsubBackward0.
RSUB = Op("RsubBackward0", lambda a, b, alpha=1: b - a if alpha == 1 else _add_scaled(b, -alpha, a),
          lambda n, g: (-g if n.kwargs.get("alpha", 1) == 1 else g * -n.kwargs["alpha"], g), promote="same",
          refuses_bools=True)
RSUB.scalar = Op("RsubBackward1", lambda a, other, alpha=1: other - a if alpha == 1 else other - alpha * a,
                 lambda n, g: -g if n.kwargs.get("alpha", 1) == 1 else g * -n.kwargs["alpha"])


def _pow_bw(n, g):
    a, b, out = n.saved_tensors
    need = n.needs_input_grad
    ga = gb = None
    if need[0]:
        ga = g * b * a ** (b - 1)
        ga = where((b == 0), 0.0, ga)
    if need[1]:
        # d/db a**b = a**b * log(a); PyTorch takes 0 where a == 0 and b >= 0.
        # (log(0) = -inf is kept where b < 0, as PyTorch's; replaced where masked, so double backward is finite)
        # (the gradient multiplies the masked derivative, as in PyTorch: a NaN gradient stays NaN there)
        zero_base = (a == 0) & (b >= 0)
        gb = g * where(zero_base, 0.0, out * where(zero_base, 1.0, a).log())
    return ga, gb


POW = Op("PowBackward1", np.power, _pow_bw, save=("a", "b", "out"), promote="same")  # PyTorch saves all three


def _pow_scalar_bw(n, g):
    (a,) = n.saved_tensors
    e = n.kwargs["exponent"]
    if e == 0:
        return g * 0
    return g * (e * a ** (e - 1))


def _pow_scalar(a, exponent):
    if exponent == 2:
        return a * a
    if exponent == 0.5:
        return np.sqrt(a)
    if exponent == -0.5:  # PyTorch's rsqrt: -inf at -0.0 and NaN at -inf, where pow gives inf and 0
        return 1 / np.sqrt(a)
    return np.power(a, exponent)


POW_SCALAR = Op("PowBackward0", _pow_scalar, _pow_scalar_bw, save="a", saved_names=("self",))


def _rpow_bw(n, g):
    (out,) = n.saved_tensors
    return g * out * math.log(n.kwargs["base"]) if n.kwargs["base"] > 0 else g * out * float("nan")


RPOW = Op("PowBackward2", lambda b, base: np.power(np.asarray(base, b.dtype), b), _rpow_bw, save="out")


def add_(self, other, *, alpha=1):
    return binary_inplace(ADD, self, other, **({"alpha": alpha} if alpha != 1 else {}))


def sub_(self, other, *, alpha=1):
    check_bool_sub(self, other)
    return binary_inplace(SUB, self, other, **({"alpha": alpha} if alpha != 1 else {}))


def mul_(self, other):
    return binary_inplace(MUL, self, other)


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is not None:
        return binary_inplace(DIV_ROUNDED, self, other, rounding_mode=rounding_mode)
    return binary_inplace(DIV, self, other)


def pow_(self, exponent):
    if isinstance(exponent, Tensor):
        return binary_inplace(POW, self, exponent)
    return apply_inplace(POW_SCALAR, self, exponent=exponent)


# The in-place forms of the optimizers' ops write with the op itself (``binary_inplace``: a ufunc writes
# straight into x); the others are made from the function (``export``'s ``write_back_form``).
@export("add", inplace=True, inplace_form=add_)
def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting.

    >>> import graphgrad
    >>> graphgrad.add(graphgrad.tensor([1.0, 2.0]), 1)
    tensor([2., 3.])
    """
    if alpha != 1:
        return binary(ADD, input, other, alpha=alpha)
    return binary(ADD, input, other)


@export("sub", "subtract", inplace=True, inplace_form=sub_)
def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    if alpha != 1:
        return binary(SUB, input, other, alpha=alpha)
    return binary(SUB, input, other)


@export("rsub", method=False)
def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (what ``2 - x`` runs: RsubBackward1, as in PyTorch)."""
    if isinstance(other, Tensor) and isinstance(input, Tensor) and not broadcasts(other.shape, input.shape):
        check_bool_sub(input, other)  # (bools are refused first)
        raise broadcast_error(other.shape, input.shape)  # PyTorch names ``other`` tensor a
    if alpha != 1:
        return binary(RSUB, input, other, alpha=alpha)
    return binary(RSUB, input, other)


def rdiv(input, other):
    """``other / input`` for a number ``other``: PyTorch computes it as ``input.reciprocal() * other``."""
    if isinstance(other, Tensor):
        return div(other, input)
    return mul(input.reciprocal(), other)


@export("mul", "multiply", inplace=True, inplace_form=mul_)
def mul(input, other):
    """Elementwise product."""
    return binary(MUL, input, other)


@export("div", "divide", "true_divide", inplace=True, inplace_form=div_)
def div(input, other, *, rounding_mode=_UNSET):
    """Elementwise division (true division unless ``rounding_mode`` is "floor" or "trunc")."""
    if rounding_mode is _UNSET:
        return binary(DIV, input, other)
    if rounding_mode is None:
        a, b = operands(input, other, "div")
        return apply(DIV_MODE_NONE, a, b)
    return binary(DIV_ROUNDED, input, other, rounding_mode=rounding_mode)


@export("floor_divide", inplace=True, inplace_form=lambda self, other: binary_inplace(FLOOR_DIVIDE_, self, other))
def floor_divide(input, other):
    return binary(FLOOR_DIVIDE, input, other)


def _refuse_bool(kernel, *operands):
    """PyTorch's NotImplementedError for a binary kernel it has no bool version of (the operands promote to
    bool: two bool tensors, or a bool tensor and a bool)."""
    if result_type(*operands) is bool_:
        tensors = [t for t in operands if isinstance(t, Tensor)]
        if len(tensors) == 2:  # (shapes that don't broadcast are refused first)
            check_broadcast(tensors[0]._data.shape, tensors[1]._data.shape)
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


@export("remainder", inplace=True)
def remainder(input, other):
    """Python-style modulus (the sign of the divisor), as ``%``."""
    _refuse_bool("remainder_cpu", input, other)
    if type(input) in NUMBERS and isinstance(other, Tensor) and other._data.dtype.kind == "f":
        return apply(RREMAINDER, other, other=input)  # no derivative, as in PyTorch (``2 % x`` too)
    return binary(REMAINDER, input, other)


@export("fmod", inplace=True)
def fmod(input, other):
    """C-style modulus (the sign of the dividend)."""
    _refuse_bool("fmod_cpu", input, other)
    return binary(FMOD, input, other)


@export("pow", inplace=True, inplace_form=pow_)
def pow(input, exponent):
    """``input ** exponent``; a scalar exponent records PowBackward0, a tensor one PowBackward1."""
    if not isinstance(input, Tensor):
        # number ** tensor: 2 ** int_tensor stays integer, 2.0 ** int_tensor is the default float
        if isinstance(exponent, Tensor) and exponent._data.dtype.kind != "f" and (
                isinstance(input, float) or exponent._data.dtype.kind == "b"):
            exponent = exponent.float() if isinstance(input, float) else exponent.long()
        if not isinstance(exponent, Tensor):
            return binary(POW, input, exponent)
        return apply(RPOW, exponent, base=input)
    if isinstance(exponent, Tensor):
        _refuse_bool("pow", input, exponent)
        return binary(POW, input, exponent)
    if input._data.dtype.kind != "f" and isinstance(exponent, float):
        input = input.float()
    elif input._data.dtype == np.bool_ and isinstance(exponent, int):
        input = input.long()  # bool ** int is int64 in PyTorch
    if input._data.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return apply(POW_SCALAR, input, exponent=exponent)


def _lerp_bw(n, g):
    a, b, w = n.saved_tensors
    return g * (1 - w), g * w, g * (b - a)


def _lerp_np(a, b, w, out=None):
    # PyTorch's formula: from the nearer end (weight 1 gives exactly ``end``), so values match.
    if np.ndim(w) == 0:
        if np.abs(w) < 0.5:
            return np.add(a, w * (b - a), out=out)
        return np.subtract(b, (b - a) * (1 - w), out=out)
    return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _lerp_scalar_bw(n, g):
    w = n.kwargs["weight"]
    return g * (1 - w), g * w


LERP = Op("LerpBackward1", _lerp_np, _lerp_bw, save="abc", promote="same")
# A number as the weight: LerpBackward0, with edges for input and end only (as PyTorch).
LERP_SCALAR = Op("LerpBackward0", lambda a, b, weight, out=None: _lerp_np(a, b, weight, out), _lerp_scalar_bw,
                 promote="same", out=True)


def lerp_(self, end, weight):
    """In-place ``lerp`` (what ``exp_avg.lerp_(grad, 1 - beta1)`` in Adam runs)."""
    end = as_tensor_like(end, self) if not isinstance(end, Tensor) else end
    _check_lerp_dtypes(self, end, weight)
    if not isinstance(weight, Tensor):
        return apply_inplace(LERP_SCALAR, self, end, weight=float(weight))
    return apply_inplace(LERP, self, end, weight)


@export("lerp", inplace=True, inplace_form=lerp_)
def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    if isinstance(input, Tensor):
        _check_lerp_dtypes(input, end, weight)  # before the shapes, as PyTorch
    input, end = operands(input, end)
    if not isinstance(weight, Tensor):
        return apply(LERP_SCALAR, input, end, weight=float(weight))
    return apply(LERP, input, end, weight)


def _check_lerp_dtypes(input, end, weight):
    """lerp does not promote: PyTorch wants end (and a tensor weight) of input's dtype."""
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected dtype {c_type_name(input._data.dtype)} for `{name}` but got dtype "
                               f"{c_type_name(t._data.dtype)}")
    if not is_float_np(input._data.dtype):  # its kernels are floating point only
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(input._data.dtype)}\'')


def _addcmul_bw(n, g):
    b, c = n.saved_tensors
    v = n.kwargs.get("value", 1)
    return g, g * c * v, g * b * v


def _addcdiv_bw(n, g):
    b, c = n.saved_tensors
    v = n.kwargs.get("value", 1)
    return g, g * v / c, -g * v * b / (c * c)


# ``value * b * c`` in this order, as PyTorch's CPU kernel computes it (float32 math stays float32).
def _addcmul_np(a, b, c, value=1, out=None):
    return np.add(a, value * b * c, out=out)


def _addcdiv_np(a, b, c, value=1, out=None):
    return np.add(a, value * b / c, out=out)


ADDCMUL = Op("AddcmulBackward0", _addcmul_np, _addcmul_bw, save="bc", promote="same",
             saved_names=("tensor1", "tensor2"), out=True)
ADDCDIV = Op("AddcdivBackward0", _addcdiv_np, _addcdiv_bw, save="bc", promote="same",
             saved_names=("tensor1", "tensor2"), out=True)


def _tensors_like(x, *others):
    return tuple(o if isinstance(o, Tensor) else as_tensor_like(o, x) for o in others)


def addcmul_(self, tensor1, tensor2, *, value=1):
    return apply_inplace(ADDCMUL, self, *_tensors_like(self, tensor1, tensor2), value=float(value))


def addcdiv_(self, tensor1, tensor2, *, value=1):
    return apply_inplace(ADDCDIV, self, *_tensors_like(self, tensor1, tensor2), value=float(value))


@export("addcmul", inplace=True, inplace_form=addcmul_)
def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``.

    >>> import graphgrad
    >>> graphgrad.addcmul(graphgrad.zeros(2), graphgrad.tensor([1.0, 2.0]), graphgrad.tensor([3.0, 4.0]), value=0.5)
    tensor([1.5000, 4.0000])
    """
    return apply(ADDCMUL, input, *_tensors_like(input, tensor1, tensor2), value=float(value))


@export("addcdiv", inplace=True, inplace_form=addcdiv_)
def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``."""
    return apply(ADDCDIV, input, *_tensors_like(input, tensor1, tensor2), value=float(value))


def _atan2_bw(n, g):
    a, b = n.saved_tensors
    # PyTorch's derivative is 0 where a * a + b * b is 0 (at the origin, or underflowed), not 0 / 0
    d = a * a + b * b
    recip = where(d == 0, 0.0, d.reciprocal())
    return g * b * recip, g * -a * recip


def _atan2_np(a, b):
    # NumPy's float32 arctan2 is off by an ulp where PyTorch's is correctly rounded (atan2(x, x) is pi/4
    # rounded): computed in float64, rounded once
    if a.dtype.itemsize < 8:
        return np.arctan2(a, b, dtype=np.float64).astype(a.dtype)
    return np.arctan2(a, b)


ATAN2 = Op("Atan2Backward0", _atan2_np, _atan2_bw, save="ab", promote="float")


@export("atan2", "arctan2", inplace=True)
def atan2(input, other):
    return binary(ATAN2, input, other)


# --- hypot, xlogy, copysign, logit, nan_to_num --------------------------------------------------------
_NUMBER = (bool, int, float, np.number, np.bool_)


def _hypot_bw(n, g):
    a, b, out = n.saved_tensors
    return g * a / out, g * b / out


HYPOT = Op("HypotBackward0", np.hypot, _hypot_bw, save=("a", "b", "out"), promote="same")


@export("hypot", inplace=True)
def hypot(input, other):
    """``sqrt(input**2 + other**2)``, elementwise, without overflow."""
    if not isinstance(other, Tensor):
        raise TypeError(f"hypot(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b = operands(input, other, "hypot")
    promoted = result_type(a, b).np
    if not is_float_np(promoted):
        name = _torch_name(promoted)
        raise NotImplementedError(f'"hypot_cpu" not implemented for \'{name}\'')
    return apply(HYPOT, a, b)


def _xlogy_np(x, y):
    out = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out).astype(out.dtype, copy=False)


def _xlogy_bw(n, g):
    x, y = n.saved_tensors
    need = n.needs_input_grad
    # PyTorch's xlogy(grad, y): 0 where the incoming gradient is 0 even if log(y) is NaN; 0 where x == 0 and
    # y <= 0; log(y) where x == 0 < y
    gx = where((x == 0) & (y <= 0), 0.0, xlogy(g, y)) if need[0] else None
    gy = g * x / y if need[1] else None
    return gx, gy


XLOGY = Op("XlogyBackward0", _xlogy_np, _xlogy_bw, save="ab", promote="float")
# a number as self (XlogyBackward1) or as other (XlogyBackward2): one edge, for the tensor
XLOGY_SELF_NUMBER = Op("XlogyBackward1", lambda y, self: _xlogy_np(np.asarray(self, y.dtype), y),
                       lambda n, g: g * n.kwargs["self"] / n.saved_tensors[0], save="a", promote="float")


def _xlogy_other_number_bw(n, g):
    # PyTorch's xlogy(g, other), and 0 where x == 0 unless other > 0 (a NaN other too): log(other) at x == 0
    gx = xlogy(g, n.kwargs["other"])
    return gx if n.kwargs["other"] > 0 else where(n.saved_tensors[0] == 0, 0.0, gx)


XLOGY_OTHER_NUMBER = Op("XlogyBackward2", lambda x, other: _xlogy_np(x, np.asarray(other, x.dtype)),
                        _xlogy_other_number_bw, save="a", promote="float")


@export("xlogy", inplace=True, inplace_function=True)
def xlogy(input, other):
    """``input * log(other)``, and 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError(f"xlogy() received an invalid combination of arguments - got ({type(input).__name__}, "
                            f"{type(other).__name__}), but expected one of:\n"
                            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                            " * (Number self, Tensor other, *, Tensor out = None)\n"
                            " * (Tensor input, Number other, *, Tensor out = None)\n")
        return apply(XLOGY_SELF_NUMBER, other, self=float(input))
    if not isinstance(other, Tensor) and isinstance(other, _NUMBER):
        return apply(XLOGY_OTHER_NUMBER, input, other=float(other))
    a, b = operands(input, other, "xlogy")
    return apply(XLOGY, a, b)


def _copysign_bw(n, g):
    a, out = n.saved_tensors
    ga = g * where(a == 0, 0.0, out / a)
    if len(n._in_meta) == 1:
        return ga
    return ga, g * 0


COPYSIGN = Op("CopysignBackward0", np.copysign, _copysign_bw, save=("a", "out"), promote="float")
COPYSIGN_NUMBER = Op("CopysignBackward1", lambda a, other: np.copysign(a, np.asarray(other, a.dtype)), _copysign_bw,
                     save=("a", "out"), promote="float")


@export("copysign", inplace=True)
def copysign(input, other):
    """The magnitude of ``input`` with the sign of ``other``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"copysign() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__}), but expected one of:\n"
                        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, Number other, *, Tensor out = None)\n")
    if not isinstance(other, Tensor) and isinstance(other, _NUMBER):
        return apply(COPYSIGN_NUMBER, input, other=float(other))
    a, b = operands(input, other, "copysign")
    return apply(COPYSIGN, a, b)
