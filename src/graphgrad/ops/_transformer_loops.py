"""Optional compiled loops for a transformer's elementwise and row kernels (the ``fast`` extra, numba).

GELU's float32 NumPy form (``activation._gelu_float32``) is about thirty passes over the activation, on one
core. The loop here makes two vectorised passes over each cache-sized block, computing for each element the
same float32 operations in the same order (the erfc fit's Horner steps, the max), and runs over parts of the
array on several threads (``CompiledLoops.split``). Its exponential is its own polynomial (below), not
NumPy's SIMD exp: the numbers are the NumPy form's to about one float32 rounding of exp(-z²) (on a fifth of
the elements the result differs in its last bits). They do not depend on the thread count: each element is
computed alone.

Softmax's gradient along the last axis, out·(g - Σ g·out), is one loop over each row (the NumPy form makes four
passes); its row sum adds in vector lanes (``_norm_loops._row_sum``), so it agrees with the NumPy form to
rounding. (A softmax forward loop with the exponential below was no faster than NumPy's form on rows of 64.)

An embedding's weight gradient adds each lookup's gradient row into the row it looked up, one after the other in
lookup order (as PyTorch's index_add_ and NumPy's add.at add them: the same bits), vectorised along the row; the
NumPy form sorts the lookups to sum each row's in one reduceat, several passes.

Each function returns None where it does not apply (numba missing, ``LOOPS.enabled`` False, another dtype,
a layout that is not one contiguous block) and the caller runs its NumPy form.
"""

from __future__ import annotations

import math

import numpy as np

from .._core import jit
from ._erf import _ERFC_FIT, _LOG_SQRT_PI
from ._norm_loops import _row_sum

