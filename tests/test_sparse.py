"""Sparse COO tensors against PyTorch: construction, conversion, coalescing, sparse.mm and its gradients."""

import warnings

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.autograd import gradcheck, gradgradcheck

IDX = [[0, 1, 1, 0], [2, 0, 2, 2]]  # (0, 2) twice: uncoalesced
VALS = [3.0, 4.0, 5.0, -1.0]
DENSE = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)


def _plain(r):
    if isinstance(r, (tuple, list)):
        return [_plain(v) for v in r]
    if hasattr(r, "is_sparse") and r.is_sparse:
        return ("sparse", list(r.shape), r._nnz(), _plain(r._indices()), _plain(r._values()))
    if hasattr(r, "detach"):
        return (str(r.dtype).split(".")[-1], np.round(r.detach().numpy().astype(np.float64), 5).tolist())
    if type(r).__name__ in ("Size",):
        return list(r)
    return r


def _outcome(lib, expr):
    s = lib.sparse_coo_tensor(IDX, VALS, (2, 3))
    d = lib.tensor(DENSE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(expr, {"t": lib, "s": s, "d": d, "np": np, "IDX": IDX, "VALS": VALS})
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return (type(e).__name__, str(e).split("\n")[0])
    return ("ok", _plain(r))


CASES = [
    "s", "s.coalesce()", "s.to_dense()", "s.coalesce().to_dense()", "s.is_coalesced()", "s.coalesce().is_coalesced()",
    "s._nnz()", "s.coalesce()._nnz()", "s.sparse_dim()", "s.dense_dim()", "s.is_sparse", "d.is_sparse",
    "s.shape", "s.size()", "s.dim()", "len(s)", "str(s.dtype).split('.')[1]", "str(s.layout).split('.')[1]",
    "str(d.layout).split('.')[1]",
    "s.indices()", "s.values()", "s.coalesce().indices()", "s.coalesce().values()", "s.t()", "s.t().to_dense()",
    "s @ d", "t.mm(s, d)", "t.spmm(s, d)", "t.sparse.mm(s, d)", "t.matmul(s, d)", "s.mm(d)",
    "d.t() @ s.t()", "t.ones(2, 2) @ s", "t.mm(t.ones(2, 2), s)", "s @ s.t()", "(s + s).to_dense()",
    "t.ones(2, 3) + s", "t.ones(2, 3) - s", "s + t.ones(2, 3)", "(s * 2).to_dense()", "(2 * s).to_dense()",
    "s.sum()", "t.sparse.sum(s)", "s.to(t.float64).to_dense()", "s.double().dtype.itemsize", "s.numpy()",
    "d.to_sparse()", "t.eye(3).to_sparse()", "t.zeros(2, 2).to_sparse()", "d.to_sparse().to_dense()",
    "d.to_dense()", "d.to_sparse().is_coalesced()", "t.tensor([[0.0, 1.5], [2.0, 0.0]]).to_sparse().values()",
    "t.sparse_coo_tensor([[0, 1]], [1.0, 2.0, 3.0], (3,))", "t.sparse_coo_tensor([0, 1], [1.0, 2.0])",
    "t.sparse_coo_tensor([[0, 1]], [1.0, 2.0]).shape", "t.sparse_coo_tensor(np.array([[0, 2]]), t.ones(2))",
    "t.sparse_coo_tensor([[0, 1], [1, 0]], t.ones(2), (2, 2), dtype=t.int64)",
    "t.eye(2) + t.sparse_coo_tensor([[0, 1], [1, 0]], t.ones(2), (2, 2), dtype=t.int64)",
    "t.sparse_coo_tensor([[0, 1], [0, 1]], [[1.0, 2.0], [3.0, 4.0]], (2, 2, 2)).to_dense()",
    "t.mm(s, t.ones(2, 2))", "s.grad", "s.requires_grad", "s.detach().is_sparse",
    "t.sparse_coo_tensor(IDX, VALS, (2, 3), requires_grad=True).is_leaf",
    "(lambda ac: (ac.__enter__(), t.mm(s, d), ac.__exit__(None, None, None))[1])(t.autocast('cpu', dtype=t.float16))",
    "t.zeros(2, 3, layout=t.sparse_coo)", "t.empty(2, layout=t.sparse_coo)", "t.ones(2, layout=t.sparse_coo)",
    "t.full((2,), 1.0, layout=t.sparse_coo)", "t.zeros_like(d, layout=t.sparse_coo)", "t.zeros(2, layout=t.strided)",
    # the dense ops' functions and methods with a sparse operand (the sparse layout's rules)
    "t.add(t.ones(2, 3), s)", "t.ones(2, 3).add(s)", "t.add(t.ones(2, 3), s, alpha=2)", "t.add(s, t.ones(2, 3))",
    "s.add(s).to_dense()", "t.ones(2, 3).sub(s)", "t.sub(t.ones(2, 3), s, alpha=3)", "t.ones(2, 3).add_(s)",
    "t.ones(2, 3).sub_(s, alpha=2)", "t.ones(2, 2).matmul(s)", "t.ones(2, 2).mm(s)", "t.matmul(t.ones(2, 2), s)",
    "t.zeros(2, layout='x')", "t.full((2,), 1, layout='x')", "t.ones(2).to_dense(t.float64)",
]


@pytest.mark.parametrize("expr", CASES)
def test_sparse_as_pytorch(torch_ref, expr):
    assert _outcome(gg, expr) == _outcome(torch_ref, expr)


def _grads(lib, leaf_sparse):
    """Gradients of a GCN-like step: sparse @ (dense @ weight), w.r.t. the weight, the dense input and the
    sparse tensor (a leaf with requires_grad, or built from values that require grad)."""
    x = lib.tensor(DENSE, requires_grad=True)
    w = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    v = lib.tensor(VALS, requires_grad=not leaf_sparse)
    s = lib.sparse_coo_tensor(IDX, v, (2, 3), requires_grad=leaf_sparse)
    y = lib.sparse.mm(s, lib.mm(x, w))
    (y * y).sum().backward()
    sparse_grad = s.grad.coalesce().to_dense() if leaf_sparse else v.grad
    return [g.detach().numpy() for g in (x.grad, w.grad, sparse_grad)]


@pytest.mark.parametrize("leaf_sparse", [True, False])
def test_sparse_mm_gradients_as_pytorch(torch_ref, leaf_sparse):
    for mine, theirs in zip(_grads(gg, leaf_sparse), _grads(torch_ref, leaf_sparse)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)


def test_to_sparse_gradient_reaches_the_dense_tensor(torch_ref):
    grads = []
    for lib in (gg, torch_ref):
        a = lib.tensor([[0.0, 2.0], [3.0, 0.0]], requires_grad=True)
        y = lib.sparse.mm(a.to_sparse(), lib.ones(2, 3))
        (y * lib.arange(6.0).reshape(2, 3)).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])


def test_sparse_mm_gradcheck():
    rng = np.random.default_rng(0)
    v = gg.tensor(rng.standard_normal(4), dtype=gg.float64, requires_grad=True)
    d = gg.tensor(rng.standard_normal((3, 2)), dtype=gg.float64, requires_grad=True)

    def f(values, dense):
        return gg.sparse.mm(gg.sparse_coo_tensor(IDX, values, (2, 3)), dense)

    def g(values, dense):
        return (gg.sparse_coo_tensor(IDX, values, (2, 3)).coalesce().to_dense() * 2.0) @ dense

    assert gradcheck(f, (v, d)) and gradgradcheck(f, (v, d))
    assert gradcheck(g, (v, d)) and gradgradcheck(g, (v, d))


def test_unsupported_ops_raise_instead_of_densifying():
    s = gg.sparse_coo_tensor(IDX, VALS, (2, 3))
    with pytest.raises(NotImplementedError, match="SparseCPU"):
        s.exp()
