"""The array kernels of ``torch.special``'s functions, vectorised NumPy, as PyTorch's CPU kernels compute them.

PyTorch's kernels (ATen/native/Math.h) are the Cephes Math Library's Chebyshev and rational approximations
(i0, i0e, i1, i1e, ndtri, zeta, the Bessel functions of the first and second kind, the modified ones, Airy's
Ai), SciPy's and Boost's incomplete gamma functions (the series, the continued fraction, Temme's uniform
asymptotic expansion with its table of coefficients), and the three-term recurrences of the orthogonal
polynomials. They are ported here element for element in the input's own precision (float32 stays float32,
with its overflows and its rounding, float16 is computed in float32), with the same branches, so that
special values come out as PyTorch's do; each loop that runs to convergence runs per element too, on the
elements not yet converged (a vectorised loop, never a Python loop over elements). Cephes is BSD-licensed
(3-clause), SciPy BSD, Boost's Lanczos sums under the Boost Software License: see those projects' notices.

Every kernel takes a float array (float16, float32 or float64) and returns one of its dtype and shape; they run
as ops' forwards, with NumPy's floating-point warnings off (see _core/fp_errors.py), as here:

>>> from graphgrad._core.fp_errors import quietly
>>> quietly(i0e)(np.array([0.0, 1.0, -30.0]))
array([1.        , 0.46575961, 0.07314595])
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._erf import erfc_np
from .gamma import _lgamma_kernel, zeta_np

_MACHEP = {np.dtype(np.float32): 5.9604644775390625e-08, np.dtype(np.float64): 1.11022302462515654042e-16}


def elementwise(kernel):
    """``kernel`` (on a 1-D float32 or float64 array) applied to an array of any shape; float16 is computed in
    float32 and rounded back, as PyTorch's kernels upcast half precision."""

    @functools.wraps(kernel)
    def run(*arrays, **kwargs):
        arrays = np.broadcast_arrays(*[np.asarray(a) for a in arrays])
        dt = arrays[0].dtype
        work = np.float32 if dt.itemsize < 4 else dt
        flat = [a.astype(work, copy=False).reshape(-1) for a in arrays]
        return kernel(*flat, **kwargs).reshape(arrays[0].shape).astype(dt, copy=False)

    return run


def _horner(z, coefs):
    """``r = r·z + c`` over the coefficients from r = 0 (Cephes' polevl, and the loops of Math.h written as it)."""
    f = z.dtype.type
    r = np.zeros_like(z)
    for c in coefs:
        r = r * z + f(c)
    return r


def _chbevl(x, coefs):
    """Cephes' chbevl: the Chebyshev series with coefficients ``coefs`` (zeroth last) at x/2."""
    f = x.dtype.type
    b0 = np.full_like(x, f(coefs[0]))
    b1 = np.zeros_like(x)
    b2 = b1
    for c in coefs[1:]:
        b2 = b1
        b1 = b0
        b0 = x * b1 - b2 + f(c)
    return f(0.5) * (b0 - b2)


def _parts(x, *conditions):
    """Masks choosing, for each element, the first condition it meets (the ``if`` chain of a scalar kernel);
    the last mask holds the elements that met none."""
    taken = np.zeros(x.shape, bool)
    masks = []
    for c in conditions:
        m = c & ~taken
        masks.append(m)
        taken |= m
    masks.append(~taken)
    return masks


def _libm(fn):
    """``fn`` as a C library's single-precision function computes it: on float32, evaluated in float64 and rounded
    once (glibc's expf, logf, cosf, ... are correctly rounded or nearly; NumPy's own float32 loops are a few ulp
    off, which the kernels' cancellations, as cos(n·acos(x)) of a high degree n, would amplify)."""

    def run(*args):
        if args[0].dtype == np.float32:
            return fn(*[a.astype(np.float64) for a in args]).astype(np.float32)
        return fn(*args)

    return run


_exp, _log, _sin, _cos, _acos, _log1p, _expm1, _pow = map(
    _libm, (np.exp, np.log, np.sin, np.cos, np.arccos, np.log1p, np.expm1, np.power))


# --- modified Bessel functions of the first kind: i0, i0e, i1, i1e ---------------------------------------------
# exp(-x)·I0(x) on [0, 8] and exp(-x)·sqrt(x)·I0(x) on [8, inf), Chebyshev coefficients (Cephes)
_I0_A = (-4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
         1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
         -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
         9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
         -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7,
         1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
         -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4,
         1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
         -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2,
         1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1)
_I0_B = (-7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
         3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
         1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
         -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
         7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
         -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
         3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7,
         2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
         8.04490411014108831608e-1)
_I1_A = (2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
         -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
         3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
         -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
         9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
         -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
         4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
         -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
         2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
         -1.76416518357834055153e-1, 2.52587186443633654823e-1)
_I1_B = (7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
         -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
         -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
         4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
         -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
         3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
         -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
         -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
         7.78576235018280120474e-1)


def _i1_tables(x, full=False):
    """PyTorch's i1 and i1e keep the last 17 and 7 coefficients in float32 (modified_bessel_i1 keeps all)."""
    if x.dtype == np.float32 and not full:
        return _I1_A[-17:], _I1_B[-7:]
    return _I1_A, _I1_B


def _modified_i(x, order, scaled, full=False):
    """I0 or I1 (times exp(-|x|) where ``scaled``: i0e, i1e) by Cephes' two Chebyshev series, split at |x| = 8;
    ``full``: modified_bessel_i1's tables and product order. Each form multiplies in its own kernel's order."""
    f = x.dtype.type
    a_coefs, b_coefs = (_I0_A, _I0_B) if order == 0 else _i1_tables(x, full)
    ax = np.abs(x)
    out = np.empty_like(x)
    lo = ax <= 8
    y = ax[lo]
    series = _chbevl(y / f(2) - f(2), a_coefs)
    if order == 0:
        out[lo] = series if scaled else _exp(y) * series
    elif scaled:
        out[lo] = series * y
    elif full:  # modified_bessel_i1: 0.5·(a - p)·|x|·exp(|x|)
        out[lo] = series * y * _exp(y)
    else:
        out[lo] = _exp(y) * y * series
    y = ax[~lo]
    series = _chbevl(f(32) / y - f(2), b_coefs)
    out[~lo] = series / np.sqrt(y) if scaled else _exp(y) * series / np.sqrt(y)
    return out if order == 0 else np.where(x < 0, -out, out)


i0 = elementwise(functools.partial(_modified_i, order=0, scaled=False))
modified_bessel_i0 = i0  # (the same series in the same order)
i0e = elementwise(functools.partial(_modified_i, order=0, scaled=True))
i1 = elementwise(functools.partial(_modified_i, order=1, scaled=False))
i1e = elementwise(functools.partial(_modified_i, order=1, scaled=True))
modified_bessel_i1 = elementwise(functools.partial(_modified_i, order=1, scaled=False, full=True))


# --- the normal distribution: ndtri -----------------------------------------------------------------------------
_NDTRI_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
             1.39312609387279679503e1, -1.23916583867381258016e0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
             -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
             1.59056225126211695515e1, -1.18331621121330003142e0)
_NDTRI_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
             4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
             -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
             1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
             -3.80806407691578277194e-2, -9.33259480895457427372e-4)
_NDTRI_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
             1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
             3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
             2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
             2.89247864745380683936e-6, 6.79019408009981274425e-9)
_EXP_M2 = 0.13533528323661269189  # exp(-2)


