"""3-D convolutions against PyTorch: F.conv3d / F.conv_transpose3d (values, every input gradient, strides,
padding, dilation, groups, unbatched inputs, errors), gradcheck/gradgradcheck in float64, and the
Conv3d / ConvTranspose3d layers."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
from graphgrad.autograd import gradcheck, gradgradcheck

from ._outcomes import assert_same_errors
from .test_modules import X, _close, _np, parity


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


CASES = [
    ("conv3d", lambda F, x, w, b: F.conv3d(x, w, b), [_r(2, 3, 5, 6, 7), _r(4, 3, 2, 3, 2), _r(4)]),
    ("conv3d-stride-pad-dilation",
     lambda F, x, w, b: F.conv3d(x, w, b, stride=(2, 1, 2), padding=(1, 2, 0), dilation=(2, 1, 1)),
     [_r(2, 3, 7, 6, 7), _r(4, 3, 2, 3, 2), _r(4)]),
    ("conv3d-groups-same", lambda F, x, w: F.conv3d(x, w, groups=2, padding="same"), [_r(2, 4, 5, 6, 7),
                                                                                    _r(6, 2, 3, 2, 3)]),
    ("conv3d-valid-unbatched", lambda F, x, w: F.conv3d(x, w, padding="valid"), [_r(4, 5, 6, 7), _r(6, 4, 3, 2, 3)]),
    ("conv_transpose3d", lambda F, x, w, b: F.conv_transpose3d(x, w, b), [_r(2, 3, 4, 5, 3), _r(3, 4, 2, 3, 2),
                                                                         _r(4)]),
    ("conv_transpose3d-all-options",
     lambda F, x, w, b: F.conv_transpose3d(x, w, b, stride=(2, 3, 1), padding=(1, 0, 1), output_padding=(1, 2, 0),
                                           dilation=(2, 1, 2)),
     [_r(2, 3, 4, 5, 3), _r(3, 4, 3, 3, 2), _r(4)]),
    ("conv_transpose3d-groups", lambda F, x, w: F.conv_transpose3d(x, w, groups=3, stride=2), [_r(2, 3, 4, 5, 3),
                                                                                              _r(3, 2, 3, 3, 2)]),
    ("conv_transpose3d-unbatched", lambda F, x, w: F.conv_transpose3d(x, w), [_r(3, 4, 5, 3), _r(3, 2, 3, 3, 2)]),
]


@pytest.mark.parametrize("fn,inputs", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_functional_matches_torch(torch_ref, fn, inputs):
    t_in = [torch_ref.tensor(a, requires_grad=True) for a in inputs]
    g_in = [graphgrad.tensor(a, requires_grad=True) for a in inputs]
    t_out, g_out = fn(torch_ref.nn.functional, *t_in), fn(graphgrad.nn.functional, *g_in)
    _close(_np(g_out), _np(t_out), "output")
    up = _r(*t_out.shape, seed=1)
    (t_out * torch_ref.tensor(up)).sum().backward()
    (g_out * graphgrad.tensor(up)).sum().backward()
    for i, (g, t) in enumerate(zip(g_in, t_in)):
        _close(_np(g.grad), _np(t.grad), f"grad {i}", atol=1e-4)


@pytest.mark.parametrize("fn,inputs", [(CASES[1][1], [(1, 2, 5, 3, 4), (2, 2, 2, 2, 2), (2,)]),
                                       (CASES[5][1], [(1, 3, 2, 3, 2), (3, 2, 3, 2, 2), (2,)])],
                         ids=["conv3d", "conv_transpose3d"])
def test_gradcheck_float64(fn, inputs):
    rng = np.random.default_rng(0)
    tensors = tuple(graphgrad.tensor(rng.standard_normal(s), dtype=graphgrad.float64, requires_grad=True)
                    for s in inputs)

    def f(*xs):
        return fn(graphgrad.nn.functional, *xs)

    assert gradcheck(f, tensors)
    assert gradgradcheck(f, tensors)


def test_errors_match(torch_ref):
    def cases(t):
        F, x = t.nn.functional, t.zeros(1, 2, 4, 4, 4)
        return [
            lambda: F.conv3d(x, t.zeros(3, 3, 2, 2, 2)),
            lambda: F.conv3d(x, t.zeros(3, 2, 5, 2, 2)),
            lambda: F.conv3d(t.zeros(2, 4, 4), t.zeros(3, 2, 2, 2, 2)),
            lambda: F.conv3d(x, t.zeros(3, 2, 2, 2, 2), stride=0),
            lambda: F.conv3d(x, t.zeros(3, 2, 2, 2, 2), padding="same", stride=2),
            lambda: F.conv_transpose3d(x, t.zeros(2, 3, 2, 2, 2), stride=2, output_padding=2),
            lambda: F.conv_transpose3d(x, t.zeros(3, 3, 2, 2, 2)),
            lambda: t.nn.Conv3d(3, 4, 2, groups=2),
            lambda: t.nn.ConvTranspose3d(3, 4, 2, padding_mode="reflect"),
        ]

    assert_same_errors(cases(graphgrad), cases(torch_ref))


LAYERS = [
    ("conv3d", lambda t: t.nn.Conv3d(3, 4, (2, 3, 2), stride=(1, 2, 1), padding=1), [X(2, 3, 4, 5, 4)]),
    ("conv3d-reflect", lambda t: t.nn.Conv3d(2, 4, 3, padding=1, padding_mode="reflect", groups=2),
     [X(1, 2, 4, 4, 5)]),
    ("conv3d-same-no-bias", lambda t: t.nn.Conv3d(2, 3, (3, 2, 3), padding="same", bias=False), [X(2, 4, 4, 5)]),
    ("conv-transpose3d", lambda t: t.nn.ConvTranspose3d(3, 4, 2, stride=2, output_padding=1, dilation=1),
     [X(2, 3, 2, 3, 2)]),
]


@pytest.mark.parametrize("make,inputs", [c[1:] for c in LAYERS], ids=[c[0] for c in LAYERS])
def test_layers_match_torch(torch_ref, make, inputs):
    tm, gm = parity(torch_ref, make, inputs)
    assert repr(gm) == repr(tm)


def test_conv_transpose3d_output_size(torch_ref):
    x = _r(1, 3, 2, 3, 2)
    t = torch_ref.nn.ConvTranspose3d(3, 2, 3, stride=2)
    g = graphgrad.nn.ConvTranspose3d(3, 2, 3, stride=2)
    g.load_state_dict({k: graphgrad.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    _close(_np(g(graphgrad.tensor(x), output_size=(6, 8, 6))), _np(t(torch_ref.tensor(x), output_size=(6, 8, 6))),
           "output_size")
