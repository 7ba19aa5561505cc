"""The gamma function's logarithm and derivatives, elementwise: ``lgamma`` (log |Γ(x)|), ``digamma``
(ψ = Γ'/Γ) and the polygamma functions ψ⁽ⁿ⁾ (``polygamma(n, x)``), differentiable as in PyTorch (``lgamma``' = ψ,
ψ⁽ⁿ⁾' = ψ⁽ⁿ⁺¹⁾, recorded as PolygammaBackward0 at every order); the multivariate log-gamma ``mvlgamma``; and the
kernel of Hurwitz's zeta function, on which ψ⁽ⁿ⁾ rests from n = 2 (``torch.special.zeta`` is in ops/special.py).

SciPy's kernels are used for log Γ and ψ when it is installed; otherwise vectorised NumPy: the Lanczos
approximation for log Γ (g = 7, nine terms, about 1e-15 relative) and, for ψ, the recurrence up to x >= 10
followed by its asymptotic series (about 1e-13). ψ₁ follows PyTorch's own CPU kernel, in the input's
precision, and ψ⁽ⁿ⁾ for n >= 2 its (-1)ⁿ⁺¹·n!·ζ(n + 1, x), with ζ as Cephes computes it (in float64, as PyTorch's
CPU kernel does for float32 too). All use the reflection formulas below 1/2.

>>> import graphgrad
>>> graphgrad.lgamma(graphgrad.tensor([0.5, 3.0]))
tensor([0.5724, 0.6931])
>>> graphgrad.digamma(graphgrad.tensor([1.0]))
tensor([-0.5772])
"""

from __future__ import annotations

import math

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor
from ._export import export
from ._op import Op, _torch_name, apply
from ._parser import torch_type_name
from .unary import _inplace_form, _saved, _unary

_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_SHIFT_TO = 10.0  # ψ's asymptotic series is used from here on (truncation error < 1e-13)


def _float64(a):
    return np.asarray(a).astype(np.float64)


def _frac_pi(x):
    """π·(x - round(x)): the argument of tan(πx), |sin(πx)| and sin²(πx) reduced exactly (they repeat
    every 1), which keeps their digits for large |x|."""
    return math.pi * (x - np.round(x))


def _lgamma_right(x):
    """log Γ(x) for x >= 1/2 (Lanczos)."""
    z = x - 1.0
    series = np.full_like(z, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], start=1):
        series += c / (z + k)
    t = z + _LANCZOS_G + 0.5
    return _HALF_LOG_2PI + (z + 0.5) * np.log(t) - t + np.log(series)


def _lgamma_np(a):
    x = _float64(a)
    left = x < 0.5
    # reflection: log|Γ(x)| = log(π / |sin(πx)|) - log Γ(1 - x); the poles (0, -1, ...) are +inf
    reflected = np.log(math.pi / np.abs(np.sin(_frac_pi(x)))) - _lgamma_right(1.0 - x)
    out = np.where(left, reflected, _lgamma_right(np.where(left, 1.0, x)))
    out = np.where(left & (x == np.floor(x)), np.inf, out)
    out = np.where(np.isinf(x), np.inf, out)
    return out


def _shifted(x, terms):
    """Σ terms(x + j) for j = 0, 1, ... while x + j < 10, and the shifted x (the recurrence, vectorised)."""
    total = np.zeros_like(x)
    for _ in range(int(_SHIFT_TO)):
        low = x < _SHIFT_TO
        total += np.where(low, terms(x), 0.0)
        x = np.where(low, x + 1.0, x)
    return total, x


def _digamma_right(x):
    """ψ(x) for x >= 1/2: ψ(x) = ψ(x + n) - Σ 1/(x + j), then ln x - 1/(2x) - Σ B₂ₖ/(2k x²ᵏ)."""
    total, x = _shifted(x, lambda v: 1.0 / v)
    r = 1.0 / (x * x)
    series = r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132)))))
    return np.log(x) - 0.5 / x - series - total


