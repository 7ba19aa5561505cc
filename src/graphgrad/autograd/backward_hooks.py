"""The hooks the engine runs around a node: tensor hooks and retain_grad on its outputs' gradients and
``register_prehook`` before its derivative, ``register_hook`` after it, and a leaf's hooks before its
gradient is accumulated. Each hook may return a replacement (None keeps the gradient). Hooks are user code: they
run under the user's NumPy error state, not the backward pass's (``as_user``, _core/fp_errors.py)."""

from __future__ import annotations

from .._core.fp_errors import as_user
from .._core.sites import warn_once_at_user_line
from .errors import format_site


def _call_grad_hook(hook, g):
    """``hook(g)``, with a warning when the hook wrote into ``g`` in place: PyTorch lets it (the gradient is
    shared with other branches of the graph, which then see the change too) and says nothing."""
    version = g._version_box[0]
    r = as_user(hook, g)
    if g._version_box[0] != version:
        code = getattr(hook, "__code__", None)
        where = (code.co_filename, code.co_firstlineno) if code is not None else None
        name = getattr(hook, "__name__", type(hook).__name__)
        write = g._version_box[1]
        written = f" at {format_site(write)}" if write is not None else ""
        # a lambda written on the line that registers it needs no second mention of that line
        same_line = where is not None and write is not None and tuple(write[:2]) == where
        hook_at = f", defined at {format_site(where)}," if where is not None and not same_line else ""
        warn_once_at_user_line(
            ("hook modified its grad", where or id(hook)),
            f"graphgrad: the gradient hook {name}{hook_at} modified its grad argument in place{written}. A hook "
            "should not modify its argument: the same gradient tensor may be shared with other branches of the "
            "graph (an add's inputs, a tensor used twice), which then see the change too, as in PyTorch. Return "
            "a new tensor instead (return grad * 2, not grad.mul_(2)).")
    return r


def run_pre_hooks(node, grads):
    """The gradients of ``node``'s outputs after their tensor hooks, retain_grad and the node's pre-hooks."""
    grads = list(grads)
    if node._tensor_hooks is not None:
        for nr, hooks in node._tensor_hooks.items():
            for hook in list(hooks.values()):
                if grads[nr] is None:
                    continue
                r = _call_grad_hook(hook, grads[nr])
                if r is not None:
                    grads[nr] = r
    if node._retain is not None:
        # retain_grad runs after the other tensor hooks, and sees what they returned (PyTorch 2).
        for nr, ref in node._retain.items():
            t = ref()
            g = grads[nr]
            if t is not None and g is not None and t._grad_fn is node:
                t._grad = g.detach().clone() if t._grad is None else t._grad + g
    if node._pre_hooks is not None:
        for hook in list(node._pre_hooks.values()):
            r = as_user(hook, tuple(grads))
            if r is not None:
                grads = list(r)
    return grads


def run_post_hooks(node, grads_in, grads):
    """``node.register_hook`` hooks: ``hook(grad_inputs, grad_outputs)`` with one grad_input per edge (constant
    operands' included: ``x * 2`` has two), as PyTorch passes them."""
    n_edges = len(node.next_functions)
    grads_in = list(grads_in or ()) + [None] * (n_edges - len(grads_in or ()))
    for hook in list(node._post_hooks.values()):
        r = as_user(hook, tuple(grads_in), tuple(grads))
        if r is not None:
            grads_in = list(r)
    return grads_in


def run_leaf_hooks(t, g):
    """The gradient for leaf ``t`` after its ``register_hook`` hooks."""
    extra = t._extra
    if g is not None and extra is not None and extra.hooks:
        for hook in list(extra.hooks.values()):
            r = _call_grad_hook(hook, g)
            if r is not None:
                g = r
    return g


def run_post_accumulate_hooks(t):
    extra = t._extra
    if extra is not None and extra.post_acc_hooks:
        for hook in list(extra.post_acc_hooks.values()):
            as_user(hook, t)
