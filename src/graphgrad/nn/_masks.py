"""Attention-mask helpers shared by MultiheadAttention and the Transformer family (PyTorch's private
``F._canonical_mask`` / ``F._none_or_dtype``), exported from ``nn.functional``."""

from __future__ import annotations

import warnings

from .._factories import zeros_like
from .._tensor import Tensor

__all__ = ["_canonical_mask", "_none_or_dtype"]


def _none_or_dtype(input):
    """``input.dtype`` for a tensor, None for None (anything else is a mistake in the caller's mask)."""
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A boolean mask (True = masked out) as an additive float mask of ``target_type`` (-inf where True).

    Float masks pass unchanged; other dtypes raise PyTorch's AssertionError. A mask whose dtype differs
    from its companion's (``other_type``) draws PyTorch's deprecation warning.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F._canonical_mask(graphgrad.tensor([False, True]), "m", None, "", graphgrad.float32)
    tensor([0., -inf])
    """
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype.name != "bool" and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if not is_float:
        mask = zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask
