"""How an op is declared once and run: forward on ndarrays, derivative in graphgrad ops.

``Op(name, forward, backward, save=...)`` is the whole declaration (the analogue of one entry of
PyTorch's derivatives.yaml). ``apply`` runs the forward on the inputs' arrays and, when grad mode is on
and an input requires grad, records a Node. ``apply_inplace`` does the same for ``x.op_(...)``: the
result is written into x's array, x's version is bumped, and x's history moves to the new node.
Every op's table entry is in ``REGISTRY``; tests/ops/test_ops_registry.py checks that each one is exercised
by a parity case (the nn ops -- conv, pooling, normalization, activation, loss -- by the cases of
tests/nn/test_functional.py).
"""

from __future__ import annotations

import functools
import re
import weakref

import numpy as np

from .. import _dtype
from .._core.modes import modes
from .._dtype import bfloat16, get_default_dtype, is_float_np, result_type
from .._from_python import from_data
from .._size import summed_dims  # noqa: F401 (imported from here by the op families)
from .._tensor import Tensor
from ..autograd import explain
from ..autograd.explain import note_cut
from ..autograd.graph import Node, _Sites, edge_of, node_class, raw_site, user_site
from ._args import checked  # PyTorch's TypeError for wrongly typed arguments
from ._autocast import autocast_rule

REGISTRY: dict[str, Op] = {}


class Op:
    """One primitive: ``forward(*arrays, **kwargs) -> array`` and ``backward(node, grad) -> grads``.

    save: which inputs the derivative needs ("a", "b", ... by position, or "out" for the result).
    stateful: forward returns ``(array, state)``; the state (e.g. argmax indices) lives on the node
    and is freed with the saved tensors.
    promote: None (inputs used as they are), "same" (PyTorch's result_type over the inputs) or
    "float" (like "same", then integers become the default float dtype, as ``torch.sin`` does).
    view: the output shares the first input's memory and version counter.
    out: forward accepts ``out=`` (a ufunc): ``x.op_(y)`` then writes straight into x's array, with no
    temporary result to copy back.
    backward_np: optional, the same derivative as ``backward`` computed on ndarrays,
    ``backward_np(node, grad_array) -> arrays`` (single-output ops). Used when backward builds no graph
    of the derivative (no ``create_graph``), it saves a Tensor and an op dispatch per step of the
    derivative on the hottest ops; ``backward`` stays the definition, and what double backward runs.
    needed_by: for each saved input (in ``save`` order), the inputs whose gradient needs it; a saved input
    that no input requiring grad needs is not kept (None in ``saved_tensors``), as PyTorch saves it.
    save_as: optional ``save_as(inputs, saved) -> saved``, for ops whose PyTorch derivative saves a tensor it
    made rather than the input (matmul saves its folded operands, copies where the fold is not a view).
    refuses_bools: a bool operand raises PyTorch's subtraction error (``x - True``, ``torch.rsub``).
    """

    __slots__ = (
        "name", "forward_name", "forward", "backward", "save_inputs", "save_output", "saves",
        "saved_names", "stateful", "promote", "view", "n_outputs", "scalar", "const_edges", "out",
        "backward_np", "needed_by", "save_as", "node_class", "refuses_bools",
    )

    def __init__(self, name, forward, backward, save=(), stateful=False, promote=None, view=False,
                 n_outputs=1, saved_names=None, const_args=0, out=False, backward_np=None, needed_by=None,
                 save_as=None, refuses_bools=False):
        self.name = name
        self.refuses_bools = refuses_bools
        self.needed_by = needed_by
        self.save_as = save_as
        self.out = out
        self.backward_np = backward_np
        self.node_class = node_class(name)  # the class of its nodes: type(grad_fn).__name__ is PyTorch's name
        self.forward_name = re.sub(r"Backward\d*$", "", name.rsplit("::", 1)[-1])
        self.forward = forward
        self.backward = backward
        letters = "abcdefgh"
        if isinstance(save, str):
            save = ("out",) if save == "out" else tuple(save)
        self.save_inputs = tuple(letters.index(s) for s in save if s != "out")
        self.save_output = "out" in save
        self.stateful = stateful
        self.saves = bool(save) or stateful
        self.saved_names = saved_names or tuple(
            ("result" if s == "out" else ("self", "other")[letters.index(s)] if s in "ab" else s)
            for s in save
        )
        self.promote = promote
        self.view = view
        self.n_outputs = n_outputs
        # PyTorch lists an edge (None, 0) for each constant operand (x * 2 has two next_functions)
        self.const_edges = ((None, 0),) * const_args
        self.scalar = None  # optional variant taking a Python number as kwarg "other" (no wrapping)
        key, i = name, 2
        while key in REGISTRY:  # several ops may share PyTorch's node name (e.g. PowBackward0)
            key, i = f"{name}.{i}", i + 1
        REGISTRY[key] = self

    def __repr__(self):
        return f"Op({self.name})"

