"""The vectorised erf used when SciPy is absent: Cody's approximations against the C library's erf."""

import math

import numpy as np

from graphgrad.ops._erf import erf_np


def test_erf_matches_the_c_library():
    x = np.concatenate([np.linspace(-30, 30, 20001), [0.0, -0.0, np.inf, -np.inf, 1e-300, 0.46875, 4.0,
                                                      np.nextafter(4.0, 5.0), 6.0, 27.0]])
    ref = np.array([math.erf(v) for v in x])
    got = erf_np(x)
    np.testing.assert_allclose(got, ref, rtol=1e-15, atol=0)
    assert np.signbit(erf_np(np.array([-0.0]))[0])  # erf(-0.0) is -0.0


def test_erf_dtypes_and_nan():
    assert erf_np(np.array([np.nan])).tolist()[0] != erf_np(np.array([np.nan])).tolist()[0]
    assert erf_np(np.ones(3, np.float32)).dtype == np.float32
    assert erf_np(np.arange(3)).dtype == np.float64
    assert erf_np(np.float32(0.5)).shape == ()
