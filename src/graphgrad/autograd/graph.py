"""The recorded graph: Node (what ``grad_fn`` returns), AccumulateGrad, saved tensors, creation sites.

A Node is created by an op when grad mode is on and an input requires grad. It holds the op's
derivative (``op.backward``), edges to its inputs' nodes (``next_functions``), the tensors the
derivative needs (saved with the version they had, so that a later in-place write is caught) and
the user's source line that created it. ``backward()`` releases the saved tensors unless
``retain_graph`` is set; touching them afterwards raises PyTorch's error, with the node's history.
"""

from __future__ import annotations

import weakref
from types import CodeType

import numpy as np

from .. import _blas
from .._core.hooks import HookDict as _HookDict
from .._core.hooks import RemovableHandle
from .._core.modes import AnomalyMode, modes
from .._core.sites import (  # noqa: F401 (re-exported: the names other modules import from here)
    _LIB_FILES,
    _Sites,
    code_location,
    forward_trace,
    is_library_file,
    order,
    raw_site,
    set_record_sites,
    user_site,
    warn_at_user_line,
)
from .._size import summed_dims
from .._tensor import Tensor
from . import errors

_seq = order  # (shared with the writes through .data, see Tensor.data)


class Node:
    """One recorded operation: what ``tensor.grad_fn`` returns.

    >>> import graphgrad
    >>> x = graphgrad.ones(2, requires_grad=True)
    >>> (x * 2).grad_fn.name()
    'MulBackward0'
    """

    # Set on every node; the rarely used attributes below are class-level defaults, stored per node
    # (in __dict__) only when set, which keeps node creation cheap.
    __slots__ = (
        "op", "next_functions", "kwargs", "state", "_saved", "_versions", "_out", "_in_meta", "_where",
        "_released", "_freed_by", "_seq", "__dict__", "__weakref__",
    )
    _pre_hooks = _post_hooks = _tensor_hooks = _retain = None  # hooks, see register_hook / retain_grad
    _anomaly = None  # the forward traceback, recorded under detect_anomaly()
    _out_meta = None  # (shape, dtype) of each output, for nodes with several
    _out_fn = None  # the saved output's history, when it is not this node's (in-place ops on views, see CopySlices)

    def __init__(self, op, inputs, kwargs, site=None, state=None):
        """The node for ``op`` applied to the tensors ``inputs``: the one way ops, in-place writes, views and
        custom Functions make a node. One edge per input (to its node, or its leaf's AccumulateGrad) and per
        constant operand of the op; the inputs' shapes and dtypes, which ``apply`` gives their gradients back;
        ``site``: where the user's code made it (``raw_site``/``user_site``, or None); ``state``: what the
        forward left for the derivative. (A CopySlices, and the history of an output written through a view,
        have a node rather than tensors as input: they are made with no inputs and given their edges.)"""
        self.op = op
        if len(inputs) == 1:  # the commonest case, spelled out: this runs for every recorded op
            x = inputs[0]
            fn = x._grad_fn
            edge = (fn, x._output_nr) if fn is not None and x._view is None else edge_of(x)
            const_edges = op.const_edges
            self.next_functions = (edge,) + const_edges if const_edges else (edge,)
            arr = x._data
            self._in_meta = ((arr.shape, arr.dtype),)
        else:
            edges, meta = [], []
            for t in inputs:  # (edge_of's commonest case spelt out: an op's result that is not a view)
                fn = t._grad_fn
                edges.append((fn, t._output_nr) if fn is not None and t._view is None else edge_of(t))
                arr = t._data
                meta.append((arr.shape, arr.dtype))
            self.next_functions = tuple(edges) + op.const_edges if op.const_edges else tuple(edges)
            self._in_meta = tuple(meta)
        self.kwargs = kwargs
        self.state = state
        self._saved = self._versions = self._out = self._freed_by = None
        self._released = False
        self._seq = next(_seq)
        self._where = site
        if AnomalyMode.enabled:
            self._anomaly = forward_trace()

    @property
    def _site(self):
        """(filename, lineno) of the user's line that created this node, or None."""
        where = self._where
        if where is not None and type(where[0]) is CodeType:
            where = self._where = code_location(*where)
        return where

    # --- PyTorch's public surface ---------------------------------------------------------------
    def name(self) -> str:
        return self.op.name

    def __repr__(self):
        return f"<{self.op.name.rsplit('::', 1)[-1]} object at {hex(id(self))}>"

    @property
    def metadata(self):
        return {}

    @property
    def needs_input_grad(self):
        return tuple(n is not None for n, _ in self.next_functions)

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = _HookDict()
        h = RemovableHandle(self._post_hooks)
        self._post_hooks[h.id] = fn
        return h

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; it may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = _HookDict()
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h.id] = fn
        return h

    # --- saved tensors --------------------------------------------------------------------------
    def save(self, inputs, output):
        """Keep what the derivative needs: the chosen inputs (with versions) and maybe the output."""
        op = self.op
        idx = op.save_inputs
        if idx:
            # the creator is kept too: an in-place op later replaces t.grad_fn, errors name the original
            if len(idx) == 1:
                t = inputs[idx[0]]
                self._saved = (t,)
                self._versions = ((t._version_box[0], t._grad_fn),)
            else:
                saved = [inputs[i] for i in idx]
                needed_by = op.needed_by
                if needed_by is not None:
                    # as PyTorch, an operand only another input's gradient needs is saved only when that input
                    # requires grad (x * w with w frozen keeps w, not x: writing x in place is then allowed)
                    edges = self.next_functions
                    for k, others in enumerate(needed_by):
                        for j in others:
                            if edges[j][0] is not None:
                                break
                        else:
                            saved[k] = None
                if op.save_as is not None:
                    saved = op.save_as(inputs, saved)
                self._saved = tuple(saved)
                self._versions = tuple([None if t is None else (t._version_box[0], t._grad_fn) for t in saved])
        if op.save_output:
            # The output is kept as its array, not as the Tensor: Tensor -> Node -> Tensor would be a
            # cycle that only the garbage collector could free.
            self._out = (output._data, output._version_box, output._version_box[0])

    @property
    def saved_tensors(self):
        """The saved tensors, checked: raises if freed, or modified in place since they were saved."""
        return self._checked_saved(False)

    @property
    def saved_arrays(self):
        """The saved tensors' arrays (None for one not saved), checked as ``saved_tensors``: what a derivative
        on arrays (``op.backward_np``) reads, without a Tensor made for the saved result."""
        return self._checked_saved(True)

    def _checked_saved(self, arrays):
        if self._released:
            raise errors.second_backward(self)
        saved = self._saved
        if saved is not None:
            i = 0  # (a counter, not zip: this runs in every derivative that reads what it saved)
            for t in saved:
                if t is not None:
                    box = t._version_box
                    version, creator = self._versions[i]
                    if box[0] != version or len(box) > 2 or (creator is not None and t._grad_fn is None):
                        self._check_saved(t, version, creator)
                i += 1
            if arrays:
                saved = tuple([None if t is None else t._data for t in saved])
            if self._out is None:
                return saved
        out = list(saved) if saved is not None else []
        if self._out is not None:
            arr, box, v = self._out
            if box[0] != v:  # a result written through a view is, as PyTorch names it, output 0 of AsStrided
                creator = self if self._out_fn is None else self._out_fn() or self
                raise errors.modified_inplace(self, arr, creator, v, box[0], box)
            if len(box) > 2:
                errors.written_through_data(self, box, self)
            if arrays:
                if saved is None:
                    return (arr,)
                out.append(arr)
            else:
                fn = self._out_fn
                out.append(Tensor._make(arr, True, self if fn is None else fn() or self))
        return tuple(out)

    def _check_saved(self, t, version, creator):
        """Raise for a saved tensor modified in place since it was saved, or detached in place; warn for one
        written through ``.data``."""
        box = t._version_box
        if box[0] != version:
            raise errors.modified_inplace(self, t._data, creator, version, box[0], box)
        if t._grad_fn is None and creator is not None:  # it had a history when saved: detach_()ed
            raise RuntimeError(
                "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This "
                "is not supported, please use out-of-place `.detach()` instead")
        if len(box) > 2:  # written through .data at some point: after this node saved it?
            errors.written_through_data(self, box, creator)

    def release(self, by=None):
        """Free the saved tensors and state (what ``backward()`` does without ``retain_graph``)."""
        if self.op.saves and not self._released:
            self._saved = self._versions = self._out = None
            self.state = None
            self._released = True
            self._freed_by = by

    @property
    def is_released(self) -> bool:
        return self._released

    # --- running the derivative -----------------------------------------------------------------
    def apply(self, grads):
        """Gradients for the inputs from the gradients of the outputs (one list entry per output)."""
        if self._released:
            raise errors.second_backward(self)
        op = self.op
        if op.backward_np is not None and not modes.recording:
            # no graph of the derivative to build: computed on the arrays (a Tensor and a dispatch less per step)
            return [None if g is None else Tensor._make(g, False, None)
                    for g in self.fit_arrays(op.backward_np(self, grads[0]._data))]
        return self._fit_to_inputs(op.backward(self, grads[0]) if op.n_outputs == 1 else op.backward(self, *grads))

    def fit_arrays(self, grads_in):
        """``_fit_to_inputs`` for an array derivative (``op.backward_np``): a list of ndarrays (or None), each
        with its input's shape and dtype."""
        if type(grads_in) is not tuple:
            if grads_in.__class__ is np.ndarray:
                shape, dt = self._in_meta[0]
                if grads_in.shape == shape and grads_in.dtype == dt:
                    return [grads_in]  # one input, nothing to undo: the commonest case
            grads_in = (grads_in,)
        out = []
        for g, (shape, dt) in zip(grads_in, self._in_meta):
            if g is not None:
                if g.shape != shape:
                    dims = summed_dims(g.shape, shape)
                    g = (_blas.sum_leading(g, dims) if g.size >= _blas.SUM_AS_PRODUCT_FROM  # (a bias's gradient)
                         else np.add.reduce(g, axis=dims, keepdims=True)).reshape(shape)
                if g.dtype != dt:
                    g = g.astype(dt)
                if g.__class__ is not np.ndarray:
                    g = np.asarray(g)  # NumPy's 0-d results are scalars (np.float32)
            out.append(g)
        return out

    def _fit_to_inputs(self, grads_in):
        """Undo broadcasting and dtype promotion, in one place for every op: each input's gradient gets the
        input's shape (summed over the broadcast dimensions) and dtype."""
        if type(grads_in) is not tuple:
            grads_in = (grads_in,)
        out = []
        for g, (shape, dt) in zip(grads_in, self._in_meta):
            if g is not None:
                arr = g._data
                if arr.shape != shape:
                    g = g.sum_to_size(shape)
                if arr.dtype != dt:
                    g = g.to(dt)
            out.append(g)
        return out


