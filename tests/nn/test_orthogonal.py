"""``nn.utils.parametrizations.orthogonal`` against PyTorch, with the same seeds: the default map (matrix_exp for
square matrices, householder otherwise), every map with and without the trivialization, square, tall, wide and
batched weights: values (orthonormal columns or rows), gradients, the outermost node names, the ``base`` buffer and
the state_dict keys, assignment through the right inverse, a training loop step by step, errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn

from ._outcomes import error_of
from ._side_by_side import both, compare, grads, inputs, node, same, state, train_mse

SHAPES = [(4, 4), (5, 3), (3, 5)]
MAPS = [None, "matrix_exp", "cayley", "householder"]


def _module(L, shape, batch=None):
    m = L.nn.Module()
    full = (batch, *shape) if batch else shape
    m.weight = L.nn.Parameter(inputs(L, *full, seed=3) * 0.5)
    return m


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal(torch_ref, shape, orthogonal_map, use_trivialization):
    def run(L):
        m = L.nn.utils.parametrizations.orthogonal(_module(L, shape), orthogonal_map=orthogonal_map,
                                                   use_trivialization=use_trivialization)
        w = m.weight
        (w * inputs(L, *shape, seed=4)).sum().backward()
        n, k = shape
        gram = w @ w.mT if n < k else w.mT @ w
        sd, meta = state(m)
        orth = m.parametrizations.weight[0]
        return dict(weight=w, gram=gram, node=node(w), grads=grads(m), sd=sd, meta=meta, repr=repr(m),
                    map=orth.orthogonal_map.name, has_base=hasattr(orth, "base"))

    g, t = both(run, torch_ref)
    same(g, t, rtol=2e-4, atol=2e-5)


def test_maps_node_names(torch_ref):
    """The square map without trivialization ends in the map's own op: LinalgMatrixExpBackward0."""
    def run(L):
        return node(L.nn.utils.parametrizations.orthogonal(_module(L, (4, 4)), use_trivialization=False).weight)

    compare(run, torch_ref)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_batched(torch_ref, orthogonal_map):
    def run(L):
        m = L.nn.utils.parametrizations.orthogonal(_module(L, (4, 3), batch=2), orthogonal_map=orthogonal_map)
        (m.weight * inputs(L, 2, 4, 3, seed=4)).sum().backward()
        return dict(weight=m.weight, grads=grads(m), base=m.parametrizations.weight[0].base)

    compare(run, torch_ref, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_assignment(torch_ref, shape, orthogonal_map):
    def run(L):
        m = L.nn.utils.parametrizations.orthogonal(_module(L, shape), orthogonal_map=orthogonal_map)
        n, k = shape
        Q = L.linalg.qr(inputs(L, max(n, k), min(n, k), seed=8))[0]
        m.weight = Q.mT if n < k else Q  # orthogonal: kept as it is, as base
        kept = m.weight
        m.weight = inputs(L, *shape, seed=9)  # not orthogonal: projected
        return dict(kept=kept, projected=m.weight, original=m.parametrizations.weight.original)

    compare(run, torch_ref, rtol=2e-4, atol=2e-5)


def test_householder_without_trivialization_assignment(torch_ref):
    def run(L):
        m = L.nn.utils.parametrizations.orthogonal(_module(L, (5, 3)), orthogonal_map="householder",
                                                   use_trivialization=False)
        Q = L.linalg.qr(inputs(L, 5, 3, seed=8))[0]
        m.weight = Q
        return dict(weight=m.weight, original=m.parametrizations.weight.original)

    compare(run, torch_ref, rtol=2e-4, atol=2e-5)


def test_training_loop(torch_ref):
    def run(L):
        model = L.nn.Sequential(L.nn.Linear(4, 4), L.nn.Tanh(), L.nn.Linear(4, 2))
        with L.no_grad():
            for i, p in enumerate(model.parameters()):
                p.copy_(inputs(L, *p.shape, seed=10 + i) * 0.5)
        L.nn.utils.parametrizations.orthogonal(model[0])
        L.nn.utils.parametrizations.orthogonal(model[2])
        opt = L.optim.SGD(model.parameters(), lr=0.1)
        x, y = inputs(L, 8, 4, seed=5), inputs(L, 8, 2, seed=6)
        return train_mse(L, model, opt, x, y, 4,
                         lambda loss: (loss.detach(), model[0].weight.detach(), model[2].weight.detach()))

    compare(run, torch_ref, rtol=2e-4, atol=2e-5)


def test_errors_match_torch(torch_ref):
    def run(L):
        P = L.nn.utils.parametrizations

        def wrong_shape():
            m = P.orthogonal(_module(L, (3, 3)))
            m.weight = L.eye(4)

        def assign_without_trivialization():
            m = P.orthogonal(_module(L, (3, 3)), use_trivialization=False)
            m.weight = L.eye(3)

        vector = L.nn.Module()
        vector.weight = L.nn.Parameter(L.ones(3))
        return [error_of(lambda: P.orthogonal(L.nn.Linear(2, 2), name="nope")), error_of(lambda: P.orthogonal(vector)),
                error_of(lambda: P.orthogonal(L.nn.Linear(2, 2), orthogonal_map="qr")), error_of(wrong_shape),
                error_of(assign_without_trivialization)]

    compare(run, torch_ref)


def test_matrix_maps_match_torch(torch_ref):
    rng = np.random.default_rng(0)
    for dtype in ("float32", "float64"):
        for scale in (0.2, 4.0):
            a = (rng.standard_normal((2, 4, 4)) * scale).astype(dtype)
            c = rng.standard_normal((2, 4, 4)).astype(dtype)
            res = []
            for L in (graphgrad, torch_ref):
                A = L.tensor(a, requires_grad=True)
                E = L.linalg.matrix_exp(A)
                (E * L.tensor(c)).sum().backward()
                res.append((E.detach().numpy(), A.grad.numpy()))
            tol = 1e-5 if dtype == "float32" else 1e-12
            for x, y in zip(*res):
                np.testing.assert_allclose(x, y, rtol=tol * 10, atol=tol * np.abs(y).max())
        a, tau = rng.standard_normal((2, 5, 3)).astype(dtype), rng.standard_normal((2, 3)).astype(dtype)
        res = []
        for L in (graphgrad, torch_ref):
            A, T = L.tensor(a, requires_grad=True), L.tensor(tau, requires_grad=True)
            Q = L.linalg.householder_product(A, T)
            (Q * L.tensor(a)).sum().backward()
            res.append((Q.detach().numpy(), A.grad.numpy(), T.grad.numpy()))
            res[-1] += tuple(x.numpy() for x in L.geqrf(L.tensor(a)))
        for x, y in zip(*res):
            np.testing.assert_allclose(x, y, rtol=1e-4 if dtype == "float32" else 1e-10, atol=1e-5)


def test_without_torch():
    m = gnn.utils.parametrizations.orthogonal(gnn.Linear(3, 5))
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(w.T @ w, np.eye(3), atol=1e-5)
    assert m.weight.grad_fn.name() == "MmBackward0"
