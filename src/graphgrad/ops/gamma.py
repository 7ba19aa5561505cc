"""The gamma function's logarithm and derivatives, elementwise: ``lgamma`` (log |Γ(x)|) and ``digamma``
(ψ = Γ'/Γ), differentiable as in PyTorch (``lgamma``' = ψ, ``digamma``' = ψ₁, the trigamma function).

SciPy's kernels are used for log Γ and ψ when it is installed; otherwise vectorised NumPy: the Lanczos
approximation for log Γ (g = 7, nine terms, about 1e-15 relative) and, for ψ, the recurrence up to x >= 10
followed by its asymptotic series (about 1e-13). ψ₁ follows PyTorch's own CPU kernel, in the input's
precision. All use the reflection formulas below 1/2.

>>> import graphgrad
>>> graphgrad.lgamma(graphgrad.tensor([0.5, 3.0]))
tensor([0.5724, 0.6931])
>>> graphgrad.digamma(graphgrad.tensor([1.0]))
tensor([-0.5772])
"""

from __future__ import annotations

import math

import numpy as np

from ._op import Op, apply
from .unary import _saved, _unary

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

    def _lgamma_kernel(a):
        return np.where(np.isneginf(a), np.inf, _gammaln(a))  # PyTorch: lgamma(-inf) = inf, SciPy: -inf
except ImportError:  # a plain install
    _lgamma_kernel, _digamma_kernel = _lgamma_np, _digamma_np


def _keep_float(kernel):
    """``kernel`` giving floats in their own dtype (integers give float64, promoted later by the op)."""
    def fwd(a):
        return np.asarray(kernel(a)).astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=False)

    return fwd


def _third_derivative_missing(node, grad):
    raise NotImplementedError("the derivative of polygamma(1, x) (the third derivative of lgamma) is not "
                              "implemented in graphgrad")


# ψ₁ as an op of its own, not published: the derivative of digamma (PyTorch's polygamma(1, x) node)
TRIGAMMA = Op("PolygammaBackward0", _keep_float(_trigamma_np), _third_derivative_missing, promote="float")


digamma = _unary("DigammaBackward0", _keep_float(_digamma_kernel), lambda n, g: g * apply(TRIGAMMA, _saved(n)),
                 names=("digamma",), inplace_function=(), doc="Elementwise ψ(x) = d/dx log Γ(x).")
lgamma = _unary("LgammaBackward0", _keep_float(_lgamma_kernel), lambda n, g: g * digamma(_saved(n)),
                names=("lgamma",), inplace_function=(), doc="Elementwise log |Γ(x)|.")