def _digamma_np(a):
    x = _float64(a)
    left = x < 0.5
    # reflection: ψ(x) = ψ(1 - x) - π / tan(πx); at the poles 0, -1, ... ψ is nan, at ±0 it is ∓inf
    reflected = _digamma_right(1.0 - x) - math.pi / np.tan(_frac_pi(x))
    out = np.where(left, reflected, _digamma_right(np.where(left, 1.0, x)))
    out = np.where(left & (x == np.floor(x)), np.nan, out)
    out = np.where(x == 0, -1.0 / x, out)
    out = np.where(x == np.inf, np.inf, out)
    return out


def _trigamma_np(a):
    """ψ₁ as PyTorch's CPU kernel computes it, in the input's own precision (float32 stays float32), so that the
    gradients of digamma agree to the last digits. Below 1/2 the reflection ψ₁(x) = π² / sin²(πx) - ψ₁(1 - x)
    with sin(πx) unreduced: at the poles sin(πx) is not quite 0 and ψ₁ comes out huge (inf only where sin(πx)²
    underflows), and NaN at -inf. Then ψ₁(x) = ψ₁(x + 6) + Σ 1/(x + j)² and 1/x + 1/(2x²) + 1/(6x³) - 1/(30x⁵)
    + 1/(42x⁷)."""
    x = a.astype(np.result_type(a.dtype, np.float32), copy=False)  # (half precision in float32, ints float64)
    f = x.dtype.type
    one, pi = f(1), f(math.pi)
    left = x < 0.5
    sin = np.sin(pi * x)
    total = np.where(left, -(pi * pi) / (sin * sin), f(0))
    x = np.where(left, one - x, x)
    for _ in range(6):
        total += one / (x * x)
        x = x + one
    r = one / (x * x)
    total += (one + one / (f(2) * x) + r * (f(1 / 6) - r * (f(1 / 30) - r * f(1 / 42)))) / x
    return np.where(left, -total, total)


try:  # SciPy's kernels, when present, are the reference ones
    from scipy.special import gammaln as _gammaln
    from scipy.special import psi as _digamma_kernel

    def _lgamma_any(a):
        return np.where(np.isneginf(a), np.inf, _gammaln(a))  # PyTorch: lgamma(-inf) = inf, SciPy: -inf
except ImportError:  # a plain install
    _lgamma_any, _digamma_kernel = _lgamma_np, _digamma_np


def _lgamma_kernel(a):
    """log |Γ(a)|; below 1e-300 in magnitude (subnormal ones included, where π/sin(πa) overflows) it is -log |a|
    to the last digit, as the C library's lgamma gives it."""
    a = np.asarray(a)
    out = _lgamma_any(a)
    tiny = (np.abs(a) < 1e-300) & (a != 0)
    if tiny.any():
        out = np.where(tiny, -np.log(np.abs(np.where(tiny, a, 1))), out)
    return out


def _keep_float(kernel):
    """``kernel`` giving floats in their own dtype (integers give float64, promoted later by the op)."""
    def fwd(a):
        return np.asarray(kernel(a)).astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=False)

    return fwd


# --- Hurwitz's zeta function and the polygamma functions ------------------------------------------------------------
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042e-16


