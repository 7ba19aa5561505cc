"""Matrix products through Intel's MKL where it is installed (the ``fast`` extra on x86-64), else NumPy's BLAS.

PyTorch's CPU build multiplies with MKL. NumPy's OpenBLAS takes 15-35% longer on a training step's shapes
(``benchmarks/products.py``), and a training step is mostly products, so ``matmul`` here calls MKL's
``cblas_?gemm`` (for stacks of matrices ``cblas_?gemm_batch_strided``, or ``cblas_?gemm_batch`` where they are
not a fixed step apart) on float32 and float64 arrays, through numba-compiled calls where numba loads and ctypes
elsewhere (``_bind_compiled_calls``), and NumPy's ``matmul`` for everything else
(other dtypes, 1-D operands, tiny products, layouts without a unit stride, overlapping ``out``). Both give the
product to float rounding; which summation order they use differs.

MKL runs on GNU OpenMP's thread pool (``MKL_Set_Threading_Layer``), the pool PyTorch's CPU build shares between
MKL and its own elementwise kernels and the one numba's ``omp`` layer runs the compiled loops on (``jit``): one
pool, so a loop spread over the cores does not fight a BLAS pool spinning beside it. Its thread count follows
``graphgrad.set_num_threads``; a forked child (a DataLoader worker) multiplies on one thread, as GNU OpenMP's
pool does not survive a fork.

``GRAPHGRAD_MKL=0`` in the environment keeps NumPy's BLAS (``ENABLED``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import math
import os
import site
import sys

import numpy as np

from ._core import jit

ENABLED = os.environ.get("GRAPHGRAD_MKL", "1") != "0"
# Below this many multiply-adds NumPy's own call is quicker than the foreign call's argument conversion.
MIN_WORK = 1 << 14

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_MKL_THREADING_GNU = 3
# lib: the loaded functions, False where MKL can't be used; home: the process that loaded them; pid: the process
# that last multiplied (a change is a fork)
_state = {"lib": None, "home": None, "pid": None}
_c_int, _c_void_p = ctypes.c_int, ctypes.c_void_p


def _candidates():
    """Where a pip-installed MKL puts ``libmkl_rt`` (the environment's ``lib``), then the loader's search."""
    dirs = [os.path.join(p, "lib") for p in (sys.prefix, sys.base_prefix, site.getuserbase())]
    found = [f for d in dirs for f in sorted(glob.glob(os.path.join(d, "libmkl_rt.so*")), reverse=True)]
    named = ctypes.util.find_library("mkl_rt")
    return found + ([named] if named else [])


def _load():
    """The MKL functions, or False: not Linux, switched off, not installed, or no GNU OpenMP to run on."""
    if not (ENABLED and sys.platform.startswith("linux")):
        return False
    try:
        ctypes.CDLL("libgomp.so.1", mode=ctypes.RTLD_GLOBAL)  # MKL's GNU threading layer calls its symbols
    except OSError:
        return False
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            lib.MKL_Set_Threading_Layer(_MKL_THREADING_GNU)  # (before any other MKL call; the C names)
            functions = {}
            for dtype, prefix, scalar in ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double)):
                gemm = getattr(lib, f"cblas_{prefix}gemm")
                gemm.restype = None
                gemm.argtypes = [_c_int] * 6 + [scalar, _c_void_p, _c_int, _c_void_p, _c_int, scalar, _c_void_p,
                                                _c_int]
                batch = getattr(lib, f"cblas_{prefix}gemm_batch")  # one group: each array below has one entry
                batch.restype = None
                batch.argtypes = [_c_int] + [_c_void_p] * 13 + [_c_int, _c_void_p]
                strided = getattr(lib, f"cblas_{prefix}gemm_batch_strided")  # matrices a fixed step apart
                strided.restype = None
                strided.argtypes = ([_c_int] * 6 + [scalar] + [_c_void_p, _c_int, _c_int] * 2 + [scalar]
                                    + [_c_void_p, _c_int, _c_int, _c_int])
                functions[np.dtype(dtype)] = (*_ctypes_calls(gemm, strided), batch, scalar)
        except (OSError, AttributeError):
            continue
        lib.MKL_Set_Num_Threads.argtypes = [_c_int]
        lib.MKL_Set_Num_Threads(jit.threads())
        functions["lib"] = lib
        _bind_compiled_calls(path, functions)
        _numpy_blas_on_one_thread()
        return functions
    return False


# functions[dtype] = (gemm, gemm_strided, gemm_batch, scalar). The first two take the arrays themselves:
#   gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, out, ldc)
#   gemm_strided(trans_a, trans_b, m, n, k, a, lda, step_a, b, ldb, step_b, beta, out, ldc, step_c, count)
# (row-major, alpha 1), as compiled calls where numba loads (``_bind_compiled_calls``), else through ctypes; the
# pointer batch, rare, is MKL's ctypes function.
def _ctypes_calls(gemm, strided):
    def call_gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, out, ldc):
        gemm(_ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, beta,
             out.ctypes.data, ldc)

    def call_strided(trans_a, trans_b, m, n, k, a, lda, step_a, b, ldb, step_b, beta, out, ldc, step_c, count):
        strided(_ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes.data, lda, step_a, b.ctypes.data, ldb, step_b,
                beta, out.ctypes.data, ldc, step_c, count)

    return call_gemm, call_strided


# MKL's functions as numba sees them (``_bind_compiled_calls`` sets them): the compiled calls below look them up
# by name when they compile, and numba's cache keeps their machine code, which names the C symbol, between processes.
_cblas_sgemm = _cblas_dgemm = _cblas_sgemm_batch_strided = _cblas_dgemm_batch_strided = None


def _compiled_gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, out, ldc):
    if out.itemsize == 4:
        _cblas_sgemm(_ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes, lda, b.ctypes, ldb, beta, out.ctypes, ldc)
    else:
        _cblas_dgemm(_ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes, lda, b.ctypes, ldb, beta, out.ctypes, ldc)


def _compiled_gemm_strided(trans_a, trans_b, m, n, k, a, lda, step_a, b, ldb, step_b, beta, out, ldc, step_c, count):
    if out.itemsize == 4:
        _cblas_sgemm_batch_strided(_ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes, lda, step_a, b.ctypes, ldb,
                                   step_b, beta, out.ctypes, ldc, step_c, count)
    else:
        _cblas_dgemm_batch_strided(_ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes, lda, step_a, b.ctypes, ldb,
                                   step_b, beta, out.ctypes, ldc, step_c, count)


_COMPILED_CALLS = jit.CompiledLoops(gemm=_compiled_gemm, gemm_strided=_compiled_gemm_strided)


def _bind_compiled_calls(path, functions):
    """Put numba's compiled calls of MKL (the library at ``path``) in place of the ctypes ones: a ctypes call
    converts its arguments and reads each array's address (``x.ctypes.data``, 0.8 us) in Python, the compiled
    call in machine code (``matmul`` of 128x256 @ 256x10: 14.3 -> 9.3 us, 128x512 @ 512x256: 126 -> 111 us). Kept as
    they are where numba is missing or fails."""
    try:
        import llvmlite.binding
        from numba import types
    except Exception:
        return
    i, p = types.int32, types.voidptr
    try:
        llvmlite.binding.load_library_permanently(path)  # (already loaded: where numba's code finds the symbols)
        for prefix, scalar in (("s", types.float32), ("d", types.float64)):
            globals()[f"_cblas_{prefix}gemm"] = types.ExternalFunction(
                f"cblas_{prefix}gemm", types.void(i, i, i, i, i, i, scalar, p, i, p, i, scalar, p, i))
            globals()[f"_cblas_{prefix}gemm_batch_strided"] = types.ExternalFunction(
                f"cblas_{prefix}gemm_batch_strided",
                types.void(i, i, i, i, i, i, scalar, p, i, i, p, i, i, scalar, p, i, i, i))
        gemm, strided = (_COMPILED_CALLS.compiled(name) for name in ("gemm", "gemm_strided"))
        if gemm is None or strided is None:
            return
        for dtype in _GEMM_DTYPES:  # compiles (or loads) the commonest signature now: a failure keeps ctypes
            one = np.ones((1, 1), dtype)
            gemm(_NO_TRANS, _NO_TRANS, 1, 1, 1, one, 1, one, 1, 0.0, np.empty((1, 1), dtype), 1)
            strided(_NO_TRANS, _NO_TRANS, 1, 1, 1, one, 1, 1, one, 1, 1, 0.0, np.empty((1, 1), dtype), 1, 1, 1)
    except Exception:
        return
    for dtype in _GEMM_DTYPES:
        functions[dtype] = (gemm, strided) + functions[dtype][2:]


def _numpy_blas_on_one_thread():
    """NumPy's own BLAS (OpenBLAS), still called for what ``matmul`` leaves to NumPy, on one thread: its idle
    threads spin after each call and would take the cores from the OpenMP pool MKL and the compiled loops share
    (threadpoolctl, in the ``fast`` extra, finds it; without it NumPy's BLAS keeps its threads)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return
    ThreadpoolController().select(internal_api="openblas").limit(limits=1)


def _functions():
    lib = _state["lib"]
    if lib is None:
        lib = _state["lib"] = _load()
        _state["home"] = _state["pid"] = os.getpid()
    if lib and _state["pid"] != os.getpid():  # a forked child: GNU OpenMP's pool stayed in the parent
        _state["pid"] = os.getpid()
        lib["lib"].MKL_Set_Num_Threads(1)
    return lib


def loaded():
    """Whether products run on MKL (loading it at the first call)."""
    return bool(_functions())


def owns_pool():
    """Whether MKL is loaded and was loaded by this process, so GNU OpenMP's pool is this process's own. A child
    forked after the load inherits the parent's pool without its threads: a parallel region there with more than
    one thread waits for them forever."""
    return loaded() and _state["home"] == os.getpid()


def set_threads(n):
    """MKL's thread count, which follows ``jit.set_threads`` (``graphgrad.set_num_threads``); one in a forked
    child (``owns_pool``)."""
    if _state["lib"]:
        _state["lib"]["lib"].MKL_Set_Num_Threads(n if _state["home"] == os.getpid() else 1)


jit.on_set_threads(set_threads)
jit.share_openmp_pool_when(owns_pool)  # the compiled loops' splits join MKL's pool, where it is this process's


def _layout(x):
    """(transpose flag, leading dimension) of a 2-D matrix with a unit stride along one of its axes, or None."""
    item = x.itemsize
    rows, cols = x.shape[-2:]
    row_stride, col_stride = x.strides[-2:]
    if (cols == 1 or col_stride == item) and row_stride % item == 0 and row_stride // item >= max(cols, 1):
        return _NO_TRANS, row_stride // item if rows > 1 else max(cols, 1)
    if (rows == 1 or row_stride == item) and col_stride % item == 0 and col_stride // item >= max(rows, 1):
        return _TRANS, col_stride // item if cols > 1 else max(rows, 1)
    return None


def matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)``, on MKL where it applies.

    >>> a = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> matmul(a, a.T).tolist()
    [[5.0, 14.0], [14.0, 50.0]]
    """
    if (type(a) is not np.ndarray or type(b) is not np.ndarray  # lists, scalars, subclasses: NumPy's rules
            or a.dtype != b.dtype or a.dtype not in _GEMM_DTYPES or a.ndim < 2 or b.ndim < 2
            or (out is not None and (type(out) is not np.ndarray or out.dtype != a.dtype))):
        return np.matmul(a, b, out=out)
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if b.shape[-2] != k or m * n * k < MIN_WORK or not _functions():
        return np.matmul(a, b, out=out)
    lay_a, lay_b = _layout(a), _layout(b)
    if lay_a is None or lay_b is None:
        return np.matmul(a, b, out=out)
    if a.ndim == b.ndim == 2:  # (the commonest call: NumPy's broadcast_shapes costs it a microsecond)
        batch = ()
    else:
        try:
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            return np.matmul(a, b, out=out)  # NumPy's error
    shape = batch + (m, n)
    if out is None:
        out = np.empty(shape, a.dtype)
        ldc = n  # (C order: what _layout gives)
    else:
        if (out.shape != shape or not out.flags.writeable or np.may_share_memory(out, a)
                or np.may_share_memory(out, b)):
            return np.matmul(a, b, out=out)  # NumPy's error, or its copy of an overlapping operand
        lay_c = _layout(out)
        if lay_c is None or lay_c[0] != _NO_TRANS:
            return np.matmul(a, b, out=out)
        ldc = lay_c[1]
    gemm, gemm_strided, gemm_batch, scalar = _state["lib"][a.dtype]
    count = math.prod(batch)
    if count == 1:
        gemm(lay_a[0], lay_b[0], m, n, k, a, lay_a[1], b, lay_b[1], 0.0, out, ldc)
        return out
    if count == 0:
        return out
    steps = [_batch_step(x, batch) for x in (a, b, out)]
    # MKL's strided batch takes matrices apart (a step past each one's lines of ld elements) or, for a and b, one
    # matrix repeated (step 0); the usual stack, and a third faster than the pointers below
    spans = (lay_a[1] * (m if lay_a[0] == _NO_TRANS else k), lay_b[1] * (k if lay_b[0] == _NO_TRANS else n), ldc * m)
    if None not in steps and all(step >= span or (step == 0 and x is not out)
                                 for step, span, x in zip(steps, spans, (a, b, out))):
        gemm_strided(lay_a[0], lay_b[0], m, n, k, a, lay_a[1], steps[0], b, lay_b[1], steps[1], 0.0, out, ldc,
                     steps[2], count)
        return out
    one = (_c_int * 1)
    a_ptrs, b_ptrs, c_ptrs = (_addresses(x, batch) for x in (a, b, out))
    gemm_batch(_ROW_MAJOR, one(lay_a[0]), one(lay_b[0]), one(m), one(n), one(k), (scalar * 1)(1.0),
               a_ptrs.ctypes.data, one(lay_a[1]), b_ptrs.ctypes.data, one(lay_b[1]), (scalar * 1)(0.0),
               c_ptrs.ctypes.data, one(ldc), 1, one(count))
    return out


_GEMM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def addmm(bias, a, b):
    """``bias + a @ b`` for matrices a and b and a ``bias`` that broadcasts to the product, all of one dtype.

    On MKL, as PyTorch's addmm: the result starts as the broadcast bias and the GEMM adds the product into it
    (beta=1), which saves the pass over the product that adding the bias afterwards takes (128x512 from 784
    inputs: 423 -> 394 us). Elsewhere NumPy's product, then the bias added.

    >>> a = np.ones((2, 3), np.float32)
    >>> addmm(np.arange(2, dtype=np.float32), a, a.T).tolist()
    [[3.0, 4.0], [3.0, 4.0]]
    """
    product = matmul
    if (type(a) is np.ndarray and type(b) is np.ndarray and type(bias) is np.ndarray and a.ndim == b.ndim == 2
            and a.dtype == b.dtype == bias.dtype and a.dtype in _GEMM_DTYPES):
        m, k = a.shape
        n = b.shape[1]
        if m * n * k < MIN_WORK:
            product = np.matmul  # (a small layer: NumPy's call, without matmul's checks again)
        elif b.shape[0] == k and _functions():
            lay_a, lay_b = _layout(a), _layout(b)
            if lay_a is not None and lay_b is not None:
                out = np.empty((m, n), a.dtype)
                out[...] = bias
                _state["lib"][a.dtype][0](lay_a[0], lay_b[0], m, n, k, a, lay_a[1], b, lay_b[1], 1.0, out, n)
                return out
    out = product(a, b)
    out += bias
    return out


SUM_AS_PRODUCT_FROM = 1 << 12  # elements: below, NumPy's reduction is as quick


def sum_leading(a, dims):
    """``a.sum(dims)`` where ``dims`` are a's leading dimensions, as one vector-matrix product (NumPy's reduction
    over the rows of a training step's gradients takes about twice as long); the sum is rounded in the BLAS's
    order. NumPy's sum for other dims, dtypes and layouts.

    >>> sum_leading(np.ones((4, 3), np.float32), (0,)).tolist()
    [4.0, 4.0, 4.0]
    """
    dims = tuple(dims)
    if (dims != tuple(range(len(dims))) or a.dtype not in _GEMM_DTYPES or not a.flags.c_contiguous
            or type(a) is not np.ndarray or not dims or a.size == 0):
        return a.sum(dims)
    rows = a.reshape(-1, math.prod(a.shape[len(dims):]))
    return (np.ones(rows.shape[0], a.dtype) @ rows).reshape(a.shape[len(dims):])


def _batch_step(x, batch):
    """The step, in elements, between consecutive matrices of x broadcast to the batch shape (C order): 0 for one
    matrix broadcast; None when they are not evenly spaced (or the step is negative, or not whole elements)."""
    lead = x.ndim - 2
    dims = [(size, x.strides[lead - i] if i <= lead and x.shape[lead - i] != 1 else 0)
            for i, size in enumerate(reversed(batch), 1) if size != 1]  # innermost first
    if not dims:
        return 0
    step = dims[0][1]
    expected = step * dims[0][0]
    for size, stride in dims[1:]:
        if stride != expected:
            return None
        expected = stride * size
    return step // x.itemsize if step >= 0 and step % x.itemsize == 0 else None


def _addresses(x, batch):
    """The address of each matrix of x broadcast to the batch shape, in C order (an intp array)."""
    x = np.broadcast_to(x, batch + x.shape[-2:])
    offsets = np.zeros(batch, np.intp)
    for axis, (size, stride) in enumerate(zip(batch, x.strides[:-2])):
        offsets += (np.arange(size, dtype=np.intp) * stride).reshape((size,) + (1,) * (len(batch) - axis - 1))
    return (offsets + x.ctypes.data).ravel()
