"""Elementwise kernels of many NumPy passes, run over cache-sized blocks of their arrays.

A kernel such as GELU's is a few dozen NumPy passes (a polynomial, an exp, a few products). Over a whole
activation of a few MiB every pass streams the array through memory again, and each temporary is a fresh
allocation the kernel pays page faults for. Run block by block, on work arrays allocated once per call and
results written straight into their place in the outputs, every pass stays in the core's cache: GELU on a
2 MiB float32 array runs twice as fast, for one Python loop iteration per block (never per element).
"""

from __future__ import annotations

import numpy as np

BLOCK = 65536  # elements: the seven float32 blocks of GELU's kernel (1.8 MiB) fit a core's L2 cache together


def blockwise(kernel, *arrays, dtype, work=()):
    """Run the elementwise ``kernel`` block by block over ``arrays`` (all of one shape); return its results,
    new arrays of ``dtype`` (a tuple of dtypes for several results: a tuple of arrays is returned).

    ``kernel(*blocks, *result_blocks, *work_blocks)`` takes equally long 1-D blocks of the arrays and writes
    each result block in place (``out=``); ``work`` lists the dtypes of scratch blocks it may overwrite freely.

    >>> x = np.arange(40000, dtype=np.float32)
    >>> y = blockwise(lambda a, b, out: np.add(a * b, 1, out=out), x, x, dtype=np.float32)
    >>> bool(np.array_equal(y, x * x + 1))
    True
    """
    first = arrays[0]
    several = isinstance(dtype, tuple)
    if first.ndim > 1 and not first.flags.c_contiguous and first.flags.f_contiguous:
        # a transposed array: computed on its C-ordered transpose, so the result keeps its layout as NumPy's
        # ufuncs (and PyTorch's elementwise kernels) keep it
        res = blockwise(kernel, *[a.T for a in arrays], dtype=dtype, work=work)
        return tuple(r.T for r in res) if several else res.T
    flats = [np.ascontiguousarray(a).reshape(-1) for a in arrays]  # (1-D: a 0-d array's ops give scalars)
    outs = [np.empty(first.size, d) for d in (dtype if several else (dtype,))]
    size = min(first.size, BLOCK)
    scratch = [np.empty(size, d) for d in work]
    for start in range(0, first.size, BLOCK):
        stop = min(start + BLOCK, first.size)
        kernel(*[a[start:stop] for a in flats], *[out[start:stop] for out in outs],
               *[s[:stop - start] for s in scratch])
    outs = tuple(out.reshape(first.shape) for out in outs)
    return outs if several else outs[0]
