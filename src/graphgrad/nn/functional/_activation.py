"""Activations, the softmax family and gumbel_softmax."""

from __future__ import annotations

import warnings

import numpy as np

import graphgrad

from ... import _random_kernels
from ..._dtype import is_float_np
from ..._tensor import Tensor
from ...ops import activation as activation_ops
from ...ops import reduce as reduce_ops
from ...ops import rrelu as rrelu_ops
from ...ops import unary as unary_ops
from ...ops._autocast import autocast_rule
from ...ops._inplace import apply_inplace
from ...ops._op import _torch_name, apply
from ...random import generator_or_default
from ._common import _const


# --- activations ----------------------------------------------------------------------------------
def _act(op, input, inplace=False, **kw):
    return apply_inplace(op, input, **kw) if inplace else apply(op, input, **kw)


def relu(input, inplace=False):
    """``max(x, 0)`` (ReluBackward0)."""
    return input.relu_() if inplace else unary_ops.relu(input)


def relu_(input):
    return input.relu_()


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)`` (HardtanhBackward0, as PyTorch records it)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def check_hardtanh_range(min_val, max_val):
    """PyTorch's hardtanh compares its bounds before its kernel reads them (its TypeError for bounds that
    cannot be compared comes first too)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    check_hardtanh_range(min_val, max_val)
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return _act(activation_ops.HARDTANH, input, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if not isinstance(negative_slope, (int, float, np.number, Tensor)):
        raise TypeError(f"leaky_relu(): argument 'negative_slope' (position 2) must be Number, not "
                        f"{type(negative_slope).__name__}")
    return _act(activation_ops.LEAKY_RELU, input, inplace, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


@autocast_rule
def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)`` with one weight per channel (dim 1) or a single one."""
    c = input._data.shape[1] if input._data.ndim >= 2 else 1
    if weight._data.size != 1 and weight._data.size != c:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight._data.size} and channel size = {c}.")
    if weight._data.size == 1 or input._data.ndim < 2:
        shape = (1,) * input._data.ndim if input._data.ndim else ()
    else:
        shape = (1, c) + (1,) * (input._data.ndim - 2)
    return apply(activation_ops.PRELU, input, weight, channel_shape=shape)


def elu(input, alpha=1.0, inplace=False):
    return _act(activation_ops.ELU, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _act(activation_ops.ELU, input, inplace, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _act(activation_ops.CELU, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def selu_(input):
    return selu(input, True)


def _rrelu_noise(x, lower, upper, training):
    """Each element's slope, as PyTorch's rrelu_with_noise: for x <= 0, in training one
    ``uniform_real_distribution<double>(lower, upper)`` draw per element in order (u53 * (upper - lower) + lower,
    the bounds in the input's compute type first) cast to that type, in eval ``(lower + upper) / 2``; 1 elsewhere."""
    neg = ~(x > 0)  # (NaN takes the slope in eval, PyTorch's leaky_relu; in training its test x <= 0 leaves it 1)
    if not training:
        return np.where(neg, x.dtype.type((lower + upper) / 2), x.dtype.type(1))
    neg &= ~np.isnan(x)
    work = _random_kernels.opmath(x.dtype)
    lo, hi = float(work(lower)), float(work(upper))
    u = _random_kernels.unit_doubles(generator_or_default(None), int(np.count_nonzero(neg)))
    noise = np.ones(x.shape, x.dtype)
    noise[neg] = _random_kernels.cast((u * (hi - lo) + lo).astype(work), x.dtype)
    return noise


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: slopes drawn from U(lower, upper) in training, their mean in eval
    (RreluWithNoiseBackward0)."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not is_float_np(input._data.dtype):
        kernel = "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(input._data.dtype)}\'')
    noise = _rrelu_noise(input._data, lower, upper, training)
    return _act(rrelu_ops.RRELU_WITH_NOISE, input, inplace, noise=noise, lower=lower, upper=upper, training=training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def gelu(input, *, approximate="none"):
    """``x * Phi(x)``, or its tanh approximation with ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(activation_ops.GELU, input, approximate=approximate)


def silu(input, inplace=False):
    return _act(activation_ops.SILU, input, inplace)


def mish(input, inplace=False):
    return _act(activation_ops.MISH, input, inplace)


def sigmoid(input):
    return unary_ops.sigmoid(input)


def tanh(input):
    return unary_ops.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""
    return apply(activation_ops.SOFTPLUS, input, beta=beta, threshold=threshold)


def logsigmoid(input):
    return apply(activation_ops.LOG_SIGMOID, input)


def hardsigmoid(input, inplace=False):
    return _act(activation_ops.HARDSIGMOID, input, inplace)


def hardswish(input, inplace=False):
    return _act(activation_ops.HARDSWISH, input, inplace)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``."""
    return _act(activation_ops.THRESHOLD, input, inplace, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    return _act(activation_ops.THRESHOLD, input, True, threshold=threshold, value=value)


def softshrink(input, lambd=0.5):
    return apply(activation_ops.SOFTSHRINK, input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    return apply(activation_ops.HARDSHRINK, input, lambd=lambd)


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def glu(input, dim=-1):
    """``a * sigmoid(b)`` for the two halves ``a, b`` of ``input`` along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input._data.ndim
    if input._data.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input._data.shape[d]}")
    return apply(activation_ops.GLU, input, dim=d)


def _implicit_dim(name, input, dim, stacklevel):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                      "as an argument.", stacklevel=stacklevel)
        dim = 0 if input.dim() in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return dim


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (SoftmaxBackward0)."""
    return reduce_ops.softmax(input, _implicit_dim("softmax", input, dim, _stacklevel), dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (LogSoftmaxBackward0)."""
    return reduce_ops.log_softmax(input, _implicit_dim("log_softmax", input, dim, _stacklevel), dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return reduce_ops.softmax(-input, _implicit_dim("softmin", input, dim, _stacklevel), dtype=dtype)



def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution; ``hard`` gives one-hot samples with soft gradients."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    # as PyTorch: -empty_like(logits).exponential_().log()
    gumbels = _const(-np.log(graphgrad.empty_like(logits.detach()).exponential_()._data))
    y_soft = graphgrad.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = dim % logits._data.ndim
    hard_np = (np.arange(logits._data.shape[d]).reshape((-1,) + (1,) * (logits._data.ndim - d - 1)) ==
               np.expand_dims(y_soft._data.argmax(d), d)).astype(logits._data.dtype)
    return _const(hard_np) - y_soft.detach() + y_soft

