"""graphgrad.autograd: the engine, grad modes, custom Functions, gradcheck and graph inspection."""

from .._tensor import Tensor
from . import functional, graph, ledger
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

# PyTorch's torch.autograd.graph also holds the ledger's functions (graph.describe, graph.saved_tensors, ...); the
# ledger reads the nodes that graph.py defines, so it sits above it and is published there from here, once
for _name in ("BackwardCall", "backward_call", "describe", "release", "saved_bytes", "saved_tensors"):
    setattr(graph, _name, getattr(ledger, _name))
del _name


def Variable(data, requires_grad=False, volatile=False):
    """Old code's ``Variable(t, requires_grad=...)``: since PyTorch 0.4 it just returns a Tensor.

    >>> import graphgrad
    >>> graphgrad.autograd.Variable(graphgrad.ones(1), requires_grad=True)
    tensor([1.], requires_grad=True)
    """
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    if requires_grad:
        if data.requires_grad:
            return data
        t = Tensor._make(data._data, False, None)
        t._version_box = data._version_box
        return t.requires_grad_(True)
    return data


__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "Variable", "backward", "detect_anomaly", "enable_grad", "grad",
    "functional", "gradcheck", "gradgradcheck", "graph", "inference_mode", "is_anomaly_enabled", "is_grad_enabled",
    "is_inference_mode_enabled", "no_grad",
    "set_detect_anomaly", "set_grad_enabled",
]
