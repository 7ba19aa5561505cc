"""Adadelta (rho, eps, weight_decay, maximize): PyTorch's single-tensor update."""

from __future__ import annotations

from .. import _factories
from .optimizer import _check_hyperparameters, _PerParameterOptimizer, _step_tensor, _to_scalar


class Adadelta(_PerParameterOptimizer):
    """An adaptive learning-rate method (Zeiler, 2012): step sizes from running averages of squared
    gradients and of squared updates.

    For each parameter, with ``g`` its gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.Adadelta([w], lr=1.0, rho=0.0, eps=1.0)
    >>> (w * 3).sum().backward(); opt.step()
    >>> w
    tensor([0.0513], requires_grad=True)
    """

    _group_defaults_on_load = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _scalar_state_keys = ("step",)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_hyperparameters(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        defaults = {
            "lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
            "capturable": capturable, "foreach": foreach, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "square_avg": _factories.zeros_like(p), "acc_delta": _factories.zeros_like(p)}

    def _update(self, p, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_()
        delta.div_(std).mul_(grad)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-_to_scalar(group["lr"]))
