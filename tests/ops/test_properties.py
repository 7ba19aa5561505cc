"""Property-based tests (hypothesis, profile "ci" by default): random broadcastable shapes for binary ops,
random chains of ops, and the invariants of the one helper that undoes broadcasting — all against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, broadcastable_shapes, mutually_broadcastable_shapes

import graphgrad

from .._parity import assert_close, run_both

BINARY = {
    "add": (lambda T, a, b: a + b, None),
    "sub": (lambda T, a, b: T.sub(a, b, alpha=0.5), None),
    "mul": (lambda T, a, b: a * b, None),
    "div": (lambda T, a, b: a / b, "b_positive"),
    "pow": (lambda T, a, b: a ** b, "a_positive"),
    "maximum": (lambda T, a, b: T.maximum(a, b), None),
    "minimum": (lambda T, a, b: T.minimum(a, b), None),
    "atan2": (lambda T, a, b: T.atan2(a, b), "b_positive"),
    "where": (lambda T, a, b: T.where(a > b, a * 2, b), None),
    "lerp": (lambda T, a, b: T.lerp(a, b, 0.25), None),
    "matmul_like": (lambda T, a, b: (a * b).sum(-1), None),
}


@given(name=st.sampled_from(sorted(BINARY)),
       shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       seed=st.integers(0, 2**31 - 1))
def test_binary_broadcasting_matches_torch(name, shapes, seed):
    torch = pytest.importorskip("torch")
    fn, domain = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(-2, 2, size=s) for s in shapes.input_shapes)
    if domain == "b_positive":
        b = np.abs(b) + 0.5
    if domain == "a_positive":
        a = np.abs(a) + 0.5
    run_both(torch, fn, [a, b])


UNARY_SAFE = [
    lambda T, x: x.sin(),
    lambda T, x: x.tanh(),
    lambda T, x: x.sigmoid(),
    lambda T, x: x * 1.5 + 0.25,
    lambda T, x: (x.abs() + 1).log(),
    lambda T, x: x.clamp(-1.0, 1.0).exp(),
    lambda T, x: x.relu() + x * 0.1,
    lambda T, x: (x * x + 1).sqrt(),
    lambda T, x: x.softmax(-1),
    lambda T, x: x.log_softmax(-1),
    lambda T, x: x - x.mean(-1, keepdim=True),
    lambda T, x: x / (x.norm(dim=-1, keepdim=True) + 1),
    lambda T, x: x.flip(-1),
    lambda T, x: x.cumsum(-1) * 0.5,
    lambda T, x: x.transpose(0, 1).transpose(0, 1),
    lambda T, x: x.reshape(-1).reshape(x.shape),
    lambda T, x: T.cat([x[:, :1], x[:, 1:] * 2], 1),
    lambda T, x: T.stack([x, -x]).sum(0) + x,
    lambda T, x: x.pow(2) * 0.5,
    lambda T, x: T.maximum(x, x * 0.5),
    lambda T, x: x @ T.ones(x.shape[-1], x.shape[-1]) * 0.25,
    lambda T, x: x.expand(2, *x.shape).sum(0),
    lambda T, x: x.unsqueeze(0).squeeze(0).abs(),
    lambda T, x: x.erf(),
    lambda T, x: x.masked_fill(x > 1.5, 0.0),
    lambda T, x: x[T.tensor([1, 0])] if x.shape[0] == 2 else x,
]


@given(ops=st.lists(st.integers(0, len(UNARY_SAFE) - 1), min_size=3, max_size=8),
       shape=st.tuples(st.just(2), st.integers(2, 4)), seed=st.integers(0, 2**31 - 1))
def test_random_op_chains_match_torch(ops, shape, seed):
    torch = pytest.importorskip("torch")

    def chain(T, x):
        for i in ops:
            x = UNARY_SAFE[i](T, x)
        return x

    x = np.random.default_rng(seed).uniform(-2, 2, size=shape)
    run_both(torch, chain, [x], rtol=1e-4, atol=1e-4)


@given(st.data())
def test_sum_to_size_undoes_broadcasting(data):
    torch = pytest.importorskip("torch")
    big = data.draw(array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    small = data.draw(broadcastable_shapes(big, min_dims=0, max_dims=len(big)))
    if np.broadcast_shapes(small, big) != big:
        return
    arr = np.random.default_rng(0).standard_normal(big)
    g = graphgrad.tensor(arr).sum_to_size(small)
    t = torch.tensor(arr).sum_to_size(small)
    assert_close(g, t, 1e-12, 1e-12)
    # the invariant: summing back equals the sum over the broadcast axes, and the total is preserved
    assert tuple(g.shape) == tuple(small)
    np.testing.assert_allclose(g.sum().item(), arr.sum(), rtol=1e-10, atol=1e-10)
    # expand is its adjoint: <expand(x), y> == <x, sum_to_size(y)>
    x = np.random.default_rng(1).standard_normal(small)
    lhs = (graphgrad.tensor(x).expand(big) * graphgrad.tensor(arr)).sum().item()
    rhs = (graphgrad.tensor(x) * g).sum().item()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**31 - 1))
def test_broadcast_gradient_has_input_shape(shapes, seed):
    """The gradient of every broadcasting op is summed back to each input's own shape, and equals the
    gradient of the same op on explicitly expanded inputs."""
    rng = np.random.default_rng(seed)
    a_np, b_np = (rng.uniform(0.5, 2, size=s) for s in shapes.input_shapes)
    a = graphgrad.tensor(a_np, dtype=graphgrad.float64, requires_grad=True)
    b = graphgrad.tensor(b_np, dtype=graphgrad.float64, requires_grad=True)
    ((a * b + a / b) ** 2).sum().backward()
    assert tuple(a.grad.shape) == tuple(a.shape) and tuple(b.grad.shape) == tuple(b.shape)
    out = shapes.result_shape
    a2 = graphgrad.tensor(np.broadcast_to(a_np, out).copy(), dtype=graphgrad.float64, requires_grad=True)
    b2 = graphgrad.tensor(np.broadcast_to(b_np, out).copy(), dtype=graphgrad.float64, requires_grad=True)
    ((a2 * b2 + a2 / b2) ** 2).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), a2.grad.sum_to_size(a.shape).numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), b2.grad.sum_to_size(b.shape).numpy(), rtol=1e-10)


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3),
       seed=st.integers(0, 2**31 - 1))
def test_broadcast_gradcheck(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (graphgrad.tensor(rng.uniform(0.5, 2, size=s), dtype=graphgrad.float64, requires_grad=True)
            for s in shapes.input_shapes)
    assert graphgrad.autograd.gradcheck(lambda x, y: (x * y).sin() + x / y, (a, b))


@st.composite
def _index(draw, shape):
    """A random index into ``shape``: ints, slices, None, Ellipsis, integer lists and boolean masks."""
    items, d, used_ellipsis = [], 0, False
    n = draw(st.integers(1, len(shape) + 1))
    for _ in range(n):
        kinds = ["none"] + (["int", "slice", "list", "mask"] if d < len(shape) else [])
        if not used_ellipsis:
            kinds.append("ellipsis")
        kind = draw(st.sampled_from(kinds))
        if kind == "none":
            items.append(None)
        elif kind == "ellipsis":
            items.append(Ellipsis)
            used_ellipsis = True
            d = len(shape)  # what follows indexes trailing dims only: keep it simple
        else:
            size = shape[d]
            if kind == "int":
                items.append(draw(st.integers(-size, size - 1)))
            elif kind == "slice":
                start = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
                stop = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
                step = draw(st.one_of(st.none(), st.integers(1, 3)))
                items.append(slice(start, stop, step))
            elif kind == "list":
                items.append(("list", draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=4))))
            else:
                items.append(("mask", draw(st.lists(st.booleans(), min_size=size, max_size=size))))
            d += 1
    return tuple(items)


def _build_index(T, spec):
    out = []
    for item in spec:
        if isinstance(item, tuple) and item[0] == "list":
            out.append(T.tensor(item[1]))
        elif isinstance(item, tuple) and item[0] == "mask":
            out.append(T.tensor(item[1]))
        else:
            out.append(item)
    return tuple(out)


@given(st.data())
def test_random_indexing_matches_torch(data):
    torch = pytest.importorskip("torch")
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    spec = data.draw(_index(shape))
    arr = np.random.default_rng(0).standard_normal(shape)
    from .._parity import Raised, observe

    t, _ = observe(lambda T: torch.tensor(arr)[_build_index(T, spec)], torch)
    if isinstance(t, Raised):
        g, _ = observe(lambda T: graphgrad.tensor(arr)[_build_index(T, spec)], graphgrad)
        assert isinstance(g, Raised) and g.type == t.type, f"{spec}: torch {t}, graphgrad {g}"
        return
    run_both(torch, lambda T, x: x[_build_index(T, spec)] * 2, [arr])


@given(st.data())
def test_random_reductions_match_torch(data):
    torch = pytest.importorskip("torch")
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
    nd = len(shape)
    dims = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd))
    keep = data.draw(st.booleans())
    name = data.draw(st.sampled_from(["sum", "mean", "amax", "amin", "logsumexp", "norm", "var", "std", "prod",
                                      "max", "min", "cumsum", "softmax", "argmax"]))
    d0 = dims[0]
    fns = {
        "sum": lambda T, x: x.sum(tuple(dims), keepdim=keep),
        "mean": lambda T, x: x.mean(tuple(dims), keepdim=keep),
        "amax": lambda T, x: x.amax(tuple(dims), keepdim=keep),
        "amin": lambda T, x: T.amin(x, tuple(dims), keepdim=keep),
        "logsumexp": lambda T, x: x.logsumexp(tuple(dims), keepdim=keep),
        "norm": lambda T, x: x.norm(dim=tuple(dims[:2]), keepdim=keep),  # 3+ dims: torch wants a matrix norm
        "var": lambda T, x: x.var(tuple(dims), keepdim=keep),
        "std": lambda T, x: x.std(tuple(dims), keepdim=keep, unbiased=False),
        "prod": lambda T, x: x.prod(d0, keepdim=keep),
        "max": lambda T, x: x.max(d0, keepdim=keep),
        "min": lambda T, x: T.min(x, d0, keep),
        "cumsum": lambda T, x: x.cumsum(d0),
        "softmax": lambda T, x: x.softmax(d0),
        "argmax": lambda T, x: x.argmax(d0, keepdim=keep),
    }
    arr = np.random.default_rng(len(dims)).uniform(0.5, 2.0, size=shape)
    run_both(torch, fns[name], [arr])


INPLACE_STEPS = [
    lambda T, y: y.mul_(1.5),
    lambda T, y: y.add_(y.detach() * 0 + 0.5),
    lambda T, y: y[0].mul_(2),
    lambda T, y: y[:, 1:].add_(1.0),
    lambda T, y: y.t()[0].sub_(0.25),
    lambda T, y: y.__setitem__((slice(None), 0), y[:, 1].detach() * 3),
    lambda T, y: y.clamp_(-1.5, 1.5),
    lambda T, y: y.view(-1)[1:3].mul_(-1),
    lambda T, y: y.__setitem__(y.detach() > 1.0, 0.0),
    lambda T, y: y.copy_(y * 0.5),
    lambda T, y: y.unsqueeze(0).squeeze(0).div_(2.0),
    lambda T, y: y.sigmoid_(),
    lambda T, y: y.pow_(2),
]


@given(steps=st.lists(st.integers(0, len(INPLACE_STEPS) - 1), min_size=1, max_size=5),
       seed=st.integers(0, 2**31 - 1), use=st.sampled_from(["plain", "exp", "square"]))
def test_inplace_sequences_on_views_match_torch(steps, seed, use):
    """In-place writes on a non-leaf and on views of it: values, the base's grad_fn and the gradient of
    the leaf equal PyTorch's (or both raise the same error)."""
    torch = pytest.importorskip("torch")
    from .._parity import Raised, compare, grad_fn_name, observe

    arr = np.random.default_rng(seed).uniform(-2, 2, size=(3, 3))

    def scenario(T):
        x = T.tensor(arr, requires_grad=True)
        y = x * 1.0 if use == "plain" else x.exp() if use == "exp" else x * x
        for i in steps:
            INPLACE_STEPS[i](T, y)
        out = {"y": y, "fn": grad_fn_name(y), "version": y._version}
        (y * T.arange(9.0).reshape(3, 3)).sum().backward()
        out["grad"] = x.grad
        return out

    g, _ = observe(scenario, graphgrad)
    t, _ = observe(scenario, torch)
    if isinstance(t, Raised) or isinstance(g, Raised):
        assert isinstance(g, Raised) and isinstance(t, Raised), f"graphgrad {g}, torch {t}"
        assert g.type == t.type
        return
    compare(g, t, rtol=1e-4, atol=1e-5)
