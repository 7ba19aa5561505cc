"""graphgrad.autograd.functional and graphgrad.func.functional_call against PyTorch: values, graphs, errors."""

import numpy as np
import pytest

import graphgrad


def _np(value):
    """Nested tuples of tensors as nested tuples of arrays (None kept)."""
    if isinstance(value, (tuple, list)):
        return type(value)(_np(v) for v in value)
    return value.detach().numpy()


def _assert_nested_close(g, t, rtol=1e-10, atol=1e-12):
    if isinstance(t, (tuple, list)):
        assert type(g) is type(t) and len(g) == len(t)
        for gi, ti in zip(g, t):
            _assert_nested_close(gi, ti, rtol, atol)
    else:
        assert g.shape == t.shape
        np.testing.assert_allclose(g, t, rtol=rtol, atol=atol)


def _fns(lib):
    return {
        "elementwise": lambda x: x**2 * x.sin(),
        "two-in-two-out": lambda x, y: (x @ y, x.sum() * y.tanh()),
        "scalar": lambda x, y: (x.exp() * y).sum() + (x * x * y.sum()).sum(),
        "scalar-one": lambda x: (x**3).sum() * x.sum(),
        "matrix-in": lambda a: a.t() @ a + a.sum(0),
    }


def _inputs(lib, name, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    shapes = {"elementwise": [(3,)], "two-in-two-out": [(2, 3), (3,)], "scalar": [(2, 2), (2,)],
              "scalar-one": [(3,)], "matrix-in": [(2, 3)]}[name]
    arrays = [rng.standard_normal(s) for s in shapes]
    tensors = tuple(lib.tensor(a) for a in arrays)
    return tensors if len(tensors) > 1 else tensors[0]


def _vs(lib, like, seed=1):
    rng = np.random.default_rng(seed)
    if isinstance(like, tuple):
        return tuple(lib.tensor(rng.standard_normal(tuple(t.shape))) for t in like)
    return lib.tensor(rng.standard_normal(tuple(like.shape)))


def _both(torch, name, call):
    """call(lib, fn, inputs) for both libraries; returns the two results as nested arrays."""
    out = []
    for lib in (graphgrad, torch):
        out.append(_np(call(lib, _fns(lib)[name], _inputs(lib, name))))
    return out


ALL = ["elementwise", "two-in-two-out", "scalar", "scalar-one", "matrix-in"]
SCALAR = ["scalar", "scalar-one"]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_matches_torch(torch_ref, name, create_graph):
    g, t = _both(torch_ref, name, lambda lib, f, x: lib.autograd.functional.jacobian(f, x, create_graph=create_graph))
    _assert_nested_close(g, t)


@pytest.mark.parametrize("name", ALL)
def test_forward_mode_jacobian_matches_torch(torch_ref, name):
    g, t = _both(torch_ref, name, lambda lib, f, x: lib.autograd.functional.jacobian(
        f, x, vectorize=True, strategy="forward-mode"))
    _assert_nested_close(g, t)


@pytest.mark.parametrize("name", SCALAR)
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_hessian_matches_torch(torch_ref, name, strategy):
    g, t = _both(torch_ref, name, lambda lib, f, x: lib.autograd.functional.hessian(
        f, x, vectorize=strategy == "forward-mode", outer_jacobian_strategy=strategy))
    _assert_nested_close(g, t)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("which", ["vjp", "jvp"])
def test_vjp_jvp_match_torch(torch_ref, name, which):
    def call(lib, f, x):
        like = f(*x) if isinstance(x, tuple) else f(x)
        v = _vs(lib, like if which == "vjp" else x)
        return getattr(lib.autograd.functional, which)(f, x, v)

    g, t = _both(torch_ref, name, call)
    _assert_nested_close(g, t)


@pytest.mark.parametrize("name", SCALAR)
@pytest.mark.parametrize("which", ["vhp", "hvp"])
def test_vhp_hvp_match_torch(torch_ref, name, which):
    g, t = _both(torch_ref, name, lambda lib, f, x: getattr(lib.autograd.functional, which)(f, x, _vs(lib, x)))
    _assert_nested_close(g, t)


def test_float32_and_defaults_for_single_element(torch_ref):
    for lib in (graphgrad, torch_ref):
        x = lib.tensor([0.7])
        out, grad = lib.autograd.functional.vjp(lambda x: (x**3).sin(), x)
        out2, tangent = lib.autograd.functional.jvp(lambda x: (x**3).sin(), x)
        out3, hv = lib.autograd.functional.hvp(lambda x: (x**4).sum(), x)
        if lib is graphgrad:
            g = [grad.numpy(), tangent.numpy(), hv.numpy()]
            assert grad.dtype == graphgrad.float32
        else:
            t = [grad.numpy(), tangent.numpy(), hv.numpy()]
    np.testing.assert_allclose(g, t, rtol=1e-5)


def test_create_graph_results_are_differentiable_like_torch(torch_ref):
    results = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
        jac = lib.autograd.functional.jacobian(lambda x: x**2 * x.sin(), x, create_graph=True)
        hess = lib.autograd.functional.hessian(lambda x: (x**3 * x.cos()).sum(), x, create_graph=True)
        _, v = lib.autograd.functional.vjp(lambda x: x.exp() * x, x, lib.ones(3, dtype=lib.float64),
                                           create_graph=True)
        assert jac.requires_grad and hess.requires_grad and v.requires_grad
        total = jac.sum() + (hess**2).sum() + v.sum()
        (grad,) = lib.autograd.grad(total, x)
        results.append(grad.numpy())
        # without create_graph the results are detached and the caller's tensor gets no .grad
        plain = lib.autograd.functional.jacobian(lambda x: x**2, x)
        assert not plain.requires_grad and x.grad is None
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


def test_unused_input_gives_zeros(torch_ref):
    for lib in (graphgrad, torch_ref):
        x, y = lib.tensor([1.0, 2.0]), lib.tensor([3.0])
        jac = lib.autograd.functional.jacobian(lambda x, y: x * 2, (x, y))
        assert tuple(jac[1].shape) == (2, 1) and not jac[1].numpy().any()


def _error(lib, call):
    try:
        call(lib, lib.autograd.functional)
    except Exception as error:  # noqa: BLE001 - compared between the libraries
        return type(error).__name__, str(error).replace("torch.Size", "graphgrad.Size").replace(
            "torch.Tensor", "graphgrad.Tensor")
    return None


ERRORS = {
    "inputs-not-tensor": lambda lib, F: F.jacobian(lambda x: x, [1.0]),
    "inputs-tuple-item": lambda lib, F: F.vjp(lambda x, y: x, (lib.ones(2), 3.0), lib.ones(2)),
    "output-not-tensor": lambda lib, F: F.jvp(lambda x: 3.0, lib.ones(1)),
    "v-none-needs-scalar": lambda lib, F: F.vjp(lambda x: x * 2, lib.ones(2)),
    "jvp-v-none": lambda lib, F: F.jvp(lambda x: x * 2, lib.ones(2)),
    "hvp-v-none": lambda lib, F: F.hvp(lambda x: x.sum(), lib.ones(2)),
    "v-size": lambda lib, F: F.vjp(lambda x: x * 2, lib.ones(2), lib.ones(3)),
    "v-tuple-size": lambda lib, F: F.jvp(lambda x, y: x * y, (lib.ones(2), lib.ones(2)), (lib.ones(2), lib.ones(3))),
    "v-tuple-length": lambda lib, F: F.jvp(lambda x, y: x * y, (lib.ones(2), lib.ones(2)), (lib.ones(2),)),
    "v-single-for-many": lambda lib, F: F.vjp(lambda x: (x, x), lib.ones(2), lib.ones(2)),
    "hessian-vector-output": lambda lib, F: F.hessian(lambda x: x * 2, lib.ones(2)),
    "hessian-tuple-output": lambda lib, F: F.hessian(lambda x: (x.sum(), x.sum()), lib.ones(2)),
    "vhp-vector-output": lambda lib, F: F.vhp(lambda x: x * 2, lib.ones(2), lib.ones(2)),
    "strict-independent": lambda lib, F: F.vjp(lambda x, y: x * 2, (lib.ones(2), lib.ones(2)), lib.ones(2),
                                               strict=True),
    "strict-no-grad-output": lambda lib, F: F.jacobian(lambda x: lib.ones(2), lib.ones(2), strict=True),
    "strict-jacobian-independent": lambda lib, F: F.jacobian(lambda x, y: x * 2, (lib.ones(2), lib.ones(2)),
                                                             strict=True),
    "strict-linear-hessian": lambda lib, F: F.hessian(lambda x: (x * 2).sum(), lib.ones(2), strict=True),
    "strict-linear-vhp": lambda lib, F: F.vhp(lambda x: (x * 2).sum(), lib.ones(2), lib.ones(2), strict=True),
    "strict-create-graph": lambda lib, F: F.jacobian(lambda x: x * 2, lib.ones(2), strict=True, create_graph=True),
    "bad-strategy": lambda lib, F: F.jacobian(lambda x: x, lib.ones(2), strategy="sideways"),
    "forward-needs-vectorize": lambda lib, F: F.jacobian(lambda x: x, lib.ones(2), strategy="forward-mode"),
    "forward-create-graph": lambda lib, F: F.jacobian(lambda x: x, lib.ones(2), strategy="forward-mode",
                                                      create_graph=True),
    "forward-strict": lambda lib, F: F.jacobian(lambda x: x, lib.ones(2), strategy="forward-mode", strict=True),
    "vectorize-strict": lambda lib, F: F.jacobian(lambda x: x * x, lib.ones(2), vectorize=True, strict=True),
    "hessian-bad-strategy": lambda lib, F: F.hessian(lambda x: x.sum(), lib.ones(2),
                                                     outer_jacobian_strategy="sideways"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(torch_ref, name):
    g = _error(graphgrad, ERRORS[name])
    t = _error(torch_ref, ERRORS[name])
    assert g is not None and g == t


# --- functional_call ----------------------------------------------------------------------------------
def _net(lib):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
    return net


def _named_arrays(net):
    values = dict(net.named_parameters())
    values.update(net.named_buffers())
    rng = np.random.default_rng(5)
    return {k: rng.standard_normal(tuple(v.shape)).astype(np.float32) if v.is_floating_point() else v.numpy()
            for k, v in values.items()}


def test_functional_call_matches_torch_values_and_grads(torch_ref):
    arrays = _named_arrays(_net(graphgrad))
    x = np.random.default_rng(6).standard_normal((5, 3)).astype(np.float32)
    results = []
    for lib in (graphgrad, torch_ref):
        net = _net(lib)
        before = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
        params = {k: lib.tensor(a, requires_grad=a.dtype == np.float32 and "running" not in k and "num" not in k)
                  for k, a in arrays.items()}
        out = lib.func.functional_call(net, params, (lib.tensor(x),))
        weights = [params["0.weight"], params["3.bias"]]
        grads = lib.autograd.grad(out.pow(2).sum(), weights)
        # the module's own tensors are back in place (buffers aside, which train mode updates in the given ones)
        after = {k: v.detach().numpy() for k, v in net.state_dict().items()}
        for k in before:
            np.testing.assert_array_equal(before[k], after[k])
        assert all(p.grad is None for p in net.parameters())
        results.append([out.detach().numpy(), *[g.numpy() for g in grads], params["1.running_mean"].detach().numpy()])
    for g, t in zip(*results):
        np.testing.assert_allclose(g, t, rtol=1e-4, atol=1e-5)


def _linear(lib, in_features, out_features, bias=True):
    """A Linear layer with fixed weights (the libraries' random initialisations differ)."""
    lin = lib.nn.Linear(in_features, out_features, bias=bias)
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(np.linspace(-1, 1, in_features * out_features, dtype=np.float32)
                                    .reshape(out_features, in_features)))
        if bias:
            lin.bias.copy_(lib.tensor(np.linspace(0.5, -0.5, out_features, dtype=np.float32)))
    return lin


def test_functional_call_args_kwargs_and_partial_dicts(torch_ref):
    outs = []
    for lib in (graphgrad, torch_ref):
        lin = _linear(lib, 2, 2)
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        b = lib.tensor([0.5, -0.5])
        x = lib.tensor([[1.0, 1.0]])
        single = lib.func.functional_call(lin, {"weight": w, "bias": b}, x)  # a lone arg, not a tuple
        split = lib.func.functional_call(lin, ({"weight": w}, {"bias": b}), kwargs={"input": x})
        partial = lib.func.functional_call(lin, {"bias": b}, (x,))
        outs.append([single.detach().numpy(), split.detach().numpy(), partial.detach().numpy()])
    for g, t in zip(*outs):
        np.testing.assert_allclose(g, t, rtol=1e-6)


class _Tied:
    @staticmethod
    def build(lib):
        net = lib.nn.Sequential(lib.nn.Embedding(4, 3), _linear(lib, 3, 4, bias=False))
        net[1].weight = net[0].weight
        return net


def test_functional_call_tied_weights_match_torch(torch_ref):
    outs = []
    for lib in (graphgrad, torch_ref):
        net = _Tied.build(lib)
        with lib.no_grad():
            net[0].weight.copy_(lib.tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(4, 3)))
        net.append(_linear(lib, 4, 2))
        w = lib.tensor(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
        idx = lib.tensor([1, 3])
        tied = lib.func.functional_call(net, {"0.weight": w}, (idx,))
        untied = lib.func.functional_call(net, {"0.weight": w}, (idx,), tie_weights=False)
        outs.append([tied.detach().numpy(), untied.detach().numpy()])
    for g, t in zip(*outs):
        np.testing.assert_allclose(g, t, rtol=1e-6)
    assert not np.allclose(outs[0][0], outs[0][1])


CALL_ERRORS = {
    "strict-missing": lambda lib, net: lib.func.functional_call(net, {"weight": lib.ones(2, 2)}, lib.ones(1, 2),
                                                                strict=True),
    "strict-unexpected": lambda lib, net: lib.func.functional_call(
        net, {"weight": lib.ones(2, 2), "bias": lib.ones(2), "extra": lib.ones(1)}, lib.ones(1, 2), strict=True),
    "repeated-keys": lambda lib, net: lib.func.functional_call(net, ({"bias": lib.ones(2)}, {"bias": lib.ones(2)}),
                                                               lib.ones(1, 2)),
    "not-dicts": lambda lib, net: lib.func.functional_call(net, [{"bias": lib.ones(2)}, 3], lib.ones(1, 2)),
    "not-a-dict": lambda lib, net: lib.func.functional_call(net, 3, lib.ones(1, 2)),
    "tied-conflict": lambda lib, net: lib.func.functional_call(
        _Tied.build(lib), {"0.weight": lib.ones(4, 3), "1.weight": lib.zeros(4, 3)}, (lib.tensor([1]),)),
}


@pytest.mark.parametrize("name", sorted(CALL_ERRORS))
def test_functional_call_errors_match_torch(torch_ref, name):
    texts = []
    for lib in (graphgrad, torch_ref):
        net = lib.nn.Linear(2, 2)
        with pytest.raises(Exception) as info:  # noqa: PT011 - the type is compared with torch's below
            CALL_ERRORS[name](lib, net)
        texts.append((type(info.value).__name__, str(info.value).replace("torch.", "graphgrad.")))
        assert isinstance(net.weight, lib.nn.Parameter) and "extra" not in dir(net)
    assert texts[0] == texts[1]


def test_stateless_functional_call_is_the_deprecated_alias(torch_ref):
    import importlib

    outs = []
    for lib in (graphgrad, torch_ref):
        stateless = importlib.import_module(lib.__name__ + ".nn.utils.stateless")
        lin = _linear(lib, 2, 1)
        with pytest.warns(FutureWarning) as record:
            out = stateless.functional_call(lin, {"bias": lib.tensor([1.0])}, lib.ones(1, 2))
        outs.append((out.detach().numpy(), str(record[0].message)))
    np.testing.assert_allclose(outs[0][0], outs[1][0])
    assert outs[0][1] == outs[1][1]  # PyTorch's text, unchanged
