"""``nn.utils.fuse_conv_bn_eval`` / ``fuse_linear_bn_eval`` (and their ``*_weights`` forms) against PyTorch: the
fused layer's parameters and outputs, transposed convolutions, batch norms without affine parameters, layers without
bias, the originals left untouched, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn

from ._outcomes import error_of
from ._side_by_side import compare, inputs, node


def _trained_bn(L, bn, x):
    """A batch norm with running statistics and affine parameters that are not their defaults."""
    bn.train()
    for i in range(3):
        bn(x * (1 + i) + i)
    if bn.weight is not None:
        with L.no_grad():
            bn.weight.copy_(inputs(L, *bn.weight.shape, seed=11) + 1.5)
            bn.bias.copy_(inputs(L, *bn.bias.shape, seed=12))
    return bn.eval()


@pytest.mark.parametrize("kind", ["conv2d", "conv1d", "convT2d", "conv2d_nobias", "conv2d_noaffine"])
def test_fuse_conv_bn_eval(torch_ref, kind):
    def run(L):
        if kind.startswith("convT"):
            conv, transpose = L.nn.ConvTranspose2d(2, 3, 3), True
        elif kind == "conv1d":
            conv, transpose = L.nn.Conv1d(2, 3, 3), False
        else:
            conv, transpose = L.nn.Conv2d(2, 3, 3, bias=kind != "conv2d_nobias"), False
        bn = (L.nn.BatchNorm1d if kind == "conv1d" else L.nn.BatchNorm2d)(3, affine=kind != "conv2d_noaffine")
        x = inputs(L, 4, 2, 6) if kind == "conv1d" else inputs(L, 4, 2, 6, 6)
        _trained_bn(L, bn, conv(x).detach())
        conv.eval()
        before = conv.weight.detach().clone()
        fused = L.nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        return dict(w=fused.weight, b=fused.bias, y=fused(x), ref=bn(conv(x)), untouched=conv.weight,
                    before=before, leaf=fused.weight.is_leaf, rg=fused.weight.requires_grad, node=node(fused.weight),
                    bias_rg=fused.bias.requires_grad, same_type=type(fused).__name__, distinct=fused is not conv)

    g = compare(run, torch_ref)
    np.testing.assert_allclose(g["y"].detach().numpy(), g["ref"].detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("features", [3, 1])
def test_fuse_linear_bn_eval(torch_ref, features):
    def run(L):
        lin = L.nn.Linear(4, 3)
        bn = L.nn.BatchNorm1d(features)
        x = inputs(L, 6, 4)
        _trained_bn(L, bn, lin(x).detach() if features == 3 else lin(x).detach()[:, :1])
        lin.eval()
        fused = L.nn.utils.fuse_linear_bn_eval(lin, bn)
        return dict(w=fused.weight, b=fused.bias, y=fused(x), node=node(fused.weight))

    compare(run, torch_ref)


def test_weights_forms(torch_ref):
    def run(L):
        w, rm, rv = inputs(L, 3, 2, 2, 2), inputs(L, 3, seed=2), inputs(L, 3, seed=3).abs() + 0.5
        cw, cb = L.nn.utils.fuse_conv_bn_weights(w, None, rm, rv, 1e-5, None, None)
        lw, lb = L.nn.utils.fuse_linear_bn_weights(inputs(L, 3, 4), None, rm, rv, 1e-3, inputs(L, 3, seed=4),
                                                   inputs(L, 3, seed=5))
        return dict(cw=cw, cb=cb, lw=lw, lb=lb, types=[type(t).__name__ for t in (cw, cb, lw, lb)])

    compare(run, torch_ref)


def test_errors_match_torch(torch_ref):
    def run(L):
        return [error_of(lambda: L.nn.utils.fuse_conv_bn_eval(L.nn.Conv2d(2, 3, 1), L.nn.BatchNorm2d(3))),
                error_of(lambda: L.nn.utils.fuse_linear_bn_eval(L.nn.Linear(2, 3).eval(), L.nn.BatchNorm1d(3))),
                error_of(lambda: L.nn.utils.fuse_linear_bn_eval(L.nn.Linear(2, 3).eval(), L.nn.BatchNorm1d(2).eval())),
                error_of(lambda: L.nn.utils.fuse_conv_bn_eval(
                    L.nn.Conv2d(2, 3, 1).eval(), L.nn.BatchNorm2d(3, track_running_stats=False).eval()))]

    compare(run, torch_ref)


def test_without_torch():
    conv, bn = gnn.Conv2d(2, 3, 3).eval(), gnn.BatchNorm2d(3).eval()
    x = graphgrad.randn(1, 2, 5, 5)
    fused = gnn.utils.fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(fused(x).detach().numpy(), bn(conv(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
