"""ASGD (averaged stochastic gradient descent): PyTorch's single-tensor update."""

from __future__ import annotations

from .. import _factories
from .optimizer import _check_hyperparameters, _PerParameterOptimizer, _step_tensor, _to_scalar


class ASGD(_PerParameterOptimizer):
    """Averaged SGD (Polyak & Juditsky): SGD with a decaying step size ``eta`` and a running average
    ``ax`` of the iterates, averaging from step ``t0`` on.

    For each parameter at step t, with ``g`` its gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)    (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t)**alpha;  mu = 1 / max(1, t - t0)

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.ASGD([w], lr=0.1, lambd=0.0)
    >>> (w * 3).sum().backward(); opt.step()
    >>> w
    tensor([0.7000], requires_grad=True)
    """

    _group_defaults_on_load = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _scalar_state_keys = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_hyperparameters(lr=lr, weight_decay=weight_decay)
        defaults = {
            "lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "eta": _step_tensor(_to_scalar(group["lr"])), "mu": _step_tensor(1.0),
                "ax": _factories.zeros_like(p)}

    def _update(self, p, grad, state, group):
        lr, lambd, alpha, t0 = _to_scalar(group["lr"]), group["lambd"], group["alpha"], group["t0"]
        eta, mu, ax = state["eta"], state["mu"], state["ax"]
        eta_value = eta.item()
        p.mul_(1 - lambd * eta_value)
        p.add_(grad, alpha=-eta_value)
        if mu.item() != 1:
            ax.add_(p.sub(ax).mul_(mu))
        else:
            ax.copy_(p)
        step = state["step"].item()
        eta.fill_(lr / ((1 + lambd * lr * step) ** alpha))
        mu.fill_(1 / max(1, step - t0))