@elementwise
def ndtri(y0):
    """The x at which the standard normal distribution's CDF is y0 (Cephes' ndtri)."""
    f = y0.dtype.type
    zero, inf, outside, rest = _parts(y0, y0 == 0, y0 == 1, (y0 < 0) | (y0 > 1))
    out = np.empty_like(y0)
    out[zero], out[inf], out[outside] = -np.inf, np.inf, np.nan
    y = y0[rest]
    upper = y > f(1) - f(_EXP_M2)
    y = np.where(upper, f(1) - y, y)
    res = np.empty_like(y)
    central = y > f(_EXP_M2)
    yc = y[central] - f(0.5)
    y2 = yc * yc
    res[central] = (yc + yc * (y2 * _horner(y2, _NDTRI_P0) / _horner(y2, _NDTRI_Q0))) * f(2.50662827463100050242)
    yt = y[~central]
    x = np.sqrt(f(-2) * _log(yt))
    x0 = x - _log(x) / x
    z = f(1) / x
    near = x < 8
    x1 = np.where(near, z * _horner(z, _NDTRI_P1) / _horner(z, _NDTRI_Q1),
                  z * _horner(z, _NDTRI_P2) / _horner(z, _NDTRI_Q2))
    x = x0 - x1
    res[~central] = np.where(upper[~central], x, -x)
    out[rest] = res
    return out


# --- Airy's Ai --------------------------------------------------------------------------------------------------
_AIRY_AN = (3.46538101525629032477e-01, 1.20075952739645805542e+01, 7.62796053615234516538e+01,
            1.68089224934630576269e+02, 1.59756391350164413639e+02, 7.05360906840444183113e+01,
            1.40264691163389668864e+01, 9.99999999999999995305e-01)
_AIRY_AD = (5.67594532638770212846e-01, 1.47562562584847203173e+01, 8.45138970141474626562e+01,
            1.77318088145400459522e+02, 1.64234692871529701831e+02, 7.14778400825575695274e+01,
            1.40959135607834029598e+01, 1.00000000000000000470e+00)
_AIRY_AFN = (-1.31696323418331795333e-01, -6.26456544431912369773e-01, -6.93158036036933542233e-01,
             -2.79779981545119124951e-01, -4.91900132609500318020e-02, -4.06265923594885404393e-03,
             -1.59276496239262096340e-04, -2.77649108155232920844e-06, -1.67787698489114633780e-08)
_AIRY_AFD = (1.33560420706553243746e+01, 3.26825032795224613948e+01, 2.67367040941499554804e+01,
             9.18707402907259625840e+00, 1.47529146771666414581e+00, 1.15687173795188044134e-01,
             4.40291641615211203805e-03, 7.54720348287414296618e-05, 4.51850092970580378464e-07)
_AIRY_AGN = (1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e+00,
             9.39169229816650230044e-01, 3.51465656105547619242e-01, 6.33888919628925490927e-02,
             5.85804113048388458567e-03, 2.82851600836737019778e-04, 6.98793669997260967291e-06,
             8.11789239554389293311e-08, 3.41551784765923618484e-10)
_AIRY_AGD = (9.30892908077441974853e+00, 1.98352928718312140417e+01, 1.55646628932864612953e+01,
             5.47686069422975497931e+00, 9.54293611618961883998e-01, 8.64580826352392193095e-02,
             4.12656523824222607191e-03, 1.01259085116509135510e-04, 1.17166733214413521882e-06,
             4.91834570062930015649e-09)
_INV_SQRT_PI = 5.64189583547756286948e-01


@elementwise
def airy_ai(x):
    f = x.dtype.type
    eps = np.finfo(x.dtype).eps
    bad, zero, neg, pos, series = _parts(x, np.isinf(x), x > f(103.892), x < f(-2.09), x >= f(2.09))
    out = np.empty_like(x)
    out[bad], out[zero] = np.nan, 0.0
    xn = x[neg]
    zeta = f(-2) * xn * np.sqrt(-xn) / f(3)
    z = f(1) / zeta
    zz = z * z
    afn, afd, agn, agd = (_horner(zz, c) for c in (_AIRY_AFN, _AIRY_AFD, _AIRY_AGN, _AIRY_AGD))
    t = zeta + f(0.25) * f(math.pi)
    out[neg] = f(_INV_SQRT_PI) / np.sqrt(np.sqrt(-xn)) * (_sin(t) * (f(1) + z * z * afn / afd)
                                                          - _cos(t) * (z * agn / agd))
    xp = x[pos]
    zeta = f(2) * xp * np.sqrt(xp) / f(3)
    an = _horner(f(1) / zeta, _AIRY_AN)
    ad = _horner(f(1) / zeta, _AIRY_AD)
    out[pos] = f(_INV_SQRT_PI) * (an / ad) / (f(2) * np.sqrt(np.sqrt(xp)) * _exp(zeta))
    # the power series, each element until its last term is below the precision
    xs = x[series]
    fs, g, k, m, n = np.ones_like(xs), xs.copy(), np.ones_like(xs), np.ones_like(xs), xs.copy()
    z = xs * xs * xs
    live = np.arange(xs.size)
    while live.size:
        zl = z[live]
        ml, nl, kl = m[live] * zl, n[live] * zl, k[live] + f(1)
        ml = ml / kl
        kl = kl + f(1)
        nl = nl / kl
        ml = ml / kl
        fl = fs[live] + ml
        kl = kl + f(1)
        nl = nl / kl
        m[live], n[live], k[live], fs[live] = ml, nl, kl, fl
        g[live] += nl
        live = live[np.abs(ml / fl) > eps]
    out[series] = f(0.355028053887817239260) * fs - f(0.258819403792806798405) * g
    return out


# --- Bessel functions of the first and second kind --------------------------------------------------------------
_J0_PP = (7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00,
          5.44725003058768775090e+00, 8.74716500199817011941e+00, 5.30324038235394892183e+00,
          9.99999999999999997821e-01)
_J0_PQ = (9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00,
          5.47097740330417105182e+00, 8.76190883237069594232e+00, 5.30605288235394617618e+00,
          1.00000000000000000218e+00)
_J0_QP = (-1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
          -9.32060152123768231369e+01, -1.77681167980488050595e+02, -1.47077505154951170175e+02,
          -5.14105326766599330220e+01, -6.05014350600728481186e+00)
_J0_QQ = (6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03,
          7.24046774195652478189e+03, 5.93072701187316984827e+03, 2.06209331660327847417e+03,
          2.42005740240291393179e+02)
_J0_RP = (-4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14,
          9.70862251047306323952e+15)
_J0_RQ = (4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07,
          1.11855537045356834862e+10, 2.11277520115489217587e+12, 3.10518229857422583814e+14,
          3.18121955943204943306e+16, 1.71086294081043136091e+18)
_J1_PP = (7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00,
          5.11207951146807644818e+00, 8.42404590141772420927e+00, 5.21451598682361504063e+00,
          1.00000000000000000254e+00)
_J1_PQ = (5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00,
          5.07386386128601488557e+00, 8.39985554327604159757e+00, 5.20982848682361821619e+00,
          9.99999999999999997461e-01)
_J1_QP = (5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01,
          3.66779609360150777800e+02, 7.10856304998926107277e+02, 5.97489612400613639965e+02,
          2.11688757100572135698e+02, 2.52070205858023719784e+01)
_J1_QQ = (7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03,
          9.56231892404756170795e+03, 7.99704160447350683650e+03, 2.82619278517639096600e+03,
          3.36093607810698293419e+02)
_J1_RP = (-8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13,
          3.68295732863852883286e+15)
