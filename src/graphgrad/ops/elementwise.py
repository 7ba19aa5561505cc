"""Elementwise ops: arithmetic, math functions, comparisons, and their in-place forms.

Each derivative is written with graphgrad ops, so ``create_graph=True`` differentiates it again.
Broadcasting is not undone here: ``Node.apply`` sums every input gradient back to its input's shape.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._dtype import get_default_dtype, is_float_np, result_type
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._erf import erfinv_np
from ._op import (
    REGISTRY,
    Op,
    _torch_name,
    apply,
    apply_inplace,
    as_tensor_like,
    broadcast_error,
    check_inplace,
    depends_on,
    export,
)


def quiet_numpy_warnings():
    """PyTorch computes ``log(-1) = nan`` and ``1 / 0 = inf`` silently; NumPy warns (RuntimeWarning).
    Ignore NumPy's floating-point warnings raised inside graphgrad's own ops: a warnings filter costs
    nothing per op (``np.errstate`` around every op would)."""
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"graphgrad\.")


quiet_numpy_warnings()


_OPERAND_TYPES = (bool, int, float, np.number, np.bool_, np.ndarray)


def _operand_error(x, which, op_name):
    where = f"{op_name}(): argument" if op_name else "argument"
    pos = 1 if which == "input" else 2
    return TypeError(f"{where} '{which}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _operands(a, b, op_name=None):
    """Both operands as Tensors (a Python scalar takes the dtype PyTorch gives it); lists, None, strings
    are rejected with PyTorch's TypeError."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            if not isinstance(a, _OPERAND_TYPES):
                raise _operand_error(a, "input", op_name)
            if not isinstance(b, _OPERAND_TYPES):
                raise _operand_error(b, "other", op_name)
            from .._factories import tensor

            a = tensor(a)  # torch.mul(2, 3) is tensor(6)
            b = as_tensor_like(b, a)
        elif not isinstance(a, _OPERAND_TYPES):
            raise _operand_error(a, "input", op_name)
        else:
            a = as_tensor_like(a, b)
    elif not isinstance(b, Tensor):
        if not isinstance(b, _OPERAND_TYPES):
            raise _operand_error(b, "other", op_name)
        b = as_tensor_like(b, a)
    sa, sb = a._data.shape, b._data.shape
    if sa != sb and sa and sb:
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise broadcast_error(sa, sb) from None
    return a, b


_NUMBERS = (int, float)


def _is_bool(x):
    return x.__class__ is bool or isinstance(x, np.bool_) or isinstance(x, Tensor) and x._data.dtype == np.bool_


def _check_bool_sub(a, b):
    """PyTorch's sub_check: its text for two bool operands, and another for one (Python bools count)."""
    ba, bb = _is_bool(a), _is_bool(b)
    if ba and bb:
        raise RuntimeError(_SUB_TWO_BOOLS)
    if ba or bb:
        raise RuntimeError(_SUB_BOOL)


def binary(op, a, b, **kw):
    # Fast path: float tensor with a Python number. NumPy treats the number as "weak", as PyTorch does,
    # so the tensor's dtype is kept and nothing needs wrapping.
    if type(b) in _NUMBERS and op.scalar is not None and isinstance(a, Tensor) and a._data.dtype.kind == "f":
        return apply(op.scalar, a, other=b, **kw)
    if op is SUB or op is RSUB:
        _check_bool_sub(a, b)  # before the shapes, as PyTorch (x - True counts as x - a bool tensor)
    a, b = _operands(a, b, op.forward_name.lower())
    return apply(op, a, b, **kw)


def _binary_inplace(op, x, other, **kw):
    if not isinstance(other, Tensor):
        if not isinstance(other, _OPERAND_TYPES):
            raise _operand_error(other, "other", op.forward_name.lower() + "_")
        other = as_tensor_like(other, x)
    elif other._data.shape != x._data.shape:
        check_inplace(x)  # PyTorch refuses the leaf before it looks at the shapes
        try:
            np.broadcast_shapes(x._data.shape, other._data.shape)
        except ValueError:
            raise broadcast_error(x._data.shape, other._data.shape) from None
    return apply_inplace(op, x, other, **kw)


# --- arithmetic -----------------------------------------------------------------------------------
def _add_np(a, b, alpha=1, out=None):
    return np.add(a, b if alpha == 1 else alpha * b, out=out)


ADD = Op("AddBackward0", _add_np,
         lambda n, g: (g, g if n.kwargs.get("alpha", 1) == 1 else g * n.kwargs["alpha"]), promote="same",
         out=True)
_SUB_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
             "mask, use the `~` or `logical_not()` operator instead.")
_SUB_TWO_BOOLS = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                  "`logical_xor()` operator instead.")
_NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
             "use the `~` or `logical_not()` operator instead.")


def _sub_np(a, b, alpha=1, out=None):
    if a.dtype == np.bool_ or b.dtype == np.bool_:
        raise RuntimeError(_SUB_TWO_BOOLS if a.dtype == b.dtype else _SUB_BOOL)
    return np.subtract(a, b if alpha == 1 else alpha * b, out=out)


def _neg_np(a):
    if a.dtype == np.bool_:
        raise RuntimeError(_NEG_BOOL)
    return np.negative(a)


SUB = Op("SubBackward0", _sub_np,
         lambda n, g: (g, -g if n.kwargs.get("alpha", 1) == 1 else g * -n.kwargs["alpha"]), promote="same",
         out=True)


def _mul_bw(n, g):
    a, b = n.saved_tensors
    need = n.needs_input_grad
    return (g * b.conj_() if need[0] else None, g * a if need[1] else None)


def _mul_bw_np(n, g):
    a, b = n.saved_tensors
    need = n.needs_input_grad
    return (g * b._data if need[0] else None, g * a._data if need[1] else None)


