"""PyTorch's CPU samplers on NumPy: raw Mersenne Twister draws turned into values bit for bit.

Each function takes a :class:`graphgrad.random.Generator` and returns a NumPy array, drawing exactly
the raw numbers PyTorch 2.13's CPU kernels draw, in the same order, and rounding as they round:

- uniform: ``u24 = (r & (2**24 - 1)) * 2**-24`` (float32) or ``u53`` from a 64-bit draw (float64), then a
  fused multiply-add ``u * (b - a) + a``;
- normal, 16 or more contiguous elements: all uniforms first, then Box-Muller on blocks of 16 (float32
  with the AVX2 Cephes polynomials ``log256_ps``/``sincos256_ps`` and their fused multiply-adds, float64
  with the C library's ``log``/``sin``/``cos``); a tail that is not a multiple of 16 draws 16 fresh uniforms
  and redoes the last block; fewer elements (or a strided target) draw pairs with a cached second sample;
- integers ``r % range + low``; ``randperm`` is the forward Fisher-Yates shuffle ``swap(p[i], p[i + r % (n - i)])``;
- float16 and bfloat16 compute in float32 (PyTorch's "opmath" type) and round once to the 16-bit type; their
  normals draw 16 uniforms per block (a tail block right after the full ones, not after all n); a double
  (from the float64 samplers) is rounded to float32 first, as C++'s conversion to ``c10::Half`` does.

These are the kernels PyTorch runs on every x86-64 CPU with AVX2; where PyTorch runs other kernels (no AVX2,
ARM) its draws and state still match these and float32 normals may differ in the last bit.

NumPy has no fused multiply-add, so ``fma32``/``fma64`` compute one exactly (rounding to odd, then to nearest).

>>> from graphgrad.random import Generator
>>> uniform(Generator().manual_seed(0), 2, np.float32)
array([0.4962566, 0.7682218], dtype=float32)
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from . import _cpp_sort

_F32, _F64 = np.float32, np.float64
_U24 = 2.0**-24
_U53 = 2.0**-53
_MASK53 = np.uint64(2**53 - 1)


# --- exact fused multiply-add -----------------------------------------------------------------------
def _two_sum(a, b):
    """s + e == a + b exactly, s = fl(a + b) (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_to_odd(s, e):
    """The float64 nearest s + e rounded to odd: when e != 0 and s's last bit is even, step towards e."""
    bits = np.array(s, dtype=_F64).view(np.int64)
    step = (np.asarray(e) != 0) & ((bits & 1) == 0)
    towards = np.where(np.signbit(e) == np.signbit(s), 1, -1)
    return (bits + step * towards).view(_F64)


def fma32(a, b, c, *, normal_results=False):
    """float32 ``a * b + c`` rounded once (as the CPU's fused multiply-add).

    The float64 product of two float32 numbers is exact, so ``s = fl64(a * b + c)`` has one rounding. Rounding
    s to float32 is then the correct single rounding unless s landed exactly halfway between two float32
    numbers after an inexact float64 sum (or s is in float32's subnormal range, which callers that know their
    results are normal numbers or zero skip with ``normal_results``): only there is the exact sum needed
    (TwoSum), and the halfway case is pushed to the side the exact sum lies on (rounding to odd).

    >>> fma32(np.float32(0.1), np.float32(3), np.float32(-0.3))  # unfused: 0.0
    np.float32(-7.450581e-09)
    """
    if np.ndim(c) == 0 and c == 0:  # a product alone is rounded once by float32 multiplication
        return np.multiply(a, b, dtype=_F32)
    s = np.atleast_1d(np.multiply(a, b, dtype=_F64))
    np.add(s, c, out=s)
    out = s.astype(_F32)
    tiny = None if normal_results else np.abs(s) < 2.0**-125
    low = np.bitwise_and(s.view(np.uint64), np.uint64(0x1FFFFFFF), out=s.view(np.uint64))  # s is spent now
    risky = low == np.uint64(0x10000000)  # the 29 bits float32 drops are exactly half its last place
    if tiny is not None:
        risky |= tiny
    if risky.any():
        at = np.flatnonzero(risky)
        a, b, c = (np.broadcast_to(v, out.shape).ravel()[at] for v in (a, b, c))
        s, e = _two_sum(np.multiply(a, b, dtype=_F64), c.astype(_F64))
        out.ravel()[at] = _round_to_odd(s, e).astype(_F32)
    return out if np.ndim(a) or np.ndim(b) or np.ndim(c) else out[0]


_LOW29, _HALF29 = np.uint64(0x1FFFFFFF), np.uint64(0x10000000)


def _fma(a, b, c):
    """``fma32`` for the float32 log/sin/cos polynomials: 1-d float32 arrays (or scalars for b and c) whose
    results are never subnormal, with as few NumPy calls as possible (this runs ~20 times per normal pair)."""
    s = np.multiply(a, b, dtype=_F64)
    s += c
    out = s.astype(_F32)
    bits = s.view(np.uint64)
    bits &= _LOW29
    risky = bits == _HALF29
    if risky.any():
        risky = np.nonzero(risky)
        a, b, c = (np.broadcast_to(v, out.shape)[risky] for v in (a, b, c))
        exact = _two_sum(np.multiply(a, b, dtype=_F64), c.astype(_F64))
        out[risky] = _round_to_odd(*exact).astype(_F32)
    return out


def _split(a):
    """Veltkamp's split: hi + lo == a, each with at most 26 significant bits."""
    t = a * 134217729.0  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def fma64(a, b, c):
    """float64 ``a * b + c`` rounded once (Boldo and Melquiond's emulation through rounding to odd).

    >>> float(fma64(0.1, 10.0, -1.0))
    5.551115123125783e-17
    """
    a, b, c = np.asarray(a, _F64), np.asarray(b, _F64), np.asarray(c, _F64)
    ph = a * b
    if not c.any():
        return ph + c
    ah, al = _split(a)
    bh, bl = _split(b)
    pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl  # ph + pl == a * b exactly
    th, tl = _two_sum(c, ph)
    v = _round_to_odd(*_two_sum(tl, pl))
    return th + v


# --- the C library's log/log1p/exp/tan/sin/cos, vectorised and bit for bit ------------------------------
# PyTorch's CPU samplers call glibc's float64 functions, and NumPy's SIMD ones differ from them in the last
# bit for some values (log 0.36%, log1p 7.4%, exp 4.6%, tan 0.5%; sin and cos agree). Calling ``math.*``
# (glibc) per element is exact but slow, so ``libm`` computes each function in a vectorised way that gives
# glibc's bits, and falls back to ``math.*`` only where that cannot be sure:
#
# - log, exp, tan: glibc rounds an internal result that is within a small share of an ulp of the true
#   value (its documented bounds: log 0.519 ulp, exp 0.511 ulp, i.e. 0.019 / 0.011 ulp before rounding;
#   tan measured below 0.07), so it returns the correctly rounded value unless the true value lies that
#   close to a midpoint between two doubles. NumPy's long double (x87, 64-bit mantissa) gets the true value
#   to about 2**-11 ulp; values farther than ``_NEAR_MIDPOINT`` from a midpoint round the same way in
#   glibc, and the rest (about 2 * _NEAR_MIDPOINT of all) go through ``math.*``.
# - log1p: glibc's is fdlibm's, which is not correctly rounded (0.3 ulp off), so ``_fdlibm_log1p``
#   repeats its float64 operations one for one.
# - sin, cos: NumPy's equal glibc's.
#
# The first call of each function checks the vectorised path against ``math.*`` on a fixed sample; on a
# platform where they differ (another C library, no extended long double) that function stays scalar.
_LIBM_SCALAR = {"log": math.log, "log1p": math.log1p, "exp": math.exp, "tan": math.tan,
                "sin": math.sin, "cos": math.cos}
_NEAR_MIDPOINT = {"log": 2.0**-5, "exp": 2.0**-6, "tan": 2.0**-3}  # in ulps; twice the largest error seen
_CHECK_INPUTS = {"log": (0.0, 1.0), "log1p": (-1.0, 0.0), "exp": (-30.0, 30.0),
                 "tan": (-math.pi / 2, math.pi / 2), "sin": (0.0, 2 * math.pi), "cos": (0.0, 2 * math.pi)}
_VECTORISED_OK: dict[str, bool] = {}
_LIBM_CHUNK = 2**14


def libm(name, x):
    """glibc's float64 ``name`` (``"log"``, ``"log1p"``, ``"exp"``, ``"tan"``, ``"sin"``, ``"cos"``) over an
    array, bit for bit, vectorised; ``-inf``/``nan`` where C returns them (``math`` would raise).

    >>> libm("log1p", np.array([-0.5, 0.0])).tolist() == [math.log1p(-0.5), 0.0]
    True
    """
    x = np.asarray(x, _F64)
    if name not in _VECTORISED_OK:
        _VECTORISED_OK[name] = _vectorised_matches_scalar(name)
    if not _VECTORISED_OK[name]:
        return _scalar(name, x, np.ones(x.shape, bool), np.empty(x.shape, _F64))
    with np.errstate(all="ignore"):
        if name in ("sin", "cos"):
            return getattr(np, name)(x)
        flat = x.ravel()
        vectorised = _fdlibm_log1p if name == "log1p" else partial(_rounded_long_double, name)
        # in chunks, so that the temporaries stay in the cache
        parts = [vectorised(flat[i:i + _LIBM_CHUNK]) for i in range(0, flat.size, _LIBM_CHUNK)]
        out = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, _F64)
        unsure = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, bool)
    return _scalar(name, flat, unsure, out).reshape(x.shape)


