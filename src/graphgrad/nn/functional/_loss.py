"""The losses, with PyTorch's reductions (``reduction`` and the legacy ``size_average`` / ``reduce``)."""

from __future__ import annotations

import math
import warnings

import numpy as np

import graphgrad

from ..._core.fp_errors import quietly
from ..._dtype import FLOAT_NP, is_float_np
from ..._size import size_text
from ...ops import arithmetic as arithmetic_ops
from ...ops import loss as loss_ops
from ...ops import margin_losses
from ...ops import reduce as reduce_ops
from ...ops._autocast import autocast_rule
from ...ops._op import _torch_name, apply, check_broadcast
from ._activation import log_softmax, logsigmoid
from ._common import _const, _shape
from ._distance import pairwise_distance


# --- reductions of the losses ---------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction, emit=True):
    """PyTorch's ``size_average`` / ``reduce`` arguments mapped to a ``reduction`` string."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    if emit:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _apply_reduction(loss, reduction):
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss



# --- losses ---------------------------------------------------------------------------------------
def _check_no_grad(t, name, fn):
    if t is not None and t.requires_grad:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{name}'. This input "
                           "cannot have requires_grad True.")


def _broadcast_pair(input, target, stacklevel=3):
    if input._data.shape != target._data.shape:
        warnings.warn(f"Using a target size ({size_text(target._data.shape)}) that is different to the input size "
                      f"({size_text(input._data.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=stacklevel)
        shape = check_broadcast(input._data.shape, target._data.shape)
        input, target = input.expand(shape), target.expand(shape)
    return input, target


def _float_target(target, input):
    return target if target._data.dtype == input._data.dtype else target.to(input.dtype)


def _weighted(loss_none, weight, reduction, mean_by_weight):
    """PyTorch's manual weighted reduction of mse/l1/huber (weight of the input's shape)."""
    if tuple(weight._data.shape) != tuple(loss_none._data.shape):
        raise ValueError("Weights and input must have the same size.")
    w = loss_none * weight
    if reduction == "none":
        return w
    if reduction == "sum":
        return w.sum()
    if reduction == "mean":
        return w.sum() / weight.sum() if mean_by_weight else w.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


@autocast_rule
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (MseLossBackward0).

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> F.mse_loss(graphgrad.tensor([1.0, 3.0]), graphgrad.tensor([0.0, 0.0])).item()
    5.0
    """
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input = _promoted_input("mse_cpu", input, target)
    if weight is not None:
        return _weighted((input - target) ** 2, weight, reduction, True)
    _check_reduction(reduction)
    return apply(loss_ops.MSE_LOSS, input, _float_target(target, input), reduction=reduction)


@autocast_rule
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error (composed: ``(input - target).abs().mean()``, as PyTorch)."""
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted((input - target).abs(), weight, reduction, True)
    return _apply_reduction((input - target).abs(), reduction)


@autocast_rule
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Quadratic below ``beta``, linear above (SmoothL1LossBackward0)."""
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input = _promoted_input("smooth_l1_cpu", input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return apply(loss_ops.SMOOTH_L1_LOSS, input, _float_target(target, input), reduction=reduction, beta=beta)


def _promoted_input(kernel, input, target):
    """``input`` in the dtype PyTorch promotes the pair to, for a loss whose kernel takes the promoted pair (an
    integer input with a float target computes in float); PyTorch's error where that dtype is not floating point."""
    if input._data.dtype == target._data.dtype and is_float_np(input._data.dtype):
        return input
    _check_float_kernel(kernel, input, target, into_input=False)
    return input.to(graphgrad._dtype.result_type(input, target))


def _check_float_kernel(kernel, input, target, into_input=True):
    """PyTorch's errors for a pointwise loss kernel that exists for floating point only (a non-float pair has
    none) and, ``into_input``, writes into a tensor of the input's dtype (a float result does not fit an
    integer input)."""
    promoted = graphgrad._dtype.result_type(input, target)
    if not promoted.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(promoted.np)}\'')
    if into_input and not is_float_np(input._data.dtype):
        raise RuntimeError(f"result type {_torch_name(promoted.np)} can't be cast to the desired output type "
                           f"{_torch_name(input._data.dtype)}")


