"""NaN and inf without NumPy's warnings, as PyTorch computes them.

PyTorch returns log(-1), 0/0, exp(1000) silently: NaN and inf are values. NumPy reports each one as a
``RuntimeWarning`` (invalid value / divide by zero / overflow encountered in ...), which ``-W error`` turns into
an exception. So graphgrad's own array arithmetic runs with NumPy's floating-point error handling set to
"ignore", and the user's NumPy code keeps whatever the user set:

- the state is NumPy's own per-context one (NumPy 2 keeps it in a context variable, so it is per thread and
  per asyncio task): ``quiet()`` sets it and returns the token that ``restore(token)`` resets it with. That
  costs about 0.1 us, cheap enough for every op's dispatch (``np.errstate`` builds its setting on each entry
  and costs about 0.8 us);
- op dispatch (ops/_op.py ``apply``, ``apply_one``; ops/_inplace.py) runs each forward between the two; the
  engine runs a whole backward pass between ``quiet_backward()`` and ``restore_backward()``, and the user code
  it calls (hooks, a custom Function's backward) through ``as_user``, under the user's setting again;
- the few functions that compute on arrays outside an op (a factory's cast, the statistics batch_norm computes
  before its op, clip_grad_norm_'s norms, an optimizer's update on arrays) are declared ``@quietly``.

Floating-point errors only: NumPy's Python-level warnings ("Mean of empty slice") come from the calls that make
them, which graphgrad avoids (ops/reduce.py ``mean_np``).

>>> import numpy as np
>>> token = quiet(); np.geterr()["invalid"]
'ignore'
>>> restore(token); np.geterr()["invalid"]
'warn'
"""

from __future__ import annotations

import contextvars
import functools

import numpy as np


def _numpy_state(seterr=False):
    """``(read, enter, leave, ignore)``: read this context's error state, set it (returning a token), reset it
    from the token, and the state that ignores every floating-point error. ``seterr``: the NumPy 1 form."""
    if not seterr:
        try:  # NumPy 2: the context variable np.errstate sets (the one private name used)
            from numpy._core.umath import _extobj_contextvar as var
        except ImportError:
            seterr = True
    if seterr:  # NumPy 1 keeps a per-thread state, read and written as the dicts of geterr/seterr (about 2 us)
        return (np.geterr, lambda state: np.seterr(**state), lambda old: np.seterr(**old),
                dict.fromkeys(("divide", "over", "under", "invalid"), "ignore"))
    with np.errstate(all="ignore"):
        ignore = var.get()
    return var.get, var.set, var.reset, ignore


_read, _enter, _leave, IGNORE = _numpy_state()
quiet = functools.partial(_enter, IGNORE)  # (a C-level call: no Python frame on the hot path)
restore = _leave

# The user's state while a backward pass runs quiet in this context (None outside one).
_user_state = contextvars.ContextVar("graphgrad_user_fp_state", default=None)


def quiet_backward():
    """``quiet()`` for a whole backward pass, remembering the user's state for ``as_user``."""
    return _user_state.set(_read()), _enter(IGNORE)


def restore_backward(tokens):
    user, state = tokens
    _leave(state)
    _user_state.reset(user)


def as_user(fn, *args):
    """``fn(*args)`` under the user's own error state: the user code a backward pass calls (hooks, a custom
    Function's backward), whose NumPy calls warn as the user set them to (graphgrad ops in it are quiet anyway)."""
    user = _user_state.get()
    if user is None:
        return fn(*args)
    token = _enter(user)
    try:
        return fn(*args)
    finally:
        _leave(token)


def quietly(fn):
    """``fn`` run quiet: a graphgrad function that computes on arrays outside an op's forward."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        token = quiet()
        try:
            return fn(*args, **kwargs)
        finally:
            restore(token)

    return run