_NODE_CLASSES: dict = {}


def node_class(name, exposed=(), open_ended=False):
    """The Node subclass named as PyTorch names the node's class (``type(y.grad_fn).__name__`` is
    ``'MulBackward0'``), one per name; each op holds its own, so making a node costs no look-up.

    ``exposed``: the names an op of this class saves or takes as keyword arguments, readable as
    ``grad_fn._saved_<name>`` as in PyTorch (a property each); ``open_ended``: the op's forward takes
    ``**kwargs``, whose names are known only per call: such a class answers ``_saved_<name>`` in
    ``__getattr__``. (The other classes have none: a class with ``__getattr__`` makes every attribute read on
    its nodes slower, and the engine reads many.)"""
    short = name.rsplit("::", 1)[-1]
    cls = _NODE_CLASSES.get(short)
    if cls is None:
        cls = _NODE_CLASSES[short] = type(short, (Node,), {"__slots__": (), "__module__": "graphgrad.autograd.graph",
                                                           "__qualname__": short})
    for key in exposed:
        if not hasattr(cls, "_saved_" + key):
            setattr(cls, "_saved_" + key, _saved_property(key))
    if open_ended and "__getattr__" not in cls.__dict__:
        cls.__getattr__ = saved_attribute
    return cls


def saved_value(node, key):
    """``grad_fn._saved_<key>``: the saved tensor of that name, or the keyword argument the op ran with."""
    names = node.op.saved_names
    if key in names:
        return node.saved_tensors[names.index(key)]
    if node.kwargs and key in node.kwargs:
        return node.kwargs[key]
    raise AttributeError(f"'{node.op.name}' object has no attribute '_saved_{key}'")


