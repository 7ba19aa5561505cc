"""The matrix decompositions of ``torch.linalg``: det, slogdet (logdet), cholesky (cholesky_ex), qr, svd
(svdvals, torch.svd) and eigh (eigvalsh), with PyTorch's nodes, result tuples, checks and errors, on NumPy's
LAPACK.

Each derivative is PyTorch's (FunctionsManual.cpp), written in graphgrad's own ops so that it differentiates
again. Most of them read the decomposition's own outputs (Q and R, U S Vh, the eigenvectors): ``apply`` saves
one output at most, so these ops keep their outputs on the node (``_keep_outputs``) and their derivatives get
them back as tensors whose history is the node itself, as PyTorch's saved outputs are.

The svd and eigh derivatives hold for losses that do not depend on the sign of each singular vector or
eigenvector (PyTorch's documented condition), and are infinite where two singular values or eigenvalues
coincide, unless only the values are differentiated: an output's gradient that is zero and records nothing
counts as absent there (PyTorch's undefined gradient), which selects the value-only formulas.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import return_types
from .._core.sites import warn_once_at_user_line
from .._tensor import Tensor
from ..autograd import errors
from ._export import export
from ._op import Op, apply
from .comparison import where
from .linalg_solve import LinAlgError, _check_matrices, solve
from .shape import cat
from .structure import diag_embed


# --- outputs kept for the derivative ---------------------------------------------------------------------
def _decomposition(name, forward, backward, outputs, n_outputs=None, **kwargs):
    """The Op of a decomposition whose derivative reads its outputs (the first ones named ``outputs``, as
    PyTorch's ``grad_fn._saved_<name>``; ``n_outputs``: how many it has, if more): its forward returns
    ``(arrays, None)``, the node's state becomes the outputs."""
    @functools.wraps(forward)  # (its signature names the keyword arguments, readable as grad_fn._saved_<name>)
    def stateful(*arrays, **kw):
        return forward(*arrays, **kw), None

    op = Op(name, stateful, backward, stateful=True, n_outputs=n_outputs or len(outputs), **kwargs)
    for i, field in enumerate(outputs):
        setattr(op.node_class, "_saved_" + field, property(lambda node, i=i: _saved_outputs(node)[i]))
    return op


def _keep_outputs(op, *inputs, **kwargs):
    """``apply(op, *inputs)``, the node keeping each output's array with its version (as ``Node`` keeps ``_out``:
    the array, not the tensor, which would make a cycle through the node)."""
    outs = apply(op, *inputs, **kwargs)
    node = outs[0]._grad_fn
    if node is not None:
        node.state = tuple((t._data, t._version_box, t._version_box[0]) for t in outs)
    return outs


def _constant(t):
    """An output PyTorch does not differentiate (pivots, info, a permutation): ``t`` without history, sharing
    its version counter (the node may keep it, and a write into it must still be seen)."""
    out = Tensor._make(t._data, False, None)
    out._version_box = t._version_box
    return out


def _saved_outputs(node):
    """The outputs as the derivative reads them: tensors whose history is ``node``, so that double backward
    differentiates through them; PyTorch's errors when they were freed or written in place since."""
    kept = node.state
    if kept is None:
        raise errors.second_backward(node)
    outs = []
    for i, (arr, box, version) in enumerate(kept):
        if box[0] != version:
            raise errors.modified_inplace(node, arr, node, version, box[0], box)
        differentiable = arr.dtype.kind == "f"  # (pivots, info: integers, outside the graph)
        t = Tensor._make(arr, differentiable, node if differentiable else None)
        t._output_nr = i
        outs.append(t)
    return outs


def _given(*grads):
    """Each output gradient, or None where it is absent: the engine hands zeros for an output no gradient
    reached, which PyTorch leaves undefined (and some formulas divide by gaps that are zero there)."""
    return [g if g is not None and (g._requires_grad or g._data.any()) else None for g in grads]


def _eye(n, like):
    return Tensor._make(np.eye(n, dtype=like._data.dtype), False, None)


def _gaps(values):
    """``values[j] - values[i]`` at (i, j), with ones on the diagonal (where the derivatives divide 0 by it)."""
    return values.unsqueeze(-2) - values.unsqueeze(-1) + _eye(values.shape[-1], values)


def _batch_error(a, message, failed):
    """``linalg.LinAlgError(message(where))`` for the first matrix of ``a`` that ``failed`` (a per-matrix
    bool array): PyTorch names its batch element when ``a`` is a batch."""
    k = int(np.argmax(failed.reshape(-1)))
    return LinAlgError(message(f"(Batch element {k}): " if a.ndim > 2 else ""))


# --- det, slogdet, logdet --------------------------------------------------------------------------------
def _det_bw(n, g):
    A, det = n.saved_tensors
    if A._data.size == 0:
        return None
    size = A.shape[-1]
    if np.any(np.abs(det._data) < 100 * np.finfo(det._data.dtype).eps):
        # (near) singular: A^-T does not exist, the cofactors do: U diag(prod of the other S) Vh det(U Vh)
        U, S, Vh = _keep_outputs(SVD, A, full_matrices=False)
        alpha = _det(U) * _det(Vh)
        others = (S.unsqueeze(-2) * (1 - _eye(size, S)) + _eye(size, S)).prod(-1)
        return (U * (others * (g * alpha).unsqueeze(-1)).unsqueeze(-2)) @ Vh
    return solve(A.mT, diag_embed((g * det).unsqueeze(-1).expand(*det.shape, size)))  # g det A^-T


DET = Op("LinalgDetBackward0", lambda a: np.asarray(np.linalg.det(a), a.dtype), _det_bw, save=("a", "out"),
         saved_names=("A", "result"))


def _det(A):
    return apply(DET, A)


@export("det")
def tensor_det(input):
    """The determinant of each square matrix of ``input`` (``linalg.det``)."""
    return det(input)


def det(A):
    """The determinant of each square matrix of A.

    >>> import graphgrad
    >>> graphgrad.linalg.det(graphgrad.tensor([[2.0, 1.0], [1.0, 3.0]])).item()
    5.0
    """
    _check_matrices("linalg.det", A, kernel="lu_cpu")
    return _det(A)


def _slogdet_fwd(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return np.asarray(sign, a.dtype), np.asarray(logabsdet, a.dtype)


def _slogdet_bw(n, g_sign, g_logabsdet):
    (g,) = _given(g_logabsdet)  # the sign is piecewise constant: its gradient is zero
    A = n.saved_tensors[0]
    if g is None or A._data.size == 0:
        return None
    return solve(A.mT, diag_embed(g.unsqueeze(-1).expand(*g.shape, A.shape[-1])))  # g A^-T


SLOGDET = Op("LinalgSlogdetBackward0", _slogdet_fwd, _slogdet_bw, save=("a",), saved_names=("A",), n_outputs=2)


@export("slogdet")
def tensor_slogdet(input):
    """(sign, log|det|) of each square matrix of ``input``, as ``torch.return_types.slogdet``."""
    return return_types.slogdet(slogdet(input))


def slogdet(A):
    """(sign, log of the absolute determinant) of each square matrix of A: ``sign`` 0 and ``logabsdet``
    -inf for a singular one.

    >>> import graphgrad
    >>> graphgrad.linalg.slogdet(graphgrad.tensor([[-2.0, 0.0], [0.0, 1.0]])).sign.item()
    -1.0
    """
    _check_matrices("linalg.slogdet", A, kernel="refused")
    return return_types.linalg_slogdet(apply(SLOGDET, A))


@export("logdet")
def logdet(input):
    """The log determinant of each square matrix of ``input``: NaN where it is negative."""
    _check_matrices("logdet", input, kernel="refused")
    sign, logabsdet = apply(SLOGDET, input)
    return where(sign == -1, float("nan"), logabsdet)


# --- cholesky --------------------------------------------------------------------------------------------
def _cholesky_by_columns(m):
    """(L, info) of one matrix as LAPACK's potrf leaves them: the columns before the first leading minor that is
    not positive-definite factored, that minor's pivot in place, info its order (0: none)."""
    L = np.tril(m)
    for j in range(m.shape[-1]):
        pivot = L[j, j] - L[j, :j] @ L[j, :j]
        if not pivot > 0:  # (NaN too)
            L[j, j] = pivot
            return L, j + 1
        L[j, j] = np.sqrt(pivot)
        L[j + 1:, j] = (L[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return L, 0


def _cholesky_fwd(a, upper):
    """(L, info per matrix); with ``upper`` the factor U = L^T of A's upper triangle."""
    if upper:
        a = np.swapaxes(a, -1, -2)
    try:
        L, info = np.linalg.cholesky(a), np.zeros(a.shape[:-2], np.int32)
        factored = not np.isnan(np.diagonal(L, axis1=-2, axis2=-1)).any()  # (NumPy lets a NaN pivot through)
    except np.linalg.LinAlgError:
        factored = False
    if not factored:  # some matrix is not positive-definite: which minor, one matrix at a time
        n = a.shape[-1]
        pairs = [_cholesky_by_columns(m) for m in a.reshape(-1, n, n)]
        L = np.stack([p[0] for p in pairs]).reshape(a.shape)
        info = np.array([p[1] for p in pairs], np.int32).reshape(a.shape[:-2])
    return (np.swapaxes(L, -1, -2) if upper else L), info


def _not_positive_definite(name, a, info):
    order = info.reshape(-1)[np.argmax(info.reshape(-1) > 0)]
    return _batch_error(a, lambda where: f"{name}: {where}The factorization could not be completed because the "
                        f"input is not positive-definite (the leading minor of order {order} is not "
                        "positive-definite).", info > 0)


def _cholesky_grad(L, gL, upper):
    """PyTorch's cholesky_backward (Murray, arXiv 1602.07527): L^-T Phi(L^T gL) L^-1, Phi taking the lower
    triangle with its diagonal halved, made symmetric."""
    if upper:
        L, gL = L.mT, gL.mT
    phi = (L.mT @ gL).tril()
    phi = 0.5 * (phi + phi.tril(-1).mT)
    return solve(L, solve(L.mT, phi), left=False)


def _cholesky_ex_bw(n, gL, g_info):
    return _cholesky_grad(_saved_outputs(n)[0], gL, n.kwargs["upper"])


CHOLESKY_EX = _decomposition("LinalgCholeskyExBackward0", _cholesky_fwd, _cholesky_ex_bw, ("L", "info"))


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): the Cholesky factor of each matrix of A and, per matrix, 0 or the order of its first leading
    minor that is not positive-definite (L is then only partly factored)."""
    _check_matrices("linalg.cholesky", A, kernel="cholesky_cpu")
    L, info = _keep_outputs(CHOLESKY_EX, A, upper=bool(upper))
    info = Tensor._make(info._data, False, None)  # an integer output: never part of the graph
    if check_errors and info._data.any():
        raise _not_positive_definite("linalg.cholesky_ex", A._data, info._data)
    return return_types.linalg_cholesky_ex((L, info))


def cholesky(A, *, upper=False):
    """The lower triangular L with A = L L^T (upper: U with A = U^T U) of each symmetric positive-definite
    matrix of A; one that is not raises ``linalg.LinAlgError``.

    >>> import graphgrad
    >>> graphgrad.linalg.cholesky(graphgrad.tensor([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    L, info = cholesky_ex(A, upper=upper)
    if info._data.any():
        raise _not_positive_definite("linalg.cholesky", A._data, info._data)
    return L


def _cholesky_or_raise(a, upper):
    L, info = _cholesky_fwd(a, upper)
    if info.any():
        raise _not_positive_definite("cholesky", a, info)
    return L


# torch.cholesky, deprecated: its own node, which saves its result
CHOLESKY = Op("CholeskyBackward0", _cholesky_or_raise, lambda n, g: _cholesky_grad(n.saved_tensors[0], g,
                                                                                   n.kwargs["upper"]), save="out")


@export("cholesky")
def tensor_cholesky(input, upper=False):
    """``torch.cholesky``, deprecated in favour of ``linalg.cholesky`` (PyTorch warns once)."""
    warn_once_at_user_line("torch.cholesky", (
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future PyTorch "
        "release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\nand\n"
        "U = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
        "This transform will produce equivalent results for all valid (symmetric positive definite) inputs."))
    _check_matrices("cholesky", input, kernel="cholesky_cpu", kernel_checks_dtype=True)
    return apply(CHOLESKY, input, upper=bool(upper))


# --- qr --------------------------------------------------------------------------------------------------
def _qr_fwd(a, mode):
    if mode == "r":  # Q is not computed: an empty tensor in its place
        return np.empty(0, a.dtype), np.linalg.qr(a, mode="r").astype(a.dtype, copy=False)
    q, r = np.linalg.qr(a, mode=mode)
    return q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)


def _qr_square_grad(Q, R, gQ, gR):
    """A = QR with Q of A's shape (m >= n): (gQ + Q K) R^-T, K symmetric from the upper triangle of
    gR R^T - Q^T gQ."""
    N = gR @ R.mT - Q.mT @ gQ
    K = N.triu() + N.triu(1).mT
    return solve(R.mT, gQ + Q @ K, left=False)


def _qr_bw(n, gQ, gR):
    mode = n.kwargs["mode"]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                           "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
    Q, R = _saved_outputs(n)
    m, cols = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > cols:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    if m >= cols:
        return _qr_square_grad(Q, R, gQ, gR)
    # wide: A = [X | Y] with X = Q R1 square and Y = Q R2, so R2 = Q^T Y feeds Q's gradient too
    R1, R2 = R[..., :m], R[..., m:]
    gR1, gR2 = gR[..., :m], gR[..., m:]
    gX = _qr_square_grad(Q, R1, gQ + Q @ R2 @ gR2.mT, gR1)
    return cat([gX, Q @ gR2], -1)


QR = _decomposition("LinalgQrBackward0", _qr_fwd, _qr_bw, ("Q", "R"))


def qr(A, mode="reduced"):
    """(Q, R) with A = QR, Q orthonormal columns and R upper triangular (R's diagonal signs as LAPACK gives
    them); ``mode`` "reduced" (k = min(m, n) columns), "complete" (Q square) or "r" (R only, Q empty).

    >>> import graphgrad
    >>> graphgrad.linalg.qr(graphgrad.tensor([[3.0, 0.0], [4.0, 5.0]])).R.abs().tolist()
    [[5.0, 4.0], [0.0, 3.0]]
    """
    _check_matrices("linalg.qr", A, square=False, kernel="geqrf_cpu")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    return return_types.linalg_qr(_keep_outputs(QR, A, mode=mode))


@export("qr")
def tensor_qr(input, some=True):
    """``torch.qr``, deprecated in favour of ``linalg.qr`` (PyTorch warns once)."""
    warn_once_at_user_line("torch.qr", (
        "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch release.\n"
        "The boolean parameter 'some' has been replaced with a string parameter 'mode'.\nQ, R = torch.qr(A, some)\n"
        "should be replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if some else 'complete')"))
    return return_types.qr(qr(input, "reduced" if some else "complete"))


# --- svd -------------------------------------------------------------------------------------------------
def _svd_fwd(a, full_matrices):
    try:
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    except np.linalg.LinAlgError:
        finite = np.isfinite(a).all(axis=(-2, -1))
        raise _batch_error(a, lambda where: f"linalg.svd: {where}The algorithm failed to converge because the input "
                           "matrix contained non-finite values." if not finite.all() else
                           f"linalg.svd: {where}The algorithm failed to converge because the input matrix is "
                           "ill-conditioned or has too many repeated singular values.", ~finite) from None
    return u.astype(a.dtype, copy=False), s.astype(a.dtype, copy=False), vh.astype(a.dtype, copy=False)


def _svd_bw(n, gU, gS, gVh):
    U, S, Vh = _saved_outputs(n)
    k = S.shape[-1]
    if n.kwargs["full_matrices"]:  # the columns beyond k span a complement no loss may depend on
        U, Vh, gU, gVh = U[..., :k], Vh[..., :k, :], gU[..., :k], gVh[..., :k, :]
    gU, gS, gVh = _given(gU, gS, gVh)
    m, cols = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:  # the singular values only (svdvals): U diag(gS) Vh
        if gS is None:
            return None
        return U @ (gS.unsqueeze(-1) * Vh) if m >= cols else (U * gS.unsqueeze(-2)) @ Vh
    # the skew parts of U^T gU and V^T gV over the gaps S_j^2 - S_i^2, gS on the diagonal
    inner = 0
    if gU is not None:
        UtgU = U.mT @ gU
        inner = (UtgU - UtgU.mT) * S.unsqueeze(-2)
    if gVh is not None:
        VtgV = Vh @ gVh.mT
        inner = inner + S.unsqueeze(-1) * (VtgV - VtgV.mT)
    gA = inner / _gaps(S * S)
    if gS is not None:
        gA = gA + diag_embed(gS)
    if m > cols and gU is not None:  # U's columns leave the square: their part outside U's span, over S
        gUSinv = gU / S.unsqueeze(-2)
        return (U @ gA + gUSinv - U @ (U.mT @ gUSinv)) @ Vh
    if m < cols and gVh is not None:
        SinvgVh = gVh / S.unsqueeze(-1)
        return U @ (gA @ Vh + SinvgVh - (SinvgVh @ Vh.mT) @ Vh)
    return U @ (gA @ Vh) if m >= cols else (U @ gA) @ Vh


SVD = _decomposition("LinalgSvdBackward0", _svd_fwd, _svd_bw, ("U", "S", "Vh"))


def _check_driver(driver):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")


def svd(A, full_matrices=True, *, driver=None):
    """(U, S, Vh) with A = U diag(S) Vh, S descending; with ``full_matrices`` U and Vh square, else k =
    min(m, n) columns of U and rows of Vh. Each singular vector's sign is LAPACK's choice.

    >>> import graphgrad
    >>> graphgrad.linalg.svd(graphgrad.tensor([[3.0, 0.0], [0.0, -4.0]])).S.tolist()
    [4.0, 3.0]
    """
    _check_matrices("linalg.svd", A, square=False, kernel="linalg_svd_cpu")
    _check_driver(driver)
    return return_types.linalg_svd(_keep_outputs(SVD, A, full_matrices=bool(full_matrices)))


def svdvals(A, *, driver=None):
    """The singular values of each matrix of A, descending."""
    _check_matrices("linalg.svd", A, square=False, kernel="linalg_svd_cpu")
    _check_driver(driver)
    return _keep_outputs(SVD, A, full_matrices=False)[1]


@export("svd")
def tensor_svd(input, some=True, compute_uv=True):
    """``torch.svd``: (U, S, V) with A = U diag(S) V^T (V, not Vh); ``some`` False: U and V square; without
    ``compute_uv``, U and V are zeros."""
    if input._data.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has {input._data.ndim} "
                           "dimensions instead")
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        m, cols = input.shape[-2:]
        zeros = [Tensor._make(np.zeros(input.shape[:-2] + (r, r), S._data.dtype), False, None) for r in (m, cols)]
        return return_types.svd((zeros[0], S, zeros[1]))
    return return_types.svd((U, S, Vh.transpose(-2, -1)))


# --- eigh ------------------------------------------------------------------------------------------------
def _eigh_fwd(a, UPLO):  # noqa: N803  (PyTorch's name, readable as grad_fn._saved_UPLO)
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return w.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)


def _eigh_bw(n, gL, gV):
    L, V = _saved_outputs(n)
    gL, gV = _given(gL, gV)
    if gV is None:  # the eigenvalues only (eigvalsh): V diag(gL) V^T
        return None if gL is None else (V * gL.unsqueeze(-2)) @ V.mT
    VtgV = V.mT @ gV
    gA = 0.5 * (VtgV - VtgV.mT) / _gaps(L)  # projected onto the skew matrices: the tangent space of V
    if gL is not None:
        gA = gA + diag_embed(gL)
    return V @ (gA @ V.mT)


EIGH = _decomposition("LinalgEighBackward0", _eigh_fwd, _eigh_bw, ("eigenvalues", "eigenvectors"))


def _uplo(A, UPLO):  # noqa: N803
    _check_matrices("linalg.eigh", A, kernel="linalg_eigh_cpu", kernel_checks_dtype=True)
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A, UPLO="L"):  # noqa: N803
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix of A, read from its lower
    (``UPLO="L"``) or upper triangle. Each eigenvector's sign is LAPACK's choice.

    >>> import graphgrad
    >>> graphgrad.linalg.eigh(graphgrad.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues.tolist()
    [1.0, 3.0]
    """
    return return_types.linalg_eigh(_keep_outputs(EIGH, A, UPLO=_uplo(A, UPLO)))


def eigvalsh(A, UPLO="L"):  # noqa: N803
    """The eigenvalues, ascending, of each symmetric matrix of A."""
    return _keep_outputs(EIGH, A, UPLO=_uplo(A, UPLO))[0]
