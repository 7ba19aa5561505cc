"""Optional compiled loops for large elementwise kernels (the ``fast`` extra, numba), split over the cores.

NumPy adds, multiplies and fills on one core; PyTorch spreads the same kernels over its threads. Where the splits
run on the OpenMP pool that MKL multiplies on (``jit._openmp_pool``), these kernels of large contiguous float
arrays run as one loop split over the cores:

- ``binary``: a sum, difference or product of two arrays of one shape and dtype, or of an array and a Python
  float (taken in the array's dtype, as NumPy takes it);
- ``fill_where``: masked_fill's copy of an array with a value where a mask is set, the mask of the array's
  trailing dimensions (broadcast over the leading ones, as an attention's causal mask).

Each element is one IEEE operation or a copy, as in NumPy, so the results are NumPy's bit for bit (NaN, signed
zeros and infinities included) on any thread count. Each function returns None where it does not apply (numba
missing, ``LOOPS.enabled`` False, no OpenMP pool, small arrays, other dtypes, layouts or broadcasting) and the
caller runs NumPy.
"""

from __future__ import annotations

import numpy as np

from .._core import jit

# below this many elements NumPy's one-core pass is as quick as a split
MIN_ELEMENTS = 1 << 17


def _add_loop(start, stop, a, b, out):
    for j in range(start, stop):
        i = np.uintp(j)  # unsigned: no negative-index wraparound test, so the loop vectorises
        out[i] = a[i] + b[i]


def _subtract_loop(start, stop, a, b, out):
    for j in range(start, stop):
        i = np.uintp(j)
        out[i] = a[i] - b[i]


def _multiply_loop(start, stop, a, b, out):
    for j in range(start, stop):
        i = np.uintp(j)
        out[i] = a[i] * b[i]


def _add_number_loop(start, stop, a, number, out):
    for j in range(start, stop):
        i = np.uintp(j)
        out[i] = a[i] + number


def _multiply_number_loop(start, stop, a, number, out):
    for j in range(start, stop):
        i = np.uintp(j)
        out[i] = a[i] * number


def _fill_where_loop(start, stop, a, mask, value, out):
    """Rows start:stop of a (rows, cols): value where mask (cols) is set, else a's element."""
    cols = a.shape[1]
    for r in range(start, stop):
        arow, orow = a[r], out[r]
        for j in range(cols):
            i = np.uintp(j)
            orow[i] = value if mask[i] else arow[i]


# .enabled False: NumPy's kernels
LOOPS = jit.CompiledLoops(add=_add_loop, subtract=_subtract_loop, multiply=_multiply_loop,
                          add_number=_add_number_loop, multiply_number=_multiply_number_loop,
                          fill_where=_fill_where_loop)
_ARRAY_LOOPS = {np.add: "add", np.subtract: "subtract", np.multiply: "multiply"}
_NUMBER_LOOPS = {np.add: "add_number", np.multiply: "multiply_number"}


def _applies(a):
    return type(a) is np.ndarray and a.size >= MIN_ELEMENTS and a.dtype in jit.FLOATS and a.flags.c_contiguous \
        and jit._openmp_pool()


def binary(ufunc, a, b, out=None):
    """``ufunc(a, b, out=out)`` for ``np.add``, ``np.subtract`` or ``np.multiply`` as a split loop, or None.

    >>> binary(np.add, np.ones(3, np.float32), np.ones(3, np.float32)) is None  # small: NumPy's
    True
    """
    if not _applies(a):
        return None
    if type(b) is np.ndarray:
        if b.shape != a.shape or b.dtype != a.dtype or not b.flags.c_contiguous or ufunc not in _ARRAY_LOOPS:
            return None
        name, second = _ARRAY_LOOPS[ufunc], b.reshape(-1)
    elif type(b) is float and ufunc in _NUMBER_LOOPS:
        name, second = _NUMBER_LOOPS[ufunc], a.dtype.type(b)
    else:
        return None
    if out is None:
        out = np.empty_like(a)
    elif (type(out) is not np.ndarray or out.shape != a.shape or out.dtype != a.dtype or not out.flags.c_contiguous
          or not out.flags.writeable or any(out is not x and np.may_share_memory(out, x) for x in (a, b)
                                            if type(x) is np.ndarray)):
        return None  # (an out that is an operand is fine: each element is read before it is written)
    done = LOOPS.split(name, a.size, a.reshape(-1), second, out.reshape(-1))
    return out if done else None


def fill_where(a, mask, value):
    """A C-ordered copy of a with ``value`` (a 0-d array of a's dtype) where the bool ``mask`` is set, the mask
    covering a's trailing dimensions; or None.

    >>> fill_where(np.ones(3, np.float32), np.array([True, False, True]), np.float32(0)) is None  # small
    True
    """
    if not _applies(a) or mask.dtype != np.bool_ or not mask.flags.c_contiguous:
        return None
    trailing = mask.shape[next((i for i, s in enumerate(mask.shape) if s != 1), mask.ndim):]
    if not trailing or a.shape[a.ndim - len(trailing):] != trailing:
        return None
    cols = mask.size
    out = np.empty_like(a)
    rows = a.size // cols
    done = LOOPS.split("fill_where", rows, a.reshape(rows, cols), mask.reshape(-1), a.dtype.type(value),
                       out.reshape(rows, cols), work_per_row=cols)
    return out if done else None
