"""The pseudo-inverse and least squares: ``linalg.pinv`` (``torch.pinverse``), ``linalg.lstsq`` and
``linalg.matrix_rank``, with PyTorch's nodes, result tuple, tolerances, checks and errors, on NumPy's SVD.

Tolerances are PyTorch's: a singular value counts when it is above max(atol, rtol * the largest one), rtol by
default eps * max(m, n), or 0 where only an atol above 0 is given. lstsq answers as PyTorch's CPU drivers do: the
minimum-norm solution for every driver (the default 'gelsy' and 'gelsd'/'gelss' agree on it; 'gels' assumes full
rank), the rank except for 'gels', the singular values for 'gelsd' and 'gelss' only, and the squared residuals
only where A is tall, every matrix of full rank and the driver not 'gelsy' (empty tensors otherwise). Each driver
first scales A and B as LAPACK's do (a largest magnitude below eps-scaled underflow or above its inverse brought to
that bound), so that subnormal and huge matrices solve as ordinary ones. Where the solution itself overflows (a
tiny A, a huge B), which entries are inf and which NaN is each LAPACK driver's own (QR, SVD): not reproduced.

The derivatives are PyTorch's, in graphgrad's ops: pinv's (FunctionsManual.cpp's pinv_backward), and lstsq's
through pinv(A) (X = pinv(A) B) plus the residuals' own, 2 (A X - B) g X^T for A and -2 (A X - B) g for B.
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from .._core.fp_errors import quietly
from .._dtype import is_float_np
from .._tensor import Tensor
from ._export import export
from ._op import Op, _torch_name, apply, broadcast_error
from .linalg_decompositions import _constant, _decomposition, _given, _keep_outputs, _saved_outputs
from .linalg_solve import LinAlgError, _check_matrices, _require_matrices


def _tolerances(a, atol, rtol):
    """(atol, rtol) as float64 arrays with PyTorch's defaults (``get_atol_rtol``)."""
    default = np.finfo(a.dtype).eps * max(a.shape[-2:])
    atol = np.zeros(()) if atol is None else np.asarray(atol._data if isinstance(atol, Tensor) else atol, np.float64)
    if rtol is not None:
        return atol, np.asarray(rtol._data if isinstance(rtol, Tensor) else rtol, np.float64)
    return atol, np.where(atol > 0, 0.0, default)


def _values(a, hermitian):
    """The singular values of each matrix of ``a`` (for a symmetric one, its eigenvalues), with the vectors:
    ``(U, S, V^T)``; for ``hermitian`` S is signed and V^T is U^T."""
    if hermitian:
        s, u = np.linalg.eigh(a)
        return u, s, np.swapaxes(u, -1, -2)
    return np.linalg.svd(a, full_matrices=False)


def _kept(s, atol, rtol):
    """Which values of ``s`` (``..., k``) count: |s| above max(atol, rtol * the largest |s|)."""
    size = np.abs(s)
    largest = size.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    return size > np.maximum(atol[..., None], rtol[..., None] * largest)


# --- pinv ------------------------------------------------------------------------------------------------
def _pinv_fwd(a, atol, rtol, hermitian):
    m, n = a.shape[-2:]
    shape = np.broadcast_shapes(a.shape[:-2], atol.shape, rtol.shape)
    if a.size == 0:
        return np.zeros(shape + (n, m), a.dtype)
    u, s, vh = _values(a, hermitian)
    inverse = np.where(_kept(s, atol, rtol), 1 / np.where(s == 0, 1, s), 0).astype(a.dtype, copy=False)
    return (np.swapaxes(vh, -1, -2) * inverse[..., None, :]) @ np.swapaxes(u, -1, -2)


def _pinv_grad(g, pinv, A):
    """PyTorch's pinv_backward: the gradient of A from pinv(A)'s, arranged so that the products are of the
    smaller size."""
    m, n = A.shape[-2:]
    pinv_t, g_t = pinv.mT, g.mT
    if m <= n:
        K = g_t @ pinv
        K_pinv_t = K @ pinv_t
        return -(pinv @ K).mT + K_pinv_t - (A @ pinv) @ K_pinv_t + (pinv_t @ pinv) @ (g_t - K @ A)
    K = pinv @ g_t
    pinv_t_K = pinv_t @ K
    return -(K @ pinv).mT + pinv_t_K - (pinv_t_K @ pinv) @ A + ((g_t - A @ K) @ pinv) @ pinv_t


PINV = Op("LinalgPinvBackward0", _pinv_fwd, lambda n, g: _pinv_grad(g, n.saved_tensors[1], n.saved_tensors[0]),
          save=("a", "out"), saved_names=("self", "result"))


def _check_pinv(A):
    a = A._data
    if a.dtype not in (np.float32, np.float64) or a.ndim < 2:
        raise RuntimeError(f"linalg.pinv({_torch_name(a.dtype)}{{{list(a.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")