def _tie_bw(n, gg):
    shape, dt = n._in_meta[1]
    return gg, Tensor._make(np.zeros(shape, dt), False, None)


_TIES: dict = {}


def depends_on(grad, saved, name, underivable=None):
    """``grad``, requiring grad when ``saved`` does: PyTorch computes some first derivatives as a function of
    (grad, saved tensor) whose own derivative in the saved tensor is zero (relu's threshold_backward, the
    pooling backwards), and gradient-penalty code relies on the result requiring grad. The node passes the
    gradient through, under the name of PyTorch's node (``name``). ``underivable``: the PyTorch kernel whose
    derivative PyTorch does not implement (hardsigmoid_backward): going back through the node raises."""
    if not modes.recording:
        return grad
    if underivable is None and not (saved._requires_grad and not grad._requires_grad):
        return grad
    if underivable is not None and not (saved._requires_grad or grad._requires_grad):
        return grad
    op = _TIES.get(name)
    if op is None:
        backward = _tie_bw if underivable is None else functools.partial(_underivable_bw, underivable)
        op = _TIES[name] = Op(name, lambda g, x: g, backward)
        del REGISTRY[next(k for k, v in REGISTRY.items() if v is op)]  # a pass-through, not a primitive
    return apply(op, grad, saved)


def _underivable_bw(kernel, n, gg):
    raise RuntimeError(f"derivative for aten::{kernel} is not implemented")


_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_BF16 = bfloat16.np  # None without ml_dtypes



def _target_dtype(op, inputs):
    """The numpy dtype the inputs are cast to before the forward, or None to leave them."""
    first = inputs[0]._data.dtype
    for t in inputs:
        if t._data.dtype != first:
            dt = result_type(*inputs).np
            break
    else:
        dt = first
    if op.promote == "float" and not is_float_np(dt):
        dt = get_default_dtype().np
    return dt


def _forward_bfloat16(op, inputs, kwargs):
    """PyTorch's CPU kernels compute bfloat16 in float32 and round the result once: so does this forward."""
    target = _target_dtype(op, inputs) if op.promote is not None else None
    compute = _FLOAT32 if target is None or target == _BF16 else target
    arrays = [t._data.astype(compute) if t._data.dtype == _BF16 or (target is not None and t._data.dtype != compute)
              else t._data for t in inputs]
    res = op.forward(*arrays, **kwargs)
    wider = any(t._data.dtype in (_FLOAT32, _FLOAT64) for t in inputs)  # a float32/64 input's dtype wins
    if target != _BF16 and (target is not None or wider):
        return res
    if op.stateful:
        out, state = res
        return _round_to_bfloat16(out), state
    return _round_to_bfloat16(res)


def _round_to_bfloat16(res):
    if isinstance(res, tuple):
        return tuple(_round_to_bfloat16(r) for r in res)
    res = np.asarray(res)
    return res.astype(_BF16) if res.dtype == _FLOAT32 else res


def apply(op, *inputs, **kwargs):
    """Run ``op`` on Tensors; record a Node if grad mode is on and an input requires grad."""
    n_in = len(inputs)
    # an op computing on a bfloat16 input (not a view of one, not a cast to an explicit dtype); every op asks,
    # so the test is an identity check per input (NumPy hands out one bfloat16 dtype object)
    if _BF16 is not None and (inputs[0]._data.dtype is _BF16 or n_in > 1 and any(
            t._data.dtype is _BF16 for t in inputs)) and not op.view and kwargs.get("dtype") is None:
        res = _forward_bfloat16(op, inputs, kwargs)
    elif n_in == 1:
        arr = inputs[0]._data
        if op.promote == "float" and not is_float_np(arr.dtype):
            arr = arr.astype(get_default_dtype().np)
        res = op.forward(arr, **kwargs)
    elif n_in == 2 and (op.promote is None or inputs[0]._data.dtype == inputs[1]._data.dtype != np.bool_):
        a = inputs[0]._data
        if op.promote == "float" and not is_float_np(a.dtype):
            res = op.forward(a.astype(get_default_dtype().np), inputs[1]._data.astype(get_default_dtype().np),
                             **kwargs)
        else:
            res = op.forward(a, inputs[1]._data, **kwargs)
    elif op.promote is not None:
        cast = _target_dtype(op, inputs)
        res = op.forward(*[t._data if t._data.dtype == cast else t._data.astype(cast) for t in inputs], **kwargs)
    else:
        res = op.forward(*[t._data for t in inputs], **kwargs)
    state = None
    if op.stateful:
        res, state = res
    record = False
    if modes.recording:
        for t in inputs:
            if t._view is not None:
                if t._view_version != t._version_box[0]:
                    refresh_view(t)  # its base was written in place since: its history moves to the base's
                if not t._requires_grad and t._base._requires_grad:
                    record = True  # a view made under no_grad requires grad when its base does (edge: none)
            if t._requires_grad:
                record = True
    if op.n_outputs != 1:
        return _wrap_many(op, inputs, res, record, kwargs, state)
    if type(res) is not np.ndarray:
        res = np.asarray(res)
    if record and not is_float_np(res.dtype):
        record = False  # integer and bool results never require grad
    if not record:
        out = Tensor._make(res, False, None)
        if op.view:
            _as_view(out, inputs[0], op, kwargs, None)
        if _Sites.enabled and not modes.in_backward:
            note_cut(out, inputs)  # where the chain was cut (no_grad here, or an input's detach()), for errors
        return out
    # depth 3: apply's caller is always inside graphgrad, so the walk starts one frame further out
    node = op.node_class(op, inputs, kwargs, raw_site(3) if _Sites.enabled else None, state)
    out = Tensor._make(res, True, node)
    if op.view:
        _as_view(out, inputs[0], op, kwargs, None)
    if op.saves:
        node.save(inputs, out)
    return out