MUL = Op("MulBackward0", np.multiply, _mul_bw, save="ab", promote="same", out=True, backward_np=_mul_bw_np,
         needed_by=((1,), (0,)))


def _div_bw(n, g):
    a, b = n.saved_tensors
    need = n.needs_input_grad
    return (g / b if need[0] else None, -g * a / (b * b) if need[1] else None)


def _div_bw_np(n, g):
    a, b = n.saved_tensors  # a is None unless b requires grad
    b = b._data
    need = n.needs_input_grad
    return (g / b if need[0] else None, -g * a._data / (b * b) if need[1] else None)


DIV = Op("DivBackward0", np.true_divide, _div_bw, save="ab", promote="float", out=True, backward_np=_div_bw_np,
         needed_by=((1,), (0, 1)))

# Variants with a Python number as the second operand (kwarg "other"): same node names as PyTorch.
ADD.scalar = Op("AddBackward0", lambda a, other, alpha=1: a + other * alpha, lambda n, g: g, const_args=1)
SUB.scalar = Op("SubBackward0", lambda a, other, alpha=1: a - other * alpha, lambda n, g: g, const_args=1)
MUL.scalar = Op("MulBackward0", lambda a, other: a * other, lambda n, g: g * n.kwargs["other"], const_args=1,
                backward_np=lambda n, g: g * n.kwargs["other"])
DIV.scalar = Op("DivBackward0", lambda a, other: a / other, lambda n, g: g / n.kwargs["other"], const_args=1,
                backward_np=lambda n, g: g / n.kwargs["other"])
# PyTorch saves the wrapped number for mul/div (not for add/sub): like any saved value it is freed by
# backward(), and a second backward through the node raises. ``saves`` with nothing listed does just that.
MUL.scalar.saves = DIV.scalar.saves = True


def _div_mode(a, b, rounding_mode=None):
    if rounding_mode is None:
        return np.true_divide(a, b)
    if rounding_mode == "floor":
        return np.floor_divide(a, b) if a.dtype.kind != "f" else np.floor(a / b)
    if rounding_mode == "trunc":
        return np.trunc(a / b).astype(np.result_type(a, b)) if a.dtype.kind != "f" else np.trunc(a / b)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


DIV_ROUNDED = Op("DivBackward2", _div_mode, lambda n, g: (g * 0, g * 0), promote="same")


# ``div(x, y, rounding_mode=None)`` spelt out: PyTorch's other overload (DivBackward2), true division.
DIV_MODE_NONE = Op("DivBackward2", np.true_divide, _div_bw, save="ab", promote="float")
_UNSET = object()


def _not_implemented(name):
    def backward(n, *g):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return backward


# PyTorch records these with a NotImplemented node (one edge per tensor operand): backward raises.
FLOOR_DIVIDE = Op("torch::autograd::NotImplemented", np.floor_divide, _not_implemented("floor_divide"), promote="same")
FLOOR_DIVIDE.scalar = Op("torch::autograd::NotImplemented", lambda a, other: np.floor_divide(a, other),
                         _not_implemented("floor_divide"))
RFLOOR_DIVIDE = Op("torch::autograd::NotImplemented", lambda a, other: np.floor_divide(np.asarray(other, a.dtype), a),
                   _not_implemented("floor_divide"))
RREMAINDER = Op("torch::autograd::NotImplemented", lambda a, other: np.remainder(np.asarray(other, a.dtype), a),
                _not_implemented("remainder"))


def _reflected(op, fn):
    """``number <op> tensor``: a float tensor records ``op``; anything else goes the general way."""

    def reflected(self, other):
        if type(other) in _NUMBERS and self._data.dtype.kind == "f":
            return apply(op, self, other=other)
        return fn(other, self)

    return reflected


def _remainder_bw(n, g):
    a, b = n.saved_tensors
    return g, -g * (a / b).floor()


def _fmod_bw(n, g):
    a, b = n.saved_tensors
    return g, -g * (a / b).trunc()


# Tensor operands record RemainderBackward1/FmodBackward1; a Python number records ...Backward0 (one edge).
REMAINDER = Op("RemainderBackward1", np.remainder, _remainder_bw, save="ab", promote="same")
FMOD = Op("FmodBackward1", np.fmod, _fmod_bw, save="ab", promote="same")
REMAINDER.scalar = Op("RemainderBackward0", lambda a, other: np.remainder(a, other), lambda n, g: g)
FMOD.scalar = Op("FmodBackward0", lambda a, other: np.fmod(a, other), lambda n, g: g)
# ``2 - x`` records RsubBackward1 (one edge), ``torch.rsub(x, y)`` RsubBackward0.
RSUB = Op("RsubBackward0", lambda a, b, alpha=1: b - a if alpha == 1 else b - alpha * a,
          lambda n, g: (-g if n.kwargs.get("alpha", 1) == 1 else g * -n.kwargs["alpha"], g), promote="same")
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
        gb = g * out * where(a == 0, 1.0, a).log()
        gb = where((a == 0) & (b >= 0), 0.0, gb)
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
    return np.power(a, exponent)


POW_SCALAR = Op("PowBackward0", _pow_scalar, _pow_scalar_bw, save="a", saved_names=("self",))


def _rpow_bw(n, g):
    (out,) = n.saved_tensors
    return g * out * math.log(n.kwargs["base"]) if n.kwargs["base"] > 0 else g * out * float("nan")


RPOW = Op("PowBackward2", lambda b, base: np.power(np.asarray(base, b.dtype), b), _rpow_bw, save="out")


