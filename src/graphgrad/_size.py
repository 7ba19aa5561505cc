"""Size: the tuple subclass that ``tensor.shape`` returns."""

from __future__ import annotations

import math

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


def size_text(shape):
    """A shape as PyTorch's error texts print it (always ``torch.Size``: the texts are PyTorch's own).

    >>> size_text((5, 10))
    'torch.Size([5, 10])'
    """
    return f"torch.Size({list(shape)})"
