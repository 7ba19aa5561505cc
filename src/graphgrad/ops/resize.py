"""``Tensor.resize_``/``resize_as_``: a new shape over the tensor's memory, as PyTorch resizes its storage.

The first ``numel`` elements, in memory order, are kept; a larger size allocates new memory, whose new
elements are uninitialised in PyTorch (zeros here). A shrinking resize keeps sharing the memory, so views
taken before it still see writes made after it. A tensor that requires grad cannot be resized.

>>> import graphgrad
>>> graphgrad.arange(6.0).resize_(2, 2)
tensor([[0., 1.],
        [2., 3.]])
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._export import export
from ._keywords import resize_storage


def _new_size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in size):
        raise TypeError(f"resize_(): argument 'size' must be tuple of ints, but found element of type "
                        f"{type(next(s for s in size if not isinstance(s, (int, np.integer)))).__name__}")
    if any(s < 0 for s in size):
        raise RuntimeError("numel: integer multiplication overflow")  # PyTorch's text for a negative size
    return tuple(int(s) for s in size)


@export("resize_", function=False)
def resize_(self, *size, memory_format=None):
    size = _new_size(size)
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if size == self._data.shape:
        return self
    resize_storage(self, size)
    self._bump_version()
    return self


@export("resize_as_", function=False)
def resize_as_(self, the_template, memory_format=None):
    if not isinstance(the_template, Tensor):
        raise TypeError(f"resize_as_(): argument 'the_template' (position 1) must be Tensor, not "
                        f"{type(the_template).__name__}")
    return resize_(self, the_template._data.shape)
