"""The multi-class hinge losses over class scores: multi_margin_loss and multilabel_margin_loss.

Each input is a vector of C class scores (0-d, (C) or (N, C)); both kernels work on its (N, C) rows and give
the result the shape PyTorch gives it. Their derivatives are written with graphgrad ops: where the loss is
piecewise linear (multilabel, multi_margin with p=1) the derivative is the incoming gradient times a constant, so
its own derivative is 0 (PyTorch does not differentiate these twice; graphgrad's derivative is still exact).
"""

from __future__ import annotations

import math

import numpy as np

from ._op import Op, const
from .comparison import where
from .loss import _reduce_np


def _rows_shape(shape):
    """The (N, C) shape of a 0-d, (C) or (N, C) score array."""
    return (math.prod(shape[:-1]), shape[-1]) if shape else (1, 1)


def _rows(x):
    return x.reshape(_rows_shape(x.shape))


def _per_sample(losses, reduction, target_shape):
    """The per-sample losses, reduced, or (reduction="none") in the shape PyTorch gives them: (N) for batched input,
    the target's shape for a single sample."""
    if reduction == "none":
        return losses.reshape(target_shape) if len(target_shape) < 2 else losses
    return _reduce_np(losses, reduction)


def _sample_grad(node, g):
    """The incoming gradient as an (N, 1) column (one per sample; /N for 'mean')."""
    n = _rows_shape(node._in_meta[0][0])[0]
    if node.kwargs["reduction"] == "none":
        return g.reshape(n, 1)
    return g / n if node.kwargs["reduction"] == "mean" else g


# --- multi_margin_loss: sum over i != y of w[y] * max(0, margin - x[y] + x[i])**p / C ---------------------------
def _margins(x2, y, margin):
    """z = margin - x[y] + x (N, C), and the terms that count: i != y and z > 0."""
    rows = np.arange(len(y))
    z = margin - x2[rows, y][:, None] + x2
    live = z > 0
    live[rows, y] = False
    return z, live


def _multi_margin_fwd(x, *, target, p, margin, weight, reduction):
    x2, y = _rows(x), target.reshape(-1)
    z, live = _margins(x2, y, margin)
    terms = z if p == 1 else z * z
    if weight is not None:
        terms = terms * weight[y][:, None]
    terms = np.where(live, terms, 0)  # (the live terms only, as PyTorch adds them: no NaN from a weight elsewhere)
    return _per_sample((terms.sum(1) / x2.shape[1]).astype(x.dtype, copy=False), reduction, target.shape)


def _multi_margin_bw(node, g):
    (x,) = node.saved_tensors
    k = node.kwargs
    shape = node._in_meta[0][0]
    x2, y = x.reshape(_rows_shape(shape)), k["target"].reshape(-1)
    z, live = _margins(x2._data, y, k["margin"])
    weight = 1 if k["weight"] is None else k["weight"][y][:, None]
    coef = const(np.where(live, weight / x2._data.shape[1], 0).astype(x._data.dtype))  # (the live terms only)
    if k["p"] == 2:  # d z**2 = 2 z dz, z written again in graphgrad ops so it differentiates once more
        at_target = x2.gather(1, const(y[:, None]))
        coef = where(const(live), 2 * coef * (x2 - at_target + k["margin"]), 0.0)
    # x[y] enters every term with the opposite sign (its own column of coef is 0: a choice, not a product, so an
    # infinite sum does not reach the other columns as inf * 0)
    at_target = const(np.arange(x2._data.shape[1]) == y[:, None])
    dx = where(at_target, -coef.sum(1, keepdim=True), coef)
    return (_sample_grad(node, g) * dx).reshape(shape)


MULTI_MARGIN_LOSS = Op("MultiMarginLossBackward0", _multi_margin_fwd, _multi_margin_bw, save="a")


# --- multilabel_margin_loss: over the targets j (up to the first -1) and the non-targets i, ----------------------
# sum max(0, 1 - x[j] + x[i]) / C (a target listed twice counts twice, as PyTorch's loop counts it)
def _multilabel_terms(x2, t2):
    """(live (N, K, C): the terms that count for target slot k and class i, z, the target slots' one-hot (N, K, C))."""
    valid = np.cumprod(t2 >= 0, axis=1).astype(bool)  # the target slots before the first -1
    safe = np.where(valid, t2, 0)
    one_hot = (safe[:, :, None] == np.arange(x2.shape[1])) & valid[:, :, None]
    is_target = one_hot.any(1)
    z = 1 - np.take_along_axis(x2, safe, 1)[:, :, None] + x2[:, None, :]
    live = valid[:, :, None] & ~is_target[:, None, :] & (z > 0)
    return live, z, one_hot


def _multilabel_fwd(x, *, target, reduction):
    x2 = _rows(x)
    live, z, _ = _multilabel_terms(x2, _rows(target))
    losses = np.where(live, z, 0).sum((1, 2)) / x2.shape[1]
    return _per_sample(losses.astype(x.dtype, copy=False), reduction, target.shape[:-1] if x.ndim else ())


def _multilabel_bw(node, g):
    k = node.kwargs
    shape, dtype = node._in_meta[0]
    x2 = _rows(node.saved_arrays[0])
    live, _, one_hot = _multilabel_terms(x2, _rows(k["target"]))
    # +1 for each live (slot, class) at the class, -1 at the slot's target class
    coef = live.sum(1) - (live.sum(2)[:, :, None] * one_hot).sum(1)
    return (_sample_grad(node, g) * const((coef / x2.shape[1]).astype(dtype))).reshape(shape)


MULTILABEL_MARGIN_LOSS = Op("MultilabelMarginLossBackward0", _multilabel_fwd, _multilabel_bw, save="a")
