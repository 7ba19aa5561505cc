"""SGD with momentum, dampening, Nesterov, weight decay and maximize: PyTorch's single-tensor update."""

from __future__ import annotations

import numpy as np

from .._core.fp_errors import quietly
from .._tensor import Tensor
from . import _fused
from .optimizer import Optimizer, _closure_loss, _direct_arrays, _to_scalar, _use_grad_for_differentiable


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum).

    For each parameter, with ``g`` its gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        buf = g                                     (first step)
        buf = momentum * buf + (1 - dampening) * g  (later steps)
        g = g + momentum * buf  if nesterov  else  buf
        p = p - lr * g

    >>> import graphgrad
    >>> w = graphgrad.tensor([1.0], requires_grad=True)
    >>> opt = graphgrad.optim.SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * 2).sum().backward(); opt.step()
    >>> w
    tensor([-1.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
            "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    _group_defaults_on_load = {"nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
                               "fused": False}

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns the closure's loss when a closure is given."""
        loss = _closure_loss(closure)
        self._note_write_site()
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            momentum, dampening = group["momentum"], group["dampening"]
            nesterov = group["nesterov"]
            for p in self._params_with_grad(group):
                state = self.state[p] if momentum != 0 else None
                buf = state.get("momentum_buffer") if momentum != 0 else None
                arrays = _direct_arrays(group, p, p.grad, *(() if buf is None else (buf,)))
                if arrays is not None:
                    self._step_arrays(p, arrays[1], buf, state, group, lr)
                    continue
                grad = self._grad_for_step(p, group)
                if momentum != 0:
                    if buf is None:
                        buf = grad.detach().clone()
                        state["momentum_buffer"] = buf
                    else:
                        buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    grad = grad.add(buf, alpha=momentum) if nesterov else buf
                p.add_(grad, alpha=-lr)
        return loss

    @quietly  # (on arrays, outside the ops: NaN and inf silently)
    def _step_arrays(self, p, grad, buf, state, group, lr):
        """The update above on the arrays (``_direct_arrays``): the same operations, so the same numbers."""
        momentum, dampening, nesterov = group["momentum"], group["dampening"], group["nesterov"]
        grad = self._grad_array_for_step(p, grad, group)
        if momentum != 0:
            if buf is None:
                buf = Tensor._make(np.array(grad, copy=True), False, None)  # grad.detach().clone()
                state["momentum_buffer"] = buf
            elif _fused.sgd_momentum(p._data, grad, buf._data, momentum=momentum, alpha=1 - dampening, neg_lr=-lr,
                                     nesterov=nesterov):
                self._written(buf, "MulBackward0")
                self._written(buf, "AddBackward0")
                self._written(p, "AddBackward0")
                return
            else:
                np.multiply(buf._data, momentum, out=buf._data)
                self._written(buf, "MulBackward0")
                alpha = 1 - dampening
                np.add(buf._data, grad if alpha == 1 else alpha * grad, out=buf._data)
                self._written(buf, "AddBackward0")
            grad = np.add(grad, momentum * buf._data) if nesterov else buf._data
        np.add(p._data, -lr * grad, out=p._data)
        self._written(p, "AddBackward0")
