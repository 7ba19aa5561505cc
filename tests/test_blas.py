"""Products through MKL (``graphgrad._blas.matmul``) against ``np.matmul``: layouts, batches, ``out=``, errors, threads,
forks, and the compiled loops' splits on the OpenMP pool MKL shares (``_core.jit``).

Every value test runs with MKL loaded or not (``GRAPHGRAD_MKL=0``, no ``mkl`` package, not x86-64 Linux); the
tests that check which MKL function ran (``mkl_calls``) skip without it. A product MKL computes may round
differently from NumPy's BLAS, so it is held to the dot products' rounding bound; one left to NumPy must give
NumPy's bits.
"""

import importlib.util
import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import graphgrad
from graphgrad import _blas as blas
from graphgrad._core import jit

NO_MKL = "MKL not loaded (GRAPHGRAD_MKL=0, the mkl package missing, or not x86-64 Linux): NumPy's BLAS multiplies"
# |MKL's product - NumPy's| <= RTOL * (|a| @ |b|): each is within about k roundings of the exact dot products,
# and in practice far closer
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-13}


def _assert_product(got, a, b):
    """got is a @ b: NumPy's bits where NumPy computes it, else within the rounding bound."""
    expected = np.matmul(a, b)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    if got.dtype in RTOL and np.asarray(a).dtype == np.asarray(b).dtype == got.dtype:
        bound = RTOL[got.dtype] * np.matmul(np.abs(a), np.abs(b))
        assert (np.abs(got - expected) <= bound).all(), np.abs(got - expected).max()
    else:
        np.testing.assert_array_equal(got, expected)


def _recorded(name, function, calls):
    """function, appending name (or the call's arguments where name is None) to calls at each call."""
    def record(*args):
        calls.append(args if name is None else name)
        return function(*args)

    return record


@pytest.fixture
def mkl_calls(monkeypatch):
    """A list that gets "gemm", "strided" (matrices a fixed step apart) or "pointers" (gemm_batch, for any
    other stack) each time ``matmul`` calls MKL; skips where MKL isn't loaded."""
    if not blas.loaded():
        pytest.skip(NO_MKL)
    calls = []
    functions = blas._state["lib"]
    for dtype in blas._GEMM_DTYPES:
        gemm, gemm_strided, gemm_batch, scalar = functions[dtype]
        monkeypatch.setitem(functions, dtype, (_recorded("gemm", gemm, calls),
                                               _recorded("strided", gemm_strided, calls),
                                               _recorded("pointers", gemm_batch, calls), scalar))
    return calls


@pytest.fixture
def threads():
    """graphgrad.set_num_threads, the count restored afterwards."""
    before = graphgrad.get_num_threads()
    yield graphgrad.set_num_threads
    graphgrad.set_num_threads(before)


def _mkl_max_threads():
    return blas._state["lib"]["lib"].MKL_Get_Max_Threads()


def _random(dtype, seed=0):
    """random(*shape): standard normal numbers of dtype."""
    rng = np.random.default_rng(seed)
    return lambda *shape: rng.standard_normal(shape).astype(dtype)


def _attention(r, scores_times_values=False):
    """Attention's products on heads split out of one qkv projection: q, k, v are (batch, head, time, dim) views of
    a (batch, time, 3*heads*dim) array, so every matrix has a leading-dimension gap and the batch axes are
    transposed."""
    batch, time, heads, dim = 2, 64, 4, 16
    qkv = r(batch, time, 3 * heads * dim)
    q, k, v = (qkv[..., i * heads * dim:(i + 1) * heads * dim].reshape(batch, time, heads, dim).transpose(0, 2, 1, 3)
               for i in range(3))
    assert np.shares_memory(q, qkv) and np.shares_memory(v, qkv)  # views, as torch's q.transpose(1, 2)
    if scores_times_values:
        return np.matmul(q, k.swapaxes(-1, -2)), v
    return q, k.swapaxes(-1, -2)


def _reversed_bytes(x):
    return x.astype(x.dtype.newbyteorder())


def _unaligned(x):
    """A copy of x one byte past an element boundary (NumPy's flags.aligned False)."""
    moved = np.ndarray(x.shape, x.dtype, buffer=np.zeros(x.nbytes + 1, np.uint8), offset=1)
    moved[...] = x
    assert not moved.flags.aligned
    return moved


