"""``graphgrad.multiprocessing``: Python's ``multiprocessing`` with PyTorch's additions, ``spawn`` and
``start_processes`` (run ``fn(i, *args)`` in ``nprocs`` processes and pass a child's error on to the parent)
and the sharing-strategy switches.

Everything of the standard module is here under its own name (``Process``, ``Queue``, ``set_start_method``,
``cpu_count``, ...), as in PyTorch. One difference: PyTorch moves tensors between processes through shared
memory; graphgrad's tensors are NumPy arrays and travel pickled, so a child process works on its own copy.
The sharing strategies are recorded, with PyTorch's names and checks.

>>> import graphgrad.multiprocessing as mp
>>> sorted(mp.get_all_sharing_strategies()), mp.get_sharing_strategy()
(['file_descriptor', 'file_system'], 'file_descriptor')
"""

import multiprocessing
import sys
from multiprocessing import *  # noqa: F403  (PyTorch's module re-exports the standard one whole)

from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    spawn,
    start_processes,
)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "spawn",
           "start_processes", "ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException"] + list(multiprocessing.__all__)

# PyTorch's strategies for passing tensors' storage between processes (macOS has only file_system)
_all_sharing_strategies = {"file_system"} if sys.platform == "darwin" else {"file_descriptor", "file_system"}
_sharing_strategy = "file_system" if sys.platform == "darwin" else "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Record the strategy for sharing tensors between processes (one of ``get_all_sharing_strategies()``)."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The current strategy for sharing tensors between processes."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The set of strategies this system supports."""
    return set(_all_sharing_strategies)