def libm_log(x):
    """The C library's ``log`` (``-inf`` at 0, as C gives it)."""
    return libm("log", x)


def _scalar(name, x, where, out):
    """``out`` with ``math.<name>`` of ``x[where]`` filled in; C's ``-inf``/``nan`` where ``math`` raises."""
    fn = _LIBM_SCALAR[name]

    def c_like(v):
        try:
            return fn(v)
        except ValueError:  # C: log(0) = log1p(-1) = -inf, nan below the domain
            return -math.inf if v == (0.0 if name == "log" else -1.0) else math.nan
        except OverflowError:
            return math.inf

    picked = x[where]
    out[where] = np.fromiter(map(c_like, picked.tolist()), _F64, picked.size)
    return out


def _rounded_long_double(name, x):
    """``name(x)`` in long double rounded to float64, and where that rounding is too close to call.

    The low 11 of the long double's 64 mantissa bits are the ones rounding to float64 drops, so they tell
    how far the result lies from a midpoint between two doubles (at 0b100_0000_0000) in 1/2048 ulp."""
    wide = getattr(np, name)(x.astype(np.longdouble))
    out = wide.astype(_F64)
    dropped = (wide.view(np.uint16).reshape(*wide.shape, -1)[..., 0] & 0x7FF).astype(np.int16)
    near_midpoint = np.abs(dropped - 0x400) <= int(_NEAR_MIDPOINT[name] * 2048)
    # where float64 is subnormal (or 0, inf, nan) it drops more bits: leave those to math.*
    unsure = near_midpoint | ~(np.abs(out) >= np.finfo(_F64).tiny) | ~np.isfinite(out)
    return out, unsure


