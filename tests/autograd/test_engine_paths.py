"""The per-op short paths keep PyTorch's behaviour: gradients that travel as arrays between plain nodes,
``apply_one``, the recording check that skips the thread-local read, and ``grad_fn._saved_<name>``."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import graphgrad
from graphgrad._core.modes import recording_off
from graphgrad.autograd import accumulate

from .._parity import same


def _chain(T, x):
    return ((x * 1.5 + 0.5).sin() * 2.0 - 1.0).exp()


@pytest.mark.parametrize("watch", ["nothing", "tensor_hook", "retain_grad", "node_hook", "prehook", "grad_of_middle",
                                   "create_graph", "broadcast", "retain_graph"])
def test_gradients_match_whatever_looks_at_them(watch, torch_ref):
    """A chain of plain nodes runs on arrays; a hook, retain_grad, autograd.grad's input or create_graph in the
    middle of it makes those nodes take the Tensor path. Both give PyTorch's gradients."""

    def scenario(T):
        x = T.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], requires_grad=True)
        seen = []
        middle = (x * 1.5 + 0.5).sin()
        if watch == "tensor_hook":
            middle.register_hook(lambda g: g * 3)
        elif watch == "retain_grad":
            middle.retain_grad()
        elif watch == "node_hook":
            middle.grad_fn.register_hook(lambda gi, go: seen.append(gi[0].sum().item()))
        elif watch == "prehook":
            middle.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        y = (middle * 2.0 - 1.0).exp()
        if watch == "broadcast":
            y = y * T.tensor([1.0, 2.0, 3.0]) + T.tensor([[1.0], [2.0]]).requires_grad_()
        loss = y.sum()
        if watch == "grad_of_middle":
            return list(T.autograd.grad(loss, (middle, x)))
        if watch == "create_graph":
            (g,) = T.autograd.grad(loss, x, create_graph=True)
            (gg,) = T.autograd.grad(g.sum(), x)
            return [g, gg]
        if watch == "retain_graph":
            loss.backward(retain_graph=True)
            loss.backward()
            return [x.grad]
        loss.backward()
        return [x.grad, middle.grad if watch == "retain_grad" else None, seen]

    same(torch_ref, scenario)


def test_second_backward_through_a_plain_node_raises():
    x = graphgrad.ones(3, requires_grad=True)
    y = _chain(graphgrad, x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


@pytest.mark.skipif(not accumulate._REFCOUNTS_ARE_EXACT, reason="gradients are always copied on this Python")
def test_a_leafs_first_grad_takes_the_array_over(monkeypatch):
    """The gradient array a plain node made becomes the leaf's .grad without a copy (nothing else holds it)."""
    copies = []

    class CountingNumpy:
        def __getattr__(self, name):
            return getattr(np, name)

        def array(self, *args, **kwargs):
            copies.append(args[0])
            return np.array(*args, **kwargs)

    monkeypatch.setattr(accumulate, "np", CountingNumpy())
    x = graphgrad.ones(100, requires_grad=True)
    _chain(graphgrad, x).sum().backward()
    w, b = graphgrad.ones(30, 20, requires_grad=True), graphgrad.ones(20, requires_grad=True)
    graphgrad.relu(graphgrad.ones(5, 30) @ w + b).sum().backward()
    assert copies == []


def test_recording_follows_each_threads_own_mode():
    """While one thread is inside no_grad, another still records, and the first records nothing."""
    x = graphgrad.ones(3, requires_grad=True)
    inside, leave = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with graphgrad.no_grad():
            inside.set()
            leave.wait(10)
            seen["worker"] = (x * 2.0).requires_grad, x.sin().requires_grad, (x + x).requires_grad
        with graphgrad.inference_mode():
            seen["inference"] = (x * 2.0).requires_grad

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(10)
    assert recording_off[0] >= 1
    seen["main"] = (x * 2.0).requires_grad, x.sin().requires_grad, (x + x).requires_grad
    leave.set()
    t.join()
    assert seen == {"worker": (False, False, False), "main": (True, True, True), "inference": False}
    assert recording_off[0] == 0


def test_recording_count_restored_after_errors():
    x = graphgrad.ones(3, requires_grad=True)
    with pytest.raises(KeyError), graphgrad.no_grad():
        {}["missing"]
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError):
        y.backward()  # fails inside the engine: recording is switched back on all the same
    with graphgrad.set_grad_enabled(False), graphgrad.enable_grad():
        assert (x * 2.0).requires_grad
    assert recording_off[0] == 0
    assert (x * 2.0).requires_grad


def test_saved_attributes_as_pytorch_names_them(torch_ref):
    def scenario(T):
        x = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
        z = T.tensor([2.0, 2.0, 2.0], requires_grad=True)
        # (PyTorch's is the number as a 0-d float64 tensor, graphgrad's the number itself)
        out = [float((x * 2.5).grad_fn._saved_other), (x * z).grad_fn._saved_self, (x * z).grad_fn._saved_other,
               x.exp().grad_fn._saved_result, T.nn.functional.leaky_relu(x, 0.25).grad_fn._saved_negative_slope]
        for fn, name in (((x * z).grad_fn, "_saved_foo"), (x.sin().grad_fn, "_saved_other")):
            try:
                getattr(fn, name)
            except AttributeError as e:
                out.append(str(e))
        return out

    same(torch_ref, scenario)
