"""The error function on arrays, vectorised, for when SciPy (whose ``special.erf`` is used if present) is not.

W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations for the error
function", Math. Comp. 23, 1969), accurate to about 5e-16 relative in float64: ``erf`` itself on
|x| <= 0.46875, ``erfc(x)·exp(x²)`` on 0.46875 < |x| <= 4, and a rational function of 1/x² beyond.

``erfc_abs_float32`` is the single-precision one that GELU uses on float32: in-place passes of
NumPy's SIMD loops, several times faster than SciPy's scalar erf, and accurate to about 1e-5 relative
(PyTorch's float32 GELU is itself an approximation of that order).
"""

from __future__ import annotations

import math

import numpy as np

_A = (3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3,
      1.85777706184603153e-1)
_B = (2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3)
_C = (5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1, 2.98635138197400131e2,
      8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3,
      2.15311535474403846e-8)
_D = (1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
      3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
_SQRT_1_PI = 5.6418958354775628695e-1


def _rational(x, lead, num, den):
    """Cody's nested form: (((lead·x + num[0])·x + ...)·x + num[-1]) / (((x + den[0])·x + ...)·x + den[-1])."""
    n = lead * x
    d = x.copy()
    for a, b in zip(num[:-1], den[:-1]):
        n += a
        n *= x
        d += b
        d *= x
    return (n + num[-1]) / (d + den[-1])


def _erf_near_zero(x):
    """erf of a float64 array whose elements are all within ±0.46875 (Cody's first range)."""
    return x * _rational(x * x, _A[4], _A[:4], _B)


def _erfc_beyond_small(y, scaled=False):
    """erfc (erfcx, exp(y²)·erfc, where ``scaled``: no exp(-y²) to underflow) of a float64 array whose elements
    are all > 0.46875 (Cody's two outer ranges), without the cancellation of 1 - erf."""
    out = np.empty_like(y)
    mid = y <= 4.0
    ym = y[mid]
    rational = _rational(ym, _C[8], _C[:8], _D)
    out[mid] = rational if scaled else np.exp(-ym * ym) * rational
    yb = y[~mid]
    z = 1.0 / (yb * yb)
    tail = _SQRT_1_PI - z * _rational(z, _P[5], _P[:5], _Q)
    out[~mid] = (tail if scaled else np.exp(-yb * yb) * tail) / yb
    return out


def erf_np(a):
    """erf of every element of ``a`` (floats keep their dtype; other inputs give float64).

    >>> erf_np(np.array([0.0, 0.5, -2.0]))
    array([ 0.        ,  0.52049988, -0.99532227])
    """
    a = np.asarray(a)
    x = a.astype(np.float64)
    y = np.abs(x)
    out = np.empty_like(y)
    small = y <= 0.46875
    out[small] = _erf_near_zero(y[small])
    out[~small] = 1.0 - _erfc_beyond_small(y[~small])
    out[np.isnan(y)] = np.nan
    return np.copysign(out, x).astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=False)


def erfc_np(a):
    """erfc of every element of ``a``, in float64 (Cody's ranges; 2 - erfc(-x) below -0.46875, without the
    cancellation of 1 - erf in either tail).

    >>> erfc_np(np.array([0.0, 1.0, -3.0, 10.0]))
    array([1.00000000e+00, 1.57299207e-01, 1.99997791e+00, 2.08848758e-45])
    """
    x = np.asarray(a, dtype=np.float64)
    out = np.full_like(x, np.nan)  # (NaN stays: it is in neither range)
    small = np.abs(x) <= 0.46875
    out[small] = 1.0 - _erf_near_zero(x[small])
    big = np.abs(x) > 0.46875
    tail = _erfc_beyond_small(np.abs(x[big]))
    out[big] = np.where(x[big] < 0, 2.0 - tail, tail)
    return out


def erfcx_np(a):
    """erfcx(x) = exp(x²)·erfc(x) of every element of ``a``, in float64: Cody's rational functions give it
    directly above 0.46875 (no exp(-x²) to underflow), exp(x²)·erfc(x) near 0, and below -0.46875 PyTorch's
    2·exp(x²) - erfcx(-x) (the second term dropped below -6.1, inf below -26.7).

    >>> erfcx_np(np.array([0.0, 1.0, 100.0, -1.0]))
    array([1.        , 0.42758358, 0.00564161, 5.00898008])
    """
    x = np.asarray(a, dtype=np.float64)
    out = np.full_like(x, np.nan)
    small = np.abs(x) <= 0.46875
    xs = x[small]
    out[small] = np.exp(xs * xs) * (1.0 - _erf_near_zero(xs))
    pos = x > 0.46875
    out[pos] = _erfc_beyond_small(x[pos], scaled=True)
    neg = x < -0.46875
    xn = x[neg]
    twice = 2.0 * np.exp(xn * xn)
    near = xn >= -6.1
    if near.any():
        twice[near] -= erfcx_np(-xn[near])
    twice[xn < -26.7] = np.inf
    out[neg] = twice
    return out