def _vectorised_matches_scalar(name):
    if name in _NEAR_MIDPOINT and np.finfo(np.longdouble).nmant < 63:
        return False  # long double is float64 here: no extra bits to round from
    lo, hi = _CHECK_INPUTS[name]
    x = np.random.default_rng(0).uniform(lo, hi, 4096)
    _VECTORISED_OK[name] = True
    try:
        vectorised = libm(name, x)
    finally:
        del _VECTORISED_OK[name]
    scalar = _scalar(name, x, np.ones(x.shape, bool), np.empty(x.shape, _F64))
    return bool(np.array_equal(vectorised.view(np.int64), scalar.view(np.int64)))


# fdlibm's log1p constants (ln 2 split in two, and the polynomial in s**2)
_LN2_HI, _LN2_LO = float.fromhex("0x1.62e42feep-1"), float.fromhex("0x1.a39ef35793c76p-33")
_LP = [float.fromhex(h) for h in ("0x1.5555555555593p-1", "0x1.999999997fa04p-2", "0x1.2492494229359p-2",
                                  "0x1.c71c51d8e78afp-3", "0x1.7466496cb03dep-3", "0x1.39a09d078c69fp-3",
                                  "0x1.2f112df3e5244p-3")]


def _fdlibm_log1p(x):
    """glibc's ``log1p`` (fdlibm's algorithm: its float64 operations in its order, no fused multiply-adds)
    on its main path, and where ``x`` takes one of its rare other paths (|x| < 2**-29, |f| < 2**-20,
    x >= 2**53, x <= -1, inf, nan)."""
    high = x.view(np.int64) >> 32  # C's signed high word: sign, exponent and top 20 mantissa bits
    # -0.2929 < x < 0.41422: 1 + x lies within [sqrt(2)/2, sqrt(2)) already, so f = x, k = 0, c = 0
    no_reduction = (high < 0x3FDA827A) & ((high > 0) | (high <= 0xBFD2BEC3 - 2**32))
    # otherwise 1 + x = 2**k * u, u within [sqrt(2)/2, sqrt(2)), and c corrects the rounding of 1 + x
    u = 1.0 + x
    u_bits = u.view(np.int64)
    k = (u_bits >> 52) - 1023
    c = np.where(k > 0, 1.0 - (u - x), x - (u - 1.0)) / u
    hu = (u_bits >> 32) & 0xFFFFF
    upper = hu >= 0x6A09E
    u = ((u_bits & 0x000FFFFFFFFFFFFF) | np.where(upper, 0x3FE << 52, 0x3FF << 52)).view(_F64)
    k = np.where(no_reduction, 0.0, k + upper)
    c = np.where(no_reduction, 0.0, c)
    f = np.where(no_reduction, x, u - 1.0)
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    z2 = z * z
    z4 = z2 * z2
    r = z * _LP[0] + z2 * (_LP[1] + z * _LP[2]) + z4 * (_LP[3] + z * _LP[4]) + z4 * z2 * (_LP[5] + z * _LP[6])
    k_ln2_lo = k * _LN2_LO + c

    def k_ln2_plus_log_u(r, k_ln2_lo):  # with k = 0 and c = 0 exactly fdlibm's f - (hfsq - s * (hfsq + R))
        return k * _LN2_HI - ((hfsq - (s * (hfsq + r) + k_ln2_lo)) - f)

    out = k_ln2_plus_log_u(r, k_ln2_lo)
    # A C library built with fused multiply-adds (glibc picks such a build on FMA CPUs) rounds R and
    # k * ln2_lo + c a few ulps differently. The result only grows with s * R and with k * ln2_lo + c, so
    # where moving them 8 and 2 ulps either way leaves it unchanged, every such build gives it too; the
    # rest goes to math.log1p.
    wobble_r, wobble_k = np.copysign(r * 2.0**-49, s), np.abs(k_ln2_lo) * 2.0**-51
    fragile = ((k_ln2_plus_log_u(r + wobble_r, k_ln2_lo + wobble_k) != out)
               | (k_ln2_plus_log_u(r - wobble_r, k_ln2_lo - wobble_k) != out))
    short_series = ~no_reduction & (np.where(upper, 0x100000 - hu, hu) < 4)  # fdlibm's hu == 0: |f| < 2**-20
    unsure = fragile | short_series | ~((np.abs(x) >= 2.0**-29) & (x > -1.0) & (x < 2.0**53))
    return out, unsure