_J1_RQ = (6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07,
          2.21511595479792499675e+10, 4.74914122079991414898e+12, 7.84369607876235854894e+14,
          8.95222336184627338078e+16, 5.32278620332680085395e+18)
_Y0_YP = (1.55924367855235737965e+04, -1.46639295903971606143e+07, 5.43526477051876500413e+09,
          -9.82136065717911466409e+11, 8.75906394395366999549e+13, -3.46628303384729719441e+15,
          4.42733268572569800351e+16, -1.84950800436986690637e+16)
_Y0_YQ = (1.04128353664259848412e+03, 6.26107330137134956842e+05, 2.68919633393814121987e+08,
          8.64002487103935000337e+10, 2.02979612750105546709e+13, 3.17157752842975028269e+15,
          2.50596256172653059228e+17)
_Y1_YP = (1.26320474790178026440e+09, -6.47355876379160291031e+11, 1.14509511541823727583e+14,
          -8.12770255501325109621e+15, 2.02439475713594898196e+17, -7.78877196265950026825e+17)
_Y1_YQ = (5.94301592346128195359e+02, 2.35564092943068577943e+05, 7.34811944459721705660e+07,
          1.87601316108706159478e+10, 3.88231277496238566008e+12, 6.20557727146953693363e+14,
          6.87141087355300489866e+16, 3.97270608116560655612e+18)
_SQRT_2_OVER_PI = 0.797884560802865355879892119868763737
_TWO_OVER_PI = 0.636619772367581343075535053490057448


def _hankel(x, order, second_kind):
    """The asymptotic forms for x > 5: P·cos(x - φ) - (5/x)·Q·sin(x - φ) (J), or with sin and cos swapped and
    + (Y), times sqrt(2/(πx)); φ = π/4 (order 0) or 3π/4 (order 1)."""
    f = x.dtype.type
    if order == 0:
        w = f(25) / (x * x)
        pp, pq, qp, qq = _J0_PP, _J0_PQ, _J0_QP, _J0_QQ
        phase = f(0.785398163397448309615660845819875721)
    else:
        w = f(5) / x * (f(5) / x)
        pp, pq, qp, qq = _J1_PP, _J1_PQ, _J1_QP, _J1_QQ
        phase = f(2.356194490192344928846982537459627163)
    p = _horner(w, pp) / _horner(w, pq)
    q = _horner(w, qp) / _horner(w, qq)
    if second_kind:
        wave = p * _sin(x - phase) + f(5) / x * q * _cos(x - phase)
    else:
        wave = p * _cos(x - phase) - f(5) / x * q * _sin(x - phase)
    return wave * f(_SQRT_2_OVER_PI) / np.sqrt(x)


def _j0_small(x):
    """J0 for 0 <= x <= 5 (x the absolute value)."""
    f = x.dtype.type
    xx = x * x
    res = (xx - f(5.78318596294678452118e+00)) * (xx - f(3.04712623436620863991e+01)) * _horner(xx, _J0_RP) \
        / _horner(xx, _J0_RQ)
    return np.where(x < f(0.00001), f(1) - xx / f(4), res)


def _j1_small(x):
    f = x.dtype.type
    xx = x * x
    return _horner(xx, _J1_RP) / _horner(xx, _J1_RQ) * x * (xx - f(1.46819706421238932572e+01)) \
        * (xx - f(4.92184563216946036703e+01))


def _bessel_j(x, order):
    """J0 or J1: the rational function up to |x| = 5, the asymptotic form beyond; J1 is odd."""
    ax = np.abs(x)
    out = np.empty_like(x)
    small = ax <= 5
    out[small] = (_j0_small if order == 0 else _j1_small)(ax[small])
    out[~small] = _hankel(ax[~small], order, False)
    return out if order == 0 else np.where(x < 0, -out, out)


def _bessel_y(x, order):
    """Y0 or Y1: -inf at 0, NaN below; the rational function plus (2/π)·log(x)·J up to 5, the asymptotic form
    beyond."""
    f = x.dtype.type
    zero, neg, small, large = _parts(x, x == 0, x < 0, x <= 5)
    out = np.empty_like(x)
    out[zero], out[neg] = -np.inf, np.nan
    xs = x[small]
    xx = xs * xs
    if order == 0:
        out[small] = _horner(xx, _Y0_YP) / _horner(xx, _Y0_YQ) + f(_TWO_OVER_PI) * _log(xs) * _j0_small(xs)
    else:
        out[small] = xs * (_horner(xx, _Y1_YP) / _horner(xx, _Y1_YQ)) + f(_TWO_OVER_PI) * (
            _j1_small(xs) * _log(xs) - f(1) / xs)
    out[large] = _hankel(x[large], order, True)
    return out


bessel_j0 = elementwise(functools.partial(_bessel_j, order=0))
bessel_j1 = elementwise(functools.partial(_bessel_j, order=1))
bessel_y0 = elementwise(functools.partial(_bessel_y, order=0))
bessel_y1 = elementwise(functools.partial(_bessel_y, order=1))


@elementwise
def spherical_bessel_j0(x):
    f = x.dtype.type
    inf, small, rest = _parts(x, np.isinf(x), np.abs(x) < f(0.5))
    out = np.empty_like(x)
    out[inf] = 0.0
    xs = x[small]
    xx = xs * xs
    series = f(1) / f(6227020800.0)
    for c in (-39916800.0, 362880.0, -5040.0, 120.0, -6.0):
        series = f(1) / f(c) + xx * series
    out[small] = f(1) + xx * series
    out[rest] = _sin(x[rest]) / x[rest]
    return out


# --- modified Bessel functions of the second kind: k0, k1 and their scaled forms --------------------------------
_K0_A = (1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
         1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
         1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
         -5.35327393233902768720e-01)
_K0_B = (5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
         -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
         6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
         -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
         1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
         -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
         2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
         -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
         2.44030308206595545468e+00)
_K1_A = (-7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
         -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
         -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
         -3.53155960776544875667e-01, 1.52530022733894777053e+00)
_K1_B = (-5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
         1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
         -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
         3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
         -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
         2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
         -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
         1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
         2.72062619048444266945e+00)


def _modified_k(x, order, scaled):
    f = x.dtype.type
    zero, neg, small, large = _parts(x, x == 0, x < 0, x <= 2)
    out = np.empty_like(x)
    out[zero], out[neg] = np.inf, np.nan
    xs = x[small]
    if order == 0:
        series = _chbevl(xs * xs - f(2), _K0_A)
        if scaled:
            res = (series - _log(f(0.5) * xs) * i0(xs)) * _exp(xs)
        else:  # (PyTorch's log(0.5 * x) is in double precision here: a subnormal x keeps its logarithm)
            res = (series.astype(np.float64) - _log(0.5 * xs.astype(np.float64)) * i0(xs)).astype(x.dtype)
    else:
        res = _log(f(0.5) * xs) * modified_bessel_i1(xs) + _chbevl(xs * xs - f(2), _K1_A) / xs
        if scaled:
            res = res * _exp(xs)
    out[small] = res
    xl = x[large]
    series = _chbevl(f(8) / xl - f(2), _K0_B if order == 0 else _K1_B)
    out[large] = series / np.sqrt(xl) if scaled else _exp(-xl) * series / np.sqrt(xl)
    return out


modified_bessel_k0 = elementwise(functools.partial(_modified_k, order=0, scaled=False))
modified_bessel_k1 = elementwise(functools.partial(_modified_k, order=1, scaled=False))
scaled_modified_bessel_k0 = elementwise(functools.partial(_modified_k, order=0, scaled=True))
scaled_modified_bessel_k1 = elementwise(functools.partial(_modified_k, order=1, scaled=True))


