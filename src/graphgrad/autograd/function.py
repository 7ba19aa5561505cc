"""``graphgrad.autograd.Function``: custom ops with a user-written forward and backward.

A Function's backward is one more Op whose derivative calls the user's ``backward(ctx, *grads)``;
``ctx.save_for_backward`` goes through the same saved-tensor mechanism as built-in ops, so it is
version-checked and released after backward like any other.
"""

from __future__ import annotations

from .._core.fp_errors import as_user
from .._core.modes import modes
from .._dtype import is_float_np
from .._tensor import Tensor
from . import errors
from .grad_mode import no_grad
from .graph import Node, saved_attribute, user_site


class _FunctionOp:
    """Adapts a Function subclass to the Op interface the engine and Node expect."""

    saves = True
    save_inputs = ()
    save_output = False
    saved_names = ()
    stateful = False
    backward_np = None
    const_edges = ()

    def __init__(self, cls, n_outputs):
        self.cls = cls
        self.name = cls.__name__ + "Backward"
        self.forward_name = cls.__name__
        self.n_outputs = n_outputs

    def backward(self, node, *grads):
        ctx = node.state
        if ctx is None:
            raise errors.second_backward(node)
        result = as_user(self.cls.backward, ctx, *grads)  # user code: the user's NumPy error state
        if not isinstance(result, tuple):
            result = (result,)
        # Function.backward returns one gradient per forward argument; keep those for tensor inputs.
        grads_in = tuple(result[i] if i < len(result) else None for i in ctx._tensor_positions)
        return grads_in


def _node_class(fn_cls):
    """``<Function>Backward``, the class of a custom Function's nodes, as PyTorch names it (made once per Function)."""
    node_cls = fn_cls.__dict__.get("_backward_cls")
    if node_cls is None:
        name = fn_cls.__name__ + "Backward"
        node_cls = type(name, (BackwardCFunction,), {"__slots__": (), "__qualname__": name})
        fn_cls._backward_cls = node_cls
    return node_cls


class BackwardCFunction(Node):
    """A custom Function's node: as in PyTorch, ``grad_fn`` *is* the ctx (``y.grad_fn.saved_tensors``,
    attributes set in forward). Its ctx outlives backward, but the saved tensors are freed with the graph."""

    __slots__ = ("ctx",)

    def __getattr__(self, name):
        try:
            ctx = object.__getattribute__(self, "ctx")
        except AttributeError:
            ctx = None
        if ctx is not None and not name.startswith("__"):
            try:
                return getattr(ctx, name)
            except AttributeError:
                pass
        return saved_attribute(self, name)

    @property
    def saved_tensors(self):
        return self.ctx.saved_tensors

    @property
    def needs_input_grad(self):
        return self.ctx.needs_input_grad

    def release(self, by=None):
        super().release(by)
        self.ctx._saved = ()


class FunctionCtx:
    """The ``ctx`` passed to forward and backward."""

    def __init__(self):
        self._saved = ()
        self._versions = ()
        self._released = False
        self.needs_input_grad = ()
        self.non_differentiable = set()
        self.materialize_grads = True
        self._tensor_positions = ()
        self._node = None

    def save_for_backward(self, *tensors):
        self._saved = tensors
        # the creator is kept with the version, as Node.save does: after an in-place write the error names the
        # op that made the saved value and, separately, the line of the write
        self._versions = tuple((t._version_box[0], t._grad_fn) if t is not None else (None, None) for t in tensors)

    @property
    def saved_tensors(self):
        node = self._node
        if node is not None and node._released:
            raise errors.second_backward(node)
        for t, (v, creator) in zip(self._saved, self._versions):
            if t is not None and t._version_box[0] != v:
                raise errors.modified_inplace(node, t._data, creator, v, t._version_box[0], t._version_box, saved=t)
            if t is not None and len(t._version_box) > 2 and node is not None:
                errors.written_through_data(node, t._version_box, creator)
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        for t in tensors:
            t._bump_version()

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, ...)`` and ``backward(ctx, *grads)``; call ``.apply``.

    >>> import graphgrad
    >>> class Square(graphgrad.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
    >>> x = graphgrad.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).backward(); x.grad
    tensor([6.])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        tensors = [args[i] for i in positions]
        ctx._tensor_positions = positions
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        record = modes.recording and any(t._requires_grad for t in tensors)
        outs = out if isinstance(out, tuple) else (out,)
        if not record:
            return out
        op = _FunctionOp(cls, len(outs))
        node = _node_class(cls)(op, tensors, None, user_site(2), ctx)
        node.ctx = ctx
        ctx._node = node
        node._out_meta = tuple((o._data.shape, o._data.dtype) for o in outs if isinstance(o, Tensor))
        wrapped = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if any(o is t for t in tensors):
                o = Tensor._make(o._data, False, None)  # an input returned as is becomes a new output
                o._version_box = outs[i]._version_box
            if id(o) in ctx.non_differentiable or not is_float_np(o._data.dtype):
                wrapped.append(o)
                continue
            o._grad_fn = node
            o._requires_grad = True
            o._output_nr = i
            wrapped.append(o)
        return tuple(wrapped) if isinstance(out, tuple) else wrapped[0]
