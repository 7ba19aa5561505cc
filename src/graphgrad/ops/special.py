"""``torch.special``: every function of PyTorch's namespace, published in ``SPECIAL`` (``graphgrad.special``).

Most are graphgrad's own ops under other names (expit is sigmoid, gammaln lgamma, psi digamma, multigammaln
mvlgamma, gammainc igamma, ...), recording the nodes PyTorch records (``special.expit(x)`` records
SigmoidBackward0). Declared here, with PyTorch's derivatives and node names: erfc, i0 and sinc (also
``graphgrad.erfc``, ``Tensor.erfc`` and their in-place forms, as in PyTorch), the regularised incomplete gamma
functions igamma and igammac (``graphgrad.igamma``; derivative in the second argument only: PyTorch's is not
implemented in the first), entr, erfcx, i0e, i1, i1e, ndtri, log_ndtr, xlog1py, Hurwitz's zeta (derivative in
q only), and ndtr composed as PyTorch composes it, (1 + erf(x/√2))·0.5. The Bessel and Airy functions and the
orthogonal polynomials have no derivative in PyTorch: their results never require grad.

The array kernels are in ``_special_kernels`` (PyTorch's, ported); polygamma, mvlgamma and zeta's kernel in
``gamma``; erfc and erfcx in ``_erf``.

>>> import graphgrad
>>> x = graphgrad.tensor([0.5, 2.0], requires_grad=True)
>>> graphgrad.special.i0e(x)
tensor([0.6450, 0.3085], grad_fn=<SpecialI0EBackward0>)
>>> graphgrad.special.expit(x).grad_fn.name()
'SigmoidBackward0'
"""

from __future__ import annotations

import math

import numpy as np

from .._core.modes import modes
from .._dtype import bfloat16, result_type
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from . import _special_kernels as kernels
from ._args import checked
from ._erf import erfc_np, erfcx_np
from ._export import export
from ._inplace import apply_inplace, check_inplace, check_no_partial_overlap
from ._keywords import write_out
from ._op import Op, _torch_name, apply, apply_one, as_tensor_like, check_broadcast
from ._operands import operands
from ._parser import combination_error, torch_type_name
from .arithmetic import xlogy
from .gamma import apply_mvlgamma, apply_polygamma, digamma, lgamma
from .reduce import log_softmax, logsumexp, softmax
from .unary import _saved, _unary, erf, erfinv, exp2, expm1, log1p, logit, sigmoid
from .unary import round as round_

_NUMBER = (bool, int, float, np.number, np.bool_)
_SQRT_2PI = math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
SPECIAL: dict = {}  # torch.special's functions, by name


def _publish(name, fn, check=True):
    """``fn`` as ``graphgrad.special.<name>``; ``check``: with PyTorch's checks of its arguments' types (the errors
    name ``special_<name>``, as PyTorch's do) and its ``out=``."""
    SPECIAL[name] = checked(fn, "special_" + name, method=False) if check else fn
    return fn


def _in_dtype(kernel64):
    """A kernel computing in float64, its result rounded to the input's float dtype."""
    def fwd(a):
        return kernel64(a).astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=False)

    fwd.__name__ = kernel64.__name__
    return fwd


def _cut_free(out):
    """A result that PyTorch never records a graph for: no 'where the chain was cut' note (no_grad made it, not
    the user)."""
    extra = out._extra
    if extra is not None and extra.cut is not None:
        extra.cut = None
    return out


def _not_differentiable(op, *inputs, **kwargs):
    with no_grad():
        return _cut_free(apply(op, *inputs, **kwargs))


_HALVES = tuple(d for d in (np.dtype(np.float16), bfloat16.np) if d is not None)


def _no_half(kernel, *operands):
    """PyTorch's error where its kernel has no half-precision version (Bessel, Airy, ndtri, zeta, ...)."""
    dt = operands[0]._data.dtype if len(operands) == 1 else result_type(*operands).np
    if dt in _HALVES:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt)}\'')


# --- erfc, i0, sinc: also graphgrad.*, Tensor methods and in-place forms ----------------------------------------------
def _sinc_np(a):
    x = a.astype(np.float32) if a.dtype == np.float16 else a  # (half precision computes in float32)
    f = x.dtype.type
    product = f(math.pi) * x
    out = kernels._sin(product) / product
    return np.where(x == 0, f(1), out).astype(a.dtype, copy=False)


