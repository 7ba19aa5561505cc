"""InstanceNorm1d/2d/3d, RMSNorm and LocalResponseNorm against PyTorch: outputs, gradients, running
statistics over several training steps then eval, unbatched inputs, PyTorch's warnings and errors."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn

from ._outcomes import outcome_of
from .test_modules import X, parity


def _m(name, *args, **kw):
    return lambda t: getattr(t.nn, name)(*args, **kw)


CASES = [
    ("instance1d", _m("InstanceNorm1d", 3), [X(2, 3, 6)], {}),
    ("instance1d-affine-unbatched", _m("InstanceNorm1d", 3, affine=True), [X(3, 6)], {}),
    ("instance2d-running-stats", _m("InstanceNorm2d", 3, affine=True, track_running_stats=True),
     [X(2, 3, 4, 5)], {"modes": ("train", "eval", "train"), "steps": 2}),
    ("instance2d-cumulative-momentum", _m("InstanceNorm2d", 3, track_running_stats=True, momentum=None),
     [X(2, 3, 4, 5)], {"modes": ("train", "eval")}),
    ("instance3d", _m("InstanceNorm3d", 2, affine=True, bias=False, eps=1e-3), [X(2, 2, 3, 4, 3)], {}),
    ("instance3d-unbatched-stats", _m("InstanceNorm3d", 2, track_running_stats=True),
     [X(2, 3, 4, 3)], {"modes": ("train", "eval")}),
    ("rmsnorm", _m("RMSNorm", 5), [X(3, 4, 5)], {}),
    ("rmsnorm-shape-eps", _m("RMSNorm", [4, 5], eps=1e-2), [X(3, 4, 5)], {}),
    ("rmsnorm-no-affine", _m("RMSNorm", 5, elementwise_affine=False), [X(2, 5)], {}),
    ("local-response-norm", _m("LocalResponseNorm", 3, alpha=0.1, beta=0.6, k=1.5), [X(2, 5, 3, 4)], {}),
]


@pytest.mark.parametrize("make,inputs,opts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_norm_layers_match_torch(torch_ref, make, inputs, opts):
    parity(torch_ref, make, inputs, **opts)


def test_reprs_and_state_dict_keys(torch_ref):
    for make in [_m("InstanceNorm1d", 3), _m("InstanceNorm2d", 3, affine=True, track_running_stats=True),
                 _m("RMSNorm", (2, 3)), _m("RMSNorm", 4, eps=1e-6, elementwise_affine=False),
                 _m("LocalResponseNorm", 2)]:
        tm, gm = make(torch_ref), make(graphgrad)
        assert repr(gm) == repr(tm)
        assert list(gm.state_dict()) == list(tm.state_dict())


def test_errors_and_warnings_match(torch_ref):
    def cases(t):
        return [
            lambda: t.nn.InstanceNorm1d(3)(t.zeros(2, 3, 4, 5)),
            lambda: t.nn.InstanceNorm2d(3)(t.zeros(3, 4)),
            lambda: t.nn.InstanceNorm3d(3)(t.zeros(2, 3, 4)),
            lambda: t.nn.InstanceNorm1d(3, affine=True)(t.zeros(2, 4, 5)),
            lambda: t.nn.InstanceNorm1d(3)(t.randn(2, 4, 5)),  # affine=False: only a warning
            lambda: t.nn.InstanceNorm1d(3)(t.zeros(2, 3, 1)),
            lambda: t.nn.RMSNorm(4)(t.zeros(2, 3)),
            lambda: t.nn.functional.rms_norm(t.zeros(2, 3), (3,), t.ones(2)),
            lambda: t.nn.functional.instance_norm(t.ones(2, 3, 4), t.zeros(4), t.ones(4)),
            lambda: t.nn.functional.instance_norm(t.ones(2, 3, 4), t.zeros(3), t.ones(4)),
        ]

    for g, t in zip(cases(graphgrad), cases(torch_ref)):
        assert outcome_of(g) == outcome_of(t)


def test_old_checkpoint_running_stats_are_reported(torch_ref):
    def load(t):
        m = t.nn.InstanceNorm1d(3)
        sd = OrderedDict(running_mean=t.zeros(3), running_var=t.ones(3))
        sd._metadata = {"": {}}  # saved before versions were recorded
        return m.load_state_dict(sd, strict=False)

    assert outcome_of(lambda: load(graphgrad)) == outcome_of(lambda: load(torch_ref))


def test_rmsnorm_default_eps_is_the_dtypes_epsilon():
    x = graphgrad.full((1, 4), 1e-5, dtype=graphgrad.float64)
    expected = 1e-5 / np.sqrt(1e-10 + np.finfo(np.float64).eps)
    np.testing.assert_allclose(gnn.RMSNorm(4, dtype=graphgrad.float64)(x).detach().numpy(), expected, rtol=1e-12)


# --- SyncBatchNorm: on the CPU, the plain batch norm until a process group is initialized ---------------
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 4), (2, 3, 2, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_sync_batch_norm_as_torch(shape, training, torch_ref):
    x0 = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out = {}
    for T in (graphgrad, torch_ref):
        T.manual_seed(0)
        m = T.nn.SyncBatchNorm(3, momentum=None)
        m.train(training)
        x = T.tensor(x0, requires_grad=True)
        for _ in range(2):
            y = m(x)
        y.square().sum().backward()
        out[T] = [y.detach().numpy(), x.grad.numpy(), m.running_mean.numpy(), m.running_var.numpy(),
                  int(m.num_batches_tracked), y.grad_fn.name(), repr(m)]
    for a, b in zip(out[graphgrad], out[torch_ref]):
        if isinstance(b, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
        else:
            assert a == b


def test_convert_sync_batchnorm_as_torch(torch_ref):
    reprs, shared = [], []
    for T in (graphgrad, torch_ref):
        inner = T.nn.Sequential(T.nn.BatchNorm1d(4, affine=False))
        net = T.nn.Sequential(T.nn.Conv2d(1, 3, 3), T.nn.BatchNorm2d(3), inner)
        net.eval()
        converted = T.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        reprs.append(repr(converted))
        shared.append((converted[1].weight is net[1].weight, converted[1].running_mean is net[1].running_mean,
                       converted[1].training, converted[2][0].weight is None, list(converted.state_dict())))
    assert reprs[0] == reprs[1] and shared[0] == shared[1]


@pytest.mark.parametrize("case", ["1d", "no_channels", "initialized"])
def test_sync_batch_norm_errors_as_torch(case, torch_ref, monkeypatch):
    outcomes = []
    for T in (graphgrad, torch_ref):
        m = T.nn.SyncBatchNorm(3 if case != "no_channels" else 0)
        x = T.ones(4) if case == "1d" else T.ones(4, 3 if case != "no_channels" else 0)
        if case == "initialized":  # (a process group: PyTorch's synchronised kernel runs on accelerators only)
            monkeypatch.setattr(T.distributed, "is_initialized", lambda: True)
        with pytest.raises(ValueError) as info:
            m(x)
        outcomes.append((str(info.value), int(m.num_batches_tracked)))
    assert outcomes[0] == outcomes[1]