@autocast_rule
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Quadratic below ``delta``, ``delta``-scaled linear above (HuberLossBackward0)."""
    input, target = _broadcast_pair(input, target)
    _check_float_kernel("huber_cpu", input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(apply(loss_ops.HUBER_LOSS, input, _float_target(target, input), reduction="none", delta=delta),
                         weight, reduction, False)
    _check_reduction(reduction)
    return apply(loss_ops.HUBER_LOSS, input, _float_target(target, input), reduction=reduction, delta=delta)


@autocast_rule
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(t log x + (1 - t) log(1 - x))``, each log clamped at -100 as PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({size_text(target._data.shape)}) that is different to the input size "
                         f"({size_text(input._data.shape)}) is deprecated. Please ensure they have the same size.")
    _check_no_grad(weight, "weight", "binary_cross_entropy")
    x = input._data
    if ((x < 0) | (x > 1)).any():  # (NaN passes, as in PyTorch; np.nanmin warns on all-NaN input)
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data, np.broadcast_shapes(weight._data.shape, target._data.shape))
    return apply(loss_ops.BCE_LOSS, input, _float_target(target, input), reduction=reduction, weight=w)


@autocast_rule
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid + binary cross entropy in one numerically stable op; ``pos_weight`` scales the positive term."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({size_text(target._data.shape)}) must be the same as input size "
                         f"({size_text(input._data.shape)})")
    _check_no_grad(weight, "weight", "binary_cross_entropy_with_logits")
    _check_no_grad(pos_weight, "pos_weight", "binary_cross_entropy_with_logits")
    w = weight._data if weight is not None else None
    pw = pos_weight._data if pos_weight is not None else None
    for a in (w, pw):
        if a is not None:
            check_broadcast(input._data.shape, a.shape)
    return apply(loss_ops.BCE_WITH_LOGITS, input, _float_target(target, input), reduction=reduction, weight=w,
                 pos_weight=pw)


def _class_target_checks(input, target):
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{str(target.dtype).split('.')[-1].capitalize()}")
    n_in = input._data.shape[0] if input._data.ndim > 1 else None
    if input._data.ndim > 1:
        if target._data.ndim == 0 or target._data.shape[0] != n_in:
            raise ValueError(f"Expected input batch_size ({n_in}) to match target batch_size "
                             f"({target._data.shape[0] if target._data.ndim else 0}).")
        if input._data.ndim == 2 and target._data.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input._data.ndim > 2 and tuple(target._data.shape) != input._data.shape[:1] + input._data.shape[2:]:
            raise RuntimeError(f"Expected target size {list(input._data.shape[:1] + input._data.shape[2:])}, got "
                               f"{_shape(target)}")
    elif target._data.ndim != 0:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")


@autocast_rule
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of the class indices ``target`` under log-probabilities ``input`` (N, C, ...)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _nll_loss(input, target, weight, ignore_index, reduction)


def _nll_loss(input, target, weight, ignore_index, reduction):
    """``nll_loss`` once its reduction is known and checked (``cross_entropy`` comes here directly)."""
    _class_target_checks(input, target)
    _check_no_grad(weight, "weight", "nll_loss_forward")
    c = input._data.shape[1] if input._data.ndim > 1 else input._data.shape[0]
    if weight is not None and (weight._data.ndim != 1 or weight._data.shape[0] != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got weight "
                           f"tensor of shape: {_shape(weight)}")
    t = target._data.astype(np.int64, copy=False)
    # (the usual batch stops at these two reductions, the ufuncs' own: ndarray.min adds a Python frame)
    if t.size and (np.minimum.reduce(t, axis=None) < 0 or np.maximum.reduce(t, axis=None) >= c):
        bad = t[(t != ignore_index) & ((t < 0) | (t >= c))]
        if bad.size:
            raise IndexError(f"Target {int(bad.flat[0])} is out of bounds.")
    x, op, ndim = input, loss_ops.NLL_LOSS, input._data.ndim
    unbatched = ndim == 1
    if unbatched:
        x, t = input.unsqueeze(0), t.reshape(1)
    elif ndim > 2:  # PyTorch's nll_loss2d on (N, C, H, W), other N-d input viewed as (N, C, 1, H*W*...)
        op = loss_ops.NLL_LOSS_2D
        if ndim != 4:
            n, spatial = input._data.shape[0], int(np.prod(input._data.shape[2:]))
            x, t = input.reshape(n, c, 1, spatial), t.reshape(n, 1, spatial)
    out = apply(op, x, target=t, weight=None if weight is None else weight._data.astype(x._data.dtype),
                ignore_index=ignore_index, reduction=reduction)
    if reduction != "none" or x is input:
        return out
    return out.squeeze(0) if unbatched else out.reshape(target._data.shape)


@autocast_rule
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)``; ``target`` holds class indices or class probabilities.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> round(F.cross_entropy(graphgrad.zeros(2, 4), graphgrad.tensor([0, 3])).item(), 4)
    1.3863
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input._data.ndim == 1 else 1
    c = input._data.shape[class_dim]
    # (a floating input: its log_softmax op at once, without log_softmax's checks of a dim known to be right)
    logp = (apply(reduce_ops.LOG_SOFTMAX, input, dim=class_dim) if input._data.dtype in FLOAT_NP
            else log_softmax(input, class_dim))
    if target._data.dtype.kind == "f":  # class probabilities
        if target._data.shape != input._data.shape:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{str(target.dtype).split('.')[-1].capitalize()}"
                               if target._data.dtype.kind != "f" else
                               f"Expected target size {_shape(input)}, got {_shape(target)}")
        _check_no_grad(weight, "weight", "cross_entropy")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape((1, c) + (1,) * (input._data.ndim - 2) if class_dim else (c,))
        if reduction == "none":
            return -prod.sum(class_dim)
        if reduction == "sum":
            return -prod.sum()
        return apply(arithmetic_ops.DIV_BY_SCALAR, -prod.sum(), other=input._data.size // c)
    loss = _nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return loss
    t = target._data
    ignore = _const(t == ignore_index)
    if weight is not None:
        smooth = -(logp * weight.reshape((1, c) + (1,) * (input._data.ndim - 2) if class_dim else (c,))).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            kept = t[t != ignore_index]
            ret = smooth.sum() / weight[_const(kept.astype(np.int64))].sum()
        else:
            ret = smooth.sum() / float((t != ignore_index).sum())
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * loss + ret * (label_smoothing / c)


@autocast_rule
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of ``target`` from ``exp(input)`` (input holds log-probabilities)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:  # PyTorch's composition (XlogyBackward0 - MulBackward0): 0 at t = 0, whose gradient in t is NaN there
        loss = graphgrad.xlogy(target, target) - target * input
    if reduction == "batchmean":
        out = loss.sum()
        return out / input._data.shape[0] if input._data.ndim else out
    return _apply_reduction(loss, reduction)


@autocast_rule
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = 1 if input1._data.ndim == 2 else 0
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + 1e-12
    m2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    zeros = graphgrad.zeros_like(cos)  # (a constant: cos * 0 would be NaN where cos is)
    out = graphgrad.where(target == 1, 1 - cos, zeros) + graphgrad.where(target == -1, (cos - margin).clamp_min(0),
                                                                         zeros)
    return _apply_reduction(out, reduction)


@autocast_rule
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input1._data.ndim != input2._data.ndim or input1._data.ndim != target._data.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {size_text(input1._data.shape)}, input2: {size_text(input2._data.shape)}, "
                           f"target: {size_text(target._data.shape)} ")
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


@autocast_rule
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    zeros = input * 0
    margin_clamp = (margin - input).clamp_min(0)
    out = graphgrad.where(target != 1, margin_clamp, zeros) + graphgrad.where(target != -1, input, zeros)
    return _apply_reduction(out, reduction)


@autocast_rule
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean of ``log(1 + exp(-target * input))`` (SoftMarginLossBackward0); the target gets no gradient.

    >>> import graphgrad, graphgrad.nn.functional as F
    >>> round(F.soft_margin_loss(graphgrad.tensor([0.0, 2.0]), graphgrad.tensor([1.0, -1.0])).item(), 4)
    1.41
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_no_grad(target, "target", "soft_margin_loss")
    shape = np.broadcast_shapes(input._data.shape, target._data.shape)
    if shape != input._data.shape:  # the loss takes the input's shape, which the target broadcasts to
        raise RuntimeError(f"output with shape {list(input._data.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")
    if input._data.dtype != target._data.dtype:
        target = target.to(graphgrad._dtype.result_type(input, target))
        input = input.to(target.dtype)
    return apply(loss_ops.SOFT_MARGIN_LOSS, input, target.expand_as(input), reduction=reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input._data.ndim - 1
    loss = loss.sum(class_dim) / input._data.shape[class_dim]
    return _apply_reduction(loss, reduction)


@quietly  # (Stirling's term is computed on the target's array; outermost: the deprecation warning's stacklevel)
@autocast_rule
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        t = target._data
        stirling = np.where(t > 1, t * np.log(np.where(t > 1, t, 1)) - t + 0.5 * np.log(2 * np.pi * np.where(
            t > 1, t, 1)), 0).astype(input._data.dtype)
        loss = loss + _const(stirling)
    return _apply_reduction(loss, reduction)


@quietly  # (the variance's clamp is computed on its array)
def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = graphgrad.ones_like(input) * var
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    if var._data.shape != input._data.shape:
        if input._data.shape[:-1] == var._data.shape:
            var = var.unsqueeze(-1)
        elif input._data.ndim == var._data.ndim and sum(
                v for i, v in zip(input._data.shape, var._data.shape) if i != v) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + _const(np.maximum(var._data, eps) - var._data)  # clamp without cutting the gradient, as PyTorch
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


@autocast_rule
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = graphgrad.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)



def _check_scores(input):
    """PyTorch's check of the class scores of the multi-class margin losses: 0-d, (C) or (N, C), C > 0."""
    shape = input._data.shape
    if not (len(shape) == 0 or (len(shape) in (1, 2) and shape[-1] > 0)):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(shape)}")