_F = np.float32
# float32 constants (numba types a global NumPy scalar by its dtype; a Python float would make it compute in
# float64): √½, -log√π, and the erfc fit's coefficients scaled by ½ as the NumPy form scales them
_SQRT_HALF, _MINUS_LOG_SQRT_PI = _F(math.sqrt(0.5)), _F(-_LOG_SQRT_PI)
_R0, _R1, _R2, _R3, _R4, _R5, _R6 = (_F(c * 0.5) for c in _ERFC_FIT)
# exp(a) for a <= 0 as 2**n·exp(r), n = floor(a·log2(e) + ½), r = a - n·ln2 in [-ln2/2, ln2/2] (Cody and
# Waite's two-part ln2), exp(r) by Cephes' degree-6 polynomial (about one float32 rounding), 2**n made from its
# bits (as 2**(n + 64)·2**-64, so that 2**n's below float32's normal range are made too): no call in the loop,
# so the compiler vectorises it (numba's exp is a call to the C library's). exp(a) rounds to 0 below -104.5.
_LOG2E, _LN2_HI, _LN2_LO = _F(1 / math.log(2)), _F(0.693359375), _F(-2.12194440e-4)
_E0, _E1, _E2, _E3, _E4, _E5 = (_F(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                                4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
_EXP_FLOOR = _F(-104.5)  # n = -151 there: 2**n·exp(r) rounds to 0
_N_SHIFT = np.int32(160)  # floor(a·log2(e) + ½) as the truncation of a positive: a·log2(e) + ½ + 160 > 0
_N_ROUND = _F(0.5 + _N_SHIFT)
# float32's exponent bias, and the 64 that keeps 2**(n + 64) normal
_EXPONENT_BIAS, _MANTISSA_BITS = np.int32(127 + 64), np.int32(23)
_TWO_TO_MINUS_64 = _F(2.0 ** -64)
_BLOCK = 1024  # elements a pass: the scratch stays in the core's first-level cache


def _gelu_loop(start, stop, x, y, slope):
    """x·Φ(x) into ``y`` and Φ(x) + x·φ(x) into ``slope`` for elements start:stop (see ``_gelu_float32``).

    Block by block, two vectorised passes: the first writes r (into y) and 2**(n + 64)'s bits; the second
    the rest."""
    zero, one, two = _F(0), _F(1), _F(2)
    bits = np.empty(_BLOCK, np.int32)
    pow2 = bits.view(np.float32)
    for block in range(start, stop, _BLOCK):
        # each pass over views from 0: indices the compiler sees are not negative (no wraparound to vectorise)
        xb, yb, sb = x[block:block + _BLOCK], y[block:block + _BLOCK], slope[block:block + _BLOCK]
        for i in range(min(_BLOCK, stop - block)):
            z = xb[i] * _SQRT_HALF
            a = _MINUS_LOG_SQRT_PI - z * z  # exp(a) = exp(-z²)/√π
            a = a if a >= _EXP_FLOOR else _EXP_FLOOR  # (a NaN too: its x gives NaN through t anyway)
            n = np.int32(a * _LOG2E + _N_ROUND) - _N_SHIFT  # (int32: vectorised where int64 is not)
            nf = _F(n)
            yb[i] = a - nf * _LN2_HI - nf * _LN2_LO
            bits[i] = (n + _EXPONENT_BIAS) << _MANTISSA_BITS
        for i in range(min(_BLOCK, stop - block)):
            v = xb[i]
            z = v * _SQRT_HALF
            r = yb[i]
            e = ((((((_E0 * r + _E1) * r + _E2) * r + _E3) * r + _E4) * r + _E5) * r) * r + r + one
            gauss = e * pow2[i] * _TWO_TO_MINUS_64
            t = two / (abs(z) + two)  # 1 / (1 + |z|/2)
            tail = ((((((_R0 * t + _R1) * t + _R2) * t + _R3) * t + _R4) * t + _R5) * t + _R6) * t * gauss
            cdf = (one if v > zero else zero) - tail  # Φ(x) = max(Φ(-|x|), [x > 0] - Φ(-|x|)); a NaN stays
            cdf = tail if cdf < tail else cdf
            yb[i] = v * cdf
            sb[i] = cdf + gauss * z


def _softmax_bw_loop(start, stop, g, out, gx, zero):
    """Rows start:stop: out·(g - Σ g·out), softmax's gradient from its result (``zero``: 0 in g's dtype)."""
    cols = g.shape[1]
    for r in range(start, stop):
        grow, orow, xrow = g[r], out[r], gx[r]
        total = _row_sum(grow, orow, zero)
        for j in range(cols):
            i = np.uintp(j)
            xrow[i] = orow[i] * (grow[i] - total)


def _add_rows_at_loop(start, stop, idx, rows, out):
    """out[idx[i]] += rows[i] for i in start:stop, in that order."""
    cols = rows.shape[1]
    for i in range(start, stop):
        orow, grow = out[idx[i]], rows[i]
        for j in range(cols):
            k = np.uintp(j)
            orow[k] += grow[k]


# .enabled False: the NumPy forms
LOOPS = jit.CompiledLoops(gelu=_gelu_loop, softmax_bw=_softmax_bw_loop, add_rows_at=_add_rows_at_loop,
                          helpers=(_row_sum,))


def _rows(a):
    """a's last axis as the rows of a C-contiguous 2-D view, or None when a is not one contiguous block."""
    return a.reshape(-1, a.shape[-1]) if a.flags.c_contiguous and a.ndim and a.size else None


def softmax_bw_last_dim(g, out):
    """out·(g - Σ g·out) along the last axis (float32 or float64), or None where the loop doesn't apply."""
    rows = _rows(g) if g.dtype == out.dtype and g.dtype in jit.FLOATS and g.shape == out.shape else None
    if rows is None or not out.flags.c_contiguous:
        return None
    gx = np.empty_like(g)
    if not LOOPS.split("softmax_bw", rows.shape[0], rows, out.reshape(rows.shape), gx.reshape(rows.shape),
                       g.dtype.type(0), work_per_row=rows.shape[1]):
        return None
    return gx


def _flat(a):
    """``a``'s elements in memory order as a 1-D view, or None when they are not one contiguous block."""
    return a.ravel(order="K") if a.flags.c_contiguous or a.flags.f_contiguous else None


def gelu_float32(x):
    """(GELU of a float32 array, its derivative), both in x's layout, or None where the loop doesn't apply.

    >>> out = gelu_float32(np.array([-1.0, 0.0, 2.0], np.float32))
    >>> out is None or np.allclose(out[0], [-0.15865526, 0.0, 1.9544997])
    True
    """
    flat = _flat(x) if x.dtype == np.float32 and x.size else None
    if flat is None:
        return None
    y, slope = np.empty_like(x), np.empty_like(x)  # (x's strides: empty_like keeps a contiguous layout)
    if not LOOPS.split("gelu", flat.size, flat, _flat(y), _flat(slope)):
        return None
    return y, slope


def embedding_grad(rows, idx, num):
    """The (num, d) sum of the rows of ``rows`` (n, d) into the rows ``idx`` (n,) names, or None where the loop
    doesn't apply.

    >>> out = embedding_grad(np.ones((3, 2), np.float32), np.array([1, 0, 1]), 2)
    >>> out is None or out.tolist() == [[1.0, 1.0], [2.0, 2.0]]
    True
    """
    if rows.dtype not in jit.FLOATS or not rows.flags.c_contiguous or idx.dtype != np.int64:
        return None
    out = np.zeros((num, rows.shape[1]), rows.dtype)
    return out if LOOPS("add_rows_at", 0, idx.size, idx, rows, out) else None
