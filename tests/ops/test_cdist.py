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


# --- torch.dist -----------------------------------------------------------------------------------
DIST_P = [0.0, 0.5, 1.0, 2.0, 3.0, math.inf, -math.inf, -1.0]


def _dist_run(lib, a0, b0, p, dtype_b=None):
    a = lib.tensor(a0, requires_grad=True)
    b = lib.tensor(b0 if dtype_b is None else b0.astype(dtype_b), requires_grad=p != 0)
    out = lib.dist(a, b, p)
    out.backward()
    return out, a.grad if p != 0 else a.grad is None, b.grad if p != 0 else b.grad is None


@pytest.mark.parametrize("lib_name", ["graphgrad", "torch"])
def test_dist_p0_backward_as_torch(lib_name, torch_ref):
    # PyTorch's norm derivative at p = 0 is undefined: no gradient for self, an error for other's negation of it
    lib = graphgrad if lib_name == "graphgrad" else torch_ref
    a, b = lib.ones(3, requires_grad=True), lib.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Expected a proper Tensor but got None"):
        lib.dist(a, b, 0).backward()
    x = lib.ones(3, requires_grad=True)
    lib.norm(x, 0).backward()
    assert x.grad is None


@pytest.mark.parametrize("p", DIST_P)
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((2, 1, 3), (5, 3)), ((), (3,))])
def test_dist_values_gradients_and_node_as_torch(p, shapes, torch_ref):
    a0, b0 = _pair(shapes[0] if shapes[0] else (1, 1), shapes[1], repeat=False)
    if not shapes[0]:
        a0 = np.float32(0.5).reshape(())
    a0 = a0.reshape(shapes[0])
    mine, theirs = _dist_run(graphgrad, a0, b0, p), _dist_run(torch_ref, a0, b0, p)
    assert mine[0].grad_fn.name() == theirs[0].grad_fn.name() == "DistBackward0"
    for m, t in zip(mine, theirs):
        if isinstance(t, bool):
            assert m == t
            continue
        assert tuple(m.shape) == tuple(t.shape) and str(m.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_dist_promotes_and_saves_as_torch(torch_ref):
    a0, b0 = _pair((3, 2), (3, 2), repeat=False)
    mine, theirs = _dist_run(graphgrad, a0, b0, 2.0, np.float64), _dist_run(torch_ref, a0, b0, 2.0, np.float64)
    for m, t in zip(mine, theirs):
        assert str(m.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-6)
    node = graphgrad.dist(graphgrad.ones(2, requires_grad=True), graphgrad.zeros(2), 3).grad_fn
    assert node._saved_p == 3 and node._saved_result.item() == pytest.approx(2 ** (1 / 3))


@pytest.mark.parametrize("p", [0.5, 1.0, 2.0, 3.0, math.inf])
def test_dist_gradcheck(p):
    rng = np.random.default_rng(1)
    a = graphgrad.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = graphgrad.tensor(rng.standard_normal((2,)), requires_grad=True)
    fn = lambda x, y: graphgrad.dist(x, y, p)  # noqa: E731
    assert graphgrad.autograd.gradcheck(fn, (a, b))
    if p != math.inf:  # (the inf norm's derivative is piecewise constant: its second derivative is 0 as PyTorch's)
        assert graphgrad.autograd.gradgradcheck(fn, (a, b))


@pytest.mark.parametrize("case", [
    lambda T: T.dist(T.ones(3), T.ones(4)),
    lambda T: T.dist(T.ones(3, dtype=T.long), T.ones(3, dtype=T.long)),
    lambda T: T.dist(T.ones(3), 2),
    lambda T: T.ones(3).dist(2),
    lambda T: T.dist(T.ones(3), T.ones(3), "fro"),
    lambda T: T.dist(T.ones(0), T.ones(0), math.inf),
])
def test_dist_errors_as_torch(case, torch_ref):
    outcomes = []
    for lib in (graphgrad, torch_ref):
        with pytest.raises(Exception) as info:
            case(lib)
        outcomes.append((type(info.value).__name__, str(info.value)))
    assert outcomes[0][0] == outcomes[1][0] and outcomes[0][1].startswith(outcomes[1][1])  # (context after it)


def test_dist_of_empty_tensors_as_torch(torch_ref):
    assert graphgrad.dist(graphgrad.ones(0), graphgrad.ones(0)).item() == torch_ref.dist(
        torch_ref.ones(0), torch_ref.ones(0)).item() == 0.0