def zeta_np(x, q):
    """ζ(x, q) = Σ_k (q + k)^-x of two float64 arrays of one shape, as PyTorch's CPU kernel computes it (Cephes'
    zeta, in float64 for float32 too): the terms up to q + 9 or more, each element stopping once its term is
    below the precision, then the Euler-Maclaurin correction. inf at x = 1 and at the poles q = 0, -1, ...; NaN
    for x < 1, and for q < 0 with a non-integer x."""
    x, q = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(q, np.float64))
    shape = x.shape
    x, q = x.reshape(-1), q.reshape(-1)
    one, below, pole, odd = x == 1, x < 1, (q <= 0) & (q == np.floor(q)), (q <= 0) & (x != np.floor(x))
    out = np.where(one | (pole & ~below), np.inf, np.nan)  # (the tests in PyTorch's order)
    rest = np.flatnonzero(~(one | below | pole | odd))
    xs, qs = x[rest], q[rest]
    s = qs ** -xs
    a, b = qs.copy(), np.zeros_like(s)
    done = np.zeros(s.shape, bool)
    live, i = np.arange(s.size), 0
    while True:  # Σ up to a > 9 (and at least nine terms)
        live = live[(i < 9) | (a[live] <= 9)]
        if not live.size:
            break
        i += 1
        a[live] += 1
        b[live] = a[live] ** -xs[live]
        s[live] += b[live]
        small = (-_MACHEP * s[live] < b[live]) & (b[live] < _MACHEP * s[live])
        done[live[small]] = True
        live = live[~small]
    live = np.flatnonzero(~done)
    w, xl, bl = a[live], xs[live], b[live]
    sl = s[live] + bl * w / (xl - 1)
    sl -= 0.5 * bl
    al, k = np.ones_like(sl), 0.0
    going = np.ones(sl.shape, bool)
    for coef in _ZETA_A:  # Euler-Maclaurin, each element until its term is below the precision
        al = np.where(going, al * (xl + k), al)
        bl = np.where(going, bl / w, bl)
        t = al * bl / coef
        sl = np.where(going, sl + t, sl)
        going &= ~(np.abs(t / sl) < _MACHEP)
        k += 1
        al = np.where(going, al * (xl + k), al)
        bl = np.where(going, bl / w, bl)
        k += 1
    s[live] = sl
    out[rest] = s
    return out.reshape(shape)


def _polygamma_np(a, n):
    """ψ⁽ⁿ⁾(a) as PyTorch's CPU kernel computes it: ψ for n = 0, its trigamma for n = 1, and beyond
    (-1)ⁿ⁺¹·n!·ζ(n + 1, a) in a's precision (n! as exp(lgamma(n + 1)))."""
    if n == 0:
        return _keep_float(_digamma_kernel)(a)
    if n == 1:
        return _trigamma_np(a).astype(a.dtype if a.dtype.kind == "f" else np.float32, copy=False)
    work = a.astype(np.result_type(a.dtype, np.float32), copy=False)
    f = work.dtype.type
    factorial = np.exp(f(math.lgamma(float(f(n) + f(1)))))
    z = zeta_np(np.full(work.shape, float(n + 1)), work).astype(work.dtype)
    return ((f(1) if n % 2 else f(-1)) * factorial * z).astype(a.dtype if a.dtype.kind == "f" else work.dtype)


def _polygamma_bw(node, g):
    return g * apply(POLYGAMMA, _saved(node), n=node.kwargs["n"] + 1)


# polygamma(n, x), PyTorch's node for every n (digamma's derivative is polygamma(1, x), its own polygamma(2, x))
POLYGAMMA = Op("PolygammaBackward0", _polygamma_np, _polygamma_bw, save="a", promote="float")


def _order(n, name, position=1, param="n"):
    """``n`` as an int, or PyTorch's TypeError (a 0-dim integer tensor counts as an int, as in PyTorch;
    ``position`` None: passed by keyword)."""
    if isinstance(n, Tensor) and n._data.ndim == 0 and n._data.dtype.kind in "iu":
        return int(n._data)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        where = "" if position is None else f" (position {position})"
        raise TypeError(f"{name}(): argument '{param}'{where} must be int, not {torch_type_name(n)}")
    return int(n)


def _polygamma_order(n, name):
    n = _order(n, name)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return n


def apply_polygamma(n, input, name="polygamma"):
    """``polygamma(n, input)`` with PyTorch's checks (``name``: the function named in its errors)."""
    return apply(POLYGAMMA, input, n=_polygamma_order(n, name))


# x.polygamma_(n) has a node of its own in PyTorch (its derivative reads x's value from before the write)
POLYGAMMA_ = Op("PolygammaBackward1", _polygamma_np, _polygamma_bw, save="a", promote="float")


