"""Higher-level differentiation: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``vhp``, ``hvp``.

Everything is built on reverse mode (``autograd.grad``). Forward-mode products (``jvp``, ``hvp``) use the
double-backward trick, as PyTorch does: for ``g = J^T u`` with a dummy ``u``, ``d(g · v)/du = J v``.
Inputs are differentiated through fresh views (or detached copies), so the caller's tensors get no
``.grad``; results are detached unless ``create_graph=True``. Errors and their texts are PyTorch's.

>>> import graphgrad
>>> from graphgrad.autograd.functional import jacobian
>>> jacobian(lambda x: x ** 2, graphgrad.tensor([1.0, 3.0]))
tensor([[2., 0.],
        [0., 6.]])
"""

from __future__ import annotations

from .. import _factories
from .._tensor import Tensor
from ..ops.shape import stack
from .engine import grad as _engine_grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_OUTPUTS = "outputs of the user-provided function"


def _as_tuple(value, arg_name, fn_name):
    """(was it a tuple, the tensors as a tuple); anything but tensors is a TypeError naming the argument."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, item in enumerate(values):
        if not isinstance(item, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"{where} has type {type(item)}.")
    return is_tuple, values


def _prepare(tensors, create_graph, need_graph):
    """Tensors to differentiate through: a view (keeping the caller's graph) when building a graph of
    the result, else a detached alias that requires grad only if ``need_graph``."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in tensors)


def _finish(tensors, create_graph):
    """Detach results (nested tuples too) unless the caller wants their graph."""
    if isinstance(tensors[0], Tensor):
        return tensors if create_graph else tuple(t.detach() for t in tensors)
    return tuple(_finish(inner, create_graph) for inner in tensors)


def _unpack(result, was_tuple):
    """Undo ``_as_tuple``: a single tensor in, a single tensor out. ``was_tuple`` may be a pair
    (outer, inner) for the nested results of jacobian and hessian."""
    outer, inner = was_tuple if isinstance(was_tuple, tuple) else (was_tuple, True)
    if not inner:
        result = tuple(row[0] for row in result)
    return result if outer else result[0]


def _check_v(v, like, like_is_tuple):
    if len(v) != len(like):
        if like_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (v_i, like_i) in enumerate(zip(v, like)):
        if v_i.size() != like_i.size():
            prefix = f"Entry {i} in " if like_is_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {like_i.size()} but got {v_i.size()}.")


def _v_or_default(v, inputs, is_inputs_tuple, fn_name, create_graph, about):
    """``v`` as a tuple checked against ``inputs``; it may be omitted only for a single one-element tensor."""
    if v is None:
        if len(inputs) != 1 or inputs[0].nelement() != 1:
            raise RuntimeError(f"The vector v can only be None if {about} is a single Tensor with a single element.")
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _prepare(v, create_graph, need_graph=False)
    _check_v(v, inputs, is_inputs_tuple)
    return v


_STRICT_NO_GRAD = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be computed "
               "in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect to "
                "input {i} is independent of the input. This is not allowed in strict mode. You should ensure that "
                "your function is twice differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
               "This is not allowed in strict mode. You should ensure that your function is thrice differentiable "
               "and that the hessian depends on the inputs.",
}


