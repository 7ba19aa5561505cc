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

from ...backends import cuda as _cuda
from ...backends.cuda import SDPBackend

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Enable only ``backends`` (one ``SDPBackend`` or a list) for attention inside the block; the previous
    selection comes back after it. ``set_priority=True`` also makes the list's order the order of preference."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
                             f"got {type(backends).__name__}")
    backends = list(dict.fromkeys([backends] if isinstance(backends, SDPBackend) else backends))
    with _cuda.sdp_selected(backends, set_priority):
        yield {}


def cpu_kernel_enabled():
    """Whether a kernel that runs on a CPU (flash or math) is enabled."""
    return _cuda._sdp["flash"] or _cuda._sdp["math"]
