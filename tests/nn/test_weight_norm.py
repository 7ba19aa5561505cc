"""Weight normalisation against PyTorch: ``nn.utils.parametrizations.weight_norm`` (original0/original1, dim), the
older hook-based ``nn.utils.weight_norm`` / ``remove_weight_norm`` (weight_g, weight_v, the forward pre-hook), and
the kernel under both (PyTorch's ``torch._weight_norm`` / ``torch.norm_except_dim``: one WeightNormInterfaceBackward0
node for the first or last dim, composed ops otherwise): values, gradients (twice), node names, state_dict keys and
metadata, loading the older keys into the parametrization, a training loop step by step, errors and warnings."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn
from graphgrad.autograd import gradcheck, gradgradcheck
from graphgrad.ops import normalization

from ._outcomes import error_of, outcome_of
from ._side_by_side import as_lib, compare, grads, inputs, node, state, train_mse


def _walk(fn):
    """The names of a graph's nodes, depth first (AccumulateGrad without PyTorch's namespace)."""
    if fn is None:
        return []
    return [fn.name().rsplit("::", 1)[-1]] + [n for nxt, _ in fn.next_functions for n in _walk(nxt)]


@pytest.mark.parametrize("shape,dim", [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), 2),
                                       ((2, 3, 4, 2), 2), ((5,), 0)])
def test_kernel_values_gradients_and_graph(torch_ref, shape, dim):
    def run(L):
        v = inputs(L, *shape).requires_grad_()
        ned, wn = L.norm_except_dim, L._weight_norm
        g = (ned(v, 2, dim).detach() * 1.5 + 0.1).requires_grad_()
        w = wn(v, g, dim)
        gv, gg = L.autograd.grad((w * inputs(L, *shape, seed=2)).sum(), (v, g), create_graph=True)
        hv = L.autograd.grad((gv * gv).sum() + gg.sum(), v)[0]
        return dict(w=w, gv=gv, gg=gg, hv=hv, graph=_walk(w.grad_fn), norm=ned(v, 2, dim), norm_graph=_walk(
            ned(v, 2, dim).grad_fn))

    compare(run, torch_ref)


def test_kernel_gradcheck():
    """First derivatives against finite differences everywhere; second ones where PyTorch composes ordinary ops.
    The fused node's second derivative treats the norms as constants, as PyTorch's does (its gradgradcheck of
    ``torch._weight_norm`` fails the same way): test_kernel_values_gradients_and_graph holds it to PyTorch's."""
    rng = np.random.default_rng(0)
    for shape, dim in [((3, 4), 0), ((2, 3, 4), 2), ((2, 3, 4), 1), ((3, 4), -1)]:
        v = graphgrad.tensor(rng.standard_normal(shape), requires_grad=True)
        g = graphgrad.tensor(graphgrad.norm_except_dim(v, 2, dim).detach().numpy() + 0.5, requires_grad=True)
        assert gradcheck(lambda a, b, d=dim: graphgrad._weight_norm(a, b, d), (v, g))
        if dim not in (0, len(shape) - 1):
            assert gradgradcheck(lambda a, b, d=dim: graphgrad._weight_norm(a, b, d), (v, g))


@pytest.mark.parametrize("layer,dim", [("linear", 0), ("linear", 1), ("linear", None), ("conv", 0), ("conv", 2),
                                       ("convT", 1)])
def test_parametrization(torch_ref, layer, dim):
    def run(L):
        make = {"linear": lambda: L.nn.Linear(4, 3), "conv": lambda: L.nn.Conv2d(2, 3, 3),
                "convT": lambda: L.nn.ConvTranspose2d(2, 3, 3)}[layer]
        m = L.nn.utils.parametrizations.weight_norm(make(), dim=dim)
        x = inputs(L, 2, 4) if layer == "linear" else inputs(L, 1, 2, 5, 5)
        m(x).pow(2).sum().backward()
        sd, meta = state(m)
        return dict(weight=m.weight, node=node(m.weight), grads=grads(m), sd=sd, meta=meta, repr=repr(m),
                    g_shape=tuple(m.parametrizations.weight.original0.shape), dim=m.parametrizations.weight[0].dim)

    compare(run, torch_ref)