# --- the orthogonal polynomials -----------------------------------------------------------------------------------
_INT64_MIN = np.iinfo(np.int64).min


def _degree(n):
    """PyTorch's static_cast<int64_t>(n) of a floating n: truncated; NaN, ±inf and out-of-range values give
    the x86 'integer indefinite' (the most negative int64), which every polynomial takes as a negative degree."""
    ok = np.isfinite(n) & (np.abs(n) < 2.0 ** 63)
    return np.where(ok, np.trunc(np.where(ok, n, 0)), 0).astype(np.int64) + np.where(ok, 0, _INT64_MIN)


def _recurrence(t, n, q0, step, nan_stops=True, init=None):
    """The three-term recurrence ``r = step(j, t, p, q)``, then p, q = q, r, from p = 1 and q = ``q0``, for
    j = 2, 3, ... while j <= n (and, where ``nan_stops``, q is not NaN): r at the end. Where the loop never runs,
    ``init`` (NaN when not given: PyTorch's kernels leave their variable unset there)."""
    f = t.dtype.type
    p, q = np.ones_like(t), q0.astype(t.dtype, copy=True)
    r = np.full_like(t, np.nan) if init is None else init.astype(t.dtype, copy=True)
    live = np.arange(t.size)
    j = 2
    while True:
        live = live[n[live] >= j]
        if nan_stops:
            live = live[~np.isnan(q[live])]
        if not live.size:
            return r
        rl = step(f(j), t[live], p[live], q[live])
        p[live] = q[live]
        q[live] = rl
        r[live] = rl
        j += 1


def _polynomial(kernel):
    """A polynomial's kernel on (x, n) of one float dtype: n made an int64 degree first, as PyTorch does."""

    @elementwise
    def run(x, n):
        return kernel(x, _degree(n))

    run.__name__ = kernel.__name__
    return run


# PyTorch's degree above which the closed forms in the angle are used inside (-1, 1), and the orders
_CLOSED_FROM = {(False, "t"): 6, (False, "u"): 8, (False, "v"): 8, (False, "w"): 8,
                (True, "t"): 6, (True, "u"): 6, (True, "v"): 6, (True, "w"): 4}


def _chebyshev(x, n, kind, shifted):
    """Chebyshev polynomials of the first to fourth kinds (t, u, v, w) of y = x, or of y = 2x - 1 (shifted):
    their values at the ends, closed forms in θ = acos(y) for high degrees inside, the recurrence elsewhere."""
    f = x.dtype.type
    y = x + x - f(1) if shifted else x
    two_y = y + y
    nf = n.astype(x.dtype)
    even = n % 2 == 0

    def alternating(v):
        return np.where(even, v, -v)

    ones = np.ones_like(x)
    n1, n21 = (n + 1).astype(x.dtype), (n + n + 1).astype(x.dtype)
    at_top, at_bottom = {"t": (ones, alternating(ones)), "u": (n1, alternating(n1)),
                         "v": (ones, alternating(n21)), "w": (n21, alternating(ones))}[kind]
    if shifted:
        top, bottom = x == 1, x == 0
    else:
        top, bottom = (np.abs(x) == 1) & (x > 0), (np.abs(x) == 1) & ~(x > 0)
    inside = (n > _CLOSED_FROM[shifted, kind]) & (np.abs(y) < f(1))
    theta = _acos(np.where(inside, y, f(0)))
    if kind == "t":
        closed = _cos(nf * theta)
    elif kind == "u":
        s = _sin(theta)
        closed = np.where(s != 0, _sin(n1 * theta) / s, n1 * _cos(n1 * theta) / y)
    elif kind == "v":
        closed = np.where(_sin(theta / f(2)) != f(1),
                          _cos((nf + f(0.5)) * theta) / _cos(theta / f(2)), alternating(n21))
    else:
        fallback = alternating(ones) if shifted else np.where(x > 0, n21, alternating(ones))
        closed = np.where(_cos(theta / f(2)) != f(1),
                          _sin((nf + f(0.5)) * theta) / _sin(theta / f(2)), fallback)
    q1 = {"t": y, "u": two_y, "v": two_y - f(1), "w": two_y + f(1)}[kind]
    out = np.where(n == 1, q1, ones)  # (n == 0: 1)
    loop = np.flatnonzero((n >= 2) & ~top & ~bottom & ~inside)
    init = x[loop] if kind == "t" and not shifted else None  # (its result starts as x, not unset)
    out[loop] = _recurrence(two_y[loop], n[loop], q1[loop], lambda j, t, p, q: t * q - p, init=init)
    out = np.where(inside, closed, out)
    out = np.where(bottom, at_bottom, out)
    out = np.where(top, at_top, out)
    return np.where(n < 0, f(0), out)


def _make_chebyshev(kind, shifted):
    def kernel(x, n):
        return _chebyshev(x, n, kind, shifted)

    kernel.__name__ = f"{'shifted_' if shifted else ''}chebyshev_polynomial_{kind}"
    return _polynomial(kernel)


chebyshev_polynomial_t = _make_chebyshev("t", False)
chebyshev_polynomial_u = _make_chebyshev("u", False)
chebyshev_polynomial_v = _make_chebyshev("v", False)
chebyshev_polynomial_w = _make_chebyshev("w", False)
shifted_chebyshev_polynomial_t = _make_chebyshev("t", True)
shifted_chebyshev_polynomial_u = _make_chebyshev("u", True)
shifted_chebyshev_polynomial_v = _make_chebyshev("v", True)
shifted_chebyshev_polynomial_w = _make_chebyshev("w", True)


def _hermite(x, n, physicists):
    """H_n (physicists': H_{k+1} = 2x·H_k - 2k·H_{k-1}) or He_n (He_{k+1} = x·He_k - k·He_{k-1}); NaN past
    degree 128 (float32) or 512 (float64), where PyTorch stops."""
    f = x.dtype.type
    limit = 128 if x.dtype == np.float32 else 512
    q1 = x + x if physicists else x
    out = np.zeros_like(x)
    loop = np.flatnonzero((n >= 2) & (n <= limit))
    if physicists:  # k runs 2, 4, ..., 2n - 2 in PyTorch's loop: the j-th step uses k = 2(j - 1)
        def step(j, t, p, q):
            return (t + t) * q - (j + j - f(2)) * p
    else:
        def step(j, t, p, q):
            return t * q - (j - f(1)) * p
    out[loop] = _recurrence(x[loop], n[loop], q1[loop], step, nan_stops=False)
    out = np.where(n > limit, np.nan, out)
    out = np.where(n == 1, q1, out)
    out = np.where(n == 0, f(1), out)
    return np.where(n < 0, f(0), out)


@_polynomial
def hermite_polynomial_h(x, n):
    return _hermite(x, n, True)


@_polynomial
def hermite_polynomial_he(x, n):
    return _hermite(x, n, False)


@_polynomial
def laguerre_polynomial_l(x, n):
    f = x.dtype.type
    q1 = f(1) - x
    loop = np.flatnonzero((n >= 2) & (x != 0))
    out = np.full_like(x, np.nan)

    def step(j, t, p, q):  # PyTorch's k = j - 1
        k = j - f(1)
        return ((k + k + (f(1) - t)) * q - k * p) / (k + f(1))

    out[loop] = _recurrence(x[loop], n[loop], q1[loop], step)
    out = np.where(n == 1, q1, out)
    out = np.where((n == 0) | (x == 0), f(1), out)
    return np.where(n < 0, f(0), out)


