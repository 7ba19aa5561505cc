"""Adagrad (lr_decay, weight_decay, initial_accumulator_value, eps, maximize): PyTorch's dense update."""

from __future__ import annotations

from .. import _factories
from .optimizer import (
    Optimizer,
    _check_hyperparameters,
    _closure_loss,
    _step_tensor,
    _to_scalar,
    _use_grad_for_differentiable,
)


class Adagrad(Optimizer):
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
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                state["sum"] = _factories.full_like(p, initial_accumulator_value)

    _group_defaults_on_load = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}
    _scalar_state_keys = ("step",)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss when a closure is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay = _to_scalar(group["lr"]), group["lr_decay"]
            eps = group["eps"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                state["step"].add_(1)
                step = state["step"].item()
                grad = self._grad_for_step(p, group)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]
                state_sum.addcmul_(grad, grad, value=1)
                std = state_sum.sqrt().add_(eps)
                p.addcdiv_(grad, std, value=-clr)
        return loss