def test_parametrization_training_loop(torch_ref):
    def run(L):
        wn = L.nn.utils.parametrizations.weight_norm
        model = L.nn.Sequential(wn(L.nn.Linear(4, 8)), L.nn.ReLU(), wn(L.nn.Linear(8, 1), dim=None))
        opt = L.optim.Adam(model.parameters(), lr=0.01)
        x, y = inputs(L, 16, 4, seed=5), inputs(L, 16, 1, seed=6)
        return train_mse(L, model, opt, x, y, 5, lambda loss: (
            loss.detach(), model[0].weight.detach(), model[2].parametrizations.weight.original0.detach()))

    compare(run, torch_ref)


def test_parametrization_state_dict_round_trip_and_old_keys(torch_ref):
    t = torch_ref.nn.utils.parametrizations.weight_norm(torch_ref.nn.Linear(4, 3))
    with torch_ref.no_grad():
        t.parametrizations.weight.original0.mul_(2.0)
    g = gnn.utils.parametrizations.weight_norm(gnn.Linear(4, 3))
    assert repr(g.load_state_dict(as_lib(graphgrad, t.state_dict()))) == "<All keys matched successfully>"
    x = inputs(graphgrad, 2, 4)
    np.testing.assert_allclose(g(x).detach().numpy(), t(inputs(torch_ref, 2, 4)).detach().numpy(), rtol=1e-4)
    # a state_dict of the older weight_norm (weight_g, weight_v) loads into the parametrization
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch_ref.nn.utils.weight_norm(torch_ref.nn.Linear(4, 3))
    for lib, module in ((torch_ref, t), (graphgrad, g)):
        result = module.load_state_dict(as_lib(lib, old.state_dict()))
        assert repr(result) == "<All keys matched successfully>"
    np.testing.assert_allclose(g.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-4)
    np.testing.assert_allclose(g.weight.detach().numpy(), old.weight.detach().numpy(), rtol=1e-4)


def test_remove_parametrization_keeps_the_weight(torch_ref):
    def run(L):
        m = L.nn.utils.parametrizations.weight_norm(L.nn.Linear(4, 3))
        before = m.weight.detach().clone()
        L.nn.utils.parametrize.remove_parametrizations(m, "weight")
        return dict(before=before, after=m.weight, cls=type(m).__name__, keys=list(m.state_dict()),
                    param=isinstance(m.weight, L.nn.Parameter))

    compare(run, torch_ref)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_legacy_hook(torch_ref, dim):
    def run(L):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = L.nn.utils.weight_norm(L.nn.Linear(4, 3), dim=dim)
        hooks = [type(h).__name__ for h in m._forward_pre_hooks.values()]
        x = inputs(L, 2, 4)
        first = m(x)
        with L.no_grad():
            m.weight_g.mul_(2.0)
        second = m(x)
        second.sum().backward()
        sd, meta = state(m)
        return dict(warnings=[(w.category.__name__, str(w.message)) for w in caught], hooks=hooks, first=first,
                    second=second, weight=m.weight, node=node(m.weight), grads=grads(m), sd=sd, meta=meta,
                    repr=repr(m), weight_is_param=isinstance(m.weight, L.nn.Parameter))

    compare(run, torch_ref)


