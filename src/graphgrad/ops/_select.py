"""Branch-free selection on ndarrays: ``values`` with +0 where a mask says so, as a bitwise AND.

``np.where(mask, 0, values)`` runs a branch per element and, on a random mask such as a ReLU's
(half the elements each way), costs several times a plain copy. ANDing the values' bits with a mask of all
ones or all zeros gives the same result (the kept values bit for bit, NaN and -0 included; +0
elsewhere) at the speed of an elementwise add.

A ReLU (``zero_where_negative``) and its gradient (``zero_where_not_positive``) run as one compiled loop each
where numba is installed (the ``fast`` extra): a comparison and a choice per element, the NumPy form's array bit
for bit.
"""

from __future__ import annotations

import numpy as np

from .._core import jit


def _bits(dtype):
    return np.dtype(f"i{np.dtype(dtype).itemsize}")


def _and_mask(flags, values, keep, out):
    """values' bits ANDed with every bit where ``flags == keep`` and none elsewhere."""
    flags, values = np.asarray(flags), np.asarray(values)  # a 0-d comparison gives a NumPy scalar
    if values.dtype.kind != "f" or flags.shape != values.shape or flags.dtype != np.bool_:
        result = np.where(flags if keep else ~flags, values, 0).astype(values.dtype, copy=False)
        if out is None:
            return result
        out[...] = result
        return out
    bits = _bits(values.dtype)
    # flags as 0/1 bytes: -flag is -1 (every bit) where set; flag - 1 is -1 where clear. The AND widens
    # these bytes (sign-extended: -1 stays every bit) as it reads them: one pass over the values, and
    # the mask stays a quarter of their size
    flag = flags.view(np.int8)
    ones = np.empty(values.shape, np.int8)  # out arrays: on 0-d operands a ufunc returns a scalar otherwise
    if keep:
        np.negative(flag, out=ones)
    else:
        np.subtract(flag, np.int8(1), out=ones)
    target = np.empty(values.shape, bits) if out is None else out.view(bits)
    return np.bitwise_and(values.view(bits), ones, out=target).view(values.dtype)


def zero_where(drop, values, out=None):
    """``np.where(drop, 0, values)`` for a bool ``drop`` of ``values``' shape, into ``out`` if given.

    >>> zero_where(np.array([True, False, False]), np.array([1.5, np.nan, -0.0], np.float32))
    array([ 0., nan, -0.], dtype=float32)
    """
    return _and_mask(drop, values, False, out)


def keep_where(keep, values, out=None):
    """``np.where(keep, values, 0)`` for a bool ``keep`` of ``values``' shape, into ``out`` if given.

    >>> keep_where(np.array([True, False, True]), np.array([1.5, np.nan, -0.0], np.float32))
    array([ 1.5,  0. , -0. ], dtype=float32)
    """
    return _and_mask(keep, values, True, out)


def _zero_where_not_positive_loop(start, stop, ref, values, out):
    zero = out.dtype.type(0)
    for j in range(start, stop):
        i = np.uintp(j)  # unsigned: no negative-index wraparound test, so the loop vectorises
        out[i] = zero if ref[i] <= 0 else values[i]


def _zero_where_negative_loop(start, stop, values, out):
    zero = out.dtype.type(0)
    for j in range(start, stop):
        i = np.uintp(j)
        x = values[i]
        out[i] = zero if x < 0 else x


LOOPS = jit.CompiledLoops(zero_where_not_positive=_zero_where_not_positive_loop,
                          zero_where_negative=_zero_where_negative_loop)  # .enabled False: NumPy


def zero_where_not_positive(ref, values):
    """``zero_where(ref <= 0, values)``: a ReLU's gradient from its result (PyTorch's threshold_backward at
    0; a NaN in ``ref`` passes the value).

    >>> zero_where_not_positive(np.array([2.0, 0.0, np.nan]), np.array([1.5, 2.5, -0.0]))
    array([ 1.5,  0. , -0. ])
    """
    if (ref.shape == values.shape and ref.dtype == values.dtype and values.dtype in jit.FLOATS
            and ref.flags.c_contiguous and values.flags.c_contiguous):
        out = np.empty(values.shape, values.dtype)
        if LOOPS.split("zero_where_not_positive", out.size, ref.reshape(-1), values.reshape(-1), out.reshape(-1),
                       streaming=True):
            return out
    return zero_where(ref <= 0, values)


def pick(masks, choices, out):
    """Write into ``out`` the element of ``choices[k]`` where ``masks[k]`` holds, bit for bit (-0, NaN payloads).

    Exactly one mask must hold at each position. Float ``out`` only.

    >>> out = np.empty(2, np.float32)
    >>> pick([np.array([True, False]), np.array([False, True])],
    ...      [np.array([0.0, 1.0], np.float32), np.array([2.0, -0.0], np.float32)], out)
    array([ 0., -0.], dtype=float32)
    """
    bits = _bits(out.dtype)
    acc = np.zeros(out.shape, bits)
    for mask, choice in zip(masks, choices):
        np.bitwise_or(acc, keep_where(mask, choice).view(bits), out=acc)
    out[...] = acc.view(out.dtype)
    return out


def has_negative_zero(a):
    """Whether float ``a`` holds a -0.0 (its bits are the most negative integer of its width).

    >>> has_negative_zero(np.array([0.0, 1.0])), has_negative_zero(np.array([-0.0, 1.0]))
    (False, True)
    """
    bits = _bits(a.dtype)
    # no integer is below -0.0's bits: a minimum (one reduction, no boolean temporary) answers
    return a.size > 0 and bool(a.view(bits).min() == np.iinfo(bits).min)


def zero_where_negative(values):
    """``values`` with +0 where they are below zero: a ReLU, as PyTorch's (``x < 0 ? 0 : x``: -0 and NaN are kept,
    where ``np.maximum(x, 0)`` gives +0 for -0). One pass over a contiguous float array where the compiled
    loops are installed (128x512 float32: 13.5 -> 5.7 us); elsewhere the comparison and the AND of ``zero_where``.

    >>> zero_where_negative(np.array([-1.5, -0.0, np.nan, 2.0]))
    array([ 0., -0., nan,  2.])
    """
    if values.dtype.kind != "f":
        return np.maximum(values, 0, dtype=values.dtype)  # (integers: no -0, no NaN)
    if values.dtype in jit.FLOATS and values.flags.c_contiguous:
        out = np.empty(values.shape, values.dtype)
        if LOOPS.split("zero_where_negative", out.size, values.reshape(-1), out.reshape(-1), streaming=True):
            return out
    return zero_where(values < 0, values)