# (id, operands from a random(*shape) maker, the MKL function that must run: None where NumPy multiplies)
LAYOUTS_2D = [
    ("C @ C", lambda r: (r(70, 50), r(50, 60)), "gemm"),
    ("F @ F", lambda r: (np.asfortranarray(r(70, 50)), np.asfortranarray(r(50, 60))), "gemm"),
    ("C @ transposed", lambda r: (r(70, 50), r(60, 50).T), "gemm"),
    ("transposed @ C", lambda r: (r(50, 70).T, r(50, 60)), "gemm"),
    ("column slices a[:, :k] (leading-dimension gap)", lambda r: (r(70, 80)[:, :50], r(50, 90)[:, 10:70]), "gemm"),
    ("a[::1, 2:]", lambda r: (r(70, 52)[::1, 2:], r(50, 62)[::1, 2:]), "gemm"),
    ("row slices", lambda r: (r(90, 50)[5:75], r(60, 60)[5:55]), "gemm"),
    ("every other row", lambda r: (r(140, 50)[::2], r(100, 60)[::2]), "gemm"),
    ("slices of transposes", lambda r: (r(80, 70)[:50].T, r(60, 70)[:, 10:60].T[:, :60]), "gemm"),
    ("slices of F-order arrays", lambda r: (np.asfortranarray(r(80, 50))[5:75], np.asfortranarray(r(50, 70))[:, 5:65]),
     "gemm"),
    ("negative row stride", lambda r: (r(70, 50)[::-1], r(50, 60)), None),
    ("negative column stride", lambda r: (r(70, 50), r(50, 60)[:, ::-1]), None),
    ("both strides negative", lambda r: (r(70, 50)[::-1, ::-1], r(50, 60)[::-1, ::-1]), None),
    ("inner stride 2", lambda r: (r(70, 100)[:, ::2], r(50, 60)), None),
    ("both strides over one element", lambda r: (r(140, 100)[::2, ::2], r(100, 120)[::2, ::2]), None),
    ("rows broadcast (stride 0)", lambda r: (np.broadcast_to(r(1, 50), (70, 50)), r(50, 60)), None),
    ("overlapping rows (sliding window)", lambda r: (np.lib.stride_tricks.sliding_window_view(r(119), 50), r(50, 60)),
     None),
    ("1 x k", lambda r: (r(1, 5000), r(5000, 8)), "gemm"),
    ("1 x k of every other column", lambda r: (r(3, 10000)[1:2, ::2], r(5000, 8)), "gemm"),
    ("m x k @ k x 1", lambda r: (r(300, 100), r(100, 1)), "gemm"),
    ("k x 1 columns of wider arrays", lambda r: (r(300, 100), r(100, 7)[:, 3:4]), "gemm"),
    ("k x 1 column of a transpose", lambda r: (r(300, 100), r(7, 100).T[:, 3:4]), "gemm"),
    ("outer product k = 1", lambda r: (r(200, 1), r(1, 200)), "gemm"),
    ("1 x 1 result", lambda r: (r(1, 20000), r(20000, 1)), "gemm"),
    ("m = 0", lambda r: (r(0, 500), r(500, 600)), None),
    ("n = 0", lambda r: (r(700, 500), r(500, 0)), None),
    ("k = 0", lambda r: (r(700, 0), r(0, 600)), None),
    ("under MIN_WORK", lambda r: (r(16, 16), r(16, 16)), None),
    ("at MIN_WORK", lambda r: (r(16, 32), r(32, 32)), "gemm"),
    ("non-native byte order", lambda r: (_reversed_bytes(r(70, 50)), _reversed_bytes(r(50, 60))), None),
    ("unaligned", lambda r: (_unaligned(r(70, 50)), _unaligned(r(50, 60))), "gemm"),
]

BATCHED = [
    ("3-D", lambda r: (r(4, 30, 40), r(4, 40, 50)), "strided"),
    ("4-D", lambda r: (r(2, 3, 30, 40), r(2, 3, 40, 50)), "strided"),
    ("batch 1 @ batch n", lambda r: (r(1, 30, 40), r(5, 40, 50)), "strided"),
    ("batch n @ batch 1", lambda r: (r(5, 30, 40), r(1, 40, 50)), "strided"),
    ("both broadcast (2, 1) @ (1, 3)", lambda r: (r(2, 1, 30, 40), r(1, 3, 40, 50)), "pointers"),
    ("2-D @ 3-D", lambda r: (r(30, 40), r(5, 40, 50)), "strided"),
    ("3-D @ 2-D", lambda r: (r(5, 30, 40), r(40, 50)), "strided"),
    ("2-D @ 4-D", lambda r: (r(30, 40), r(2, 3, 40, 50)), "strided"),
    ("4-D @ 3-D (a leading dim missing)", lambda r: (r(2, 3, 30, 40), r(3, 40, 50)), "pointers"),
    ("batch of one", lambda r: (r(1, 60, 70), r(1, 70, 80)), "gemm"),
    ("batches of one @ 2-D", lambda r: (r(1, 1, 60, 70), r(70, 80)), "gemm"),
    ("empty batch", lambda r: (r(0, 30, 40), r(0, 40, 50)), None),
    ("empty batch @ 2-D", lambda r: (r(2, 0, 30, 40), r(40, 50)), None),
    ("transposed batch axes", lambda r: (r(30, 4, 40).transpose(1, 0, 2), r(40, 4, 50).transpose(1, 0, 2)),
     "pointers"),  # (matrices interleaved: MKL's strided batch wants each apart)
    ("transposed matrices", lambda r: (r(4, 40, 30).transpose(0, 2, 1), r(4, 50, 40).transpose(0, 2, 1)),
     "strided"),
    ("reversed batch", lambda r: (r(4, 30, 40)[::-1], r(4, 40, 50)), "pointers"),
    ("every other batch", lambda r: (r(8, 30, 40)[::2], r(4, 40, 50)), "strided"),
    ("batch broadcast (stride 0)", lambda r: (np.broadcast_to(r(30, 40), (4, 30, 40)), r(4, 40, 50)), "strided"),
    ("attention q @ k^T of split views", _attention, "pointers"),
    ("attention scores @ v of a split view", lambda r: _attention(r, scores_times_values=True), "pointers"),
    ("negative inner stride in a batch", lambda r: (r(4, 30, 40)[:, :, ::-1], r(4, 40, 50)), None),
    ("many matrices under MIN_WORK", lambda r: (r(100, 8, 8), r(100, 8, 8)), None),
]

