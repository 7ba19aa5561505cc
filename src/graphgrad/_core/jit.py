"""Optional compiled loops (the ``fast`` extra): plain Python loops that numba compiles when it is installed.

A loop here performs the same float operations as the NumPy form it stands in for, in the same order; numba
compiles with no fast-math, so each result is rounded as NumPy rounds it. Callers keep their NumPy form and
run it wherever ``compile_loops`` gives False (no numba) or a loop fails to compile.
"""

from __future__ import annotations


def compile_loops(loops):
    """{name: compiled loop} for ``loops`` ({name: Python function}), or False without a loadable numba.

    Each loop compiles at its first call, once per installation where numba finds a place to keep its
    machine code (else once per process).

    >>> compiled = compile_loops({})
    >>> compiled is False or compiled == {}
    True
    """
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


class LoopSet:
    """Loops compiled together at the first ``run``; ``run`` says whether the loop ran (else the caller
    runs its NumPy form).

    >>> loops = LoopSet({})
    >>> loops.run("missing")  # no such loop (or no numba): the NumPy form runs
    False
    """

    def __init__(self, loops):
        self._source = loops
        self._compiled = None  # {name: compiled loop}, or False without numba or after a failed compile

    def run(self, name, *args):
        if self._compiled is None:
            self._compiled = compile_loops(self._source)
        if not self._compiled or name not in self._compiled:
            return False
        try:
            self._compiled[name](*args)
        except Exception:  # numba failed to compile (a broken installation): it is compiled before it runs
            self._compiled = False
            return False
        return True