def _sinc_bw(node, g):
    x = _saved(node)
    x_pi = x * math.pi
    x_sq_pi = x * x * math.pi
    out = g * (x_pi * x_pi.cos() - x_pi.sin()) / x_sq_pi
    return out.where(x_sq_pi != 0, 0.0)


erfc = _unary("ErfcBackward0", _in_dtype(erfc_np), lambda n, g: -_TWO_OVER_SQRT_PI * (-_saved(n).square()).exp() * g,
              names=("erfc",), doc="Elementwise complementary error function, 1 - erf(x), without cancellation.")
i0 = _unary("I0Backward0", kernels.i0, lambda n, g: g * i1(_saved(n)), names=("i0",),
            doc="Elementwise modified Bessel function of the first kind of order 0.")
sinc = _unary("SincBackward0", _sinc_np, _sinc_bw, names=("sinc",), doc="Elementwise sin(πx)/(πx) (1 at 0).")


# --- the functions of torch.special alone -----------------------------------------------------------------------------
def _special_unary(name, op, doc, half=True):
    kernel = f"{name}_cpu"

    def fn(input):
        if not half and input._data.dtype in _HALVES:
            _no_half(kernel, input)
        return apply_one(op, input, {})

    fn.__name__, fn.__doc__ = name, doc
    return _publish(name, fn)


def _entr_np(a):
    f = a.dtype.type
    out = np.where(a > 0, -a * kernels._log(np.where(a > 0, a, f(1))), np.where(a == 0, f(0), f(-np.inf)))
    return np.where(np.isnan(a), a, out).astype(a.dtype, copy=False)


def _i1_bw(node, g, scaled):
    """PyTorch's i1_backward (i1e_backward): 1/2 where |x| <= eps, where the quotient would be 0/0."""
    x, out = node.saved_tensors
    eps = float(np.finfo(x._data.dtype).eps)
    not_tiny = x.abs() > eps
    safe = x.where(not_tiny, eps)
    grad = i0e(safe) - out * (safe.sign() + safe.reciprocal()) if scaled else i0(safe) - out * safe.reciprocal()
    return g * grad.where(not_tiny, 0.5)


def _log_ndtr_np(a):
    x = a.astype(np.float64)
    t = x * math.sqrt(0.5)
    low = x < -1
    # (the branch not taken is computed too: NaN and inf there are harmless, the forward is quiet)
    out = np.where(low, np.log(erfcx_np(-t) / 2) - t * t, np.log1p(-erfc_np(t) / 2))
    return out.astype(a.dtype, copy=False)


ENTR = Op("SpecialEntrBackward0", _entr_np, lambda n, g: g * (-(1 + _saved(n).log())), save="a", promote="float")
ERFCX = Op("SpecialErfcxBackward0", _in_dtype(erfcx_np),
           lambda n, g: (2.0 * n.saved_tensors[0] * n.saved_tensors[1] - _TWO_OVER_SQRT_PI) * g,
           save=("a", "out"), promote="float")
I0E = Op("SpecialI0EBackward0", kernels.i0e,
         lambda n, g: g * (i1e(n.saved_tensors[0]) - n.saved_tensors[0].sign() * n.saved_tensors[1]),
         save=("a", "out"), promote="float")
I1 = Op("SpecialI1Backward0", kernels.i1, lambda n, g: _i1_bw(n, g, False), save=("a", "out"), promote="float")
I1E = Op("SpecialI1EBackward0", kernels.i1e, lambda n, g: _i1_bw(n, g, True), save=("a", "out"), promote="float")
NDTRI = Op("SpecialNdtriBackward0", kernels.ndtri, lambda n, g: g * _SQRT_2PI * (_saved(n).square() / 2).exp(),
           save="out", promote="float")
LOG_NDTR = Op("SpecialLogNdtrBackward0", _log_ndtr_np,
              lambda n, g: g / _SQRT_2PI * (n.saved_tensors[1] + n.saved_tensors[0].pow(2) / 2).neg().exp(),
              save=("a", "out"), promote="float")

