"""``graphgrad.nn.attention``: choosing the kernels of ``F.scaled_dot_product_attention``, as in PyTorch.

PyTorch's CPU build can run two of its kernels there, the flash one and the math one; graphgrad computes
both as the math one (same formula, same numbers up to rounding). Turning both off makes attention fail
with PyTorch's error, as it does there.

>>> import graphgrad
>>> from graphgrad.nn.attention import SDPBackend, sdpa_kernel
>>> q = graphgrad.ones(1, 2, 3, 4)
>>> with sdpa_kernel(SDPBackend.MATH):
...     graphgrad.nn.functional.scaled_dot_product_attention(q, q, q).shape
graphgrad.Size([1, 2, 3, 4])
"""

import contextlib
import enum

from ...backends import cuda as _cuda

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The kernels of scaled dot product attention, with PyTorch's numbers."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


# the switch in backends.cuda that each backend owns
_SWITCH = {SDPBackend.CUDNN_ATTENTION: "cudnn", SDPBackend.FLASH_ATTENTION: "flash",
           SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.MATH: "math",
           SDPBackend.OVERRIDEABLE: "overrideable"}
_priority = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH,
             SDPBackend.CUDNN_ATTENTION, SDPBackend.OVERRIDEABLE]


def _enabled_backends(with_priority=False):
    enabled = [backend for backend, switch in _SWITCH.items() if _cuda._sdp[switch]]
    return sorted(enabled, key=_priority.index) if with_priority else enabled


def _select(backends, set_priority):
    for backend, switch in _SWITCH.items():
        _cuda._sdp[switch] = backend in backends
    if set_priority:  # the given order first, then the others in their previous order
        _priority[:] = list(backends) + [b for b in _priority if b not in backends]


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Enable only ``backends`` (one ``SDPBackend`` or a list) for attention inside the block; the previous
    selection comes back after it. ``set_priority=True`` also makes the list's order the order of preference."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
                             f"got {type(backends).__name__}")
    backends = list(dict.fromkeys([backends] if isinstance(backends, SDPBackend) else backends))
    previous = _enabled_backends(with_priority=set_priority)
    try:
        _select(backends, set_priority)
        yield {}
    finally:
        _select(previous, set_priority)


def cpu_kernel_enabled():
    """Whether a kernel that runs on a CPU (flash or math) is enabled."""
    return _cuda._sdp["flash"] or _cuda._sdp["math"]
