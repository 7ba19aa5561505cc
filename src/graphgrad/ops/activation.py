"""Pointwise activations (erf, gelu, elu, softplus, ...), prelu and glu.

Each derivative is written with graphgrad ops, so ``create_graph=True`` differentiates it once more.
"""

from __future__ import annotations

import math

import numpy as np

from .._dtype import is_float_np
from . import _elementwise_loops, _transformer_loops
from ._blockwise import blockwise
from ._erf import erf_float64_then_cast, erfc_abs_float32
from ._op import Op, _torch_name, apply, depends_on
from .comparison import where
from .shape import cat
from .unary import _sigmoid_np, erf

# --- activations ----------------------------------------------------------------------------------


def log_sigmoid_np(a):
    return (np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))).astype(a.dtype, copy=False)


def pointwise(name, fwd, grad):
    """An elementwise op whose derivative is ``grad(x, g, **kwargs)``, written in graphgrad ops."""
    return Op(name, fwd, lambda n, g: grad(n.saved_tensors[0], g, **n.kwargs), save="a", saved_names=("self",))


def _floating_only(kernel, fwd):
    """``fwd`` refusing integer and bool arrays with PyTorch's error, naming its CPU ``kernel``."""

    def forward(a, **kwargs):
        if not is_float_np(a.dtype):
            raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(a.dtype)}\'')
        return fwd(a, **kwargs)

    return forward


_SQRT_2_PI = math.sqrt(2 / math.pi)


def _gelu_np(a, approximate="none"):
    """GELU, and its derivative Φ(x) + x·φ(x) as the node's state: the backward is then one product."""
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(_SQRT_2_PI * (a + 0.044715 * a * a * a))), None
    if a.dtype == np.float64:
        cdf = 0.5 * (1 + erf_float64_then_cast(a * (1 / math.sqrt(2))))
        return a * cdf, cdf + a * np.exp(-0.5 * a * a) * (1 / math.sqrt(2 * math.pi))
    compiled = _transformer_loops.gelu_float32(a)  # one pass on several threads where numba is installed
    if compiled is not None:
        return compiled
    return blockwise(_gelu_float32, a, dtype=(a.dtype, np.float32), work=(np.float32,) * 4)


def _gelu_float32(x, y, slope, z, t, gauss, tail):
    """x·Φ(x) into ``y`` and Φ(x) + x·φ(x) into ``slope``, computed in float32 as PyTorch's kernel computes
    float32 and float16; ``z``, ``t``, ``gauss`` and ``tail`` are scratch.

    Φ(x) is max(Φ(-|x|), [x > 0] - Φ(-|x|)) (Φ(-|x|) <= 1/2): accurate in the lower tail, and with no select
    between the two signs (np.where on a random mask costs more than the whole erfc). x·φ(x) is
    z·exp(-z²)/√π with z = x/√2, the erfc's own exp(-z²)/√π."""
    f = np.float32
    if x.dtype != np.float32:
        x = x.astype(np.float32)
    np.multiply(x, f(math.sqrt(0.5)), out=z)
    erfc_abs_float32(z, scale=0.5, out=tail, work=t, gauss=gauss)  # Φ(-|x|)
    np.greater(x, f(0), out=t)
    np.subtract(t, tail, out=slope)
    np.maximum(slope, tail, out=slope)  # Φ(x)
    np.multiply(x, slope, out=y)
    gauss *= z
    slope += gauss


def _gelu_grad(x, g, approximate="none"):
    if approximate == "tanh":
        t = (_SQRT_2_PI * (x + 0.044715 * x * x * x)).tanh()
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x))
    cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return g * (cdf + x * pdf)


def _gelu_bw_np(n, g):
    """``_gelu_grad`` on arrays, with the derivative the forward kept (no graph of the derivative is built)."""
    if n.kwargs.get("approximate", "none") == "tanh":
        x = n.saved_arrays[0]
        t = np.tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x))
    if g.dtype == n.state.dtype:
        split = _elementwise_loops.binary(np.multiply, g, n.state)  # (over the cores where it applies)
        if split is not None:
            return split
    return np.multiply(g, n.state, dtype=np.promote_types(g.dtype, n.state.dtype)).astype(g.dtype, copy=False)


def _elu_np(a, alpha=1.0, scale=1.0, input_scale=1.0):
    neg = np.expm1(np.minimum(a, 0) * input_scale) * (alpha * scale)
    return np.where(a > 0, a * scale, neg).astype(a.dtype, copy=False)


def _elu_grad(x, g, alpha=1.0, scale=1.0, input_scale=1.0):
    # PyTorch's test is x <= 0 for the exponential side: a NaN input takes the linear side's g·scale
    return where(x <= 0, g * ((x.clamp(max=0) * input_scale).exp() * (alpha * scale * input_scale)), g * scale)


def _softplus_np(a, beta=1.0, threshold=20.0):
    z = a * beta
    return np.where(z > threshold, a, np.log1p(np.exp(np.minimum(z, threshold))) / beta).astype(a.dtype, copy=False)


def _softplus_grad(x, g, beta=1.0, threshold=20.0):
    z = x * beta
    return where(z > threshold, g, g * z.sigmoid())


def _mish_np(a):
    return (a * np.tanh(_softplus_np(a))).astype(a.dtype, copy=False)


def _mish_grad(x, g):
    sp = apply(SOFTPLUS, x, beta=1.0, threshold=20.0)
    t = sp.tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


def _hardswish_np(a):
    return (a * np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False)


def _hardswish_grad(x, g):
    # PyTorch's kernel: 0 up to -3 included, the slope below 3, g from 3 on and for NaN (which fails both tests)
    return where(x <= -3, 0.0, where(x < 3, g * (x / 3 + 0.5), g))


