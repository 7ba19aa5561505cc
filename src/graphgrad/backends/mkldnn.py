"""``graphgrad.backends.mkldnn``: oneDNN's switches as PyTorch's CPU build has them (recorded only)."""

import sys

from ._switch import switched

enabled = True
deterministic = False
allow_tf32 = True


def is_available():
    return True


def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """``with mkldnn.flags(enabled=False): ...`` sets the switches for a block."""
    return switched(sys.modules[__name__], enabled=enabled, deterministic=deterministic, allow_tf32=allow_tf32)
