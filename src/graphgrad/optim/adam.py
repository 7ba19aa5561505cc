"""Adam and AdamW: PyTorch's single-tensor update, bias correction and all, in float32 like PyTorch."""

from __future__ import annotations

import numpy as np

from .. import _factories
from .._core.fp_errors import quietly
from .._tensor import Tensor
from ..ops.arithmetic import _addcdiv_np, _addcmul_np, _lerp_np
from ..ops.comparison import maximum
from . import _fused
from .optimizer import _check_hyperparameters, _PerParameterOptimizer, _step_tensor, _to_scalar


class Adam(_PerParameterOptimizer):
    """Adam (Kingma & Ba), with PyTorch's options: amsgrad, weight_decay, maximize and, when
    ``decoupled_weight_decay`` is set (what ``AdamW`` does), decoupled weight decay.

    For each parameter, at step t, with ``g`` its gradient (negated when ``maximize``)::

        p = p * (1 - lr * weight_decay)     if decoupled,  else  g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_max, v)                 (amsgrad)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = graphgrad.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(map(_to_scalar, betas))
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
            "maximize": maximize, "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
            "fused": fused, "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    _group_defaults_on_load = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                               "differentiable": False, "decoupled_weight_decay": False, "fused": None}
    _scalar_state_keys = ("step",)

    def _init_state(self, p, group):
        state = {"step": _step_tensor(), "exp_avg": _factories.zeros_like(p), "exp_avg_sq": _factories.zeros_like(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _factories.zeros_like(p)
        return state

    def _update(self, p, grad, state, group):
        beta1, beta2 = (_to_scalar(b) for b in group["betas"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = state["step"].item()
        step_size = _to_scalar(group["lr"]) / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            max_sq = state["max_exp_avg_sq"]
            max_sq.copy_(maximum(max_sq, exp_avg_sq))
            denom = (max_sq.sqrt() / bias_correction2_sqrt).add_(group["eps"])
        else:
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(group["eps"])
        p.addcdiv_(exp_avg, denom, value=-step_size)

    _array_state_keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    @quietly  # (on arrays, outside the ops: NaN and inf silently)
    def _update_arrays(self, p, grad, state, group):
        beta1, beta2 = (_to_scalar(b) for b in group["betas"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        max_sq = state["max_exp_avg_sq"] if group["amsgrad"] else None
        m, v = exp_avg._data, exp_avg_sq._data
        step = state["step"].item()
        step_size = _to_scalar(group["lr"]) / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if _fused.adam(p._data, grad, m, v, None if max_sq is None else max_sq._data, beta1=beta1, beta2=beta2,
                       bias_correction2_sqrt=bias_correction2_sqrt, eps=group["eps"], neg_step_size=-step_size):
            for t, op_name in ((exp_avg, "LerpBackward0"), (exp_avg_sq, "MulBackward0"),
                               (exp_avg_sq, "AddcmulBackward0"), (max_sq, "torch::autograd::CopyBackwards"),
                               (p, "AddcdivBackward0")):
                if t is not None:
                    self._written(t, op_name)
            return
        _lerp_np(m, grad, float(1 - beta1), out=m)
        self._written(exp_avg, "LerpBackward0")
        np.multiply(v, beta2, out=v)
        self._written(exp_avg_sq, "MulBackward0")
        _addcmul_np(v, grad, grad, value=float(1 - beta2), out=v)
        self._written(exp_avg_sq, "AddcmulBackward0")
        if max_sq is not None:
            np.maximum(max_sq._data, v, out=max_sq._data)
            self._written(max_sq, "torch::autograd::CopyBackwards")
            v = max_sq._data
        denom = np.sqrt(v, out=np.empty_like(v))  # (an array also for a 0-d parameter)
        np.divide(denom, bias_correction2_sqrt, out=denom)
        np.add(denom, group["eps"], out=denom)
        _addcdiv_np(p._data, m, denom, value=float(-step_size), out=p._data)
        self._written(p, "AddcdivBackward0")


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); weight_decay defaults to 1e-2.

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * 0).sum().backward(); opt.step()
    >>> w
    tensor([0.9500], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
