"""Optional compiled loops (the ``fast`` extra): plain Python loops that numba compiles when it is installed.

A loop here performs the same float operations as the NumPy form it stands in for, in the same order; numba
compiles with no fast-math, so each result is rounded as NumPy rounds it. (GELU's loop is the exception: its exp is
its own polynomial, within about one float32 rounding of NumPy's; see ``ops/_transformer_loops.py``.) Callers keep
their NumPy form and run it wherever a loop did not run: no numba, loops switched off, or a loop that fails to
compile.

``GRAPHGRAD_COMPILED_LOOPS=0`` in the environment switches every family off (NumPy forms only); each family's
``enabled`` switches one off (the tests run both forms that way).

Compiled loops let go of the interpreter lock, so ``CompiledLoops.split`` runs one over parts of its range on
several threads at once, as PyTorch spreads its elementwise kernels over the cores (``set_num_threads``). The
parts are whole rows, and each element is computed by the same operations whichever thread computes it, so the
numbers do not depend on the thread count. A pool of plain Python threads (not numba's own threading layers: they
spin beside OpenBLAS's threads, and one of them may not be entered from two threads at once).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ENABLED = os.environ.get("GRAPHGRAD_COMPILED_LOOPS", "1") != "0"
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # the dtypes the loops take; others run the NumPy forms
# Below this many elements of work a part, handing it to another thread (tens of microseconds) costs more than
# it saves.
MIN_SPLIT = 1 << 16
# A loop with little arithmetic a byte (a copy, a choice, an optimizer's update, 2x2 pooling) runs at the
# memory's speed, which the cores share. Measured on 2 cores: run again and again on the same arrays, a second
# thread paid from parts of about a million elements; inside a training step, where the arrays come from the
# previous op in one core's cache, splits of 1 to 2.4 million elements lost (0.3-0.5 ms a convnet step). So
# only arrays well past the caches split.
MIN_SPLIT_STREAMING = 1 << 22



def _default_threads():
    """PyTorch's default intra-op thread count: OMP_NUM_THREADS where set (torchrun sets 1), else the cores
    this process may run on."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_threads = {"count": _default_threads()}
_pool = {"pid": None, "executor": None, "size": 0}


def set_threads(n):
    """How many threads ``split`` runs a loop on (``graphgrad.set_num_threads`` sets it)."""
    _threads["count"] = n


def threads():
    return _threads["count"]


def _executor():
    """The helper threads (``threads() - 1``), made at first use, again after ``set_threads`` changed the count
    (the old pool's idle threads let go) and in a forked child (threads don't survive a fork)."""
    workers = threads() - 1
    if _pool["pid"] != os.getpid() or _pool["size"] != workers:
        if _pool["executor"] is not None and _pool["pid"] == os.getpid():
            _pool["executor"].shutdown(wait=False)
        _pool.update(pid=os.getpid(), size=workers,
                     executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="graphgrad-loop"))
    return _pool["executor"]


class CompiledLoops:
    """A family of loops, compiled together at the first call of any of them.

    ``loops(name, *args)`` runs loop ``name`` and returns True, or returns False (having written nothing) when
    the caller must run its NumPy form.

    >>> import numpy as np
    >>> def double(x, out):
    ...     for i in range(x.size):
    ...         out[i] = x[i] * 2
    >>> loops, x, out = CompiledLoops(double=double), np.arange(3.0), np.zeros(3)
    >>> if not loops("double", x, out):
    ...     out[:] = x * 2  # the NumPy form
    >>> out.tolist()
    [0.0, 2.0, 4.0]
    """

    def __init__(self, **loops):
        self._python = loops
        self._compiled = None  # {name: compiled loop} after the first call; False without a loadable numba
        self.enabled = True

    def __call__(self, name, *args):
        if not (ENABLED and self.enabled):
            return False
        if self._compiled is None:
            self._compiled = _compile(self._python)
        if not self._compiled:
            return False
        try:
            self._compiled[name](*args)
        except Exception:  # numba failed to compile (a broken installation): it compiles before it runs
            self._compiled = False
            return False
        return True

    def split(self, name, rows, *args, work_per_row=1, streaming=False):
        """Run loop ``name(start, stop, *args)``, which computes rows ``start:stop`` of ``rows``, over all of
        them: on several threads when each part has at least ``MIN_SPLIT`` elements of work (``work_per_row``
        elements a row; ``MIN_SPLIT_STREAMING`` for a loop that only streams memory). True when it ran, False
        (having written nothing) when the caller must run its NumPy form.

        >>> import numpy as np
        >>> def double_rows(start, stop, x, out):
        ...     for i in range(start, stop):
        ...         out[i] = x[i] * 2
        >>> loops, x, out = CompiledLoops(double_rows=double_rows), np.arange(3.0), np.zeros(3)
        >>> if not loops.split("double_rows", 3, x, out):
        ...     out[:] = x * 2  # the NumPy form
        >>> out.tolist()
        [0.0, 2.0, 4.0]
        """
        min_part = MIN_SPLIT_STREAMING if streaming else MIN_SPLIT
        parts = max(1, min(threads(), rows * work_per_row // min_part, rows))
        if parts == 1 or not (ENABLED and self.enabled and self._compiled):  # (the family loads at the first call)
            return self(name, 0, rows, *args)
        loop = self._compiled[name]
        bounds = [rows * i // parts for i in range(parts + 1)]
        others = [_executor().submit(loop, bounds[i], bounds[i + 1], *args) for i in range(1, parts)]
        try:
            loop(bounds[0], bounds[1], *args)  # this thread takes the first part
            ok = True
        except Exception:
            ok = False
        failed = [part.exception() for part in others]  # (waits for every part)
        if not ok or any(failed):  # as in __call__: a compile failure, in every part before it ran
            self._compiled = False
            return False
        return True


def _compile(loops):
    """{name: compiled loop} for ``loops``, or False without a loadable numba. Each loop compiles at its first
    call, once per installation where numba finds a place to keep its machine code (else once per process)."""
    try:
        import numba  # here, not at import: numba takes a fifth of a second and ~100 MB to load
    except Exception:  # missing, or not loadable with this NumPy: the NumPy forms
        return False
    try:
        return {name: _jit(numba, loop, cache=True) for name, loop in loops.items()}
    except Exception:  # no place for the cache: compiled in each process
        return {name: _jit(numba, loop, cache=False) for name, loop in loops.items()}


def _jit(numba, loop, cache):
    # error_model="numpy": a division by zero gives inf/NaN as in NumPy, not ZeroDivisionError
    return numba.njit(nogil=True, error_model="numpy", cache=cache)(loop)
