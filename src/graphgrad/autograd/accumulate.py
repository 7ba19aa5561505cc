"""Summing a gradient into a leaf's ``.grad``, as PyTorch's AccumulateGrad does: the first gradient is taken
over without a copy when nothing else holds it (see ``_unshared``), later ones are added in place unless a
graph of the gradient is being built (``create_graph``)."""

from __future__ import annotations

import sys
import threading

import numpy as np

from .._tensor import Tensor
from .backward_hooks import run_leaf_hooks, run_post_accumulate_hooks

_GRAD_LOCK = threading.Lock()  # as PyTorch's AccumulateGrad holds a mutex while it updates .grad


def accumulate(t, g, create_graph, hooks_done=False):
    """Sum ``g`` into ``t.grad`` (in place when no graph of the gradient is being built)."""
    if not hooks_done:
        g = run_leaf_hooks(t, g)
    if g is None or not t._requires_grad:
        return  # a leaf that stopped requiring grad since (requires_grad_(False), detach_()) keeps its .grad
    with _GRAD_LOCK:  # threads running backward through a shared leaf each add their whole gradient
        if t._grad is None:
            if create_graph and g._requires_grad:
                # PyTorch copies it into a new tensor of the leaf's layout: x.grad's node is CopyBackwards
                t._grad = Tensor._make(np.empty(t._data.shape, t._data.dtype), False, None).copy_(g)
            elif _unshared(g, t._data):
                t._grad = Tensor._make(g._data, False, None)
            else:
                t._grad = Tensor._make(np.array(g._data, dtype=t._data.dtype, copy=True), False, None)
        elif create_graph:
            t._grad = t._grad + g
        else:
            _add_in_place(t._grad, g._data)
    run_post_accumulate_hooks(t)


def accumulate_array(t, arr):
    """``accumulate`` for a gradient that travelled as an ndarray (the engine's path when no graph of the gradient
    is built), into a leaf without hooks: the same sums, without wrapping the array first. The caller hands over
    its only reference to ``arr`` (see ``_array_unshared``)."""
    if not t._requires_grad:
        return
    with _GRAD_LOCK:
        grad = t._grad
        if grad is None:
            t._grad = Tensor._make(arr if _array_unshared(arr, t._data)
                                   else np.array(arr, dtype=t._data.dtype, copy=True), False, None)
        else:
            _add_in_place(grad, arr)


def _add_in_place(grad, arr):
    """A later gradient summed into ``.grad`` in place, as PyTorch does without a graph of the gradient (a ``.grad``
    built with create_graph keeps its node, and its version counts the write)."""
    np.add(grad._data, arr, out=grad._data, casting="unsafe")
    if grad._grad_fn is not None:
        grad._bump_version()


# The counts below hold for CPython up to 3.13; 3.14 borrows references for locals, so getrefcount reports
# fewer and could take a shared gradient for an unshared one: there, always copy.
_REFCOUNTS_ARE_EXACT = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _unshared(g, like):
    """Whether gradient ``g`` can become a leaf's first ``.grad`` without a copy, as PyTorch steals it: nothing
    else refers to the tensor or its memory, and it has the leaf's dtype and memory layout.

    Expected references: on ``g``, the engine's gradient list, ``_accumulate``'s argument, this function's
    and getrefcount's own; on an array, its tensor's ``_data`` (or a view's ``base``) and the locals here.
    Any other holder (a hook that kept it, the same gradient sent to two leaves) counts one more, and the
    gradient is copied instead.
    """
    if not _REFCOUNTS_ARE_EXACT:
        return False
    arr = g._data
    if sys.getrefcount(g) > 4 or not _layout_as(arr, like):
        return False
    owner = arr.base
    if owner is None:
        return g._view is None and sys.getrefcount(arr) == 3
    if type(owner) is not np.ndarray or owner.nbytes != arr.nbytes or sys.getrefcount(arr) > 3:
        return False
    # A view (a weight's gradient is the .t() of a product): each tensor it was viewed from must be held only
    # by the view made of it, its array by it alone, and all of them must view the same memory.
    refs, t = 1, g  # arr.base
    while t._view is not None:
        t = t._view[0]
        if sys.getrefcount(t) > 3 or (t._data is not owner
                                      and (t._data.base is not owner or sys.getrefcount(t._data) > 2)):
            return False
        refs += 1  # t._data is owner, or a view of it (its base)
    return sys.getrefcount(owner) == refs + 2


def _array_unshared(arr, like):
    """``_unshared`` for a gradient array handed over by ``accumulate_array``: nothing but its caller refers to
    it (the caller's argument, this function's and getrefcount's own: 3), nothing but it to the memory it may
    view (NumPy's base is always the memory's owner: held by ``arr.base``, ``owner`` here and getrefcount's
    argument)."""
    if not _REFCOUNTS_ARE_EXACT or sys.getrefcount(arr) > 3 or not _layout_as(arr, like):
        return False
    owner = arr.base
    return owner is None or (type(owner) is np.ndarray and owner.base is None and owner.nbytes == arr.nbytes
                             and sys.getrefcount(owner) == 3)


def _layout_as(arr, like):
    """Whether ``arr`` may become the ``.grad`` of a leaf holding ``like``: its dtype and memory layout, writable."""
    return (arr.dtype == like.dtype and arr.strides == like.strides and arr.flags.writeable
            and (arr.flags.c_contiguous or arr.flags.f_contiguous))