@_polynomial
def legendre_polynomial_p(x, n):
    f = x.dtype.type
    ends = np.abs(x) == 1
    loop = np.flatnonzero((n >= 2) & ~ends)
    out = np.full_like(x, np.nan)

    def step(j, t, p, q):  # PyTorch's k = j - 1
        k = j - f(1)
        return ((k + k + f(1)) * t * q - k * p) / (k + f(1))

    out[loop] = _recurrence(x[loop], n[loop], x[loop], step)
    out = np.where(n == 1, x, out)
    out = np.where(n == 0, f(1), out)
    out = np.where(ends, np.where((x > 0) | (n % 2 == 0), f(1), f(-1)), out)
    return np.where(n < 0, f(0), out)


# --- Hurwitz's zeta function ----------------------------------------------------------------------------------------
@elementwise
def zeta(x, q):
    """ζ(x, q), computed in float64 whatever the precision (PyTorch's accumulation type on the CPU)."""
    return zeta_np(x, q).astype(x.dtype)


# --- the regularised incomplete gamma functions ---------------------------------------------------------------------
_LANCZOS_NUM = (0.006061842346248906525783753964555936883222, 0.5098416655656676188125178644804694509993,
                19.51992788247617482847860966235652136208, 449.9445569063168119446858607650988409623,
                6955.999602515376140356310115515198987526, 75999.29304014542649875303443598909137092,
                601859.6171681098786670226533699352302507, 3481712.15498064590882071018964774556468,
                14605578.08768506808414169982791359218571, 43338889.32467613834773723740590533316085,
                86363131.28813859145546927288977868422342, 103794043.1163445451906271053616070238554,
                56906521.91347156388090791033559122686859)
_LANCZOS_DENOM = (1.0, 66.0, 1925.0, 32670.0, 357423.0, 2637558.0, 13339535.0, 45995730.0, 105258076.0,
                  150917976.0, 120543840.0, 39916800.0, 0.0)
_LANCZOS_G = 6.024680040776729583740234375
_IGAM_MAXITER = 2000


def _lgamma(a):
    return _lgamma_kernel(a.astype(np.float64)).astype(a.dtype)


def _lanczos_sum_expg_scaled(a):
    """Boost's Lanczos sum, a ratio of polynomials evaluated in 1/a for |a| > 1 (SciPy's ratevl)."""
    f = a.dtype.type
    big = np.abs(a) > 1
    y = np.where(big, f(1) / a, a)
    num_fwd, num_rev = _horner(y, _LANCZOS_NUM), _horner(y, _LANCZOS_NUM[::-1])
    den_fwd, den_rev = _horner(y, _LANCZOS_DENOM), _horner(y, _LANCZOS_DENOM[::-1])
    num = np.where(big, num_rev, num_fwd)
    return num / np.where(big, den_rev, den_fwd)


def _igam_fac(a, x):
    """x^a·exp(-x)/Γ(a), by Lanczos' approximation where a and x are close (SciPy's igam_fac)."""
    f = a.dtype.type
    maxlog = 7.09782712893383996843e2 if a.dtype == np.float64 else 88.72283905206835
    out = np.empty_like(a)
    apart = np.abs(a - x) > 0.4 * np.abs(a)
    aa, xa = a[apart], x[apart]
    ax = aa * _log(xa) - xa - _lgamma(aa)
    out[apart] = np.where(ax < -maxlog, f(0), _exp(ax))
    close = ~apart
    ac, xc = a[close], x[close]
    fac = ac + f(_LANCZOS_G) - f(0.5)
    res = np.sqrt(fac / f(2.718281828459045)) / _lanczos_sum_expg_scaled(ac)
    moderate = (ac < 200) & (xc < 200)
    num = xc - ac - f(_LANCZOS_G) + f(0.5)
    numfac = num / fac
    res = res * np.where(moderate, _exp(ac - xc) * _pow(xc / fac, ac),
                         _exp(ac * (_log1p(numfac) - numfac) + xc * (f(0.5) - f(_LANCZOS_G)) / fac))
    out[close] = res
    return out


def _igam_series(a, x):
    """P(a, x) by its power series (DLMF 8.11.4)."""
    f = a.dtype.type
    machep = f(_MACHEP[a.dtype])
    ax = _igam_fac(a, x)
    r, c, ans = a.copy(), np.ones_like(a), np.ones_like(a)
    live = np.flatnonzero(ax != 0)
    for _ in range(_IGAM_MAXITER):
        if not live.size:
            break
        r[live] += f(1)
        c[live] *= x[live] / r[live]
        ans[live] += c[live]
        live = live[~(c[live] <= machep * ans[live])]
    return np.where(ax == 0, f(0), ans * ax / a)


def _igamc_series(a, x):
    """Q(a, x) by DLMF 8.7.3, with care against cancellation (for small x)."""
    f = a.dtype.type
    machep = f(_MACHEP[a.dtype])
    fac, total = np.ones_like(a), np.zeros_like(a)
    live = np.arange(a.size)
    for n in range(1, _IGAM_MAXITER):
        if not live.size:
            break
        fac[live] *= -x[live] / f(n)
        term = fac[live] / (a[live] + f(n))
        total[live] += term
        live = live[~(np.abs(term) <= machep * np.abs(total[live]))]
    logx = _log(x)
    term = -_expm1(a * logx - _lgamma(f(1) + a))
    return term - _exp(a * logx - _lgamma(a)) * total


def _igam_asymptotic(a, x, lower):
    """Temme's uniform asymptotic expansion for large a with x near a (DLMF 8.12.3 and 8.12.4)."""
    f = a.dtype.type
    machep = f(_MACHEP[a.dtype])
    sgn = f(-1) if lower else f(1)
    lam = x / a
    sigma = (x - a) / a
    root = np.sqrt(f(-2) * (_log1p(sigma) - sigma))
    eta = np.where(lam > 1, root, np.where(lam < 1, -root, f(0)))
    res = (0.5 * erfc_np((sgn * eta * np.sqrt(a / f(2))).astype(np.float64))).astype(a.dtype)
    etapow = [np.ones_like(a)]
    for _ in range(24):
        etapow.append(eta * etapow[-1])
    total = np.zeros_like(a)
    afac = np.ones_like(a)
    absoldterm = np.full_like(a, np.inf)
    going = np.ones(a.shape, bool)
    for row in _IGAM_D:
        ck = np.full_like(a, f(row[0]))
        inner = going.copy()
        for n in range(1, 25):
            if not inner.any():
                break
            ckterm = f(row[n]) * etapow[n]
            ck = np.where(inner, ck + ckterm, ck)
            inner &= ~(np.abs(ckterm) < machep * np.abs(ck))
        term = ck * afac
        absterm = np.abs(term)
        going &= ~(absterm > absoldterm)
        total = np.where(going, total + term, total)
        going &= ~(absterm < machep * np.abs(total))
        absoldterm = np.where(going, absterm, absoldterm)
        afac = np.where(going, afac / a, afac)
        if not going.any():
            break
    # (PyTorch's 2π here is single-precision π, doubled, in either precision)
    return res + sgn * _exp(f(-0.5) * a * eta * eta) * total / np.sqrt(f(2) * f(np.float32(math.pi)) * a)


