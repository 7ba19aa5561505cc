"""Inverse and linear solve: ``linalg.inv`` (``inverse``, ``inv_ex``) and ``linalg.solve`` (``solve_ex``), with
PyTorch's nodes (LinalgInvExBackward0, LinalgSolveExBackward0), checks and errors, on NumPy's LAPACK. A singular
matrix is found by LU factorisation (``_lu_arrays``) only when the result is not finite (a zero pivot makes it
inf and NaN, as LAPACK's solve with those factors does): the ``_ex`` forms report it as ``info``, the others raise.

Each derivative is written in graphgrad's own ops (a product with the saved result, a solve with the
transposed matrix), so the second derivative comes from the same formulas:
for X = A^-1, dA = -X^T G X^T; for AX = B, dB = A^-T G and dA = -dB X^T (for XA = B, dB = G A^-T and
dA = -X^T dB).
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from .._core.fp_errors import quietly
from .._dtype import is_float_np
from .._tensor import Tensor
from . import _lu_arrays as lu_arrays
from ._export import export
from ._op import Op, _torch_name, apply, broadcast_error


class _LinAlgError(RuntimeError):
    """A matrix the factorisation found singular (``torch.linalg.LinAlgError``)."""


LinAlgError = _LinAlgError


_LOW_PRECISION = ("float16", "bfloat16")


def _require_matrices(name, a, tensor="A"):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {tensor} must have at least 2 dimensions.")


def _require_square(name, a):
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")


def _require_float(name, a):
    if not is_float_np(a.dtype):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_torch_name(a.dtype)}")


def _require_same_dtype(name, x_name, x, y_name, y):
    if x.dtype != y.dtype:
        raise RuntimeError(f"{name}: Expected {x_name} and {y_name} to have the same dtype, but found {x_name} of type "
                           f"{_torch_name(x.dtype)} and {y_name} of type {_torch_name(y.dtype)} instead")


def _check_matrices(name, A, square=True, kernel=None, kernel_checks_dtype=False):
    """PyTorch's checks of A, a (batch of) matrices, for ``name``. ``kernel``: the CPU kernel that a float16 or
    bfloat16 A reaches, which has none for it (its NotImplementedError), or "refused": ``name`` refuses them
    itself; None: not checked. ``kernel_checks_dtype``: an integer A reaches the kernel too (torch.cholesky,
    linalg.eigh), rather than ``name``'s own floating point check."""
    a = A._data
    _require_matrices(name, a)
    low = a.dtype.name in _LOW_PRECISION
    if kernel is not None and (low or kernel_checks_dtype and not is_float_np(a.dtype)):
        if kernel == "refused":
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {_torch_name(a.dtype)}")
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(a.dtype)}\'')
    _require_float(name, a)
    if square:
        _require_square(name, a)


@quietly
def _singular(name, a, message):
    """``linalg.LinAlgError`` for the first matrix of ``a`` whose LU factorisation meets an exact zero pivot
    (``message(where, pivot)``; PyTorch names the batch element when ``a`` is a batch), or None where none does."""
    info = lu_arrays.lu_factor(a)[2].reshape(-1)
    if not info.any():
        return None
    k = int(np.argmax(info > 0))
    return _LinAlgError(f"{name}: " + message(f"(Batch element {k}): " if a.ndim > 2 else "", int(info[k])))


def _inverse_singular(where, pivot):
    return (f"{where}The diagonal element {pivot} is zero, the inversion could not be completed because the input "
            "matrix is singular.")


def _solve_singular(where, pivot):
    return f"{where}The solver failed because the input matrix is singular."


@quietly
def _info(a, out):
    """LAPACK's info for each matrix of ``a`` (int32, 0 where it factors): only an exact zero pivot makes it
    nonzero, and then ``out`` (the result computed from the factors) is not finite, so only then is it looked
    for."""
    if np.isfinite(out).all():
        return np.zeros(a.shape[:-2], np.int32)
    return lu_arrays.lu_factor(a)[2]


def _info_tensor(A, out, name, check_errors, message):
    info = _info(A._data, out._data)
    if check_errors and info.any():
        raise _singular(name, A._data, message)
    return Tensor._make(info, False, None)


def _inv_fwd(a):
    if a.size == 0:
        return a.copy()
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:  # a singular matrix: the solve with its factors, as LAPACK's (inf, NaN)
        lu, pivots, _ = lu_arrays.lu_factor(a)
        return lu_arrays.lu_solve(lu, pivots, np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape))


