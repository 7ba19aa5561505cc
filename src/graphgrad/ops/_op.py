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
import inspect
import operator
import re

import numpy as np

from .._core.fp_errors import quiet, restore
from .._core.modes import modes, recording_off
from .._dtype import FLOAT_NP, bfloat16, get_default_dtype, is_float_np, result_type
from .._from_python import from_data
from .._size import summed_dims  # noqa: F401 (imported from here by the op families)
from .._tensor import Tensor
from ..autograd.explain import note_cut
from ..autograd.graph import _Sites, node_class, raw_site, user_site

REGISTRY: dict[str, Op] = {}
_make_recorded = Tensor._make_recorded


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
        "backward_np", "needed_by", "save_as", "node_class", "refuses_bools", "one_array", "saves_input_only",
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
        self.forward_name = re.sub(r"Backward\d*$", "", name.rsplit("::", 1)[-1])
        self.forward = forward
        self.backward = backward
        letters = "abcdefgh"
        if isinstance(save, str):
            save = ("out",) if save == "out" else tuple(save)
        self.save_inputs = tuple(letters.index(s) for s in save if s != "out")
        self.save_output = "out" in save
        self.saves_input_only = self.save_inputs == (0,) and not self.save_output  # (and no state: one_array)
        self.stateful = stateful
        self.saves = bool(save) or stateful
        self.saved_names = saved_names or tuple(
            ("result" if s == "out" else ("self", "other")[letters.index(s)] if s in "ab" else s)
            for s in save
        )
        # the class of its nodes: type(grad_fn).__name__ is PyTorch's name; grad_fn._saved_<name> reads what it saved
        # and the keyword arguments it ran with
        keywords, open_ended = _keywords_of(forward)
        self.node_class = node_class(name, self.saved_names + keywords, open_ended)
        self.promote = promote
        self.view = view
        self.n_outputs = n_outputs
        # apply_one's short path applies: one array in, one array out, no state, not a view
        self.one_array = not stateful and not view and n_outputs == 1
        # PyTorch lists an edge (None, 0) for each constant operand (x * 2 has two next_functions)
        self.const_edges = ((None, 0),) * const_args
        self.scalar = None  # optional variant taking a Python number as kwarg "other" (no wrapping)
        key, i = name, 2
        while key in REGISTRY:  # several ops may share PyTorch's node name (e.g. PowBackward0)
            key, i = f"{name}.{i}", i + 1
        REGISTRY[key] = self

    def __repr__(self):
        return f"Op({self.name})"

