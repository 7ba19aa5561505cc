"""NAdam (Adam with Nesterov momentum, with momentum decay and optional decoupled weight decay)."""

from __future__ import annotations

from .. import _factories
from .optimizer import _check_hyperparameters, _PerParameterOptimizer, _step_tensor, _to_scalar


class NAdam(_PerParameterOptimizer):
    """NAdam (Dozat, 2016), PyTorch's variant with a momentum schedule ``mu_t``.

    For each parameter at step t, with ``g`` its gradient (negated when ``maximize``) and
    ``psi = momentum_decay``::

        p = p * (1 - lr * weight_decay)  if decoupled_weight_decay,  else  g = g + weight_decay * p
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * psi));  prod_t = prod_{t-1} * mu_t
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod_t) * g / denom
              - lr * mu_{t+1} / (1 - prod_t * mu_{t+1}) * m / denom

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.NAdam([w], lr=0.1)
    >>> (w * 3).sum().backward(); opt.step()
    >>> w
    tensor([0.8944], requires_grad=True)
    """

    _group_defaults_on_load = {"maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                               "decoupled_weight_decay": False}
    _scalar_state_keys = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay,
                               momentum_decay=momentum_decay)
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize, "foreach": foreach,
            "capturable": capturable, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "mu_product": _step_tensor(1.0), "exp_avg": _factories.zeros_like(p),
                "exp_avg_sq": _factories.zeros_like(p)}

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        lr, momentum_decay = _to_scalar(group["lr"]), group["momentum_decay"]
        step = state["step"].item()
        exp_avg, exp_avg_sq, mu_product = state["exp_avg"], state["exp_avg_sq"], state["mu_product"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        mu_product.mul_(mu)  # kept in float32, as PyTorch's 0-dim state tensor
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = exp_avg_sq.div(1 - beta2**step).sqrt().add_(group["eps"])
        product = mu_product.item()
        p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - product))
        p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1.0 - product * mu_next))
