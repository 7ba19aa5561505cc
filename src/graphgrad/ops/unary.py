"""Math functions of one tensor (exp, log, trig, sigmoid, relu, erf, rounding, logit, nan_to_num), the clamp
family, bitwise/logical not, and their in-place forms."""

from __future__ import annotations

import math

import numpy as np

from .._dtype import bool_, get_default_dtype, is_float_np, result_type
from .._random_kernels import fma32, fma64
from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ._erf import erf_float64_then_cast, erfinv_np
from ._export import export
from ._inplace import apply_inplace, check_inplace, check_no_internal_overlap
from ._op import Op, _torch_name, apply, apply_one, as_tensor_like, broadcast_error, c_type_name, depends_on
from ._operands import binary, broadcasts
from ._select import zero_where_negative, zero_where_not_positive
from .comparison import where


# --- unary math -----------------------------------------------------------------------------------
def _no_kernel(kernel, kinds):
    """A rule of the op's declaration: PyTorch's ``kernel`` has no code for the dtypes of these NumPy ``kinds``
    ("b" bool, "iu" integers, "fc" floats) and raises NotImplementedError naming itself."""
    return kinds, lambda dt: NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt)}\'')


_RELU_NO_BOOL = ("b", lambda dt: RuntimeError("Boolean inputs not supported for relu"))


def _check_kernel(no_kernel, input):
    """PyTorch's error for a dtype the op's kernel doesn't cover (abs of a bool tensor, ...)."""
    if no_kernel is not None and input._data.dtype.kind in no_kernel[0]:
        raise no_kernel[1](input._data.dtype)


def _inplace_form(op, name, no_kernel=None):
    """``x.name_(**kw)``: ``op`` written into x, refused where the result's dtype can't be stored in x."""

    def method(input, **kw):  # keyword-only options, as round_(decimals=)
        if no_kernel is not None and input._data.dtype.kind in no_kernel[0]:
            check_inplace(input)  # PyTorch refuses a leaf that requires grad, then an expanded tensor, before it
            check_no_internal_overlap(input._data, op.name)  # looks at the dtype
            _check_kernel(no_kernel, input)
        dt = input._data.dtype
        if op.promote == "float" and dt.kind != "f":  # exp_ of an integer tensor: no float result fits
            raise RuntimeError(f"result type {_torch_name(get_default_dtype().np)} can't be cast to the desired "
                               f"output type {_torch_name(dt)}")
        if op.backward is None:  # not differentiable (logical_not_): written without recording, as PyTorch
            with no_grad():
                return apply_inplace(op, input, **kw)
        return apply_inplace(op, input, **kw)

    method.__name__ = name + "_"
    return method


def _unary(name, fwd, bw, save="a", promote="float", doc=None, names=(), backward_np=None, no_kernel=None,
           inplace=True, inplace_function=True):
    """Declare a one-tensor op and export it under ``names``; ``no_kernel`` the dtypes PyTorch refuses;
    ``inplace``/``inplace_function``: which names have ``x.name_()``/``graphgrad.name_`` (``export``'s rules)."""
    op = Op(name, fwd, bw, save=save, promote=promote, backward_np=backward_np)

    def fn(input):
        if no_kernel is not None and input._data.dtype.kind in no_kernel[0]:  # (_check_kernel, inline: every call)
            raise no_kernel[1](input._data.dtype)
        return apply_one(op, input, {})

    fn.__name__ = names[0]
    fn.__doc__ = doc or f"Elementwise ``{names[0]}``."
    export(*names, inplace=inplace, inplace_function=inplace_function,
           inplace_form=_inplace_form(op, names[0], no_kernel))(fn)
    return fn


_NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
             "use the `~` or `logical_not()` operator instead.")


def _neg_np(a):
    if a.dtype == np.bool_:
        raise RuntimeError(_NEG_BOOL)
    return np.negative(a)


def _saved(n):
    return n.saved_tensors[0]


def _saved_array(n):
    return n.saved_arrays[0]


neg = _unary("NegBackward0", _neg_np, lambda n, g: -g, save="", promote=None, names=("neg", "negative"))
abs = _unary("AbsBackward0", np.abs, lambda n, g: g * _saved(n).sign(), promote=None, names=("abs", "absolute"),
             inplace_function=("abs",), no_kernel=_no_kernel("abs_cpu", "b"))


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
              save="", promote=None, names=("sign",), inplace_function=())
exp = _unary("ExpBackward0", np.exp, lambda n, g: g * _saved(n), save="out", names=("exp",),
             backward_np=lambda n, g: g * _saved_array(n))
exp2 = _unary("Exp2Backward0", np.exp2, lambda n, g: g * _saved(n) * math.log(2), save="out", names=("exp2",))
log = _unary("LogBackward0", np.log, lambda n, g: g / _saved(n), names=("log",),
             backward_np=lambda n, g: g / _saved_array(n))