def _check_kernel_dtypes(kernel, input, target, weight=None):
    if not is_float_np(input._data.dtype):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(input._data.dtype)}\'')
    for t, want in ((target, np.dtype(np.int64)), (weight, input._data.dtype)):
        if t is not None and t._data.dtype != want:
            raise RuntimeError(f"expected scalar type {_torch_name(want).capitalize()} but found "
                               f"{_torch_name(t._data.dtype).capitalize()}")


@autocast_rule
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-class hinge loss: per sample, ``sum over i != y of w[y] * max(0, margin - x[y] + x[i])**p / C``
    (MultiMarginLossBackward0)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _check_no_grad(weight, "weight", "multi_margin_loss")
    _check_scores(input)
    shape = input._data.shape
    c, n = (shape[-1], shape[0] if len(shape) == 2 else 1) if shape else (1, 1)
    if target._data.ndim > 1 or target._data.size != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {_shape(target)}. Input has "
                           f"shape {_shape(input)}.")
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {_shape(weight)}")
    _check_kernel_dtypes("multi_margin_loss_cpu_kernel", input, target, weight)
    t = target._data
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    return apply(margin_losses.MULTI_MARGIN_LOSS, input, target=t, p=p, margin=margin,
                 weight=None if weight is None else weight._data, reduction=reduction)