# erfc(z) = t·R(t)·exp(-z²)/√π for z >= 0, with t = 1 / (1 + z/2) (the substitution of Numerical Recipes'
# "erfcc") and R a degree-6 polynomial fitted here to √π·erfcx(z)/t (erfcx(z) = exp(z²)·erfc(z), smooth and
# bounded), near-minimax in relative error for t in [0.15, 1] (z up to about 11, beyond which exp(-z²)
# underflows in float32), with R(1) = √π (erfc(0) = 1): erfc's relative error from R is below 2.1e-6
# everywhere, under the ~1e-5 that rounding -z² in float32 costs anyway. Keeping exp(-z²)/√π apart (not
# folded into one exp with the polynomial) lets GELU's derivative reuse it: x·φ(x) = z·exp(-z²)/√π.
# R's coefficients, highest power first:
_ERFC_FIT = (0.15325679, -0.621050265, 0.673657392, 0.0789052362, 0.494483416, 0.492842716, 0.500358565)
_LOG_SQRT_PI = 0.5 * math.log(math.pi)


def erfc_abs_float32(z, scale=1.0, out=None, work=None, gauss=None):
    """scale·erfc(|z|) of a float32 array, computed in float32: into ``out`` (a new array when not given).

    ``work`` and ``gauss`` are float32 scratch arrays of z's shape (allocated when not given); ``gauss`` is
    left holding exp(-z²)/√π, which GELU's derivative reuses. ``scale`` costs nothing: it rides on the
    polynomial's coefficients.

    >>> erfc_abs_float32(np.array([0.0, 1.0, -3.0], np.float32))
    array([1.0000001e+00, 1.5729924e-01, 2.2090460e-05], dtype=float32)
    """
    f = np.float32
    p = np.empty_like(z) if out is None else out
    t = np.empty_like(z) if work is None else work
    gauss = np.empty_like(z) if gauss is None else gauss
    np.abs(z, out=t)
    np.add(t, f(2), out=t)
    np.divide(f(2), t, out=t)  # t = 1 / (1 + |z|/2)
    np.multiply(z, z, out=gauss)
    np.subtract(f(-_LOG_SQRT_PI), gauss, out=gauss)
    np.exp(gauss, out=gauss)  # exp(-z²)/√π
    np.multiply(t, f(_ERFC_FIT[0] * scale), out=p)
    for c in _ERFC_FIT[1:-1]:  # Horner's scheme, in place: one pass over the array per coefficient
        p += f(c * scale)
        p *= t
    p += f(_ERFC_FIT[-1] * scale)
    p *= t
    p *= gauss
    return p


# M. Giles' single-precision approximation of erfinv ("Approximating the erfinv function", GPU Computing Gems
# Jade Edition, 2011): a polynomial in w = -log(1 - y²), one for w < 5 and one in sqrt(w) beyond.
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
_TWO_OVER_SQRT_PI = 1.1283791670955126


try:  # SciPy's erf is faster than the rational functions above; both are float64-accurate
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - depends on the environment
    _scipy_erf = None


def erf_float64_then_cast(a):
    """erf computed in float64 and rounded once to ``a``'s float dtype (float64 for other inputs), as
    correctly rounded as ``math.erf`` element by element, without a Python loop."""
    a = np.asarray(a)
    x = a.astype(np.float64, copy=False)
    out = _scipy_erf(x) if _scipy_erf is not None else erf_np(x)
    return out.astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=False)


def erfinv_np(a):
    """The inverse of erf for every element of ``a`` in [-1, 1] (±inf at ±1, nan outside): Giles' approximation
    refined by three Newton steps on ``erf_np``, which bring it to float64 accuracy. It runs as an op's forward, with
    NumPy's floating-point warnings off (see _core/fp_errors.py), as here:

    >>> from graphgrad._core.fp_errors import quietly
    >>> quietly(erfinv_np)(np.array([0.0, 0.5, -1.0]))
    array([0.        , 0.47693628,       -inf])
    """
    a = np.asarray(a)
    y = np.abs(a.astype(np.float64)).reshape(-1)  # erfinv is odd: solve for |y|, give the sign back at the end
    w = -np.log((1.0 - y) * (1.0 + y))
    central = w < 5.0
    t = np.where(central, w - 2.5, np.sqrt(w) - 3.0)
    p = np.zeros_like(y)
    for c_central, c_tail in zip(_GILES_CENTRAL, _GILES_TAIL):
        p = p * t + np.where(central, c_central, c_tail)
    x = np.where(y < 1.0, p * y, np.where(y == 1.0, np.inf, np.nan))
    # Newton steps. Near 0, on erf(x) - y. In the tail erf(x) rounds to 1, so solve
    # log(erfc(x)) = log(1 - y) instead: nearly linear in x there, and 1 - y keeps all its digits.
    tail = y > 0.9
    near, far = np.flatnonzero((y < 1.0) & ~tail), np.flatnonzero(tail & (y < 1.0))
    log_rest = np.log1p(-y[far])
    for _ in range(3):
        xn = x[near]
        x[near] = xn - (erf_np(xn) - y[near]) / (_TWO_OVER_SQRT_PI * np.exp(-xn * xn))
        xf = x[far]
        erfc = _erfc_beyond_small(xf)
        x[far] = xf + (np.log(erfc) - log_rest) * erfc / (_TWO_OVER_SQRT_PI * np.exp(-xf * xf))
    x = np.copysign(x, a.astype(np.float64).reshape(-1)).reshape(a.shape)
    return x.astype(a.dtype if a.dtype.kind == "f" else np.float64, copy=False)