def _wrap_many(op, inputs, results, record, kwargs, state):
    if not record:
        outs = tuple(Tensor._make(np.asarray(r), False, None) for r in results)
    else:
        node = op.node_class(op, inputs, kwargs, user_site(3), state)
        outs = []
        for i, r in enumerate(results):
            t = Tensor._make(np.asarray(r), True, node)
            t._output_nr = i
            outs.append(t)
        outs = tuple(outs)
        node._out_meta = tuple((t._data.shape, t._data.dtype) for t in outs)
        if op.saves:
            node.save(inputs, None)
    if op.view:
        for i, t in enumerate(outs):
            _as_view(t, inputs[0], op, kwargs, i)
    return outs


# How a view was made, as PyTorch's CreationMeta: views made in no_grad mode and outputs of ops that return
# several views (split, chunk, unbind) may not be written in place while grad is involved. A view of such a
# view inherits it.
_MULTI_OUTPUT, _NO_GRAD_MODE, _INFERENCE_MODE = 1, 2, 3


def _as_view(out, base, op, kwargs, idx):
    box = out._version_box = base._version_box
    if box.__class__ is not list:
        return  # an inference tensor: no version counter, never written with grad involved
    out._view = (base, op, kwargs, idx)
    out._view_version = box[0]  # the version at which its grad_fn is right (see refresh_view)
    meta = ((_MULTI_OUTPUT if idx is not None else 0) if modes.recording
            else _INFERENCE_MODE if modes.inference else _NO_GRAD_MODE)
    meta = meta or base._view_meta
    if meta:
        out._view_meta = meta


def _view_error(t, indirect):
    """PyTorch's refusal to rebase the history of a no_grad or multi-output view (handle_view_on_rebase)."""
    what = "its base or another view of its base has been" if indirect else "is being"
    fn = t._grad_fn
    meta = t._view_meta
    if meta != _MULTI_OUTPUT or fn is None:
        # a view with a grad_fn is here a view (made with grad) of a view made under no_grad / inference_mode
        prefix = (f"Output {t._output_nr} of {fn.op.forward_name} is a view of a view which was created in"
                  if fn is not None else "A view was created in")
        if meta == _INFERENCE_MODE:
            msg = f"{prefix} inference mode and {what} modified inplace in normal mode."
        else:
            msg = f"{prefix} no_grad mode and {what} modified inplace with grad mode enabled."
    else:
        msg = f"Output {t._output_nr} of {fn.op.forward_name} is a view and {what} modified inplace."
    if meta == _MULTI_OUTPUT:
        msg += (" This view is the output of a function that returns multiple views. Such functions do not allow "
                "the output views to be modified inplace. You should replace the inplace operation by an "
                "out-of-place one.")
    else:
        block = "inference_mode" if meta == _INFERENCE_MODE else "no_grad"
        msg += (" Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code "
                f"by moving both the view and the inplace either both inside the {block} block (if you don't want "
                "the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
    return RuntimeError(msg)


def refresh_view(t):
    """A view whose base (or another view of it) was written in place after the view's grad_fn was set: its
    history becomes AsStridedBackward0 over the base's current history, as PyTorch regenerates it when the
    view's version moved (reading grad_fn, or using the view in an op). Non-views never get here."""
    root, chain = view_root(t)
    if t._grad_fn is None and not root._requires_grad:
        return  # nothing to regenerate (PyTorch leaves the view's recorded version as it was, too)
    if t._view_meta:
        raise _view_error(t, True)
    _regenerate(t, root, chain)


def _regenerate(t, root, chain):
    node = AS_STRIDED.node_class(AS_STRIDED, (root,), {"chain": chain}, user_site(3))
    t._grad_fn = node
    t._output_nr = 0
    t._requires_grad = True
    t._view_version = t._version_box[0]


def check_inplace(x, others=()):
    if not modes.recording:
        return
    for t in others:
        if t._view is not None and t._view_version != t._version_box[0]:
            refresh_view(t)
    if x._view is not None:
        # (a view requires grad when its base does, as PyTorch counts it here)
        if x._view_meta and (x._requires_grad or any(t._requires_grad for t in others)
                             or view_root(x)[0]._requires_grad):
            raise _view_error(x, False)
        if x._view_version != x._version_box[0]:
            refresh_view(x)
    if x._requires_grad and x._grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation."
                           + explain.inplace_on_leaf(x))
    if x._view is not None:
        root = view_root(x)[0]
        # (the view's own flag counts too: a view made before its base was detach_()ed still requires grad)
        if (root._requires_grad or x._requires_grad) and root._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation." + explain.inplace_on_leaf(x, root))


