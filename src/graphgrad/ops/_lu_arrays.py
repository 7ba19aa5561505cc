"""LU factorisation with partial pivoting (LAPACK's getrf) and the solves with its factors (getrs), on batches of
ndarrays: NumPy's linalg has no LU of its own. No Tensors here; ``linalg_lu`` and ``linalg_solve`` build their
ops on these.

The factorisation is LAPACK's right-looking one, blocked: a panel of columns factored one column at a time (the
row of the largest magnitude swapped up, the column below multiplied by the pivot's reciprocal, the panel's
columns to the right updated), then the rows to the right of the panel solved with its unit lower triangle (by
substitution, each entry updated in the order of the unblocked getf2) and the trailing block updated with one
matrix product: up to 64 columns, the unblocked factorisation's operations in its order, which is how MKL's
kernels meet inf and NaN. Each step works on the whole batch at once. ``pivots`` are LAPACK's: 1-based, row ``j``
was swapped with row ``pivots[j]`` at step ``j``; ``info`` is 0, or the first step whose pivot is an exact zero
(LAPACK leaves that column unscaled and goes on, as this does).

NaN, inf and subnormal numbers take PyTorch's (MKL's) paths, probed on MKL 2024.2: the pivot is BLAS's idamax
(the first largest magnitude: a NaN is never larger, so it wins only as the column's first element) for matrices
of at most 16 rows and columns, and the first NaN for larger ones (MKL's kernels differ there); the column is
divided by a pivot below the smallest normal number (LAPACK's sfmin test) except in MKL's small kernels, which
take its reciprocal (inf for a subnormal pivot) in float32 and, in float64, from 7 rows or when square from 3.
Not reproduced: MKL's larger kernels round with fused multiply-adds, so where entries cancel exactly here (a matrix
of equal huge entries) MKL may leave a residual (and then no zero pivot), and float32 sums of many products differ
in their last bits.
"""

from __future__ import annotations

import numpy as np

_PANEL = 64  # columns factored one at a time before the trailing block is updated with a matrix product
_SMALL = 16  # MKL's kernels for matrices of at most this many rows and columns pick pivots as BLAS's idamax


def _pivot_offsets(column, small):
    """The row (from the top of ``column``, ``count x rows``) of each matrix's pivot: its first largest magnitude.
    A NaN: in MKL's small kernels, never larger than another (BLAS's idamax: it wins only as the first element),
    in the others the first NaN wins (as NumPy's argmax)."""
    magnitude = np.abs(column)
    if small:
        nan = np.isnan(magnitude)
        if nan.any():
            magnitude = np.where(nan, -1, magnitude)
            magnitude[:, 0] = np.where(nan[:, 0], np.inf, magnitude[:, 0])
    return np.argmax(magnitude, axis=1)


def _reciprocal_below_sfmin(m, n, dtype):
    """Whether MKL's getrf for an m x n matrix multiplies by the pivot's reciprocal even where the pivot is below
    the smallest normal number (inf for a subnormal one), where LAPACK's getf2 divides: its small kernels do, in
    float32 (but 2 x 2) and in float64 from 7 rows or when square from 3 (probed on MKL 2024.2)."""
    if max(m, n) > _SMALL:
        return False
    if dtype == np.float32:
        return (m, n) != (2, 2)
    return m >= 7 or m == n >= 3


def lu_factor(a):
    """``(LU, pivots, info)`` of each matrix of ``a`` (``..., m, n``): L's unit diagonal is not stored, U is the
    upper triangle; pivots ``(..., min(m, n))`` int32, info ``(...)`` int32."""
    *batch, m, n = a.shape
    k = min(m, n)
    count = int(np.prod(batch, dtype=np.intp))
    lu = np.array(a, copy=True, order="C").reshape(count, m, n)
    pivots = np.zeros((count, k), np.int32)
    info = np.zeros(count, np.int32)
    if count == 0:
        return lu.reshape(a.shape), pivots.reshape(*batch, k), info.reshape(batch)
    every = np.arange(count)
    small = max(m, n) <= _SMALL
    reciprocal_always = _reciprocal_below_sfmin(m, n, lu.dtype)
    one, tiny = lu.dtype.type(1), np.finfo(lu.dtype).tiny
    for start in range(0, k, _PANEL):
        stop = min(start + _PANEL, k)
        for j in range(start, stop):
            p = j + _pivot_offsets(lu[:, j:, j], small)
            pivots[:, j] = p + 1
            moved = p != j
            if moved.any():
                which, to = every[moved], p[moved]
                row = lu[which, j].copy()
                lu[which, j] = lu[which, to]
                lu[which, to] = row
            pivot = lu[:, j, j].copy()
            zero = pivot == 0
            if zero.any():  # (the column is left as it is: all zeros, or NaN that idamax passed over)
                info[(info == 0) & zero] = j + 1
                pivot[zero] = one
            below = lu[:, j + 1:, j]
            divide = None if reciprocal_always else np.abs(pivot) < tiny
            if divide is not None and divide.any():
                below[:] = np.where(divide[:, None], below / pivot[:, None], below * (one / pivot)[:, None])
            else:
                below *= (one / pivot)[:, None]
            lu[:, j + 1:, j + 1:stop] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:stop]
        if stop < n:  # the panel's rows to its right (swapped, not yet updated): solved with its unit lower
            # triangle by forward substitution, one row at a time (each entry's updates in the order the unblocked
            # factorisation makes them), then the trailing block
            for j in range(start, stop - 1):
                lu[:, j + 1:stop, stop:] -= lu[:, j + 1:stop, j, None] * lu[:, j, None, stop:]
            if stop < m:
                lu[:, stop:, stop:] -= lu[:, stop:, start:stop] @ lu[:, start:stop, stop:]
    return lu.reshape(a.shape), pivots.reshape(*batch, k), info.reshape(batch)


