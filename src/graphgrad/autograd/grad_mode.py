"""Grad mode: whether ops record the graph. Context managers that also work as decorators.

The modes are thread-local (``graphgrad._core.modes``): a ``no_grad()`` block affects only its own thread."""

from __future__ import annotations

import functools

from .._core.modes import modes, restore_modes, save_modes, set_recording


def _set_grad(mode: bool) -> None:
    if modes.inference:
        modes.grad = mode  # enable_grad() inside inference_mode(): reported, but nothing is recorded
    else:
        set_recording(mode)


def is_grad_enabled() -> bool:
    """Whether grad mode is on in this thread (each thread has its own, as in PyTorch)."""
    return modes.grad if modes.inference else modes.recording


def is_inference_mode_enabled() -> bool:
    return modes.inference


class _GradModeContext:
    """Base: set the grad flag on enter, restore it on exit; usable as ``@decorator`` too."""

    _mode = True

    def __enter__(self):
        self._prev = save_modes()
        _set_grad(self._mode)
        # PyTorch's grad-mode managers give nothing to ``as``

    def __exit__(self, *exc):
        restore_modes(self._prev)
        return False

    def __call__(self, fn):
        cls = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)

        return wrapper


class _NoArgDecorator(_GradModeContext):
    # ``@no_grad`` without parentheses is accepted, as in PyTorch 2.
    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoArgDecorator):
    """Disable graph recording (``with graphgrad.no_grad(): ...`` or ``@graphgrad.no_grad()``).

    >>> import graphgrad
    >>> x = graphgrad.ones(2, requires_grad=True)
    >>> with graphgrad.no_grad():
    ...     (x * 2).requires_grad
    False
    """

    _mode = False


class enable_grad(_NoArgDecorator):
    """Re-enable graph recording inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once, and as a context manager restores on exit."""

    def __init__(self, mode: bool):
        self._prev = save_modes()
        self._mode = bool(mode)
        _set_grad(self._mode)

    def __enter__(self):
        return None

    def __call__(self, fn):
        mode = self._mode
        restore_modes(self._prev)  # used as a decorator: don't leave the flag changed

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(_GradModeContext):
    """Nothing is recorded, as under ``no_grad``, and every tensor made inside is an inference tensor
    (``t.is_inference()``, except views of normal tensors). Outside inference mode an inference tensor
    can't be saved for backward nor changed in place (PyTorch's errors). ``inference_mode(False)``
    turns grad mode back on inside it.

    >>> import graphgrad
    >>> with graphgrad.inference_mode():
    ...     x = graphgrad.ones(2)
    >>> x.is_inference(), x.requires_grad
    (True, False)
    """

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # ``@inference_mode`` without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = save_modes()
        if self.mode:
            set_recording(False)
            modes.inference = True
            modes.grad = False
        else:
            modes.inference = False
            set_recording(True)

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError("inference_mode expects a function")
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper
