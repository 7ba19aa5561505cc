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
# Below this many elements of work a part, handing it to another of the Python threads (tens of microseconds) costs
# more than it saves.
MIN_SPLIT = 1 << 16
# A loop with little arithmetic a byte (a copy, a choice, an optimizer's update, 2x2 pooling) runs at the
# memory's speed, which the cores share. Measured on 2 cores with the Python threads: run again and again on the
# same arrays, a second thread paid from parts of about a million elements; inside a training step, where the
# arrays come from the previous op in one core's cache, splits of 1 to 2.4 million elements lost (0.3-0.5 ms a
# convnet step), as OpenBLAS's threads spun beside them. So only arrays well past the caches split there.
MIN_SPLIT_STREAMING = 1 << 22
# On the OpenMP pool (where MKL multiplies, ``_openmp_pool``) a part starts in a few microseconds on a thread that
# is spinning anyway, and every loop pays from parts of this size: measured on 2 cores, best of 5 processes, against
# the thresholds above, convnet_step 15.2 -> 11.6 ms, cnn_step 4.0 -> 3.3 ms, mlp_step 2.16 -> 2.14 ms,
# transformer_step 25.8 -> 25.4 ms (16K parts were no better, 8K worse on the conv nets).
MIN_SPLIT_OPENMP = 1 << 15


