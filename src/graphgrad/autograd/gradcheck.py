"""gradcheck / gradgradcheck: compare analytical gradients with central finite differences (float64)."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .engine import grad as autograd_grad
from .grad_mode import enable_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical Jacobians differ."""


def _tensors(x):
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    return tuple(o for o in outs if isinstance(o, Tensor))


def _numerical_jacobian(fn, inputs, i, eps):
    # fn runs in the caller's grad mode, as PyTorch runs it: a function that differentiates inside (a gradient
    # penalty) needs its graph
    x = inputs[i]
    outs = _outputs(fn, inputs)
    jac = [np.zeros((x._data.size, o._data.size)) for o in outs]
    arr = x._data  # perturbed in place, one element at a time (any memory layout)
    for k in range(arr.size):
        pos = np.unravel_index(k, arr.shape)
        orig = arr[pos].item()
        arr[pos] = orig + eps
        plus = [o._data.astype(np.float64).copy() for o in _outputs(fn, inputs)]
        arr[pos] = orig - eps
        minus = [o._data.astype(np.float64).copy() for o in _outputs(fn, inputs)]
        arr[pos] = orig
        for j in range(len(outs)):
            jac[j][k] = ((plus[j] - minus[j]) / (2 * eps)).reshape(-1)
    return jac


def _analytical_jacobian(fn, inputs, i):
    outs = _outputs(fn, inputs)
    x = inputs[i]
    jac = [np.zeros((x._data.size, o._data.size)) for o in outs]
    for j, o in enumerate(outs):
        if not o._requires_grad:
            continue
        for k in range(o._data.size):
            g = np.zeros(o._data.shape, o._data.dtype)  # C order: zeros_like keeps a transposed layout
            g.reshape(-1)[k] = 1
            (gi,) = autograd_grad(o, x, Tensor._make(g, False, None), retain_graph=True, allow_unused=True)
            if gi is not None:
                jac[j][:, k] = gi._data.reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """True when ``func``'s gradients match finite differences for every input that requires grad.

    >>> import graphgrad
    >>> x = graphgrad.rand(3, dtype=graphgrad.float64, requires_grad=True)
    >>> graphgrad.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    True
    """
    inputs = _tensors(inputs)
    if not any(getattr(x, "_requires_grad", False) for x in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    for i, x in enumerate(inputs):
        if getattr(x, "_requires_grad", False) and x._data.dtype != np.float64:
            import warnings

            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex. ", UserWarning, stacklevel=2)
    for i, x in enumerate(inputs):
        if not getattr(x, "_requires_grad", False):
            continue
        num = _numerical_jacobian(func, inputs, i, eps)
        ana = _analytical_jacobian(func, inputs, i)
        for j, (n, a) in enumerate(zip(num, ana)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                dt = x._data.dtype  # shown as PyTorch shows them: tensors of the input's dtype
                n_t, a_t = (Tensor._make(m.astype(dt), False, None) for m in (n, a))
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{n_t!r}\nanalytical:{a_t!r}\n"
                )
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **kwargs):
    """gradcheck of the first derivative: checks that ``create_graph=True`` gradients are right."""
    inputs = _tensors(inputs)
    diff = [x for x in inputs if getattr(x, "_requires_grad", False)]
    outs = _outputs(func, inputs)
    rng = np.random.default_rng(0)
    if grad_outputs is None:
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape), False, None).requires_grad_() for o in outs
        )
    else:
        grad_outputs = _tensors(grad_outputs)
    n_in = len(inputs)

    def first_derivative(*args):
        xs, gos = args[:n_in], args[n_in:]
        # grad mode on even when called under no_grad: the derivative needs its graph
        with enable_grad():
            os = _outputs(func, xs)
            pairs = [(o, g) for o, g in zip(os, gos) if o._requires_grad]
            d = [x for x in xs if getattr(x, "_requires_grad", False)]
            if not pairs:
                return tuple(Tensor._make(np.zeros_like(x._data), False, None) for x in d)
            grads = autograd_grad([o for o, _ in pairs], d, [g for _, g in pairs], create_graph=True,
                                  allow_unused=True)
        return tuple(g if g is not None else Tensor._make(np.zeros_like(x._data), False, None)
                     for g, x in zip(grads, d))

    del diff
    return gradcheck(first_derivative, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