@export("add")
def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting.

    >>> import graphgrad
    >>> graphgrad.add(graphgrad.tensor([1.0, 2.0]), 1)
    tensor([2., 3.])
    """
    if alpha != 1:
        return binary(ADD, input, other, alpha=alpha)
    return binary(ADD, input, other)


@export("sub", "subtract")
def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    if alpha != 1:
        return binary(SUB, input, other, alpha=alpha)
    return binary(SUB, input, other)


@export("rsub", method=False)
def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (what ``2 - x`` runs: RsubBackward1, as in PyTorch)."""
    if isinstance(other, Tensor) and isinstance(input, Tensor) and not _broadcasts(other.shape, input.shape):
        raise broadcast_error(other.shape, input.shape)  # PyTorch names ``other`` tensor a
    if alpha != 1:
        return binary(RSUB, input, other, alpha=alpha)
    return binary(RSUB, input, other)


def rdiv(input, other):
    """``other / input`` for a number ``other``: PyTorch computes it as ``input.reciprocal() * other``."""
    if isinstance(other, Tensor):
        return div(other, input)
    return mul(reciprocal(input), other)


@export("mul", "multiply")
def mul(input, other):
    """Elementwise product."""
    return binary(MUL, input, other)


@export("div", "divide", "true_divide")
def div(input, other, *, rounding_mode=_UNSET):
    """Elementwise division (true division unless ``rounding_mode`` is "floor" or "trunc")."""
    if rounding_mode is _UNSET:
        return binary(DIV, input, other)
    if rounding_mode is None:
        a, b = _operands(input, other, "div")
        return apply(DIV_MODE_NONE, a, b)
    return binary(DIV_ROUNDED, input, other, rounding_mode=rounding_mode)


@export("floor_divide")
def floor_divide(input, other):
    return binary(FLOOR_DIVIDE, input, other)


@export("remainder")
def remainder(input, other):
    """Python-style modulus (the sign of the divisor), as ``%``."""
    if type(input) in _NUMBERS and isinstance(other, Tensor) and other._data.dtype.kind == "f":
        return apply(RREMAINDER, other, other=input)  # no derivative, as in PyTorch (``2 % x`` too)
    return binary(REMAINDER, input, other)


@export("fmod")
def fmod(input, other):
    """C-style modulus (the sign of the dividend)."""
    return binary(FMOD, input, other)


@export("pow")
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
        return binary(POW, input, exponent)
    if input._data.dtype.kind != "f" and isinstance(exponent, float):
        input = input.float()
    elif input._data.dtype == np.bool_ and isinstance(exponent, int):
        input = input.long()  # bool ** int is int64 in PyTorch
    if input._data.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return apply(POW_SCALAR, input, exponent=exponent)


# --- unary math -----------------------------------------------------------------------------------
# dtypes PyTorch has no kernel for: op -> (kernel named in the error, numpy kinds refused)
_NO_KERNEL = {"abs": ("abs_cpu", "b"), "floor": ("floor_vml_cpu", "b"), "ceil": ("ceil_vml_cpu", "b"),
              "trunc": ("trunc_vml_cpu", "b"), "fix": ("trunc_vml_cpu", "b"), "round": ("round_vml_cpu", "b"),
              "frac": ("frac_cpu", "biu"), "bitwise_not": ("bitwise_not_cpu", "fc")}


def _check_kernel(name, input):
    """PyTorch's NotImplementedError for a dtype its kernel doesn't cover (abs of a bool tensor, ...)."""
    spec = _NO_KERNEL.get(name)
    if spec is not None and input._data.dtype.kind in spec[1]:
        raise NotImplementedError(f'"{spec[0]}" not implemented for \'{_torch_name(input._data.dtype)}\'')
    if name == "relu" and input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")


def _unary(name, fwd, bw, save="a", promote="float", doc=None, names=(), backward_np=None):
    op = Op(name, fwd, bw, save=save, promote=promote, backward_np=backward_np)
    checked = names[0] in _NO_KERNEL or names[0] == "relu"

    def fn(input):
        if checked:
            _check_kernel(names[0], input)
        return apply(op, input)

    fn.__name__ = names[0]
    fn.__doc__ = doc or f"Elementwise ``{names[0]}``."
    fn._op = op  # the in-place form (x.exp_()) applies the same op
    export(*names)(fn)
    return fn


def _saved(n):
    return n.saved_tensors[0]


neg = _unary("NegBackward0", _neg_np, lambda n, g: -g, save="", promote=None, names=("neg", "negative"))
abs = _unary("AbsBackward0", np.abs, lambda n, g: g * _saved(n).sign(), promote=None, names=("abs", "absolute"))
def _zero_grad(n, g):
    """A derivative that is zero everywhere: zeros, even where the incoming gradient is NaN (PyTorch's zeros_like)."""
    return g.new_zeros(g.shape)


def _sign_np(a):
    if a.dtype == np.bool_:
        return a.copy()
    if is_float_np(a.dtype):
        return np.where(np.isnan(a), 0, np.sign(a)).astype(a.dtype, copy=False)  # PyTorch's sign(nan) is 0
    return np.sign(a)


sign = _unary("SignBackward0", _sign_np, _zero_grad,
              save="", promote=None, names=("sign",))
exp = _unary("ExpBackward0", np.exp, lambda n, g: g * _saved(n), save="out", names=("exp",),
             backward_np=lambda n, g: g * _saved(n)._data)
exp2 = _unary("Exp2Backward0", np.exp2, lambda n, g: g * _saved(n) * math.log(2), save="out", names=("exp2",))
log = _unary("LogBackward0", np.log, lambda n, g: g / _saved(n), names=("log",),
             backward_np=lambda n, g: g / _saved(n)._data)