# --- dtypes ---------------------------------------------------------------------------------------
def is_reduced_float(dtype):
    """Whether ``dtype`` is float16 or bfloat16: PyTorch computes their samples in float32 (its "opmath" type)."""
    dt = np.dtype(dtype)
    return dt.itemsize == 2 and (dt.kind == "f" or dt.name == "bfloat16")


def opmath(dtype):
    """The dtype a sampler of ``dtype`` computes in: float64 for float64, float32 for float32, float16, bfloat16."""
    return _F64 if np.dtype(dtype) == _F64 else _F32


def cast(values, dtype):
    """C++'s ``static_cast<scalar_t>(value)`` over an array: PyTorch's float16 and bfloat16 are made from a
    float, so a double (or an integer) is rounded to float32 first and then to the 16-bit type (rounding
    twice, which a direct conversion would not).

    >>> cast(np.array([1 + 2.0**-11 + 2.0**-40]), np.float16)  # float32 drops 2**-40: a tie, to even
    array([1.], dtype=float16)
    """
    dt = np.dtype(dtype)
    values = np.asarray(values)
    if is_reduced_float(dt) and values.dtype not in (dt, _F32):
        values = values.astype(_F32)
    return values.astype(dt, copy=False)


# --- uniforms ---------------------------------------------------------------------------------------
def unit_floats(gen, n, dtype):
    """PyTorch's ``uniform_real_distribution(0, 1)`` draws: u24 for float32 (one draw), u53 otherwise (two)."""
    if np.dtype(dtype) == _F32:
        return ((gen.random32(n) & 0xFFFFFF).astype(_F32) * _F32(_U24)).astype(_F32)
    return (gen.random64(n) & _MASK53).astype(_F64) * _U53


