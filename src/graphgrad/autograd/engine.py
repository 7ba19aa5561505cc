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
from itertools import repeat

import numpy as np

from .._core.fp_errors import quiet_backward, restore_backward
from .._core.modes import AnomalyMode, modes, set_recording
from .._dtype import is_float_np
from .._size import Size
from .._tensor import Tensor
from . import errors, explain
from .anomaly import run_node
from .backward_hooks import run_post_hooks, run_pre_hooks
from .graph import AccumulateGrad, _Sites, edge_of
from .ledger import backward_call
from .sinks import AtInputs, IntoLeaves


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
            if t._requires_grad:
                if t._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs" + explain.non_scalar(t))
                if not is_float_np(t._data.dtype):
                    raise RuntimeError("grad can be implicitly created only for real scalar outputs")
            one = np.empty(t._data.shape, t._data.dtype)  # (np.ones_like's two Python frames, spelt out)
            one.fill(1)
            g = Tensor._make(one, False, None)
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
        if not t._requires_grad:
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
    if inputs is None:
        sink = IntoLeaves(create_graph)
    else:
        sink = AtInputs(_differentiated(inputs), create_graph, accumulate_into_grad=True)
    run(roots, retain_graph, create_graph, sink, site=backward_call(roots, retain_graph))


def _differentiated(inputs):
    """``[(edge, tensor), ...]`` for the tensors whose gradients are asked for; each must require grad."""
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not t.requires_grad:  # (a view made under no_grad requires grad when its base does)
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    return [(edge_of(t), t) for t in inputs]


def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """``Tensor.backward``: the gradient of this tensor with respect to the graph leaves (see ``backward``).
    Attached to Tensor by graphgrad/__init__.py (Tensor sits below the engine).

    >>> import graphgrad
    >>> x = graphgrad.tensor([3.0], requires_grad=True)
    >>> (x * x).sum().backward(); x.grad
    tensor([6.])
    """
    if self._view is not None:
        self.grad_fn  # noqa: B018  (brings a view's history up to date)
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


# named as the method it becomes, so that Python's own errors read "Tensor.backward() got an unexpected ..."
tensor_backward.__name__, tensor_backward.__qualname__ = "backward", "Tensor.backward"


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
    sink = AtInputs(_differentiated(inputs), create_graph, accumulate_into_grad=False)
    grads = _initial_grads(outputs, grad_outputs, create_graph)
    roots = [(edge_of(t), g) for t, g in zip(outputs, grads)]
    run(roots, retain_graph, create_graph, sink, site=backward_call(roots, retain_graph, "grad"))
    captured = sink.captured
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
        if g is not None and not create_graph and _Sites.enabled and not g._requires_grad:
            g._ensure_extra().cut = ("grad", explain.here())  # a loss made of it has no history: say why
        result.append(g)
    return tuple(result)


