"""``graphgrad.backends.cudnn``: cuDNN's switches, recorded; cuDNN itself is never available on the CPU."""

import sys

from ._switch import switched

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None


def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
          fp32_precision="none", depthwise_kernel="auto"):
    """``with cudnn.flags(enabled=False): ...`` sets the switches for a block (PyTorch's defaults)."""
    return switched(sys.modules[__name__], enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
                    deterministic=deterministic, allow_tf32=allow_tf32)
