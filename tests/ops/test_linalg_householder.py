"""torch.linalg.householder_product and torch.geqrf against PyTorch: values, gradients (once, and twice under
create_graph), nodes and what they save, result tuples, in float32 and float64, batched, tall, square, fewer
reflectors than columns, empty; the errors for inputs PyTorch refuses (type and text); gradcheck and gradgradcheck
of householder_product in float64; geqrf's missing derivative."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.autograd import gradcheck, gradgradcheck
from graphgrad.ops import linalg_householder

from .._parity import error_of_program, node_name

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def _geqrf_of(T, a):
    """geqrf's factors of ``a`` (computed without history), as householder_product's usual input."""
    return tuple(T.geqrf(a.detach()))


# name -> (fn(T, *xs), input shapes); every floating output that requires grad is differentiated
CASES = {
    "tall": (lambda T, a, t: T.linalg.householder_product(a, t), [(5, 3), (3,)]),
    "square": (lambda T, a, t: T.linalg.householder_product(a, t), [(4, 4), (4,)]),
    "fewer_reflectors": (lambda T, a, t: T.linalg.householder_product(a, t), [(5, 4), (2,)]),
    "one_reflector": (lambda T, a, t: T.linalg.householder_product(a, t), [(3, 1), (1,)]),
    "no_reflectors": (lambda T, a, t: T.linalg.householder_product(a, t).detach(), [(3, 2), (0,)]),
    "batched": (lambda T, a, t: T.linalg.householder_product(a, t), [(2, 3, 4, 3), (2, 3, 3)]),
    "through_other_ops": (lambda T, a, t: T.linalg.householder_product(a * 2, t.exp()) @ a.mT, [(4, 3), (2,)]),
    "of_geqrf": (lambda T, a: (lambda f: T.linalg.householder_product(*f) * a)(_geqrf_of(T, a)), [(2, 5, 3)]),
    "geqrf": (lambda T, a: tuple(T.geqrf(a)), [(4, 3)]),
    "geqrf_wide_batched": (lambda T, a: tuple(T.geqrf(a)), [(2, 3, 5)]),
    "geqrf_empty": (lambda T, a: tuple(T.geqrf(a)), [(2, 0, 3)]),
}


def _inputs(name):
    rng = np.random.default_rng(len(name))
    return [rng.standard_normal(s) for s in CASES[name][1]]


def _run(T, name, arrays, dtype, create_graph=False):
    fn = CASES[name][0]
    xs = [T.tensor(a, dtype=getattr(T, dtype), requires_grad=True) for a in arrays]
    out = fn(T, *xs)
    out = out if isinstance(out, tuple) else (out,)
    floats = [o for o in out if o.requires_grad and o.grad_fn is not None and "Geqrf" not in node_name(o.grad_fn)]
    if not floats:
        return out, [None] * len(xs), None
    loss = sum((o * T.tensor(np.cos(np.arange(o.numel())).reshape(o.shape), dtype=o.dtype)).sum() for o in floats)
    grads = T.autograd.grad(loss, xs, allow_unused=True, create_graph=create_graph)
    if not create_graph:
        return out, grads, None
    used = [g for g in grads if g is not None and g.requires_grad]
    second = T.autograd.grad(sum((g * g).sum() for g in used), xs, allow_unused=True) if used else None
    return out, grads, second


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_gradients_and_nodes_as_pytorch(torch_ref, name, dtype):
    arrays = _inputs(name)
    mine, grads, _ = _run(gg, name, arrays, dtype)
    theirs, their_grads, _ = _run(torch_ref, name, arrays, dtype)
    assert type(mine).__name__ == type(theirs).__name__
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        assert str(m.dtype) == str(t.dtype).replace("torch.", "graphgrad.")
        assert tuple(m.shape) == tuple(t.shape)
        assert m.requires_grad == t.requires_grad
        assert node_name(m.grad_fn) == node_name(t.grad_fn)
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), **TOL[dtype])
    for g, t in zip(grads, their_grads):
        assert (g is None) == (t is None)
        if t is not None:
            np.testing.assert_allclose(g.numpy(), t.numpy(), **TOL[dtype])


@pytest.mark.parametrize("name", ["tall", "fewer_reflectors", "batched", "through_other_ops"])
def test_second_derivatives_as_pytorch(torch_ref, name):
    """Under create_graph the derivative is recorded (PyTorch's out-of-place form) and differentiates again."""
    arrays = _inputs(name)
    _, grads, second = _run(gg, name, arrays, "float64", create_graph=True)
    _, their_grads, their_second = _run(torch_ref, name, arrays, "float64", create_graph=True)
    for mine, theirs in ((grads, their_grads), (second, their_second)):
        for g, t in zip(mine, theirs):
            assert (g is None) == (t is None)
            if t is not None:
                np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), **TOL["float64"])


