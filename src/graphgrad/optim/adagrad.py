"""Adagrad (lr_decay, weight_decay, initial_accumulator_value, eps, maximize): PyTorch's dense update."""

from __future__ import annotations

from .. import _factories
from .optimizer import _check_hyperparameters, _PerParameterOptimizer, _step_tensor, _to_scalar


class Adagrad(_PerParameterOptimizer):
    """Per-coordinate learning rates from the sum of squared gradients (Duchi et al.).

    At step t, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g
        p = p - clr * g / (sqrt(sum) + eps)

    Unlike the other optimizers (and like PyTorch), the state is created in the constructor.

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.Adagrad([w], lr=0.5)
    >>> (w * 3).sum().backward(); opt.step()
    >>> w
    tensor([0.5000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_hyperparameters(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                               initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable, "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch creates Adagrad's state at construction, not at the first step
            for p in group["params"]:
                self.state[p].update(self._init_state(p, group))

    _group_defaults_on_load = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}
    _scalar_state_keys = ("step",)

    def _init_state(self, p, group):
        # the constructor's initial_accumulator_value, also for a group added later (as PyTorch)
        return {"step": _step_tensor(), "sum": _factories.full_like(p, self.defaults["initial_accumulator_value"])}

    def _update(self, p, grad, state, group):
        clr = _to_scalar(group["lr"]) / (1 + (state["step"].item() - 1) * group["lr_decay"])
        state_sum = state["sum"]
        state_sum.addcmul_(grad, grad, value=1)
        std = state_sum.sqrt().add_(group["eps"])
        p.addcdiv_(grad, std, value=-clr)
