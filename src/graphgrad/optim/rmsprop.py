"""RMSprop (alpha, eps, weight_decay, momentum, centered, maximize): PyTorch's single-tensor update."""

from __future__ import annotations

from .. import _factories
from .optimizer import Optimizer, _closure_loss, _step_tensor, _to_scalar, _use_grad_for_differentiable


class RMSprop(Optimizer):
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
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    _group_defaults_on_load = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                               "differentiable": False, "capturable": False}
    _scalar_state_keys = ("step",)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss when a closure is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps = _to_scalar(group["lr"]), group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _factories.zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _factories.zeros_like(p)
                    if centered:
                        state["grad_avg"] = _factories.zeros_like(p)
                square_avg = state["square_avg"]
                state["step"].add_(1)
                grad = self._grad_for_step(p, group)
                square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                if centered:
                    grad_avg = state["grad_avg"]
                    grad_avg.lerp_(grad, 1 - alpha)
                    avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
                else:
                    avg = square_avg.sqrt()
                avg = avg.add_(eps)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(momentum).addcdiv_(grad, avg)
                    p.add_(buf, alpha=-lr)
                else:
                    p.addcdiv_(grad, avg, value=-lr)
        return loss