def _igamc_fraction(a, x):
    """Q(a, x) by its continued fraction (DLMF 8.9.2)."""
    f = a.dtype.type
    machep = f(_MACHEP[a.dtype])
    big, biginv = (4.503599627370496e15, 2.22044604925031308085e-16) if a.dtype == np.float64 else \
        (16777216.0, 5.9604644775390625e-08)
    ax = _igam_fac(a, x)
    y = f(1) - a
    z = x + y + f(1)
    c = np.zeros_like(a)
    pkm2, qkm2, pkm1 = np.ones_like(a), x.copy(), x + f(1)
    qkm1 = z * x
    ans = pkm1 / qkm1
    live = np.flatnonzero(ax != 0)
    for _ in range(_IGAM_MAXITER):
        if not live.size:
            break
        c[live] += f(1)
        y[live] += f(1)
        z[live] += f(2)
        yc = y[live] * c[live]
        pk = pkm1[live] * z[live] - pkm2[live] * yc
        qk = qkm1[live] * z[live] - qkm2[live] * yc
        nonzero = qk != 0
        r = pk / np.where(nonzero, qk, f(1))
        t = np.where(nonzero, np.abs((ans[live] - r) / r), f(1))
        ans[live] = np.where(nonzero, r, ans[live])
        pkm2[live], pkm1[live], qkm2[live], qkm1[live] = pkm1[live], pk, qkm1[live], qk
        rescale = np.abs(pk) > big
        scale = np.where(rescale, f(biginv), f(1))
        pkm2[live] *= scale
        pkm1[live] *= scale
        qkm2[live] *= scale
        qkm1[live] *= scale
        live = live[~(t <= machep)]
    return np.where(ax == 0, f(0), ans * ax)


def _igamma_edges(a, x, lower):
    """The boundary values (SciPy's), the elements of Temme's regime, and the rest: (out, asymptotic, rest)."""
    nan, zero_a, zero_x, inf_a, inf_x, unknown, rest = _parts(
        a, (x < 0) | (a < 0), a == 0, x == 0, np.isinf(a), np.isinf(x), np.isnan(a) | np.isnan(x))
    out = np.empty_like(a)
    out[nan] = out[unknown] = np.nan  # (NaN past the boundaries: every branch below gives NaN for it)
    out[zero_a] = np.where(x[zero_a] > 0, 1.0 if lower else 0.0, np.nan)
    out[zero_x] = 0.0 if lower else 1.0
    out[inf_a] = np.where(np.isinf(x[inf_a]), np.nan, 0.0 if lower else 1.0)
    out[inf_x] = 1.0 if lower else 0.0
    with_ratio = np.abs(x - a) / a
    temme = rest & (((a > 20) & (a < 200) & (with_ratio < 0.3)) | ((a > 200) & (with_ratio < 4.5 / np.sqrt(a))))
    return out, temme, rest & ~temme


def _igammac_regular(a, x):
    """Q(a, x) away from the boundaries and Temme's regime (calc_igammac's last branches)."""
    out = np.empty_like(a)
    upper_series = ((x > 1.1) & (x < a)) | ((x <= 0.5) & (-0.4 / _log(x) < a)) | (
        (x > 0.5) & (x <= 1.1) & (x * 1.1 < a))
    fraction = (x > 1.1) & ~(x < a)
    small = ~upper_series & ~fraction
    out[upper_series] = 1 - _igam_series(a[upper_series], x[upper_series])
    out[fraction] = _igamc_fraction(a[fraction], x[fraction])
    out[small] = _igamc_series(a[small], x[small])
    return out


@elementwise
def igamma(a, x):
    """P(a, x), the regularised lower incomplete gamma function."""
    out, temme, rest = _igamma_edges(a, x, True)
    out[temme] = _igam_asymptotic(a[temme], x[temme], True)
    ar, xr = a[rest], x[rest]
    complement = (xr > 1) & (xr > ar)
    res = np.empty_like(ar)
    res[complement] = 1 - _igammac_regular(ar[complement], xr[complement])
    res[~complement] = _igam_series(ar[~complement], xr[~complement])
    out[rest] = res
    return out


@elementwise
def igammac(a, x):
    """Q(a, x) = 1 - P(a, x), the regularised upper incomplete gamma function."""
    out, temme, rest = _igamma_edges(a, x, False)
    out[temme] = _igam_asymptotic(a[temme], x[temme], False)
    out[rest] = _igammac_regular(a[rest], x[rest])
    return out


