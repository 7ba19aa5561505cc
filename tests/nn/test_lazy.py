"""Lazy modules against PyTorch: what they are before and after the first forward (class, repr,
state_dict, shapes), the same numbers with PyTorch's weights loaded, initialisation in the eager layer's
order, loading into an uninitialised module, optimizers, dtype conversion, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn
from graphgrad.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

from ._outcomes import assert_same_errors, error_of
from .test_modules import _close, _copy_weights, _np

LAZY = [
    ("LazyLinear", (3,), (2, 5), ("Linear", (5, 3))),
    ("LazyConv1d", (4, 3), (2, 3, 8), ("Conv1d", (3, 4, 3))),
    ("LazyConv1d", (4, 3), (3, 8), ("Conv1d", (3, 4, 3))),  # unbatched
    ("LazyConv2d", (4, 3), (2, 3, 6, 6), ("Conv2d", (3, 4, 3))),
    ("LazyConv3d", (4, 2), (2, 3, 3, 4, 4), ("Conv3d", (3, 4, 2))),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 5), ("ConvTranspose1d", (3, 4, 3))),
    ("LazyConvTranspose2d", (4, 3), (2, 3, 4, 4), ("ConvTranspose2d", (3, 4, 3))),
    ("LazyConvTranspose3d", (4, 2), (3, 2, 3, 2), ("ConvTranspose3d", (3, 4, 2))),  # unbatched
    ("LazyBatchNorm1d", (), (4, 3), ("BatchNorm1d", (3,))),
    ("LazyBatchNorm2d", (), (4, 3, 2, 2), ("BatchNorm2d", (3,))),
    ("LazyBatchNorm3d", (), (4, 3, 2, 2, 2), ("BatchNorm3d", (3,))),
    ("LazyInstanceNorm1d", (), (2, 3, 5), ("InstanceNorm1d", (3,))),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4), ("InstanceNorm2d", (3,))),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 3), ("InstanceNorm3d", (3,))),
]
IDS = [f"{c[0]}-{len(c[2])}d" for c in LAZY]


@pytest.mark.parametrize("name,args,shape,eager", LAZY, ids=IDS)
def test_lazy_module_matches_torch(torch_ref, name, args, shape, eager):
    tm, gm = getattr(torch_ref.nn, name)(*args), getattr(gnn, name)(*args)
    assert repr(gm) == repr(tm)
    assert list(gm.state_dict()) == list(tm.state_dict())
    assert gm.has_uninitialized_params() and all(is_lazy(p) for p in gm.parameters())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tm(torch_ref.tensor(x))
    gm(graphgrad.tensor(x))
    assert type(gm).__name__ == type(tm).__name__ == eager[0]
    assert repr(gm) == repr(tm)
    assert not any(is_lazy(t) for t in [*gm.parameters(), *gm.buffers()])
    assert type(next(gm.parameters())) is gnn.Parameter
    assert [(k, tuple(v.shape)) for k, v in gm.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    # with PyTorch's values loaded, forward and backward agree
    _copy_weights(tm, gm)
    tx, gx = torch_ref.tensor(x, requires_grad=True), graphgrad.tensor(x, requires_grad=True)
    t_out, g_out = tm(tx), gm(gx)
    _close(_np(g_out), _np(t_out), "output")
    t_out.pow(2).sum().backward()
    g_out.pow(2).sum().backward()
    _close(_np(gx.grad), _np(tx.grad), "input grad")
    g_params = dict(gm.named_parameters())
    for n, p in tm.named_parameters():
        _close(_np(g_params[n].grad), _np(p.grad), n)
    for n, v in tm.state_dict().items():
        _close(_np(gm.state_dict()[n]), _np(v), n)


@pytest.mark.parametrize("name,args,shape,eager", LAZY, ids=IDS)
def test_materialised_weights_are_those_of_the_eager_layer_with_the_same_seed(name, args, shape, eager):
    graphgrad.manual_seed(7)
    lazy = getattr(gnn, name)(*args)
    lazy(graphgrad.zeros(*shape))
    graphgrad.manual_seed(7)
    eager_kw = {"affine": True, "track_running_stats": True} if "Instance" in name else {}
    reference = getattr(gnn, eager[0])(*eager[1], **eager_kw)
    for (n, a), (_, b) in zip(lazy.named_parameters(), reference.named_parameters()):
        np.testing.assert_array_equal(_np(a), _np(b), err_msg=n)


def test_loading_a_state_dict_materialises(torch_ref):
    tm, gm = torch_ref.nn.Linear(4, 3), gnn.LazyLinear(3)
    _copy_weights(tm, gm)
    assert type(gm) is gnn.LazyLinear and not gm.has_uninitialized_params()
    np.testing.assert_array_equal(_np(gm.weight), _np(tm.weight))
    out = gm(graphgrad.ones(2, 4))
    _close(_np(out), _np(tm(torch_ref.ones(2, 4))), "after load")
    assert type(gm) is gnn.Linear


def test_optimizers_and_dtype_conversion_before_the_first_forward():
    model = gnn.Sequential(gnn.LazyLinear(4), gnn.ReLU(), gnn.LazyLinear(1))
    opt = graphgrad.optim.Adam(model.parameters(), lr=0.1)
    x = graphgrad.randn(8, 3)
    before = model(x)
    before.sum().backward()
    opt.step()
    assert not graphgrad.equal(model(x), before)
    m = gnn.LazyConv2d(2, 3).double()
    assert m.weight.dtype == graphgrad.float64
    m(graphgrad.zeros(1, 3, 5, 5, dtype=graphgrad.float64))
    assert m.weight.dtype == graphgrad.float64 and tuple(m.weight.shape) == (2, 3, 3, 3)


def test_uninitialized_tensors(torch_ref):
    for lib in (graphgrad, torch_ref):
        p = lib.nn.parameter.UninitializedParameter()
        assert repr(p) == "<UninitializedParameter>" and p.requires_grad and tuple(p.size()) == (0,)
        assert isinstance(p, lib.nn.Parameter) and p.dtype == lib.float32
    b = UninitializedBuffer(dtype=graphgrad.float64)
    b.materialize((2, 3))
    assert type(b) is graphgrad.Tensor and b.dtype == graphgrad.float64 and tuple(b.shape) == (2, 3)
    p = UninitializedParameter(requires_grad=False)
    p.materialize((4,), dtype=graphgrad.float16)
    assert type(p) is gnn.Parameter and not p.requires_grad and p.dtype == graphgrad.float16


def test_errors_match(torch_ref):
    def cases(t):
        return [
            lambda: t.nn.LazyLinear(3).weight.shape,
            lambda: t.nn.Linear(4, 3).load_state_dict(t.nn.LazyLinear(3).state_dict()),
            lambda: t.nn.LazyConv2d(3, 2)(t.zeros(2, 3)),
            lambda: t.nn.LazyConv2d(4, 2, groups=2)(t.zeros(1, 3, 4, 4)),
            lambda: t.nn.LazyLinear(3).weight.share_memory_(),
            lambda: t.nn.modules.lazy.LazyModuleMixin.initialize_parameters(t.nn.LazyLinear(3)),
        ]

    assert_same_errors(cases(graphgrad), cases(torch_ref))
    # using one in an op: PyTorch's text, naming the function that was called
    kind, text = error_of(lambda: gnn.LazyLinear(3).weight.sum())
    assert kind is ValueError
    assert text.startswith("Attempted to use an uninitialized parameter in sum. This error happens when you are "
                           "using a `LazyModule` or explicitly manipulating `torch.nn.parameter.")


def test_copies_and_pickles_stay_lazy_until_their_own_first_forward():
    import copy
    import pickle

    for clone in (copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))):
        original = gnn.Sequential(gnn.LazyLinear(3), gnn.LazyBatchNorm1d())
        twin = clone(original)
        assert type(twin[0]) is gnn.LazyLinear and twin[0].has_uninitialized_params()
        twin(graphgrad.randn(4, 5))
        assert type(twin[0]) is gnn.Linear and twin[0].in_features == 5 and type(twin[1]) is gnn.BatchNorm1d
        assert type(original[0]) is gnn.LazyLinear and original[0].has_uninitialized_params()
        original(graphgrad.randn(4, 2))
        assert original[0].in_features == 2