entr = _special_unary("entr", ENTR, "Elementwise entropy term -x·log(x) (0 at 0, -inf below).")
erfcx = _special_unary("erfcx", ERFCX, "Elementwise scaled complementary error function exp(x²)·erfc(x).", False)
i0e = _special_unary("i0e", I0E, "Elementwise exponentially scaled i0: exp(-|x|)·I0(x).")
i1 = _special_unary("i1", I1, "Elementwise modified Bessel function of the first kind of order 1.")
i1e = _special_unary("i1e", I1E, "Elementwise exponentially scaled i1: exp(-|x|)·I1(x).")
ndtri = _special_unary("ndtri", NDTRI, "Elementwise inverse of the standard normal distribution's CDF.", False)
log_ndtr = _special_unary("log_ndtr", LOG_NDTR, "Elementwise log of the standard normal distribution's CDF.", False)


# ATen's own arithmetic with a number (mul.Scalar, add.Scalar), which its composite functions record; from Python a
# number is wrapped in a tensor instead (MulBackward0, AddBackward0)
MUL_NUMBER = Op("MulBackward1", lambda a, other: a * a.dtype.type(other), lambda n, g: g * n.kwargs["other"],
                promote="float")
ADD_NUMBER = Op("AddBackward1", lambda a, other: a + a.dtype.type(other), lambda n, g: g, promote="float")


def ndtr(input):
    """The standard normal distribution's CDF, composed as PyTorch composes it: (1 + erf(x/√2))·0.5."""
    t = apply(ADD_NUMBER, erf(apply(MUL_NUMBER, input, other=math.sqrt(0.5))), other=1.0)
    return apply(MUL_NUMBER, t, other=0.5)


_publish("ndtr", ndtr)


# --- functions without a derivative in PyTorch: Bessel, Airy ----------------------------------------------------------
_NO_DERIVATIVE = " No derivative (as in PyTorch): the result never requires grad."


def _op_without_derivative(name):
    """The op of ``_special_kernels.<name>``, named as PyTorch names its node (SpecialBesselJ0, ...)."""
    return Op("Special" + "".join(w.title() for w in name.split("_")), getattr(kernels, name), None, promote="float")


def _no_derivative(name, doc):
    op = _op_without_derivative(name)

    def fn(input):
        _no_half(f"{name}_cpu", input)
        return _not_differentiable(op, input)

    fn.__name__, fn.__doc__ = name, doc + _NO_DERIVATIVE
    return _publish(name, fn)


for _name, _what in (("airy_ai", "Airy's function Ai"),
                     ("bessel_j0", "the Bessel function of the first kind of order 0"),
                     ("bessel_j1", "the Bessel function of the first kind of order 1"),
                     ("bessel_y0", "the Bessel function of the second kind of order 0"),
                     ("bessel_y1", "the Bessel function of the second kind of order 1"),
                     ("modified_bessel_i0", "the modified Bessel function of the first kind of order 0"),
                     ("modified_bessel_i1", "the modified Bessel function of the first kind of order 1"),
                     ("modified_bessel_k0", "the modified Bessel function of the second kind of order 0"),
                     ("modified_bessel_k1", "the modified Bessel function of the second kind of order 1"),
                     ("scaled_modified_bessel_k0", "exp(x)·K0(x)"), ("scaled_modified_bessel_k1", "exp(x)·K1(x)"),
                     ("spherical_bessel_j0", "the spherical Bessel function of the first kind of order 0, sin(x)/x")):
    _no_derivative(_name, f"Elementwise {_what}.")


# --- binary functions with a number allowed on either side: xlog1py, zeta, the polynomials ----------------------------
def _overloads(first, second):
    return (f" * (Tensor {first}, Tensor {second}, *, Tensor out = None)\n"
            f" * (Number {'self' if first == 'input' else first}, Tensor {second}, *, Tensor out = None)\n"
            f" * (Tensor {first}, Number {second}, *, Tensor out = None)\n")


