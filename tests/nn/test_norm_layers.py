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
