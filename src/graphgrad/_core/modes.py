"""Grad mode and inference mode, thread-local as in PyTorch: ``no_grad()`` in one thread leaves the others
recording. Every op reads ``modes.recording`` on its hot path, so the state is one ``threading.local``
object whose class attributes are each new thread's defaults (a fresh thread records, as in PyTorch).

>>> import threading
>>> from graphgrad._core.modes import modes, set_recording
>>> set_recording(False)
>>> seen = []
>>> t = threading.Thread(target=lambda: seen.append(modes.recording)); t.start(); t.join()
>>> seen, modes.recording
([True], False)
>>> set_recording(True)
"""

from __future__ import annotations

import threading


class _ThreadModes(threading.local):
    recording = True  # ops record the graph: grad mode on and not in inference mode
    inference = False  # inside inference_mode(): tensors made are inference tensors
    grad = True  # what is_grad_enabled() reports while in inference mode (nothing is recorded there)
    in_backward = False  # the engine is running derivatives: their ops record no 'where the chain was cut' sites
    backward = None  # the backward pass running in this thread: (its ledger record, its roots), for errors
    # the nodes that the running backward pass computes gradients for (None: all it reaches), PyTorch's
    # task_should_compute_output: a derivative it doesn't implement raises only for an input that is needed
    needed = None


modes = _ThreadModes()

# How many threads have recording off now (in no_grad or inference_mode, or running a backward pass without
# create_graph). Every op asks, and reading the thread-local flag takes about 20 ns more than reading the list
# item (timeit, here); while no thread has recording off, ``recording_off[0] == 0`` answers for every thread.
# Kept true by writing the flag only through ``set_recording``. (A thread that ends inside no_grad leaves the
# count raised: the answers stay right, the ops just read the flag again.)
recording_off = [0]
_recording_off_lock = threading.Lock()


def set_recording(value) -> None:
    """Switch recording on or off in this thread (the one way to write ``modes.recording``)."""
    value = bool(value)
    if value == modes.recording:
        return
    if value:
        modes.recording = True
        with _recording_off_lock:
            recording_off[0] -= 1
    else:
        with _recording_off_lock:  # counted before the flag goes off: recording_off[0] == 0 is never wrong
            recording_off[0] += 1
        modes.recording = False


class AnomalyMode:
    """``detect_anomaly()``'s switches, read when a node is made and by the engine. Process-wide, as
    PyTorch's anomaly mode is (not per thread)."""

    enabled = False
    check_nan = True


def save_modes():
    """The current thread's modes, for ``restore_modes``."""
    return (modes.recording, modes.inference, modes.grad)


def restore_modes(saved) -> None:
    set_recording(saved[0])
    modes.inference, modes.grad = saved[1], saved[2]


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
    inference mode, or a view of one. ``t.is_inference()`` is ``type(t._version_box) is InferenceBox``; normal
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
    if t._version_box.__class__ is InferenceBox and not modes.inference:
        raise RuntimeError(INFERENCE_INPLACE)
