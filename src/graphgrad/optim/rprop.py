"""Rprop (resilient backpropagation): PyTorch's single-tensor update."""

from __future__ import annotations

from .. import _factories
from .optimizer import _check_hyperparameters, _PerParameterOptimizer, _step_tensor, _to_scalar


class Rprop(_PerParameterOptimizer):
    """Resilient backpropagation (Riedmiller & Braun): per-coordinate step sizes that grow while the
    gradient keeps its sign and shrink when it flips; only the gradient's sign moves the parameter.

    For each parameter, with ``g`` its gradient (negated when ``maximize``) and ``g_prev`` the last one::

        s = sign(g * g_prev) mapped  +1 -> etaplus, -1 -> etaminus, 0 -> 1
        step_size = clamp(step_size * s, *step_sizes)
        g = 0 where the sign flipped;  p = p - sign(g) * step_size;  g_prev = g

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.Rprop([w], lr=0.1)
    >>> (w * 3).sum().backward(); opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    _group_defaults_on_load = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _scalar_state_keys = ("step",)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        _check_hyperparameters(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "prev": _factories.zeros_like(p),
                "step_size": _factories.full_like(p.grad, _to_scalar(group["lr"]))}

    def _update(self, p, grad, state, group):
        etaminus, etaplus = group["etas"]
        prev, step_size = state["prev"], state["step_size"]
        agreement = grad.mul(prev).sign()
        flipped = agreement < 0
        factor = _factories.ones_like(grad).masked_fill_(agreement > 0, etaplus).masked_fill_(flipped, etaminus)
        step_size.mul_(factor).clamp_(*group["step_sizes"])
        grad = grad.masked_fill(flipped, 0)  # after a sign flip: no move, and forget g
        p.addcmul_(grad.sign(), step_size, value=-1)
        prev.copy_(grad)
