"""Losses over (input, target): mse, smooth l1, huber, binary cross entropy (with logits), nll.

Each derivative is written with graphgrad ops, so ``create_graph=True`` differentiates it once more.
"""

from __future__ import annotations

import numpy as np

from ._op import Op, apply, const
from .activation import LOG_SIGMOID, log_sigmoid_np
from .reduce import mean_np


# --- losses ---------------------------------------------------------------------------------------
# Each loss is an op over (input, target) whose derivative (for both) is written in graphgrad ops.
# ``reduction`` is 'none', 'mean' or 'sum'; the gradient of a reduced loss is the elementwise one
# times the incoming scalar (divided by the element count for 'mean').
def _reduce_np(l, reduction):
    if reduction == "none":
        return l
    return np.asarray(mean_np(l) if reduction == "mean" else l.sum(), l.dtype)  # (mean_np: of none, a silent NaN)


def _grad_scale(node, g):
    """The incoming gradient, scaled for 'mean'; broadcasts against the elementwise derivative."""
    r = node.kwargs["reduction"]
    if r == "mean":
        n = 1
        for s in node._in_meta[0][0]:
            n *= s
        return g / n
    return g


def _loss_op(name, fwd, dx, dt):
    """Op(input, target) with loss ``fwd(x, t, **kw)`` (elementwise) and derivatives dx / dt in graphgrad ops."""

    def forward(x, t, reduction, **kw):
        return _reduce_np(fwd(x, t, **kw), reduction)

    def backward(n, g):
        x, t = n.saved_tensors
        kw = {k: v for k, v in n.kwargs.items() if k != "reduction"}
        gs = _grad_scale(n, g)
        need = n.needs_input_grad
        return (dx(x, t, gs, **kw) if need[0] else None, dt(x, t, gs, **kw) if need[1] else None)

    return Op(name, forward, backward, save="ab", saved_names=("self", "target"))


def _w(weight, dtype):
    return 1 if weight is None else weight.astype(dtype, copy=False)


def _wt(weight, like):
    return 1 if weight is None else const(weight.astype(like._data.dtype, copy=False))


MSE_LOSS = _loss_op("MseLossBackward0", lambda x, t: np.square(x - t),
                    lambda x, t, g: 2 * (x - t) * g, lambda x, t, g: -2 * (x - t) * g)


def _smooth_l1_np(x, t, beta):
    d = np.abs(x - t)
    return np.where(d < beta, 0.5 * d * d / (beta if beta else 1), d - 0.5 * beta).astype(x.dtype, copy=False)


def _smooth_l1_grad(x, t, g, beta):
    d = x - t
    # PyTorch's kernel: ±1 where |d| >= beta, else d / beta, which a NaN d takes (NaN, where sign(NaN) is 0)
    return g * (d.sign().where(d.abs() >= beta, d / beta) if beta else d.sign())


SMOOTH_L1_LOSS = _loss_op("SmoothL1LossBackward0", _smooth_l1_np, _smooth_l1_grad,
                          lambda x, t, g, beta: -_smooth_l1_grad(x, t, g, beta))


def _huber_np(x, t, delta):
    d = np.abs(x - t)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)).astype(x.dtype, copy=False)


HUBER_LOSS = _loss_op("HuberLossBackward0", _huber_np, lambda x, t, g, delta: g * (x - t).clamp(-delta, delta),
                      lambda x, t, g, delta: -g * (x - t).clamp(-delta, delta))


def _soft_margin_grad(x, t, g):
    z = (-t * x).exp()
    return -(t * z) / (1 + z) * g


# PyTorch's formulas, log1p(exp(-x t)) and -t z / (1 + z) with z = exp(-t x): in float32 exp overflows from
# -x t > 88 on, where the loss is inf and its gradient NaN, as PyTorch's. Its target derivative is never taken
# (PyTorch refuses a target that requires grad), so dt is never called.
SOFT_MARGIN_LOSS = _loss_op("SoftMarginLossBackward0",
                            lambda x, t: np.log1p(np.exp(-x * t)).astype(x.dtype, copy=False), _soft_margin_grad, None)


def _bce_np(x, t, weight):
    l = (t - 1) * np.maximum(np.log1p(-x), -100) - t * np.maximum(np.log(x), -100)
    return (l * _w(weight, x.dtype)).astype(x.dtype, copy=False)


BCE_LOSS = _loss_op("BinaryCrossEntropyBackward0", _bce_np,
                    lambda x, t, g, weight: g * _wt(weight, x) * (x - t) / ((1 - x) * x).clamp(min=1e-12),
                    lambda x, t, g, weight: g * _wt(weight, x) * ((-x).log1p() - x.log()))


