"""Spectral normalisation against PyTorch, with the same seeds: ``nn.utils.parametrizations.spectral_norm`` (u and v
drawn with normal_ at registration, 15 + n power-iteration steps, eval mode without steps, dim, eps) and the older
hook-based ``nn.utils.spectral_norm`` / ``remove_spectral_norm`` (weight_orig, weight_u, weight_v, the version in
the state_dict's metadata, loading a state_dict from before version 1): values, gradients, buffers, node names,
state_dict keys, a GAN-style double forward, training loops step by step, errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn

from ._outcomes import error_of
from ._side_by_side import as_lib, compare, grads, inputs, node, state, train_mse


def _layer(L, kind):
    return {"linear": lambda: L.nn.Linear(5, 3), "conv": lambda: L.nn.Conv2d(2, 4, 3),
            "convT": lambda: L.nn.ConvTranspose2d(2, 4, 3), "conv1d": lambda: L.nn.Conv1d(3, 2, 2)}[kind]()


def _x(L, kind):
    return {"linear": lambda: inputs(L, 4, 5), "conv": lambda: inputs(L, 2, 2, 5, 5),
            "convT": lambda: inputs(L, 2, 2, 4, 4), "conv1d": lambda: inputs(L, 2, 3, 6)}[kind]()


@pytest.mark.parametrize("kind,kwargs", [("linear", {}), ("linear", {"n_power_iterations": 3}), ("conv", {}),
                                         ("convT", {}), ("conv", {"dim": 1}), ("conv1d", {"dim": -1, "eps": 1e-3})])
def test_parametrization(torch_ref, kind, kwargs):
    def run(L):
        m = L.nn.utils.parametrizations.spectral_norm(_layer(L, kind), **kwargs)
        sn = m.parametrizations.weight[0]
        u0, v0 = sn._u.clone(), sn._v.clone()
        x = _x(L, kind)
        y = m(x)
        y.pow(2).sum().backward()
        m.eval()
        y_eval = m(x)
        sd, meta = state(m)
        return dict(u0=u0, v0=v0, y=y, y_eval=y_eval, weight=m.weight, node=node(m.weight), grads=grads(m), sd=sd,
                    meta=meta, repr=repr(m), dim=sn.dim, eps=sn.eps, n=sn.n_power_iterations)

    compare(run, torch_ref)


def test_parametrization_one_dimensional_weight(torch_ref):
    def run(L):
        m = L.nn.Module()
        m.weight = L.nn.Parameter(inputs(L, 5))
        L.nn.utils.parametrizations.spectral_norm(m)
        return dict(weight=m.weight, keys=list(m.state_dict()), node=node(m.weight))

    compare(run, torch_ref)


def test_parametrization_gan_double_forward_and_training(torch_ref):
    def run(L):
        sn = L.nn.utils.parametrizations.spectral_norm
        D = L.nn.Sequential(sn(L.nn.Linear(4, 8)), L.nn.LeakyReLU(0.2), sn(L.nn.Linear(8, 1)))
        opt = L.optim.Adam(D.parameters(), lr=0.01, betas=(0.5, 0.9))
        real, fake = inputs(L, 6, 4, seed=5), inputs(L, 6, 4, seed=6)
        record = []
        for _ in range(4):
            opt.zero_grad()
            loss = D(fake).mean() - D(real).mean()  # two forwards, each with its own power-iteration step
            loss.backward()
            opt.step()
            record.append((loss.detach(), D[0].weight.detach(), D[0].parametrizations.weight[0]._u.clone()))
        return record

    compare(run, torch_ref)


def test_parametrization_state_dict_round_trip(torch_ref):
    torch_ref.manual_seed(3)
    t = torch_ref.nn.utils.parametrizations.spectral_norm(torch_ref.nn.Linear(5, 3))
    t(inputs(torch_ref, 2, 5))
    g = gnn.utils.parametrizations.spectral_norm(gnn.Linear(5, 3))
    assert repr(g.load_state_dict(as_lib(graphgrad, t.state_dict()))) == "<All keys matched successfully>"
    g.eval(), t.eval()
    np.testing.assert_allclose(g(inputs(graphgrad, 2, 5)).detach().numpy(),
                               t(inputs(torch_ref, 2, 5)).detach().numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind,kwargs", [("linear", {}), ("conv", {"n_power_iterations": 2}), ("convT", {}),
                                         ("conv", {"dim": 1, "eps": 1e-4})])
def test_legacy_hook(torch_ref, kind, kwargs):
    def run(L):
        m = L.nn.utils.spectral_norm(_layer(L, kind), **kwargs)
        u0, v0 = m.weight_u.clone(), m.weight_v.clone()
        registered = m.weight
        x = _x(L, kind)
        y = m(x)
        y.sum().backward()
        m.eval()
        y_eval = m(x)
        sd, meta = state(m)
        return dict(u0=u0, v0=v0, registered=registered, registered_node=node(registered), y=y, y_eval=y_eval,
                    weight=m.weight, node=node(m.weight), grads=grads(m), sd=sd, meta=meta, repr=repr(m),
                    hooks=[type(h).__name__ for h in m._forward_pre_hooks.values()],
                    sd_hooks=[type(h).__name__ for h in m._state_dict_hooks.values()],
                    buffers=[n for n, _ in m.named_buffers()], params=[n for n, _ in m.named_parameters()])

    g = compare(run, torch_ref)
    assert g["meta"][""] == {"version": 1, "spectral_norm": {"weight.version": 1}}


def test_legacy_training_loop_and_remove(torch_ref):
    def run(L):
        conv = L.nn.utils.spectral_norm(L.nn.Conv1d(2, 4, 3))
        model = L.nn.Sequential(conv, L.nn.Tanh(), L.nn.Flatten(), L.nn.Linear(12, 1))
        opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        x, y = inputs(L, 5, 2, 5, seed=5), inputs(L, 5, 1, seed=6)
        record = train_mse(L, model, opt, x, y, 4,
                           lambda loss: (loss.detach(), conv.weight_orig.detach().clone(), conv.weight_u.clone()))
        out = L.nn.utils.remove_spectral_norm(conv)
        return dict(record=record, out=out is conv, weight=conv.weight, param=isinstance(conv.weight, L.nn.Parameter),
                    keys=list(conv.state_dict()), meta=state(conv)[1], hooks=len(conv._forward_pre_hooks),
                    sd_hooks=len(conv._state_dict_hooks), load_hooks=len(conv._load_state_dict_pre_hooks),
                    y=model(x), reload=error_of(lambda: conv.load_state_dict(conv.state_dict())))

    compare(run, torch_ref)


def test_legacy_state_dict_round_trip_and_version_0(torch_ref):
    torch_ref.manual_seed(1)
    t = torch_ref.nn.utils.spectral_norm(torch_ref.nn.Linear(3, 4))  # (a tall weight: W^T W is invertible)
    t(inputs(torch_ref, 2, 3))
    g = gnn.utils.spectral_norm(gnn.Linear(3, 4))
    sd = t.state_dict()
    g_sd = as_lib(graphgrad, sd)
    g_sd = type(sd)(g_sd)
    g_sd._metadata = sd._metadata
    assert repr(g.load_state_dict(g_sd)) == "<All keys matched successfully>"
    for m in (g, t):
        m.eval()
    np.testing.assert_allclose(g(inputs(graphgrad, 2, 3)).detach().numpy(), t(inputs(torch_ref, 2, 3)).detach().numpy(),
                               rtol=1e-4, atol=1e-6)

    # a state_dict from before version 1: weight (normalised), weight_orig, weight_u, no weight_v, no version
    def old_state(lib, source):
        return {"weight_orig": lib.tensor(source["weight_orig"]), "weight": lib.tensor(source["weight"]),
                "weight_u": lib.tensor(source["weight_u"]), "bias": lib.tensor(source["bias"])}

    source = {k: np.array(v.detach().numpy()) for k, v in t.state_dict().items()}
    source["weight"] = t.weight.detach().numpy().copy()
    results = []
    for lib, seed in ((graphgrad, 5), (torch_ref, 5)):
        lib.manual_seed(seed)
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4))
        results.append((repr(m.load_state_dict(old_state(lib, source))), m.weight_v.detach().numpy().copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-5)
    # missing keys of such a state_dict are reported
    for lib in (graphgrad, torch_ref):
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4))
        results.append(m.load_state_dict({"weight": lib.zeros(4, 3)}, strict=False))
    assert [list(r) for r in results[2]] == [list(r) for r in results[3]]


def test_errors_match_torch(torch_ref):
    def run(L):
        def twice():
            L.nn.utils.spectral_norm(L.nn.utils.spectral_norm(L.nn.Linear(2, 2)))

        def no_bias():
            m = L.nn.Linear(2, 2, bias=False)
            L.nn.utils.spectral_norm(m, name="bias")

        P = L.nn.utils.parametrizations
        return [error_of(twice), error_of(lambda: L.nn.utils.remove_spectral_norm(L.nn.Linear(2, 2))),
                error_of(lambda: L.nn.utils.spectral_norm(L.nn.Linear(2, 2), n_power_iterations=0)), error_of(no_bias),
                error_of(lambda: L.nn.utils.spectral_norm(L.nn.LazyLinear(2))),
                error_of(lambda: P.spectral_norm(L.nn.Linear(2, 2), name="nope")),
                error_of(lambda: P.spectral_norm(L.nn.Linear(2, 2), dim=2)),
                error_of(lambda: P.spectral_norm(L.nn.Linear(2, 2), n_power_iterations=0))]

    compare(run, torch_ref)


def test_without_torch():
    m = gnn.utils.parametrizations.spectral_norm(gnn.Linear(6, 4))
    for _ in range(30):
        m(graphgrad.zeros(1, 6))
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False)[0], 1.0, rtol=1e-4)