log2 = _unary("Log2Backward0", np.log2, lambda n, g: g / (_saved(n) * math.log(2)), names=("log2",))
log10 = _unary("Log10Backward0", np.log10, lambda n, g: g / (_saved(n) * math.log(10)), names=("log10",))
log1p = _unary("Log1PBackward0", np.log1p, lambda n, g: g / (_saved(n) + 1), names=("log1p",))
expm1 = _unary("Expm1Backward0", np.expm1, lambda n, g: g * (_saved(n) + 1), save="out", names=("expm1",))
sqrt = _unary("SqrtBackward0", np.sqrt, lambda n, g: g / (2 * _saved(n)), save="out", names=("sqrt",),
              backward_np=lambda n, g: g / (2 * _saved(n)._data))
rsqrt = _unary("RsqrtBackward0", lambda a: 1 / np.sqrt(a), lambda n, g: -0.5 * g * _saved(n) ** 3, save="out",
               names=("rsqrt",))
reciprocal = _unary("ReciprocalBackward0", np.reciprocal, lambda n, g: -g * _saved(n) * _saved(n), save="out",
                    names=("reciprocal",))
square = _unary("PowBackward0", lambda a: np.square(a.astype(np.int64) if a.dtype == np.bool_ else a),
                lambda n, g: 2 * g * _saved(n), promote=None, names=("square",))
sin = _unary("SinBackward0", np.sin, lambda n, g: g * _saved(n).cos(), names=("sin",),
             backward_np=lambda n, g: g * np.cos(_saved(n)._data))
cos = _unary("CosBackward0", np.cos, lambda n, g: -g * _saved(n).sin(), names=("cos",),
             backward_np=lambda n, g: -g * np.sin(_saved(n)._data))
tan = _unary("TanBackward0", np.tan, lambda n, g: g * (1 + _saved(n) * _saved(n)), save="out", names=("tan",))
asin = _unary("AsinBackward0", np.arcsin, lambda n, g: g * (1 - _saved(n) ** 2).rsqrt(), names=("asin", "arcsin"))
acos = _unary("AcosBackward0", np.arccos, lambda n, g: -g * (1 - _saved(n) ** 2).rsqrt(), names=("acos", "arccos"))
atan = _unary("AtanBackward0", np.arctan, lambda n, g: g / (1 + _saved(n) ** 2), names=("atan", "arctan"))
sinh = _unary("SinhBackward0", np.sinh, lambda n, g: g * _saved(n).cosh(), names=("sinh",))
cosh = _unary("CoshBackward0", np.cosh, lambda n, g: g * _saved(n).sinh(), names=("cosh",))
tanh = _unary("TanhBackward0", np.tanh, lambda n, g: g * (1 - _saved(n) * _saved(n)), save="out", names=("tanh",),
              backward_np=lambda n, g: g * (1 - np.square(_saved(n)._data)))


def _sigmoid_np(a):
    # exp of a negative number only, so large |a| neither overflows nor warns.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


sigmoid = _unary("SigmoidBackward0", _sigmoid_np, lambda n, g: g * _saved(n) * (1 - _saved(n)), save="out",
                 names=("sigmoid",), backward_np=lambda n, g: g * (s := _saved(n)._data) * (1 - s))


def _relu_bw(n, g):
    """PyTorch's threshold_backward: 0 where the result is <= 0, the gradient elsewhere (a NaN result passes
    it, a NaN gradient stops at the zeros); it requires grad when the saved result does (double backward)."""
    out = _saved(n)
    return depends_on(where(out <= 0, 0.0, g), out, "ThresholdBackwardBackward0")


def _relu_bw_np(n, g):
    """``_relu_bw`` on arrays, as a product with the mask (np.where on a random mask is ten times slower); a NaN
    gradient at a masked place, which the product would pass, sends it down np.where's path after all."""
    keep = ~(_saved(n)._data <= 0)  # (True at a NaN result)
    gx = g * keep
    if np.isnan(gx).any():
        gx = np.where(keep, g, 0).astype(g.dtype, copy=False)
    return gx


relu = _unary("ReluBackward0", lambda a: np.maximum(a, 0, dtype=a.dtype), _relu_bw, save="out", promote=None,
              names=("relu",), backward_np=_relu_bw_np)
_erf_np = np.frompyfunc(math.erf, 1, 1)


def _erf(a):
    return np.asarray(_erf_np(a)).astype(a.dtype)  # a 0-d array in gives a Python float out


erf = _unary("ErfBackward0", _erf, lambda n, g: g * (2 / math.sqrt(math.pi)) * (-_saved(n) * _saved(n)).exp(),
             names=("erf",))
erfinv = _unary("ErfinvBackward0", erfinv_np,
                lambda n, g: g * (math.sqrt(math.pi) / 2) * (_saved(n) * _saved(n)).exp(), save="out",
                names=("erfinv",), doc="Elementwise inverse of ``erf``: ``erfinv(erf(x)) == x``, ±inf at ±1.")
floor = _unary("FloorBackward0", np.floor, _zero_grad, save="", promote=None, names=("floor",))
ceil = _unary("CeilBackward0", np.ceil, _zero_grad, save="", promote=None, names=("ceil",))
trunc = _unary("TruncBackward0", np.trunc, _zero_grad, save="", promote=None, names=("trunc", "fix"))
frac = _unary("FracBackward0", lambda a: a - np.trunc(a), lambda n, g: g, save="", promote=None, names=("frac",))


@export("round")
def round(input, decimals=0):
    _check_kernel("round", input)
    return apply(ROUND, input, decimals=decimals)


ROUND = Op("RoundBackward0", lambda a, decimals=0: np.round(a, decimals), _zero_grad)


def _clamp_bw(n, g):
    (a,) = n.saved_tensors
    lo, hi = n.kwargs["min"], n.kwargs["max"]
    mask = None
    if lo is not None:
        mask = a >= lo
    if hi is not None:
        mask = (a <= hi) if mask is None else mask & (a <= hi)
    return where(mask, g, 0.0)