def _inv_bw(n, g):
    inverse_t = n.saved_tensors[0].mT
    return -(inverse_t @ g @ inverse_t)


INV = Op("LinalgInvExBackward0", _inv_fwd, _inv_bw, save="out", saved_names=("inverse",))


@export("inverse")
def inverse(input):
    """The inverse of each square matrix of ``input`` (``linalg.inv``)."""
    return inv(input)


def _check_inv(A):
    """linalg.inv's checks, in PyTorch's order (the shape before the dtype)."""
    a = A._data
    _require_matrices("linalg.inv", a)
    _require_square("linalg.inv", a)
    _require_float("linalg.inv", a)
    if a.dtype.name in _LOW_PRECISION:
        raise RuntimeError(f"linalg.inv: Low precision dtypes not supported. Got {_torch_name(a.dtype)}")


def inv_ex(A, *, check_errors=False):
    """(inverse, info): the inverse of each square matrix of A and, per matrix, 0 or LAPACK's info (the first
    zero pivot of its LU factorisation: the inverse is then inf and NaN, as LAPACK's)."""
    _check_inv(A)
    out = apply(INV, A)
    info = _info_tensor(A, out, "linalg.inv_ex", check_errors, _inverse_singular)
    return return_types.linalg_inv_ex((out, info))


def inv(A):
    """The inverse of each square matrix of A; a singular one raises ``linalg.LinAlgError``.

    >>> import graphgrad
    >>> graphgrad.linalg.inv(graphgrad.tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    _check_inv(A)
    out = apply(INV, A)
    if not np.isfinite(out._data).all():
        error = _singular("linalg.inv", A._data, _inverse_singular)
        if error is not None:
            raise error
    return out


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
        except np.linalg.LinAlgError:  # a singular matrix: the solve with its factors, as LAPACK's (inf, NaN)
            lu, pivots, _ = lu_arrays.lu_factor(a)
            x = lu_arrays.lu_solve(lu, pivots, rhs)
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
SOLVE = Op("LinalgSolveExBackward0", _solve_fwd, _solve_bw, save=("a", "out"), promote=None,
           saved_names=("A", "result"))


def _solve(A, B, left):
    """linalg.solve's checks, in PyTorch's order, then its op."""
    name = "linalg.solve"
    _check_matrices(name, A)
    a, b = A._data, B._data
    _require_same_dtype(name, "A", a, "B", b)
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    rows, cols = (b.shape[-1], 1) if vector else b.shape[-2:]
    if (rows if left else cols) != a.shape[-1]:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {equation} "
                           f"({a.shape[-2]}x{a.shape[-1]} and {rows}x{cols})")
    if vector and not left:
        raise RuntimeError(f"{name}: Vector broadcasting of the left hand side is not supported for left=False. In "
                           "this case linalg.solve is equivalent to B / A.squeeze(-1)")
    batch_b = b.shape[:-1] if vector else b.shape[:-2]
    try:
        np.broadcast_shapes(batch_b, a.shape[:-2])
    except ValueError:
        raise broadcast_error(batch_b, a.shape[:-2]) from None
    if a.dtype.name in _LOW_PRECISION:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{_torch_name(a.dtype)}'")
    return apply(SOLVE, A, B, left=bool(left), vector=vector)


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info): ``solve``'s X and, per matrix of A, 0 or LAPACK's info (the first zero pivot of its LU
    factorisation: X is then inf and NaN, as LAPACK's)."""
    out = _solve(A, B, left)
    info = _info_tensor(A, out, "torch.linalg.solve_ex", check_errors, _solve_singular)
    return return_types.linalg_solve_ex((out, info))


def solve(A, B, *, left=True):
    """X with AX = B (XA = B when ``left`` is False) for each square matrix of A, batches broadcast; B is a
    (batch of) vector(s) when it is 1-D or has A's shape without its last dimension.

    >>> import graphgrad
    >>> graphgrad.linalg.solve(graphgrad.tensor([[2.0, 0.0], [0.0, 4.0]]), graphgrad.tensor([1.0, 1.0])).tolist()
    [0.5, 0.25]
    """
    out = _solve(A, B, left)
    if not np.isfinite(out._data).all():
        error = _singular("torch.linalg.solve", A._data, _solve_singular)
        if error is not None:
            raise error
    return out
