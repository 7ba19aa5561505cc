"""Shape ops: views (reshape, transpose, expand, ...) share memory and the version counter; cat/stack copy."""

from __future__ import annotations

import functools
import math

import numpy as np

from .._constants import contiguous_format, preserve_format
from .._core.sites import warn_once_at_user_line
from .._dtype import dtype as _dtype_cls
from .._dtype import from_numpy_dtype, get_default_dtype
from .._size import wrap_dim, wrap_dims
from .._tensor import Tensor
from ..autograd.graph import warn_at_user_line
from ._args import missing_args_error
from ._export import export
from ._inplace import view_inplace_form
from ._op import Op, _torch_name, apply, c_order
from .copy import CLONE, passed_through
from .index import ALIAS, SLICE, index_select


def parse_shape(args):
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        return tuple(int(a) for a in args)
    except TypeError:
        raise TypeError(f"shape must be a sequence of ints, got {args!r}") from None


def infer_shape(shape, numel, input_shape=None):
    """Resolve one ``-1`` and check the element count, with PyTorch's error text (and the input's shape)."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise _invalid_shape(shape, numel, input_shape)
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise _invalid_shape(shape, numel, input_shape)
    return shape


def _invalid_shape(shape, numel, input_shape):
    extra = f" (the input's shape is {list(input_shape)})" if input_shape is not None else ""
    return RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}" + extra)


# --- reshape / view -------------------------------------------------------------------------------
# Each view has its derivative in graphgrad ops (the definition, what double backward runs) and on the arrays
# (``backward_np``, taken when no graph of the gradient is built; one function serves both where Tensors and
# arrays share the method). On arrays it is a view of the gradient too, or a copy where NumPy's reshape needs one.
def _reshape(a, shape):
    return a.reshape(shape)


def _unshape_bw(n, g):
    """The gradient of any reshaping view (view, reshape, squeeze, unsqueeze): back to the input's shape.
    Tensors and arrays reshape alike, so this one function is both derivatives."""
    return g.reshape(n._in_meta[0][0])


RESHAPE = Op("ViewBackward0", _reshape, _unshape_bw, view=True, backward_np=_unshape_bw)
RESHAPE_COPY = Op("UnsafeViewBackward0", _reshape, _unshape_bw, backward_np=_unshape_bw)


@export("view", function=False)
def view(self, *shape):
    """Same memory, new shape; fails where memory isn't laid out for it, as PyTorch does."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        return _view_dtype(self, shape[0])
    shape = infer_shape(parse_shape(shape), self._data.size, self._data.shape)
    if shape == self._data.shape:
        return apply(RESHAPE, self, shape=shape)
    try:
        np.reshape(self._data, shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return apply(RESHAPE, self, shape=shape)


@export("reshape")
def reshape(input, *shape):
    """A view when the memory allows it, else a copy."""
    shape = infer_shape(parse_shape(shape), input._data.size, input._data.shape)
    if input._data.flags.c_contiguous or input._data.ndim <= 1:
        return apply(RESHAPE, input, shape=shape)
    try:
        np.reshape(input._data, shape, copy=False)
        return apply(RESHAPE, input, shape=shape)
    except ValueError:
        return apply(RESHAPE_COPY, input, shape=shape)


def _view_dtype(self, dtype):
    """``x.view(dtype)``: the same bytes read as another dtype (no gradient flows through it)."""
    if not isinstance(dtype, _dtype_cls):
        raise TypeError(f"view(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    arr = self._data
    if self._data.ndim == 0 and dtype.itemsize != arr.itemsize:
        raise RuntimeError("self.dim() cannot be 0 to view " + repr(from_numpy_dtype(arr.dtype)).split(".")[-1]
                           + " as " + repr(dtype).split(".")[-1] + " (different element sizes)")
    try:
        out = arr.view(dtype.np)
    except ValueError as e:
        raise RuntimeError(str(e)) from None
    t = Tensor._make(out, False, None)
    t._version_box = self._version_box
    return t


@export("view_as", function=False)
def view_as(self, other):
    return view(self, other._data.shape)


@export("reshape_as", function=False)
def reshape_as(self, other):
    return reshape(self, other._data.shape)


@export("flatten")
def flatten(input, start_dim=0, end_dim=-1):
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


@export("ravel")
def ravel(input):
    return contiguous(input).view(-1)  # PyTorch's composition: CloneBackward0 when a copy is needed


@export("unflatten")
def unflatten(input, dim, sizes):
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    known = math.prod(s for s in sizes if s != -1)
    if (-1 not in sizes and known != shape[d]) or (-1 in sizes and (known == 0 or shape[d] % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({shape[d]}) in the input tensor")
    sizes = infer_shape(sizes, shape[d])
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


_reshaping_view = functools.partial(Op, forward=_reshape, backward=_unshape_bw, view=True, backward_np=_unshape_bw)


SQUEEZE = _reshaping_view("SqueezeBackward0")
SQUEEZE_DIM = _reshaping_view("SqueezeBackward1")
SQUEEZE_DIMS = _reshaping_view("SqueezeBackward2")
UNSQUEEZE = _reshaping_view("UnsqueezeBackward0")
# the in-place overloads (x.squeeze_(), x.squeeze_(dim), x.squeeze_(dims), x.unsqueeze_(dim)): their own node names
_SQUEEZE_IN_PLACE = {op: _reshaping_view(f"SqueezeBackward{k}") for op, k in ((SQUEEZE, 3), (SQUEEZE_DIM, 4),
                                                                               (SQUEEZE_DIMS, 5))}
_UNSQUEEZE_IN_PLACE = {UNSQUEEZE: _reshaping_view("UnsqueezeBackward1")}


def squeeze(input, dim=None):
    """Drop size-1 dimensions (all, or those in ``dim``)."""
    shape = input._data.shape
    dims = wrap_dims(dim, len(shape)) if dim is not None else tuple(range(len(shape)))
    new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    # PyTorch names the node after the overload: squeeze(), squeeze(dim), squeeze(dims)
    op = SQUEEZE if dim is None else SQUEEZE_DIM if isinstance(dim, (int, np.integer)) else SQUEEZE_DIMS
    return apply(op, input, shape=new)


export("squeeze", inplace=True, inplace_form=view_inplace_form(squeeze, _SQUEEZE_IN_PLACE))(squeeze)


def unsqueeze(input, dim):
    shape = input._data.shape
    d = wrap_dim(dim, len(shape) + 1)
    return apply(UNSQUEEZE, input, shape=shape[:d] + (1,) + shape[d:])


export("unsqueeze", inplace=True, inplace_form=view_inplace_form(unsqueeze, _UNSQUEEZE_IN_PLACE))(unsqueeze)


# --- permutations ---------------------------------------------------------------------------------
def _permute(a, dims):
    return a.transpose(dims)


def _inverse(dims):
    """The permutation that undoes ``dims`` (the gradient of ``x.permute(dims)`` is ``g.permute(_inverse(dims))``)."""
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return tuple(inverse)


def _permute_bw(n, g):
    return g.permute(_inverse(n.kwargs["dims"]))


def _permute_bw_np(n, g):
    return g.transpose(_inverse(n.kwargs["dims"]))


_permuting_view = functools.partial(Op, forward=_permute, backward=_permute_bw, view=True, backward_np=_permute_bw_np)


PERMUTE = _permuting_view("PermuteBackward0")
TRANSPOSE = _permuting_view("TransposeBackward0")
T_OP = Op("TBackward0", _permute, lambda n, g: g.t(), view=True, backward_np=lambda n, g: g.T)
_TRANSPOSE_IN_PLACE = {TRANSPOSE: _permuting_view("TransposeBackward1")}
_T_IN_PLACE = {T_OP: Op("TBackward1", _permute, T_OP.backward, view=True, backward_np=T_OP.backward_np)}


@export("permute")
def permute(input, *dims):
    """PyTorch's checks in its order: the number of dims first (its text names sparse_coo for every layout), then
    each dim in turn, wrapped (out of range: IndexError) and not seen before."""
    dims = parse_shape(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(dims)}"
        )
    wrapped = []
    for d in dims:
        d = wrap_dim(d, n)
        if d in wrapped:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        wrapped.append(d)
    return apply(PERMUTE, input, dims=tuple(wrapped))


def transpose(input, dim0, dim1):
    n = input._data.ndim
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    dims = list(range(n))
    if n:  # a 0-d tensor accepts dims 0 and -1 and has nothing to swap
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return apply(TRANSPOSE, input, dims=tuple(dims))


export("transpose", "swapaxes", "swapdims", inplace=True,
       inplace_form=view_inplace_form(transpose, _TRANSPOSE_IN_PLACE))(transpose)


def _transposed_matrix(name):
    """``t`` or the view ``t_`` runs (its error names the method called)."""

    def t(input):
        n = input._data.ndim
        if n > 2:
            raise RuntimeError(f"{name}() expects a tensor with <= 2 dimensions, but self is {n}D")
        return apply(T_OP, input, dims=tuple(reversed(range(n))))

    return t


t = export("t", inplace=True, inplace_form=view_inplace_form(_transposed_matrix("t_"), _T_IN_PLACE))(
    _transposed_matrix("t"))


@export("movedim", "moveaxis")
def movedim(input, source, destination):
    n = input._data.ndim
    src = wrap_dims(source, n)
    dst = wrap_dims(destination, n)
    if n == 0:  # PyTorch aliases a 0-d tensor
        return apply(ALIAS, input, idx=())
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, tuple(order))


_WARNED = set()


def _warn_once(key, message):
    """PyTorch's TORCH_WARN_ONCE: a UserWarning the first time in the process, then never again."""
    if key not in _WARNED:
        _WARNED.add(key)
        warn_at_user_line(message)


def _matrix_transpose(input, name):
    """``x.mT``, ``x.mH`` and ``x.adjoint()``: the last two dimensions swapped (real tensors: mH == mT)."""
    n = input._data.ndim
    if n == 0:
        _warn_once(name, f"{name} is deprecated on 0-D tensors. " + (
            "This function is the identity in these cases." if name == "Tensor.mT" else "Consider using x.conj()."))
        return input
    if n == 1:
        what = "tensor.adjoint()" if name == "adjoint()" else name.replace("Tensor", "tensor")
        raise RuntimeError(f"{what} is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(input, -2, -1)


@export("adjoint")
def adjoint(input):
    return _matrix_transpose(input, "adjoint()")


def mT(input):  # noqa: N802  (PyTorch's name)
    return _matrix_transpose(input, "Tensor.mT")


def mH(input):  # noqa: N802
    return _matrix_transpose(input, "Tensor.mH")


def T(input):  # noqa: N802
    """``x.T``: all dimensions reversed (deprecated by PyTorch for ndim other than 2, with a warning)."""
    n = input._data.ndim
    if n == 0:
        _warn_once("Tensor.T0", "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")
    elif n > 2:
        _warn_once("Tensor.T", "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                   "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose batches "
                   "of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                   "tensor.")
    return permute(input, tuple(reversed(range(n))))


def H(input):  # noqa: N802
    """``x.H``: the conjugate transpose of a matrix (real tensors: the transpose)."""
    n = input._data.ndim
    if n == 0:
        _warn_once("Tensor.H", "Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")
        return input
    if n != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if n > 2 else ""))
    return transpose(input, 0, 1)


# --- expand / repeat / flip -----------------------------------------------------------------------
EXPAND = Op("ExpandBackward0", lambda a, shape: np.broadcast_to(a, shape), passed_through, view=True,
            backward_np=passed_through)


@export("expand", function=False)
def expand(self, *sizes):
    """Broadcast to a larger shape without copying (``-1`` keeps a dimension)."""
    sizes = parse_shape(sizes)
    shape = self._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    for i in range(len(sizes) - 1, lead - 1, -1):  # PyTorch checks from the last dimension
        s, old = sizes[i], shape[i - lead]
        if s != -1 and old != s and old != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({old}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
    new = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            new.append(s)
            continue
        old = shape[i - lead]
        if s == -1:
            s = old
        elif old != s and old != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({old}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        new.append(s)
    return apply(EXPAND, self, shape=tuple(new))  # a new node even for the same shape, as PyTorch


@export("expand_as", function=False)
def expand_as(self, other):
    return expand(self, other._data.shape)


@export("broadcast_to")
def broadcast_to(input, shape):
    return expand(input, tuple(shape))


def _repeat_bw(n, g):
    reps = n.kwargs["reps"]
    shape = n._in_meta[0][0]
    shape = (1,) * (len(reps) - len(shape)) + tuple(shape)
    inter = []
    for r, s in zip(reps, shape):
        inter += [r, s]
    g = g.reshape(tuple(inter)).sum(tuple(range(0, 2 * len(reps), 2)))
    return g.reshape(n._in_meta[0][0])


REPEAT = Op("RepeatBackward0", lambda a, reps: np.tile(a, reps), _repeat_bw)


@export("repeat", function=False)
def repeat(self, *reps):
    reps = parse_shape(reps)
    if len(reps) < self._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return apply(REPEAT, self, reps=reps)


def _dims_from(name, args, dims):
    """The methods take ``x.flip(0, 1)``, ``x.flip((0, 1))`` and ``x.flip(dims=(0, 1))`` for the dims (0, 1)
    (the functions take a tuple only, as PyTorch's)."""
    where = "" if dims is not None else " (position 1)"
    if dims is None:
        if not args:
            raise missing_args_error(name, ["dims"])
        dims = args[0] if len(args) == 1 else args
        if isinstance(dims, (int, np.integer)):
            dims = (dims,)
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dims'{where} must be tuple of ints, not {type(dims).__name__}")
    for i, d in enumerate(dims):
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"{name}(): argument 'dims' failed to unpack the object at pos {i + 1} with error "
                            f'"type must be tuple of ints,but got {type(d).__name__}"')
    return tuple(dims)


@export("tile", function=False)
def _tile_method(self, *args, dims=None):
    return tile(self, _dims_from("tile", args, dims))


@export("tile", method=False)
def tile(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if any(d < 0 for d in dims):
        reps = (1,) * (input._data.ndim - len(dims)) + dims
        shape = (1,) * (len(reps) - input._data.ndim) + input._data.shape
        out = [s * r for s, r in zip(shape, reps)]
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {out}")
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


@export("repeat_interleave")
def repeat_interleave(input, repeats, dim=None):
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = wrap_dim(dim, input._data.ndim)
    reps = repeats._data if isinstance(repeats, Tensor) else int(repeats)
    if isinstance(repeats, Tensor):  # (PyTorch's kernel counts with an integer tensor of one size per index)
        if reps.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{_torch_name(reps.dtype)}'")
        if reps.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if reps.ndim == 1 and reps.shape[0] not in (1, input._data.shape[d]):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{reps.shape[0]} and input.size({d}) = {input._data.shape[d]}")
    if np.any(np.asarray(reps) < 0):
        tensor_repeats = isinstance(repeats, Tensor)
        raise RuntimeError("repeats can not be negative" if tensor_repeats else "Repeats must be non-negative")
    idx = np.repeat(np.arange(input._data.shape[d]), reps)
    return index_select(input, d, Tensor._make(idx, False, None))


FLIP = Op("FlipBackward0", lambda a, dims: np.flip(a, dims).copy(), lambda n, g: g.flip(n.kwargs["dims"]))


@export("flip", function=False)
def _flip_method(self, *args, dims=None):
    return flip(self, _dims_from("flip", args, dims))


@export("flip", method=False)
def flip(input, dims):
    dims = wrap_dims(dims, input._data.ndim)
    return apply(FLIP, input, dims=dims if input._data.ndim else ())


# (PyTorch's roll answers a C-contiguous tensor whatever the input's layout; NumPy's keeps a transposed one)
ROLL = Op("RollBackward0", lambda a, shifts, dims: c_order(np.roll(a, shifts, dims)),
          lambda n, g: g.roll(tuple(-s for s in n.kwargs["shifts"]), n.kwargs["dims"]))


@export("roll")
def roll(input, shifts, dims=None):
    if dims is None:  # over the flattened tensor, one RollBackward0 node as in PyTorch
        s = shifts if isinstance(shifts, int) else tuple(shifts)
        if not isinstance(s, int) and len(s) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(s)}, dims:0")
        s = s if isinstance(s, int) else s[0]
        return apply(ROLL_FLAT, input, shifts=int(s))
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if input._data.ndim == 0:
        d = dims if isinstance(dims, int) else tuple(dims)[0]
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return apply(ROLL, input, shifts=shifts, dims=wrap_dims(dims, input._data.ndim))


ROLL_FLAT = Op("RollBackward0", lambda a, shifts: c_order(np.roll(a, shifts)),
               lambda n, g: g.roll(-n.kwargs["shifts"]))


# --- join / split ---------------------------------------------------------------------------------
def _cat_bw(n, g):
    dim = n.kwargs["dim"]
    sizes = [m[0][dim] for m in n._in_meta]
    return tuple(g.split(sizes, dim))


CAT = Op("CatBackward0", lambda *arrs, dim: np.concatenate(arrs, axis=dim), _cat_bw, promote="same")


def _check_seq(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        if name == "torch.cat":
            raise ValueError(f"{name}(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    return tensors


@export("cat", "concat", "concatenate", method=False)
def cat(tensors, dim=0):
    """Join tensors along an existing dimension (CatBackward0)."""
    tensors = _check_seq(tensors, "torch.cat")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    ref = tensors[0]._data.shape
    d = wrap_dim(dim, len(ref))
    for i, t in enumerate(tensors[1:], 1):
        s = t._data.shape
        if len(s) != len(ref):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}"
                f"\n(shapes {list(ref)} and {list(s)})"
            )
        for k in range(len(ref)):
            if k != d and s[k] != ref[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref[k]} but got size "
                    f"{s[k]} for tensor number {i} in the list.\n(shapes {list(ref)} and {list(s)})"
                )
    return apply(CAT, *tensors, dim=d)


def _stack_bw(n, g):
    return tuple(g.unbind(n.kwargs["dim"]))


STACK = Op("StackBackward0", lambda *arrs, dim: np.stack(arrs, axis=dim), _stack_bw, promote="same")


@export("stack", method=False)
def stack(tensors, dim=0):
    """Join tensors along a new dimension (StackBackward0)."""
    tensors = _check_seq(tensors, "stack")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    return apply(STACK, *tensors, dim=wrap_dim(dim, len(ref) + 1))


@export("hstack", method=False)
def hstack(tensors):
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


@export("vstack", method=False)
def vstack(tensors):
    return cat([atleast_2d(t) for t in tensors], 0)


def _split_fwd(a, sizes, dim):
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(a, bounds, axis=dim))


# (the pieces' gradients fit by construction: joined without cat's checks)
SPLIT = Op("SplitWithSizesBackward0", _split_fwd, lambda n, *gs: apply(CAT, *gs, dim=n.kwargs["dim"]), view=True,
           n_outputs=-1)
SPLIT_EQUAL = Op("SplitBackward0", _split_fwd, SPLIT.backward, view=True, n_outputs=-1)  # split(int), chunk


def _unbind_fwd(a, dim):
    m = np.moveaxis(a, dim, 0)
    return tuple([m[i, ...] for i in range(m.shape[0])])  # views, 0-d ones too (iterating gives scalars)


UNBIND = Op("UnbindBackward0", _unbind_fwd,
            lambda n, *gs: stack(gs, n.kwargs["dim"]), view=True, n_outputs=-1)


def _at_least_1d(input, name):
    if input._data.ndim == 0:
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor")


@export("split")
def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` (the last may be smaller), or of the listed sizes."""
    _at_least_1d(tensor, "split")
    d = wrap_dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
        if s == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s > 0 else [n]
        return apply(SPLIT_EQUAL, tensor, sizes=tuple(sizes), dim=d)
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension "
                f"{d}), but got split_sizes={sizes}"
            )
    return apply(SPLIT, tensor, sizes=tuple(sizes), dim=d)


@export("chunk")
def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    _at_least_1d(input, "chunk")
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if n == 0:  # PyTorch splits an empty dimension into `chunks` empty pieces (split_with_sizes)
        return split(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


@export("tensor_split")
def tensor_split(input, sections, dim=0):
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if isinstance(sections, int) and sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    k, r = divmod(n, sections)
    return split(input, [k + 1] * r + [k] * (sections - r), d)


@export("unbind")
def unbind(input, dim=0):
    """The slices along ``dim``, as a tuple of views."""
    d = wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return apply(UNBIND, input, dim=d)


@export("narrow")
def narrow(input, dim, start, length):
    if isinstance(start, Tensor):
        if start._data.ndim or start._data.dtype.kind not in "iu":
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        start = int(start.item())
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start = start % size if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return apply(SLICE, input, idx=idx)  # SliceBackward0 even for the whole dimension, as PyTorch


@export("contiguous", function=False)
def contiguous(self, memory_format=None):
    """This tensor if it lies in memory in ``memory_format`` (row-major by default), else a copy that does."""
    fmt = memory_format or contiguous_format
    fmt._check_rank(self._data)
    if fmt.holds(self._data):
        return self
    if fmt is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")

    out = apply(CLONE, self)
    out._data = fmt.arrange(out._data)
    return out


@export("atleast_1d")
def atleast_1d(input):
    return input.reshape(1) if input._data.ndim == 0 else input


@export("atleast_2d")
def atleast_2d(input):
    if input._data.ndim == 1:
        return unsqueeze(input, 0)
    return input.reshape(1, 1) if input._data.ndim == 0 else input


@export("meshgrid", method=False)
def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:  # (PyTorch's default, with its warning once a process)
        warn_once_at_user_line("meshgrid-indexing", "torch.meshgrid: in an upcoming release, it will be required "
                               "to pass the indexing argument.")
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t._data.ndim > 1:  # (PyTorch prints the tensor's values here; its type and size stand for them)
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                               f"[ torch.{t.dtype._legacy}{{{','.join(map(str, t._data.shape))}}} ]")
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    n = len(tensors)
    outs = []
    shape = [t._data.size for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    for i, t in enumerate(tensors):
        view_shape = [1] * n
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view_shape[pos] = -1
        outs.append(t.reshape(view_shape).expand(shape))
    return tuple(outs)


# --- rot90, block_diag, cartesian_prod, combinations ----------------------------------------------------
ROT90 = Op("Rot90Backward0", lambda a, k, dims: np.rot90(a, k, dims).copy(),
           lambda n, g: g.rot90(-n.kwargs["k"], n.kwargs["dims"]))


@export("rot90")
def rot90(input, k=1, dims=(0, 1)):
    """``input`` turned k quarter turns in the plane ``dims``, from the first dimension towards the second
    (Rot90Backward0).

    >>> import graphgrad
    >>> graphgrad.rot90(graphgrad.tensor([[1, 2], [3, 4]])).tolist()
    [[2, 4], [1, 3]]
    """
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input._data.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input._data.ndim}")
    d0, d1 = (wrap_dim(d, input._data.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    return apply(ROT90, input, k=int(k) % 4, dims=(d0, d1))


def _as_block(shape):
    """The (rows, cols) a block_diag input takes: a number one cell, a vector one row."""
    return (1, 1) if len(shape) == 0 else (1, shape[0]) if len(shape) == 1 else shape


def _block_diag_fwd(*arrs):
    blocks = [_as_block(a.shape) for a in arrs]
    out = np.zeros((sum(r for r, _ in blocks), sum(c for _, c in blocks)), arrs[0].dtype)
    row = col = 0
    for a, (r, c) in zip(arrs, blocks):
        out[row:row + r, col:col + c] = a.reshape(r, c)
        row, col = row + r, col + c
    return out


def _block_diag_bw(n, g):
    grads, row, col = [], 0, 0
    for shape, _ in n._in_meta:
        r, c = _as_block(shape)
        grads.append(g[row:row + r, col:col + c].reshape(shape))
        row, col = row + r, col + c
    return tuple(grads)


BLOCK_DIAG = Op("BlockDiagBackward0", _block_diag_fwd, _block_diag_bw, promote="same")


@export("block_diag", method=False)
def block_diag(*tensors):
    """The tensors (numbers, vectors as rows, matrices) placed along the diagonal of one matrix, zeros elsewhere.

    >>> import graphgrad
    >>> graphgrad.block_diag(graphgrad.tensor([[1, 2]]), graphgrad.tensor(3)).tolist()
    [[1, 2, 0], [0, 0, 3]]
    """
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t._data.ndim} dimensions")
    if not tensors:
        return Tensor._make(np.zeros((1, 0), get_default_dtype().np), False, None)
    return apply(BLOCK_DIAG, *tensors)


def _vector(t):
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")


@export("cartesian_prod", method=False)
def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, one per row (one tensor: itself).

    >>> import graphgrad
    >>> graphgrad.cartesian_prod(graphgrad.tensor([1, 2]), graphgrad.tensor([5, 6])).tolist()
    [[1, 5], [1, 6], [2, 5], [2, 6]]
    """
    for t in tensors:
        _vector(t)
    if len(tensors) == 1:
        return tensors[0]
    return stack([grid.reshape(-1) for grid in meshgrid(*tensors, indexing="ij")], 1)


@export("combinations", method=False)
def combinations(input, r=2, with_replacement=False):
    """The length-r combinations of a 1-D tensor's elements, one per row, in itertools' order.

    >>> import graphgrad
    >>> graphgrad.combinations(graphgrad.tensor([1, 2, 3])).tolist()
    [[1, 2], [1, 3], [2, 3]]
    """
    _vector(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._make(np.empty(0, input._data.dtype), False, None)
    # as PyTorch: the r-dimensional grid of the elements, masked to its non-decreasing (or increasing) positions,
    # which row-major order lists as itertools does
    n = input._data.shape[0]
    position = np.arange(n)
    keep = np.ones((n,) * r, bool)
    for d in range(r - 1):
        first, second = position.reshape((1,) * d + (n, 1) + (1,) * (r - d - 2)), position.reshape(
            (1,) * (d + 1) + (n,) + (1,) * (r - d - 2))
        keep &= (first <= second) if with_replacement else (first < second)
    mask = Tensor._make(keep, False, None)
    return stack([grid.masked_select(mask) for grid in meshgrid(*[input] * r, indexing="ij")], 1)
