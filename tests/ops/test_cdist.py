"""torch.cdist and torch.pdist against PyTorch: every p (0, fractional, 1, 2, larger, inf), both of cdist's
algorithms (the direct kernel and, for p = 2 on more than 25 rows, the matrix product), broadcast batches, repeated
rows (zero distances), empty inputs, the nodes recorded, the double backward PyTorch refuses, and the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphgrad

P_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.inf]
MODES = ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"]


def _pair(shape1, shape2, seed=0, repeat=True):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape1).astype(np.float32)
    b = rng.standard_normal(shape2).astype(np.float32)
    if repeat and a.shape[-2] and b.shape[-2]:
        a[..., 0, :] = b[..., 0, :]  # a zero distance (its gradient: 0, not NaN)
    return a, b


def _run(lib, a0, b0, **kwargs):
    a, b = lib.tensor(a0, requires_grad=True), lib.tensor(b0, requires_grad=True)
    out = lib.cdist(a, b, **kwargs)
    weights = lib.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(out.shape))
    (out * weights).sum().backward()
    return out, a.grad, b.grad


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("mode", MODES)
def test_values_gradients_and_node_as_torch(p, rows, mode, torch_ref):
    a0, b0 = _pair((2, rows, 4), (5, 4))
    mine, theirs = _run(graphgrad, a0, b0, p=p, compute_mode=mode), _run(torch_ref, a0, b0, p=p, compute_mode=mode)
    assert mine[0].grad_fn.name() == theirs[0].grad_fn.name()
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shapes", [((0, 3), (4, 3)), ((3, 3), (0, 3)), ((2, 3, 0), (2, 4, 0)), ((30, 0), (2, 0))])
def test_empty_inputs_as_torch(shapes, torch_ref):
    a0, b0 = _pair(*shapes)
    mine, theirs = _run(graphgrad, a0, b0), _run(torch_ref, a0, b0)
    for m, t in zip(mine, theirs):
        assert tuple(m.shape) == tuple(t.shape)
        np.testing.assert_array_equal(m.detach().numpy(), t.detach().numpy())


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_double_backward_raises_as_torch(p, torch_ref):
    a0, b0 = _pair((3, 2), (4, 2))
    errors = []
    for lib in (graphgrad, torch_ref):
        a = lib.tensor(a0.astype(np.float64), requires_grad=True)
        (g,) = lib.autograd.grad(lib.cdist(a, lib.tensor(b0.astype(np.float64)), p=p).sum(), a, create_graph=True)
        assert g.grad_fn.name() == "CdistBackwardBackward0"
        with pytest.raises(NotImplementedError) as err:
            g.sum().backward()
        errors.append(str(err.value))
    assert errors[0] == errors[1]


def test_euclidean_product_differentiates_twice():
    a = graphgrad.randn(30, 3, dtype=graphgrad.float64, requires_grad=True)
    b = graphgrad.randn(4, 3, dtype=graphgrad.float64, requires_grad=True)
    assert graphgrad.autograd.gradgradcheck(lambda x, y: graphgrad.cdist(x, y), (a, b))


def test_large_inputs_are_computed_in_blocks(monkeypatch, torch_ref):
    from graphgrad.ops import distance

    monkeypatch.setattr(distance, "_BLOCK_ELEMENTS", 64)  # many blocks of a few rows
    a0, b0 = _pair((7, 5), (6, 5))
    mine, theirs = _run(graphgrad, a0, b0, p=3.0), _run(torch_ref, a0, b0, p=3.0)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-6)


ERRORS = [
    lambda T: T.cdist(T.randn(3), T.randn(3)),
    lambda T: T.cdist(T.randn(3, 2), T.randn(3)),
    lambda T: T.cdist(T.randn(3, 2), T.randn(3, 3)),
    lambda T: T.cdist(T.randn(3, 2), T.randn(3, 2), p=-1),
    lambda T: T.cdist(T.ones(3, 2, dtype=T.long), T.ones(3, 2, dtype=T.long)),
    lambda T: T.cdist(T.randn(3, 2), T.ones(3, 2, dtype=T.long)),
    lambda T: T.cdist(T.randn(3, 2), T.randn(3, 2), compute_mode="fast"),
    lambda T: T.cdist(T.randn(3, 2), T.randn(3, 2, dtype=T.float64)),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_as_torch(k, torch_ref):
    with pytest.raises(Exception) as theirs:
        ERRORS[k](torch_ref)
    with pytest.raises(type(theirs.value)) as mine:
        ERRORS[k](graphgrad)
    assert str(mine.value) == str(theirs.value)


def test_batch_mismatch_names_both_sizes(torch_ref):
    with pytest.raises(RuntimeError) as theirs:
        torch_ref.cdist(torch_ref.randn(2, 3, 2), torch_ref.randn(3, 3, 2))
    with pytest.raises(RuntimeError) as mine:
        graphgrad.cdist(graphgrad.randn(2, 3, 2), graphgrad.randn(3, 3, 2))
    assert str(mine.value).startswith(str(theirs.value))


# --- pdist: each pair of rows once --------------------------------------------------------------------------
@pytest.mark.parametrize("p", P_VALUES)
def test_pdist_values_and_gradients_as_torch(p, torch_ref):
    x0, _ = _pair((6, 3), (1, 3))
    x0[1] = x0[0]  # a zero distance
    res = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        out = lib.pdist(x, p=p)
        (out * lib.arange(out.numel(), dtype=lib.float32)).sum().backward()
        assert out.grad_fn.name() == "PdistBackward0"
        res.append((out.detach().numpy(), x.grad.numpy()))
    for m, t in zip(*res):
        np.testing.assert_allclose(m, t, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 3), (0, 3), (3, 0)])
def test_pdist_of_few_rows_or_no_columns(shape, torch_ref):
    assert graphgrad.pdist(graphgrad.zeros(shape)).tolist() == torch_ref.pdist(torch_ref.zeros(shape)).tolist()


def test_pdist_double_backward_raises_as_torch(torch_ref):
    errors = []
    for lib in (graphgrad, torch_ref):
        x = lib.randn(4, 2, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(lib.pdist(x).sum(), x, create_graph=True)
        assert g.grad_fn.name() == "PdistBackwardBackward0"
        with pytest.raises(NotImplementedError) as err:
            g.sum().backward()
        errors.append(str(err.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("call", [lambda T: T.pdist(T.randn(3)), lambda T: T.pdist(T.randn(2, 3, 3)),
                                  lambda T: T.pdist(T.ones(3, 2, dtype=T.long)),
                                  lambda T: T.pdist(T.randn(3, 2), p=-1)])
def test_pdist_errors_as_torch(call, torch_ref):
    with pytest.raises(Exception) as theirs:
        call(torch_ref)
    with pytest.raises(type(theirs.value)) as mine:
        call(graphgrad)
    assert str(mine.value) == str(theirs.value)