log2 = _unary("Log2Backward0", np.log2, lambda n, g: g / (_saved(n) * math.log(2)), names=("log2",))
log10 = _unary("Log10Backward0", np.log10, lambda n, g: g / (_saved(n) * math.log(10)), names=("log10",))
log1p = _unary("Log1PBackward0", np.log1p, lambda n, g: g / (_saved(n) + 1), names=("log1p",))
expm1 = _unary("Expm1Backward0", np.expm1, lambda n, g: g * (_saved(n) + 1), save="out", names=("expm1",))
sqrt = _unary("SqrtBackward0", np.sqrt, lambda n, g: g / (2 * _saved(n)), save="out", names=("sqrt",),
              backward_np=lambda n, g: g / (2 * _saved_array(n)))
rsqrt = _unary("RsqrtBackward0", lambda a: 1 / np.sqrt(a), lambda n, g: -0.5 * g * _saved(n) ** 3, save="out",
               names=("rsqrt",))
reciprocal = _unary("ReciprocalBackward0", np.reciprocal, lambda n, g: -g * _saved(n) * _saved(n), save="out",
                    names=("reciprocal",))
square = _unary("PowBackward0", lambda a: np.square(a.astype(np.int64) if a.dtype == np.bool_ else a),
                lambda n, g: 2 * g * _saved(n), promote=None, names=("square",))
sin = _unary("SinBackward0", np.sin, lambda n, g: g * _saved(n).cos(), names=("sin",),
             backward_np=lambda n, g: g * np.cos(_saved_array(n)))
cos = _unary("CosBackward0", np.cos, lambda n, g: -g * _saved(n).sin(), names=("cos",),
             backward_np=lambda n, g: -g * np.sin(_saved_array(n)))
tan = _unary("TanBackward0", np.tan, lambda n, g: g * (1 + _saved(n) * _saved(n)), save="out", names=("tan",))
asin = _unary("AsinBackward0", np.arcsin, lambda n, g: g * (1 - _saved(n) ** 2).rsqrt(), names=("asin", "arcsin"))
acos = _unary("AcosBackward0", np.arccos, lambda n, g: -g * (1 - _saved(n) ** 2).rsqrt(), names=("acos", "arccos"))
atan = _unary("AtanBackward0", np.arctan, lambda n, g: g / (1 + _saved(n) ** 2), names=("atan", "arctan"))
sinh = _unary("SinhBackward0", np.sinh, lambda n, g: g * _saved(n).cosh(), names=("sinh",))
cosh = _unary("CoshBackward0", np.cosh, lambda n, g: g * _saved(n).sinh(), names=("cosh",))


def _tanh_bw_np(n, g):
    """g·(1 - h²) from the result h, as PyTorch's compiled kernel rounds it: its 1 - h·h is one fused multiply-add
    (rounded once), which the separately rounded NumPy form misses in about a third of the elements."""
    h = _saved_array(n)
    if h.dtype == np.float32:
        return g * fma32(-h, h, np.float32(1))
    if h.dtype == np.float64:
        return g * fma64(-h, h, 1.0)
    return g * (1 - np.square(h))


tanh = _unary("TanhBackward0", np.tanh, lambda n, g: g * (1 - _saved(n) * _saved(n)), save="out", names=("tanh",),
              backward_np=_tanh_bw_np)


def _sigmoid_np(a):
    # exp of a negative number only, so large |a| neither overflows nor warns.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


sigmoid = _unary("SigmoidBackward0", _sigmoid_np, lambda n, g: g * _saved(n) * (1 - _saved(n)), save="out",
                 names=("sigmoid",), backward_np=lambda n, g: g * (s := _saved_array(n)) * (1 - s))


def _relu_bw(n, g):
    """PyTorch's threshold_backward: 0 where the result is <= 0, the gradient elsewhere (a NaN result passes
    it, a NaN gradient stops at the zeros); it requires grad when the saved result does (double backward)."""
    out = _saved(n)
    return depends_on(where(out <= 0, 0.0, g), out, "ThresholdBackwardBackward0")


relu = _unary("ReluBackward0", zero_where_negative, _relu_bw, save="out", promote=None,
              names=("relu",), no_kernel=_RELU_NO_BOOL,
              backward_np=lambda n, g: zero_where_not_positive(_saved_array(n), g))
erf = _unary("ErfBackward0", erf_float64_then_cast,
             lambda n, g: g * (2 / math.sqrt(math.pi)) * (-_saved(n) * _saved(n)).exp(), names=("erf",))