CASES = LAYOUTS_2D + BATCHED
FLOATS = [np.float32, np.float64]


def _params(cases):
    return [pytest.param(make, route, id=name) for name, make, route in cases]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("make,route", _params(CASES))
def test_product_equals_numpy(make, route, dtype):
    a, b = make(_random(dtype))
    _assert_product(blas.matmul(a, b), a, b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("make,route", _params(CASES))
def test_product_runs_where_expected(make, route, dtype, mkl_calls):
    a, b = make(_random(dtype))
    got = blas.matmul(a, b)
    assert mkl_calls == ([route] if route else [])
    if route is None:  # NumPy's own call: its bits
        np.testing.assert_array_equal(got, np.matmul(a, b))


@pytest.fixture
def through_ctypes(monkeypatch):
    """MKL called through ctypes, as where numba is missing (it loads, and the compiled calls replace these)."""
    if not blas.loaded():
        pytest.skip(NO_MKL)
    functions = blas._state["lib"]
    lib = functions["lib"]
    for dtype, prefix in ((np.dtype(np.float32), "s"), (np.dtype(np.float64), "d")):
        calls = blas._ctypes_calls(getattr(lib, f"cblas_{prefix}gemm"),
                                   getattr(lib, f"cblas_{prefix}gemm_batch_strided"))
        monkeypatch.setitem(functions, dtype, calls + functions[dtype][2:])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("make,route", _params(CASES))
def test_product_through_ctypes_equals_numpy(make, route, dtype, through_ctypes):
    a, b = make(_random(dtype))
    _assert_product(blas.matmul(a, b), a, b)
    bias = _random(dtype, seed=3)(b.shape[-1])
    if a.ndim == b.ndim == 2:
        got, expected = blas.addmm(bias, a, b), np.matmul(a, b) + bias
        assert got.shape == expected.shape
        bound = RTOL[np.dtype(dtype)] * (np.matmul(np.abs(a), np.abs(b)) + np.abs(bias))
        assert (np.abs(got - expected) <= bound).all()


def test_products_call_the_compiled_functions_where_numba_loads():
    if not blas.loaded():
        pytest.skip(NO_MKL)
    if importlib.util.find_spec("numba") is None or not jit.ENABLED:
        pytest.skip("numba missing or the compiled loops switched off: MKL is called through ctypes")
    for dtype in blas._GEMM_DTYPES:
        gemm, strided = blas._state["lib"][dtype][:2]
        assert gemm.py_func is blas._compiled_gemm and strided.py_func is blas._compiled_gemm_strided


# operands NumPy multiplies with its own rules: mixed dtypes (promotion), and dtypes MKL's gemm doesn't take
OTHER_DTYPES = [
    (np.float32, np.float64), (np.float64, np.float32), (np.float32, np.int64), (np.int64, np.int64),
    (np.int32, np.int32), (np.int8, np.uint8), (np.complex64, np.complex64), (np.complex128, np.float64),
    (np.float16, np.float16), (np.bool_, np.bool_),
]


def _of_dtype(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "b":
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 5, shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype_a,dtype_b", OTHER_DTYPES, ids=lambda d: np.dtype(d).name)
def test_other_dtypes_are_numpys_product(dtype_a, dtype_b):
    a, b = _of_dtype(dtype_a, (3, 70, 50), 0), _of_dtype(dtype_b, (50, 60), 1)
    got = blas.matmul(a, b)
    expected = np.matmul(a, b)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype_a,dtype_b", OTHER_DTYPES, ids=lambda d: np.dtype(d).name)
def test_other_dtypes_leave_mkl_alone(dtype_a, dtype_b, mkl_calls):
    blas.matmul(_of_dtype(dtype_a, (3, 70, 50), 0), _of_dtype(dtype_b, (50, 60), 1))
    assert mkl_calls == []


@pytest.mark.parametrize("a_shape,b_shape", [((50,), (50, 60)), ((70, 50), (50,)), ((500,), (500,)),
                                             ((4, 70, 50), (50,))])
def test_vectors_are_numpys_product(a_shape, b_shape):
    r = _random(np.float32)
    a, b = r(*a_shape), r(*b_shape)
    np.testing.assert_array_equal(blas.matmul(a, b), np.matmul(a, b))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # (np.matrix's own warning)
def test_array_likes_subclasses_and_out_tuples_follow_numpy():
    r = _random(np.float64)
    a, b = r(70, 50), r(50, 60)
    np.testing.assert_array_equal(blas.matmul(a.tolist(), b.tolist()), np.matmul(a, b))
    assert type(blas.matmul(np.asmatrix(a), np.asmatrix(b))) is np.matrix
    out = np.empty((70, 60))
    assert blas.matmul(a, b, out=(out,)) is out
    np.testing.assert_array_equal(out, np.matmul(a, b))


def test_nan_and_inf_propagate_as_in_numpy(mkl_calls):
    r = _random(np.float32)
    a, b = r(70, 50), r(50, 60)
    a[3, 4], a[5, 6], b[:, 7] = np.inf, np.nan, 0.0
    with np.errstate(invalid="ignore"):
        got, expected = blas.matmul(a, b), np.matmul(a, b)
    assert mkl_calls == ["gemm"]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))


