"""Counting and bucketing: ``bincount`` and ``bucketize``, with PyTorch's dtypes and errors. Neither has a
derivative in PyTorch: ``bucketize`` gives integers, and ``bincount``'s result carries PyTorch's
``NotImplemented`` node when its weights require grad, so ``backward`` through it fails as there.

>>> import graphgrad
>>> graphgrad.bincount(graphgrad.tensor([0, 1, 1, 3]))
tensor([1, 2, 0, 1])
>>> graphgrad.bucketize(graphgrad.tensor([3, 6, 9]), graphgrad.tensor([1, 3, 5, 7, 9]))
tensor([1, 3, 4])
"""

from __future__ import annotations

import numbers

import numpy as np

from .._tensor import Tensor
from ._args import _combination_error
from ._export import export
from ._op import Op, _torch_name, apply


def _no_derivative(node, grad):
    raise RuntimeError("derivative for aten::bincount is not implemented")


# the counts, computed beforehand, handed through an op so that weights that require grad give PyTorch's node
_COUNTS = Op("NotImplemented", lambda weights, counts: counts, _no_derivative)


@export("bincount")
def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-d non-negative integer ``input`` (or the sum of
    ``weights`` at those positions), at least ``minlength`` counts long. Float32 weights give float32 sums,
    other weights float64."""
    data = input._data
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_torch_name(data.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights._data.ndim != 1 or weights._data.shape[0] != data.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if data.size == 0:  # PyTorch answers int64 zeros here, with or without weights
        return Tensor._make(np.zeros(minlength, np.int64), False, None)
    if weights is None:
        return Tensor._make(np.bincount(data, minlength=minlength).astype(np.int64, copy=False), False, None)
    out_dtype = np.float32 if weights._data.dtype == np.float32 else np.float64
    counts = np.bincount(data, weights=weights._data.astype(np.float64), minlength=minlength).astype(out_dtype)
    return apply(_COUNTS, weights, counts=counts)


_BUCKETIZE_SIGNATURES = (
    " * (Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False, Tensor out = None)\n"
    " * (Number self, Tensor boundaries, *, bool out_int32 = False, bool right = False)")


@export("bucketize", method=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of each value of ``input`` among the sorted 1-d ``boundaries``:
    ``boundaries[i-1] < v <= boundaries[i]`` (``right=True``: ``boundaries[i-1] <= v < boundaries[i]``).
    int64 indices, int32 with ``out_int32``; a number as input gives a 0-d tensor."""
    if not isinstance(boundaries, Tensor) or not isinstance(input, (Tensor, numbers.Number)):
        error = _combination_error("bucketize", (input, boundaries), {})
        raise TypeError(f"{error}, but expected one of:\n{_BUCKETIZE_SIGNATURES}")
    bounds = boundaries._data
    if bounds.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({bounds.ndim})")
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    found = np.searchsorted(bounds, values, side="right" if right else "left")
    return Tensor._make(np.asarray(found, np.int32 if out_int32 else np.int64), False, None)


_ISIN_SIGNATURES = (
    " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)\n"
    " * (Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)\n"
    " * (Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)")


@export("isin", method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each of ``elements`` is among ``test_elements`` (either may be a number, not both): a bool
    tensor of the elements' shape (the opposite with ``invert``)."""
    if not (isinstance(elements, Tensor) or isinstance(test_elements, Tensor)) or not all(
            isinstance(x, (Tensor, numbers.Number)) for x in (elements, test_elements)):
        error = _combination_error("isin", (elements, test_elements), {})
        raise TypeError(f"{error}, but expected one of:\n{_ISIN_SIGNATURES}")
    values = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    tests = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    found = np.isin(values, tests, assume_unique=assume_unique, invert=invert)
    return Tensor._make(np.asarray(found, np.bool_), False, None)


_SEARCHSORTED_SIGNATURES = (
    " * (Tensor sorted_sequence, Tensor input, *, bool out_int32 = False, bool right = False, str side = None, "
    "Tensor sorter = None, Tensor out = None)\n"
    " * (Tensor sorted_sequence, Number self, *, bool out_int32 = False, bool right = False, str side = None, "
    "Tensor sorter = None, Tensor out = None)")


@export("searchsorted", method=False)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each value of ``input`` would go in ``sorted_sequence`` (along its last dimension, whose leading
    dimensions match input's, or a 1-d sequence for any input) to keep it sorted: before equal values, or after
    them with ``right=True`` / ``side="right"``. ``sorter`` sorts an unsorted sequence. int64 indices (int32
    with ``out_int32``); a number as input gives a 0-d tensor.

    >>> import graphgrad
    >>> graphgrad.searchsorted(graphgrad.tensor([1, 3, 5, 7]), graphgrad.tensor([3, 6, 9])).tolist()
    [1, 3, 4]
    """
    if not isinstance(sorted_sequence, Tensor) or not isinstance(input, (Tensor, numbers.Number)):
        error = _combination_error("searchsorted", (sorted_sequence, input), {})
        raise TypeError(f"{error}, but expected one of:\n{_SEARCHSORTED_SIGNATURES}")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    if seq.ndim > 1 and seq.shape[:-1] != values.shape[:-1]:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    if sorter is not None:
        if sorter._data.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(sorter._data.shape)}")
        seq = np.take_along_axis(seq, sorter._data.astype(np.int64), -1)
    how = "right" if right else "left"
    if seq.ndim <= 1:
        found = np.searchsorted(seq.reshape(-1), values, side=how)
    else:  # one search per row of the sequence (NumPy's searchsorted takes one sorted array)
        rows, row_values = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        found = np.stack([np.searchsorted(r, v, side=how) for r, v in zip(rows, row_values)]).reshape(values.shape)
    return Tensor._make(np.asarray(found, np.int32 if out_int32 else np.int64), False, None)