def run(roots, retain_graph, create_graph, sink, site=None):
    """Run the backward pass from ``roots`` = [((node, output_nr), grad), ...] into ``sink`` (see ``sinks``).

    A node runs when all the gradients flowing into it have arrived; among ready nodes the most recently
    created first, as in PyTorch. ``site`` is the ledger's record of this call (for errors and ``describe``).
    """
    deps, needed = sink.plan([n for (n, _), _ in roots if n is not None])
    buffers = _root_buffers(roots, needed)
    ready = [(-n._seq, n) for n in buffers if deps.get(n, 0) == 0]
    heapq.heapify(ready)
    saved_modes = modes.recording, modes.in_backward, modes.backward, modes.needed
    set_recording(create_graph)  # derivatives record only to build a graph of the gradient
    modes.in_backward = True  # their ops record no 'where the chain was cut' sites
    modes.backward = site, roots  # the running backward, which a second-backward error names
    modes.needed = needed
    anomaly_on = AnomalyMode.enabled
    leaves_only = sink.leaves_only
    # With no graph of the gradient to build, a node whose op has an array derivative (op.backward_np), and
    # nothing to look at its gradients (hooks, the sink, anomaly checks), runs on ndarrays: the gradients
    # between such nodes are never wrapped in Tensors (the condition spelt out first in the loop).
    on_arrays = not create_graph and not anomaly_on
    stops_at = sink.stops_at
    heappop, heappush = heapq.heappop, heapq.heappush
    fp_state = quiet_backward()  # derivatives make NaN and inf silently, as PyTorch's do (see _core/fp_errors.py)
    try:
        while ready:
            node = heappop(ready)[1]
            grads = buffers.pop(node, None)
            if (on_arrays and grads is not None and node.op.backward_np is not None and len(grads) == 1
                    and grads[0] is not None and node._tensor_hooks is None and node._retain is None
                    and node._pre_hooks is None and node._post_hooks is None and node not in stops_at):
                if node._released:
                    raise errors.second_backward(node)
                g = grads[0]
                grads = None
                out = node.op.backward_np(node, g if g.__class__ is np.ndarray else g._data)
                shape, dtype = node._in_meta[0]
                # (fit_arrays's commonest case first: one input's gradient, already of its shape and dtype)
                arrays = ([out] if out.__class__ is np.ndarray and out.shape == shape and out.dtype is dtype
                          else node.fit_arrays(out))
                g = None
                if not retain_graph:
                    node.release(site)
                nxt, nr = node.next_functions[0]
                if (len(arrays) == 1 and nxt is not None and needed is None and nr == 0 and deps[nxt] == 1
                        and nxt.op.n_outputs == 1 and nxt not in buffers):
                    # _send's commonest case spelt out: the one gradient goes to a node that waits for no other
                    deps[nxt] = 0
                    buffers[nxt] = arrays
                    heappush(ready, (-nxt._seq, nxt))
                else:
                    _send(node, arrays, buffers, deps, needed, ready)
                out = arrays = None  # hold no gradient past its node (see grads_in below)
                continue
            if (leaves_only and on_arrays and node.__class__ is AccumulateGrad and grads is not None
                    and grads[0].__class__ is np.ndarray and node._tensor_hooks is None and node._retain is None
                    and node._pre_hooks is None and sink.take_array(node, grads)):
                continue  # a leaf's gradient summed into its .grad without wrapping it
            grads = _as_tensors(grads) if grads is not None else [None] * _n_outputs(node)
            if node._tensor_hooks is not None or node._retain is not None or node._pre_hooks is not None:
                grads = run_pre_hooks(node, grads)
            if (not leaves_only or type(node) is AccumulateGrad) and sink.take(node, grads):
                continue
            if len(grads) == 1 and grads[0] is not None and not anomaly_on:
                grads_in = node.apply(grads)  # the common case of _derivative, spelt out (it runs for every node)
            else:
                grads, grads_in = _derivative(node, grads, anomaly_on)
            if not retain_graph:
                node.release(site)
            if node._post_hooks is not None:
                grads_in = run_post_hooks(node, grads_in, grads)
            _send(node, grads_in, buffers, deps, needed, ready)
            grads_in = None  # hold no gradient past its node: a leaf's .grad can then take it over (_unshared)
    finally:
        restore_backward(fp_state)
        set_recording(saved_modes[0])
        modes.in_backward, modes.backward, modes.needed = saved_modes[1], saved_modes[2], saved_modes[3]


def _as_tensors(grads):
    """The gradients as Tensors (the ones that travelled as arrays between plain nodes wrapped)."""
    for i, g in enumerate(grads):
        if g.__class__ is np.ndarray:
            grads[i] = Tensor._make(g, False, None)
    return grads


def _root_buffers(roots, needed):
    """``{node: [gradient per output]}`` holding the roots' gradients (summed where two roots share a node)."""
    buffers = {}
    for (n, nr), g in roots:
        if n is None or (needed is not None and n not in needed):
            continue
        buf = buffers.get(n)
        if buf is None:
            buf = buffers[n] = [None] * _n_outputs(n)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    return buffers


def _derivative(node, grads, anomaly_on):
    """(the output gradients, missing ones of a multi-output node filled with zeros; the node's input
    gradients, or None when no gradient arrived)."""
    if len(grads) == 1:
        if grads[0] is None:
            return grads, None
    elif all(g is None for g in grads):
        return grads, None
    else:
        grads = _fill_missing(node, grads)
    return grads, (run_node(node, grads) if anomaly_on else node.apply(grads))


def _send(node, grads_in, buffers, deps, needed, ready):
    """Hand each input gradient (a Tensor, or an ndarray between plain nodes) to the node it belongs to; a node
    whose last gradient arrived is ready."""
    for (nxt, nr), g in zip(node.next_functions, grads_in if grads_in is not None else repeat(None)):
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
                buf[nr] = g if buf[nr] is None else _sum(buf[nr], g)
        d = deps[nxt] - 1
        deps[nxt] = d
        if d == 0:
            heapq.heappush(ready, (-nxt._seq, nxt))


def _sum(a, b):
    """Two gradients of one output added: a new array or Tensor (either may be shared with another node)."""
    s = a + b
    return np.asarray(s) if isinstance(s, np.generic) else s  # (NumPy's 0-d sums are scalars)


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