def test_legacy_training_loop_and_remove(torch_ref):
    def run(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            conv = L.nn.utils.weight_norm(L.nn.Conv1d(2, 4, 3))
        model = L.nn.Sequential(conv, L.nn.Tanh(), L.nn.Flatten(), L.nn.Linear(12, 1))
        opt = L.optim.SGD(model.parameters(), lr=0.1)
        x, y = inputs(L, 5, 2, 5, seed=5), inputs(L, 5, 1, seed=6)
        record = []
        for _ in range(4):
            opt.zero_grad()
            loss = L.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            record.append((loss.detach(), conv.weight_g.detach().clone(), conv.weight_v.detach().clone()))
        model(x)
        out = L.nn.utils.remove_weight_norm(conv)
        return dict(record=record, out=out is conv, weight=conv.weight, param=isinstance(conv.weight, L.nn.Parameter),
                    keys=list(conv.state_dict()), hooks=len(conv._forward_pre_hooks), y=model(x))

    compare(run, torch_ref)


def test_legacy_errors_and_warning(torch_ref):
    def run(L):
        def twice():
            m = L.nn.utils.weight_norm(L.nn.Linear(2, 2))
            L.nn.utils.weight_norm(m)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            errors = [error_of(twice), error_of(lambda: L.nn.utils.remove_weight_norm(L.nn.Linear(2, 2))),
                      error_of(lambda: L.nn.utils.weight_norm(L.nn.Linear(2, 2), name="nope"))]
        return dict(errors=errors, outcome=outcome_of(lambda: L.nn.utils.weight_norm(L.nn.Linear(2, 2))))

    compare(run, torch_ref)


def test_legacy_lazy_module_refused(torch_ref):
    def run(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return error_of(lambda: L.nn.utils.weight_norm(L.nn.LazyLinear(3)))

    compare(run, torch_ref)


def test_without_torch():
    m = gnn.utils.parametrizations.weight_norm(gnn.Linear(3, 2))
    assert m.weight.grad_fn.name() == "WeightNormInterfaceBackward0"
    np.testing.assert_allclose(m.parametrizations.weight.original0.detach().numpy()[:, 0],
                               np.linalg.norm(m.weight.detach().numpy(), axis=1), rtol=1e-5)


# --- the kernel as published: graphgrad._weight_norm, graphgrad.norm_except_dim ----------------------------------
def test_kernel_node_saves_what_pytorchs_saves(torch_ref):
    """``grad_fn._saved_v``, ``_saved_g``, ``_saved_dim`` and ``_saved_result1`` (the norms, shaped as g, without
    history), and PyTorch's error for reading them once a backward pass freed them."""
    def run(L):
        v = inputs(L, 3, 4).requires_grad_()
        g = (inputs(L, 3, 1, seed=2).abs() + 0.5).requires_grad_()
        fn = L._weight_norm(v, g, 0).grad_fn
        saved = dict(names=sorted(a for a in dir(fn) if a.startswith("_saved_")), v=fn._saved_v, g=fn._saved_g,
                     dim=fn._saved_dim, norms=fn._saved_result1, history=fn._saved_result1.grad_fn is None,
                     last=L._weight_norm(v, inputs(L, 1, 4, seed=3), 1).grad_fn._saved_result1)
        (L._weight_norm(v, g, 0) * 1).sum().backward()
        y = L._weight_norm(v, g, 0)
        y.sum().backward()
        text = error_of(lambda: y.grad_fn._saved_result1)[1]
        return saved, text.splitlines()[0]

    compare(run, torch_ref)


ERRORS = [
    "T._weight_norm(T.ones(3, 4, dtype=T.int64), T.ones(3, 1, dtype=T.int64), 0)",
    "T._weight_norm(T.ones(2, 3, 4, dtype=T.int64), T.ones(1, 3, 1, dtype=T.int64), 1)",
    "T._weight_norm(T.ones(3, 4), T.ones(3, 1, dtype=T.float64), 0)",
    "T._weight_norm(T.ones(3, 4, dtype=T.float16), T.ones(1, 4), 1)",
    "T._weight_norm(T.tensor(2.0), T.tensor(3.0), -1)",
    "T._weight_norm(T.ones(3, 4), T.ones(3, 1), -3)",
    "T._weight_norm(T.ones(3, 4), T.ones(3, 1), 1.0)",
    "T._weight_norm([[1.0]], T.ones(1, 1))",
    "T._weight_norm(T.ones(3, 4))",
    "T.norm_except_dim(T.ones(3, 4, dtype=T.int64), 2, 0)",
    "T.norm_except_dim(T.ones(3, 4, dtype=T.int64), 2, -1)",
    "T.norm_except_dim(T.ones(3, 4), 2, 5)",
    "T.norm_except_dim(T.tensor(2.0), 2, 0)",
    "T.norm_except_dim(T.ones(3, 4), 2.0, 0)",
    "T.norm_except_dim(T.ones(3, 4), 2, None)",
]


@pytest.mark.parametrize("program", ERRORS)
def test_kernel_errors(torch_ref, program):
    mine, theirs = (error_of(lambda L=L: eval(program, {"T": L})) for L in (graphgrad, torch_ref))
    assert mine[0].__name__ == theirs[0].__name__
    assert mine[1].replace("graphgrad", "torch") == theirs[1]


@pytest.mark.parametrize("shape,dim,pow", [((3, 4), 0, 2), ((3, 4), 1, 3), ((2, 3, 4), 1, 1), ((3, 4), -1, 2),
                                           ((2, 3), -2, 2), ((3, 0), 0, 2)])
def test_norm_except_dim(torch_ref, shape, dim, pow):
    def run(L):
        v = inputs(L, *shape).requires_grad_()
        n = L.norm_except_dim(v, pow, dim)
        (gv,) = L.autograd.grad((n * n.detach().add(1)).sum(), v) if n.numel() else (None,)
        return dict(n=n, gv=gv, graph=_walk(n.grad_fn))

    compare(run, torch_ref)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("dim", [0, 1])
def test_kernel_half_precision(torch_ref, dtype, dim):
    """The fused node for half precision too, its norms in float32 (PyTorch's opmath type)."""
    pytest.importorskip("ml_dtypes") if dtype == "bfloat16" else None

    def run(L):
        dt = getattr(L, dtype)
        v = inputs(L, 3, 4).to(dt).requires_grad_()
        g = (inputs(L, *((3, 1) if dim == 0 else (1, 4)), seed=2).abs() + 0.5).to(dt).requires_grad_()
        w = L._weight_norm(v, g, dim)
        norms = w.grad_fn._saved_result1
        gv, gg = L.autograd.grad((w * inputs(L, 3, 4, seed=3).to(dt)).sum(), (v, g))
        return dict(w=w.float(), node=node(w), norms=norms, gv=gv.float(), gg=gg.float(),
                    dtypes=(str(w.dtype).split(".")[-1], str(gv.dtype).split(".")[-1]))

    compare(run, torch_ref, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("fill", [0.0, 1e-45, float("inf"), float("nan")])
@pytest.mark.parametrize("how", ["plain", "hooked", "create_graph"])
def test_kernel_special_values(torch_ref, fill, how):
    """NaN and inf where PyTorch's are, on the array path (plain), through the derivative in graphgrad ops without
    create_graph (a hook looks at the gradients: PyTorch's kernel formula there too), and under create_graph
    (PyTorch's differentiable formula)."""
    def run(L):
        out = {}
        for dim, gshape in ((0, (3, 1)), (1, (1, 4))):
            v = L.full((3, 4), fill).requires_grad_()
            g = L.full(gshape, fill).requires_grad_()
            w = L._weight_norm(v, g, dim)
            if how == "hooked":
                w.register_hook(lambda grad: grad * 1)
            out[dim] = (w, *L.autograd.grad(w.sum(), (v, g), create_graph=how == "create_graph"))
        return out

    compare(run, torch_ref)


def test_kernel_docstring_examples_run():
    result = doctest.testmod(normalization)
    assert result.failed == 0 and result.attempted > 0
