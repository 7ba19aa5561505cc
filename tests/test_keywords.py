"""Keywords PyTorch accepts on every function: axis=/keepdims= (and NumPy's input names), out=, and on the
factories size=, device=, pin_memory=; plus Tensor.resize_ that out= relies on. Compared with PyTorch."""

import warnings

import numpy as np
import pytest

import graphgrad as gg


def _outcome(lib, expr):
    x = lib.arange(6.0).reshape(2, 3)
    a = lib.tensor([[1.0, -2.0], [3.0, 0.5]])
    b = lib.ones(2, 2, requires_grad=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(expr, {"t": lib, "x": x, "a": a, "b": b, "np": np})
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return (type(e).__name__, str(e).split("\n")[0])
    return ("ok", _plain(r))


def _plain(r):
    if isinstance(r, tuple):
        return [_plain(v) for v in r]
    if hasattr(r, "detach"):  # values to float32 precision (NumPy's and PyTorch's exp differ in the last bit)
        return (str(r.dtype).split(".")[-1], np.round(r.detach().numpy().astype(np.float64), 5).tolist())
    if type(r).__name__ in ("Size",):
        return list(r)
    return r


ALIASES = [
    "t.sum(x, axis=0)", "x.sum(axis=1, keepdims=True)", "t.mean(x, axis=0, keepdims=True)", "t.max(x, axis=1)",
    "x.min(axis=0, keepdims=True)", "t.std(x, axis=0)", "x.var(axis=1, keepdims=True)", "t.prod(x, axis=0)",
    "t.any(x > 1, axis=0)", "(x > 1).all(axis=1, keepdims=True)", "t.argmax(x, axis=1)",
    "x.argmin(axis=0, keepdims=True)", "t.amax(x, axis=0)", "t.logsumexp(x, axis=0)", "t.cumsum(x, axis=0)",
    "t.softmax(x, axis=0)", "x.unsqueeze(axis=0).shape", "t.cat([x, x], axis=0)", "t.stack([x, x], axis=1).shape",
    "t.sum(x, dim=0, axis=0)", "t.mean(x, dim=0, keepdims=True)", "t.min(x, 1, keepdims=True)", "t.sum(x=x)",
    "t.exp(x=x)", "t.add(x1=x, x2=x)", "t.maximum(x, x2=x)", "t.norm(x, dim=0, keepdims=True)",
]
OUT = [
    "(lambda o: (t.matmul(a, a, out=o) is o, o))(t.empty(2, 2))", "t.matmul(a, b, out=t.empty(2, 2))",
    "t.mul(a, a, out=t.empty(0))", "t.mul(a, a, out=t.empty(3))", "t.mul(a, a, out=t.empty(2, 2, dtype=t.long))",
    "t.mul(a, a, out=t.empty(2, 2, dtype=t.float64))", "t.mul(a, a, out=t.empty(2, 2, requires_grad=True))",
    "(lambda o: (t.maximum(a, -a, out=o) is o, o))(t.empty(2, 2))", "t.minimum(a, -a, out=t.empty(2, 2))",
    "t.add(a, 1, out=t.empty(2, 2))", "t.sub(a, a, out=t.empty(2, 2))", "t.div(a, 2, out=t.empty(2, 2))",
    "t.pow(a, 2, out=t.empty(2, 2))", "t.exp(a, out=t.empty(2, 2))", "t.sum(a, 0, out=t.ones(2))",
    "t.max(a, 0, out=(t.ones(2), t.ones(2, dtype=t.long)))", "t.zeros(3, out=t.ones(3))",
    "t.zeros(2, out=t.ones(2, dtype=t.long))", "t.empty(2, out=t.ones(2), dtype=t.float64).shape",
    "t.arange(0, 3, 1, out=t.empty(3, dtype=t.long))", "t.eye(2, 3, out=t.empty(0))",
    "t.linspace(0, 1, 3, out=t.empty(3))", "t.full((2,), 1.0, out=t.empty(2))", "t.mm(a, a, out=t.empty(2, 2))",
    "(lambda o: (t.cat([a, a], out=o), o))(t.empty(0))", "a.add(a, out=t.empty(2, 2))",
    "a.mul(a, out=t.empty(2, 2))",
    # a resized out= tensor: one write counted (the resize is none)
    "(lambda o: (t.mul(a, 2.0, out=o), o._version))(t.zeros(3))",
    "(lambda o: (t.mul(a, 2.0, out=o), o._version))(t.empty(0))",
    "(lambda o: (t.mul(a, 2.0, out=o), o._version))(t.zeros(2, 2))",
]
FACTORIES = [
    "t.zeros(size=(2, 3)).shape", "t.ones(size=[2]).shape", "t.empty(size=(2,)).shape",
    "t.full(size=(2,), fill_value=3.0)", "t.zeros(2, pin_memory=False)", "t.zeros(2, pin_memory=True)",
    "t.tensor([1.0], pin_memory=True)", "t.tensor([1.0], pin_memory=False)", "t.arange(3, pin_memory=False)",
    "t.linspace(0, 1, 3, device='cpu', pin_memory=False)", "t.eye(2, device='cpu', pin_memory=False)",
    "t.zeros_like(x, pin_memory=False)", "t.ones_like(x, pin_memory=True)", "t.full_like(x, 3, device='cpu')",
    "t.logspace(0, 1, 2, device='cpu', pin_memory=False)", "t.ones((2,), size=(2,))", "t.zeros(size=3)",
    "t.zeros(2, device=t.device('cpu'))", "t.zeros(2, device=0)", "t.empty_like(x, device='cpu').shape",
    "t.as_tensor([1], device='cpu')", "t.zeros(2, device='cuda')", "t.empty(2, 3, memory_format=t.preserve_format)",
    "t.empty(2, 3, memory_format=t.contiguous_format).shape",
]
RESIZE = [
    "t.arange(6.0).resize_(2, 2)", "t.ones(2, requires_grad=True).resize_(3)",
    "t.ones(2, requires_grad=True).resize_(2)",
    "t.ones(4).resize_(2, 2)", "t.arange(6.0).view(2, 3)[:, 0].resize_(2)", "t.ones(2).resize_(-1)",
    "t.zeros(2).resize_(0)", "t.arange(4.0).reshape(2, 2).t().resize_(4)", "t.arange(6.0).resize_((3,))",
    "t.arange(4.0).resize_as_(t.ones(2, 2))",
    "(lambda c: (c.view(2, 3).__setitem__((0, 0), 100.0), c))(t.arange(6.0).resize_(6))",
    "(lambda c, v: (c.resize_(2), v.__setitem__((0, 0), 100.0), c))(*(lambda c: (c, c.view(2, 3)))(t.arange(6.0)))",
]


@pytest.mark.parametrize("expr", ALIASES + OUT + FACTORIES + RESIZE)
def test_keyword_as_pytorch(torch_ref, expr):
    assert _outcome(gg, expr) == _outcome(torch_ref, expr)


def test_out_resize_warns_as_pytorch():
    with pytest.warns(UserWarning, match=r"An output with one or more elements was resized since it had shape \[3\]"):
        gg.mul(gg.ones(2, 2), 2.0, out=gg.empty(3))


def test_arange_out_resize_warns_as_pytorch():
    with pytest.warns(UserWarning, match=r"The number of elements in the out tensor of shape \[2\] is 2 which does not"
                                         r" match the computed number of elements 4"):
        gg.arange(4, out=gg.ones(2))


def test_out_requiring_grad_resized_under_no_grad_as_pytorch(torch_ref):
    """Under no_grad an out= tensor that requires grad is written, resized if need be (resize_ itself refuses)."""
    results = []
    for lib in (gg, torch_ref):
        out = lib.zeros(3, requires_grad=True)
        with lib.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.mul(lib.ones(2, 2), 2.0, out=out)
        results.append((out.tolist(), out._version, out.requires_grad, out.grad_fn))
    assert results[0] == results[1]


def test_out_bumps_version_and_keeps_views():
    base = gg.zeros(2, 3)
    col = base[:, 1]
    gg.add(gg.ones(2), 1.0, out=col)
    assert base.tolist() == [[0.0, 2.0, 0.0], [0.0, 2.0, 0.0]] and col._version == 1
