"""Grad mode: whether ops record the graph. Context managers that also work as decorators.

The modes are thread-local (``graphgrad._core.modes``): a ``no_grad()`` block affects only its own thread."""

from __future__ import annotations

import functools

from .._core.modes import modes, restore_modes, save_modes


def _set_grad(mode: bool) -> None:
    if modes.inference:
        modes.grad = mode  # enable_grad() inside inference_mode(): reported, but nothing is recorded
    else:
        modes.recording = mode


def is_grad_enabled() -> bool:
    """Whether grad mode is on in this thread (each thread has its own, as in PyTorch)."""
    return modes.grad if modes.inference else modes.recording


INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
    "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it "
    "in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
)
INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal "
    "tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details."
)


class InferenceBox(list):
    """The version box (``[version, site]``, shared with views) of an inference tensor: a tensor made in
    inference mode, or a view of one. ``t.is_inference()`` is ``type(t._vbox) is InferenceBox``; normal
    tensors keep a plain list, so nothing on their path pays for this.

    Outside inference mode the version of an inference tensor is never read except to save it for
    backward (``Node.save``, ``ctx.save_for_backward``): reading it there raises PyTorch's error. An
    in-place write raises when it bumps the version (``Tensor._bump_version``): after the write, as in
    PyTorch, whose check sits at the same place."""

    __slots__ = ()

    def __getitem__(self, i):
        if not modes.inference and i == 0:
            raise RuntimeError(INFERENCE_SAVED)
        return list.__getitem__(self, i)


def check_inference_inplace(t) -> None:
    """PyTorch's error for an in-place write to an inference tensor outside inference mode."""
    if t._vbox.__class__ is InferenceBox and not modes.inference:
        raise RuntimeError(INFERENCE_INPLACE)


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
            modes.recording = False
            modes.inference = True
            modes.grad = False
        else:
            modes.inference = False
            modes.recording = True

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError("inference_mode expects a function")
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper
