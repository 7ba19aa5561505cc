"""embedding, embedding_bag and one_hot."""

from __future__ import annotations

import warnings

import numpy as np

from ..._dtype import int64
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops import normalization as norm_ops
from ...ops._op import apply
from ._common import _const


# --- embedding, one_hot, pad, pixel shuffle, interpolation ----------------------------------------
def padding_index(padding_idx, num, name="Padding_idx"):
    """PyTorch's embedding checks ``padding_idx`` against the ``num`` rows and counts a negative one from the end,
    before its kernel reads it (None stays None); ``name``: how its message spells the argument (EmbeddingBag's
    module writes "padding_idx")."""
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError(f"{name} must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError(f"{name} must be within num_embeddings")
            padding_idx = num + padding_idx
    return padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` at the indices ``input``; no gradient flows to row ``padding_idx``."""
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but "
            f"got graphgrad.{input.dtype._legacy} instead (while "
            "checking arguments for embedding)")
    num = weight._data.shape[0]
    padding_idx = padding_index(padding_idx, num)
    idx = input._data.astype(np.int64, copy=False)
    if idx.size and (idx.max() >= num or idx.min() < 0):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return apply(norm_ops.EMBEDDING, weight, idx=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _renorm_rows(weight, idx, max_norm, norm_type):
    """PyTorch's embedding_renorm_ (without recording): the looked-up rows whose norm exceeds max_norm are
    scaled down to it, in place."""
    rows = np.unique(idx)
    with no_grad():
        w = weight._data
        norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
        big = norms > max_norm
        w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
        weight._bump_version()


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the rows of ``weight`` looked up by each bag of ``input`` (bags: the rows of a 2D
    input, or the runs of a 1D input that start at ``offsets``), without materialising the lookups' rows.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.embedding_bag(graphgrad.tensor([0, 2, 1]), graphgrad.eye(3), graphgrad.tensor([0, 2]), mode="sum")
    tensor([[1., 0., 1.],
            [0., 1., 0.]])
    """
    # PyTorch's Python code, in its order: its attribute reads are what fails first for an argument that is not a
    # Tensor (so this function is left out of check_arguments' wrapping)
    if weight.dtype == int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
                         f"then it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            # (str(type(offsets)): <class 'torch.Tensor'> in PyTorch, where Tensor's module is torch)
            type_str = "<class 'graphgrad.Tensor'>" if isinstance(offsets, Tensor) else str(type(offsets))
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type_str}")
        starts = np.arange(0, input._data.size, input._data.shape[1])
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets._data.astype(np.int64)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    idx = input._data.astype(np.int64)
    num = weight._data.shape[0]
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  "on GitHub.")
    # then its kernel's
    if starts.size and starts[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {starts[0]}\n[ graphgrad.{offsets.dtype._legacy}{{}} ]")
    if starts.size and starts[-1] > idx.size:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.size} but got offsets[-1] of "
                           f"{starts[-1]}")
    bad = np.flatnonzero((idx < 0) | (idx >= num))
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in the valid range "
                           f"[0, {num})")
    padding_idx = padding_index(padding_idx, num)
    # each lookup's bag (-1: after the last offset with include_last_offset, in no bag)
    n_bags = max(starts.size - 1, 0) if include_last_offset else starts.size
    bag_of = np.searchsorted(starts[:n_bags], np.arange(idx.size), side="right") - 1
    if include_last_offset and starts.size:
        bag_of[np.arange(idx.size) >= starts[-1]] = -1
    kw = {"indices": idx, "bag_of": bag_of, "n_bags": n_bags, "mode": mode, "padding_idx": padding_idx,
          "scale_grad_by_freq": scale_grad_by_freq}
    if per_sample_weights is None:
        return apply(norm_ops.EMBEDDING_BAG, weight, **kw)
    return apply(norm_ops.EMBEDDING_BAG_WEIGHTED, weight, per_sample_weights, **kw)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with ``num_classes`` (max + 1 by default) in a new last dimension."""
    a = tensor._data
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == np.arange(num_classes)).astype(np.int64)
    return _const(out)


