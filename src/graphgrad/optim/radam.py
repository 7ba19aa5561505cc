"""RAdam (Adam with a rectified adaptive learning rate, optional decoupled weight decay)."""

from __future__ import annotations

from .. import _factories
from .optimizer import _check_hyperparameters, _PerParameterOptimizer, _step_tensor, _to_scalar


class RAdam(_PerParameterOptimizer):
    """RAdam (Liu et al., 2019): plain momentum SGD while the variance estimate is unreliable, then Adam
    with a rectification factor.

    For each parameter at step t, with ``g`` its gradient (negated when ``maximize``)::

        p = p * (1 - lr * weight_decay)  if decoupled_weight_decay,  else  g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        if rho_t > 5:  p = p - lr * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r_t,
                       r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        else:          p = p - lr * m_hat

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.RAdam([w], lr=0.1)
    >>> (w * 3).sum().backward(); opt.step()
    >>> w
    tensor([0.7000], requires_grad=True)
    """

    _group_defaults_on_load = {"foreach": None, "maximize": False, "differentiable": False,
                               "decoupled_weight_decay": False, "capturable": False}
    _scalar_state_keys = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
            "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "exp_avg": _factories.zeros_like(p), "exp_avg_sq": _factories.zeros_like(p)}

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        step = state["step"].item()
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction2 = 1 - beta2**step
        update = exp_avg / (1 - beta1**step) * _to_scalar(group["lr"])
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        if rho_t > 5.0:  # the variance is tractable: rectified adaptive step
            adaptive_lr = bias_correction2**0.5 / exp_avg_sq.sqrt().add_(group["eps"])
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            update = update * adaptive_lr * rect
        p.add_(update, alpha=-1.0)