# --- in-place writes through views ------------------------------------------------------------------
# A view (x[0], x.t(), x.view(...)) shares its base's memory. When a recorded in-place op writes through
# a view, the base's history must include the write: the base gets a CopySlices node (its old history
# outside the view's region, the view's new history inside it) and the view becomes a fresh view of
# the rewritten base. ``_view = (base, op, kwargs, output index)`` on each view makes this possible.
def view_root(t):
    """The tensor that owns the memory, and the chain of view ops that lead from it to ``t``."""
    chain = []
    while t._view is not None:
        base, op, kwargs, idx = t._view
        chain.append((op, kwargs, idx))
        t = base
    chain.reverse()
    return t, tuple(chain)


def replay_views(chain, t):
    """Apply the view ops of ``chain`` to tensor ``t`` (differentiably)."""
    for op, kwargs, idx in chain:
        out = apply(op, t, **kwargs)
        t = out[idx] if idx is not None else out
    return t


def _region(a, chain):
    """The view of array ``a`` that ``chain`` selects (read-only where the chain expands)."""
    for op, kwargs, idx in chain:
        a = op.forward(a, **kwargs)
        if idx is not None:
            a = a[idx]
    return a


def _region_ids(shape, chain):
    """For each element of the view, the flat index of the base element it is."""
    return _region(np.arange(int(np.prod(shape))).reshape(shape), chain).ravel()


def _embed_np(g, chain, shape):
    """AsStridedBackward0: the view's gradient placed in a base-shaped zero array (summed where elements alias)."""
    out = np.zeros(shape, g.dtype)
    region = _region(out, chain)
    if region.flags.writeable:
        region[...] = g
        return out
    flat = np.bincount(_region_ids(shape, chain), weights=np.broadcast_to(g, region.shape).ravel(),
                       minlength=out.size)
    return flat.astype(g.dtype).reshape(shape)


def _as_strided_bw(n, g):
    return apply(AS_STRIDED_EMBED, g, chain=n.kwargs["chain"], shape=n._in_meta[0][0])


AS_STRIDED = Op("AsStridedBackward0", lambda a, chain: _region(a, chain).copy(), _as_strided_bw)
AS_STRIDED_EMBED = Op("AsStridedScatterBackward0", _embed_np,
                      lambda n, gg: apply(AS_STRIDED, gg, chain=n.kwargs["chain"]))


def _put_region_np(base, view, chain):
    """``base`` with the region ``chain`` selects replaced by ``view`` (the base's gradient of a CopySlices)."""
    out = base.copy()
    region = _region(out, chain)
    if region.flags.writeable:
        region[...] = view
        return out
    for st, n in zip(region.strides, region.shape):
        if st == 0 and n > 1:  # an expanded view: PyTorch's copy into it refuses, in backward
            raise RuntimeError(_INTERNAL_OVERLAP)
    out.reshape(-1)[_region_ids(out.shape, chain)] = np.broadcast_to(view, region.shape).ravel()
    return out


def _put_region_bw(n, g):
    view = replay_views(n.kwargs["chain"], g)
    return apply(PUT_VIEW_REGION, g, _zeros(view), chain=n.kwargs["chain"]), view


def _zeros(t):
    return Tensor._make(np.zeros(t._data.shape, t._data.dtype), False, None)


PUT_VIEW_REGION = Op("torch::autograd::CopySlices", _put_region_np, _put_region_bw)


