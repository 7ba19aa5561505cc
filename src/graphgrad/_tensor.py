"""Tensor: an ndarray plus what autograd needs (requires_grad, grad, grad_fn, a version counter).

Ops are not defined here: each family in ``graphgrad.ops`` attaches its methods (``x.sum()``,
``x + y``) to this class, so that this file stays about the tensor's own state and its autograd API.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _dtype
from ._core.hooks import HookDict as _HookDict
from ._core.hooks import RemovableHandle
from ._core.layouts import strided
from ._core.modes import InferenceBox, check_inference_inplace, modes, recording_off
from ._core.sites import _Sites, order, user_site
from ._device import check_device, device
from ._repr import tensor_repr
from ._size import Size

# What Tensor's own methods need from the floors above it, bound once by graphgrad/__init__.py (the attachment
# point): the graph explanations after PyTorch's error texts, the regeneration of a stale view's history (read by
# grad_fn) and the cast op that to() records.
explain = None  # graphgrad.autograd.explain
refresh_view = None  # graphgrad.ops._op.refresh_view
cast = None  # graphgrad.ops.copy.cast

_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
    "for more information."
)


class _Extra:
    """Rarely used per-tensor state, kept off the hot path: hooks, retain_grad, a name."""

    __slots__ = ("hooks", "retains_grad", "post_acc_hooks", "name", "cut", "made")

    def __init__(self):
        self.hooks = None
        self.retains_grad = False
        self.post_acc_hooks = None
        self.name = None
        self.cut = None  # why this tensor has no history: ("detach"|"no_grad"|..., site)
        self.made = None  # where a leaf came from: ("tensor"|"from_numpy", site, source) or ("frozen", site)


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    >>> import graphgrad
    >>> x = graphgrad.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4.])
    """

    # Every tensor sets these four; the rest are class-level defaults that a tensor stores (in its
    # __dict__) only when it differs: creating a tensor is on every op's path.
    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_version_box", "_view", "_output_nr", "__dict__",
                 "__weakref__")
    _grad = None  # .grad of a leaf (or of a non-leaf with retain_grad)
    _data_of = None  # for a tensor returned by .data: the version box of the tensor it was taken from
    _grad_accumulator = None  # weak reference to a leaf's AccumulateGrad node
    _extra = None  # rarely used state: hooks, retain_grad, name, where history was cut
    _view_version = 0  # for a view: the version at which its grad_fn was set (older: regenerated, ops._op.refresh_view)
    _view_meta = 0  # for a view: made in no_grad mode, or by an op returning several views (ops._op._as_view)
    # in-place views (t_, squeeze_...) change a tensor's layout; views made earlier must still be found from the
    # layout they were made on (ops._op.view_root):
    _layout = None  # the tensor as it was before its last in-place view (a twin), None if never
    _base_layout = None  # for a view: its base's _layout when the view was made
    _superseded = None  # for such a twin of a non-view: the tensor it became
    _superseded_undo = None  # and the view op (op, kwargs, None) that undoes the change made to it
    # numpy must hand binary ops with a Tensor back to us (ndarray * Tensor -> Tensor.__rmul__).
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *data, dtype=None, device=None, requires_grad=False):
        # The legacy constructor: graphgrad.Tensor([1, 2]) is float32, graphgrad.Tensor(2, 3) a shape.
        if len(data) == 1 and not isinstance(data[0], (int, np.integer)):
            arr = np.array(data[0]._data if isinstance(data[0], Tensor) else data[0])
            arr = arr.astype(_dtype.to_dtype(dtype or _dtype.get_default_dtype()).np, copy=False)
        else:
            arr = np.zeros(tuple(int(d) for d in data), dtype=_dtype.get_default_dtype().np)
        self._init(arr, False, None)
        if requires_grad:
            factory_requires_grad(self)

    def _init(self, arr, rg, fn):
        self._data = arr
        self._requires_grad = rg
        self._grad_fn = fn
        # [version, where it was last written in place], shared with views (an InferenceBox in inference mode)
        self._version_box = [0, None] if not modes.inference else InferenceBox((0, None))
        self._view = None  # for a view: (base, view op, its kwargs, output index), see ops._op.view_root
        self._output_nr = 0  # which output of grad_fn this tensor is

    @staticmethod
    def _make(arr, rg, fn):
        if arr.__class__ is not np.ndarray:
            arr = np.asarray(arr)  # NumPy turns 0-d results into scalars (np.float32): a Tensor always holds an array
        t = _new(Tensor)
        t._data = arr
        t._requires_grad = rg
        t._grad_fn = fn
        # (no thread records in inference mode: while all do, none is in it, and the flag needs no read)
        t._version_box = ([0, None] if recording_off[0] == 0 or not modes.inference
                          else InferenceBox((0, None)))
        t._view = None
        t._output_nr = 0
        return t

    @staticmethod
    def _make_recorded(arr, fn):
        """``_make(arr, True, fn)`` for the output of a recorded op (``ops._op.apply``, ``apply_one``): ``arr`` is an
        ndarray, and ops record only outside inference mode, so the version box is a plain list."""
        t = _new(Tensor)
        t._data = arr
        t._requires_grad = True
        t._grad_fn = fn
        t._version_box = [0, None]
        t._view = None
        t._output_nr = 0
        return t

    def _bump_version(self, writer=None):
        """Count an in-place write; keep where it was made (and by which op, ``writer``: its node's name)."""
        box = self._version_box
        if box.__class__ is not list:
            check_inference_inplace(self)
        box[0] += 1
        if _Sites.enabled:
            site = user_site(3)
            box[1] = site if writer is None or site is None else (*site, writer)
        owner = self._data_of
        if owner is None and self._view is not None:  # a view of a .data tensor writes through .data too
            root = self
            while root._view is not None:
                root = root._view[0]
            owner = root._data_of
        if owner is not None:  # a write through .data: noted on the tensor whose memory it is
            noted = (next(order), box[1])
            if len(owner) == 2:
                owner.append(noted)
            else:
                owner[2] = noted

    def _ensure_extra(self):
        if self._extra is None:
            self._extra = _Extra()
        return self._extra

    # --- metadata ---------------------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self._data.shape[self._wrap_dim(dim)]

    def _wrap_dim(self, dim):
        n = self._data.ndim
        lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
        if not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return dim % n if n else 0

    def dim(self):
        return self._data.ndim

    @property
    def ndim(self):
        return self._data.ndim

    def ndimension(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return device("cpu")

    # what kind of tensor this is, as PyTorch reports it: a dense tensor on the CPU
    is_cuda = is_mps = is_xpu = is_ipu = is_xla = is_mtia = is_maia = is_hpu = is_meta = is_vulkan = property(
        lambda self: False)
    is_mkldnn = is_quantized = is_nested = is_sparse = property(lambda self: False)
    is_cpu = property(lambda self: True)

    layout = property(lambda self: strided)  # a SparseTensor says sparse_coo

    def is_floating_point(self):
        return _dtype.is_float_np(self._data.dtype)

    def is_complex(self):
        return False

    def is_contiguous(self, memory_format=None):
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        return memory_format.holds(self._data)

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[self._wrap_dim(dim)]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self):
        return self._data.base if self._data.base is not None else self._data

    def get_device(self):
        return -1

    @property
    def _version(self):
        if self._version_box.__class__ is InferenceBox:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._version_box[0]

    def is_inference(self):
        """Whether this tensor was made in inference mode (or is a view of such a tensor)."""
        return self._version_box.__class__ is InferenceBox

    # --- autograd state ---------------------------------------------------------------------------
    @property
    def _base(self):
        """For a view, the tensor that owns its memory (PyTorch's ``_base``); None otherwise."""
        if self._view is None:
            return None
        t = self._view[0]
        while t._view is not None:
            t = t._view[0]
        return t

    @property
    def requires_grad(self):
        # a view requires grad when its base does, as in PyTorch, also one made under no_grad (it stays a
        # leaf with no grad_fn; ops on it record nodes, whose edges to it lead nowhere)
        return self._requires_grad or (self._view is not None and self._base._requires_grad)

    @requires_grad.setter
    def requires_grad(self, value):
        if self._grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables."
                + ("" if value else " If you want to use a computed variable in a subgraph that doesn't require "
                   "differentiation use var_no_grad = var.detach().") + explain.not_a_leaf(self, value)
            )
        if value and not _dtype.is_float_np(self._data.dtype):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if value and self._version_box.__class__ is InferenceBox and not modes.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        if _Sites.enabled and bool(value) != self._requires_grad:
            # where a leaf was made to require grad (a requires_grad=True tensor, a layer's construction) or
            # frozen: errors about the leaf name that line
            extra = self._ensure_extra()
            if not value:
                extra.made = ("frozen", user_site(2))
            elif extra.made is None or extra.made[0] == "frozen":
                extra.made = ("requires_grad", user_site(2))
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                            f"{type(requires_grad).__name__}")
        if requires_grad and not _dtype.is_float_np(self._data.dtype) and self._grad_fn is None:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")  # PyTorch's shorter text
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        if self._view is not None and self._view_version != self._version_box[0]:
            refresh_view(self)  # its base was written in place since its grad_fn was set
        return self._grad_fn

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        # PyTorch warns only while the non-leaf has no .grad (backward(inputs=[h]) fills it: no warning)
        if self._grad_fn is not None and self._grad is None and not (
                self._extra is not None and self._extra.retains_grad):
            warnings.warn(_NON_LEAF_GRAD_WARNING + explain.non_leaf_grad_hint(self), UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {list(value._data.shape)} vs "
                    f"{list(self._data.shape)}"
                )
        self._grad = value

    @property
    def retains_grad(self):
        return self._extra is not None and self._extra.retains_grad

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def name(self):
        return None if self._extra is None else self._extra.name

    @name.setter
    def name(self, value):
        self._ensure_extra().name = value

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf after backward (a no-op on leaves)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None:
            return
        self._ensure_extra().retains_grad = True
        import weakref

        node = self._grad_fn
        if node._retain is None:
            node._retain = {}
        node._retain[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """``hook(grad)`` runs when the gradient for this tensor is computed; it may return a new one.

        >>> import graphgrad
        >>> x = graphgrad.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> x.sum().backward(); x.grad
        tensor([2., 2.])
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            extra = self._ensure_extra()
            if extra.hooks is None:
                extra.hooks = _HookDict()
            hooks = extra.hooks
        else:
            node = self._grad_fn
            if node._tensor_hooks is None:
                node._tensor_hooks = {}
            hooks = node._tensor_hooks.setdefault(self._output_nr, _HookDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after the gradient was accumulated into this leaf's ``.grad``."""
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        extra = self._ensure_extra()
        if extra.post_acc_hooks is None:
            extra.post_acc_hooks = _HookDict()
        handle = RemovableHandle(extra.post_acc_hooks)
        extra.post_acc_hooks[handle.id] = hook
        return handle

    def detach(self):
        """A tensor sharing this one's memory and version counter, with no history."""
        out = Tensor._make(self._data, False, None)
        out._version_box = self._version_box
        if self._requires_grad and _Sites.enabled:
            out._ensure_extra().cut = ("detach", user_site(2))
        return out

    def detach_(self):
        if self._view is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
                "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
                "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    @property
    def data(self):
        # Same memory, no history and its own version counter: writes through .data go unchecked, as in
        # PyTorch. It remembers whose version box it shares memory with, so that a write through it is noted
        # there and backward can warn when a saved tensor was changed this way (errors.written_through_data).
        t = Tensor._make(self._data, False, None)
        if self._version_box.__class__ is list:
            t._data_of = self._version_box if self._data_of is None else self._data_of  # (x.data.data: still x's)
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    # --- conversion -------------------------------------------------------------------------------
    def to_dense(self, dtype=None, *, masked_grad=None):
        """The tensor itself: it is dense already (a SparseTensor makes its dense form)."""
        return self if dtype is None else self.to(dtype)

    def numpy(self, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead." + explain.numpy_requires_grad(self))
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
                "at the moment.  If you were attempting to deepcopy a module, this may be because of a "
                "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        new = type(self).__new__(type(self))
        Tensor._init(new, self._data.copy(), self._requires_grad, None)
        if self._grad is not None:
            new._grad = Tensor._make(self._grad._data.copy(), False, None)
        memo[id(self)] = new
        return new

    # --- dtype / device conversion ----------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(other_tensor)``, ``to(memory_format=...)``; a cast is recorded in
        the graph."""
        if memory_format is not None and memory_format.name != "preserve_format":
            out = self.to(*args, dtype=dtype, device=device, copy=copy)
            return out.clone(memory_format=memory_format) if not memory_format.holds(out._data) else out
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (bool, float)):  # PyTorch reads a Python number's type: 5.0 -> float64
                dtype = _dtype.bool_ if isinstance(a, bool) else _dtype.float64
            elif isinstance(a, (_dtype.dtype, type)) or (isinstance(a, np.dtype)):
                dtype = a
            elif a is not None:
                    check_device(a)  # only the CPU holds tensors: anything else raises as a CPU-only PyTorch
        if device is not None:
            check_device(device)
        if dtype is None:
            return self.clone() if copy else self
        return cast(self, _dtype.to_dtype(dtype), copy=copy)

    def type(self, dtype=None):
        if dtype is None:
            return f"torch.{self.dtype._legacy}"
        if isinstance(dtype, str):
            dtype = dtype.rsplit(".", 1)[-1]
            legacy = {d._legacy: d for d in _dtype._ALL}
            dtype = legacy.get(dtype, dtype)
        return self.to(dtype)

    def type_as(self, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        return self.to(other.dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def bfloat16(self):
        return self.to(_dtype.bfloat16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def char(self):
        return self.to(_dtype.int8)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool_)

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        check_device(device if isinstance(device, int) else "cuda")  # an index: PyTorch's RuntimeError

    def pin_memory(self, device=None):
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def share_memory_(self):
        return self


_new = object.__new__


def _rebuild(arr, rg):
    t = Tensor._make(arr, False, None)
    t._requires_grad = rg
    return t


def factory_requires_grad(t):
    """``requires_grad=True`` given to a factory (or Parameter): PyTorch's capitalised text for integers."""
    if not _dtype.is_float_np(t._data.dtype):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t.requires_grad_(True)
    return t
