"""The LU decomposition with partial pivoting, A = P L U: ``linalg.lu_factor`` (``lu_factor_ex``, the deprecated
``torch.lu``), ``linalg.lu``, ``linalg.lu_solve`` (the deprecated ``torch.lu_solve``) and ``torch.lu_unpack``, with
PyTorch's nodes, result tuples, checks and errors. The factorisation and its solves run on ``_lu_arrays`` (NumPy
has no LU of its own); L has a unit diagonal, ``pivots`` are LAPACK's (int32, 1-based).

The derivatives are PyTorch's (FunctionsManual.cpp), written in graphgrad's ops so that they differentiate again.
With A = P L U, dA = P (dL U + L dU) (dL strictly lower, dU upper): the gradient of the factors is, for square A,
P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T, with its wide and tall forms for rectangular A. lu_solve's gradient
for B is a solve with the transposed system, and for LU the gradient of A (-A^-T gX X^T and its transposes) taken
through A = P L U back onto the packed factors.
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from .._core.sites import warn_once_at_user_line
from .._dtype import is_float_np
from .._tensor import Tensor
from . import _lu_arrays as lu_arrays
from ._export import export
from ._op import Op, _torch_name, apply, broadcast_error
from .linalg_decompositions import _constant, _decomposition, _given, _keep_outputs, _saved_outputs
from .linalg_solve import _LOW_PRECISION, SOLVE, _check_matrices, _require_float, _require_matrices, _require_same_dtype
from .shape import cat

# --- array helpers -----------------------------------------------------------------------------------------


def _unpack(lu, pivots, data=True, perm=True):
    """(P, L, U) arrays of a packed LU (``..., m, n``): L ``m x k`` with its unit diagonal, U ``k x n``; P
    ``m x m`` in LU's dtype."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    P = lu_arrays.permutation_matrix(pivots, m, lu.dtype) if perm else None
    if P is not None and P.shape[:-2] != lu.shape[:-2]:
        P = np.broadcast_to(P, lu.shape[:-2] + (m, m)).copy()
    if not data:
        return P, None, None
    L = np.tril(lu[..., :, :k], -1)
    L += np.eye(m, k, dtype=lu.dtype)
    return P, L, np.triu(lu[..., :k, :])


# --- the derivative of the factors, shared by lu_factor, lu and lu_unpack's users --------------------------
def _eye(m, k, like):
    return Tensor._make(np.eye(m, k, dtype=like._data.dtype), False, None)


def _factors(LU):
    """L (unit diagonal) and U of a packed LU tensor, differentiably."""
    m, n = LU.shape[-2:]
    k = min(m, n)
    return LU[..., :, :k].tril(-1) + _eye(m, k, LU), LU[..., :k, :].triu()


def _zeros(shape, like):
    return Tensor._make(np.zeros(shape, like._data.dtype), False, None)


def _solve(A, B, left=True):
    """X with A X = B (X A = B), as a derivative needs it: a singular A gives inf and NaN, as PyTorch's triangular
    solves do, rather than linalg.solve's error."""
    return apply(SOLVE, A, B, left=left, vector=False)


def _lu_grad(P, L, U, gL, gU):
    """A's gradient for A = P L U from L's and U's (either may be None): PyTorch's linalg_lu_backward. Only the
    entries of gL below the diagonal and of gU on and above it count (the others are constants)."""
    if gL is None and gU is None:
        return None
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:  # P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T
        inner = None if gL is None else (L.mT @ gL).tril(-1)
        if gU is not None:
            upper = (gU @ U.mT).triu()
            inner = upper if inner is None else inner + upper
        gA = _solve(L.mT, _solve(U.mT, inner, left=False))
    elif m < n:  # wide: U = [U1 | U2], U1 square
        U1 = U[..., :k]
        inner = None if gL is None else L.mT @ gL
        if gU is not None:
            upper = gU.triu() @ U.mT
            inner = -upper if inner is None else inner - upper
        gA = _solve(U1.mT, inner.tril(-1), left=False)
        gA = cat([gA + gU[..., :k].triu(), gU[..., k:]], -1) if gU is not None else gA
        gA = _solve(L.mT, gA)
        if gU is None:
            gA = cat([gA, _zeros(gA.shape[:-1] + (n - k,), gA)], -1)
    else:  # tall: L = [L1; L2], L1 square
        L1 = L[..., :k, :]
        inner = None if gU is None else gU @ U.mT
        if gL is not None:
            lower = L.mT @ gL.tril(-1)
            inner = -lower if inner is None else inner - lower
        gA = _solve(L1.mT, inner.triu())
        gA = cat([gA + gL[..., :k, :].tril(-1), gL[..., k:, :]], -2) if gL is not None else gA
        gA = _solve(U.mT, gA, left=False)
        if gL is None:
            gA = cat([gA, _zeros(gA.shape[:-2] + (m - k, k), gA)], -2)
    return P @ gA