def _clamp(a, min=None, max=None):
    if min is not None and max is not None:
        return np.minimum(np.maximum(a, min), max).astype(a.dtype, copy=False)
    if min is not None:
        return np.maximum(a, min).astype(a.dtype, copy=False)
    return np.minimum(a, max).astype(a.dtype, copy=False)


CLAMP = Op("ClampBackward1", _clamp, _clamp_bw, save="a")


def _clamp_tensor_bw(n, g):
    a, lo, hi = n.saved_tensors
    return where((a >= lo) & (a <= hi), g, 0.0), where(a < lo, g, 0.0), where(a > hi, g, 0.0)


CLAMP_TENSOR = Op("ClampBackward0", lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi), _clamp_tensor_bw,
                  save="abc", promote="same")


def _scalar(v):
    return v.item() if isinstance(v, Tensor) and v._data.size == 1 else v


def _clamp_call(name, method):
    """``clamp``/``clip`` as a function or a method: the call's form is kept for PyTorch's TypeError when one
    bound is a tensor and the other a number."""

    def call(input, *args, **kwargs):
        names = ("min", "max")
        if len(args) > 2:
            raise TypeError(f"{name}() takes from 1 to 3 positional arguments but {len(args) + 1} were given")
        bounds = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in bounds:
                raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
            bounds[k] = v
        lo, hi = bounds.get("min"), bounds.get("max")
        if lo is not None and hi is not None and isinstance(lo, Tensor) != isinstance(hi, Tensor):
            raise _clamp_mixed_error(name, method, input, args, kwargs)
        return clamp(input, lo, hi)

    call.__name__ = name
    call.__doc__ = clamp.__doc__
    return call


def _clamp_mixed_error(name, method, input, args, kwargs):
    def tn(v):
        return "Tensor" if isinstance(v, Tensor) else type(v).__name__

    pos = ([] if method else [tn(input)]) + [tn(a) for a in args]
    kws = [f"{k}={tn(v)}" for k, v in sorted(kwargs.items())]
    got = ", ".join(pos + kws) if pos else "".join(k + ", " for k in kws)
    head = f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
    if not method:
        return TypeError(head + " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
                         " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")
    if kwargs:
        why = "didn't match because some of the keywords were incorrect: " + ", ".join(sorted(kwargs))
    else:
        why = "didn't match because some of the arguments have invalid types: (" + ", ".join(
            f"!{t}!" for t in pos) + ")"
    return TypeError(head + f" * (Tensor min = None, Tensor max = None)\n      {why}\n"
                     f" * (Number min = None, Number max = None)\n      {why}\n")


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]``; the gradient passes where ``min <= input <= max``."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for name, v in (("min", min), ("max", max)):
        if v is not None and not isinstance(v, (Tensor, bool, int, float, np.number)):
            raise TypeError(f"clamp(): argument '{name}' must be Number or Tensor, not {type(v).__name__}")
    if isinstance(min, Tensor) != isinstance(max, Tensor) and min is not None and max is not None:
        raise _clamp_mixed_error("clamp", False, input, (min, max), {})
    if isinstance(min, Tensor) or isinstance(max, Tensor):  # the Tensor overload: ClampBackward0, 3 edges
        lo = min if min is not None else as_tensor_like(-np.inf, input)
        hi = max if max is not None else as_tensor_like(np.inf, input)
        shapes = [t._data.shape for t in (input, lo, hi) if isinstance(t, Tensor)]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            bad = next(s for s in shapes[1:] if not _broadcasts(shapes[0], s))
            raise broadcast_error(shapes[0], bad) from None
        return apply(CLAMP_TENSOR, input, as_tensor_like(lo, input), as_tensor_like(hi, input))
    min, max = _scalar(min), _scalar(max)
    if input._data.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = input.float()
    return apply(CLAMP, input, min=min, max=max)


for _name in ("clamp", "clip"):
    export(_name, method=False)(_clamp_call(_name, False))
    export(_name, function=False)(_clamp_call(_name, True))


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


CLAMP_MIN = Op("ClampMinBackward0", _clamp, _clamp_bw, save="a")
CLAMP_MAX = Op("ClampMaxBackward0", _clamp, _clamp_bw, save="a")


def _clamp_min_t_bw(n, g):
    a, b = n.saved_tensors
    return where(a >= b, g, 0.0), where(a < b, g, 0.0)


def _clamp_max_t_bw(n, g):
    a, b = n.saved_tensors
    return where(a <= b, g, 0.0), where(a > b, g, 0.0)


# a tensor bound: PyTorch's Tensor overloads, one edge per operand
CLAMP_MIN_T = Op("ClampMinBackward1", lambda a, b: np.maximum(a, b), _clamp_min_t_bw, save="ab", promote="same")
CLAMP_MAX_T = Op("ClampMaxBackward1", lambda a, b: np.minimum(a, b), _clamp_max_t_bw, save="ab", promote="same")


@export("clamp_min")
def clamp_min(input, min):
    """``clamp(input, min=min)``, recorded as ClampMinBackward0 as in PyTorch."""
    if isinstance(min, Tensor):
        return binary(CLAMP_MIN_T, input, min)
    if input._data.dtype.kind != "f" and isinstance(_scalar(min), float):
        input = input.float()
    return apply(CLAMP_MIN, input, min=_scalar(min), max=None)