class CopySlices(Node):
    """PyTorch's CopySlices: the base's node after an in-place op wrote through one of its views.

    It wraps ``fn``, the in-place op's own node: its first edge goes to the base's previous history, the
    others are ``fn``'s (the op's other inputs). Backward hands ``fn`` the view's part of the base's
    gradient and puts ``fn``'s first result back in that place. ``fn``'s saved tensors are listed (and
    freed) as this node's.
    """

    __slots__ = ("fn", "chain")

    def release(self, by=None):
        Node.release(self, by)
        self.fn.release(by)


def _copy_slices_bw(n, g):
    chain = n.chain
    view = replay_views(chain, g)
    res = n.fn.apply([view])
    r0 = res[0]
    return (apply(PUT_VIEW_REGION, g, _zeros(view) if r0 is None else r0, chain=chain), *res[1:])


_COPY_SLICES_OPS: dict = {}


def _copy_slices_op(fn_op):
    """The op of a CopySlices wrapping a node of ``fn_op``: PyTorch's name, ``fn_op``'s saved tensors."""
    op = _COPY_SLICES_OPS.get(fn_op)
    if op is None:
        op = object.__new__(Op)
        for name in Op.__slots__:
            setattr(op, name, getattr(fn_op, name))
        op.name, op.forward_name, op.forward = "torch::autograd::CopySlices", "CopySlices", None
        op.backward, op.backward_np, op.n_outputs, op.view, op.out = _copy_slices_bw, None, 1, False, False
        op.scalar, op.const_edges = None, ()
        _COPY_SLICES_OPS[fn_op] = op
    return op


def _rebase_history(x, fn):
    """After a recorded in-place write ``fn`` to view ``x``: its base's node becomes a CopySlices wrapping
    ``fn``, and ``x`` a fresh view of the rewritten base."""
    root, chain = view_root(x)
    node = CopySlices(_copy_slices_op(fn.op), (root,), fn.kwargs, fn._where)
    node.next_functions += fn.next_functions[1:]  # then the in-place op's other inputs
    node._in_meta += fn._in_meta[1:]
    node.fn = fn
    node.chain = chain
    node.state, node._saved, node._versions, node._out = fn.state, fn._saved, fn._versions, fn._out
    root._grad_fn = node
    root._output_nr = 0
    root._requires_grad = True
    _regenerate(x, root, chain)  # x's history is now: a view of the rewritten base
    if fn._out is not None:
        # fn's saved result is x after the write: its history is x's new one (a view of the CopySlices), not
        # fn, which only runs inside the CopySlices (held weakly: fn -> CopySlices would be a cycle)
        fn._out_fn = _view_history(weakref.ref(node), chain, node._in_meta[0])


def _view_history(ref, chain, meta):
    def grad_fn():
        node = ref()
        if node is None:
            return None
        view = AS_STRIDED.node_class(AS_STRIDED, (), {"chain": chain})
        view.next_functions, view._in_meta = ((node, 0),), (meta,)
        return view

    return grad_fn


def view_inplace_form(fn, inplace_ops):
    """``x.t_()``, ``x.squeeze_(d)``, ...: PyTorch's in-place views give x a new shape and strides over the
    same memory. ``fn`` (the out-of-place view) runs on x as it was, and x takes the view's array, a new
    version and the view's history, recorded under the in-place overload's node name: ``inplace_ops`` maps
    each view op ``fn`` may apply to its in-place twin (TBackward0 -> TBackward1). A view stays a view of
    its base.

    >>> import graphgrad
    >>> x = graphgrad.ones(2, 3, requires_grad=True) * 1
    >>> x.t_().shape, x.grad_fn.name()
    (graphgrad.Size([3, 2]), 'TBackward1')
    """

    @functools.wraps(fn)  # the signature too: argument errors are the op's own
    def inplace(self, *args, **kwargs):
        check_inplace(self)
        before = _same_tensor(self)
        out = fn(before, *args, **kwargs)
        self._data = out._data
        if out._view is None:  # an inference tensor: no version counter to share, no history
            self._bump_version()
            return self
        _, view_op, view_kwargs, _ = out._view
        op = inplace_ops[view_op]
        if out._grad_fn is not None:
            self._grad_fn = op.node_class(op, (before,), view_kwargs, user_site(2))
            self._output_nr = 0
        self._bump_version(op.name)
        if self._view is not None:
            self._view = (before, op, view_kwargs, None)
            self._view_version = self._version_box[0]
        return self

    inplace.__name__ = inplace.__qualname__ = fn.__name__ + "_"
    inplace.__doc__ = f"In place ``{fn.__name__}``: x itself takes the view's shape and strides."
    return inplace


