"""Saved tensors are really freed: measured with tracemalloc (NumPy reports its buffers to it).

A sizeable graph (a few MB of saved activations) is built and only the loss is kept; ``backward()``
without ``retain_graph`` must give the saved bytes back, ``retain_graph=True`` must keep them, and
dropping the graph must free everything without the cycle collector's help (graphgrad builds no
Tensor -> Node -> Tensor cycles).
"""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import graphgrad

N = 256  # 256 x 256 float32 = 256 KiB per saved array
BLOCK = N * N * 4


def _loss(x, w):
    h = x
    for _ in range(4):
        h = (h @ w).tanh()  # MmBackward0 saves h and w; TanhBackward0 saves its result
        h = h * h.sigmoid()  # MulBackward0 saves both operands; SigmoidBackward0 its result
    return h.sum()


def _current():
    return tracemalloc.get_traced_memory()[0]


@pytest.fixture
def traced():
    _loss(*_inputs()).backward()  # what loads once per process (MKL, compiled loops) loads before the count
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()  # nothing below may rely on the cycle collector
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()
        if was_enabled:
            gc.enable()


def _inputs():
    rng = np.random.default_rng(0)
    x = graphgrad.tensor(rng.standard_normal((N, N)) * 0.1, dtype=graphgrad.float32, requires_grad=True)
    w = graphgrad.tensor(rng.standard_normal((N, N)) * 0.05, dtype=graphgrad.float32, requires_grad=True)
    return x, w


def test_backward_frees_saved_tensors(traced):
    x, w = _inputs()
    base = _current()
    loss = _loss(x, w)
    held = _current() - base
    assert held > 10 * BLOCK, f"the graph should hold its activations, holds {held} bytes"
    loss.backward()
    x.grad = w.grad = None
    remaining = _current() - base
    # what is left: the loss, the nodes' bookkeeping (shapes, names), no arrays
    assert remaining < BLOCK / 4, f"{remaining} bytes still held after backward() (held {held})"
    assert loss.grad_fn is not None and loss.grad_fn.next_functions  # the graph itself is still there


def test_retain_graph_keeps_saved_tensors(traced):
    x, w = _inputs()
    base = _current()
    loss = _loss(x, w)
    held = _current() - base
    loss.backward(retain_graph=True)
    x.grad = w.grad = None
    kept = _current() - base
    assert kept > 0.9 * held, f"retain_graph=True kept only {kept} of {held} bytes"
    loss.backward()  # the retained graph can be run again, and that run frees it
    x.grad = w.grad = None
    assert _current() - base < BLOCK / 4


def test_autograd_grad_frees_too(traced):
    x, w = _inputs()
    base = _current()
    loss = _loss(x, w)
    held = _current() - base
    grads = graphgrad.autograd.grad(loss, [x, w])
    del grads
    assert _current() - base < BLOCK / 4, f"autograd.grad left {_current() - base} of {held} bytes"


def test_dropping_the_graph_frees_everything_without_gc(traced):
    x, w = _inputs()
    base = _current()
    loss = _loss(x, w)
    assert _current() - base > 10 * BLOCK
    del loss  # never backpropagated: reference counting alone must free the whole graph
    assert _current() - base < BLOCK / 4


def test_second_backward_after_free_raises(torch_ref):
    """The freed graph behaves as PyTorch's: the second backward raises the same error."""
    from .._parity import same

    def scenario(T):
        x = T.ones(4, 4, requires_grad=True)
        loss = (x @ x).tanh().sum()
        loss.backward()
        loss.backward()

    same(torch_ref, scenario)


def test_custom_function_saved_tensors_freed(traced):
    class Scale(graphgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w, g * x

    x, w = _inputs()
    base = _current()
    h = x
    for _ in range(6):
        h = Scale.apply(h.tanh(), w)  # each call saves its (fresh) input: 256 KiB
    loss = h.sum()
    del h  # only the graph keeps the activations now
    held = _current() - base
    assert held > 5 * BLOCK
    loss.backward()
    x.grad = w.grad = None
    assert _current() - base < BLOCK / 4, f"{_current() - base} of {held} bytes still held"