@export("clamp_max")
def clamp_max(input, max):
    """``clamp(input, max=max)``, recorded as ClampMaxBackward0 as in PyTorch."""
    if isinstance(max, Tensor):
        return binary(CLAMP_MAX_T, input, max)
    if input._data.dtype.kind != "f" and isinstance(_scalar(max), float):
        input = input.float()
    return apply(CLAMP_MAX, input, min=None, max=_scalar(max))


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
            try:
                shape = np.broadcast_shapes(shape, t._data.shape)
            except ValueError:
                raise broadcast_error(shape, t._data.shape) from None
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        dt = result_type(input, other).np
        input = Tensor._make(np.asarray(input, dt), False, None)
    input, other = _operands(input, other)
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


def _lerp_bw(n, g):
    a, b, w = n.saved_tensors
    return g * (1 - w), g * w, g * (b - a)


def _lerp_np(a, b, w):
    # PyTorch's formula: from the nearer end (weight 1 gives exactly ``end``), so values match.
    if np.ndim(w) == 0:
        return a + w * (b - a) if np.abs(w) < 0.5 else b - (b - a) * (1 - w)
    return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _lerp_scalar_bw(n, g):
    w = n.kwargs["weight"]
    return g * (1 - w), g * w


LERP = Op("LerpBackward1", _lerp_np, _lerp_bw, save="abc", promote="same")
# A number as the weight: LerpBackward0, with edges for input and end only (as PyTorch).
LERP_SCALAR = Op("LerpBackward0", lambda a, b, weight: _lerp_np(a, b, weight), _lerp_scalar_bw, promote="same")


@export("lerp")
def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    if isinstance(input, Tensor):
        _check_lerp_dtypes(input, end, weight)  # before the shapes, as PyTorch
    input, end = _operands(input, end)
    if not isinstance(weight, Tensor):
        return apply(LERP_SCALAR, input, end, weight=float(weight))
    return apply(LERP, input, end, weight)


def _check_lerp_dtypes(input, end, weight):
    """lerp does not promote: PyTorch wants end (and a tensor weight) of input's dtype."""
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected dtype {_dtype_word(input)} for `{name}` but got dtype {_dtype_word(t)}")
    if not is_float_np(input._data.dtype):  # its kernels are floating point only
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(input._data.dtype)}\'')


_C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int"}


def _dtype_word(t):
    """The dtype as PyTorch's C++ messages spell it (TypeMeta names)."""
    name = t._data.dtype.name
    return _C_TYPE_NAMES.get(name, name)


@export("lerp_", function=False)
def lerp_(self, end, weight):
    """In-place ``lerp`` (what ``exp_avg.lerp_(grad, 1 - beta1)`` in Adam runs)."""
    end = as_tensor_like(end, self) if not isinstance(end, Tensor) else end
    _check_lerp_dtypes(self, end, weight)
    if not isinstance(weight, Tensor):
        return apply_inplace(LERP_SCALAR, self, end, weight=float(weight))
    return apply_inplace(LERP, self, end, weight)


def _addcmul_bw(n, g):
    b, c = n.saved_tensors
    v = n.kwargs.get("value", 1)
    return g, g * c * v, g * b * v


def _addcdiv_bw(n, g):
    b, c = n.saved_tensors
    v = n.kwargs.get("value", 1)
    return g, g * v / c, -g * v * b / (c * c)


# ``value * b * c`` in this order, as PyTorch's CPU kernel computes it (float32 math stays float32).
ADDCMUL = Op("AddcmulBackward0", lambda a, b, c, value=1: a + value * b * c, _addcmul_bw, save="bc",
             promote="same", saved_names=("tensor1", "tensor2"))
ADDCDIV = Op("AddcdivBackward0", lambda a, b, c, value=1: a + value * b / c, _addcdiv_bw, save="bc",
             promote="same", saved_names=("tensor1", "tensor2"))


def _tensors_like(x, *others):
    return tuple(o if isinstance(o, Tensor) else as_tensor_like(o, x) for o in others)


@export("addcmul")
def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``.

    >>> import graphgrad
    >>> graphgrad.addcmul(graphgrad.zeros(2), graphgrad.tensor([1.0, 2.0]), graphgrad.tensor([3.0, 4.0]), value=0.5)
    tensor([1.5000, 4.0000])
    """
    return apply(ADDCMUL, input, *_tensors_like(input, tensor1, tensor2), value=float(value))


@export("addcdiv")
def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``."""
    return apply(ADDCDIV, input, *_tensors_like(input, tensor1, tensor2), value=float(value))


@export("addcmul_", function=False)
def addcmul_(self, tensor1, tensor2, *, value=1):
    return apply_inplace(ADDCMUL, self, *_tensors_like(self, tensor1, tensor2), value=float(value))


@export("addcdiv_", function=False)
def addcdiv_(self, tensor1, tensor2, *, value=1):
    return apply_inplace(ADDCDIV, self, *_tensors_like(self, tensor1, tensor2), value=float(value))


def _atan2_bw(n, g):
    a, b = n.saved_tensors
    d = a * a + b * b
    return g * b / d, -g * a / d


ATAN2 = Op("Atan2Backward0", np.arctan2, _atan2_bw, save="ab", promote="float")


@export("atan2", "arctan2")
def atan2(input, other):
    return binary(ATAN2, input, other)


def _cast_np(a, dtype, copy=False):
    return a.astype(dtype, copy=True) if copy or a.dtype != dtype else a


CAST = Op("ToCopyBackward0", _cast_np, lambda n, g: g)
CLONE = Op("CloneBackward0", lambda a, memory_format=None: a.copy(), lambda n, g: g)


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


# --- comparisons and logic: results are bool and never require grad -------------------------------
def _compare(name, fn, doc):
    op = Op(name, fn, None, promote="same")

    def f(input, other):
        return binary(op, input, other)

    f.__doc__ = doc
    return f


