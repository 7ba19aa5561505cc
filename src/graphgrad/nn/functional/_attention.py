"""scaled_dot_product_attention and the attention-mask helpers shared by MultiheadAttention and the
Transformer family (PyTorch's private ``F._canonical_mask`` / ``F._none_or_dtype``)."""

from __future__ import annotations

import math
import warnings

import numpy as np

import graphgrad

from ..._factories import zeros_like
from ..._tensor import Tensor
from ...ops._autocast import autocast_rule
from ..attention import cpu_kernel_enabled
from ._common import _const
from ._dropout import dropout


@autocast_rule
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None,
                                 enable_gqa=False):
    """``softmax(q @ k^T * scale + mask) @ v`` (composed, like PyTorch's math reference implementation).
    ``nn.attention.sdpa_kernel`` chooses the kernels; with neither of the CPU's (flash, math) enabled it fails."""
    if not cpu_kernel_enabled():
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This is likely due to "
                           "turning off both the math kernel and the fused kernels.")
    L, S = query._data.shape[-2], key._data.shape[-2]
    scale = 1.0 / math.sqrt(query._data.shape[-1]) if scale is None else scale
    if enable_gqa:
        rep = query._data.shape[-3] // key._data.shape[-3]
        key, value = key.repeat_interleave(rep, -3), value.repeat_interleave(rep, -3)
    scores = query @ key.transpose(-2, -1) * scale
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        scores = scores.masked_fill(_const(~np.tril(np.ones((L, S), bool))), float("-inf"))
    if attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask
    attn = graphgrad.softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, training=True)
    return attn @ value


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