def _constant_P(pivots, m, like):
    """P of the pivots (an array) as a constant tensor of ``like``'s dtype."""
    return Tensor._make(lu_arrays.permutation_matrix(pivots, m, like._data.dtype), False, None)


# --- lu_factor, lu_factor_ex, torch.lu ---------------------------------------------------------------------
def _check_factor(name, A, pivot):
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: {list(a.shape)} instead")
    if not is_float_np(a.dtype) or a.dtype.name in _LOW_PRECISION:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{_torch_name(a.dtype)}'")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def _lu_factor_fwd(a, pivot):
    return lu_arrays.lu_factor(a)


def _lu_factor_bw(n, gLU, g_pivots, g_info):
    LU, pivots = _saved_outputs(n)[:2]
    L, U = _factors(LU)
    k = min(LU.shape[-2:])
    # (the entries of gLU outside each factor's triangle drop out of the formulas)
    return _lu_grad(_constant_P(pivots._data, LU.shape[-2], LU), L, U, gLU[..., :, :k], gLU[..., :k, :])


LU_FACTOR_EX = _decomposition("LinalgLuFactorExBackward0", _lu_factor_fwd, _lu_factor_bw, ("LU", "pivots"),
                              n_outputs=3)


def _factor(A):
    LU, pivots, info = _keep_outputs(LU_FACTOR_EX, A, pivot=True)
    return LU, _constant(pivots), _constant(info)