def unit_doubles(gen, n):
    """u53 draws in float64 (PyTorch's ``uniform_real_distribution<double>(0, 1)``)."""
    return unit_floats(gen, n, _F64)


def uniform(gen, n, dtype, low=0.0, high=1.0):
    """``uniform_(low, high)``: ``fma(u, high - low, low)`` in float32 (float64 for float64), cast to ``dtype``;
    a value that the cast rounds up to ``high`` becomes ``low``."""
    dt, work = np.dtype(dtype), opmath(dtype)
    u = unit_floats(gen, n, work)
    if low == 0 and high == 1:  # rand(): the unit draws themselves (u * 1 + 0 is exact)
        v = u
    else:
        lo, hi = work(low), work(high)
        v = (fma32 if work == _F32 else fma64)(u, hi - lo, lo)
    v = cast(v, dt)
    # float32 and float64 only reach ``high`` by rounding the multiply-add; float16 and bfloat16 also by the cast
    return np.where(v == cast(high, dt), cast(low, dt), v)


# --- normals ----------------------------------------------------------------------------------------
# Cephes constants of avx_mathfun.h (float32)
_LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
          -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]
_LOG_Q1, _LOG_Q2 = _F32(-2.12194440e-4), _F32(0.693359375)
_SQRTHF = _F32(0.707106781186547524)
_FOPI = _F32(1.27323954473516)
_DP1, _DP2, _DP3 = _F32(-0.78515625), _F32(-2.4187564849853515625e-4), _F32(-3.77489497744594108e-8)
_COS_P = [_F32(2.443315711809948e-005), _F32(-1.388731625493765e-003), _F32(4.166664568298827e-002)]
_SIN_P = [_F32(-1.9515295891e-4), _F32(8.3321608736e-3), _F32(-1.6666654611e-1)]
_SIGN = np.uint32(0x80000000)


def log256_ps(x):
    """Natural log of positive normal float32 values, as PyTorch's AVX2 ``log256_ps`` computes it."""
    x = np.asarray(x, _F32)
    bits = x.view(np.uint32)
    e = ((bits >> np.uint32(23)).astype(np.int32) - 127).astype(_F32) + _F32(1)
    x = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(_F32)  # mantissa in [0.5, 1)
    small = x < _SQRTHF
    tmp = x * small  # x where small, else +0 (x > 0)
    x = x - _F32(1)
    e = e - small
    x = x + tmp
    z = x * x
    x64 = x.astype(_F64)  # reused by every step: converted once (exact)
    y = _fma(_F32(_LOG_P[0]), x64, _F32(_LOG_P[1]))
    for p in _LOG_P[2:]:
        y = _fma(y, x64, _F32(p))
    y = y * x
    y = _fma(y, z, e * _LOG_Q1)
    y = y - z * _F32(0.5)
    x = x + y
    # e * q2 is exact in float32 (|e| < 2**8, q2 has 9 significant bits), so the fused e * q2 + x is one rounding
    # of an exact sum: a plain float32 addition
    return e * _LOG_Q2 + x