def _same_tensor(t):
    """A second Tensor object for ``t`` as it is: the same array, version counter, history and view links."""
    twin = Tensor._make(t._data, t._requires_grad, t._grad_fn)
    twin._version_box = t._version_box
    twin._output_nr = t._output_nr
    if t._view is not None:
        twin._view, twin._view_version, twin._view_meta = t._view, t._view_version, t._view_meta
    return twin


def apply_inplace(op, x, *others, **kwargs):
    """``x.op_(*others)``: write op's result into x's array, bump its version, move its history."""
    check_inplace(x, others)
    check_no_partial_overlap(x, others)
    arr = x._data
    record = modes.recording and (x._requires_grad or any(t.requires_grad for t in others))
    old = x
    if record:
        # x's identity before the write: its edge, and (if the derivative reads it) its old values.
        old = Tensor._make(arr.copy() if 0 in op.save_inputs else arr, x._requires_grad, x._grad_fn)
        old._version_box = [0, None]
        old._output_nr = x._output_nr
    locked = not arr.flags.writeable
    if locked:  # an expanded tensor (np.broadcast_to is read-only): PyTorch refuses most writes into it
        _unlock(arr, op.name)
    try:
        state = _write(op, x, others, kwargs)
    finally:
        if locked:
            arr.flags.writeable = False
    return _finish_inplace(op, x, old, others, kwargs, state, record)


def check_no_partial_overlap(x, others):
    """PyTorch's check that no input of an in-place write overlaps the written-to tensor only in part (made
    before the shapes are compared)."""
    arr = x._data
    for t in others:
        o = t._data
        # two arrays that both own their memory can't overlap: only views pay for the check
        if o is not arr and (o.base is not None or arr.base is not None) and np.may_share_memory(o, arr):
            _check_partial_overlap(arr, o)


def _write(op, x, others, kwargs):
    """Compute op(x, *others) into x's array; the op's state, if it has one."""
    cast = x._data.dtype
    if op.out and cast.kind == "f" and _writes_into(x._data, others):
        op.forward(x._data, *[t._data for t in others], out=x._data, **kwargs)
        return None
    arrays = [x._data] + [t._data for t in others]
    # operands of several dtypes: PyTorch's result dtype (int64 tensor += float32 tensor is float32), not NumPy's
    if op.promote is not None and any(a.dtype != cast for a in arrays):
        dt = _target_dtype(op, (x, *others))
        arrays = [a if a.dtype == dt else a.astype(dt) for a in arrays]
    res = op.forward(*arrays, **kwargs)
    state = None
    if op.stateful:
        res, state = res
    res = np.asarray(res)
    if res.shape != x._data.shape:
        if np.broadcast_shapes(res.shape, x._data.shape) != x._data.shape:
            raise RuntimeError(
                f"output with shape {list(x._data.shape)} doesn't match the broadcast shape {list(res.shape)}"
            )
    if res.dtype != cast and not np.can_cast(res.dtype, cast, "same_kind"):
        raise RuntimeError(
            f"result type {_torch_name(res.dtype)} can't be cast to the desired output type {_torch_name(cast)}"
        )
    np.copyto(x._data, res, casting="unsafe")
    return state


_PARTIAL_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
                    "single memory location. Please clone() the tensor before performing the operation.")
_INTERNAL_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single "
                     "memory location. Please clone() the tensor before performing the operation.")
# in-place ops PyTorch lets write into an expanded tensor (fill_ with a number, zero_; index_put_ and masked_fill_
# warn); fill_ with a 0-d tensor copies it, and is refused like copy_
_MAY_WRITE_EXPANDED = frozenset(("FillBackward2", "ZeroBackward0", "IndexPutBackward0",
                                 "MaskedFillBackward0", "MaskedFillBackward1", "TrilBackward0", "TriuBackward0"))

_WARN_EXPANDED = {
    name: f"Use of {fn} on expanded tensors is deprecated. Please clone() the tensor before performing this "
          f"operation. This also applies to advanced indexing e.g. {example}"
    for name, fn, example in (("IndexPutBackward0", "index_put_", "tensor[indices] = tensor"),
                              ("MaskedFillBackward0", "masked_fill_", "tensor[mask] = scalar"),
                              ("MaskedFillBackward1", "masked_fill_", "tensor[mask] = scalar"))
}


def _dense(a):
    """PyTorch's is_non_overlapping_and_dense (for non-negative strides)."""
    expected = a.itemsize
    for st, n in sorted(zip(a.strides, a.shape)):
        if n != 1:
            if st != expected:
                return False
            expected *= n
    return True


def _check_partial_overlap(a, o):
    """PyTorch's assert_no_partial_overlap between the written-to array and an input: the same memory with
    the same layout is fine (x.add_(x)), part of it or another layout is refused; layouts that aren't
    dense are too hard to tell, and pass."""
    if not (_dense(a) and _dense(o)):
        return
    a0 = a.__array_interface__["data"][0]
    b0 = o.__array_interface__["data"][0]
    a1, b1 = a0 + a.nbytes, b0 + o.nbytes
    if a0 == b0 and a1 == b1 and a.strides == o.strides:
        return
    if a0 < b1 and b0 < a1:
        raise RuntimeError(_PARTIAL_OVERLAP)


