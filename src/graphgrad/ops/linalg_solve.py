"""Inverse and linear solve: ``linalg.inv`` (``inverse``) and ``linalg.solve``, with PyTorch's nodes
(LinalgInvExBackward0, LinalgSolveExBackward0), checks and errors, on NumPy's LAPACK.

Each derivative is written in graphgrad's own ops (a product with the saved result, a solve with the
transposed matrix), so the second derivative comes from the same formulas:
for X = A^-1, dA = -X^T G X^T; for AX = B, dB = A^-T G and dA = -dB X^T (for XA = B, dB = G A^-T and
dA = -X^T dB).
"""

from __future__ import annotations

import numpy as np

from .._dtype import is_float_np
from ._export import export
from ._op import Op, _torch_name, apply


class _LinAlgError(RuntimeError):
    """A matrix the factorisation found singular (``torch.linalg.LinAlgError``)."""


LinAlgError = _LinAlgError


_LOW_PRECISION = ("float16", "bfloat16")


def _check_matrices(name, A, square=True, kernel=None, kernel_checks_dtype=False):
    """PyTorch's checks of A, a (batch of) matrices, for ``name``. ``kernel``: the CPU kernel that a float16 or
    bfloat16 A reaches, which has none for it (its NotImplementedError), or "refused": ``name`` refuses them
    itself; None: not checked. ``kernel_checks_dtype``: an integer A reaches the kernel too (torch.cholesky,
    linalg.eigh), rather than ``name``'s own floating point check."""
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    low = a.dtype.name in _LOW_PRECISION
    if kernel is not None and (low or kernel_checks_dtype and not is_float_np(a.dtype)):
        if kernel == "refused":
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {_torch_name(a.dtype)}")
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(a.dtype)}\'')
    if not is_float_np(a.dtype):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_torch_name(a.dtype)}")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")


def _zero_pivot(matrix):
    """1 + the column where LU with partial pivoting (LAPACK's getrf) meets an exact zero pivot, or 0."""
    a = np.array(matrix, copy=True)
    n = a.shape[0]
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        a[[j, p]] = a[[p, j]]
        a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return 0


def _singular(a, message):
    """PyTorch's error for the first singular matrix of ``a`` (a batch of them): ``message(pivot)``."""
    matrices = a.reshape((-1,) + a.shape[-2:])
    for k, m in enumerate(matrices):
        pivot = _zero_pivot(m)
        if pivot:
            where = f"(Batch element {k}): " if a.ndim > 2 else ""
            return _LinAlgError(message(where, pivot))
    return _LinAlgError(message("", matrices.shape[-1]))  # (NumPy's factorisation met one the check above missed)


def _inv_fwd(a):
    if a.size == 0:
        return a.copy()
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise _singular(a, lambda where, pivot: f"linalg.inv: {where}The diagonal element {pivot} is zero, the "
                        "inversion could not be completed because the input matrix is singular.") from None


def _inv_bw(n, g):
    inverse_t = n.saved_tensors[0].mT
    return -(inverse_t @ g @ inverse_t)


INV = Op("LinalgInvExBackward0", _inv_fwd, _inv_bw, save="out")


@export("inverse")
def inverse(input):
    """The inverse of each square matrix of ``input`` (``linalg.inv``)."""
    return inv(input)


def inv(A):
    """The inverse of each square matrix of A; a singular one raises ``linalg.LinAlgError``.

    >>> import graphgrad
    >>> graphgrad.linalg.inv(graphgrad.tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    _check_matrices("linalg.inv", A)
    return apply(INV, A)


def _as_matrix(b, vector):
    return b[..., None] if vector else b


def _solve_fwd(a, b, left, vector):
    """X with AX = B (XA = B with ``left`` False); B a (batch of) vector(s) when ``vector``."""
    rhs = _as_matrix(b, vector)
    if not left:  # XA = B is A^T X^T = B^T
        a, rhs = np.swapaxes(a, -1, -2), np.swapaxes(rhs, -1, -2)
    batch = np.broadcast_shapes(a.shape[:-2], rhs.shape[:-2])
    a, rhs = np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(rhs, batch + rhs.shape[-2:])
    if a.size == 0 or rhs.size == 0:
        x = np.zeros(rhs.shape, np.result_type(a, rhs))
    else:
        try:
            x = np.linalg.solve(a, rhs)
        except np.linalg.LinAlgError:
            raise _singular(a, lambda where, pivot: f"torch.linalg.solve: {where}The solver failed because the input "
                            "matrix is singular.") from None
    if not left:
        x = np.swapaxes(x, -1, -2)
    return x[..., 0] if vector else x


def _solve_bw(n, g):
    A, X = n.saved_tensors
    left, vector = n.kwargs["left"], n.kwargs["vector"]
    need_a, need_b = n.needs_input_grad
    grad_b = apply(SOLVE, A.mT, g, left=left, vector=vector)
    if not need_a:
        return None, grad_b if need_b else None
    gb, x = (grad_b.unsqueeze(-1), X.unsqueeze(-1)) if vector else (grad_b, X)
    grad_a = -(gb @ x.mT) if left else -(x.mT @ gb)
    return grad_a, grad_b if need_b else None


# A (for both gradients) and the result X (for A's), as PyTorch's LinalgSolveExBackward0 keeps them
SOLVE = Op("LinalgSolveExBackward0", _solve_fwd, _solve_bw, save=("a", "out"), promote=None)


def solve(A, B, *, left=True):
    """X with AX = B (XA = B when ``left`` is False) for each square matrix of A, batches broadcast; B is a
    (batch of) vector(s) when it is 1-D or has A's shape without its last dimension.

    >>> import graphgrad
    >>> graphgrad.linalg.solve(graphgrad.tensor([[2.0, 0.0], [0.0, 4.0]]), graphgrad.tensor([1.0, 1.0])).tolist()
    [0.5, 0.25]
    """
    _check_matrices("linalg.solve", A)
    a, b = A._data, B._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_torch_name(a.dtype)} and B of type {_torch_name(b.dtype)} instead")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    rows = b.shape[-1] if vector else b.shape[-2] if left else b.shape[-1]
    if rows != a.shape[-1]:
        equation = "AX = B" if left else "XA = B"
        shape_b = f"{b.shape[-1]}x1" if vector else f"{b.shape[-2]}x{b.shape[-1]}"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {equation} "
                           f"({a.shape[-2]}x{a.shape[-1]} and {shape_b})")
    return apply(SOLVE, A, B, left=bool(left), vector=vector)