def _keywords_of(forward):
    """(the names of ``forward``'s parameters, whether it also takes ``**kwargs``)."""
    if forward is None:
        return (), False
    try:
        params = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):  # a callable without a signature: only its keyword arguments stay unnamed
        return (), True
    named = tuple(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


def _tie_bw(n, gg):
    shape, dt = n._in_meta[1]
    return gg, Tensor._make(np.zeros(shape, dt), False, None)


_TIES: dict = {}


def depends_on(grad, saved, name, underivable=None):
    """``grad``, requiring grad when ``saved`` does: PyTorch computes some first derivatives as a function of
    (grad, saved tensor) whose own derivative in the saved tensor is zero (relu's threshold_backward, the
    pooling backwards), and gradient-penalty code relies on the result requiring grad. The node passes the
    gradient through, under the name of PyTorch's node (``name``). ``underivable``: the PyTorch kernel whose
    derivative PyTorch does not implement (hardsigmoid_backward), or the error PyTorch raises for it: going back
    through the node raises."""
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
    if isinstance(kernel, Exception):
        raise type(kernel)(*kernel.args)
    raise RuntimeError(f"derivative for aten::{kernel} is not implemented")


_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_BF16 = bfloat16.np  # None without ml_dtypes



_ARRAY = operator.attrgetter("_data")  # (mapped over an op's inputs: C, no Python frame)


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
    token = quiet()  # NaN and inf silently, as PyTorch makes them (see _core/fp_errors.py)
    try:
        # an op computing on a bfloat16 input (not a view of one, not a cast to an explicit dtype); every op asks,
        # so the test is an identity check per input (NumPy hands out one bfloat16 dtype object)
        bf16 = False
        if _BF16 is not None:
            for t in inputs:  # (a loop in this frame: a generator would be one more)
                if t._data.dtype is _BF16:
                    bf16 = not op.view and kwargs.get("dtype") is None
                    break
        if bf16:
            res = _forward_bfloat16(op, inputs, kwargs)
        elif n_in == 1:
            arr = inputs[0]._data
            if op.promote == "float" and arr.dtype not in FLOAT_NP:
                arr = arr.astype(get_default_dtype().np)
            res = op.forward(arr, **kwargs)
        elif n_in == 2 and (op.promote is None or inputs[0]._data.dtype == inputs[1]._data.dtype != np.bool_):
            a = inputs[0]._data
            if op.promote == "float" and a.dtype not in FLOAT_NP:
                res = op.forward(a.astype(get_default_dtype().np), inputs[1]._data.astype(get_default_dtype().np),
                                 **kwargs)
            else:
                res = op.forward(a, inputs[1]._data, **kwargs)
        elif op.promote is not None:
            same = inputs[0]._data.dtype
            for t in inputs:
                if t._data.dtype != same:
                    same = None
                    break
            if same is not None and (op.promote != "float" or same in FLOAT_NP):  # (the usual case: one dtype)
                res = op.forward(*map(_ARRAY, inputs), **kwargs)
            else:
                cast = _target_dtype(op, inputs)
                res = op.forward(*[t._data if t._data.dtype == cast else t._data.astype(cast) for t in inputs],
                                 **kwargs)
        else:
            res = op.forward(*map(_ARRAY, inputs), **kwargs)
    finally:
        restore(token)
    state = None
    if op.stateful:
        res, state = res
    record = False
    if recording_off[0] == 0 or modes.recording:
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
    if record and res.dtype not in FLOAT_NP:
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
    out = _make_recorded(res, node)
    if op.view:
        _as_view(out, inputs[0], op, kwargs, None)
    if op.saves:
        node.save(inputs, out)
    return out


def apply_one(op, x, kwargs, other=None):
    """``apply(op, x, **kwargs)`` for one Tensor ``x``: the entry of the operators with a number and of the
    one-tensor functions (``x * 2``, ``x.sin()``), the commonest calls. A float tensor that is not a view, an
    op of one output, take the short path below; everything else goes through ``apply``. ``other``: the
    number of ``x * 2`` (also in ``kwargs``), handed to the forward by position, which is cheaper."""
    arr = x._data
    if arr.dtype.kind != "f" or x._view is not None or not op.one_array:
        return apply(op, x, **kwargs)
    token = quiet()
    try:
        res = (op.forward(arr, other) if other is not None else op.forward(arr, **kwargs) if kwargs
               else op.forward(arr))
    finally:
        restore(token)
    if res.__class__ is not np.ndarray:
        res = np.asarray(res)
    if not (x._requires_grad and (recording_off[0] == 0 or modes.recording)) or res.dtype.kind != "f":
        out = Tensor._make(res, False, None)
        if _Sites.enabled and not modes.in_backward:
            note_cut(out, (x,))
        return out
    site = raw_site(3) if _Sites.enabled else None  # from apply_one's caller's caller
    inputs = (x,)
    node = op.node_class(op, inputs, kwargs, site, None)
    out = _make_recorded(res, node)
    if op.saves:
        if op.saves_input_only:  # Node.save's work for the commonest case (sin, log, ...), spelt out
            node._saved = inputs
            node._versions = ((x._version_box[0], x._grad_fn),)
        else:
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
    layout = base._layout
    if layout is not None:  # the base was reshaped in place (t_, squeeze_...) before: remember which layout
        out._base_layout = layout
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


# --- the memory a view shares, and the region it covers ------------------------------------------
# A view (x[0], x.t(), x.view(...)) shares its base's memory; ``_view = (base, op, kwargs, output index)`` on
# each view leads back to the tensor that owns it. In-place writes through views (ops/_inplace.py) and a
# stale view's regenerated history (AsStridedBackward0, below) both follow that chain.
def view_root(t):
    """The tensor that owns the memory, and the chain of view ops that lead from it to ``t``.

    A base given a new layout in place (``y.t_()``) after a view was made is followed as it was then (its
    twin in ``_layout``), so the view's chain still selects the same elements. A non-view base that changed
    so is itself the root: the ops undoing its changes lead from its layout now to the one the view saw.
    """
    chain = []
    while t._view is not None:
        base, op, kwargs, idx = t._view
        chain.append((op, kwargs, idx))
        made_on = t._base_layout
        t = base
        while t._layout is not made_on:
            t = t._layout
    if t._superseded is not None:  # (a twin of a non-view: lead from the tensor it became back to it)
        twin, t = t, t._superseded
        undo = []
        state = t
        while state is not twin:
            state = state._layout
            undo.append(state._superseded_undo)
        chain.extend(reversed(undo))
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


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "bfloat16": "BFloat16"}


# the C++ type names some of PyTorch's messages use
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "bfloat16": "c10::BFloat16"}


def _torch_name(np_dtype):
    return _TORCH_NAMES.get(np.dtype(np_dtype).name, str(np_dtype))


def c_type_name(np_dtype):
    """The dtype (or its NumPy name) as PyTorch's C++ messages spell it (its TypeMeta name: ``long int``,
    ``float``)."""
    name = np_dtype if isinstance(np_dtype, str) else np.dtype(np_dtype).name
    return _C_NAMES.get(name, name)


def c_order(x):
    """x in C order, copied only when it is not (np.ascontiguousarray would make a 0-d array 1-d)."""
    return x if x.flags.c_contiguous else x.copy(order="C")


def const(arr):
    """An ndarray as a Tensor that needs no gradient (a constant in a graph)."""
    return Tensor._make(arr, False, None)


def as_tensor_like(x, like):
    """A Python scalar (or array) as a constant Tensor, with the dtype PyTorch would promote to."""
    if isinstance(x, Tensor):
        return x
    dt = like._data.dtype
    if isinstance(x, (bool, int, float, np.number, np.bool_)):
        kind = dt.kind
        if isinstance(x, (float, np.floating)) and kind != "f":
            dt = get_default_dtype().np
        elif isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) and kind == "b":
            dt = np.dtype(np.int64)
        try:
            arr = np.array(x, dtype=dt)
        except OverflowError:  # int8 tensor * 1000: PyTorch wraps the number around, as a C cast does
            arr = np.array(x).astype(dt)
        return Tensor._make(arr, False, None)
    return Tensor._make(np.asarray(x), False, None) if isinstance(x, np.ndarray) else from_data(x)


def check_broadcast(a_shape, b_shape):
    """The shape ``a_shape`` and ``b_shape`` broadcast to; PyTorch's broadcast error if they don't."""
    try:
        return np.broadcast_shapes(a_shape, b_shape)
    except ValueError:
        raise broadcast_error(a_shape, b_shape) from None


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