def _polygamma_inplace(self, n):
    return _inplace_form(POLYGAMMA_, "polygamma")(self, n=_polygamma_order(n, "polygamma_"))


_polygamma_inplace.__name__ = "polygamma_"


@export("polygamma", method=False)
def polygamma(n, input):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n >= 0), elementwise."""
    return apply_polygamma(n, input)


@export("polygamma", function=False, inplace=True, inplace_form=_polygamma_inplace)
def _polygamma_method(self, *args, **kwargs):
    """``x.polygamma(n)`` (its one argument checked here, whether given by position or by keyword)."""
    if len(args) + len(kwargs) != 1 or set(kwargs) - {"n"}:
        if not args and "n" not in kwargs:
            raise TypeError('polygamma() missing 1 required positional arguments: "n"')
        unknown = sorted(set(kwargs) - {"n"})
        if unknown:
            raise TypeError(f"polygamma() got an unexpected keyword argument '{unknown[0]}'")
        if args and "n" in kwargs:
            raise TypeError("polygamma() got multiple values for argument 'n'")
        raise TypeError(f"polygamma() takes 1 positional argument but {len(args)} were given")
    n = _order(args[0] if args else kwargs["n"], "polygamma", 1 if args else None)
    return apply_polygamma(n, self)


digamma = _unary("DigammaBackward0", _keep_float(_digamma_kernel),
                 lambda n, g: g * apply(POLYGAMMA, _saved(n), n=1),
                 names=("digamma",), inplace_function=(), doc="Elementwise ψ(x) = d/dx log Γ(x).")
lgamma = _unary("LgammaBackward0", _keep_float(_lgamma_kernel), lambda n, g: g * digamma(_saved(n)),
                names=("lgamma",), inplace_function=(), doc="Elementwise log |Γ(x)|.")


# --- the multivariate log-gamma function ----------------------------------------------------------------------------
def _mvlgamma_args(p, dtype):
    """(1 - p)/2, ..., -1/2, 0: what mvlgamma adds to x before its log-gammas (PyTorch's arange)."""
    return np.arange(-p / 2.0 + 0.5, 0.5, 0.5).astype(dtype)


def _mvlgamma_np(a, p):
    terms = _keep_float(_lgamma_kernel)(a[..., None] + _mvlgamma_args(p, a.dtype))
    return (terms.sum(-1) + a.dtype.type(p * (p - 1) * math.log(math.pi) * 0.25)).astype(a.dtype, copy=False)


def _mvlgamma_bw(node, g):
    x = _saved(node)
    args = Tensor._make(_mvlgamma_args(node.kwargs["p"], x._data.dtype), False, None)
    return g * (x.unsqueeze(-1) + args).digamma().sum(-1)


MVLGAMMA = Op("MvlgammaBackward0", _mvlgamma_np, _mvlgamma_bw, save="a", promote="float")


def apply_mvlgamma(input, p, name="mvlgamma"):
    """``mvlgamma(input, p)`` with PyTorch's checks (``name``: the function named in its errors)."""
    p = _order(p, name, position=2, param="p")
    if input._data.dtype == np.bool_:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return apply(MVLGAMMA, input, p=p)


def _mvlgamma_inplace(self, p):
    if self._data.dtype == np.bool_:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if self._data.dtype.kind in "iu":  # (PyTorch's own words, its two types the other way round)
        raise RuntimeError(f"mvlgamma: result type {_torch_name(self._data.dtype)} can't be cast to the desired "
                           f"output type {_torch_name(get_default_dtype().np)}")
    return _inplace_form(MVLGAMMA, "mvlgamma")(self, p=int(p))


_mvlgamma_inplace.__name__ = "mvlgamma_"


@export("mvlgamma", inplace=True, inplace_form=_mvlgamma_inplace)
def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension ``p``: Σ_j log Γ(x - j/2) + p(p-1)/4·log π."""
    return apply_mvlgamma(input, p)