eq = export("eq")(_compare("EqBackward0", np.equal, "Elementwise ``==`` (a bool tensor)."))
ne = export("ne", "not_equal")(_compare("NeBackward0", np.not_equal, "Elementwise ``!=``."))
lt = export("lt", "less")(_compare("LtBackward0", np.less, "Elementwise ``<``."))
le = export("le", "less_equal")(_compare("LeBackward0", np.less_equal, "Elementwise ``<=``."))
gt = export("gt", "greater")(_compare("GtBackward0", np.greater, "Elementwise ``>``."))
ge = export("ge", "greater_equal")(_compare("GeBackward0", np.greater_equal, "Elementwise ``>=``."))
logical_and = export("logical_and")(_compare("LogicalAnd", np.logical_and, "Elementwise logical and."))
logical_or = export("logical_or")(_compare("LogicalOr", np.logical_or, "Elementwise logical or."))
logical_xor = export("logical_xor")(_compare("LogicalXor", np.logical_xor, "Elementwise logical xor."))
bitwise_and = export("bitwise_and")(_compare("BitwiseAnd", np.bitwise_and, "Elementwise ``&``."))
bitwise_or = export("bitwise_or")(_compare("BitwiseOr", np.bitwise_or, "Elementwise ``|``."))
bitwise_xor = export("bitwise_xor")(_compare("BitwiseXor", np.bitwise_xor, "Elementwise ``^``."))
_LOGICAL_NOT = Op("LogicalNot", np.logical_not, None)
_BITWISE_NOT = Op("BitwiseNot", lambda a: np.logical_not(a) if a.dtype == np.bool_ else np.invert(a), None)
_ISNAN = Op("IsNan", np.isnan, None)
_ISINF = Op("IsInf", np.isinf, None)
_ISFINITE = Op("IsFinite", np.isfinite, None)


@export("logical_not")
def logical_not(input):
    return apply(_LOGICAL_NOT, input)


@export("bitwise_not")
def bitwise_not(input):
    _check_kernel("bitwise_not", input)
    return apply(_BITWISE_NOT, input)


@export("isnan")
def isnan(input):
    return apply(_ISNAN, input)


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
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise broadcast_error(a._data.shape, b._data.shape) from None


@export("allclose")
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_broadcast(input, other)
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@export("isclose")
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_broadcast(input, other)
    return Tensor._make(np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan), False, None)


# --- in-place forms -------------------------------------------------------------------------------
def _inplace_of(op):
    def method(self, other, **kw):
        return _binary_inplace(op, self, other, **kw)

    return method


@export("add_", function=False)
def add_(self, other, *, alpha=1):
    return _binary_inplace(ADD, self, other, **({"alpha": alpha} if alpha != 1 else {}))


@export("sub_", "subtract_", function=False)
def sub_(self, other, *, alpha=1):
    _check_bool_sub(self, other)
    return _binary_inplace(SUB, self, other, **({"alpha": alpha} if alpha != 1 else {}))


@export("mul_", "multiply_", function=False)
def mul_(self, other):
    return _binary_inplace(MUL, self, other)


@export("div_", "divide_", "true_divide_", function=False)
def div_(self, other, *, rounding_mode=None):
    if rounding_mode is not None:
        return _binary_inplace(DIV_ROUNDED, self, other, rounding_mode=rounding_mode)
    return _binary_inplace(DIV, self, other)


@export("pow_", function=False)
def pow_(self, exponent):
    if isinstance(exponent, Tensor):
        return _binary_inplace(POW, self, exponent)
    return apply_inplace(POW_SCALAR, self, exponent=exponent)


def _clamp_inplace(self, min=None, max=None, name="clamp_"):
    if min is None and max is None:
        check_inplace(self)  # the leaf error comes first
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):  # the Tensor overload (ClampBackward0)
        if min is not None and max is not None and isinstance(min, Tensor) != isinstance(max, Tensor):
            raise _clamp_mixed_error(name, True, self, (min, max), {})
        lo = min if min is not None else as_tensor_like(-np.inf, self)
        hi = max if max is not None else as_tensor_like(np.inf, self)
        return apply_inplace(CLAMP_TENSOR, self, lo, hi)
    return apply_inplace(CLAMP, self, min=_scalar(min), max=_scalar(max))


@export("clamp_", function=False)
def clamp_(self, min=None, max=None):
    return _clamp_inplace(self, min, max)


@export("clip_", function=False)
def clip_(self, min=None, max=None):
    return _clamp_inplace(self, min, max, "clip_")


export("atan2_", "arctan2_", function=False)(_inplace_of(ATAN2))


def _unary_inplace(fn_name):
    op = {
        "neg_": neg, "abs_": abs, "exp_": exp, "log_": log, "sqrt_": sqrt, "sin_": sin, "cos_": cos,
        "tanh_": tanh, "sigmoid_": sigmoid, "relu_": relu, "floor_": floor, "ceil_": ceil, "round_": ROUND,
        "trunc_": trunc, "reciprocal_": reciprocal, "sign_": sign, "square_": square, "frac_": frac, "erf_": erf,
        "erfinv_": erfinv,
        "bitwise_not_": _BITWISE_NOT, "logical_not_": _LOGICAL_NOT,
    }[fn_name]
    fwd_op = op if isinstance(op, Op) else getattr(op, "_op", None) or _OP_OF[op]

    def method(self, **kw):  # keyword-only options, as round_(decimals=)
        _check_kernel(fn_name[:-1], self)
        dt = self._data.dtype
        if fwd_op.promote == "float" and dt.kind != "f":  # exp_ of an integer tensor: no float result fits
            raise RuntimeError(f"result type {_torch_name(get_default_dtype().np)} can't be cast to the desired "
                               f"output type {_torch_name(dt)}")
        if fwd_op.backward is None:  # not differentiable (logical_not_): written without recording, as PyTorch

            with no_grad():
                return apply_inplace(fwd_op, self, **kw)
        return apply_inplace(fwd_op, self, **kw)

    method.__name__ = fn_name
    return method