def test_derivative_on_arrays_equals_the_recorded_one():
    """The array path (a plain backward pass), the tensor path without create_graph (a hook looks at the
    gradient) and the recorded one give the same numbers."""
    rng = np.random.default_rng(0)
    a, t, c = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 3)), rng.standard_normal((2, 5, 4))
    results = []
    for how in ("plain", "hooked", "create_graph"):
        A, T = gg.tensor(a, requires_grad=True), gg.tensor(t, requires_grad=True)
        Q = gg.linalg.householder_product(A, T)
        if how == "hooked":
            Q.register_hook(lambda g: g * 1)
        results.append([g.detach().numpy() for g in gg.autograd.grad((Q * gg.tensor(c)).sum(), (A, T),
                                                                       create_graph=how == "create_graph")])
    for other in results[1:]:
        for x, y in zip(results[0], other):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-13)


def test_saved_tensors_as_pytorch(torch_ref):
    a, t = _inputs("tall")
    saved = []
    for T in (gg, torch_ref):
        A, tau = T.tensor(a, requires_grad=True), T.tensor(t, requires_grad=True)
        Q = T.linalg.householder_product(A, tau)
        fn = Q.grad_fn
        saved.append((sorted(x for x in dir(fn) if x.startswith("_saved_")), fn._saved_input.detach().numpy(),
                      fn._saved_tau.detach().numpy(), fn._saved_result.detach().numpy(),
                      [x for x in dir(T.geqrf(A)[0].grad_fn) if x.startswith("_saved_")]))
    (names, *arrays, geqrf_names), (their_names, *theirs, their_geqrf_names) = saved
    assert names == their_names and geqrf_names == their_geqrf_names
    for x, y in zip(arrays, theirs):
        np.testing.assert_allclose(x, y, rtol=1e-12)


