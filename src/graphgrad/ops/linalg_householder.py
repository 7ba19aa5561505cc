"""Householder products: ``torch.linalg.householder_product`` (LAPACK's orgqr) and ``torch.geqrf`` (the QR
decomposition in Householder form), with PyTorch's nodes, checks and errors.

householder_product is an op of its own (LinalgHouseholderProductBackward0, saving input, tau and the result):
its forward is LAPACK's unblocked dorg2r, each reflector applied as dlarf applies it (to the rows and columns it
reaches, past the trailing zeros of the reflector and of the matrix); its derivative is PyTorch's
(``householder_product_backward``): the sensitivity of each reflector read off ``K = result @ grad^T``, carried
from one reflector to the next by their inverses. A backward pass that records nothing updates K on the rows and
columns each reflector reaches, as PyTorch's does in place; under ``create_graph`` the same formula runs in
graphgrad's ops on whole columns, so that it differentiates again.

geqrf has no derivative in PyTorch: its outputs carry GeqrfBackward0, whose backward raises.

>>> import graphgrad
>>> a, tau = graphgrad.geqrf(graphgrad.tensor([[3.0, 1.0], [4.0, 2.0]]))
>>> a, tau
(tensor([[-5.0000, -2.2000],
        [ 0.5000,  0.4000]]), tensor([1.6000, 0.0000]))
>>> graphgrad.linalg.householder_product(a, tau)
tensor([[-0.6000, -0.8000],
        [-0.8000,  0.6000]])
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from .._core.modes import modes
from .._dtype import is_float_np
from ._export import export
from ._op import Op, _torch_name, apply, const
from ._parser import torch_type_name
from .shape import cat, stack

_NAME = "torch.linalg.householder_product"


# --- the forward: LAPACK's dorg2r ------------------------------------------------------------------------
def _last_true(mask):
    """For each row of the boolean ``mask`` (..., n): one past the index of its last True (0 if none)."""
    n = mask.shape[-1]
    return np.where(mask.any(-1), n - np.argmax(mask[..., ::-1], axis=-1), 0)


def _reflect_left(v, tau, C):
    """``C <- (I - tau v v^T) C`` in place, for a batch, as LAPACK's dlarf (side 'L') does it: nothing where tau
    is 0; else on the rows up to v's last non-zero and the columns up to the last one non-zero in those rows,
    ``w = C^T v``, then ``C -= tau v w^T`` in the columns whose w is not 0 (BLAS's dger). v: (..., r),
    tau: (...), C: (..., r, c)."""
    r, c = C.shape[-2:]
    rows = (np.arange(r) < _last_true(v != 0)[..., None]) & (tau != 0)[..., None]
    cols = np.arange(c) < _last_true((rows[..., None] & (C != 0)).any(-2))[..., None]
    w = np.where(rows[..., None], C * v[..., None], 0).sum(-2)
    reach = rows[..., None] & (cols & (w != 0))[..., None, :]
    C[...] = np.where(reach, C + v[..., None] * (-tau[..., None, None] * w[..., None, :]), C)


def _orgqr(input, tau):
    """The first n columns of ``H_1 ... H_k`` (input: (..., m, n), tau: (..., k)): LAPACK's dorg2r on a copy of
    input. The columns past k start as the identity's; then for i = k-1 down to 0, reflector i is applied to the
    columns after it, and column i becomes ``e_i - tau_i v_i``."""
    m, n = input.shape[-2:]
    k = tau.shape[-1]
    A = input.copy()
    A[..., :, k:] = 0
    idx = np.arange(k, n)
    A[..., idx, idx] = 1
    for i in reversed(range(k)):
        t = tau[..., i]
        if i < n - 1:
            A[..., i, i] = 1
            block = A[..., i:, i + 1:]
            _reflect_left(A[..., i:, i], t, block)
            A[..., i:, i + 1:] = block
        if i < m - 1:
            A[..., i + 1:, i] *= -t[..., None]
        A[..., i, i] = 1 - t
        A[..., :i, i] = 0
    return A


# --- the derivative: PyTorch's householder_product_backward ----------------------------------------------
def _unit_lower(a):
    """The reflectors as the forward reads them: the strictly lower triangle of ``a`` with ones on its diagonal."""
    v = np.tril(a, -1)
    d = np.arange(min(a.shape[-2:]))
    v[..., d, d] = 1
    return v


def _inverse_scales(v, tau):
    """sigma with ``H(sigma_i) = H(tau_i)^-1``: ``tau / (tau ||v_i||^2 - 1)`` (v: the reflectors, by column)."""
    cols = v[..., : tau.shape[-1]]
    return tau / (tau * (cols * cols).sum(-2) - 1.0)


def _reflect_in_place(i, v, t, K, left):
    """``(I - t v v^T) K`` (left) or ``K (I - t v v^T)``, v: (..., m, 1) zero above row i, t: (..., 1): on rows
    (columns) i and after only, as PyTorch's first-order backward updates K in place."""
    vi = v[..., i:, :]
    if left:
        u = np.swapaxes(vi, -1, -2) @ K[..., i:, :]
        K[..., i:, :] -= (t[..., None] * vi) * u
    else:
        u = K[..., :, i:] @ (t[..., None] * vi)
        K[..., :, i:] -= u * np.swapaxes(vi, -1, -2)
    return K


def _reflector_grads(v, tau, sigma, K, reflect, transpose):
    """PyTorch's householder_product_backward loop, on arrays or on tensors alike (``reflect``: how K is updated,
    ``transpose``: of the last two dimensions): for each reflector i, the column i of input's gradient and the
    entry i of tau's."""
    k = tau.shape[-1]
    K = reflect(0, v[..., 0:1], sigma[..., 0:1], K, True)
    for i in range(k):
        v_i, t_i = v[..., i:i + 1], tau[..., i:i + 1]
        vv = v_i[..., i:, :]
        vHK = transpose(vv) @ K[..., i:, :]
        Kv = K[..., :, i:] @ vv
        tu = t_i[..., None]
        yield (-tu * vHK)[..., 0, :] - (tu * Kv)[..., :, 0], -(vHK[..., :, i:] @ vv)[..., 0, 0]
        if i != k - 1:
            K = reflect(i + 1, v[..., i + 1:i + 2], sigma[..., i + 1:i + 2], K, True)
            K = reflect(i, v_i, t_i, K, False)


def _backward_arrays(grad, result, input_, tau):
    """PyTorch's first-order derivative on arrays: (input's gradient, tau's), None for an empty input or tau."""
    if input_.size == 0 or tau.size == 0:
        return None, None
    v = _unit_lower(input_)
    input_grad, tau_grad = np.zeros_like(input_), np.zeros_like(tau)
    K = result @ np.swapaxes(grad, -1, -2)
    for i, (column, entry) in enumerate(_reflector_grads(v, tau, _inverse_scales(v, tau), K, _reflect_in_place,
                                                         lambda x: np.swapaxes(x, -1, -2))):
        input_grad[..., :, i], tau_grad[..., i] = column, entry
    return np.tril(input_grad, -1), tau_grad


def _hp_bw_np(node, grad):
    input_, tau, result = (t._data for t in node.saved_tensors)
    return _backward_arrays(grad, result, input_, tau)


def _reflect(i, v, t, K, left):
    """``(I - t v v^T) K`` or ``K (I - t v v^T)`` on whole columns, in graphgrad ops (PyTorch's out-of-place
    form, what its derivative records under create_graph; ``i`` unused: no rows are skipped)."""
    if left:
        return K - (t.unsqueeze(-1) * v) * (v.mT @ K)
    return K - (K @ (t.unsqueeze(-1) * v)) * v.mT


def _hp_bw(node, grad):
    """PyTorch's householder_product_backward: in place on arrays when nothing records it (``_hp_bw_np``), in
    graphgrad ops under create_graph."""
    input_, tau, result = node.saved_tensors
    if not modes.recording:
        return tuple(None if g is None else const(g) for g in
                     _backward_arrays(grad._data, result._data, input_._data, tau._data))
    if input_._data.size == 0 or tau._data.size == 0:
        return None, None
    m, n = input_.shape[-2:]
    k = tau.shape[-1]
    v = input_.tril(-1) + const(np.eye(m, n, dtype=input_._data.dtype))
    columns, entries = zip(*_reflector_grads(v, tau, _inverse_scales(v, tau), result @ grad.mT, _reflect,
                                             lambda x: x.mT))
    input_grad = stack(columns, -1)
    if k < n:  # (the columns past tau's are not read: no gradient)
        input_grad = cat([input_grad, const(np.zeros(input_.shape[:-1] + (n - k,), input_._data.dtype))], -1)
    return input_grad.tril(-1), stack(entries, -1)


HOUSEHOLDER_PRODUCT = Op("LinalgHouseholderProductBackward0", _orgqr, _hp_bw, save=("a", "b", "out"),
                         saved_names=("input", "tau", "result"), backward_np=_hp_bw_np)


def _tensor_argument(name, x, pname, position):
    if not hasattr(x, "_data"):
        raise TypeError(f"{name}(): argument '{pname}' (position {position}) must be Tensor, not "
                        f"{torch_type_name(x)}")


def householder_product(input, tau):
    """The first n columns of ``H_1 ... H_k`` (input: (..., m, n), m >= n; tau: (..., k), k <= n), where
    ``H_i = I - tau_i v_i v_i^T`` and v_i is column i of input below the diagonal, with a 1 on it (the Q of a QR
    decomposition, given geqrf's reflectors). ``torch.linalg.householder_product``."""
    _tensor_argument("linalg_householder_product", input, "input", 1)
    _tensor_argument("linalg_householder_product", tau, "tau", 2)
    a, t = input._data, tau._data
    if a.ndim < 2:
        raise RuntimeError(f"{_NAME}: input must have at least 2 dimensions.")
    if a.shape[-2] < a.shape[-1]:
        raise RuntimeError(f"{_NAME}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if t.ndim >= 1 and a.shape[-1] < t.shape[-1]:
        raise RuntimeError(f"{_NAME}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if a.ndim - t.ndim != 1:
        raise RuntimeError(f"{_NAME}: Expected tau to have one dimension less than input, but got tau.ndim equal "
                           f"to {t.ndim} and input.ndim is equal to {a.ndim}")
    if a.ndim > 2 and t.shape[:-1] != a.shape[:-2]:
        raise RuntimeError(f"{_NAME}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"[{', '.join(map(str, t.shape[:-1]))}]")
    if t.dtype != a.dtype:
        raise RuntimeError(f"{_NAME}: tau dtype {_torch_name(t.dtype)} does not match input dtype "
                           f"{_torch_name(a.dtype)}")
    if not is_float_np(a.dtype) or a.dtype.name in ("float16", "bfloat16"):
        raise NotImplementedError(f"\"orgqr_cpu\" not implemented for '{_torch_name(a.dtype)}'")
    return apply(HOUSEHOLDER_PRODUCT, input, tau)


# --- geqrf ---------------------------------------------------------------------------------------------------
def _geqrf_fwd(*inputs):
    """LAPACK's geqrf through NumPy's raw QR (which answers with the transposed factor): R on and above the
    diagonal, the reflectors below it, their scales in tau. (Its input unnamed: PyTorch's node saves nothing.)"""
    (a,) = inputs
    h, tau = np.linalg.qr(a, mode="raw")
    return np.ascontiguousarray(np.swapaxes(h, -1, -2)).astype(a.dtype), tau.astype(a.dtype)


def _geqrf_bw(node, *grads):
    raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


GEQRF = Op("GeqrfBackward0", _geqrf_fwd, _geqrf_bw, n_outputs=2)


@export("geqrf", method=False)
def geqrf(input):
    """``(a, tau)`` as LAPACK's geqrf gives them: R on and above the diagonal of ``a``, the Householder vectors
    below it, their scales in ``tau`` (``torch.geqrf``). No derivative, as in PyTorch: the outputs of an input
    that requires grad carry GeqrfBackward0, whose backward raises."""
    a = input._data
    if a.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if not is_float_np(a.dtype) or a.dtype.name in ("float16", "bfloat16"):
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{_torch_name(a.dtype)}'")
    return return_types.geqrf(apply(GEQRF, input))
