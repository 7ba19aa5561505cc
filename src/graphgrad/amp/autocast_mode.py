"""``autocast``: PyTorch's CPU autocast. Inside ``with autocast("cpu", dtype=...)`` the ops on PyTorch's
CPU lists run in another dtype:

- lower precision (``LOWER_PRECISION``: matmul, linear, conv, ...): float32/float16/bfloat16 inputs are
  cast to the autocast dtype (float64 and integer inputs are left alone, as PyTorch does);
- float32 (``FLOAT32``: the losses, ``prod``, ``cdist``, ...): lower-precision inputs are cast up to float32;
- promote (``PROMOTE``: ``cat``, ``stack``): inputs are cast to the widest floating dtype among them.

The casts are ordinary differentiable ops (``ToCopyBackward0``), so gradients reach float32 parameters in
float32. ``enabled=False`` changes nothing. A CUDA autocast on this CPU-only machine warns and is
disabled, as in PyTorch's CPU build.

>>> import graphgrad as torch
>>> a, b = torch.ones(2, 3), torch.ones(3, 2)
>>> with torch.autocast("cpu", dtype=torch.float16):
...     (a @ b).dtype, (a + a).dtype
(graphgrad.float16, graphgrad.float32)
"""

from __future__ import annotations

import functools
import threading
import warnings

from .. import _dtype
from .._device import device as _device
from .._tensor import Tensor

LOWER_PRECISION = ("matmul", "mm", "bmm", "addmm", "baddbmm", "addbmm", "linear", "conv1d", "conv2d", "conv3d",
                   "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu",
                   "scaled_dot_product_attention")
FLOAT32 = ("prod", "cdist", "trace", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss",
           "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "margin_ranking_loss", "soft_margin_loss", "cosine_embedding_loss", "hinge_embedding_loss",
           "poisson_nll_loss", "triplet_margin_loss", "multi_margin_loss", "multilabel_margin_loss")
PROMOTE = ("cat", "stack")
# the Tensor operators that are the matmul op
_MATMUL_OPERATORS = ("__matmul__", "__rmatmul__")


class _AutocastState(threading.local):
    def __init__(self):
        self.cpu_dtype = None  # the autocast dtype while CPU autocast is on, else None
        self.default_cpu_dtype = None  # None: bfloat16 (PyTorch's default) once it exists


_state = _AutocastState()


def _default_cpu_dtype():
    return _state.default_cpu_dtype or getattr(_dtype, "bfloat16", None)


def _eligible(t):
    """PyTorch casts only floating tensors that are not float64 (a sparse tensor's values are cast by to())."""
    if not isinstance(t, Tensor):
        return False
    return t.dtype.is_floating_point and t.dtype is not _dtype.float64  # bfloat16 included (NumPy kind "V")


def _cast_all(value, target):
    if _eligible(value) and value.dtype is not target:
        return value.to(target)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return type(value)(_cast_all(v, target) for v in value)
    return value


def _widest(args):
    best = None
    for a in args:
        for t in (a if isinstance(a, (list, tuple)) else (a,)):
            if _eligible(t) and (best is None or t.dtype.itemsize > best.itemsize):
                best = t.dtype
    return best


def _autocasting(fn, policy):
    """``fn`` with its tensor arguments cast by ``policy`` while CPU autocast is on (untouched otherwise)."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        target = _state.cpu_dtype
        if target is None:
            return fn(*args, **kwargs)
        if policy == "float32":
            target = _dtype.float32
        elif policy == "promote":
            target = _widest(args) or target
        args = [_cast_all(a, target) for a in args]
        kwargs = {k: _cast_all(v, target) for k, v in kwargs.items()}
        _state.cpu_dtype, outer = None, _state.cpu_dtype  # the op's own inner calls are not cast again
        try:
            return fn(*args, **kwargs)
        finally:
            _state.cpu_dtype = outer

    call.__autocast_policy__ = policy
    return call


def install(graphgrad):
    """Route the listed functions (``graphgrad.*``, ``Tensor.*``, ``nn.functional.*``) through autocast."""
    from ..nn import functional

    for names, policy in ((LOWER_PRECISION, "lower"), (FLOAT32, "float32"), (PROMOTE, "promote")):
        for name in names:
            for owner in (graphgrad, Tensor, functional):
                fn = owner.__dict__.get(name) if owner is Tensor else getattr(owner, name, None)
                if fn is not None and not hasattr(fn, "__autocast_policy__"):
                    setattr(owner, name, _autocasting(fn, policy))
    for op in _MATMUL_OPERATORS:
        setattr(Tensor, op, _autocasting(Tensor.__dict__[op], "lower"))


class autocast:
    """``with autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` (also a decorator)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = _device(device_type).type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        if self.device == "cpu":
            if self.fast_dtype is None:
                self.fast_dtype = _default_cpu_dtype()
                if self.fast_dtype is None:
                    raise RuntimeError("autocast(device_type='cpu') defaults to bfloat16, which this build "
                                       "lacks; pass dtype=graphgrad.float16")
            if self._enabled and self.fast_dtype not in _lower_dtypes():
                warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                              "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                              UserWarning, stacklevel=2)
                self._enabled = False
        elif self.device == "cuda":
            if self._enabled:
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                              UserWarning, stacklevel=2)
            self._enabled = False
        else:
            self._enabled = False  # PyTorch's CPU build disables the other devices' autocast silently

    def __enter__(self):
        self._prev = _state.cpu_dtype
        if self.device == "cpu":
            _state.cpu_dtype = self.fast_dtype if self._enabled else None
        return self

    def __exit__(self, *exc):
        if self.device == "cpu":
            _state.cpu_dtype = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorated


def _lower_dtypes():
    return tuple(d for d in (getattr(_dtype, "bfloat16", None), _dtype.float16) if d is not None)


def is_autocast_available(device_type):
    return device_type == "cpu"


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for ``device_type`` (PyTorch's no-argument form asks about CUDA)."""
    return device_type == "cpu" and _state.cpu_dtype is not None


def get_autocast_dtype(device_type):
    if device_type == "cpu":
        return _state.cpu_dtype or _default_cpu_dtype()
    return _dtype.float16


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def is_autocast_cpu_enabled():
    return is_autocast_enabled("cpu")


def custom_fwd(fwd=None, *, device_type="cuda", cast_inputs=None):
    """Decorator for a custom Function's forward; with no CUDA autocast there is nothing to do."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type="cuda"):
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
