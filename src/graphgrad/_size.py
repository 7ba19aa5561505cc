"""Size: the tuple subclass that ``tensor.shape`` returns."""

from __future__ import annotations

import math

import numpy as np

from . import _names


class Size(tuple):
    """A tensor's shape, printed as ``graphgrad.Size([2, 3])``.

    >>> import graphgrad
    >>> graphgrad.zeros(2, 3).shape
    graphgrad.Size([2, 3])
    """

    def __new__(cls, dims=()):
        return super().__new__(cls, (int(d) for d in dims))

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self):
        return f"{_names.package}.Size({list(self)})"

    def __getitem__(self, item):
        out = super().__getitem__(item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


def summed_dims(shape, size):
    """The dimensions along which ``size`` was broadcast to ``shape``: summing them (keeping them) undoes it.

    >>> summed_dims((4, 2, 3), (2, 1))
    (0, 2)
    """
    lead = len(shape) - len(size)
    return tuple(range(lead)) + tuple(i + lead for i, s in enumerate(size) if s == 1 and shape[i + lead] != 1)


def wrap_dim(dim, ndim):
    """``dim`` as a non-negative index into ``ndim`` dimensions (a 0-d tensor takes 0 or -1), or PyTorch's
    IndexError.

    >>> wrap_dim(-1, 3)
    2
    """
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % ndim if ndim else 0


def wrap_dims(dims, ndim):
    """``dims`` (None for all, an int, or a sequence) as a tuple of non-negative indices; a repeated one raises
    PyTorch's RuntimeError.

    >>> wrap_dims((0, -1), 3)
    (0, 2)
    """
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (int, np.integer)):
        return (wrap_dim(int(dims), ndim),)
    out = tuple(wrap_dim(int(d), ndim) for d in dims)
    if len(set(out)) != len(out):
        dup = next(d for i, d in enumerate(out) if d in out[:i])
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    return out


def size_text(shape):
    """A shape as PyTorch's error texts print it (always ``torch.Size``: the texts are PyTorch's own).

    >>> size_text((5, 10))
    'torch.Size([5, 10])'
    """
    return f"torch.Size({list(shape)})"