def _default_threads():
    """PyTorch's default intra-op thread count: OMP_NUM_THREADS where set (torchrun sets 1), else the cores
    this process may run on."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_threads = {"count": _default_threads()}
_pool = {"pid": None, "executor": None, "size": 0}


_listeners = []  # called with the new count: the BLAS that shares the count (``blas``)


def on_set_threads(listener):
    _listeners.append(listener)


def set_threads(n):
    """How many threads ``split`` runs a loop on (``graphgrad.set_num_threads`` sets it)."""
    _threads["count"] = n
    for listener in _listeners:
        listener(n)


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

    def __init__(self, helpers=(), **loops):
        self._python = loops
        self._helpers = helpers  # functions the loops call: compiled first, in place of the module's Python ones
        self._compiled = None  # {name: compiled loop} after the first call; False without a loadable numba
        self._parallel = None  # {name: the loop's parallel runner} (``_run_on_openmp``)
        self.enabled = True

    def __call__(self, name, *args):
        if not (ENABLED and self.enabled):
            return False
        if self._compiled is None:
            self._compiled = _compile(self._python, self._helpers)
        if not self._compiled:
            return False
        try:
            self._compiled[name](*args)
        except Exception:  # numba failed to compile (a broken installation): it compiles before it runs
            self._compiled = False
            return False
        return True

    def compiled(self, name):
        """Loop ``name`` compiled, to call directly (each call then costs only numba's dispatch), or None where
        the loops don't compile (numba missing, ``enabled`` False)."""
        if not (ENABLED and self.enabled):
            return None
        if self._compiled is None:
            self._compiled = _compile(self._python, self._helpers)
        return self._compiled[name] if self._compiled else None

    def split(self, name, rows, *args, work_per_row=1, streaming=False):
        """Run loop ``name(start, stop, *args)``, which computes rows ``start:stop`` of ``rows``, over all of
        them: on several threads when each part has at least ``MIN_SPLIT`` elements of work (``work_per_row``
        elements a row; ``MIN_SPLIT_STREAMING`` for a loop that only streams memory; ``MIN_SPLIT_OPENMP`` for
        any loop on the OpenMP pool). True when it ran, False
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
        if rows * work_per_row < 2 * MIN_SPLIT_OPENMP:  # one part on any pool (the smallest parts): no more to ask
            return self(name, 0, rows, *args)
        openmp = _openmp_pool()
        min_part = MIN_SPLIT_OPENMP if openmp else MIN_SPLIT_STREAMING if streaming else MIN_SPLIT
        parts = max(1, min(threads(), rows * work_per_row // min_part, rows))
        if parts == 1 or not (ENABLED and self.enabled and self._compiled):  # (the family loads at the first call)
            return self(name, 0, rows, *args)
        bounds = [rows * i // parts for i in range(parts + 1)]
        if openmp:
            return self._run_on_openmp(name, bounds, args)
        loop = self._compiled[name]
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

    def _run_on_openmp(self, name, bounds, args):
        """The parts of a split as one parallel loop of numba's ``omp`` layer (see ``_openmp_pool``)."""
        if self._parallel is None:
            self._parallel = {}
        runner = self._parallel.get(name)
        try:
            if runner is None:
                runner = self._parallel[name] = _parallel_runner(self._python[name], self._compiled[name])
            runner(np.array(bounds, np.int64), *args)
        except Exception:  # as in __call__
            self._compiled = False
            return False
        return True


# Where MKL multiplies (``blas``), it does so on GNU OpenMP's thread pool, whose threads wait spinning for a while
# after each product. A second pool of threads (the Python threads of ``_executor``, or numba's other layers) then
# competes with them for the cores: a GELU of 1024x512 after a product took 1.25 ms on the Python threads, against
# 0.85 ms with its parts on the same OpenMP pool through numba's ``omp`` layer, as PyTorch runs its elementwise
# kernels on the pool its MKL uses. (Beside OpenBLAS's pool the ``omp`` layer is the worst choice: 7.9 ms.)
_openmp = {"pid": None, "usable": False, "when": None}


def share_openmp_pool_when(in_use):
    """Run splits on the OpenMP pool while ``in_use()`` (the BLAS on that pool, ``graphgrad._blas``, registers
    its ``owns_pool``: loaded, and not inherited through a fork) is true."""
    _openmp["when"] = in_use


def _openmp_pool():
    """Whether splits run on numba's ``omp`` layer: the BLAS on GNU OpenMP's pool in use by this process
    (``share_openmp_pool_when``), the layer started, and this is the process that started it (the pool does not
    survive a fork: a forked child uses the Python threads, and does not start the layer on a pool its parent
    had started either)."""
    if _openmp["pid"] is None:
        _openmp["pid"] = os.getpid()
        _openmp["usable"] = _start_openmp()
    return _openmp["usable"] and _openmp["pid"] == os.getpid()


def _start_openmp():
    if _openmp["when"] is None or not _openmp["when"]():
        return False
    try:
        import numba

        numba.config.THREADING_LAYER = "omp"
        # a parallel loop starts the layer: one cached between processes (compiling one takes a third of a second)
        _parallel_runner(_count_up, _compile({"count_up": _count_up})["count_up"])(np.arange(3), np.zeros(2))
        if numba.threading_layer() != "omp":  # another layer was started first in this process
            return False
        numba.set_num_threads(min(threads(), numba.config.NUMBA_NUM_THREADS))
    except Exception:  # no numba, or numba without its omp layer
        return False
    on_set_threads(_set_openmp_threads)
    return True


def _count_up(start, stop, x):
    for i in range(start, stop):
        x[i] = i


def _set_openmp_threads(n):
    import numba

    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


# The parallel runner of a loop, as source: numba keeps a compiled function's machine code between processes only for
# a function with a source file, and compiling a parallel runner takes about half a second (seven of them made a
# training run's first epoch take 3.6 s, the later ones 0.1 s). So each runner is compiled from this text as if it
# stood in its loop's module (``_parallel_runner``), and numba caches it beside the loop, invalidated when that
# module changes. The version in the name invalidates them when this text changes: raise it with any change below.
_RUNNER_VERSION = 1
_RUNNER = """
def {name}(bounds, *args):
    for part in prange(bounds.size - 1):
        loop(bounds[part], bounds[part + 1], *args)
"""


def _parallel_runner(python_loop, compiled_loop):
    """``run(bounds, *args)``: ``loop(bounds[p], bounds[p + 1], *args)`` for every part p, as one parallel loop of
    numba's, cached between processes where numba can cache (see ``_RUNNER``)."""
    import re
    import sys

    import numba

    source_file = getattr(sys.modules.get(python_loop.__module__), "__file__", None)
    name = f"_parallel_runner_v{_RUNNER_VERSION}_" + re.sub(r"\W", "_", python_loop.__qualname__)
    namespace = {"__name__": python_loop.__module__, "prange": numba.prange, "loop": compiled_loop}
    exec(compile(_RUNNER.format(name=name), source_file or "<parallel runner>", "exec"), namespace)
    # The cached machine code holds the loop it was compiled with, found again by the runner's name: cached only
    # when that loop is its module's function compiled (anything put in its place compiles afresh).
    cacheable = source_file is not None and getattr(compiled_loop, "py_func", None) is python_loop
    for cache in (True, False) if cacheable else (False,):  # as ``_compile``: compiled in each process without
        try:
            return numba.njit(parallel=True, nogil=True, error_model="numpy", cache=cache)(namespace[name])
        except Exception:  # ... a place for the cache
            if not cache:
                raise


def _compile(loops, helpers=()):
    """{name: compiled loop} for ``loops``, or False without a loadable numba. Each loop compiles at its first
    call, once per installation where numba finds a place to keep its machine code (else once per process).
    A helper the loops call becomes its compiled form in its module (the name the loops look up), still
    callable from Python."""
    try:
        import numba  # here, not at import: numba takes a fifth of a second and ~100 MB to load
    except Exception:  # missing, or not loadable with this NumPy: the NumPy forms
        return False
    for cache in (True, False):  # without a place for the cache: compiled in each process
        try:
            for helper in helpers:  # (in the modules of the helper and of every loop: where the name is looked up)
                compiled = _jit(numba, getattr(helper, "py_func", helper), cache)
                for module in {id(f.__globals__): f.__globals__ for f in (helper, *helpers, *loops.values())}.values():
                    if helper.__name__ in module:
                        module[helper.__name__] = compiled
            return {name: _jit(numba, loop, cache=cache) for name, loop in loops.items()}
        except Exception:
            if not cache:
                raise
    return False


def reassociated(helper):
    """Mark a helper (a sum) whose float additions the compiler may reorder, so that it adds in vector lanes:
    its result then agrees with an in-order sum to rounding, not bit for bit, and is the same on every call."""
    helper.reassociated = True
    return helper


def _jit(numba, loop, cache):
    # error_model="numpy": a division by zero gives inf/NaN as in NumPy, not ZeroDivisionError
    fastmath = {"reassoc"} if getattr(loop, "reassociated", False) else False
    return numba.njit(nogil=True, error_model="numpy", cache=cache, fastmath=fastmath)(loop)