def _three_overloads(name, first, second, both, number_first, number_second):
    """``graphgrad.special.<name>(a, b, *, out=None)`` of PyTorch's three overloads: (Tensor, Tensor),
    (Number, Tensor), (Tensor, Number), each ``f(a, b)`` of its own; anything else is PyTorch's TypeError."""
    full = "special_" + name

    def fn(*args, out=None, **kwargs):
        names = (first, second)
        bound = dict(zip(names, args))
        if len(args) > 2 or any(k not in names or k in bound for k in kwargs):
            raise combination_error(full, args, kwargs, _overloads(first, second))
        bound.update(kwargs)
        a, b = bound.get(first), bound.get(second)
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            result = both(*operands(a, b))
        elif isinstance(a, _NUMBER) and isinstance(b, Tensor):
            result = number_first(a, b)
        elif isinstance(a, Tensor) and isinstance(b, _NUMBER):
            result = number_second(a, b)
        else:
            raise combination_error(full, args, kwargs, _overloads(first, second))
        return result if out is None else write_out(full, result, out, args, kwargs)

    fn.__name__ = name
    return _publish(name, fn, check=False)


def _xlog1py_np(x, y):
    out = x * kernels._log1p(y)
    out = np.where(x == 0, np.zeros((), out.dtype), out)
    return np.where(np.isnan(y), np.full((), np.nan, out.dtype), out).astype(out.dtype, copy=False)


def _xlog1py_bw(n, g):
    x, y = n.saved_tensors
    need = n.needs_input_grad
    gx = _xlog1py_call(g, y).masked_fill((x == 0) & (y <= -1), 0.0) if need[0] else None
    gy = g * x / (y + 1) if need[1] else None
    return gx, gy


def _xlog1py_other_number_bw(n, g):
    other = n.kwargs["other"]
    gx = _xlog1py_other_number(g, other)
    return gx if other > -1 else gx.masked_fill(n.saved_tensors[0] == 0, 0.0)


XLOG1PY = Op("SpecialXlog1PyBackward0", _xlog1py_np, _xlog1py_bw, save="ab", promote="float")
XLOG1PY_SELF_NUMBER = Op("SpecialXlog1PyBackward1", lambda y, self: _xlog1py_np(np.asarray(self, y.dtype), y),
                         lambda n, g: g * n.kwargs["self"] / (n.saved_tensors[0] + 1), save="a", promote="float")
XLOG1PY_OTHER_NUMBER = Op("SpecialXlog1PyBackward2", lambda x, other: _xlog1py_np(x, np.asarray(other, x.dtype)),
                          _xlog1py_other_number_bw, save="a", promote="float")


def _xlog1py_other_number(x, other):
    return apply(XLOG1PY_OTHER_NUMBER, x, other=float(other))


def _xlog1py_call(x, y):
    return apply(XLOG1PY, *operands(x, y))


xlog1py = _three_overloads(
    "xlog1py", "input", "other", lambda a, b: apply(XLOG1PY, a, b),
    lambda a, b: apply(XLOG1PY_SELF_NUMBER, b, self=float(a)), _xlog1py_other_number)
xlog1py.__doc__ = "``input * log1p(other)``, and 0 where ``input`` is 0 (unless ``other`` is NaN)."


def _computes(node, i):
    """Whether the running backward pass needs the gradient of ``node``'s input ``i`` (PyTorch's
    task_should_compute_output: ``autograd.grad(y, x)`` does not ask for the other inputs' gradients)."""
    nxt = node.next_functions[i][0]
    return nxt is not None and (modes.needed is None or nxt in modes.needed)


def _zeta_not_implemented():
    return NotImplementedError("the derivative for 'zeta' is not implemented.")


def _zeta_bw(n, g):
    x, q = n.saved_tensors
    if _computes(n, 0):
        raise _zeta_not_implemented()
    return None, g * -x * zeta_apply(x + 1.0, q)


def _zeta_other_number_bw(n, g):
    if _computes(n, 0):
        raise _zeta_not_implemented()
    return None


def _zeta_self_number_bw(n, g):
    x = n.kwargs["self"]
    return g * -x * apply(ZETA_SELF_NUMBER, n.saved_tensors[0], self=x + 1.0)


ZETA = Op("SpecialZetaBackward0", kernels.zeta, _zeta_bw, save="ab", promote="float")
ZETA_SELF_NUMBER = Op("SpecialZetaBackward1", lambda q, self: kernels.zeta(np.full_like(q, self), q),
                      _zeta_self_number_bw, save="a", promote="float")