@autocast_rule
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: per sample, over the target classes j (listed up to the first -1) and the other
    classes i, ``sum max(0, 1 - x[j] + x[i]) / C`` (MultilabelMarginLossBackward0)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_scores(input)
    shape, t = input._data.shape, target._data
    if not (t.shape == shape if len(shape) == 2 else t.ndim <= 1 and t.size == (shape[0] if shape else 1)):
        raise RuntimeError(f"inconsistent target size: {_shape(target)} for input of size: {_shape(input)}")
    _check_kernel_dtypes("multilabel_margin_loss_forward_out_frame", input, target)
    if t.size and (t.min() < -1 or t.max() >= (shape[-1] if shape else 1)):
        raise RuntimeError("argument #2 'target' is out of range")
    return apply(margin_losses.MULTILABEL_MARGIN_LOSS, input, target=t.reshape(shape), reduction=reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """The triplet loss under any ``distance_function`` (default ``pairwise_distance``): PyTorch's composition."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    if distance_function is None:  # the published function, whose argument errors are torch.pairwise_distance's
        distance_function = graphgrad.nn.functional.pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = graphgrad.minimum(dist_neg, distance_function(positive, negative))
    loss = graphgrad.clamp_min(margin + dist_pos - dist_neg, 0)
    return _apply_reduction(loss, reduction)
