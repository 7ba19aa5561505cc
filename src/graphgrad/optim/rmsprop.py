"""RMSprop (alpha, eps, weight_decay, momentum, centered, maximize): PyTorch's single-tensor update."""

from __future__ import annotations

from .. import _factories
from .optimizer import _check_hyperparameters, _PerParameterOptimizer, _step_tensor, _to_scalar


class RMSprop(_PerParameterOptimizer):
    """Divide the gradient by a running root mean square of recent gradients (Hinton's lecture 6e).

    For each parameter, with ``g`` its gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - g_avg**2)  with  g_avg = lerp(g_avg, g, 1 - alpha)  if centered,  else sqrt(v)
        buf = momentum * buf + g / (avg + eps);  p = p - lr * buf      (momentum > 0)
        p = p - lr * g / (avg + eps)                                   (otherwise)

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.RMSprop([w], lr=0.01, alpha=0.75)
    >>> (w * 2).sum().backward(); opt.step()
    >>> w
    tensor([0.9800], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_hyperparameters(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    _group_defaults_on_load = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                               "differentiable": False, "capturable": False}
    _scalar_state_keys = ("step",)

    def _init_state(self, p, group):
        state = {"step": _step_tensor(), "square_avg": _factories.zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = _factories.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = _factories.zeros_like(p)
        return state

    def _update(self, p, grad, state, group):
        alpha, square_avg = group["alpha"], state["square_avg"]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add_(group["eps"])
        lr = _to_scalar(group["lr"])
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).addcdiv_(grad, avg)
            p.add_(buf, alpha=-lr)
        else:
            p.addcdiv_(grad, avg, value=-lr)
