"""Optional compiled loops for 2x2 max pooling whose windows tile the input (the ``fast`` extra, numba).

NumPy's form (``pooling._tiled_max`` and ``pooling._tile_scatter``) makes several whole-array passes; these
loops visit each window once. The forward scans a window as PyTorch's kernel does, in row-major order, a
later element winning when it is greater or NaN (the first maximum; the last NaN), and writes the winner's
own value, so ties of +0 and -0 and NaN payloads come out bit for bit with no fix-up pass. The backward
writes each window's gradient at its winner and +0 elsewhere. Both give exactly the NumPy form's arrays
(tests/nn/test_conv_pool_kernels.py runs the pooling tests through both and compares them bit for bit).

Loops for other window shapes, with the window's size known only at run time, measured slower than NumPy's
passes, so only the 2x2 window (the usual pooling layer) has one. Each function returns None where it
doesn't apply (numba missing, ``LOOPS.enabled`` False, another window, dtype or memory layout) and the caller runs
its NumPy form.
"""

from __future__ import annotations

import numpy as np

from .._core import jit


def _max_2x2_loop(start, stop, x, out, winners):
    _, out_h, out_w = out.shape
    for r in range(start, stop):
        for oh in range(out_h):
            h = 2 * oh
            for ow in range(out_w):
                w = 2 * ow
                best = x[r, h, w]
                k = 0
                v = x[r, h, w + 1]
                if v > best or v != v:
                    best = v
                    k = 1
                v = x[r, h + 1, w]
                if v > best or v != v:
                    best = v
                    k = 2
                v = x[r, h + 1, w + 1]
                if v > best or v != v:
                    best = v
                    k = 3
                out[r, oh, ow] = best
                winners[r, h, w] = k == 0
                winners[r, h, w + 1] = k == 1
                winners[r, h + 1, w] = k == 2
                winners[r, h + 1, w + 1] = k == 3


def _scatter_2x2_loop(start, stop, g, winners, zero, gx):
    _, out_h, out_w = g.shape
    for r in range(start, stop):
        for oh in range(out_h):
            h = 2 * oh
            for ow in range(out_w):
                w = 2 * ow
                v = g[r, oh, ow]
                gx[r, h, w] = v if winners[r, h, w] else zero
                gx[r, h, w + 1] = v if winners[r, h, w + 1] else zero
                gx[r, h + 1, w] = v if winners[r, h + 1, w] else zero
                gx[r, h + 1, w + 1] = v if winners[r, h + 1, w + 1] else zero


LOOPS = jit.CompiledLoops(max=_max_2x2_loop, scatter=_scatter_2x2_loop)  # .enabled False: the NumPy forms


def _takes(a, k_hw):
    return tuple(k_hw) == (2, 2) and a.dtype in jit.FLOATS and a.flags.c_contiguous


def tiled_max(xp, k_hw, out_hw):
    """(out, winners in xp's layout) of the 2x2 windows tiling the padded ``xp`` (N, C, Hp, Wp), or None."""
    if not _takes(xp, k_hw):
        return None
    n, c, hp, wp = xp.shape
    out = np.empty((n, c) + tuple(out_hw), xp.dtype)
    winners = np.empty(xp.shape, bool)
    if not LOOPS.split("max", n * c, xp.reshape(-1, hp, wp), out.reshape((-1,) + tuple(out_hw)),
                       winners.reshape(-1, hp, wp), work_per_row=hp * wp, streaming=True):
        return None
    return out, winners


def tile_scatter(g, winners, k_hw):
    """g (N, C, OH, OW) written at its windows' winners (elsewhere +0), as the padded input's array, or None."""
    if not (_takes(g, k_hw) and winners.flags.c_contiguous):
        return None
    n, c, oh, ow = g.shape
    gx = np.empty(winners.shape, g.dtype)
    plane = winners.shape[2:]
    if not LOOPS.split("scatter", n * c, g.reshape(-1, oh, ow), winners.reshape((-1,) + plane), g.dtype.type(0),
                       gx.reshape((-1,) + plane), work_per_row=plane[0] * plane[1], streaming=True):
        return None
    return gx