def sincos256_ps(x):
    """(sin, cos) of non-negative float32 values, as PyTorch's AVX2 ``sincos256_ps`` computes them."""
    x = np.abs(np.asarray(x, _F32))
    j = (x * _FOPI).astype(np.int32)  # truncation, as cvttps
    j = (j + 1) & ~1  # the octant, even
    y = j.astype(_F32)
    if j.size and j.max() < 2**13:
        # y * DP1 and y * DP2 are exact in float32 here (DP1, DP2 have 8 and 11 significant bits), so the fused
        # steps round exact sums once: plain float32 additions
        x = x + y * _DP1
        x = x + y * _DP2
    else:
        x = _fma(y, _DP1, x)
        x = _fma(y, _DP2, x)
    x = _fma(y, _DP3, x)
    z = x * x
    z64 = z.astype(_F64)  # reused by every step: converted once (exact)
    yc = _fma(_COS_P[0], z64, _COS_P[1])
    yc = _fma(yc, z64, _COS_P[2])
    yc = z * yc
    yc = _fma(z64, yc, -(z * _F32(0.5)))
    yc = yc + _F32(1)
    ys = _fma(_SIN_P[0], z64, _SIN_P[1])
    ys = _fma(ys, z64, _SIN_P[2])
    ys = z * ys
    ys = _fma(x, ys, x)
    # octants 0, 4 take sin from the sine polynomial, 2, 6 from the cosine one (and cos the other way round);
    # the vector code's and-mask-and-add selection gives the same bits, as neither polynomial returns -0 here
    use_sin_poly = (j & 2) == 0
    sin = np.where(use_sin_poly, ys, yc)
    cos = np.where(use_sin_poly, yc, ys)
    # the sign-bit flips of the vector code
    sin_sign = ((j & 4) << 29).astype(np.uint32)
    cos_sign = ((~(j - 2) & 4) << 29).astype(np.uint32)
    return (sin.view(np.uint32) ^ sin_sign).view(_F32), (cos.view(np.uint32) ^ cos_sign).view(_F32)


_CHUNK_ROWS = 4096  # blocks of 16 transformed together: small enough that the temporaries stay in cache


def _box_muller_16(d, mean, std):
    """Transform blocks of 16 uniforms (rows of ``d``) into normals, as ``normal_fill_16(_AVX2)``: the first
    8 of each block give ``u1``, the last 8 ``u2``, and the block becomes ``r cos(theta)``, ``r sin(theta)``."""
    if len(d) > _CHUNK_ROWS:
        return np.concatenate([_box_muller_16(d[i:i + _CHUNK_ROWS], mean, std)
                               for i in range(0, len(d), _CHUNK_ROWS)])
    halves = d.reshape(-1, 2, 8).transpose(1, 0, 2).reshape(2, -1)  # all u1s, then all u2s, each contiguous
    u1, u2 = 1 - halves[0], halves[1]
    if d.dtype == _F32:
        radius = np.sqrt(_F32(-2) * log256_ps(u1))
        sin, cos = sincos256_ps(_F32(2 * math.pi) * u2)
        fma, std, mean = fma32, _F32(std), _F32(mean)
    else:
        radius = np.sqrt(-2 * libm_log(u1))
        theta = 2 * math.pi * u2
        sin, cos = np.sin(theta), np.cos(theta)
        fma, std, mean = fma64, _F64(std), _F64(mean)
    out = np.stack([fma(radius * cos, std, mean), fma(radius * sin, std, mean)])
    return out.reshape(2, -1, 8).transpose(1, 0, 2).reshape(-1, 16).astype(d.dtype, copy=False)


