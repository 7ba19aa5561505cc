"""``autocast``: PyTorch's CPU autocast. Inside ``with autocast("cpu", dtype=...)`` the ops on PyTorch's
CPU lists run in another dtype; the lists and the casting rule, which each listed op carries from its
definition on, are in ``graphgrad.ops._autocast``. ``enabled=False`` changes nothing. A CUDA autocast on
this CPU-only machine warns and is disabled, as in PyTorch's CPU build.

>>> import graphgrad as torch
>>> a, b = torch.ones(2, 3), torch.ones(3, 2)
>>> with torch.autocast("cpu", dtype=torch.float16):
...     (a @ b).dtype, (a + a).dtype
(graphgrad.float16, graphgrad.float32)
"""

from __future__ import annotations

import functools
import warnings

from .. import _dtype
from .._device import device as _device
from ..ops._autocast import state


def _default_cpu_dtype():
    return state.default_cpu_dtype or getattr(_dtype, "bfloat16", None)


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
        self._prev = state.cpu_dtype
        if self.device == "cpu":
            state.cpu_dtype = self.fast_dtype if self._enabled else None
        return self

    def __exit__(self, *exc):
        if self.device == "cpu":
            state.cpu_dtype = self._prev
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
    return device_type == "cpu" and state.cpu_dtype is not None


def get_autocast_dtype(device_type):
    if device_type == "cpu":
        return state.cpu_dtype or _default_cpu_dtype()
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