def _bce_logits_np(x, t, weight, pos_weight):
    ls = log_sigmoid_np(x)
    if pos_weight is not None:
        ls = ls * ((pos_weight - 1) * t + 1)
    return ((1 - t) * x - ls) * _w(weight, x.dtype)


def _bce_logits_dx(x, t, g, weight, pos_weight):
    s = x.sigmoid()
    if pos_weight is not None:
        pt = const(pos_weight.astype(x._data.dtype, copy=False)) * t
        d = (pt + 1 - t) * s - pt
    else:
        d = s - t
    return g * _wt(weight, x) * d


def _bce_logits_dt(x, t, g, weight, pos_weight):
    if pos_weight is not None:
        d = apply(LOG_SIGMOID, -x) - apply(LOG_SIGMOID, x) * const(pos_weight.astype(x._data.dtype, copy=False))
    else:
        d = -x
    return g * _wt(weight, x) * d


BCE_WITH_LOGITS = _loss_op("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_np, _bce_logits_dx, _bce_logits_dt)


def _nll_weights(target, weight, ignore_index, dtype):
    """(per-sample weight, 0 for ignored samples; valid mask; target with ignored entries at class 0)."""
    valid = target != ignore_index
    safe = target if valid.all() else np.where(valid, target, 0)  # (the usual batch ignores nothing)
    w = valid.astype(dtype) if weight is None else np.where(valid, weight[safe], 0)  # (not inf·0 at ignored ones)
    return w.astype(dtype, copy=False), valid, safe


def _at_targets(shape, target):
    """The index of each sample's entry at its target class in an (N, C, ...) array: ``x[_at_targets(x.shape,
    t)]`` has t's shape, and reaches each entry once (a plain gather and scatter, without take_along_axis's and
    put_along_axis's index building)."""
    n = shape[0]
    samples = np.arange(n).reshape((n,) + (1,) * (len(shape) - 2))
    return (samples, target) + (np.indices(shape[2:], sparse=True) if len(shape) > 2 else ())


def _every_sample_weighs_one(target, weight, ignore_index):
    """The usual batch: no class weights and no ignored sample (the short paths below, with the same numbers)."""
    return weight is None and target.size and not (target == ignore_index).any()


def _nll_fwd(x, *, target, weight, ignore_index, reduction):
    if _every_sample_weighs_one(target, weight, ignore_index):
        l = -x[_at_targets(x.shape, target)]
        if reduction == "none":
            return l
        total = np.add.reduce(l, axis=None)
        return np.asarray(total if reduction == "sum" else total / x.dtype.type(l.size), x.dtype)
    w, valid, safe = _nll_weights(target, weight, ignore_index, x.dtype)
    l = -x[_at_targets(x.shape, safe)] * w
    if not valid.all():
        l[~valid] = 0  # PyTorch's kernel skips an ignored sample: 0, not -x·0 (NaN at an inf or NaN x)
    if reduction == "none":
        return l
    if reduction == "sum":
        return np.asarray(l.sum(), x.dtype)
    return np.asarray(l.sum() / w.sum(), x.dtype)  # nan when every sample is ignored, as PyTorch


def _nll_coef(n):
    """d loss / d input, for a gradient of 1 (per sample, for reduction="none"): -weight at each target."""
    k = n.kwargs
    shape, dt = n._in_meta[0]
    if _every_sample_weighs_one(k["target"], k["weight"], k["ignore_index"]):
        coef = np.zeros(shape, dt)
        coef[_at_targets(shape, k["target"])] = -(dt.type(1) / dt.type(k["target"].size)
                                                   if k["reduction"] == "mean" else dt.type(1))
        return coef
    w, valid, safe = _nll_weights(k["target"], k["weight"], k["ignore_index"], dt)
    if k["reduction"] == "mean":
        # PyTorch's order, (1 / total weight) · weight: the quotient overflows for a subnormal total; ignored
        # samples get no gradient, even 0/0
        w = np.where(valid, dt.type(1) / w.sum() * w, 0).astype(dt)
    coef = np.zeros(shape, dt)
    coef[_at_targets(shape, safe)] = -w
    return coef


def _nll_bw(n, g):
    if n.kwargs["reduction"] == "none":
        g = g.unsqueeze(1)
    return g * const(_nll_coef(n))


def _nll_bw_np(n, g):
    if n.kwargs["reduction"] == "none":
        g = g[:, None]
    return g * _nll_coef(n)


NLL_LOSS = Op("NllLossBackward0", _nll_fwd, _nll_bw, backward_np=_nll_bw_np)
# ATen's nll_loss2d, which PyTorch runs on (N, C, H, W) input (other N-d input is viewed as (N, C, 1, -1)):
# the same loss under its node
NLL_LOSS_2D = Op("NllLoss2DBackward0", _nll_fwd, _nll_bw, backward_np=_nll_bw_np)
