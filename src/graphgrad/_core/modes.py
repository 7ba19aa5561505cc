"""Grad mode and inference mode, thread-local as in PyTorch: ``no_grad()`` in one thread leaves the others
recording. Every op reads ``modes.recording`` on its hot path, so the state is one ``threading.local``
object whose class attributes are each new thread's defaults (a fresh thread records, as in PyTorch).

>>> import threading
>>> from graphgrad._core.modes import modes
>>> modes.recording = False
>>> seen = []
>>> t = threading.Thread(target=lambda: seen.append(modes.recording)); t.start(); t.join()
>>> seen, modes.recording
([True], False)
>>> modes.recording = True
"""

from __future__ import annotations

import threading


class _ThreadModes(threading.local):
    recording = True  # ops record the graph: grad mode on and not in inference mode
    inference = False  # inside inference_mode(): tensors made are inference tensors
    grad = True  # what is_grad_enabled() reports while in inference mode (nothing is recorded there)
    in_backward = False  # the engine is running derivatives: their ops record no 'where the chain was cut' sites


modes = _ThreadModes()


def save_modes():
    """The current thread's modes, for ``restore_modes``."""
    return (modes.recording, modes.inference, modes.grad)


def restore_modes(saved) -> None:
    modes.recording, modes.inference, modes.grad = saved