def _hermitian_check(A):
    _check_matrices("linalg.eigh", A)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The pseudo-inverse of each matrix of A (``n x m`` for ``m x n``): its singular values above
    max(atol, rtol * the largest) inverted, the others taken as 0 (``rcond``: the older name of rtol, atol 0).
    With ``hermitian``, A is taken as symmetric and its eigenvalues stand for the singular values. ``atol`` and
    ``rtol`` may be tensors, broadcast over the batch.

    >>> import graphgrad
    >>> graphgrad.linalg.pinv(graphgrad.tensor([[2.0, 0.0], [0.0, 0.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.0]]
    """
    _check_pinv(A)
    if hermitian:
        _hermitian_check(A)
    if rcond is not None:
        atol, rtol = 0.0, rcond
    atol, rtol = _tolerances(A._data, atol, rtol)
    return apply(PINV, A, atol=atol, rtol=rtol, hermitian=bool(hermitian))


@export("pinverse")
def pinverse(input, rcond=1e-15):
    """The pseudo-inverse of each matrix of ``input`` (``linalg.pinv`` with rtol ``rcond``)."""
    return pinv(input, rtol=rcond)


# --- matrix_rank -----------------------------------------------------------------------------------------
@quietly
def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """The number of singular values of each matrix of A above max(atol, rtol * the largest) (``tol``: the older
    name of atol, rtol 0), an int64 tensor; with ``hermitian``, of eigenvalues in absolute value.

    >>> import graphgrad
    >>> graphgrad.linalg.matrix_rank(graphgrad.tensor([[1.0, 2.0], [2.0, 4.0]])).item()
    1
    """
    a = A._data
    _require_matrices("torch.linalg.matrix_rank", a, "input")
    if hermitian:
        _hermitian_check(A)
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(a, atol, rtol)
    if a.size == 0:
        s = np.zeros(a.shape[:-2] + (0,), a.dtype)
    else:
        s = np.linalg.eigvalsh(a) if hermitian else np.linalg.svd(a, compute_uv=False)
    return Tensor._make(_kept(s, atol, rtol).sum(-1).astype(np.int64), False, None)


# --- lstsq -----------------------------------------------------------------------------------------------
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _lapack_scale(x):
    """The factor (per matrix of ``x``) by which LAPACK's least-squares drivers scale a matrix whose largest
    magnitude lies outside [SMLNUM, BIGNUM] (SMLNUM: the smallest normal number over eps; BIGNUM its inverse) to
    bring it to that bound, in x's precision; 1 for the others (and for a zero matrix or one holding NaN)."""
    fi = np.finfo(x.dtype)
    small = x.dtype.type(fi.tiny / fi.eps)
    big = x.dtype.type(1) / small
    norm = np.abs(x).max((-2, -1)) if x.size else np.zeros(x.shape[:-2], x.dtype)
    target = np.where((norm > 0) & (norm < small), small, np.where(norm > big, big, norm))
    return np.where(target != norm, target / np.where(norm == 0, 1, norm), x.dtype.type(1))


def _lstsq_fwd(a, b, rcond, driver, vector):
    """(solution, residuals, rank, singular values) as PyTorch's CPU driver ``driver`` returns them. Each solves
    the problem scaled as LAPACK's drivers scale it (A and B with their largest magnitude outside
    [SMLNUM, BIGNUM] brought to that bound: subnormal and huge matrices solve as ordinary ones), the solution and
    singular values scaled back, the residuals (LAPACK's rows of B below the solution) not."""
    rhs = b[..., None] if vector else b
    m, n = a.shape[-2:]
    batch_a = a.shape[:-2]
    shape = np.broadcast_shapes(batch_a, rhs.shape[:-2])
    scale_a, scale_b = _lapack_scale(a), _lapack_scale(rhs)
    a = a * scale_a[..., None, None]
    rhs = rhs * scale_b[..., None, None]
    if a.size == 0:
        u, s, vh = (np.zeros(batch_a + (m, 0), a.dtype), np.zeros(batch_a + (0,), a.dtype),
                    np.zeros(batch_a + (0, n), a.dtype))
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    eps = np.finfo(a.dtype).eps
    if rcond is None:
        rcond = eps * max(m, n)
    elif rcond < 0:  # LAPACK's: machine precision for the SVD drivers, none for the others
        rcond = eps if driver in ("gelsd", "gelss") else 0.0
    keep = _kept(s, np.zeros(()), np.asarray(rcond))
    rank = keep.sum(-1) if rhs.size else np.zeros(batch_a, np.intp)  # (LAPACK is not called without B)
    inverse = np.where(keep, 1 / np.where(s == 0, 1, s), 0).astype(a.dtype, copy=False)
    x = np.swapaxes(vh, -1, -2) @ (inverse[..., None] * (np.swapaxes(u, -1, -2) @ rhs))
    x = np.broadcast_to(x, shape + (n, rhs.shape[-1]))
    if driver != "gelsy" and m > n and (rank == n).all():
        residuals = np.square(a @ x - rhs).sum(-2)
    else:
        residuals = np.zeros(0, a.dtype)
    x = x * scale_a[..., None, None] / scale_b[..., None, None]
    values = s / scale_a[..., None] if driver in ("gelsd", "gelss") else np.zeros(0, a.dtype)
    rank = rank.astype(np.int64) if driver != "gels" else np.zeros(0, np.int64)
    return (x[..., 0] if vector else x).copy(), residuals, rank, values


def _lstsq_bw(n, gX, g_residuals, g_rank, g_values):
    A, B = n.saved_tensors
    X = _saved_outputs(n)[0]
    gX, g_residuals = _given(gX, g_residuals)
    need_a, need_b = n.needs_input_grad
    if n.kwargs["vector"]:
        B, X = B.unsqueeze(-1), X.unsqueeze(-1)
        gX = None if gX is None else gX.unsqueeze(-1)
    grad_a = grad_b = None
    if gX is not None:  # X = pinv(A) B, pinv with its default tolerances
        atol, rtol = _tolerances(A._data, None, None)
        pinv_a = apply(PINV, A, atol=atol, rtol=rtol, hermitian=False)
        grad_a = _pinv_grad(gX @ B.mT, pinv_a, A) if need_a else None
        grad_b = pinv_a.mT @ gX if need_b else None
    if g_residuals is not None and g_residuals._data.size:  # (empty: not computed)
        # |A X - B|^2 by column, at the optimum (where A X - B is orthogonal to A's columns)
        weighted = (A @ X - B) * g_residuals.unsqueeze(-2)
        if need_a:
            grad_a = 2 * weighted @ X.mT if grad_a is None else grad_a + 2 * weighted @ X.mT
        if need_b:
            grad_b = -2 * weighted if grad_b is None else grad_b - 2 * weighted
    if grad_b is not None and n.kwargs["vector"]:
        grad_b = grad_b.squeeze(-1)
    return grad_a, grad_b


LSTSQ = _decomposition("LinalgLstsqBackward0", _lstsq_fwd, _lstsq_bw, ("solution",), n_outputs=4, save=("a", "b"),
                       saved_names=("self", "b"))


@quietly
def _lstsq_checks(A, B, driver):
    """PyTorch's checks, in its order; whether B is a (batch of) vector(s)."""
    a, b = A._data, B._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if b.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {_torch_name(a.dtype)} and other's dtype {_torch_name(b.dtype)}")
    fewer = a.ndim - b.ndim
    if not 0 <= fewer <= 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = b.ndim == 1 or (fewer == 1 and b.shape == a.shape[:-1])
    if a.shape[-2] != (b.shape[-1] if vector else b.shape[-2]):
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size({-1 if vector else -2})")
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if not is_float_np(a.dtype) or a.dtype.name in ("float16", "bfloat16"):
        raise RuntimeError("This function doesn't handle types other than float and double")
    batch_b = b.shape[:-1] if fewer else b.shape[:-2]  # (B of one dimension fewer is taken as vectors)
    try:
        np.broadcast_shapes(a.shape[:-2], batch_b)
    except ValueError:
        raise broadcast_error(a.shape[:-2], batch_b) from None
    return vector or bool(fewer)


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values): the X minimising |A X - B| (of least norm) for each matrix
    of A (``m x n``) and B (``m x k``, or vectors), batches broadcast, answered as PyTorch's CPU ``driver``
    ('gelsy' by default) answers: see the module's notes for which fields it fills.

    >>> import graphgrad
    >>> A, B = graphgrad.tensor([[2.0, 0.0], [0.0, 4.0], [0.0, 0.0]]), graphgrad.tensor([[2.0], [4.0], [7.0]])
    >>> graphgrad.linalg.lstsq(A, B).solution.tolist()
    [[1.0], [1.0]]
    >>> graphgrad.linalg.lstsq(A, B, driver="gelsd").residuals.tolist()
    [49.0]
    """
    vector = _lstsq_checks(A, B, driver)
    driver = driver or "gelsy"
    if driver == "gels":
        _check_full_rank(A._data)
    X, residuals, rank, values = _keep_outputs(LSTSQ, A, B, rcond=None if rcond is None else float(rcond),
                                               driver=driver, vector=vector)
    return return_types.linalg_lstsq((X, residuals, _constant(rank), _constant(values)))


@quietly
def _check_full_rank(a):
    """'gels' (QR, no rank revealed) refuses a matrix whose triangular factor has an exact zero on its diagonal;
    the error code is that diagonal position (1-based), as LAPACK's info."""
    if a.size == 0:
        return
    tall = a.shape[-2] >= a.shape[-1]
    r = np.linalg.qr(a if tall else np.swapaxes(a, -1, -2), mode="r")
    zero = (np.diagonal(r, axis1=-2, axis2=-1) == 0).reshape(-1, min(a.shape[-2:]))
    if zero.any():
        first = zero[int(np.argmax(zero.any(-1)))]
        raise LinAlgError("torch.linalg.lstsq: The least squares solution could not be computed because the input "
                          f"matrix does not have full rank (error code: {int(np.argmax(first)) + 1}).")
