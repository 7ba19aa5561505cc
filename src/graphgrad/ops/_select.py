"""Branch-free selection on ndarrays: ``values`` with +0 where a mask says so, as a bitwise AND.

``np.where(mask, 0, values)`` runs a branch per element and, on a random mask such as a ReLU's
(half the elements each way), costs several times a plain copy. ANDing the values' bits with a mask of all
ones or all zeros gives the same result (the kept values bit for bit, NaN and -0 included; +0
elsewhere) at the speed of an elementwise add.
"""

from __future__ import annotations

import numpy as np


def _bits(dtype):
    return np.dtype(f"i{np.dtype(dtype).itemsize}")


def zero_where(drop, values, out=None):
    """``np.where(drop, 0, values)`` for a bool ``drop`` of ``values``' shape, into ``out`` if given.

    >>> zero_where(np.array([True, False, False]), np.array([1.5, np.nan, -0.0], np.float32))
    array([ 0., nan, -0.], dtype=float32)
    """
    if values.dtype.kind != "f" or drop.shape != values.shape or drop.dtype != np.bool_:
        result = np.where(drop, 0, values).astype(values.dtype, copy=False)
        if out is None:
            return result
        out[...] = result
        return out
    bits = _bits(values.dtype)
    # dropped: 1 - 1 = 0 (no bits); kept: 0 - 1 = -1 (every bit)
    mask = np.subtract(drop.view(np.int8), bits.type(1), dtype=bits)
    target = mask if out is None else out.view(bits)
    return np.bitwise_and(values.view(bits), mask, out=target).view(values.dtype)


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
    keep = np.empty(out.shape, bits)
    for mask, choice in zip(masks, choices):
        np.negative(mask.view(np.int8), out=keep, dtype=bits)  # True -> -1 (every bit), False -> 0
        np.bitwise_and(choice.view(bits), keep, out=keep)
        np.bitwise_or(acc, keep, out=acc)
    out[...] = acc.view(out.dtype)
    return out


def has_negative_zero(a):
    """Whether float ``a`` holds a -0.0 (its bits are the most negative integer of its width).

    >>> has_negative_zero(np.array([0.0, 1.0])), has_negative_zero(np.array([-0.0, 1.0]))
    (False, True)
    """
    bits = _bits(a.dtype)
    return bool(np.any(a.view(bits) == np.iinfo(bits).min))
