"""Derivatives rounded as PyTorch's compiled kernels round them, checked bit for bit against PyTorch.

PyTorch's CPU kernels are compiled with floating-point contraction: an expression such as ``1 - h * h`` becomes one
fused multiply-add, rounded once. Where graphgrad computes the same expression it rounds the same way."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [1, 7, 4099])
def test_tanh_backward_is_pytorchs_kernel_bit_for_bit(dtype, size, torch_ref):
    """TanhBackward0 is g * fma(-h, h, 1), PyTorch's tanh_backward kernel on graphgrad's own result h (the
    forward values themselves come from NumPy's tanh); the separately rounded 1 - h*h differs in about a third."""
    rng = np.random.default_rng(size)
    x0 = (rng.standard_normal(size) * 2).astype(dtype)
    x0[:3] = [0.0, -0.0, np.inf][:size]
    g0 = rng.standard_normal(size).astype(dtype)
    x = graphgrad.tensor(x0, requires_grad=True)
    h = graphgrad.tanh(x)
    h.backward(graphgrad.tensor(g0))
    expected = torch_ref.ops.aten.tanh_backward(torch_ref.tensor(g0), torch_ref.tensor(h.detach().numpy())).numpy()
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_tanh_backward_nan_and_infinite_inputs(torch_ref):
    x0 = np.array([np.nan, np.inf, -np.inf, 0.5], np.float32)
    grads = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        lib.tanh(x).backward(lib.ones(4))
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_tanh_double_backward_still_differentiable():
    x = graphgrad.tensor([0.3, -1.2], dtype=graphgrad.float64, requires_grad=True)
    assert graphgrad.autograd.gradgradcheck(graphgrad.tanh, (x,))