def permutation(pivots, m):
    """The row order LAPACK's swaps make of ``range(m)``: ``perm`` with ``(P^T A)[i] = A[perm[i]]`` for
    A = P L U (pivots ``(..., k)``, one step of swaps per column)."""
    batch = pivots.shape[:-1]
    flat = pivots.reshape(int(np.prod(batch, dtype=np.intp)), pivots.shape[-1]).astype(np.intp) - 1
    perm = np.broadcast_to(np.arange(m), (flat.shape[0], m)).copy()
    every = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        to = flat[:, j]
        row = perm[:, j].copy()
        perm[:, j] = perm[every, to]
        perm[every, to] = row
    return perm.reshape(*batch, m)


def permutation_matrix(pivots, m, dtype):
    """P (``..., m, m``) of A = P L U: ``P[perm[i], i] = 1``."""
    perm = permutation(pivots, m)
    eye = np.eye(m, dtype=dtype)
    return np.swapaxes(eye[perm], -1, -2)  # (eye[perm] is P^T: its row i is e_perm[i])


def _triangular_solve(t, b, lower, unit):
    """X with T X = B for triangular T (batches broadcast): NumPy's solve, which keeps a triangular matrix's
    rows in place; where some T is singular, substitution row by row (inf and NaN where it divides by 0)."""
    if unit:
        n = t.shape[-1]
        t = (np.tril(t, -1) if lower else np.triu(t, 1)) + np.eye(n, dtype=t.dtype)
    else:
        t = np.tril(t) if lower else np.triu(t)
    try:
        return np.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        pass
    shape = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = np.broadcast_to(t, shape + t.shape[-2:])
    x = np.array(np.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(t, b))
    n = t.shape[-1]
    for i in range(n) if lower else range(n - 1, -1, -1):
        done = slice(0, i) if lower else slice(i + 1, n)
        x[..., i, :] -= (t[..., i, None, done] @ x[..., done, :])[..., 0, :]
        x[..., i, :] /= t[..., i, i, None]
    return x


def lu_solve(lu, pivots, b, adjoint=False):
    """X with A X = B (A^T X = B with ``adjoint``) for the square A = P L U given by ``lu`` and ``pivots``; their
    batch dimensions broadcast with B's (``..., n, k``)."""
    n = lu.shape[-1]
    shape = np.broadcast_shapes(lu.shape[:-2], pivots.shape[:-1], b.shape[:-2])
    b = np.broadcast_to(b, shape + b.shape[-2:])
    perm = np.broadcast_to(permutation(pivots, n), shape + (n,))
    if n == 0 or b.size == 0:
        return np.zeros(b.shape, np.result_type(lu, b))
    if not adjoint:  # U X = L^-1 P^T B
        y = _triangular_solve(lu, np.take_along_axis(b, perm[..., None], -2), lower=True, unit=True)
        return _triangular_solve(lu, y, lower=False, unit=False)
    # A^T = U^T L^T P^T: P^T X = L^-T U^-T B
    lu_t = np.swapaxes(lu, -1, -2)
    y = _triangular_solve(lu_t, b, lower=True, unit=False)
    w = _triangular_solve(lu_t, y, lower=False, unit=True)
    x = np.empty_like(w)
    np.put_along_axis(x, np.broadcast_to(perm[..., None], w.shape), w, -2)
    return x