# name -> (fn(*xs), input shapes): gradcheck and gradgradcheck in float64
GRADCHECKS = {
    "tall": (lambda a, t: gg.linalg.householder_product(a, t), [(4, 3), (3,)]),
    "square": (lambda a, t: gg.linalg.householder_product(a, t), [(3, 3), (3,)]),
    "fewer_reflectors": (lambda a, t: gg.linalg.householder_product(a, t), [(4, 3), (1,)]),
    "batched": (lambda a, t: gg.linalg.householder_product(a, t), [(2, 4, 2), (2, 2)]),
    "of_geqrf": (lambda a, t: gg.linalg.householder_product(a + _geqrf_of(gg, a)[0], t), [(4, 3), (2,)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_and_gradgradcheck(name):
    fn, shapes = GRADCHECKS[name]
    rng = np.random.default_rng(len(name))
    xs = [gg.tensor(rng.normal(size=s) * 0.5, dtype=gg.float64, requires_grad=True) for s in shapes]
    if name == "of_geqrf":  # (a constant offset: geqrf's factors of the input, no gradient through them)
        fn = (lambda base: lambda a, t: gg.linalg.householder_product(a + base, t))(
            _geqrf_of(gg, xs[0])[0].detach())
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)


def test_geqrf_has_no_derivative(torch_ref):
    """Both outputs carry GeqrfBackward0 (one node); backward through either raises PyTorch's error."""
    outcomes = []
    for T in (gg, torch_ref):
        a = T.randn(4, 3, requires_grad=True)
        r = T.geqrf(a)
        same_node = r.a.grad_fn is r.tau.grad_fn
        with pytest.raises(NotImplementedError) as info:
            r.tau.sum().backward()
        outcomes.append((node_name(r.a.grad_fn), same_node, r.a.requires_grad, str(info.value),
                         repr(type(r)).replace("graphgrad", "torch"), r._fields if T is gg else ("a", "tau")))
    assert outcomes[0] == outcomes[1]


# --- errors ----------------------------------------------------------------------------------------------
ERRORS = {
    "vector": "T.linalg.householder_product(T.ones(3), T.ones(1))",
    "wide": "T.linalg.householder_product(T.ones(2, 3), T.ones(1))",
    "too_many_reflectors": "T.linalg.householder_product(T.ones(3, 2), T.ones(3))",
    "tau_dims": "T.linalg.householder_product(T.ones(3, 2), T.ones(1, 1))",
    "tau_batch": "T.linalg.householder_product(T.ones(2, 3, 2), T.ones(3, 1))",
    "dtypes": "T.linalg.householder_product(T.ones(3, 2), T.ones(1, dtype=T.float64))",
    "dtypes_int_input": "T.linalg.householder_product(T.ones(3, 2, dtype=T.int64), T.ones(1))",
    "int": "T.linalg.householder_product(T.ones(3, 2, dtype=T.int64), T.ones(1, dtype=T.int64))",
    "half": "T.linalg.householder_product(T.ones(3, 2, dtype=T.float16), T.ones(1, dtype=T.float16))",
    "input_list": "T.linalg.householder_product([[1.0]], T.ones(1))",
    "tau_list": "T.linalg.householder_product(T.ones(3, 2), [1.0])",
    "tau_ndarray": "T.linalg.householder_product(T.ones(3, 2), T.ones(2).numpy())",
    "geqrf_vector": "T.geqrf(T.ones(3))",
    "geqrf_int": "T.geqrf(T.ones(3, 2, dtype=T.int64))",
    "geqrf_half": "T.geqrf(T.ones(3, 2, dtype=T.float16))",
    "geqrf_list": "T.geqrf([[1.0]])",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_pytorch(torch_ref, name):
    mine, theirs = error_of_program(gg, ERRORS[name]), error_of_program(torch_ref, ERRORS[name])
    assert type(mine).__name__ == type(theirs).__name__
    assert str(mine).replace("graphgrad", "torch") == str(theirs)


# --- edge cases ------------------------------------------------------------------------------------------
EDGES = [
    "T.linalg.householder_product(T.ones(0, 0), T.ones(0))",
    "T.linalg.householder_product(T.ones(2, 0, 0), T.ones(2, 0))",
    "T.linalg.householder_product(T.ones(3, 2), T.zeros(2))",
    "T.linalg.householder_product(T.ones(3, 2), tau=T.ones(2))",
    "T.linalg.householder_product(input=T.ones(3, 2), tau=T.ones(2))",
    "T.geqrf(T.ones(0, 3))",
    "T.geqrf(T.ones(3, 0))",
    "T.geqrf(T.zeros(3, 2))",
]


@pytest.mark.parametrize("program", EDGES)
def test_edge_cases_as_pytorch(torch_ref, program):
    mine, theirs = eval(program, {"T": gg}), eval(program, {"T": torch_ref})
    mine, theirs = (x if isinstance(x, tuple) else (x,) for x in (mine, theirs))
    for m, t in zip(mine, theirs, strict=True):
        assert tuple(m.shape) == tuple(t.shape)
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6)


def test_published_names(torch_ref):
    """torch.linalg.householder_product and torch.geqrf, nothing else: no Tensor.geqrf, no orgqr."""
    assert "householder_product" in gg.linalg.__all__
    assert callable(gg.geqrf) and not hasattr(gg, "orgqr") and not hasattr(gg.Tensor, "geqrf")
    assert hasattr(torch_ref, "geqrf") and hasattr(torch_ref.linalg, "householder_product")


def test_docstring_examples_run():
    result = doctest.testmod(linalg_householder)
    assert result.failed == 0 and result.attempted > 0
