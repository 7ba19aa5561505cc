"""Freed array memory kept for the next arrays instead of being handed back to the OS at once (glibc only).

NumPy allocates every array with ``malloc``. Out of the box glibc serves large blocks with fresh ``mmap``s
and gives the top of its heap back as soon as a few MiB there are free, so a training step, which frees its
activations after backward and allocates them again in the next forward, page-faults through all of them
every step: a fifth of a small transformer's step on one core. graphgrad raises both thresholds when it is
imported (blocks under 16 MiB come from the heap, which keeps up to 32 MiB of free memory at its top), the
way PyTorch's caching allocator keeps GPU memory. Peak memory is unchanged; memory freed at the end of a
computation may stay with the process until it allocates again. ``GRAPHGRAD_KEEP_FREED_MEMORY=0`` in the
environment leaves ``malloc`` as it is.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

# glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 << 20  # bytes: blocks up to this size come from the heap
TRIM_THRESHOLD = 32 << 20  # bytes of free memory the heap keeps at its top


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds (see the module's text); whether they were set.

    >>> isinstance(keep_freed_memory(), bool)
    True
    """
    if os.environ.get("GRAPHGRAD_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    # (setting either turns off glibc's own adjustment of the other, so both are set)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
