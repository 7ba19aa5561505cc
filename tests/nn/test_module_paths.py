"""PyTorch's module paths under nn: every layer graphgrad has is importable from the submodule of
``nn.modules`` where PyTorch defines it, and the private bases that user code subclasses are there too."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn

from ._outcomes import error_of
from .test_modules import X, parity


def _graphgrad_path(torch_path):
    return "graphgrad" + torch_path[len("torch"):]


@pytest.mark.parametrize("name", gnn.modules.__all__)
def test_each_layer_lives_where_pytorch_defines_it(torch_ref, name):
    torch_cls = getattr(torch_ref.nn, name)
    module = importlib.import_module(_graphgrad_path(torch_cls.__module__))
    assert getattr(module, name) is getattr(gnn, name)


SUBCLASSED = [
    ("torch.nn.modules.module", "Module"),
    ("torch.nn.modules.loss", "_Loss"),
    ("torch.nn.modules.loss", "_WeightedLoss"),
    ("torch.nn.modules.batchnorm", "_NormBase"),
    ("torch.nn.modules.batchnorm", "_BatchNorm"),
    ("torch.nn.modules.batchnorm", "_LazyNormBase"),
    ("torch.nn.modules.instancenorm", "_InstanceNorm"),
    ("torch.nn.modules.conv", "_ConvNd"),
    ("torch.nn.modules.linear", "NonDynamicallyQuantizableLinear"),
    ("torch.nn.modules.lazy", "LazyModuleMixin"),
    ("torch.nn.modules.rnn", "RNNBase"),
    ("torch.nn.modules.utils", "_pair"),
    ("torch.nn.parameter", "Parameter"),
    ("torch.nn.parameter", "Buffer"),
    ("torch.nn.parameter", "UninitializedParameter"),
    ("torch.nn.parameter", "UninitializedBuffer"),
    ("torch.nn.parameter", "is_lazy"),
    ("torch.nn.utils.rnn", "PackedSequence"),
    ("torch.nn.utils.rnn", "pad_sequence"),
    ("torch.nn.utils.rnn", "pack_padded_sequence"),
    ("torch.nn.utils.rnn", "pad_packed_sequence"),
    ("torch.nn.utils.rnn", "pack_sequence"),
    ("torch.nn.utils.rnn", "unpack_sequence"),
    ("torch.nn.utils.rnn", "unpad_sequence"),
    ("torch.nn.utils.rnn", "invert_permutation"),
    ("torch.nn.functional", "_canonical_mask"),
    ("torch.nn.functional", "_none_or_dtype"),
]


@pytest.mark.parametrize("path,name", SUBCLASSED, ids=[f"{p}.{n}" for p, n in SUBCLASSED])
def test_private_bases_and_helpers_are_at_pytorchs_paths(torch_ref, path, name):
    assert hasattr(importlib.import_module(path), name)  # the reference really has it there
    assert hasattr(importlib.import_module(_graphgrad_path(path)), name)


def test_submodules_are_attributes():
    assert gnn.modules.transformer.Transformer is gnn.Transformer
    assert gnn.utils.rnn.PackedSequence is gnn.utils.rnn.PackedSequence
    assert gnn.modules.module.Module is gnn.Module


@pytest.mark.parametrize("name", [f"{kind}Pad{n}d" for kind in ("Zero", "Constant", "Reflection", "Replication",
                                                                "Circular") for n in (1, 2, 3)])
def test_padding_layers_match_torch(torch_ref, name):
    n = int(name[-2])
    extra = (2.5,) if name.startswith("Constant") else ()
    for padding in ((1, 2) * n, 2):
        assert repr(getattr(gnn, name)(padding, *extra)) == repr(getattr(torch_ref.nn, name)(padding, *extra))
    parity(torch_ref, lambda t: getattr(t.nn, name)((1, 2, 0, 1, 2, 0)[:2 * n], *extra), [X(2, 3, *(4,) * n)])
    if name.startswith("Circular"):
        too_many = np.zeros((1,) * (n + 3), np.float32)
        assert error_of(lambda: getattr(gnn, name)(1)(graphgrad.tensor(too_many))) == \
            error_of(lambda: getattr(torch_ref.nn, name)(1)(torch_ref.tensor(too_many)))


DISTANCE_AND_FOLD = [
    ("pairwise-distance", lambda t: t.nn.PairwiseDistance(p=3.0, keepdim=True), [X(4, 5), X(4, 5)]),
    ("cosine-similarity", lambda t: t.nn.CosineSimilarity(dim=0, eps=1e-6), [X(4, 5), X(4, 5)]),
    ("fold", lambda t: t.nn.Fold((4, 5), (2, 3), padding=1, stride=(1, 2)), [X(2, 3 * 6, 15)]),
    ("unfold", lambda t: t.nn.Unfold((2, 3), dilation=(1, 2), stride=2), [X(2, 3, 5, 8)]),
]


@pytest.mark.parametrize("make,inputs", [c[1:] for c in DISTANCE_AND_FOLD], ids=[c[0] for c in DISTANCE_AND_FOLD])
def test_distance_and_fold_layers_match_torch(torch_ref, make, inputs):
    tm, gm = parity(torch_ref, make, inputs)
    assert repr(gm) == repr(tm)


def test_feature_alpha_dropout(torch_ref):
    assert repr(gnn.FeatureAlphaDropout(0.3)) == repr(torch_ref.nn.FeatureAlphaDropout(0.3))
    x = graphgrad.randn(64, 8, 5)
    assert gnn.FeatureAlphaDropout(0.5).eval()(x) is x
    out = gnn.FeatureAlphaDropout(0.5)(x).detach().numpy()
    dropped = np.ptp(out, axis=-1) < 1e-6  # a dropped (sample, channel) map is one constant
    assert 0.3 < dropped.mean() < 0.7 and np.allclose(out[dropped], out[dropped][0, 0])