def _check_requires_grad(tensors, kind, strict):
    """In strict mode every tensor must exist and require grad (else the result would be silently zero)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_NO_GRAD[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad; None for inputs that are not reached."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    used = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not used:
        return (None,) * len(inputs)
    outs, grads = zip(*used)
    return _engine_grad(outs, inputs, grads, allow_unused=True, create_graph=create_graph,
                        retain_graph=retain_graph)


_STRICT_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _zeros_for_missing(grads, refs, strict, create_graph, stage):
    """Zeros where an input was not reached; strict mode refuses that (and, with create_graph, a result
    that does not depend on the inputs)."""
    result = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_INDEPENDENT[stage].format(i=i))
            g = _factories.zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        result.append(g)
    return tuple(result)


def _call(func, inputs, fn_name, strict):
    is_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    return is_tuple, outputs


def _single_scalar_output(outputs, is_tuple, fn_name):
    if is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    >>> import graphgrad
    >>> from graphgrad.autograd.functional import vjp
    >>> vjp(lambda x: x ** 2, graphgrad.tensor([1.0, 3.0]), graphgrad.tensor([1.0, 0.5]))
    (tensor([1., 9.]), tensor([2., 3.]))
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _call(func, inputs, "vjp", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _prepare(v, create_graph, need_graph=False)
            _check_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                               "with a single element.")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(outputs, inputs, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(result, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    >>> import graphgrad
    >>> from graphgrad.autograd.functional import jvp
    >>> jvp(lambda x: x ** 2, graphgrad.tensor([1.0, 3.0]), graphgrad.tensor([1.0, 0.5]))
    (tensor([1., 9.]), tensor([2., 3.]))
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _v_or_default(v, inputs, is_inputs_tuple, "jvp", create_graph,
                          "the input to the user-provided function")
        is_outputs_tuple, outputs = _call(func, inputs, "jvp", strict)
        dummies = tuple(_factories.zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _grad(outputs, inputs, dummies, create_graph=True)  # J^T u, a function of u
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(grad_inputs, dummies, v, create_graph=create_graph)  # d(J^T u · v)/du = J v
        result = _zeros_for_missing(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(result, create_graph), is_outputs_tuple))


def _jacobian_rows(out, inputs, create_graph, strict, out_index):
    """d out / d inputs, one backward per element of ``out``: for each input, a tensor of shape
    ``out.shape + input.shape``."""
    rows = tuple([] for _ in inputs)
    flat = out.reshape(-1)
    for j in range(out.nelement()):
        grads = _grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
        for k, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {out_index} of the user-provided function is independent of input {k}. "
                                       "This is not allowed in strict mode.")
                g = _factories.zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(f"The jacobian of the user-provided function is independent of input {out_index}. "
                                   "This is not allowed in strict mode when create_graph=True.")
            rows[k].append(g)
    return tuple(_assemble(r, 0, out.size() + inp.size(), inp) for r, inp in zip(rows, inputs))


def _assemble(parts, dim, shape, like):
    """Per-element derivatives stacked along ``dim`` and viewed as ``shape`` (zeros when an output or
    input has no elements)."""
    if not parts:
        return _factories.zeros(shape, dtype=like.dtype)
    return stack(parts, dim).view(shape)


def _jacobian_columns(func, inputs, outputs):
    """Forward mode: one Jacobian-vector product per input element (each column of J)."""
    columns = [[[] for _ in inputs] for _ in outputs]
    for k, inp in enumerate(inputs):
        for j in range(inp.nelement()):
            basis = tuple(_factories.zeros_like(x) for x in inputs)
            basis[k].view(-1)[j] = 1
            _, products = jvp(func, inputs, basis if len(inputs) > 1 else basis[0])
            products = products if isinstance(products, tuple) else (products,)
            for i, product in enumerate(products):
                columns[i][k].append(product)
    # lists, not tuples, as PyTorch's forward-mode jacobian returns them
    return [[_assemble(cols, -1, out.size() + inp.size(), inp) for cols, inp in zip(columns[i], inputs)]
            for i, out in enumerate(outputs)]


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a tensor of shape
    ``outputs[i].shape + inputs[j].shape`` (nested tuples when either side is a tuple).

    ``strategy="forward-mode"`` (which PyTorch allows only with ``vectorize=True``) builds it column by
    column from Jacobian-vector products (better when there are more outputs than inputs).
    ``vectorize=True`` gives the same values; the rows or columns are still computed one at a time here,
    where PyTorch batches them.

    >>> import graphgrad
    >>> from graphgrad.autograd.functional import jacobian
    >>> jacobian(lambda x, y: x * y, (graphgrad.tensor([1.0, 2.0]), graphgrad.tensor([3.0, 4.0])))
    (tensor([[3., 0.],
            [0., 4.]]), tensor([[1., 0.],
            [0., 2.]]))
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` and "
                                      '`strategy="forward-mode"` are not supported together (yet). Please either set '
                                      '`create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                               'not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        if not vectorize:  # PyTorch's text, missing space included
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")
    if vectorize and strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                           "supported together. Please either set `strict=False` or `vectorize=False`.")
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if strategy == "forward-mode":
            result = _jacobian_columns(func, inputs, outputs)  # already detached (jvp's results)
        else:
            result = tuple(_jacobian_rows(out, inputs, create_graph, strict, i) for i, out in enumerate(outputs))
            result = _finish(result, create_graph)
        return _unpack(result, (is_outputs_tuple, is_inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: for inputs i and j a tensor of shape
    ``inputs[i].shape + inputs[j].shape`` (the Jacobian of the gradient).

    >>> import graphgrad
    >>> from graphgrad.autograd.functional import hessian
    >>> hessian(lambda x: (x ** 3).sum(), graphgrad.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_output(*args):
        out = func(*args)
        is_tuple, outs = _as_tuple(out, _OUTPUTS, "hessian")
        _check_requires_grad(outs, "outputs", strict)
        _single_scalar_output(outs, is_tuple, "hessian")
        return out.squeeze()

    def gradient(*args):
        grads = jacobian(scalar_output, args, create_graph=True)
        _check_requires_grad(grads, "jacobian", strict)
        return grads

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return _unpack(result, (is_inputs_tuple, is_inputs_tuple))


def _gradient_of_scalar(func, inputs, fn_name, strict):
    """(outputs, was tuple, gradient with its graph) for vhp/hvp, whose function must return one element."""
    is_outputs_tuple, outputs = _call(func, inputs, fn_name, strict)
    _single_scalar_output(outputs, is_outputs_tuple, fn_name)
    gradient = _grad(outputs, inputs, create_graph=True)
    _check_requires_grad(gradient, "jacobian", strict)
    return outputs, is_outputs_tuple, gradient


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar function: the gradient of ``grad · v``.

    >>> import graphgrad
    >>> from graphgrad.autograd.functional import vhp
    >>> vhp(lambda x: (x ** 3).sum(), graphgrad.tensor([1.0, 2.0]), graphgrad.tensor([1.0, 1.0]))
    (tensor(9.), tensor([ 6., 12.]))
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _v_or_default(v, inputs, is_inputs_tuple, "vhp", create_graph, "the input to the user-provided function")
        outputs, is_outputs_tuple, gradient = _gradient_of_scalar(func, inputs, "vhp", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(gradient, inputs, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(result, create_graph), is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar function, by the double-backward trick (equal to ``vhp`` for
    twice continuously differentiable functions, whose Hessian is symmetric).

    >>> import graphgrad
    >>> from graphgrad.autograd.functional import hvp
    >>> hvp(lambda x: (x ** 3).sum(), graphgrad.tensor([1.0, 2.0]), graphgrad.tensor([1.0, 1.0]))
    (tensor(9.), tensor([ 6., 12.]))
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _v_or_default(v, inputs, is_inputs_tuple, "hvp", create_graph, "the input to the user-provided function")
        outputs, is_outputs_tuple, gradient = _gradient_of_scalar(func, inputs, "hvp", strict)
        dummies = tuple(_factories.zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _grad(gradient, inputs, dummies, create_graph=True)  # H^T u, a function of u
        _check_requires_grad(gradient, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(double_back, dummies, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back_trick")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(result, create_graph), is_inputs_tuple))
