"""Elementwise kernels of many NumPy passes, run over cache-sized blocks of their arrays.

A kernel such as GELU's is a dozen NumPy passes (a polynomial, an exp, a few products). Over a whole
activation of a few MiB every pass streams the array through memory again, and each temporary is a fresh
allocation the kernel pays page faults for. Run block by block, the temporaries stay in the core's cache
and are reused by the allocator: three times faster on a 2 MiB float32 array, for one Python loop
iteration per 16384 elements (never per element).
"""

from __future__ import annotations

import numpy as np

BLOCK = 16384  # elements: a dozen float32 temporaries of this size fit a core's L2 cache, under malloc's mmap size


def blockwise(kernel, *arrays, dtype):
    """``kernel(*arrays)`` computed block by block over the arrays (all of one shape), into a new ``dtype`` array.

    ``kernel`` is elementwise: it takes equally long 1-D blocks and returns the block of the result, or a tuple
    of blocks of several results (``dtype`` is then a tuple, and so is the return value).

    >>> x = np.arange(40000, dtype=np.float32)
    >>> y = blockwise(lambda a, b: a * b + 1, x, x, dtype=np.float32)
    >>> bool(np.array_equal(y, x * x + 1))
    True
    """
    first = arrays[0]
    several = isinstance(dtype, tuple)
    if first.ndim > 1 and not first.flags.c_contiguous and first.flags.f_contiguous:
        # a transposed array: computed on its C-ordered transpose, so the result keeps its layout as NumPy's
        # ufuncs (and PyTorch's elementwise kernels) keep it
        res = blockwise(kernel, *[a.T for a in arrays], dtype=dtype)
        return tuple(r.T for r in res) if several else res.T
    flats = [np.ascontiguousarray(a).reshape(-1) for a in arrays]  # (1-D: a 0-d array's ops give scalars)
    outs = [np.empty(first.size, d) for d in (dtype if several else (dtype,))]
    for start in range(0, max(first.size, 1), BLOCK):
        stop = start + BLOCK
        res = kernel(*[f[start:stop] for f in flats])
        for out, r in zip(outs, res if several else (res,)):
            out[start:stop] = r
    outs = tuple(out.reshape(first.shape) for out in outs)
    return outs if several else outs[0]