def normal(gen, n, dtype, mean=0.0, std=1.0, contiguous=True):
    """``normal_(mean, std)`` on ``n`` elements of ``dtype`` (float64, float32, float16 or bfloat16)."""
    dt, work = np.dtype(dtype), opmath(dtype)
    if n < 16 or not contiguous:
        return cast(_normal_pairs(gen, n, mean, std), dt)
    full = n - n % 16
    if is_reduced_float(dt):
        # float16/bfloat16: 16 uniforms at a time into a float32 buffer, each block transformed as float32's and
        # cast; a tail draws its 16 right after the full blocks (float32/float64 draw all n first)
        blocks = _box_muller_16(unit_floats(gen, 16 * -(-n // 16), _F32).reshape(-1, 16), mean, std).ravel()
        d = blocks[:n].copy()
        if n % 16:
            d[n - 16:] = blocks[full:]
        return cast(d, dt)
    d = unit_floats(gen, n, work)
    d[:full] = _box_muller_16(d[:full].reshape(-1, 16), mean, std).ravel()
    if n % 16:
        d[n - 16:] = _box_muller_16(unit_floats(gen, 16, work).reshape(1, 16), mean, std).ravel()
    return cast(d, dt)


def _normal_pairs(gen, n, mean, std):
    """``normal_distribution<double>`` one element at a time, vectorised: the generator's cached sample first,
    then pairs ``(u1, u2)`` giving ``r cos(theta)`` now and ``r sin(theta)`` for the next element (or the cache)."""
    out = np.empty(n, _F64)
    start = 0
    if n and gen.double_normal_cache is not None:
        out[0] = fma64(gen.double_normal_cache, std, mean)
        gen.double_normal_cache = None
        start = 1
    pairs = (n - start + 1) // 2
    if pairs:
        u = unit_doubles(gen, 2 * pairs).reshape(pairs, 2)
        r = np.sqrt(-2.0 * libm("log1p", -u[:, 1]))
        theta = 2.0 * math.pi * u[:, 0]
        both = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).ravel()
        out[start:] = fma64(both[: n - start], std, mean)
        if (n - start) % 2:
            gen.double_normal_cache = float(both[-1])
    return out


# --- integers ---------------------------------------------------------------------------------------
def random_from_to(gen, n, low, high):
    """``random_(low, high)``: ``r % (high - low) + low`` (a 64-bit draw when the range is 2**28 or more)."""
    span = int(high) - int(low)
    r = gen.random64(n) if span >= 2**28 else gen.random32(n).astype(np.uint64)
    return (r % np.uint64(span)).astype(np.int64) + np.int64(low) if span < 2**63 else \
        (r % np.uint64(span)).astype(object) + int(low)


# ``random_()`` without bounds: the range each dtype draws over (and whether it needs 64-bit draws)
_FULL_RANGE = {"int64": (2**63, True), "int32": (2**31, False), "int16": (2**15, False), "int8": (2**7, False),
               "uint8": (2**8, False), "bool": (2, False), "float32": (2**24 + 1, False),
               "float16": (2**11 + 1, False), "bfloat16": (2**8 + 1, False), "float64": (2**53 + 1, True)}


def random_full(gen, n, dtype):
    """``random_()``: integers from 0 to the dtype's largest exactly representable power-of-two range."""
    dt = np.dtype(dtype)
    span, wide = _FULL_RANGE[dt.name]
    r = gen.random64(n) if wide else gen.random32(n).astype(np.uint64)
    return cast(r % np.uint64(span), dt)


def randperm(gen, n):
    """PyTorch's ``randperm(n)``: for i in 0..n-2 swap p[i] and p[i + r_i % (n - i)], vectorised.

    After step i, p[i] is final, so p[i] is the value at position j_i = i + z_i just before step i. The value
    at a position before step k came from the latest earlier step that swapped into it (its own position's
    value then), so both follow a chain of earlier steps, resolved for all i at once by pointer jumping.
    """
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    if n >= 214748364:
        raise RuntimeError("randperm: n too large for graphgrad's exact shuffle")  # PyTorch draws 64 bits there
    steps = np.arange(n - 1, dtype=np.int64)
    target = steps + (gen.random32(n - 1).astype(np.int64) % (n - steps))
    # the steps grouped by the position they swap into, in step order (a step only swaps into its own
    # position or a later one)
    order = np.argsort(target * n + steps)
    grouped = target[order]
    same = np.empty(n - 1, bool)
    same[0], same[1:] = False, grouped[1:] == grouped[:-1]
    previous = np.where(same, np.roll(order, 1), -1)  # the earlier step into the same position
    # p[i] is the value at target_i before step i: put there by the previous step into target_i, if any
    writer = np.empty(n - 1, np.int64)
    writer[order] = previous
    # the value at position i before step i came from the latest earlier step into i (skipping step i's own
    # swap into i, which comes last in its group); it is the value at that step's position before that step
    last = np.empty(n - 1, bool)
    last[-1], last[:-1] = True, ~same[1:]
    position, latest, before = grouped[last], order[last], previous[last]
    root = np.arange(n, dtype=np.int64)
    root[position] = np.where(latest < position, latest, np.where(before >= 0, before, position))
    while True:  # follow these chains to a position never written before its step, whose value is its index
        up = root[root]
        if np.array_equal(up, root):
            break
        root = up
    out = np.empty(n, np.int64)
    out[:-1] = np.where(target == steps, root[:-1], np.where(writer >= 0, root[np.maximum(writer, 0)], target))
    out[-1] = root[n - 1]
    return out


# --- Bernoulli, exponential family, multinomial -----------------------------------------------------
def bernoulli_scalar(gen, n, p):
    """``bernoulli_(p)`` with a number p: ``u53 < p``."""
    return unit_doubles(gen, n) < p


def bernoulli_tensor(gen, probs):
    """``bernoulli(P)``: ``u < p`` with u53 for float64 probabilities, u24 for the others (float32, float16,
    bfloat16: ``bernoulli_distribution<float>``); the shape of ``probs``."""
    probs = np.asarray(probs)
    u = unit_floats(gen, probs.size, opmath(probs.dtype))
    return (u.reshape(probs.shape) < probs)


def exponential(gen, n, lambd):
    """``exponential_(lambd)``: ``-1/lambd * log1p(-u53)``."""
    return (-1.0 / lambd) * libm("log1p", -unit_doubles(gen, n))


def _largest_first(score, m):
    """Per row, the indices of the m largest scores, largest first, as PyTorch's CPU ``argmax`` (m = 1: the first
    largest) and ``topk`` pick them, NaN counting as the largest. Rows whose m largest scores are distinct and
    apart from the rest are ordered by NumPy; rows where equal scores compete for places go through the C++
    library's selection, whose order PyTorch's ties follow (``_cpp_sort``)."""
    if score.dtype not in (_F32, _F64):
        score = score.astype(_F32)  # float16/bfloat16, exactly: NumPy's argmax/argpartition know float32
    if m == 1:
        return np.argmax(score, axis=1)[:, None]
    key = -score  # ascending key: the order wanted
    nan = np.isnan(score)
    if nan.any():
        key[nan] = -np.inf
    k = score.shape[1]
    split = np.argpartition(key, m, axis=1) if m < k else np.broadcast_to(np.arange(k), score.shape)
    top = split[:, :m]
    top = np.take_along_axis(top, np.argsort(np.take_along_axis(key, top, axis=1), axis=1), axis=1)
    top_keys = np.take_along_axis(key, top, axis=1)
    clean = ~nan.any(axis=1) & (top_keys[:, 1:] > top_keys[:, :-1]).all(axis=1)
    if m < k:  # the m-th largest must also beat every score left out, the least of which argpartition put at m
        clean &= top_keys[:, -1] < np.take_along_axis(key, split[:, m:m + 1], axis=1)[:, 0]
    for row in np.flatnonzero(~clean):
        keys = [(0, 0.0) if v != v else (1, -v) for v in score[row].tolist()]  # NaN first, then descending
        top[row] = _cpp_sort.topk_order(keys, m)
    return top


def multinomial(gen, probs, num_samples, replacement):
    """``multinomial`` on the rows of a 2-D float array."""
    rows, k = probs.shape
    if not replacement or num_samples == 1:
        # exponential race: argmax / top-k of p / q with q = -log1p(-u)
        q = cast(-libm("log1p", -unit_doubles(gen, rows * k)), probs.dtype).reshape(rows, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = probs / q
        return _largest_first(score, num_samples)
    work = probs.dtype if probs.dtype == _F64 else _F32  # float16/bfloat16 sum in float32
    cum = np.cumsum(probs, axis=1, dtype=work)
    cum = (cum / cum[:, -1:]).astype(work)
    cum[:, -1] = 1
    u = unit_doubles(gen, rows * num_samples).reshape(rows, num_samples)
    return np.stack([np.searchsorted(cum[i].astype(_F64), u[i], side="left") for i in range(rows)]) \
        if rows else np.empty((0, num_samples), np.int64)
