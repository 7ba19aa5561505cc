"""In-place views (``t_``, ``squeeze_``, ``transpose_``...) change a tensor's layout over the same memory.

A view taken before that change must keep selecting the elements it selected when it was made: a later write
through it (with autograd on) must put its gradient in the right place, as PyTorch does. Every in-place view
op is checked against every kind of older view, on a base that is itself a view and on one that is not.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import graphgrad

from .._parity import same

# (name, how y changes layout in place); y is 3x1 before
INPLACE_VIEWS = {
    "t_": lambda y: y.t_(),
    "transpose_": lambda y: y.transpose_(0, 1),
    "swapaxes_": lambda y: y.swapaxes_(1, 0),
    "swapdims_": lambda y: y.swapdims_(-1, -2),
    "squeeze_": lambda y: y.squeeze_(),
    "squeeze_dim": lambda y: y.squeeze_(1),
    "unsqueeze_": lambda y: y.unsqueeze_(0),
    "t_then_unsqueeze_": lambda y: y.t_().unsqueeze_(-1),
}

# the older view of y (3x1), taken before the layout change
OLDER_VIEWS = {
    "index": lambda y: y[1],
    "slice": lambda y: y[1:],
    "view": lambda y: y.view(1, 3),
    "reshape": lambda y: y.reshape(3),
    "transpose": lambda y: y.transpose(0, 1),
    "expand": lambda y: y.expand(3, 2),
    "unsqueeze": lambda y: y.unsqueeze(0),
    "view_of_view": lambda y: y[1:].view(2),
}

# how y is made from x: a view of a non-leaf, or a tensor of its own
BASES = {
    "view_base": lambda x: (x * 1.5).reshape(3, 1),
    "own_base": lambda x: (x * 1.5).reshape(3, 1).clone(),
}


def _scenario(base, older, change):
    def run(T):
        x = T.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        y = BASES[base](x)
        v = OLDER_VIEWS[older](y)
        INPLACE_VIEWS[change](y)
        v.mul_(3.0)  # written in place after y's layout changed
        loss = (y * y).sum() + (v * v.detach() * 0.25).sum()
        loss.backward()
        return y.detach(), v.detach(), x.grad, y.shape, v.shape, y.grad_fn.name(), v.grad_fn.name()

    return run


@pytest.mark.parametrize("change", INPLACE_VIEWS)
@pytest.mark.parametrize("older", OLDER_VIEWS)
@pytest.mark.parametrize("base", BASES)
def test_older_view_written_after_inplace_view(torch_ref, base, older, change):
    same(torch_ref, _scenario(base, older, change))


@pytest.mark.parametrize("change", INPLACE_VIEWS)
def test_view_made_after_inplace_view(torch_ref, change):
    """A view taken after the change follows the new layout; one taken before, the old one."""

    def run(T):
        x = T.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        y = (x * 2.0).reshape(3, 1)
        before = y[0]
        INPLACE_VIEWS[change](y)
        after = y.reshape(-1)[2:]
        after.add_(before * 10)
        before.mul_(-1.0)
        (y * T.arange(1.0, 4.0).reshape(y.shape)).sum().backward()
        return y.detach(), before.detach(), after.detach(), x.grad

    same(torch_ref, run)


def test_layout_change_does_not_keep_old_history_alive():
    """The tensor as it was before ``t_()`` is remembered for its layout only, not its history."""
    x = graphgrad.ones(3, 1, requires_grad=True)
    y = x * 2
    old_node = weakref.ref(y.grad_fn)
    y.t_()
    y.detach_()
    gc.collect()
    assert old_node() is None