LEAKY_RELU = pointwise("LeakyReluBackward0",
                       lambda a, negative_slope=0.01: np.where(a > 0, a, a * negative_slope).astype(a.dtype),
                       lambda x, g, negative_slope=0.01: depends_on(where(x > 0, g, g * negative_slope), x,
                                                                    "LeakyReluBackwardBackward0"))
HARDTANH = pointwise("HardtanhBackward0", lambda a, min_val, max_val: np.clip(a, min_val, max_val).astype(a.dtype),
                     lambda x, g, min_val, max_val: depends_on(where((x <= min_val) | (x >= max_val), 0.0, g), x,
                                                                     "HardtanhBackwardBackward0"))
ELU = pointwise("EluBackward0", _elu_np, _elu_grad)
CELU = pointwise("CeluBackward0", _elu_np, _elu_grad)
GELU = Op("GeluBackward0", _gelu_np, lambda n, g: _gelu_grad(n.saved_tensors[0], g, **n.kwargs), save="a",
          saved_names=("self",), stateful=True, backward_np=_gelu_bw_np)
SILU = pointwise("SiluBackward0", lambda a: (a * _sigmoid_np(a)).astype(a.dtype, copy=False),
                 lambda x, g: g * (lambda s: s * (1 + x * (1 - s)))(x.sigmoid()))
MISH = pointwise("MishBackward0", _mish_np, _mish_grad)
SOFTPLUS = pointwise("SoftplusBackward0", _softplus_np, _softplus_grad)
LOG_SIGMOID = pointwise("LogSigmoidBackward0", log_sigmoid_np, lambda x, g: g * (-x).sigmoid())
HARDSIGMOID = pointwise("HardsigmoidBackward0", lambda a: (np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False),
                        lambda x, g: depends_on(where((x > -3) & (x < 3), g / 6, 0.0), x,
                                                "HardsigmoidBackwardBackward0", underivable="hardsigmoid_backward"))
HARDSWISH = pointwise("HardswishBackward0", _hardswish_np, _hardswish_grad)
THRESHOLD = pointwise("ThresholdBackward0",
                      # PyTorch's test is x <= threshold: a NaN input passes, as the gradient does
                      lambda a, threshold, value: np.where(a <= threshold, value, a).astype(a.dtype, copy=False),
                      lambda x, g, threshold, value: depends_on(where(x <= threshold, 0.0, g), x,
                                                                "ThresholdBackwardBackward0"))
SOFTSHRINK = pointwise("SoftshrinkBackward0",
                       lambda a, lambd=0.5: np.where(a > lambd, a - lambd, np.where(a < -lambd, a + lambd, a * 0))
                       .astype(a.dtype, copy=False),
                       lambda x, g, lambd=0.5: where((x >= -lambd) & (x <= lambd), 0.0, g))
# PyTorch's kernels test "inside [-lambd, lambd]", so NaN is outside: it passes (values and gradients)
HARDSHRINK = pointwise("HardshrinkBackward0",
                       lambda a, lambd=0.5: np.where((a >= -lambd) & (a <= lambd), 0, a).astype(a.dtype, copy=False),
                       lambda x, g, lambd=0.5: where((x >= -lambd) & (x <= lambd), 0.0, g))
# activations whose PyTorch kernels are floating point only (an int or bool input raises, naming the kernel)
for _op, _kernel in ((LEAKY_RELU, "leaky_relu_cpu"), (ELU, "elu_cpu"), (CELU, "elu_cpu"), (GELU, "GeluKernelImpl"),
                     (SILU, "silu_cpu"), (MISH, "mish_cpu"), (SOFTPLUS, "softplus_cpu"),
                     (LOG_SIGMOID, "log_sigmoid_cpu"), (HARDSIGMOID, "hardsigmoid_cpu"), (HARDSWISH, "hardswish_cpu"),
                     (SOFTSHRINK, "softshrink_check"), (HARDSHRINK, "hardshrink_cpu")):
    _op.forward = _floating_only(_kernel, _op.forward)


def _prelu_np(a, w, channel_shape):
    return np.where(a > 0, a, a * w.reshape(channel_shape)).astype(a.dtype, copy=False)


def _prelu_bw(n, g):
    x, w = n.saved_tensors
    shape = n.kwargs["channel_shape"]
    need = n.needs_input_grad
    pos = x > 0
    gx = where(pos, g, g * w.reshape(shape)) if need[0] else None
    gw = None
    if need[1]:
        full = where(pos, 0.0, g * x)
        red = tuple(i for i, s in enumerate(shape) if s == 1 and full._data.shape[i] != 1) if len(shape) else ()
        if len(shape) == 0 or w._data.size == 1:
            gw = full.sum().reshape(w._data.shape)
        else:
            gw = full.sum(red).reshape(w._data.shape)
    return gx, gw


PRELU = Op("PreluKernelBackward0", _prelu_np, _prelu_bw, save="ab", saved_names=("self", "weight"))


def _glu_np(a, dim):
    h = a.shape[dim] // 2
    first = np.take(a, np.arange(h), axis=dim)
    second = np.take(a, np.arange(h, 2 * h), axis=dim)
    return first * _sigmoid_np(second)


def _glu_bw(n, g):
    (x,) = n.saved_tensors
    dim = n.kwargs["dim"]
    a, b = x.chunk(2, dim)
    s = b.sigmoid()

    return cat([g * s, g * a * s * (1 - s)], dim)


GLU = Op("GluBackward0", _glu_np, _glu_bw, save="a", saved_names=("self",))