def _unlock(arr, writer):
    """Allow a write into a read-only (expanded) array, unless several written elements are one in memory
    (``writer``: the node name of the op that writes)."""
    overlap = arr.size > 0 and any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape))
    if writer not in _MAY_WRITE_EXPANDED:
        if overlap:
            raise RuntimeError(_INTERNAL_OVERLAP)
    elif overlap and writer in _WARN_EXPANDED:
        import warnings

        warnings.warn(_WARN_EXPANDED[writer], UserWarning, stacklevel=4)
    try:
        arr.flags.writeable = True
    except ValueError:
        pass  # memory that is read-only for another reason: NumPy's error follows


def _writes_into(arr, others):
    """Whether a ufunc can write ``arr op others`` into ``arr`` with the result PyTorch gives: the same
    dtype (no promotion to check) and no operand broadcasting past ``arr``'s shape."""
    for t in others:
        o = t._data
        if o.dtype != arr.dtype or (o.shape != arr.shape and o.ndim != 0):
            return False
    return True


def _finish_inplace(op, x, old, others, kwargs, state, record):
    """After x's array was written: bump its version and, when recording, move its history to a new node."""
    if not record:
        x._bump_version(op.name)
    else:
        ins = (old,) + others
        node = op.node_class(op, ins, kwargs, user_site(2), state)
        if op.saves:
            # the inputs are saved at their version before the write: an input that is x or shares its memory
            # (y.mul_(y)) is then caught by backward's version check, as in PyTorch
            node.save(ins, x)
            x._bump_version(op.name)
            if op.save_output:
                node._out = (x._data, x._version_box, x._version_box[0])
        else:
            x._bump_version(op.name)
        x._grad_fn = node
        x._output_nr = 0
        x._requires_grad = True
        if x._view is not None:
            _rebase_history(x, node)
            _keep_retained(view_root(x)[0])
        _keep_retained(x)
    return x


def _keep_retained(t):
    """retain_grad() follows a tensor to the node of its latest in-place write, as in PyTorch."""
    extra = t._extra
    if extra is not None and extra.retains_grad and t._grad_fn is not None:
        node = t._grad_fn
        if node._retain is None:
            node._retain = {}
        node._retain[t._output_nr] = weakref.ref(t)


# --- in-place forms made from the out-of-place function -----------------------------------------------
def write_back_form(fn, name):
    """``x.name(*args)`` made from the out-of-place ``fn`` (for ops whose function does more than apply one op:
    hypot, xlogy, cumsum, clamp_min, ...): ``fn`` runs on x's value and history as they were before the write,
    so every argument rule and error of the op holds unchanged, and its result is written into x, as PyTorch's
    in-place variants do: cast to x's dtype where PyTorch allows it, refused where its shape isn't x's, x's
    version bumped and its history moved to the result's node (a CopySlices on a view).

    >>> import graphgrad
    >>> x = graphgrad.tensor([3.0, 5.0])
    >>> x.hypot_(graphgrad.tensor([4.0, 12.0]))
    tensor([ 5., 13.])
    """

    @functools.wraps(fn)  # the signature too: argument errors are the op's own
    def inplace(self, *args, **kwargs):
        dtype = kwargs.get("dtype")  # x.cumsum_(0, dtype=...): it must be x's own
        if dtype is not None and _dtype.to_dtype(dtype).np != self._data.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {c_type_name(self._data.dtype)} and output "
                               f"tensor dtype {c_type_name(_dtype.to_dtype(dtype).np)} should match")
        return _write_back(self, fn(_value_before_write(self, args), *args, **kwargs))

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"In place ``{fn.__name__}``: ``x.{name}(...)`` writes ``{fn.__name__}(x, ...)`` into ``x``."
    return inplace


def _value_before_write(x, args):
    """x's identity before an in-place write, for the out-of-place op to read: its history, and (when recording)
    its values copied, since the op may save them for its derivative while x is overwritten."""
    check_inplace(x, [a for a in args if isinstance(a, Tensor)])  # the leaf and view errors come first
    if not modes.recording:
        return x
    fn, output_nr = edge_of(x)
    before = Tensor._make(x._data.copy(), fn is not None, fn)
    before._output_nr = output_nr
    return before