def saved_attribute(node, name):
    """``__getattr__`` of the node classes whose ops take ``**kwargs`` (see ``node_class``)."""
    if name.startswith("_saved_"):
        return saved_value(node, name[len("_saved_"):])
    raise AttributeError(f"'{node.op.name}' object has no attribute '{name}'")


def _saved_property(key):
    return property(lambda node: saved_value(node, key), doc=f"PyTorch's ``grad_fn._saved_{key}``.")


class _AccumulateOp:
    name = "torch::autograd::AccumulateGrad"  # PyTorch's name() for this node
    n_outputs = 1
    const_edges = ()
    saves = False
    backward_np = None
    saved_names = ()


class AccumulateGrad(Node):
    """The node that sums a leaf's incoming gradient into its ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        super().__init__(_AccumulateOp, (), None)
        self.variable = variable


def grad_accumulator(t) -> AccumulateGrad:
    """The leaf's AccumulateGrad node: the same object for as long as any graph holds it."""
    ref = t._grad_accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._grad_accumulator = weakref.ref(node)
    return node


def edge_of(t):
    """(node, output_nr) that a gradient for ``t`` flows into, or (None, 0)."""
    fn = t._grad_fn if t._view is None else t.grad_fn  # (a view's grad_fn is brought up to date first)
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        ref = t._grad_accumulator  # (grad_accumulator's commonest case first: the leaf's node exists)
        node = ref() if ref is not None else None
        return (grad_accumulator(t) if node is None else node, 0)
    return (None, 0)

