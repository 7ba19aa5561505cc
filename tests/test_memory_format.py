"""Memory formats as PyTorch has them: the tags, channels_last layouts (strides), and PyTorch's errors."""

import numpy as np
import pytest

import graphgrad as gg

CASES = [
    "repr(t.preserve_format).split('.')[1]", "repr(t.channels_last).split('.')[1]",
    "x.contiguous(memory_format=t.channels_last).is_contiguous()",
    "x.contiguous(memory_format=t.channels_last).is_contiguous(memory_format=t.channels_last)",
    "x.is_contiguous(memory_format=t.channels_last)", "x.is_contiguous(memory_format=t.contiguous_format)",
    "x.contiguous(memory_format=t.channels_last).stride()",
    "(x.contiguous(memory_format=t.channels_last) * 2).stride()", "x.t().contiguous(memory_format=t.preserve_format)",
    "x.transpose(0, 1).is_contiguous(memory_format=t.preserve_format)",
    "x.to(memory_format=t.channels_last).stride()", "x.clone(memory_format=t.channels_last).stride()",
    "x.clone(memory_format=t.preserve_format).stride()", "x.clone(memory_format=t.contiguous_format).stride()",
    "x.contiguous(memory_format=t.channels_last).contiguous().stride()",
    "x.contiguous(memory_format=t.preserve_format)", "t.ones(2, 3).contiguous(memory_format=t.channels_last)",
    "t.ones(2, 3).is_contiguous(memory_format=t.channels_last)",
    "t.ones(1, 2, 3, 4, 5).contiguous(memory_format=t.channels_last_3d).stride()",
    "t.ones(1, 2, 3, 4).contiguous(memory_format=t.channels_last_3d)",
    "t.zeros_like(x, memory_format=t.preserve_format).shape", "t.empty(2, 3, memory_format=t.preserve_format)",
    "x.contiguous(memory_format=t.channels_last).sum().item()",
]


def _outcome(lib, expr):
    x = lib.arange(120.0).reshape(2, 3, 4, 5)
    try:
        r = eval(expr, {"t": lib, "x": x})
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return (type(e).__name__, str(e))
    if hasattr(r, "numpy"):
        return ("tensor", r.numpy().tolist())
    return ("ok", tuple(r) if type(r).__name__ == "Size" else r)


@pytest.mark.parametrize("expr", CASES)
def test_memory_format_as_pytorch(torch_ref, expr):
    assert _outcome(gg, expr) == _outcome(torch_ref, expr)


def test_channels_last_gradient_and_values():
    x = gg.arange(24.0).reshape(1, 2, 3, 4).requires_grad_()
    y = x.contiguous(memory_format=gg.channels_last)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.detach().numpy())
