"""Optional compiled loops (the ``fast`` extra): plain Python loops that numba compiles when it is installed.

A loop here performs the same float operations as the NumPy form it stands in for, in the same order; numba
compiles with no fast-math, so each result is rounded as NumPy rounds it. Callers keep their NumPy form and
run it wherever a loop did not run: no numba, loops switched off, or a loop that fails to compile.

``GRAPHGRAD_COMPILED_LOOPS=0`` in the environment switches every family off (NumPy forms only); each family's
``enabled`` switches one off (the tests run both forms that way).
"""

from __future__ import annotations

import os

ENABLED = os.environ.get("GRAPHGRAD_COMPILED_LOOPS", "1") != "0"


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
    ...     np.multiply(x, 2, out=out)  # the NumPy form
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