_OP_OF = {}
for _fn, _name in [(neg, "NegBackward0"), (abs, "AbsBackward0"), (exp, "ExpBackward0"), (log, "LogBackward0"),
                   (sqrt, "SqrtBackward0"), (sin, "SinBackward0"), (cos, "CosBackward0"), (tanh, "TanhBackward0"),
                   (sigmoid, "SigmoidBackward0"), (relu, "ReluBackward0"), (floor, "FloorBackward0"),
                   (ceil, "CeilBackward0"), (trunc, "TruncBackward0"), (reciprocal, "ReciprocalBackward0"),
                   (sign, "SignBackward0")]:
    _OP_OF[_fn] = REGISTRY[_name]
    export(_fn.__name__ + "_", function=_fn is relu)(_unary_inplace(_fn.__name__ + "_"))
for _name in ("round_", "square_", "frac_", "erf_", "erfinv_", "bitwise_not_", "logical_not_"):
    export(_name, function=False)(_unary_inplace(_name))


def _fill(a, value):
    a[...] = value


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
        check_inplace(self)  # PyTorch refuses the leaf before it looks at the shapes
    try:
        shape = np.broadcast_shapes(src._data.shape, self._data.shape)
        if shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(shape)}")
    except ValueError:
        raise broadcast_error(self._data.shape, src._data.shape) from None
    if src._data.dtype != self._data.dtype:
        if src._requires_grad:
            src = src.to(self.dtype)
        else:
            src = Tensor._make(src._data.astype(self._data.dtype), False, src._grad_fn)
    return apply_inplace(COPY, self, src)


# --- hypot, xlogy, copysign, logit, nan_to_num --------------------------------------------------------
_NUMBER = (bool, int, float, np.number, np.bool_)


def _hypot_bw(n, g):
    a, b, out = n.saved_tensors
    return g * a / out, g * b / out


HYPOT = Op("HypotBackward0", np.hypot, _hypot_bw, save=("a", "b", "out"), promote="same")


@export("hypot")
def hypot(input, other):
    """``sqrt(input**2 + other**2)``, elementwise, without overflow."""
    if not isinstance(other, Tensor):
        raise TypeError(f"hypot(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b = _operands(input, other, "hypot")
    promoted = result_type(a, b).np
    if not is_float_np(promoted):
        name = _torch_name(promoted)
        raise NotImplementedError(f'"hypot_cpu" not implemented for \'{name}\'')
    return apply(HYPOT, a, b)


def _xlogy_np(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out).astype(out.dtype, copy=False)


def _xlogy_bw(n, g):
    x, y = n.saved_tensors
    need = n.needs_input_grad
    gx = g * xlogy((x != 0).to(g.dtype), y) if need[0] else None
    gy = g * x / y if need[1] else None
    return gx, gy


XLOGY = Op("XlogyBackward0", _xlogy_np, _xlogy_bw, save="ab", promote="float")
# a number as self (XlogyBackward1) or as other (XlogyBackward2): one edge, for the tensor
XLOGY_SELF_NUMBER = Op("XlogyBackward1", lambda y, self: _xlogy_np(np.asarray(self, y.dtype), y),
                       lambda n, g: g * n.kwargs["self"] / n.saved_tensors[0], save="a", promote="float")
XLOGY_OTHER_NUMBER = Op("XlogyBackward2", lambda x, other: _xlogy_np(x, np.asarray(other, x.dtype)),
                        lambda n, g: g * xlogy((n.saved_tensors[0] != 0).to(g.dtype), n.kwargs["other"]),
                        save="a", promote="float")


@export("xlogy")
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
    a, b = _operands(input, other, "xlogy")
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


@export("copysign")
def copysign(input, other):
    """The magnitude of ``input`` with the sign of ``other``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"copysign() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__}), but expected one of:\n"
                        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, Number other, *, Tensor out = None)\n")
    if not isinstance(other, Tensor) and isinstance(other, _NUMBER):
        return apply(COPYSIGN_NUMBER, input, other=float(other))
    a, b = _operands(input, other, "copysign")
    return apply(COPYSIGN, a, b)


def _logit_np(a, eps=None):
    if eps is not None:
        a = np.clip(a, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a / (1 - a))


def _logit_bw(n, g):
    (a,) = n.saved_tensors
    eps = n.kwargs.get("eps")
    d = g / (a * (1 - a))
    if eps is None:
        return where((a < 0) | (a > 1), float("nan"), d)
    return where((a < eps) | (a > 1 - eps), 0.0, d)


LOGIT = Op("LogitBackward0", _logit_np, _logit_bw, save="a", promote="float")


@export("logit")
def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps``, p is first clamped to ``[eps, 1 - eps]``."""
    if eps is None:
        return apply(LOGIT, input)
    return apply(LOGIT, input, eps=float(eps))


def _nan_to_num_np(a, nan=0.0, posinf=None, neginf=None):
    if a.dtype.kind != "f":
        return a.copy()
    info = np.finfo(a.dtype)
    return np.nan_to_num(a, nan=nan, posinf=info.max if posinf is None else posinf,
                         neginf=info.min if neginf is None else neginf)


NAN_TO_NUM = Op("NanToNumBackward0", _nan_to_num_np, lambda n, g: g * n.saved_tensors[0].isfinite(), save="a")


@export("nan_to_num")
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the dtype's extremes by default)."""
    return apply(NAN_TO_NUM, input, nan=0.0 if nan is None else nan, posinf=posinf, neginf=neginf)


@export("nan_to_num_", function=False)
def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    return apply_inplace(NAN_TO_NUM, self, nan=0.0 if nan is None else nan, posinf=posinf, neginf=neginf)
