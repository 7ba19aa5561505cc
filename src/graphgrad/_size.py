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
