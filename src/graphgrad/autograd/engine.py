"""The backward pass: dependency counting over the reachable nodes, iteratively.

1. Walk the graph from the roots once and count, for every node, how many edges lead into it.
2. Start from the roots; a node runs when every gradient flowing into it has arrived (its count is
   zero), so a shared subgraph runs once, with the summed gradient. Among ready nodes the most
   recently created runs first, as in PyTorch.
3. Running a node: tensor hooks and retain_grad on its outputs, its derivative (under no-grad unless
   ``create_graph``), then release of its saved tensors unless ``retain_graph``. An AccumulateGrad
   node sums into its leaf's ``.grad``.
``autograd.grad`` is the same walk restricted to the nodes that lead to the requested inputs, with the
gradients captured instead of accumulated.
"""

from __future__ import annotations

import heapq
import sys

import numpy as np

from .._core.modes import modes
from .._size import Size
from .._tensor import Tensor
from . import anomaly, explain
from .anomaly import run_node
from .graph import AccumulateGrad, _Sites, edge_of
from .ledger import backward_call


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _initial_grads(outputs, grad_outputs, create_graph):
    grads = []
    for i, t in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if g is None:
            if t._rg:
                if t._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs" + explain.non_scalar(t))
                if t._data.dtype.kind != "f":
                    raise RuntimeError("grad can be implicitly created only for real scalar outputs")
            g = Tensor._make(np.ones_like(t._data), False, None)
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(np.asarray(g, dtype=t._data.dtype), False, None)
            if g._data.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)!r} and "
                    f"output[{i}] has a shape of {Size(t._data.shape)!r}."
                )
        grads.append(g)
    return grads