# PyTorch saves the input and recomputes erfinv (so writing the result in place later is allowed)
erfinv = _unary("ErfinvBackward0", erfinv_np,
                lambda n, g: g * (math.sqrt(math.pi) / 2) * erfinv(_saved(n)).square().exp(),
                names=("erfinv",), inplace_function=(),
                doc="Elementwise inverse of ``erf``: ``erfinv(erf(x)) == x``, ±inf at ±1.")
floor = _unary("FloorBackward0", np.floor, _zero_grad, save="", promote=None, names=("floor",),
               no_kernel=_no_kernel("floor_vml_cpu", "b"))
ceil = _unary("CeilBackward0", np.ceil, _zero_grad, save="", promote=None, names=("ceil",),
              no_kernel=_no_kernel("ceil_vml_cpu", "b"))
trunc = _unary("TruncBackward0", np.trunc, _zero_grad, save="", promote=None, names=("trunc", "fix"),
               no_kernel=_no_kernel("trunc_vml_cpu", "b"))
frac = _unary("FracBackward0", lambda a: a - np.trunc(a), lambda n, g: g, save="", promote=None, names=("frac",),
              no_kernel=_no_kernel("frac_cpu", "biu"))


_ROUND_NO_KERNEL = _no_kernel("round_vml_cpu", "b")


ROUND = Op("RoundBackward0", lambda a: np.round(a), _zero_grad)
# round(x, decimals=d) is PyTorch's round.decimals overload, with its own node even for decimals=0
ROUND_DECIMALS = Op("RoundBackward1", lambda a, decimals: np.round(a, decimals), _zero_grad)


def _round_inplace(input, decimals=None):
    if decimals is None:
        return _inplace_form(ROUND, "round", _ROUND_NO_KERNEL)(input)
    return _inplace_form(ROUND_DECIMALS, "round", _ROUND_NO_KERNEL)(input, decimals=decimals)


_round_inplace.__name__ = "round_"


@export("round", inplace=True, inplace_function=True, inplace_form=_round_inplace)
def round(input, decimals=None):
    _check_kernel(_ROUND_NO_KERNEL, input)
    if decimals is not None and input._data.dtype.kind in "iu":  # (round.decimals has no integer kernel)
        kernel = "round_vml_cpu" if decimals == 0 else "round_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(input._data.dtype)}\'')
    if decimals is None:
        return apply(ROUND, input)
    return apply(ROUND_DECIMALS, input, decimals=decimals)


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
    if not n.kwargs.get("one_sided"):
        # PyTorch's clamp_backward_min_max: where min >= max the result is max, which takes the gradient even
        # where a < min. With a bound not given (±inf here) it tests the other alone: a +inf min still takes it
        return (where((a >= lo) & (a <= hi), g, 0.0), where((a < lo) & (lo < hi), g, 0.0),
                where((a > hi) | (hi < lo), g, 0.0))
    return where((a >= lo) & (a <= hi), g, 0.0), where(a < lo, g, 0.0), where(a > hi, g, 0.0)


# ``one_sided``: one bound was not given (PyTorch's undefined tensor, here ±inf)
CLAMP_TENSOR = Op("ClampBackward0", lambda a, lo, hi, one_sided=False: np.minimum(np.maximum(a, lo), hi),
                  _clamp_tensor_bw, save="abc", promote="same")


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
        dt = result_type(input, *[v for v in (min, max) if v is not None]).np
        lo = min if min is not None else as_tensor_like(_unbounded(dt, upper=False), input)
        hi = max if max is not None else as_tensor_like(_unbounded(dt, upper=True), input)
        shapes = [t._data.shape for t in (input, lo, hi) if isinstance(t, Tensor)]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            bad = next(s for s in shapes[1:] if not broadcasts(shapes[0], s))
            raise broadcast_error(shapes[0], bad) from None
        return apply(CLAMP_TENSOR, input, as_tensor_like(lo, input), as_tensor_like(hi, input),
                     **({"one_sided": True} if min is None or max is None else {}))
    min, max = _scalar(min), _scalar(max)
    return apply(CLAMP, _clamp_input(input, min, max), min=min, max=max)


def _unbounded(dt, upper):
    """The bound in dtype ``dt`` that limits nothing (so that a missing one changes neither values nor dtype)."""
    if dt.kind == "b":
        return np.bool_(upper)
    if dt.kind in "iu":
        return np.iinfo(dt).max if upper else np.iinfo(dt).min
    return dt.type(np.inf if upper else -np.inf)


def _clamp_dtype(input, min, max):
    """The dtype PyTorch's clamp by numbers computes in: the input's promoted with the bounds (a bool tensor
    clamped by an int gives int64, an integer one by a float the default float). Bool has no kernel."""
    target = result_type(input, *[v for v in (min, max) if v is not None])
    if target is bool_:
        kernel = "clamp" if min is not None and max is not None else "clamp_min" if max is None else "clamp_max"
        raise NotImplementedError(f'"{kernel}_scalar_cpu" not implemented for \'Bool\'')
    return target