# ---- out=


def _out_cases():
    """(id, make, route): make() gives fresh a, b, out; out laid out as MKL writes it (C rows, a leading-dimension
    gap, any batch strides) or not (NumPy writes it)."""
    r = _random(np.float32, seed=3)
    a2, b2, a3, b3 = r(70, 50), r(50, 60), r(4, 30, 40), r(4, 40, 50)
    row, b_row = r(1, 500), r(500, 60)

    def into(a, b, base, view=lambda base: base):
        return lambda: (a, b, view(base.copy(order="K")))

    return [
        ("C", into(a2, b2, np.empty((70, 60), np.float32)), "gemm"),
        ("holding NaN", into(a2, b2, np.full((70, 60), np.nan, np.float32)), "gemm"),
        ("column slice (leading-dimension gap)", into(a2, b2, np.zeros((70, 80), np.float32), lambda o: o[:, 10:70]),
         "gemm"),
        ("1 x n row of a bigger array", into(row, b_row, np.zeros((3, 60), np.float32), lambda o: o[1:2]), "gemm"),
        ("F order", into(a2, b2, np.empty((70, 60), np.float32, order="F")), None),
        ("negative row stride", into(a2, b2, np.zeros((70, 60), np.float32), lambda o: o[::-1]), None),
        ("batch of one", into(a3[:1], b3[2:3], np.empty((1, 30, 50), np.float32)), "gemm"),
        ("batched C", into(a3, b3, np.empty((4, 30, 50), np.float32)), "strided"),
        ("every other batch", into(a3, b3, np.zeros((8, 30, 50), np.float32), lambda o: o[::2]), "strided"),
        ("transposed batch axes", into(a3, b3, np.zeros((30, 4, 50), np.float32), lambda o: o.transpose(1, 0, 2)),
         "pointers"),  # (matrices interleaved: MKL's strided batch wants each apart)
        ("batched column slice", into(a3, b3, np.zeros((4, 30, 60), np.float32), lambda o: o[..., 5:55]),
         "strided"),
        ("float64 for float32 operands", into(a2, b2, np.empty((70, 60), np.float64)), None),
        ("a batch dim more than the operands", into(a2, b2, np.empty((3, 70, 60), np.float32)), None),
    ]


OUT_CASES = [pytest.param(make, route, id=name) for name, make, route in _out_cases()]