def _raise_zero_pivot(name, a, info):
    flat = info.reshape(-1)
    k = int(np.argmax(flat > 0))
    where = f"(Batch element {k}): " if a.ndim > 2 else ""
    raise RuntimeError(f"{name}: {where}U[{flat[k]},{flat[k]}] is zero and using it on lu_solve would result in a "
                       "division by zero. If you still want to perform the factorization, consider calling "
                       "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): ``lu_factor``'s packed factors and pivots and, per matrix, 0 or the first step whose
    pivot is exactly zero (U is then singular)."""
    _check_factor("torch.lu_factor", A, pivot)
    LU, pivots, info = _factor(A)
    if check_errors and info._data.any():
        _raise_zero_pivot("torch.linalg.lu_factor_ex", A._data, info._data)
    return return_types.linalg_lu_factor_ex((LU, pivots, info))


def lu_factor(A, *, pivot=True):
    """(LU, pivots): the LU factorisation with partial pivoting of each matrix of A (``m x n``), packed: U on and
    above the diagonal, L (unit diagonal) below it; row ``i`` was swapped with row ``pivots[i]`` (1-based). A
    singular U raises, as PyTorch's does (``lu_factor_ex`` reports it instead).

    >>> import graphgrad
    >>> graphgrad.linalg.lu_factor(graphgrad.tensor([[1.0, 2.0], [4.0, 4.0]])).LU.tolist()
    [[4.0, 4.0], [0.25, 1.0]]
    """
    _check_factor("torch.lu_factor", A, pivot)
    LU, pivots, info = _factor(A)
    if info._data.any():
        _raise_zero_pivot("torch.linalg.lu_factor", A._data, info._data)
    return return_types.linalg_lu_factor((LU, pivots))


@export("lu")
def tensor_lu(A, pivot=True, get_infos=False):
    """``torch.lu``, deprecated in favour of ``linalg.lu_factor`` (PyTorch warns once): (LU, pivots), with
    ``get_infos`` (LU, pivots, info)."""
    warn_once_at_user_line("torch.lu", (
        "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be removed "
        "in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\n"
        "LU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
        "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
        "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)"))
    _check_factor("torch.lu_factor", A, pivot)
    LU, pivots, info = _factor(A)
    return return_types._lu_with_info((LU, pivots, info)) if get_infos else (LU, pivots)


# --- lu --------------------------------------------------------------------------------------------------
def _lu_fwd(a, pivot):
    lu, pivots, _ = lu_arrays.lu_factor(a)
    return _unpack(lu, pivots)


def _lu_bw(n, gP, gL, gU):
    P, L, U = _saved_outputs(n)
    gL, gU = _given(gL, gU)
    return _lu_grad(_constant(P), L, U, gL, gU)


PLU = _decomposition("LinalgLuBackward0", _lu_fwd, _lu_bw, ("P", "L", "U"))


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U for each matrix of A (``m x n``, k = min(m, n)): P an ``m x m`` permutation, L
    ``m x k`` lower triangular with a unit diagonal, U ``k x n`` upper triangular.

    >>> import graphgrad
    >>> graphgrad.linalg.lu(graphgrad.tensor([[1.0, 2.0], [4.0, 4.0]])).P.tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    _check_factor("linalg.lu", A, pivot)
    P, L, U = _keep_outputs(PLU, A, pivot=True)
    return return_types.linalg_lu((_constant(P), L, U))


# --- lu_unpack -------------------------------------------------------------------------------------------
def _lu_unpack_fwd(lu, pivots, unpack_data, unpack_pivots):  # (pivots: an array, not an input of the graph)
    P, L, U = _unpack(lu, pivots, unpack_data, unpack_pivots)
    empty = np.empty(0, lu.dtype)
    return (empty if P is None else P), (empty if L is None else L), (empty if U is None else U)


def _lu_unpack_bw(n, gP, gL, gU):
    """PyTorch's lu_unpack_backward: L's strict lower triangle and U's upper one, back in LU's shape."""
    if not n.kwargs["unpack_data"]:
        return None
    m, cols = n._in_meta[0][0][-2:]
    k = min(m, cols)
    gL, gU = _given(gL, gU)
    gL = None if gL is None else gL.tril(-1)
    gU = None if gU is None else gU.triu()
    if m == cols:
        grad = gL if gU is None else gU if gL is None else gL + gU
    elif m < cols:  # L square, U wide
        grad = gU if gL is None else cat([gL, _zeros(gL.shape[:-1] + (cols - k,), gL)], -1)
        grad = grad if gL is None or gU is None else grad + gU
    else:  # L tall, U square
        grad = gL if gU is None else cat([gU, _zeros(gU.shape[:-2] + (m - k, k), gU)], -2)
        grad = grad if gL is None or gU is None else grad + gL
    return grad


LU_UNPACK = Op("LuUnpackBackward0", _lu_unpack_fwd, _lu_unpack_bw, n_outputs=3)


def _pivot_range_error():
    return RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly "
                        "pass the result of lu_factor?")


@export("lu_unpack", method=False)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):  # noqa: N803  (PyTorch's names)
    """(P, L, U) of a packed LU factorisation (``linalg.lu_factor``'s LU and pivots); without ``unpack_data`` L
    and U are empty, without ``unpack_pivots`` P is.

    >>> import graphgrad
    >>> LU, pivots = graphgrad.linalg.lu_factor(graphgrad.tensor([[1.0, 2.0], [4.0, 4.0]]))
    >>> graphgrad.lu_unpack(LU, pivots).L.tolist()
    [[1.0, 0.0], [0.25, 1.0]]
    """
    lu, pivots = LU_data._data, LU_pivots._data
    if lu.ndim < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: {list(lu.shape)} "
                           "instead")
    if pivots.dtype != np.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by "
                           "torch.linalg.lu_factor")
    m, n = lu.shape[-2:]
    k = min(m, n)
    if unpack_pivots:
        if pivots.ndim == 0 or pivots.shape[-1] < k:
            raise _pivot_range_error()
        pivots = pivots[..., :k]
        if pivots.size and (pivots.min() < 1 or pivots.max() > m):
            raise _pivot_range_error()
        try:
            pivots = np.broadcast_to(pivots, lu.shape[:-2] + (k,))
        except ValueError:
            raise _pivot_range_error() from None
    P, L, U = apply(LU_UNPACK, LU_data, pivots=np.array(pivots), unpack_data=bool(unpack_data),
                    unpack_pivots=bool(unpack_pivots))
    return return_types.lu_unpack((_constant(P), L, U))


# --- lu_solve --------------------------------------------------------------------------------------------
def _lu_solve_fwd(lu, b, pivots, left, adjoint):  # (pivots: an array, not an input of the graph)
    if left:
        return lu_arrays.lu_solve(lu, pivots, b, adjoint)
    # XA = B is A^T X^T = B^T, and X A^T = B is A X^T = B^T
    return np.swapaxes(lu_arrays.lu_solve(lu, pivots, np.swapaxes(b, -1, -2), not adjoint), -1, -2)


def _lu_solve_bw(n, g):
    LU, X = n.saved_tensors
    pivots, left, adjoint = n.kwargs["pivots"], n.kwargs["left"], n.kwargs["adjoint"]
    need_lu, need_b = n.needs_input_grad
    grad_b = apply(LU_SOLVE, LU, g, pivots=pivots, left=left, adjoint=not adjoint)  # the transposed system
    if not need_lu:
        return None, grad_b
    # the gradient of A (A X = B, A^T X = B, X A = B, X A^T = B), then through A = P L U onto the factors
    if left:
        grad_a = -(X @ grad_b.mT) if adjoint else -(grad_b @ X.mT)
    else:
        grad_a = -(grad_b.mT @ X) if adjoint else -(X.mT @ grad_b)
    L, U = _factors(LU)
    grad_a = _constant_P(pivots, LU.shape[-1], LU).mT @ grad_a  # P^T gA
    return (grad_a @ U.mT).tril(-1) + (L.mT @ grad_a).triu(), grad_b if need_b else None


# (the pivots, integers, are no input of the graph, as in PyTorch: the node keeps them as an array)
LU_SOLVE = Op("LinalgLuSolveBackward0", _lu_solve_fwd, _lu_solve_bw, save=("a", "out"), saved_names=("LU", "result"))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):  # noqa: N803  (PyTorch's names)
    """X with A X = B for the A whose ``lu_factor`` is (LU, pivots) (``left`` False: X A = B; ``adjoint``: A^T in
    place of A); batches broadcast.

    >>> import graphgrad
    >>> LU, pivots = graphgrad.linalg.lu_factor(graphgrad.tensor([[2.0, 0.0], [0.0, 4.0]]))
    >>> graphgrad.linalg.lu_solve(LU, pivots, graphgrad.tensor([[1.0], [1.0]])).tolist()
    [[0.5], [0.25]]
    """
    lu, piv, b = LU._data, pivots._data, B._data
    _require_float("torch.linalg.lu_solve", lu)
    _require_same_dtype("linalg.lu_solve", "LU", lu, "B", b)
    if piv.dtype != np.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    _check_matrices("torch.linalg.lu_solve", LU)
    _require_matrices("linalg.lu_solve", b, "B")
    if (b.shape[-2] if left else b.shape[-1]) != lu.shape[-1]:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({lu.shape[-2]}x{lu.shape[-1]} and "
                           f"{b.shape[-2]}x{b.shape[-1]})")
    if piv.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if piv.shape[-1] != lu.shape[-1]:
        raise RuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the dimension of the "
                           "matrix")
    if piv.shape != lu.shape[:-1]:
        raise RuntimeError(f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots "
                           f"with shape {list(piv.shape)} instead")
    try:
        np.broadcast_shapes(b.shape[:-2], lu.shape[:-2])
    except ValueError:
        raise broadcast_error(b.shape[:-2], lu.shape[:-2]) from None
    if lu.dtype.name in _LOW_PRECISION:
        raise NotImplementedError(f"\"linalg.lu_solve_cpu\" not implemented for '{_torch_name(lu.dtype)}'")
    if piv.size and piv.min() < 1:
        raise RuntimeError("Pivots given to lu_solve must all be greater or equal to 1. Did you properly pass the "
                           "result of lu_factor?")
    if piv.size and piv.max() > lu.shape[-2]:
        raise RuntimeError("Pivots given to lu_solve must all be smaller or equal to LU.size(-2). Did you properly "
                           "pass the result of lu_factor?")
    return apply(LU_SOLVE, LU, B, pivots=piv.copy(), left=bool(left), adjoint=bool(adjoint))


@export("lu_solve")
def tensor_lu_solve(input, LU_data, LU_pivots):  # noqa: N803  (PyTorch's names)
    """``torch.lu_solve(B, LU, pivots)``, deprecated in favour of ``linalg.lu_solve(LU, pivots, B)`` (PyTorch
    warns once)."""
    warn_once_at_user_line("torch.lu_solve", (
        "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future PyTorch "
        "release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\n"
        "should be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)"))
    return lu_solve(LU_data, LU_pivots, input)
