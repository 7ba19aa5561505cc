"""3-D convolutions against PyTorch: F.conv3d / F.conv_transpose3d errors, and the Conv3d / ConvTranspose3d
layers. Their values, gradients, gradcheck and gradgradcheck are cases of tests/nn/test_functional.py."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad

from ._outcomes import assert_same_errors
from .test_modules import X, _close, _np, parity


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
    x = np.random.default_rng(0).standard_normal((1, 3, 2, 3, 2)).astype(np.float32)
    t = torch_ref.nn.ConvTranspose3d(3, 2, 3, stride=2)
    g = graphgrad.nn.ConvTranspose3d(3, 2, 3, stride=2)
    g.load_state_dict({k: graphgrad.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    _close(_np(g(graphgrad.tensor(x), output_size=(6, 8, 6))), _np(t(torch_ref.tensor(x), output_size=(6, 8, 6))),
           "output_size")