ZETA_OTHER_NUMBER = Op("SpecialZetaBackward2", lambda x, other: kernels.zeta(x, np.full_like(x, other)),
                       _zeta_other_number_bw, promote="float")


def zeta_apply(x, q):
    return apply(ZETA, x, q)


def _zeta_checked(x, q):
    _no_half("zeta_cpu", x, q)
    return zeta_apply(x, q)


def _zeta_self_number(x, q):
    _no_half("zeta_cpu", q, as_tensor_like(x, q))
    return apply(ZETA_SELF_NUMBER, q, self=float(x))


def _zeta_other_number(x, q):
    _no_half("zeta_cpu", x, as_tensor_like(q, x))
    return apply(ZETA_OTHER_NUMBER, x, other=float(q))


zeta = _three_overloads("zeta", "input", "other", _zeta_checked, _zeta_self_number, _zeta_other_number)
zeta.__doc__ = "Hurwitz's zeta function ζ(x, q) = Σ_k (q + k)^-x; differentiable in q only (as in PyTorch)."


_POLYNOMIALS = {
    "chebyshev_polynomial_t": "the Chebyshev polynomial of the first kind T_n(x)",
    "chebyshev_polynomial_u": "the Chebyshev polynomial of the second kind U_n(x)",
    "chebyshev_polynomial_v": "the Chebyshev polynomial of the third kind V_n(x)",
    "chebyshev_polynomial_w": "the Chebyshev polynomial of the fourth kind W_n(x)",
    "shifted_chebyshev_polynomial_t": "the shifted Chebyshev polynomial of the first kind T*_n(x) = T_n(2x - 1)",
    "shifted_chebyshev_polynomial_u": "the shifted Chebyshev polynomial of the second kind U*_n(x)",
    "shifted_chebyshev_polynomial_v": "the shifted Chebyshev polynomial of the third kind V*_n(x)",
    "shifted_chebyshev_polynomial_w": "the shifted Chebyshev polynomial of the fourth kind W*_n(x)",
    "hermite_polynomial_h": "the physicists' Hermite polynomial H_n(x)",
    "hermite_polynomial_he": "the probabilists' Hermite polynomial He_n(x)",
    "laguerre_polynomial_l": "the Laguerre polynomial L_n(x)",
    "legendre_polynomial_p": "the Legendre polynomial P_n(x)",
}


def _polynomial(name, what):
    op = _op_without_derivative(name)

    def both(x, n):
        _no_half(f"{name}_cpu", x, n)
        return _not_differentiable(op, x, n)

    fn = _three_overloads(name, "x", "n", both, lambda x, n: both(as_tensor_like(x, n), n),
                          lambda x, n: both(x, as_tensor_like(n, x)))
    fn.__doc__ = f"Elementwise {what}, of degree n (truncated to an integer; 0 for a negative one)." + _NO_DERIVATIVE
    return fn


for _name, _what in _POLYNOMIALS.items():
    _polynomial(_name, _what)


# --- the regularised incomplete gamma functions: graphgrad.igamma, igammac, and Tensor methods ------------------------
def _igamma_bw(n, g, lower):
    a, x = n.saved_tensors
    if _computes(n, 0):
        raise NotImplementedError(f"the derivative for '{'igamma' if lower else 'igammac'}: input' is not implemented.")
    d = ((a - 1) * x.log() - x - a.lgamma()).exp()
    return None, (g * d if lower else -g * d)


IGAMMA = Op("IgammaBackward0", kernels.igamma, lambda n, g: _igamma_bw(n, g, True), save="ab", promote="same")
IGAMMAC = Op("IgammacBackward0", kernels.igammac, lambda n, g: _igamma_bw(n, g, False), save="ab", promote="same")


def _incomplete_gamma(op, kernel, input, other, name, method=False):
    for value, which, pos in ((input, "input", 1), (other, "other", 2)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{which}' (position {pos - method}) must be Tensor, not "
                            f"{torch_type_name(value)}")
    a, x = operands(input, other)
    dt = result_type(a, x)
    if not dt.is_floating_point:  # (no promotion of integers to floats here, as in PyTorch)
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt.np)}\'')
    return apply(op, a, x)