def _check_roots(outputs):
    for i, t in enumerate(outputs):
        if not t._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
                + explain.no_grad_chain(t)
            )


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Accumulate into the leaves' ``.grad`` the gradient of ``tensors``, like ``torch.autograd.backward``.

    >>> import graphgrad
    >>> x = graphgrad.tensor([3.0], requires_grad=True)
    >>> graphgrad.autograd.backward((x ** 2).sum()); x.grad
    tensor([6.])
    """
    if inputs is not None and len(_as_tuple(inputs)) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    for g in grad_tensors or ():
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        _warn_create_graph_once()
    _check_roots(outputs)
    grads = _initial_grads(outputs, grad_tensors, create_graph)
    roots = [(edge_of(t), g) for t, g in zip(outputs, grads)]
    targets = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        for t in inputs:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
        targets = [(edge_of(t), t) for t in inputs]
    run(roots, retain_graph, create_graph, targets=targets, accumulate=True,
        site=backward_call(roots, retain_graph))


_CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid "
    "this. If you have to use this function, make sure to reset the .grad fields of your parameters to None "
    "after use to break the cycle and avoid the leak."
)
_warned = {"create_graph": False}


def _warn_create_graph_once():
    # PyTorch warns once per process (TORCH_WARN_ONCE)
    if not _warned["create_graph"]:
        _warned["create_graph"] = True
        import warnings

        warnings.warn(_CREATE_GRAPH_WARNING, UserWarning, stacklevel=4)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    >>> import graphgrad
    >>> x = graphgrad.tensor([3.0], requires_grad=True)
    >>> graphgrad.autograd.grad((x ** 2).sum(), x)
    (tensor([6.]),)
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    _check_roots(outputs)
    for t in inputs:
        if not t.requires_grad:  # (a view made under no_grad requires grad when its base does)
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outputs, grad_outputs, create_graph)
    roots = [(edge_of(t), g) for t, g in zip(outputs, grads)]
    targets = [(edge_of(t), t) for t in inputs]
    captured = run(roots, retain_graph, create_graph, targets=targets, accumulate=False,
                   site=backward_call(roots, retain_graph, "grad"))
    result = []
    for i, t in enumerate(inputs):
        g = captured.get(i)
        if g is None:
            if materialize_grads:
                g = Tensor._make(np.zeros_like(t._data), False, None)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior." + explain.unused_input(t, outputs, i)
                )
        if g is not None and not create_graph and _Sites.enabled and not g._rg:
            g._ensure_extra().cut = ("grad", explain.here())  # a loss made of it has no history: say why
        result.append(g)
    return tuple(result)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _discover(root_nodes, want_order=False):
    """Count, for each node reachable from the roots, the edges that lead into it."""
    deps = {}
    seen = set(root_nodes)
    stack = list(seen)
    order = [] if want_order else None
    while stack:
        n = stack.pop()
        if want_order:
            order.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None:
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
    return deps, order


def _restrict(deps, order, target_nodes):
    """Keep only the nodes with a path to a target; recount the edges between them."""
    indeg = dict(deps)
    topo = []
    ready = [n for n in order if indeg.get(n, 0) == 0]
    while ready:
        n = ready.pop()
        topo.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None:
                indeg[nxt] -= 1
                if indeg[nxt] == 0:
                    ready.append(nxt)
    needed = set()
    for n in reversed(topo):
        if n in target_nodes or any(nxt in needed for nxt, _ in n.next_functions if nxt is not None):
            needed.add(n)
    new_deps = {}
    for n in needed:
        for nxt, _ in n.next_functions:
            if nxt in needed:
                new_deps[nxt] = new_deps.get(nxt, 0) + 1
    return new_deps, needed


def run(roots, retain_graph, create_graph, targets=None, accumulate=True, site=None):
    """Execute the backward pass from ``roots`` = [((node, output_nr), grad), ...].

    ``targets`` = [((node, output_nr), tensor), ...] restricts the pass to what reaches them; with
    ``accumulate=False`` their gradients are returned by index instead of summed into ``.grad``.
    """
    root_nodes = [n for (n, _), _ in roots if n is not None]
    deps, order = _discover(root_nodes, want_order=targets is not None)
    needed = None
    capture = {}
    if targets is not None:
        for i, ((n, nr), _) in enumerate(targets):
            if n is not None:
                capture.setdefault(n, []).append((nr, i))
        deps, needed = _restrict(deps, order, capture)

    buffers = {}
    for (n, nr), g in roots:
        if n is None or (needed is not None and n not in needed):
            continue
        buf = buffers.get(n)
        if buf is None:
            buf = buffers[n] = [None] * _n_outputs(n)
        buf[nr] = _add(buf[nr], g)
    ready = [(-n._seq, n) for n in buffers if deps.get(n, 0) == 0]
    heapq.heapify(ready)
    captured = {}
    prev_mode, prev_in_backward = modes.recording, modes.in_backward
    modes.recording = create_graph
    modes.in_backward = True  # ops run by derivatives record no 'where the chain was cut' sites
    heappop, heappush = heapq.heappop, heapq.heappush
    anomaly_on = anomaly._Anomaly.enabled
    try:
        while ready:
            node = heappop(ready)[1]
            grads = buffers.pop(node, None) or [None] * _n_outputs(node)
            if node._tensor_hooks is not None or node._retain is not None or node._pre_hooks is not None:
                grads = _run_pre_hooks(node, grads)
            is_leaf_node = type(node) is AccumulateGrad
            if capture and node in capture:
                for nr, i in capture[node]:
                    g = grads[nr]
                    if is_leaf_node:
                        g = _leaf_hooks(node.variable, g)
                    if accumulate:
                        _accumulate(targets[i][1], g, create_graph, hooks_done=True)
                    else:
                        captured[i] = _add(captured.get(i), g)
                if is_leaf_node or not any(nxt in needed for nxt, _ in node.next_functions if nxt is not None):
                    continue
            if is_leaf_node:
                if accumulate and needed is None:
                    _accumulate(node.variable, grads[0], create_graph)
                continue
            if len(grads) == 1:
                gin = None if grads[0] is None else (run_node(node, grads) if anomaly_on else node.apply(grads))
            elif any(g is not None for g in grads):
                grads = _fill_missing(node, grads)
                gin = run_node(node, grads) if anomaly_on else node.apply(grads)
            else:
                gin = None
            if not retain_graph:
                node.release(site)
            if node._post_hooks is not None:
                # one entry per edge, constant operands' included (x * 2 has two), as PyTorch passes them
                n_edges = len(node.next_functions)
                gin = list(gin or ()) + [None] * (n_edges - len(gin or ()))
                for hook in list(node._post_hooks.values()):
                    r = hook(tuple(gin), tuple(grads))
                    if r is not None:
                        gin = list(r)
            if gin is None:
                gin = [None] * len(node.next_functions)
            for (nxt, nr), g in zip(node.next_functions, gin):
                if nxt is None or (needed is not None and nxt not in needed):
                    continue
                if g is not None:
                    buf = buffers.get(nxt)
                    if buf is None:
                        if nr == 0 and (type(nxt) is AccumulateGrad or nxt.op.n_outputs == 1):
                            buffers[nxt] = [g]
                        else:
                            buf = buffers[nxt] = [None] * _n_outputs(nxt)
                            buf[nr] = g
                    else:
                        buf[nr] = g if buf[nr] is None else buf[nr] + g
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    heappush(ready, (-nxt._seq, nxt))
            gin = g = None  # hold no gradient past its node: a leaf's .grad can then take it over (_unshared)
    finally:
        modes.recording = prev_mode
        modes.in_backward = prev_in_backward
    return captured


def _n_outputs(node):
    if isinstance(node, AccumulateGrad) or node.op.n_outputs == 1:
        return 1
    return len(node._out_meta)


def _fill_missing(node, grads):
    """Zeros for the outputs of a multi-output node that received no gradient."""
    return [
        Tensor._make(np.zeros(shape, dt), False, None) if g is None else g
        for g, (shape, dt) in zip(grads, node._out_meta)
    ]


def _run_pre_hooks(node, grads):
    grads = list(grads)
    if node._tensor_hooks is not None:
        for nr, hooks in node._tensor_hooks.items():
            for hook in list(hooks.values()):
                if grads[nr] is None:
                    continue
                r = hook(grads[nr])
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
            r = hook(tuple(grads))
            if r is not None:
                grads = list(r)
    return grads


def _leaf_hooks(t, g):
    extra = t._extra
    if g is not None and extra is not None and extra.hooks:
        for hook in list(extra.hooks.values()):
            r = hook(g)
            if r is not None:
                g = r
    return g


def _accumulate(t, g, create_graph, hooks_done=False):
    """Sum ``g`` into ``t.grad`` (in place when no graph of the gradient is being built)."""
    if not hooks_done:
        g = _leaf_hooks(t, g)
    if g is None:
        return
    if t._grad is None:
        if create_graph and g._rg:
            # PyTorch copies it into a new tensor of the leaf's layout: x.grad's node is CopyBackwards
            from ..ops._op import apply_inplace
            from ..ops.elementwise import COPY

            t._grad = apply_inplace(COPY, Tensor._make(np.empty(t._data.shape, t._data.dtype), False, None), g)
        elif _unshared(g, t._data):
            t._grad = Tensor._make(g._data, False, None)
        else:
            t._grad = Tensor._make(np.array(g._data, dtype=t._data.dtype, copy=True), False, None)
    elif create_graph:
        t._grad = t._grad + g
    else:
        # grad mode off: summed in place, as PyTorch does, so a .grad built with create_graph keeps its node
        np.add(t._grad._data, g._data, out=t._grad._data, casting="unsafe")
        if t._grad._grad_fn is not None:
            t._grad._bump_version()
    extra = t._extra
    if extra is not None and extra.post_acc_hooks:
        for hook in list(extra.post_acc_hooks.values()):
            hook(t)


# The counts below hold for CPython up to 3.13; 3.14 borrows references for locals, so getrefcount reports
# fewer and could take a shared gradient for an unshared one: there, always copy.
_REFCOUNTS_ARE_EXACT = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _unshared(g, like):
    """Whether gradient ``g`` can become a leaf's first ``.grad`` without a copy, as PyTorch steals it: nothing
    else refers to the tensor or its memory, and it has the leaf's dtype and memory layout.

    Expected references: on ``g``, the engine's gradient list, ``_accumulate``'s argument, this function's
    and getrefcount's own; on an array, its tensor's ``_data`` (or a view's ``base``) and the locals here.
    Any other holder (a hook that kept it, the same gradient sent to two leaves) counts one more, and the
    gradient is copied instead.
    """
    if not _REFCOUNTS_ARE_EXACT:
        return False
    arr = g._data
    if (sys.getrefcount(g) > 4 or arr.dtype != like.dtype or arr.strides != like.strides or not arr.flags.writeable
            or not (arr.flags.c_contiguous or arr.flags.f_contiguous)):
        return False
    owner = arr.base
    if owner is None:
        return g._view is None and sys.getrefcount(arr) == 3
    if type(owner) is not np.ndarray or owner.nbytes != arr.nbytes or sys.getrefcount(arr) > 3:
        return False
    # A view (a weight's gradient is the .t() of a product): each tensor it was viewed from must be held only
    # by the view made of it, its array by it alone, and all of them must view the same memory.
    refs, t = 1, g  # arr.base
    while t._view is not None:
        t = t._view[0]
        if sys.getrefcount(t) > 3 or (t._data is not owner
                                      and (t._data.base is not owner or sys.getrefcount(t._data) > 2)):
            return False
        refs += 1  # t._data is owner, or a view of it (its base)
    return sys.getrefcount(owner) == refs + 2