# Temme's coefficients d[k][n] (SciPy's igam.h, as PyTorch has them)
_IGAM_D = (
    (-0.3333333333333333, 0.08333333333333333, -0.014814814814814815, 0.0011574074074074073, 0.0003527336860670194,
     -0.0001787551440329218, 3.919263178522438e-05, -2.1854485106799924e-06, -1.85406221071516e-06,
     8.296711340953087e-07, -1.7665952736826078e-07, 6.707853543401498e-09, 1.0261809784240309e-08,
     -4.382036018453353e-09, 9.14769958223679e-10, -2.551419399494625e-11, -5.830772132550426e-11,
     2.4361948020667415e-11, -5.0276692801141755e-12, 1.1004392031956135e-13, 3.3717632624009856e-13,
     -1.392388722418162e-13, 2.8534893807047445e-14, -5.139111834242572e-16, -1.9752288294349442e-15),
    (-0.001851851851851852, -0.003472222222222222, 0.0026455026455026454, -0.0009902263374485596,
     0.00020576131687242798, -4.018775720164609e-07, -1.8098550334489977e-05, 7.64916091608111e-06,
     -1.6120900894563446e-06, 4.647127802807434e-09, 1.378633446915721e-07, -5.752545603517705e-08,
     1.1951628599778148e-08, -1.7543241719747647e-11, -1.0091543710600413e-09, 4.162792991842583e-10,
     -8.56390702649298e-11, 6.067215101604758e-14, 7.1624989648114856e-12, -2.933186643771437e-12,
     5.996696365683689e-13, -2.1671786527323313e-16, -4.978339972369262e-14, 2.0291628823713425e-14,
     -4.13125571381061e-15),
    (0.004133597883597883, -0.0026813271604938273, 0.0007716049382716049, 2.0093878600823047e-06,
     -0.00010736653226365161, 5.2923448829120125e-05, -1.2760635188618728e-05, 3.423578734096138e-08,
     1.3721957309062932e-06, -6.298992138380055e-07, 1.4280614206064242e-07, -2.0477098421990866e-10,
     -1.409252991086752e-08, 6.228974084922022e-09, -1.3670488396617112e-09, 9.428356159014678e-13,
     1.2872252400089318e-10, -5.5645956134363323e-11, 1.197593554636698e-11, -4.1689782251838634e-15,
     -1.0940640427884595e-12, 4.662239946390136e-13, -9.905105763906907e-14, 1.8931876768373515e-17,
     8.859221872591127e-15),
    (0.0006494341563786008, 0.00022947209362139917, -0.0004691894943952557, 0.00026772063206283885,
     -7.561801671883977e-05, -2.396505113867297e-07, 1.1082654115347302e-05, -5.6749528269915965e-06,
     1.4230900732435883e-06, -2.7861080291528143e-11, -1.6958404091930278e-07, 8.099464905388083e-08,
     -1.9111168485973655e-08, 2.3928620439808118e-12, 2.0620131815488797e-09, -9.460496661855133e-10,
     2.1541049775774907e-10, -1.388823336813903e-14, -2.1894761681963938e-11, 9.790998951171684e-12,
     -2.178219188018096e-12, 6.208819573407901e-17, 2.126978363279737e-13, -9.344688791517433e-14,
     2.045367122678285e-14),
    (-0.0008618882909167117, 0.0007840392217200666, -0.0002990724803031902, -1.4638452578843418e-06,
     6.641498215465122e-05, -3.968365047179435e-05, 1.1375726970678419e-05, 2.507497226237533e-10,
     -1.6954149536558305e-06, 8.907507532205309e-07, -2.292934834000805e-07, 2.956794137544049e-11,
     2.8865829742708783e-08, -1.4189739437803219e-08, 3.4463580499464896e-09, -2.3024517174528067e-13,
     -3.9409233028046403e-10, 1.86023389685045e-10, -4.356323005056618e-11, 1.278600101629623e-15,
     4.67927502665792e-12, -2.149246470613483e-12, 4.908815614809652e-13, -6.33859148489156e-18,
     -5.045332069080094e-14),
    (-0.00033679855336635813, -6.972813758365858e-05, 0.0002772753244959392, -0.00019932570516188847,
     6.797780477937208e-05, 1.419062920643967e-07, -1.3594048189768693e-05, 8.018470256334202e-06,
     -2.291481176508095e-06, -3.252473551298454e-10, 3.4652846491085265e-07, -1.8447187191171344e-07,
     4.8240967037894184e-08, -1.7989466721743514e-14, -6.306194500013523e-09, 3.162417628774568e-09,
     -7.840924253697429e-10, 5.192679165254041e-15, 9.358944242306784e-11, -4.513426216163278e-11,
     1.0799129993116828e-11, -3.661886712685252e-17, -1.210902069055155e-12, 5.680743584990564e-13,
     -1.3249659916340829e-13),
    (0.0005313079364639922, -0.0005921664373536939, 0.0002708782096718045, 7.902353232660328e-07,
     -8.153969367561969e-05, 5.61168275310625e-05, -1.8329116582843375e-05, -3.0796134506033047e-09,
     3.465155368803609e-06, -2.0291327396058603e-06, 5.788792863149004e-07, 2.338630673826657e-13,
     -8.828600746330484e-08, 4.7435958880408125e-08, -1.2545415020710382e-08, 8.649648858010293e-14,
     1.6846058979264062e-09, -8.575492823577594e-10, 2.1598224929232125e-10, -7.613230520476153e-16,
     -2.6639822008536144e-11, 1.3065700536611057e-11, -3.1799163902367977e-12, 4.710976121367431e-18,
     3.6902800842763465e-13),
    (0.00034436760689237765, 5.171790908260592e-05, -0.00033493161081142234, 0.0002812695154763237,
     -0.00010976582244684731, -1.2741009095484485e-07, 2.7744451511563645e-05, -1.8263488805711332e-05,
     5.7876949497350525e-06, 4.93875893393627e-10, -1.0595367014026043e-06, 6.166714376110408e-07,
     -1.7562973359060463e-07, -1.297447328701544e-12, 2.695423606288966e-08, -1.4578352908731272e-08,
     3.887645959386175e-09, -3.881002251019412e-17, -5.327994173877286e-10, 2.7437977643314844e-10,
     -6.995796092070568e-11, 2.589986387486848e-17, 8.856689099669639e-12, -4.403168815871311e-12,
     1.0865561947091654e-12),
    (-0.0006526239185953094, 0.0008394987206720873, -0.000438297098541721, -6.969091458420552e-07,
     0.00016644846642067547, -0.00012783517679769218, 4.629953263691304e-05, 4.557909867922708e-09,
     -1.0595271125805195e-05, 6.783342904865167e-06, -2.1075476666258803e-06, -1.7213731432817144e-11,
     3.773587741611098e-07, -2.1867506700122867e-07, 6.220228804018927e-08, 6.597703826733e-16,
     -9.590386497425686e-09, 5.213214492280807e-09, -1.3991589583935709e-09, 5.382058999060575e-16,
     1.9484714275467745e-10, -1.0127287556389682e-10, 2.6077347197254926e-11, -5.090418699993299e-18,
     -3.3721464474854593e-12),
    (-0.0005967612901927463, -7.204895416020011e-05, 0.0006782308837667328, -0.0006401475260262758,
     0.00027750107634328704, 1.819700838046515e-07, -8.479507117068503e-05, 6.105192082501531e-05,
     -2.1073920183404862e-05, -8.858589014125599e-10, 4.5284535953805374e-06, -2.8427815022504407e-06,
     8.708234177864641e-07, 3.6886101871706966e-12, -1.534469519070206e-07, 8.862466778790695e-08,
     -2.5184812301826817e-08, -1.0225912098215092e-14, 3.896947075815478e-09, -2.1267304792235634e-09,
     5.737013552805138e-10, -1.887749850169741e-19, -8.093153869465787e-11, 4.23827232834492e-11,
     -1.1002224534207727e-11),
    (0.0013324454494800656, -0.0019144384985654776, 0.0011089369134596636, 9.9324041226423e-07,
     -0.0005087450129309319, 0.00042735056665392886, -0.000168588537679108, -8.1301893922785e-09,
     4.5284402370562144e-05, -3.127053674781734e-05, 1.044986828530338e-05, 4.8435226265680926e-11,
     -2.148256587345626e-06, 1.329369701097492e-06, -4.029569309210103e-07, -1.756787766632329e-13,
     7.014504316366825e-08, -4.040787734999483e-08, 1.1474026743371962e-08, 3.9642746853563326e-18,
     -1.7804938269892715e-09, 9.748026254873165e-10, -2.6405338676507616e-10, 5.794875163403742e-18,
     3.764774955354384e-11),
    (0.001579727660730835, 0.00016251626278391583, -0.0020633421035543276, 0.00213896861856891,
     -0.0010108559391263003, -3.99127055299192e-07, 0.0003623502508476469, -0.00028143901463712157,
     0.00010449513336495887, 2.12114184918303e-09, -2.5779417251947842e-05, 1.7281818956040464e-05,
     -5.641377387290428e-06, -1.1024320105776174e-11, 1.1223224418895176e-06, -6.869339637952674e-07,
     2.0653236975414888e-07, 4.6714772409838506e-14, -3.5609886164949055e-08, 2.0470855345905963e-08,
     -5.809173863328336e-09, -1.332821287582869e-16, 9.035460439133513e-10, -4.959878251733084e-10,
     1.3481607129399748e-10),
    (-0.004072512119514016, 0.00640336283380807, -0.004041016108167662, -2.183732802866233e-06, 0.002174044180125464,
     -0.001970044051841889, 0.0008359546974796246, 1.9445447567109655e-08, -0.000257793871204217,
     0.00019009987368139304, -6.769649993743896e-05, -1.4440629666426571e-10, 1.5712512518742267e-05,
     -1.0304008744776892e-05, 3.304517767401387e-06, 7.982976024232571e-13, -6.4097794149313e-07,
     3.8894624761300054e-07, -1.161834764494887e-07, -2.816808630596451e-15, 1.9878012911297094e-08,
     -1.1407719956357511e-08, 3.2355857064185554e-09, 4.175946829345594e-20, -5.042311271810582e-10),
    (-0.0059475779383993, -0.0005401647678926045, 0.00879104135507679, -0.009857631558785612, 0.005013469503102154,
     1.2807521786221875e-06, -0.0020626019342754685, 0.0017109128573523059, -0.000676953127141338,
     -6.901154567656214e-09, 0.00018855128143995903, -0.0001339521566349197, 4.626318303352804e-05,
     4.003423061332135e-11, -1.0255652921494033e-05, 6.612086372797651e-06, -2.0913022027253007e-06,
     -2.0951775649603836e-13, 3.975602904199325e-07, -2.395621197881589e-07, 7.118288338214586e-08,
     8.925574873053455e-16, -1.2101547235064675e-08, 6.935061824833439e-09, -1.96614644538561e-09),
    (0.01740202778752271, -0.029527880945699123, 0.020045875571402798, 7.0289515966903405e-06, -0.012375421071343148,
     0.011976293444235253, -0.0054156038466518525, -6.329089339641862e-08, 0.0018855118129005065,
     -0.001473473274825001, 0.0005551581009770838, 5.240683441255066e-10, -0.00014357913535784837,
     9.91812932249433e-05, -3.346083474947831e-05, -3.575583729109899e-12, 7.1560851960630075e-06,
     -4.551680262815553e-06, 1.4236576649271474e-06, 1.8803149082089665e-14, -2.662340389892921e-07,
     1.5950642189595716e-07, -4.71875146738411e-08, -6.510787295875518e-17, 7.979509102674624e-09),
    (0.03024912416090589, 0.0024817436002649977, -0.049939134373457025, 0.05991564300930787, -0.03248320760162339,
     -5.721296865210344e-06, 0.015085251778569354, -0.013261324005088445, 0.0055515262632426145,
     3.026318225703001e-08, -0.0017229548406756724, 0.0012893570099929638, -0.00046845138348319875,
     -1.830259937893045e-10, 0.00011449739014822654, -7.737856522124447e-05, 2.5625836246985202e-05,
     1.0766165333192815e-12, -5.324680928242262e-06, 3.349634863064464e-06, -1.0381253128684019e-06,
     -5.608909920621128e-15, 1.9150821930676592e-07, -1.1418365800203487e-07, 3.3654425209171787e-08),
    (-0.09905102088015905, 0.17954011706123485, -0.12989606383463778, -3.1478872752284355e-05, 0.09051063527684813,
     -0.0928288244111844, 0.04441211283987781, 2.7779236316835886e-07, -0.017229543805449696, 0.014182925050891573,
     -0.005621416163374734, -2.39598509186381e-09, 0.0016029634366079909, -0.0011606784674435774,
     0.00041001337768153875, 1.836580075409066e-11, -9.58442565636559e-05, 6.364306233776471e-05,
     -2.076250624489065e-05, -1.1806020912804483e-13, 4.213180823912065e-06, -2.626224133701247e-06,
     8.077062049493066e-07, 6.012591212363273e-16, -1.472973737401884e-07),
    (-0.19994542198219728, -0.015056113040026424, 0.36470239469348487, -0.4643519231173355, 0.26640934719197895,
     3.403826602714719e-05, -0.13784338709329624, 0.1276467178337056, -0.056213828755200985, -1.753150885483011e-07,
     0.019235592956768112, -0.015088821281095314, 0.005740185445135012, 1.0622382710310225e-09,
     -0.0015335082692563998, 0.0010819320643228215, -0.0003737251019394566, -6.617090972903199e-12,
     8.426361738090962e-05, -5.515070682748348e-05, 1.776953644834807e-05, 3.882792321020553e-14,
     -3.53513697488768e-06, 2.186583213004527e-06, -6.68128494476256e-07),
    (0.7243860850402943, -1.3918010932653375, 1.0654143352413967, 0.0001876173868950258, -0.827055011761527,
     0.8935243334782842, -0.44971003995291337, -1.6107401567546651e-06, 0.1923559016527109, -0.1659770216004261,
     0.06888222268181433, 1.3910091724608687e-08, -0.02146911561508663, 0.016228980898865892, -0.005979601617258426,
     -1.1287469112826745e-10, 0.0015167451119784856, -0.00104786342935539, 0.0003553907288912642,
     8.170432211180152e-13, -7.77730134424524e-05, 5.029141389700772e-05, -1.6035083867000518e-05,
     1.2469354315487606e-14, 3.1369106244517616e-06),
    (1.6668949727276812, 0.1165462765994632, -3.3288393225018904, 4.469232548286404, -2.6977693045875806,
     -0.0002600667859891061, 1.5389017615694538, -1.4937962361134611, 0.6888196463323315, 1.3077482004552384e-06,
     -0.2576296332559629, 0.21097676102125448, -0.08371440835921988, -7.792042888135476e-09, 0.0242679230648336,
     -0.017813678334552312, 0.006397033038890006, 4.943080709048052e-11, -0.0015554602758465635,
     0.0010561196919903215, -0.000352771844604729, 9.300233464502246e-14, 7.528585502655717e-05,
     -4.818651556915635e-05, 1.5227271505597605e-05),
    (-6.618829886137293, 13.397985455142589, -10.789350606845145, -0.0014352254537875018, 9.23336945961898,
     -10.456552819547769, 5.510552602903347, 1.2024439690716742e-05, -2.5762961164755818, 2.320744274538718,
     -1.0045728797216285, -1.0207833290021913e-07, 0.3397509217116947, -0.2672051745075747, 0.10235252851562705,
     8.432973048487163e-10, -0.027998284958442594, 0.020066274144976814, -0.007055436891508624,
     1.9402238183698188e-12, 0.0016562888105449611, -0.0011082898580743682, 0.0003654545161310169,
     -5.129003202697179e-11, -7.634010369686903e-05),
    (-17.112706061976095, -1.1208044642899115, 37.131966511885445, -52.29827102534896, 33.058589696624615,
     0.002479129897620022, -20.61089403411526, 20.88672775145582, -10.045703956517752, -1.2238783449063012e-05,
     4.077013427422114, -3.473667358470195, 1.4329352617312006, 7.135991441187971e-08, -0.4479725715911561,
     0.3411266608064446, -0.12699786326594922, -2.895367726908153e-10, 0.03312577627825986, -0.023274087021036102,
     0.008039999350364889, -1.177805216235265e-09, -0.001832162489107167, 0.0012108282933588664,
     -0.0003947994124682252),
    (73.89033153567425, -156.80141270402274, 132.2177542759164, 0.013692876877324546, -123.66496885920151,
     146.2068939106273, -80.36558772486535, -0.00011259851148881298, 40.77013219617994, -38.21034001327303,
     17.19522294277362, 9.351970795516835e-07, -6.271615990774704, 5.116899907185264, -2.0319658112299095,
     -4.950721558276154e-09, 0.596263972943326, -0.44220765337238094, 0.16079998700166273, -2.4733786203223403e-08,
     -0.040307574759979765, 0.02784905074709787, -0.009475185899205422, 6.419922235909132e-06, 0.002125018077469946),
    (212.1683709838252, 13.107863022633868, -496.9828593287175, 731.215952669692, -482.1382172089085,
     -0.028817248692894887, 326.167203029471, -343.8934028008712, 171.95193870816232, 0.00014038077378096157,
     -75.2594195897599, 66.51969984520935, -28.447519748152462, -7.613702615875392e-07, 9.540223710530437,
     -7.517530111331138, 2.894399756887196, -4.66121949995382e-07, -0.8061514959879409, 0.5848300657063102,
     -0.20845408972964957, 0.00014765818959305816, 0.05100043386375302, -0.03306625214188366, 0.015109265210467774),
    (-989.5964309832236, 2192.555536090523, -1928.3586782723355, -0.15925738122215252, 1956.9985945919857,
     -2407.2514765081555, 1375.6149959336497, 0.0012920735237496668, -752.5941715948055, 731.7166874220871,
     -341.37023466220063, -9.985739026060805e-06, 133.56313181291574, -112.76295161252794, 46.31039609820446,
     -7.923738713361476e-06, -14.510726927018647, 11.111771248100563, -4.169081794527089, 0.0031008219800117806,
     1.1220095449981469, -0.7605237992614992, 0.36262236505085255, 0.2216867741940747, 0.48683443692930506),
)
