"""Optional compiled loops for layer norm over the last axis with a weight and a bias (the ``fast`` extra, numba).

The NumPy forms (``normalization._row_norm`` and ``_row_norm_bw``) make about ten passes over the activation;
a loop here makes three over each row while it is in the first-level cache, and splits the rows over the cores
(``CompiledLoops.split``). Its row sums may be reassociated (``jit.reassociated``: the compiler adds in vector
lanes), where the NumPy forms' matrix-vector products add in their BLAS's order: the numbers agree to float
rounding, not bit for bit (as PyTorch's own kernel, which sums in yet another order). The weight's and bias's
gradients are summed per block of ``ROWS_A_BLOCK`` rows, then over the blocks, so they do not depend on the thread
count either.

Each function returns None where it does not apply (numba missing, ``LOOPS.enabled`` False, another dtype or
layout) and the caller runs its NumPy form.
"""

from __future__ import annotations

import numpy as np

from .._core import jit

ROWS_A_BLOCK = 32


@jit.reassociated
def _row_sum(row, other, zero):
    """Σ row, or Σ row·other when ``other`` has the row's length (``zero``: 0 in the row's dtype, the sum's)."""
    total = zero
    if other.size == row.size:
        for j in range(row.size):
            total += row[j] * other[j]
    else:
        for j in range(row.size):
            total += row[j]
    return total


def _layer_norm_loop(start, stop, x, weight, bias, eps, n, one, y, xhat, mean, invstd):
    """Rows start:stop of x (rows, cols): mean, 1/sqrt(var + eps), xhat = (x - mean)·invstd, y = xhat·w + b
    (``n``: cols and ``one``: 1 in x's dtype)."""
    cols = x.shape[1]
    centred = np.empty(cols, x.dtype)
    nothing = x[0, :0]
    zero = one - one
    for r in range(start, stop):
        row, hrow, yrow = x[r], xhat[r], y[r]
        m = _row_sum(row, nothing, zero) / n
        for j in range(cols):
            i = np.uintp(j)  # unsigned: no negative-index wraparound test, so the loop vectorises
            centred[i] = row[i] - m
        var = _row_sum(centred, centred, zero) / n
        inv = one / np.sqrt(var + eps)
        mean[r] = m
        invstd[r] = inv
        for j in range(cols):
            i = np.uintp(j)
            h = centred[i] * inv
            hrow[i] = h
            yrow[i] = h * weight[i] + bias[i]


def _layer_norm_bw_loop(start, stop, g, xhat, weight, invstd, n, gx, weight_parts, bias_parts):
    """Blocks start:stop of ``ROWS_A_BLOCK`` rows: gx = invstd·(g·w - mean(g·w) - xhat·mean(g·w·xhat)) for
    each row, and each block's column sums of g·xhat and of g (the weight's and bias's gradients, in parts)."""
    rows, cols = g.shape
    gw_row = np.empty(cols, g.dtype)
    nothing = g[0, :0]
    zero = n - n
    for block in range(start, stop):
        wp, bp = weight_parts[block], bias_parts[block]
        wp[:] = 0
        bp[:] = 0
        for r in range(block * ROWS_A_BLOCK, min(rows, (block + 1) * ROWS_A_BLOCK)):
            grow, hrow, gxrow = g[r], xhat[r], gx[r]
            for j in range(cols):
                i = np.uintp(j)
                gw_row[i] = grow[i] * weight[i]
                wp[i] += grow[i] * hrow[i]
                bp[i] += grow[i]
            inv = invstd[r]
            shift = _row_sum(gw_row, nothing, zero) * inv / n
            slope = _row_sum(gw_row, hrow, zero) * inv / n
            for j in range(cols):
                i = np.uintp(j)
                gxrow[i] = gw_row[i] * inv - (hrow[i] * slope + shift)


LOOPS = jit.CompiledLoops(layer_norm=_layer_norm_loop, layer_norm_bw=_layer_norm_bw_loop,
                          helpers=(_row_sum,))  # .enabled False: the NumPy forms


def _applies(*arrays):
    return all(a.dtype == arrays[0].dtype and a.flags.c_contiguous for a in arrays) and arrays[0].dtype in jit.FLOATS


def layer_norm(rows, weight, bias, eps):
    """(y, xhat, mean, invstd) of layer norm over the rows of a C-contiguous (rows, cols) array, mean and invstd
    as (rows, 1) columns; None where the loop does not apply.

    >>> out = layer_norm(np.array([[1.0, 2.0, 3.0]]), np.ones(3), np.zeros(3), 0.0)
    >>> out is None or np.allclose(out[0], [[-1.2247449, 0.0, 1.2247449]])
    True
    """
    if not (_applies(rows, weight, bias) and rows.ndim == 2 and rows.size):
        return None
    y, xhat = np.empty_like(rows), np.empty_like(rows)
    mean, invstd = np.empty((rows.shape[0], 1), rows.dtype), np.empty((rows.shape[0], 1), rows.dtype)
    if not LOOPS.split("layer_norm", rows.shape[0], rows, weight.reshape(-1), bias.reshape(-1),
                       rows.dtype.type(eps), rows.dtype.type(rows.shape[1]), rows.dtype.type(1), y, xhat,
                       mean.reshape(-1), invstd.reshape(-1),
                       work_per_row=rows.shape[1]):
        return None
    return y, xhat, mean, invstd


def layer_norm_bw(g, xhat, weight, invstd):
    """(gx, gw, gb) of layer norm over the rows of C-contiguous (rows, cols) arrays, from the normalised x and
    invstd; None where the loop does not apply."""
    if not (_applies(g, xhat, weight, invstd) and g.ndim == 2 and g.size and g.shape == xhat.shape):
        return None
    blocks = -(-g.shape[0] // ROWS_A_BLOCK)
    gx = np.empty_like(g)
    weight_parts, bias_parts = np.empty((blocks, g.shape[1]), g.dtype), np.empty((blocks, g.shape[1]), g.dtype)
    if not LOOPS.split("layer_norm_bw", blocks, g, xhat, weight.reshape(-1), invstd.reshape(-1),
                       g.dtype.type(g.shape[1]), gx, weight_parts, bias_parts, work_per_row=ROWS_A_BLOCK * g.shape[1]):
        return None
    return gx, weight_parts.sum(0), bias_parts.sum(0)
