"""Numeric constants and type information: ``inf``, ``pi``, ``e``, ``nan``, ``newaxis``, ``finfo``, ``iinfo``
and the memory-format tags.

>>> import graphgrad
>>> graphgrad.finfo(graphgrad.float16).max, graphgrad.iinfo(graphgrad.int8).min
(65504.0, -128)
"""

from __future__ import annotations

import math

import numpy as np

from . import _dtype

inf, nan, pi, e = math.inf, math.nan, math.pi, math.e
newaxis = None


def _np_finfo(np_dtype):
    """NumPy's finfo, or ml_dtypes' for the dtypes NumPy does not know (bfloat16)."""
    try:
        return np.finfo(np_dtype)
    except ValueError:
        import ml_dtypes

        return ml_dtypes.finfo(np_dtype)


def _g(value):
    return format(float(value), "g")  # PyTorch prints with C++'s default six significant digits


class finfo:
    """Machine limits of a floating dtype (the default dtype when none is given), as ``torch.finfo``."""

    def __init__(self, type=None):
        d = _dtype.get_default_dtype() if type is None else type
        if not isinstance(d, _dtype.dtype) or not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = _np_finfo(d.np)
        self.bits = d.itemsize * 8
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -int(info.precision)  # a Python float, not rounded to the dtype
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={_g(self.resolution)}, min={_g(self.min)}, max={_g(self.max)}, "
                f"eps={_g(self.eps)}, smallest_normal={_g(self.smallest_normal)}, tiny={_g(self.tiny)}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype, as ``torch.iinfo``."""

    def __init__(self, type):
        if isinstance(type, _dtype.dtype) and type.name == "bool":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if not isinstance(type, _dtype.dtype) or type._category != 1:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        info = np.iinfo(type.np)
        self.bits = info.bits
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={_g(self.min)}, max={_g(self.max)}, dtype={self.dtype})"


class memory_format:
    """A memory-format tag (``graphgrad.channels_last``, ...): the order in which a tensor's elements lie in
    memory. ``channels_last`` lays a 4-d NCHW tensor out as NHWC (``channels_last_3d``: NCDHW as NDHWC), which
    NumPy represents with strides, so ``stride()`` and ``is_contiguous(memory_format=...)`` answer as PyTorch."""

    def __init__(self, name, order=None):
        self.name = name
        self._order = order  # the dimensions from the outermost in memory to the innermost (None: as they are)

    def __repr__(self):
        return f"graphgrad.{self.name}"

    def _check_rank(self, arr):
        if self._order is not None and arr.ndim != len(self._order):
            raise RuntimeError(f"required rank {len(self._order)} tensor to use {self.name} format")

    def holds(self, arr):
        """Whether ``arr`` lies in memory in this format."""
        if self._order is None:
            return bool(arr.flags.c_contiguous)
        return arr.ndim == len(self._order) and bool(arr.transpose(self._order).flags.c_contiguous)

    def arrange(self, arr):
        """A copy of ``arr`` laid out in this format."""
        self._check_rank(arr)
        if self._order is None:
            return np.ascontiguousarray(arr)
        return np.ascontiguousarray(arr.transpose(self._order)).transpose(np.argsort(self._order))


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last", (0, 2, 3, 1))
channels_last_3d = memory_format("channels_last_3d", (0, 2, 3, 4, 1))