def _igamma_inplace(op, kernel, name):
    def method(self, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not {torch_type_name(other)}")
        dt = result_type(self, other)
        if not dt.is_floating_point:
            check_inplace(self)
            raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dt.np)}\'')
        if other._data.shape != self._data.shape:
            check_inplace(self)
            check_no_partial_overlap(self, (other,))
            check_broadcast(self._data.shape, other._data.shape)
        return apply_inplace(op, self, other)

    method.__name__ = name
    return method


@export("igamma", method=False)
def igamma(input, other):
    """The regularised lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a), elementwise (a = input)."""
    return _incomplete_gamma(IGAMMA, "igamma_cpu", input, other, "igamma")


@export("igammac", method=False)
def igammac(input, other):
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x), elementwise (a = input)."""
    return _incomplete_gamma(IGAMMAC, "igammac_cpu", input, other, "igammac")


@export("igamma", function=False, inplace=True, inplace_form=_igamma_inplace(IGAMMA, "igamma_cpu", "igamma_"))
def _igamma_method(self, other):
    return _incomplete_gamma(IGAMMA, "igamma_cpu", self, other, "igamma", method=True)


@export("igammac", function=False, inplace=True, inplace_form=_igamma_inplace(IGAMMAC, "igammac_cpu", "igammac_"))
def _igammac_method(self, other):
    return _incomplete_gamma(IGAMMAC, "igammac_cpu", self, other, "igammac", method=True)


def gammainc(input, other):
    return _incomplete_gamma(IGAMMA, "igamma_cpu", input, other, "special_gammainc")


def gammaincc(input, other):
    return _incomplete_gamma(IGAMMAC, "igammac_cpu", input, other, "special_gammaincc")


gammainc.__doc__, gammaincc.__doc__ = igamma.__doc__, igammac.__doc__
_publish("gammainc", gammainc)
_publish("gammaincc", gammaincc)


# --- graphgrad's own ops under torch.special's names ------------------------------------------------------------------
for _name, _fn in (("expit", sigmoid), ("exp2", exp2), ("expm1", expm1), ("erf", erf), ("erfc", erfc),
                   ("erfinv", erfinv), ("log1p", log1p), ("i0", i0), ("sinc", sinc), ("digamma", digamma),
                   ("psi", digamma), ("gammaln", lgamma)):
    _publish(_name, _fn)


def _logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps``, p is first clamped to ``[eps, 1 - eps]``."""
    if eps is not None and not isinstance(eps, _NUMBER):
        raise TypeError(f"special_logit(): argument 'eps' (position 2) must be float, not {torch_type_name(eps)}")
    return logit(input, eps)


def _round(input, *args, decimals=0):
    """Rounds to ``decimals`` places: PyTorch's round.decimals (RoundBackward1), even for 0."""
    if args:
        raise TypeError(f"special_round() takes 1 positional argument but {1 + len(args)} were given")
    return round_(input, decimals=decimals)


def _softmax_like(name, fn):
    """softmax or log_softmax, whose ``dim`` is one int and which take no ``out=`` in torch.special."""
    def checked_dim(input, dim, dtype=None):
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"special_{name}(): argument 'dim' (position 2) must be int, not "
                            f"{torch_type_name(dim)}")
        return fn(input, dim, dtype)

    inner = checked(checked_dim, "special_" + name, method=False)

    def outer(*args, **kwargs):
        unknown = [k for k in kwargs if k not in ("input", "dim", "dtype")]
        if unknown:
            raise TypeError(f"special_{name}() got an unexpected keyword argument '{unknown[0]}'")
        return inner(*args, **kwargs)

    outer.__name__, outer.__doc__ = name, fn.__doc__
    SPECIAL[name] = outer


def _multigammaln(input, p):
    """The multivariate log-gamma function of dimension ``p`` (``mvlgamma``)."""
    return apply_mvlgamma(input, p, "special_multigammaln")


def _polygamma(n, input):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n >= 0)."""
    return apply_polygamma(n, input, "special_polygamma")


_publish("logit", _logit)
_publish("round", _round)
_softmax_like("softmax", softmax)
_softmax_like("log_softmax", log_softmax)
_publish("logsumexp", logsumexp)
_three_overloads("xlogy", "input", "other", xlogy, xlogy, xlogy)
_publish("multigammaln", _multigammaln)
_publish("polygamma", _polygamma)
