"""In-place ops: ``x.op_(...)`` writes the op's result into x's array, bumps x's version and moves x's history
to the new node; a write through a view gives the base a CopySlices node (its old history outside the view's
region, the view's new history inside it) and makes the view a fresh view of the rewritten base.

``apply_inplace`` runs an op declared for it; ``write_back_form`` makes an in-place form of any out-of-place
function; ``view_inplace_form`` the in-place views (``t_``, ``squeeze_``...). PyTorch's checks come first:
``check_inplace`` (leaves, no_grad views) and the memory-overlap checks.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from .. import _dtype
from .._core.fp_errors import quiet, restore
from .._core.modes import modes
from .._tensor import Tensor
from ..autograd import explain
from ..autograd.graph import Node, edge_of, user_site
from ._op import (
    AS_STRIDED,
    Op,
    _regenerate,
    _region,
    _region_ids,
    _target_dtype,
    _torch_name,
    _view_error,
    apply,
    c_type_name,
    refresh_view,
    replay_views,
    view_root,
)


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
        # views made before keep the layout they saw: ``before`` is this tensor as it was (see view_root)
        self._layout = before
        if self._view is not None:
            self._view = (before, op, view_kwargs, None)
            self._base_layout = before._layout
            self._view_version = self._version_box[0]
        else:
            # a permutation here is a swap, its own inverse; a squeeze or unsqueeze is undone by the old shape
            undo = view_kwargs if "dims" in view_kwargs else {"shape": before._data.shape}
            before._superseded, before._superseded_undo = self, (op, undo, None)
            before._grad_fn = None  # (only its layout is used: it must not keep the old history alive)
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
        twin._base_layout = t._base_layout
    twin._layout = t._layout
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
    token = quiet()  # NaN and inf silently, as PyTorch makes them (see _core/fp_errors.py)
    try:
        state = _write(op, x, others, kwargs)
    finally:
        restore(token)
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


def _overlaps(arr):
    """Whether several elements of ``arr`` are one in memory (an expanded array)."""
    return arr.size > 0 and any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape))


def check_no_internal_overlap(arr, writer):
    """PyTorch's refusal to write an op's results into an array where several elements are one in memory
    (``writer``: the node name of the op that writes; a few ops may)."""
    if writer not in _MAY_WRITE_EXPANDED and _overlaps(arr):
        raise RuntimeError(_INTERNAL_OVERLAP)


def _unlock(arr, writer):
    """Allow a write into a read-only (expanded) array, unless several written elements are one in memory
    (``writer``: the node name of the op that writes)."""
    check_no_internal_overlap(arr, writer)
    if writer in _WARN_EXPANDED and _overlaps(arr):
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