def _outside(base, view):
    """A mask over base's memory (base.ravel(order="K")): True where view has no element."""
    mask = np.ones(base.size, bool)
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // base.itemsize
    strides = tuple(s // base.itemsize for s in view.strides)
    np.lib.stride_tricks.as_strided(mask[offset:], view.shape, strides)[...] = False
    return mask


@pytest.mark.parametrize("make,route", OUT_CASES)
def test_out_gets_the_product_and_nothing_else(make, route):
    a, b, out = make()
    base = out if out.base is None else out.base
    before = base.ravel(order="K").copy()
    got = blas.matmul(a, b, out=out)
    assert got is out
    if route is None:  # NumPy's call: its bits
        np.testing.assert_array_equal(got, np.matmul(a, b, out=np.empty_like(out)))
    else:  # MKL's: the bits it gives without out
        np.testing.assert_array_equal(got, blas.matmul(a, b))
        _assert_product(got, a, b)
    outside = _outside(base, out)
    np.testing.assert_array_equal(base.ravel(order="K")[outside], before[outside])  # nothing written around out


@pytest.mark.parametrize("make,route", OUT_CASES)
def test_out_runs_where_expected(make, route, mkl_calls):
    a, b, out = make()
    blas.matmul(a, b, out=out)
    assert mkl_calls == ([route] if route else [])


def _same_error(numpy_call, blas_call):
    with pytest.raises(Exception) as numpy_error:
        numpy_call()
    with pytest.raises(type(numpy_error.value)) as blas_error:
        blas_call()
    assert str(blas_error.value) == str(numpy_error.value)
    return blas_error.value


@pytest.mark.parametrize("a_shape,b_shape,out_shape", [
    ((70, 50), (50, 60), (70, 61)),
    ((70, 50), (50, 60), (60, 70)),
    ((4, 30, 40), (4, 40, 50), (3, 30, 50)),
    ((4, 30, 40), (40, 50), (30, 50)),
])
def test_out_of_the_wrong_shape_gets_numpys_error(a_shape, b_shape, out_shape):
    r = _random(np.float32)
    a, b, out = r(*a_shape), r(*b_shape), np.zeros(out_shape, np.float32)
    error = _same_error(lambda: np.matmul(a, b, out=out), lambda: blas.matmul(a, b, out=out))
    assert isinstance(error, ValueError) and not out.any()


def test_out_of_an_integer_dtype_gets_numpys_casting_error():
    r = _random(np.float32)
    a, b, out = r(70, 50), r(50, 60), np.zeros((70, 60), np.int32)
    _same_error(lambda: np.matmul(a, b, out=out), lambda: blas.matmul(a, b, out=out))


@pytest.mark.parametrize("dtype", FLOATS)
def test_read_only_out_gets_numpys_error_and_stays_unwritten(dtype):
    r = _random(dtype)
    a, b = r(70, 50), r(50, 60)
    out = np.zeros((70, 60), dtype)
    out.flags.writeable = False
    error = _same_error(lambda: np.matmul(a, b, out=out), lambda: blas.matmul(a, b, out=out))
    assert "read-only" in str(error) and not out.any()


def _overlapping():
    """(id, a, b, pick_out): out = pick_out(a, b) shares memory with an operand (None: out is a's rows moved down
    one row in the same buffer)."""
    r = _random(np.float32, seed=5)
    square, other = r(64, 64), r(64, 64)
    shifted = r(65, 64)
    batch, batch_b = r(4, 32, 32), r(4, 32, 32)
    return [
        ("out is a", square, other, lambda a, b: a),
        ("out is b", square, other, lambda a, b: b),
        ("out is a shifted view of a's buffer", shifted, other, None),
        ("batched out is a", batch, batch_b, lambda a, b: a),
        ("out is a's transpose", square, other, lambda a, b: a.T),
    ]


@pytest.mark.parametrize("a0,b0,pick_out", [pytest.param(*c[1:], id=c[0]) for c in _overlapping()])
def test_out_overlapping_an_operand_gets_the_right_answer(a0, b0, pick_out):
    if pick_out is None:  # a = rows 0..63, out = rows 1..64 of one buffer
        buffer = a0.copy()
        a, b, out = buffer[:-1], b0.copy(), buffer[1:]
    else:
        a, b = a0.copy(), b0.copy()
        out = pick_out(a, b)
    expected = np.matmul(a.copy(), b.copy())
    got = blas.matmul(a, b, out=out)
    assert got is out
    np.testing.assert_array_equal(got, expected)  # NumPy's bits: NumPy copies the operand it would overwrite


# ---- errors


@pytest.mark.parametrize("a_shape,b_shape", [
    ((70, 50), (51, 60)),
    ((4, 30, 40), (4, 41, 50)),
    ((30, 40), (4, 41, 50)),
    ((2, 30, 40), (3, 40, 50)),  # batch dims that don't broadcast
    ((2, 3, 30, 40), (4, 40, 50)),
])
@pytest.mark.parametrize("dtype", FLOATS)
def test_mismatched_shapes_get_numpys_error(a_shape, b_shape, dtype):
    r = _random(dtype)
    a, b = r(*a_shape), r(*b_shape)
    assert isinstance(_same_error(lambda: np.matmul(a, b), lambda: blas.matmul(a, b)), ValueError)


def test_scalar_operand_gets_numpys_error():
    a = _random(np.float32)(70, 50)
    _same_error(lambda: np.matmul(np.float32(2), a), lambda: blas.matmul(np.float32(2), a))
    _same_error(lambda: np.matmul(a, 2.0), lambda: blas.matmul(a, 2.0))


# ---- threads


def test_products_on_one_thread_then_restored(threads):
    before = graphgrad.get_num_threads()
    mkl_before = _mkl_max_threads() if blas.loaded() else None
    r = _random(np.float32, seed=7)
    a, b, a3, b3 = r(300, 200), r(200, 250), r(6, 80, 90), r(6, 90, 70)
    threads(1)
    _assert_product(blas.matmul(a, b), a, b)
    _assert_product(blas.matmul(a3, b3), a3, b3)
    if blas.loaded():
        assert _mkl_max_threads() == 1
    threads(before)
    _assert_product(blas.matmul(a, b), a, b)
    if blas.loaded():
        assert _mkl_max_threads() == mkl_before
    threads(3)  # more threads than this machine may have cores
    _assert_product(blas.matmul(a3, b3), a3, b3)


def test_mkl_follows_set_num_threads(threads, mkl_calls, monkeypatch):
    lib = blas._state["lib"]["lib"]
    asked = []
    monkeypatch.setattr(lib, "MKL_Set_Num_Threads", _recorded(None, lib.MKL_Set_Num_Threads, asked))
    for n in (1, 2, 3):
        threads(n)
    assert asked == [(1,), (2,), (3,)]  # (MKL itself caps the count at the cores it finds: MKL_Get_Max_Threads)


def test_products_from_several_python_threads_at_once(threads):
    threads(2)
    r = _random(np.float32, seed=8)
    operands = [(r(200, 150), r(150, 120)), (r(5, 60, 70), r(70, 80)), (r(150, 300).T, r(150, 90)),
                (r(40, 40).astype(np.float64), r(40, 40).astype(np.float64))]
    start = threading.Barrier(len(operands))
    results = [None] * len(operands)

    def multiply(i):
        start.wait(timeout=60)
        results[i] = [blas.matmul(*operands[i]) for _ in range(20)]

    workers = [threading.Thread(target=multiply, args=(i,)) for i in range(len(operands))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers)
    for (a, b), products in zip(operands, results):
        for got in products:
            _assert_product(got, a, b)


def test_products_and_splits_from_python_threads_at_once(threads):
    """MKL's products and the compiled loops' splits entered from different threads at once (each its own team on
    the OpenMP pool where MKL is loaded)."""
    threads(2)
    r = _random(np.float64, seed=12)
    a, b, x = r(300, 200), r(200, 250), r(400, 1000)
    start = threading.Barrier(4)
    results = {}

    def multiply(i):
        start.wait(timeout=60)
        results[i] = [blas.matmul(a, b) for _ in range(10)]

    def split(i):
        start.wait(timeout=60)
        outs = [np.zeros_like(x) for _ in range(10)]
        results[i] = [SQUARE_ROWS.split("square_rows", 400, x, out, work_per_row=1000) and out for out in outs]

    workers = [threading.Thread(target=work, args=(i,)) for i, work in enumerate([multiply, split] * 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers) and len(results) == len(workers)
    for i, outputs in results.items():
        for got in outputs:
            if i % 2 == 0:
                _assert_product(got, a, b)
            elif got is not False:  # False: no compiled loops here
                np.testing.assert_array_equal(got, x * x + 1.0)


# ---- forked children


def _square_rows(start, stop, x, out):
    for i in range(start, stop):
        for j in range(x.shape[1]):
            out[i, j] = x[i, j] * x[i, j] + 1.0


SQUARE_ROWS = jit.CompiledLoops(square_rows=_square_rows)


def _in_forked_child(set_threads):
    """Products and a split in a forked child, with set_num_threads(set_threads) between two products where given:
    (the products' max abs error, split exact (None: no compiled loops), MKL's threads or None, whether splits use
    the OpenMP pool)."""
    r = _random(np.float64, seed=9)
    a, b = r(400, 300), r(300, 350)
    error = float(np.abs(blas.matmul(a, b) - np.matmul(a, b)).max())
    if set_threads:
        graphgrad.set_num_threads(set_threads)
        error = max(error, float(np.abs(blas.matmul(a, b) - np.matmul(a, b)).max()))
    x = r(400, 300)
    out = np.zeros_like(x)
    ran = SQUARE_ROWS.split("square_rows", 400, x, out, work_per_row=300)
    split_right = bool((out == x * x + 1.0).all()) if ran else None
    return error, split_right, _mkl_max_threads() if blas.loaded() else None, jit._openmp_pool()


def test_forked_children_multiply_on_one_thread_without_hanging(threads, monkeypatch):
    threads(2)
    monkeypatch.setattr(jit, "MIN_SPLIT", 1000)
    monkeypatch.setattr(jit, "MIN_SPLIT_OPENMP", 1000)
    r = _random(np.float64)
    blas.matmul(r(400, 300), r(300, 350))  # the parent's pool has run
    _in_forked_child(0)  # and the parent has split (on the OpenMP pool where MKL is loaded)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map_async(_in_forked_child, [0, 2, 3]).get(timeout=120)
    for error, split_right, mkl_threads, on_openmp in results:
        assert error < 1e-10
        assert split_right in (True, None)  # None: no numba, or loops off
        assert mkl_threads in (1, None) and not on_openmp


FRESH_PARENT = textwrap.dedent("""
    import json, os, signal, sys, time
    import numpy as np
    import graphgrad
    from graphgrad import _blas as blas
    from graphgrad._core import jit

    graphgrad.set_num_threads(2)
    rng = np.random.default_rng(0)
    a, b, x = rng.standard_normal((600, 500)), rng.standard_normal((500, 400)), rng.standard_normal((400, 1000))
    blas.matmul(a, b)  # MKL's pool runs here; no split yet (numba's omp layer not started)

    def square_rows(start, stop, x, out):
        for i in range(start, stop):
            for j in range(x.shape[1]):
                out[i, j] = x[i, j] * x[i, j] + 1.0

    loops = jit.CompiledLoops(square_rows=square_rows)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        error = float(np.abs(blas.matmul(a, b) - a @ b).max())
        graphgrad.set_num_threads(2)  # a worker asking for threads: the pool's threads stayed in the parent
        error = max(error, float(np.abs(blas.matmul(a, b) - a @ b).max()))
        out = np.zeros_like(x)
        ran = [loops.split("square_rows", 400, x, out, work_per_row=1000) for _ in range(2)]  # compiles, splits
        split_right = bool((out == x * x + 1.0).all()) if all(ran) else None
        facts = dict(error=error, split_right=split_right, openmp=jit._openmp_pool(),
                     mkl_threads=blas._state["lib"]["lib"].MKL_Get_Max_Threads() if blas.loaded() else None)
        os.write(write, json.dumps(facts).encode())
        os._exit(0)
    for _ in range(600):
        if os.waitpid(child, os.WNOHANG)[0]:
            print(os.read(read, 4096).decode())
            sys.exit(0)
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    sys.exit("the forked child hung")
""")


def test_child_forked_before_any_split_neither_hangs_nor_starts_the_pool():
    """In a fresh process (no split has started numba's omp layer): the child's first split and its
    set_num_threads(2) must stay off the parent's OpenMP pool."""
    done = subprocess.run([sys.executable, "-c", FRESH_PARENT], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["error"] < 1e-10 and facts["split_right"] in (True, None) and not facts["openmp"]
    assert facts["mkl_threads"] in (1, None)


FRESH_FACTS = textwrap.dedent("""
    import json
    import numpy as np
    import graphgrad
    from graphgrad import _blas as blas
    from graphgrad._core import jit

    graphgrad.set_num_threads(1)  # before MKL loads: it starts on this count
    a = np.ones((100, 200), np.float32)
    right = bool((blas.matmul(a, a.T) == 200).all())
    facts = dict(loaded=blas.loaded(), right=right, openmp=jit._openmp_pool())
    if blas.loaded():
        from threadpoolctl import threadpool_info
        facts["mkl_threads"] = blas._state["lib"]["lib"].MKL_Get_Max_Threads()
        facts["openblas_threads"] = sorted({p["num_threads"] for p in threadpool_info()
                                            if p["internal_api"] == "openblas"})
    print(json.dumps(facts))
""")


def _fresh_facts(**env):
    environ = {k: v for k, v in os.environ.items() if k != "GRAPHGRAD_MKL"}
    done = subprocess.run([sys.executable, "-c", FRESH_FACTS], capture_output=True, text=True, timeout=120,
                          env={**environ, **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_graphgrad_mkl_0_keeps_numpys_blas():
    facts = _fresh_facts(GRAPHGRAD_MKL="0")
    assert facts == dict(loaded=False, right=True, openmp=False)


def test_mkl_starts_on_the_thread_count_set_before_it_loads():
    facts = _fresh_facts()
    if not facts["loaded"]:
        pytest.skip(NO_MKL)
    assert facts["right"] and facts["mkl_threads"] == 1
    assert facts["openblas_threads"] in ([], [1])  # NumPy's OpenBLAS on one thread beside MKL


# ---- the compiled loops' split on the OpenMP pool


def _needs_compiled_loops():
    pytest.importorskip("numba")
    if not jit.ENABLED:
        pytest.skip("GRAPHGRAD_COMPILED_LOOPS=0: the NumPy forms only")


def test_split_gives_one_threads_numbers_on_the_pool_it_runs_on(threads, monkeypatch):
    _needs_compiled_loops()
    x = np.random.default_rng(10).standard_normal((997, 300))
    threads(1)
    alone = np.zeros_like(x)
    assert SQUARE_ROWS.split("square_rows", 997, x, alone, work_per_row=300)
    pools = []
    on_openmp, executor = jit.CompiledLoops._run_on_openmp, jit._executor
    monkeypatch.setattr(jit.CompiledLoops, "_run_on_openmp",
                        lambda loops, *args: pools.append("openmp") or on_openmp(loops, *args))
    monkeypatch.setattr(jit, "_executor", lambda: pools.append("python") or executor())
    for n in (2, 3, 5):
        threads(n)
        out = np.zeros_like(x)
        assert SQUARE_ROWS.split("square_rows", 997, x, out, work_per_row=300)
        np.testing.assert_array_equal(out, alone)
    np.testing.assert_array_equal(alone, x * x + 1.0)
    expected = "openmp" if jit._openmp_pool() else "python"
    assert pools and set(pools) == {expected}


def test_split_runs_on_the_openmp_pool_where_mkl_is_loaded():
    _needs_compiled_loops()
    if not blas.loaded():
        pytest.skip(NO_MKL)
    import numba

    assert blas.owns_pool() and jit._openmp_pool() and numba.threading_layer() == "omp"


# ---- graphgrad's products with MKL, against PyTorch


def _forward_backward(lib, function, x0, w0, b0, **kwargs):
    """lib.nn.functional.<function>(x, w, b): the output and the gradients of x, w and b."""
    x, w, b = (lib.tensor(v, requires_grad=True) for v in (x0, w0, b0))
    y = getattr(lib.nn.functional, function)(x, w, b, **kwargs)
    (y * y).sum().backward()
    return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]


SIZED_FOR_MKL = [  # every product well past MIN_WORK, so MKL computes them where it is loaded
    pytest.param("linear", (64, 256), (128, 256), {}, id="linear"),
    pytest.param("conv2d", (4, 16, 20, 20), (32, 16, 3, 3), {"padding": 1}, id="conv2d"),
]


@pytest.mark.parametrize("function,x_shape,w_shape,kwargs", SIZED_FOR_MKL)
def test_forward_and_backward_equal_torch(function, x_shape, w_shape, kwargs, torch_ref):
    r = _random(np.float32, seed=11)
    x0, w0, b0 = r(*x_shape), r(*w_shape) * 0.1, r(w_shape[0])
    ours = _forward_backward(graphgrad, function, x0, w0, b0, **kwargs)
    theirs = _forward_backward(torch_ref, function, x0, w0, b0, **kwargs)
    for got, expected in zip(ours, theirs):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("function,x_shape,w_shape,kwargs", SIZED_FOR_MKL)
def test_forward_and_backward_multiply_on_mkl(function, x_shape, w_shape, kwargs, mkl_calls):
    r = _random(np.float32, seed=11)
    _forward_backward(graphgrad, function, r(*x_shape), r(*w_shape), r(w_shape[0]), **kwargs)
    assert len(mkl_calls) >= 3  # the forward product, and one for each gradient of x and w


# ---- addmm: the bias added inside the product


BIAS_SHAPES = [(), (1,), (48,), (1, 48), (32, 1), (32, 48)]


@pytest.mark.parametrize("bias_shape", BIAS_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("b_transposed", [False, True], ids=["b", "b.T"])
def test_addmm_is_bias_plus_product(bias_shape, dtype, b_transposed):
    r = _random(dtype, seed=5)
    a, bias = r(32, 64), r(*bias_shape)
    b = r(48, 64).T if b_transposed else r(64, 48)
    got = blas.addmm(bias, a, b)
    expected = np.matmul(a, b) + bias
    assert got.shape == expected.shape and got.dtype == expected.dtype
    bound = RTOL[np.dtype(dtype)] * (np.matmul(np.abs(a), np.abs(b)) + np.abs(bias))
    assert (np.abs(got - expected) <= bound).all()


def test_addmm_adds_into_the_gemm_where_mkl_multiplies(mkl_calls):
    r = _random(np.float32, seed=6)
    a, b, bias = r(32, 64), r(64, 48), r(48)
    bias[0] = np.nan
    got = blas.addmm(bias, a, b)
    assert mkl_calls == ["gemm"] and np.isnan(got[:, 0]).all() and not np.isnan(got[:, 1:]).any()


@pytest.mark.parametrize("case", ["small", "float16", "strided", "empty"])
def test_addmm_elsewhere_is_numpys_product_plus_bias(case, mkl_calls):
    r = _random(np.float32, seed=7)
    a, b, bias = {"small": (r(2, 3), r(3, 4), r(4)), "float16": (r(32, 64).astype(np.float16),
                  r(64, 48).astype(np.float16), r(48).astype(np.float16)),
                  "strided": (r(32, 128)[:, ::2], r(64, 48), r(48)), "empty": (r(32, 0), r(0, 48), r(48))}[case]
    np.testing.assert_array_equal(blas.addmm(bias, a, b), np.matmul(a, b) + bias)
    assert "gemm" not in mkl_calls
