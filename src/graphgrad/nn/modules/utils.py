"""Small helpers shared by the layers: PyTorch's ``_pair``/``_single`` and the factory for new weights."""

from __future__ import annotations

import collections.abc
from itertools import repeat

import numpy as np

from ... import _dtype
from ..._device import check_device
from ..._tensor import Tensor


def _ntuple(n, name="parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """Reverse ``t`` and repeat each element ``n`` times (conv padding -> ``F.pad`` padding)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _empty(shape, dtype=None, device=None):
    """An uninitialised (zero) tensor for a new parameter or buffer, like ``torch.empty(shape, **factory_kwargs)``."""
    if device is not None:
        check_device(device)  # only the CPU exists: anything else raises what a CPU-only PyTorch raises
    dt = _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np
    if isinstance(shape, int):
        shape = (shape,)
    return Tensor._make(np.zeros(tuple(int(s) for s in shape), dtype=dt), False, None)


def _fill(shape, value, dtype=None, device=None):
    t = _empty(shape, dtype, device)
    t._data[...] = value
    return t
