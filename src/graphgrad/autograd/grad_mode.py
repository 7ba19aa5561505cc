"""Grad mode: whether ops record the graph. Context managers that also work as decorators."""

from __future__ import annotations

import functools


class _State:
    # One flag read by every op on the hot path: a class attribute is the cheapest lookup.
    enabled = True
    inference = False


def is_grad_enabled() -> bool:
    return _State.enabled


def is_inference_mode_enabled() -> bool:
    return _State.inference


class _GradModeContext:
    """Base: set the grad flag on enter, restore it on exit; usable as ``@decorator`` too."""

    _mode = True

    def __enter__(self):
        self._prev = (_State.enabled, _State.inference)
        _State.enabled = self._mode
        return self

    def __exit__(self, *exc):
        _State.enabled, _State.inference = self._prev
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
        self._prev = (_State.enabled, _State.inference)
        self._mode = bool(mode)
        _State.enabled = self._mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        mode = self._mode
        _State.enabled = self._prev[0]  # used as a decorator: don't leave the flag changed

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(_GradModeContext):
    """Like ``no_grad``; tensors made inside are inference tensors (``inference_mode(False)`` is a no-op)."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = (_State.enabled, _State.inference)
        if self.mode:
            _State.enabled = False
            _State.inference = True
        return self

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError("inference_mode expects a function")
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper
