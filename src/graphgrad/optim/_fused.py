"""Optional fused update loops for the optimizers' direct array updates, compiled by numba when it is installed.

Without them, an update is a NumPy pass per operation: SGD with momentum reads and writes a parameter's
memory 4 times, Adam about 10 times, and each pass costs a call. A loop reads each element once and writes it
once. Every step of the loop is the same float operation as NumPy's, in the same order, on operands of the same
dtype (the hyperparameters are cast to the parameter's dtype, as NumPy casts a Python number): numba compiles
with no fast-math, so it contracts nothing into a fused multiply-add and each result is rounded as NumPy
rounds it. The numbers are the NumPy form's to the bit (tests/test_optim_direct.py compares them), also where a
parameter past ``jit.MIN_SPLIT_STREAMING`` elements is split into element ranges over the threads.

Without numba (or with ``LOOPS.enabled`` False, or arrays the loops don't take: other dtypes, mixed memory layouts)
each function returns False and the caller runs its NumPy form.

>>> import numpy as np
>>> p, g, buf = np.ones(3, np.float32), np.ones(3, np.float32), np.zeros(3, np.float32)
>>> if not sgd_momentum(p, g, buf, momentum=0.9, alpha=1.0, neg_lr=-0.5, nesterov=False):
...     buf[:] = buf * np.float32(0.9) + g  # the caller's NumPy form
...     p += np.float32(-0.5) * buf
>>> p.tolist(), buf.tolist()
([0.5, 0.5, 0.5], [1.0, 1.0, 1.0])
"""

from __future__ import annotations

import numpy as np

from .._core import jit


def _sgd_momentum_loop(start, stop, param, grad, buf, momentum, alpha, neg_lr, nesterov):
    for j in range(start, stop):
        i = np.uintp(j)  # unsigned: no negative-index wraparound test, so the loop vectorises
        b = buf[i] * momentum + alpha * grad[i]  # buf.mul_(momentum).add_(grad, alpha=1 - dampening)
        buf[i] = b
        d = grad[i] + momentum * b if nesterov else b
        param[i] = param[i] + neg_lr * d  # param.add_(d, alpha=-lr)


def _adam_loop(start, stop, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, weight, near_start, weight_rest, beta2,
               value2, bias_correction2_sqrt, eps, neg_step_size, amsgrad):
    for j in range(start, stop):
        i = np.uintp(j)  # unsigned: no negative-index wraparound test
        g = grad[i]
        diff = g - exp_avg[i]  # exp_avg.lerp_(grad, weight), from the nearer end as PyTorch
        m = exp_avg[i] + weight * diff if near_start else g - diff * weight_rest
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + value2 * g * g  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=value2)
        exp_avg_sq[i] = v
        if amsgrad:  # torch.maximum: NaN wins
            top = max_exp_avg_sq[i]
            if top == top and (v != v or v > top):
                top = v
            max_exp_avg_sq[i] = top
            v = top
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = param[i] + neg_step_size * m / denom  # param.addcdiv_(exp_avg, denom, value=-step_size)


LOOPS = jit.CompiledLoops(sgd=_sgd_momentum_loop, adam=_adam_loop)  # .enabled False: the NumPy forms


def _run(name, arrays, *scalars):
    """Run loop ``name`` on 1-D views of ``arrays`` (split into element ranges over the threads); False where it
    can't (then nothing was written)."""
    flat = _flat(arrays)
    return flat is not None and LOOPS.split(name, flat[0].size, *flat, *scalars, streaming=True)


def _flat(arrays):
    """1-D views of ``arrays`` in one element order (all row-major or all column-major), or None."""
    if arrays[0].dtype not in jit.FLOATS or not (all(a.flags.c_contiguous for a in arrays)
                                              or all(a.flags.f_contiguous for a in arrays)):
        return None
    return [a.ravel(order="K") for a in arrays]


def sgd_momentum(param, grad, buf, *, momentum, alpha, neg_lr, nesterov):
    """SGD's momentum update in one loop: ``buf = buf * momentum + alpha * grad``, then
    ``param += neg_lr * (grad + momentum * buf if nesterov else buf)``. True when done, False when the caller
    must run its NumPy form."""
    s = param.dtype.type
    return _run("sgd", [param, grad, buf], s(momentum), s(alpha), s(neg_lr), bool(nesterov))


def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, beta1, beta2, bias_correction2_sqrt, eps,
         neg_step_size):
    """Adam's update after weight decay in one loop (``max_exp_avg_sq``: None unless amsgrad); True when done,
    False when the caller must run its NumPy form."""
    amsgrad = max_exp_avg_sq is not None
    arrays = [param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else exp_avg_sq]  # (the last not read)
    s = param.dtype.type
    weight = 1 - beta1
    return _run("adam", arrays, s(weight), bool(abs(weight) < 0.5), s(1 - weight), s(beta2), s(1 - beta2),
                s(bias_correction2_sqrt), s(eps), s(neg_step_size), amsgrad)
