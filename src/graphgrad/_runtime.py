"""Process-wide switches PyTorch has on its top level: the default device, the float32 matmul precision,
the thread counts. They are recorded (and checked as PyTorch checks them); NumPy does the computing.

>>> import graphgrad
>>> graphgrad.set_float32_matmul_precision("high"); graphgrad.get_float32_matmul_precision()
'high'
>>> graphgrad.set_float32_matmul_precision("highest")
"""

from __future__ import annotations

import os

from ._core import jit
from ._device import check_device, device
from .backends.cuda import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: F401

_threads = {"interop": os.cpu_count() or 1}  # (the intra-op count is the compiled loops', in _core.jit)
default_device = None  # set_default_device's device; the factories put new tensors there


def set_default_device(device_spec):
    """Record the device the factories use when given none. Only the CPU holds tensors: as in PyTorch's
    CPU build, naming another device is accepted here and the factories (and ``get_default_device``) raise."""
    global default_device
    default_device = None if device_spec is None else device(device_spec)


def get_default_device():
    if default_device is None:
        return device("cpu")
    check_device(default_device)
    return default_device


def _positive_int(name, n):
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")


def set_num_threads(n):
    """How many threads the compiled loops split their work over and MKL's products run on (the ``fast`` extra;
    one in a forked child whose parent loaded MKL). Without MKL, NumPy's BLAS keeps its own pool."""
    _positive_int("set_num_threads", n)
    jit.set_threads(n)


def get_num_threads():
    return jit.threads()


def set_num_interop_threads(n):
    _positive_int("set_num_interop_threads", n)
    _threads["interop"] = n


def get_num_interop_threads():
    return _threads["interop"]