def _write_back(x, out):
    """Write ``out`` (computed from x's value before the write) into x, and move x's history to out's node."""
    arr, res = x._data, out._data
    if res.shape != arr.shape:
        raise RuntimeError(f"output with shape {list(arr.shape)} doesn't match the broadcast shape {list(res.shape)}")
    if res.dtype != arr.dtype and not np.can_cast(res.dtype, arr.dtype, "same_kind"):
        raise RuntimeError(f"result type {_torch_name(res.dtype)} can't be cast to the desired output type "
                           f"{_torch_name(arr.dtype)}")
    node = out._grad_fn if modes.recording else None
    locked = not arr.flags.writeable
    if locked:  # an expanded tensor: refused where several written elements are one in memory
        _unlock(arr, node.op.name if node is not None else None)
    try:
        np.copyto(arr, res, casting="unsafe")
    finally:
        if locked:
            arr.flags.writeable = False
    if node is None:
        if modes.recording and x._requires_grad:
            x._grad_fn, x._requires_grad = None, False  # an integer result: no history to carry on (none in PyTorch)
        x._bump_version()
        return x
    x._bump_version(node.op.name)
    if node.op.save_output:  # the node's saved result is x now: a later write into x is caught, as in PyTorch
        node._out = (arr, x._version_box, x._version_box[0])
    x._grad_fn, x._output_nr, x._requires_grad = node, out._output_nr, True
    if x._view is not None:
        _rebase_history(x, node)
        _keep_retained(view_root(x)[0])
    _keep_retained(x)
    return x


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "bfloat16": "BFloat16"}


# the C++ type names some of PyTorch's messages use
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _torch_name(np_dtype):
    return _TORCH_NAMES.get(np.dtype(np_dtype).name, str(np_dtype))


def c_type_name(np_dtype):
    """The dtype as PyTorch's C++ messages spell it (its TypeMeta name: ``long int``, ``float``)."""
    name = np.dtype(np_dtype).name
    return _C_NAMES.get(name, name)


def as_tensor_like(x, like):
    """A Python scalar (or array) as a constant Tensor, with the dtype PyTorch would promote to."""
    if isinstance(x, Tensor):
        return x
    dt = like._data.dtype
    if isinstance(x, (bool, int, float, np.number, np.bool_)):
        kind = dt.kind
        if isinstance(x, (float, np.floating)) and kind != "f":
            dt = _float_np()
        elif isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) and kind == "b":
            dt = np.dtype(np.int64)
        try:
            arr = np.array(x, dtype=dt)
        except OverflowError:  # int8 tensor * 1000: PyTorch wraps the number around, as a C cast does
            arr = np.array(x).astype(dt)
        return Tensor._make(arr, False, None)
    return Tensor._make(np.asarray(x), False, None) if isinstance(x, np.ndarray) else from_data(x)


def _float_np():
    return _dtype._default_float.np


# --- the public surface: functions in ``graphgrad.*`` and methods on Tensor -----------------------
FUNCTIONS: dict = {}
METHODS: dict = {}


def export(*names, method=True, function=True, inplace=(), inplace_function=(), inplace_form=None):
    """Publish a function as ``graphgrad.<name>`` and/or ``Tensor.<name>`` (first name is canonical), with
    PyTorch's argument checks and, for the names on PyTorch's autocast lists, autocast's rule.

    The op's in-place form is declared here too: ``inplace`` publishes ``Tensor.<name>_`` for every name (True)
    or for the names listed, ``inplace_function`` also ``graphgrad.<name>_`` (PyTorch publishes some, as
    ``torch.relu_``). ``inplace_form(self, ...)`` writes the op into self with its op directly (unary and
    comparison ops, the view ops); without it the form is made from the function (``write_back_form``)."""

    def deco(fn):
        all_names = names or (fn.__name__,)
        for n in all_names:
            if function:
                FUNCTIONS[n] = autocast_rule(checked(fn, n, method=False), n)
            if method:
                METHODS[n] = autocast_rule(checked(fn, n, method=True), n)
        for table, chosen, as_method in ((METHODS, inplace, True), (FUNCTIONS, inplace_function, False)):
            for n in all_names if chosen is True else chosen:
                form = inplace_form or write_back_form(fn, n + "_")
                table[n + "_"] = autocast_rule(checked(form, n + "_", method=as_method), n + "_")
        return fn

    return deco


def broadcast_error(a_shape, b_shape):
    """PyTorch's text for shapes that don't broadcast (names both sizes and the dimension)."""
    n = max(len(a_shape), len(b_shape))
    a = (1,) * (n - len(a_shape)) + tuple(a_shape)
    b = (1,) * (n - len(b_shape)) + tuple(b_shape)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at non-singleton "
                f"dimension {i}\n(shapes {list(a_shape)} and {list(b_shape)})"
            )
    return RuntimeError(f"shapes {list(a_shape)} and {list(b_shape)} cannot be broadcast together")