def _clamp_input(input, min, max):
    target = _clamp_dtype(input, min, max)
    return input if target == input.dtype else input.to(target)




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


def _clamp_one_side(input, bound, side, tensor_op, number_op):
    """``clamp`` with only the ``side`` ("min" or "max") bound: a tensor bound records one edge per operand."""
    if isinstance(bound, Tensor):
        return binary(tensor_op, input, bound)
    bounds = {"min": None, "max": None, side: _scalar(bound)}
    return apply(number_op, _clamp_input(input, bounds["min"], bounds["max"]), **bounds)


@export("clamp_min", inplace=True, inplace_function=True)
def clamp_min(input, min):
    """``clamp(input, min=min)``, recorded as ClampMinBackward0 as in PyTorch."""
    return _clamp_one_side(input, min, "min", CLAMP_MIN_T, CLAMP_MIN)


@export("clamp_max", inplace=True, inplace_function=True)
def clamp_max(input, max):
    """``clamp(input, max=max)``, recorded as ClampMaxBackward0 as in PyTorch."""
    return _clamp_one_side(input, max, "max", CLAMP_MAX_T, CLAMP_MAX)


_LOGICAL_NOT = Op("LogicalNot", np.logical_not, None)
_BITWISE_NOT = Op("BitwiseNot", lambda a: np.logical_not(a) if a.dtype == np.bool_ else np.invert(a), None)


_BITWISE_NOT_NO_KERNEL = _no_kernel("bitwise_not_cpu", "fc")


@export("logical_not", inplace=True, inplace_form=_inplace_form(_LOGICAL_NOT, "logical_not"))
def logical_not(input):
    return apply(_LOGICAL_NOT, input)


@export("bitwise_not", inplace=True,
        inplace_form=_inplace_form(_BITWISE_NOT, "bitwise_not", _BITWISE_NOT_NO_KERNEL))
def bitwise_not(input):
    _check_kernel(_BITWISE_NOT_NO_KERNEL, input)
    return apply(_BITWISE_NOT, input)


def _clamp_inplace(self, min=None, max=None, name="clamp_"):
    if min is None and max is None:
        check_inplace(self)  # the leaf error comes first
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):  # the Tensor overload (ClampBackward0)
        if min is not None and max is not None and isinstance(min, Tensor) != isinstance(max, Tensor):
            raise _clamp_mixed_error(name, True, self, (min, max), {})
        lo = min if min is not None else as_tensor_like(-np.inf, self)
        hi = max if max is not None else as_tensor_like(np.inf, self)
        return apply_inplace(CLAMP_TENSOR, self, lo, hi, **({"one_sided": True} if min is None or max is None else {}))
    min, max = _scalar(min), _scalar(max)
    target = _clamp_dtype(self, min, max).np
    if not np.can_cast(target, self._data.dtype, "same_kind"):  # an integer tensor by a float, a bool by an int
        raise RuntimeError(f"result type {_torch_name(target)} can't be cast to the desired output type "
                           f"{c_type_name(self._data.dtype)}")
    return apply_inplace(CLAMP, self, min=min, max=max)


def _clamp_inplace_form(name):
    def inplace(input, min=None, max=None):
        return _clamp_inplace(input, min, max, name + "_")

    inplace.__name__ = name + "_"
    return inplace


for _name in ("clamp", "clip"):
    _in_place = _clamp_inplace_form(_name)
    export(_name, method=False, inplace_function=True, inplace_form=_in_place)(_clamp_call(_name, False))
    export(_name, function=False, inplace=True, inplace_form=_in_place)(_clamp_call(_name, True))


def _logit_np(a, eps=None):
    if eps is not None:
        a = np.clip(a, eps, 1 - eps)
    return np.log(a / (1 - a))


def _logit_bw(n, g):
    (a,) = n.saved_tensors
    eps = n.kwargs.get("eps")
    d = g / (a * (1 - a))
    if eps is None:
        if not is_grad_enabled():  # PyTorch's kernel when no graph is built: g·inf at 0 and 1 (+inf at -0.0)
            d = where((a == 0) | (a == 1), g * math.inf, d)
        return where((a < 0) | (a > 1), float("nan"), d)
    return where((a < eps) | (a > 1 - eps), 0.0, d)


LOGIT = Op("LogitBackward0", _logit_np, _logit_bw, save="a", promote="float")


@export("logit", inplace=True, inplace_function=True)
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


@export("nan_to_num", inplace=True, inplace_function=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the dtype's extremes by default)."""
    return apply(NAN_TO_NUM, input, nan=0.0 if nan is None else nan, posinf=posinf, neginf=neginf)

