"""The linalg decompositions (det, slogdet, logdet, cholesky, cholesky_ex, qr, svd, svdvals, eigh, eigvalsh and
the torch.* forms) against PyTorch: values, gradients, nodes and result tuples in float32 and float64, batched
and odd sizes, the errors for inputs PyTorch refuses (type and full text), and gradcheck / gradgradcheck.

Singular vectors and eigenvectors are unique only up to sign (LAPACK's choice), so those comparisons go through
quantities that do not depend on it (squared entries, U diag(f(S)) Vh, projections); det, slogdet, the Cholesky
factor and QR's factors (R's diagonal signs as LAPACK gives them) compare directly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphgrad as gg
from graphgrad._core import sites
from graphgrad.autograd import gradcheck, gradgradcheck

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def _spd(T, a):
    """A well-conditioned symmetric positive-definite matrix made of ``a``."""
    return a @ a.mT + a.shape[-1] * T.eye(a.shape[-1], dtype=a.dtype)


def _svd_invariants(T, r):
    U, S, Vh = r
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]  # (full_matrices: the columns beyond k are any basis of the complement)
    return U * U, S, Vh * Vh, (U * S.exp().unsqueeze(-2)) @ Vh


# name -> (fn(T, a) returning tensors whose values do not depend on LAPACK's sign choices, input shape)
CASES = {
    "det": (lambda T, a: T.linalg.det(a), (3, 3)),
    "det_batch": (lambda T, a: T.det(a), (2, 3, 4, 4)),
    "det_method_1x1": (lambda T, a: a.det(), (2, 1, 1)),
    "slogdet": (lambda T, a: tuple(T.linalg.slogdet(a)), (2, 3, 3)),
    "slogdet_torch": (lambda T, a: tuple(T.slogdet(a)), (5, 5)),
    "logdet": (lambda T, a: T.logdet(a), (3, 4, 4)),  # NaN where the determinant is negative
    "cholesky": (lambda T, a: T.linalg.cholesky(_spd(T, a)), (4, 4)),
    "cholesky_batch_upper": (lambda T, a: T.linalg.cholesky(_spd(T, a), upper=True), (2, 3, 3)),
    "cholesky_ex": (lambda T, a: tuple(T.linalg.cholesky_ex(_spd(T, a))), (2, 5, 5)),
    "cholesky_torch": (lambda T, a: T.cholesky(_spd(T, a)), (3, 3)),
    "cholesky_method_upper": (lambda T, a: _spd(T, a).cholesky(upper=True), (2, 3, 3)),
    "qr_square": (lambda T, a: tuple(T.linalg.qr(a)), (4, 4)),
    "qr_tall_batch": (lambda T, a: tuple(T.linalg.qr(a)), (2, 5, 3)),
    "qr_wide": (lambda T, a: tuple(T.linalg.qr(a)), (3, 5)),
    "qr_complete_wide": (lambda T, a: tuple(T.linalg.qr(a, mode="complete")), (2, 2, 3)),
    "qr_torch": (lambda T, a: tuple(a.qr()), (4, 2)),
    "svd_tall": (lambda T, a: _svd_invariants(T, T.linalg.svd(a, full_matrices=False)), (5, 3)),
    "svd_wide_batch": (lambda T, a: _svd_invariants(T, T.linalg.svd(a, full_matrices=False)), (2, 3, 4)),
    "svd_full": (lambda T, a: _svd_invariants(T, T.linalg.svd(a)), (2, 4, 3)),
    "svd_square": (lambda T, a: _svd_invariants(T, T.linalg.svd(a)), (3, 3)),
    "svdvals": (lambda T, a: T.linalg.svdvals(a), (2, 2, 3, 5)),
    "svd_torch": (lambda T, a: (lambda r: (r.U * r.U, r.S, r.V * r.V, r.U @ T.diag_embed(r.S) @ r.V.mT))(a.svd()),
                  (4, 3)),
    "svd_torch_not_some": (lambda T, a: T.svd(a, some=False).S, (3, 5)),
    "eigh": (lambda T, a: (lambda r: (r.eigenvalues, r.eigenvectors * r.eigenvectors))(T.linalg.eigh(a + a.mT)),
             (2, 4, 4)),
    "eigh_upper": (lambda T, a: (lambda r: (r[0], r[1] @ T.diag_embed(r[0].sin()) @ r[1].mT))(
        T.linalg.eigh(a, UPLO="U")), (3, 3)),
    "eigvalsh": (lambda T, a: T.linalg.eigvalsh(a, "U"), (2, 5, 5)),
}


def _run(T, name, a, dtype):
    fn, _ = CASES[name]
    x = T.tensor(a, dtype=getattr(T, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch.cholesky's deprecation: test_deprecated_forms_warn_once)
        out = fn(T, x)
    out = out if isinstance(out, tuple) else (out,)
    floats = [o for o in out if o.dtype.is_floating_point and o.requires_grad]
    # a loss with a different weight per entry, NaN-free (logdet's NaN entries are left out)
    loss = sum((T.nan_to_num(o, 0.0) * T.tensor(np.cos(np.arange(o.numel())).reshape(o.shape), dtype=o.dtype)).sum()
               for o in floats)
    loss.backward()
    return out, x.grad


def _inputs(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    return rng.uniform(-2, 2, size=CASES[name][1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_gradients_and_nodes_as_pytorch(torch_ref, name, dtype):
    a = _inputs(name)
    mine, grad = _run(gg, name, a, dtype)
    theirs, their_grad = _run(torch_ref, name, a, dtype)
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        assert str(m.dtype) == str(t.dtype).replace("torch.", "graphgrad.")
        assert tuple(m.shape) == tuple(t.shape)
        assert type(m.grad_fn).__name__ == type(t.grad_fn).__name__
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), **TOL[dtype], equal_nan=True)
    np.testing.assert_allclose(grad.numpy(), their_grad.numpy(), **TOL[dtype])


# name -> (fn(a), input shape): gradcheck and gradgradcheck in float64
GRADCHECKS = {
    "det": (lambda a: gg.linalg.det(a), (2, 3, 3)),
    "det_singular": (lambda a: gg.linalg.det(a * gg.tensor([1.0, 1.0, 0.0], dtype=gg.float64).unsqueeze(-1)), (3, 3)),
    "slogdet": (lambda a: tuple(gg.linalg.slogdet(a)), (2, 3, 3)),
    "logdet": (lambda a: gg.logdet(_spd(gg, a)), (3, 3)),
    "cholesky": (lambda a: gg.linalg.cholesky(_spd(gg, a)), (2, 3, 3)),
    "cholesky_upper": (lambda a: gg.linalg.cholesky(_spd(gg, a), upper=True), (3, 3)),
    "cholesky_torch": (lambda a: gg.cholesky(_spd(gg, a)), (3, 3)),
    "qr_tall": (lambda a: tuple(gg.linalg.qr(a)), (2, 4, 3)),
    "qr_wide_complete": (lambda a: tuple(gg.linalg.qr(a, mode="complete")), (3, 5)),
    "svd_tall": (lambda a: _svd_invariants(gg, gg.linalg.svd(a, full_matrices=False)), (4, 3)),
    "svd_wide_full": (lambda a: _svd_invariants(gg, gg.linalg.svd(a)), (2, 2, 3)),
    "svdvals": (lambda a: gg.linalg.svdvals(a), (3, 4)),
    "eigh": (lambda a: (lambda r: (r[0], r[1] * r[1]))(gg.linalg.eigh(a + a.mT)), (2, 3, 3)),
    "eigvalsh": (lambda a: gg.linalg.eigvalsh(a + a.mT), (4, 4)),  # (eigh reads one triangle: A symmetric)
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_and_gradgradcheck(name):
    fn, shape = GRADCHECKS[name]
    x = gg.tensor(np.random.default_rng(len(name)).normal(size=shape), dtype=gg.float64, requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# --- errors ----------------------------------------------------------------------------------------------
_NOT_PD = [[1.0, 2.0], [2.0, 1.0]]
ERRORS = {
    "det_vector": lambda T: T.linalg.det(T.ones(3)),
    "det_not_square": lambda T: T.det(T.ones(2, 3)),
    "det_int": lambda T: T.linalg.det(T.ones(2, 2, dtype=T.int64)),
    "det_half": lambda T: T.linalg.det(T.ones(2, 2, dtype=T.float16)),
    "det_empty_not_square": lambda T: T.linalg.det(T.zeros(2, 0, 3)),
    "slogdet_not_square": lambda T: T.linalg.slogdet(T.ones(2, 3)),
    "slogdet_int": lambda T: T.slogdet(T.ones(2, 2, dtype=T.int32)),
    "slogdet_half": lambda T: T.linalg.slogdet(T.ones(2, 2, dtype=T.float16)),
    "logdet_vector": lambda T: T.logdet(T.ones(3)),
    "logdet_half": lambda T: T.logdet(T.ones(2, 2, dtype=T.float16)),
    "cholesky_not_pd": lambda T: T.linalg.cholesky(T.tensor(_NOT_PD)),
    "cholesky_not_pd_batch": lambda T: T.linalg.cholesky(T.stack([T.eye(2), T.tensor(_NOT_PD)])),
    "cholesky_zeros": lambda T: T.linalg.cholesky(T.zeros(3, 3, dtype=T.float64)),
    "cholesky_nan": lambda T: T.linalg.cholesky(T.tensor([[float("nan"), 1.0], [1.0, 1.0]])),
    "cholesky_upper_not_pd": lambda T: T.linalg.cholesky(T.tensor([[4.0, 9.0], [0.0, 1.0]]), upper=True),
    "cholesky_not_square": lambda T: T.linalg.cholesky(T.ones(2, 3)),
    "cholesky_int": lambda T: T.linalg.cholesky(T.ones(2, 2, dtype=T.int64)),
    "cholesky_half": lambda T: T.linalg.cholesky(T.ones(2, 2, dtype=T.float16)),
    "cholesky_ex_check": lambda T: T.linalg.cholesky_ex(T.tensor(_NOT_PD), check_errors=True),
    "cholesky_torch_not_pd": lambda T: T.cholesky(T.stack([T.eye(2), T.eye(2), T.tensor(_NOT_PD)])),
    "cholesky_torch_int": lambda T: T.cholesky(T.ones(2, 2, dtype=T.int64)),
    "cholesky_torch_vector": lambda T: T.cholesky(T.ones(2)),
    "qr_vector": lambda T: T.linalg.qr(T.ones(3)),
    "qr_int": lambda T: T.linalg.qr(T.ones(2, 3, dtype=T.int64)),
    "qr_half": lambda T: T.linalg.qr(T.ones(2, 3, dtype=T.float16)),
    "qr_mode": lambda T: T.linalg.qr(T.ones(2, 3), mode="full"),
    "svd_vector": lambda T: T.linalg.svd(T.ones(3)),
    "svd_int": lambda T: T.linalg.svd(T.ones(2, 3, dtype=T.int32)),
    "svd_half": lambda T: T.linalg.svd(T.ones(2, 3, dtype=T.float16)),
    "svd_nan_batch": lambda T: T.linalg.svd(T.tensor([[[1.0, 1.0], [1.0, 1.0]], [[float("nan"), 1.0], [1.0, 1.0]]])),
    "svd_driver": lambda T: T.linalg.svd(T.ones(2, 2), driver="gesvd"),
    "svdvals_vector": lambda T: T.linalg.svdvals(T.ones(3)),
    "svd_torch_vector": lambda T: T.svd(T.ones(3)),
    "svd_torch_int": lambda T: T.svd(T.ones(2, 2, dtype=T.int64)),
    "eigh_not_square": lambda T: T.linalg.eigh(T.ones(2, 3)),
    "eigh_vector": lambda T: T.linalg.eigvalsh(T.ones(3)),
    "eigh_int": lambda T: T.linalg.eigh(T.ones(2, 2, dtype=T.int64)),
    "eigh_half": lambda T: T.linalg.eigvalsh(T.ones(2, 2, dtype=T.float16)),
    "eigh_uplo": lambda T: T.linalg.eigh(T.eye(2), UPLO="X"),
    "eigvalsh_uplo": lambda T: T.linalg.eigvalsh(T.eye(2), "lower"),
}


def _error(T, program):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            program(T)
    return info.value


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_pytorch(torch_ref, name):
    mine, theirs = _error(gg, ERRORS[name]), _error(torch_ref, ERRORS[name])
    assert str(mine) == str(theirs)
    if isinstance(theirs, torch_ref.linalg.LinAlgError):
        assert isinstance(mine, gg.linalg.LinAlgError)
    assert isinstance(mine, RuntimeError) == isinstance(theirs, RuntimeError)
    assert isinstance(mine, NotImplementedError) == isinstance(theirs, NotImplementedError)


# --- derivatives PyTorch refuses -------------------------------------------------------------------------
BACKWARD_ERRORS = {
    "qr_r": lambda T, a: T.linalg.qr(a, mode="r").R.sum(),
    "qr_complete_tall_R": lambda T, a: T.linalg.qr(a, mode="complete").R.sum(),
    "qr_complete_tall_Q": lambda T, a: T.linalg.qr(a, mode="complete").Q.sum(),
}


@pytest.mark.parametrize("name", sorted(BACKWARD_ERRORS))
def test_backward_errors_as_pytorch(torch_ref, name):
    a = np.random.default_rng(0).normal(size=(4, 3))
    texts = []
    for T in (gg, torch_ref):
        loss = BACKWARD_ERRORS[name](T, T.tensor(a, requires_grad=True))
        with pytest.raises(RuntimeError) as info:
            loss.backward()
        texts.append(str(info.value).splitlines()[0])
    assert texts[0] == texts[1]


# --- edge cases and behaviours ---------------------------------------------------------------------------
def _describe(out):
    """Values (NaN kept), shapes, dtypes and whether each requires grad, of a tensor or tuple of them."""
    out = out if isinstance(out, tuple) else (out,)
    return [(o.detach().numpy().tolist(), tuple(o.shape), str(o.dtype).split(".")[-1], o.requires_grad) for o in out]


EDGES = {
    "det_singular": lambda T, a: T.linalg.det(T.zeros(3, 3, dtype=T.float64) + a[:3, :1]),
    "svd_inf": lambda T, a: tuple(T.linalg.svd(T.tensor([[float("inf"), 1.0], [1.0, 1.0]]))),
    "eigh_nan": lambda T, a: T.linalg.eigh(T.tensor([[float("nan"), 1.0], [1.0, 1.0]])).eigenvalues,
    "det_empty": lambda T, a: (T.linalg.det(T.zeros(0, 0)), T.linalg.det(T.zeros(0, 2, 2))),
    "slogdet_singular": lambda T, a: tuple(T.linalg.slogdet(T.zeros(2, 2))),
    "slogdet_empty": lambda T, a: tuple(T.linalg.slogdet(T.zeros(0, 0))),
    "logdet_negative": lambda T, a: T.logdet(T.tensor([[0.0, 1.0], [1.0, 0.0]])),
    "cholesky_ex_not_pd": lambda T, a: tuple(T.linalg.cholesky_ex(T.stack([T.eye(2), T.tensor(_NOT_PD)]))),
    "cholesky_ex_zeros": lambda T, a: tuple(T.linalg.cholesky_ex(T.zeros(3, 3))),
    "cholesky_empty": lambda T, a: T.linalg.cholesky(T.zeros(0, 0)),
    "qr_r_q": lambda T, a: tuple(T.linalg.qr(a, mode="r")),
    "qr_empty": lambda T, a: tuple(T.linalg.qr(T.zeros(2, 0, 3))),
    "qr_shapes": lambda T, a: [tuple(x.shape) for m in ("reduced", "complete") for x in T.linalg.qr(a, mode=m)],
    "svd_empty": lambda T, a: tuple(T.linalg.svd(T.zeros(2, 0, 3))),
    "svd_shapes": lambda T, a: [tuple(x.shape) for f in (True, False) for x in T.linalg.svd(a, full_matrices=f)],
    "svd_torch_shapes": lambda T, a: [tuple(x.shape) for s in (True, False) for x in T.svd(a, some=s)],
    "svd_torch_no_uv": lambda T, a: tuple(T.svd(a, compute_uv=False))[::2],
    "svd_diagonal": lambda T, a: tuple(T.linalg.svd(T.tensor([[3.0, 0.0], [0.0, -4.0]])))[1],
    "eigh_diagonal": lambda T, a: T.linalg.eigvalsh(T.diag(T.tensor([3.0, -1.0, 2.0]))),
    "eigh_empty": lambda T, a: tuple(T.linalg.eigh(T.zeros(0, 0))),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_cases_as_pytorch(torch_ref, name):
    a = np.random.default_rng(1).normal(size=(4, 3))
    got = []
    for T in (gg, torch_ref):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got.append(EDGES[name](T, T.tensor(a, requires_grad=True)))
    mine, theirs = got
    if isinstance(mine, list):  # shapes
        assert mine == theirs
        return
    for m, t in zip(_describe(mine), _describe(theirs)):
        np.testing.assert_allclose(np.array(m[0], dtype=float), np.array(t[0], dtype=float), rtol=1e-6, atol=1e-12)
        assert m[1:] == t[1:]


def test_result_tuples_and_saved_outputs(torch_ref):
    a = np.random.default_rng(2).normal(size=(3, 3))
    for T in (gg, torch_ref):
        x = T.tensor(a, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = [T.linalg.slogdet(x), T.slogdet(x), T.linalg.cholesky_ex(_spd(T, x)), T.linalg.qr(x), T.qr(x),
                       T.linalg.svd(x), T.svd(x), T.linalg.eigh(x)]
        names = [(type(r).__name__, r._fields if T is gg else None) for r in results]
        if T is gg:
            assert [n for n, _ in names] == ["linalg_slogdet", "slogdet", "linalg_cholesky_ex", "linalg_qr", "qr",
                                             "linalg_svd", "svd", "linalg_eigh"]
            assert names[0][1] == ("sign", "logabsdet") and names[5][1] == ("U", "S", "Vh")
            assert names[6][1] == ("U", "S", "V") and names[7][1] == ("eigenvalues", "eigenvectors")
        else:
            assert [n for n, _ in names] == ["linalg_slogdet", "slogdet", "linalg_cholesky_ex", "linalg_qr", "qr",
                                             "linalg_svd", "svd", "linalg_eigh"]
        L, info = results[2]
        assert info.grad_fn is None and not info.requires_grad and str(info.dtype).endswith("int32")
        assert type(results[6].V.grad_fn).__name__ == "TransposeBackward0"
        # what the nodes saved, as PyTorch names it
        q, r = results[3]
        assert np.allclose(q.grad_fn._saved_Q.detach().numpy(), q.detach().numpy())
        assert np.allclose(q.grad_fn._saved_R.detach().numpy(), r.detach().numpy())
        assert q.grad_fn._saved_mode == "reduced" and results[5].S.grad_fn._saved_full_matrices is True
        assert np.allclose(L.grad_fn._saved_L.detach().numpy(), L.detach().numpy()) and L.grad_fn._saved_upper is False
        assert np.allclose(results[0].sign.grad_fn._saved_A.detach().numpy(), a)


def test_sign_alone_gives_no_gradient(torch_ref):
    """slogdet's sign is piecewise constant: PyTorch's derivative ignores it, leaving .grad None."""
    for T in (gg, torch_ref):
        x = T.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
        T.linalg.slogdet(x).sign.sum().backward()
        assert x.grad is None


def test_singular_det_gradient_is_the_cofactor_matrix(torch_ref):
    a = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]  # rank 2: det 0, cofactors not 0
    grads = []
    for T in (gg, torch_ref):
        x = T.tensor(a, dtype=T.float64, requires_grad=True)
        (g,) = T.autograd.grad(T.linalg.det(x), x, create_graph=True)
        grads.append(g.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)


def test_repeated_values_have_finite_value_gradients(torch_ref):
    """The values alone (svdvals, eigvalsh) of matrices with repeated singular values / eigenvalues."""
    for fn in (lambda T, x: T.linalg.svdvals(x), lambda T, x: T.linalg.eigvalsh(x),
               lambda T, x: T.linalg.svd(x).S, lambda T, x: T.linalg.eigh(x).eigenvalues):
        grads = []
        for T in (gg, torch_ref):
            x = T.eye(3, dtype=T.float64, requires_grad=True)
            (fn(T, x) * T.tensor([1.0, 2.0, 3.0], dtype=T.float64)).sum().backward()
            grads.append(x.grad.numpy())
        np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)
        assert np.isfinite(grads[0]).all()


def test_outputs_written_in_place_refuse_backward():
    x = gg.randn(3, 3, dtype=gg.float64, requires_grad=True)
    U, S, Vh = gg.linalg.svd(x)
    loss = (U * U).sum()
    U.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    L = gg.linalg.cholesky(_spd(gg, x))
    loss = L.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


@pytest.mark.parametrize("name", ["cholesky", "qr"])
def test_deprecated_forms_warn_once(torch_ref, monkeypatch, name):
    monkeypatch.setattr(sites, "_WARNED", set())  # (another test may have made graphgrad warn already)
    messages = []
    for T in (gg, torch_ref):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                getattr(T, name)(T.eye(2))
        messages.append([str(w.message).split(" (Triggered internally")[0] for w in caught])
    assert len(messages[0]) == 1 and messages[0][0].startswith(f"torch.{name} is deprecated")
    if messages[1]:  # PyTorch warns once per process: only if nothing made it warn before
        assert messages[0] == messages[1]


# --- norms made of singular values, and torch.norm's orders -------------------------------------------
@pytest.mark.parametrize("ord_", ["nuc", 2, -2])
@pytest.mark.parametrize("dim", [(-2, -1), (2, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_singular_value_norms_as_torch(ord_, dim, keepdim, torch_ref):
    a0 = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    out = {}
    for T in (gg, torch_ref):
        a = T.tensor(a0, requires_grad=True)
        n = T.linalg.matrix_norm(a, ord_, dim=dim, keepdim=keepdim)
        n.sum().backward()
        chain = [n.grad_fn.name()] + [f.name() for f, _ in n.grad_fn.next_functions if f is not None]
        out[T] = (tuple(n.shape), chain, n.detach().numpy(), a.grad.numpy())
    mine, theirs = out[gg], out[torch_ref]
    assert mine[:2] == theirs[:2]
    np.testing.assert_allclose(mine[2], theirs[2], **TOL["float32"])
    np.testing.assert_allclose(mine[3], theirs[3], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("ord_", ["nuc", 2, -2])
def test_singular_value_norms_gradcheck(ord_):
    a = gg.tensor(np.random.default_rng(4).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x: gg.linalg.matrix_norm(x, ord_), (a,))
    assert gradgradcheck(lambda x: gg.linalg.matrix_norm(x, ord_), (a,))


@pytest.mark.parametrize("args", [("fro",), ("fro", (0, 1)), ("fro", 0), ("nuc",), ("nuc", (0, 1)), (None,), (3,),
                                  ("inf",), ("abc",), ("fro", (0, 1, 2)), ("nuc", None, True)])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_torch_norm_orders_as_torch(args, shape, torch_ref):
    a0 = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    outcomes = []
    for T in (gg, torch_ref):
        try:
            n = T.norm(T.tensor(a0), *args)
            outcomes.append(("ok", tuple(n.shape), n.numpy()))
        except RuntimeError as e:
            outcomes.append(("error", str(e)))
    assert outcomes[0][:2] == outcomes[1][:2]
    if outcomes[0][0] == "ok":
        np.testing.assert_allclose(outcomes[0][2], outcomes[1][2], **TOL["float32"])
