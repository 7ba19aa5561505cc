"""cosine_similarity and pairwise_distance."""

from __future__ import annotations

import graphgrad

from ..._dtype import is_float_np
from ...autograd.grad_mode import no_grad
from ...ops import reduce as reduce_ops
from ...ops._op import apply, check_broadcast


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``, composed as PyTorch composes it: each
    input divided by its norm, the norms clamped in place without recording (the clamp passes gradients through;
    an overflowed norm stays inf, and x / inf is 0)."""
    if x1._data.shape != x2._data.shape:
        shape = check_broadcast(x1._data.shape, x2._data.shape)
        x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = graphgrad.linalg.vector_norm(x1, 2, dim, keepdim=True).clone()
    n2 = graphgrad.linalg.vector_norm(x2, 2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dimension (NormBackward1, as PyTorch records it).

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.pairwise_distance(graphgrad.tensor([[3.0, 0.0]]), graphgrad.tensor([[0.0, 4.0]]), eps=0).item()
    5.0
    """
    diff = x1 - x2 + eps
    if not is_float_np(diff._data.dtype):
        return graphgrad.norm(diff, p, diff.dim() - 1, keepdim)  # (for its error on integer input)
    return apply(reduce_ops.NORM_P_DIM, diff, p=float(p), dims=reduce_ops.reduced_dims(diff, -1), keepdim=keepdim)

