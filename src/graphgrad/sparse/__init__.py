"""Sparse COO tensors: ``to_sparse``, ``sparse_coo_tensor``, ``to_dense``, ``coalesce``, ``indices``/``values``
and ``sparse.mm`` (also ``spmm``, ``mm``, ``matmul``, ``@``) of a sparse matrix with a dense one.

A ``SparseTensor`` is a graphgrad ``Tensor`` (so it passes wherever one is expected) that stores its
nonzeros as PyTorch's COO layout does: an int64 ndarray of indices, ``(sparse_dim, nnz)``, and a values
tensor, ``(nnz, *dense_dims)``. Every computation on it is made of ordinary differentiable graphgrad ops
on the values (``index_select``, ``index_add``, ...), so gradients reach the dense operand, the values
and whatever they were made from, to any order. The operations it has no rule for raise instead of
silently densifying; ``.to_dense()`` is the way to the rest of the library.

>>> import graphgrad
>>> s = graphgrad.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3))
>>> graphgrad.sparse.mm(s, graphgrad.ones(3, 1))
tensor([[3.],
        [9.]])
"""

from __future__ import annotations

import numpy as np

from .. import _dtype
from .._core import layouts
from .._core.layouts import other_layout_error
from .._device import check_device
from .._factories import tensor, zeros
from .._repr import tensor_repr
from .._size import Size
from .._tensor import Tensor, _new
from ..ops._export import export
from ..ops.shape import cat

_UNSUPPORTED = ("Could not run this operation with arguments from the 'SparseCPU' backend.\n"
                "graphgrad's sparse COO tensors support to_dense, coalesce, indices/values, t, sum, sparse.mm/spmm/"
                "mm/matmul/@ with a dense operand, + and * by a number; call .to_dense() first for anything else.")


def _long(index):
    return Tensor._make(np.ascontiguousarray(index, dtype=np.int64), False, None)


class SparseTensor(Tensor):
    """A COO sparse tensor (``layout == graphgrad.sparse_coo``). Made by ``sparse_coo_tensor`` or ``to_sparse``."""

    @staticmethod
    def _wrap(indices, values, shape, coalesced=False):
        t = _new(SparseTensor)
        t._requires_grad, t._grad_fn, t._version_box, t._view, t._output_nr = False, None, [0, None], None, 0
        t._coo_indices = np.asarray(indices, dtype=np.int64)
        t._coo_values = values
        t._coo_shape = tuple(int(s) for s in shape)
        t._coalesced = coalesced
        return t

    @property
    def _data(self):
        raise other_layout_error(self, _UNSUPPORTED)  # an op may have a rule for it: layout_rules, at the end

    # --- what it is ---------------------------------------------------------------------------------
    is_sparse = property(lambda self: True)
    layout = property(lambda self: sparse_coo)
    dtype = property(lambda self: self._coo_values.dtype)

    @property
    def shape(self):
        return Size(self._coo_shape)

    def size(self, dim=None):
        return self.shape if dim is None else self._coo_shape[dim]

    def dim(self):
        return len(self._coo_shape)

    ndim = property(dim)

    def __len__(self):
        return self._coo_shape[0]

    def sparse_dim(self):
        return self._coo_indices.shape[0]

    def dense_dim(self):
        return self._coo_values.dim() - 1

    def _nnz(self):
        return self._coo_indices.shape[1]

    def is_coalesced(self):
        return self._coalesced

    def numpy(self, force=False):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")

    def __repr__(self):
        pad = " " * len("tensor(indices=")
        indices = tensor_repr(_long(self._coo_indices)).replace("\n", "\n" + pad)
        values = tensor_repr(self._coo_values.detach()).replace("\n", "\n" + " " * len("       values="))
        extra = ", grad_fn=<...>" if self._coo_values.grad_fn is not None else ""
        size = "(" + ", ".join(str(s) for s in self._coo_shape) + ("," if len(self._coo_shape) == 1 else "") + ")"
        return (f"tensor(indices={indices},\n       values={values},\n       size={size}, nnz={self._nnz()}, "
                f"layout=graphgrad.sparse_coo{extra})")

    # --- autograd: the values carry it ----------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._coo_values.requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._coo_values.requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self._coo_values.requires_grad_(requires_grad)
        return self

    @property
    def grad(self):
        """The gradient w.r.t. this tensor at its nonzero positions, coalesced (each value's gradient is the
        gradient at its position, so a repeated index contributes it once)."""
        g = self._coo_values.grad
        if g is None:
            return None
        unique, first = np.unique(self._flat_index(), return_index=True)
        return SparseTensor._wrap(self._unflatten(unique), g[_long(first)], self._coo_shape, True)

    @property
    def grad_fn(self):
        return self._coo_values.grad_fn

    @property
    def is_leaf(self):
        return self._coo_values.is_leaf

    def detach(self):
        return SparseTensor._wrap(self._coo_indices, self._coo_values.detach(), self._coo_shape, self._coalesced)

    def clone(self, *, memory_format=None):
        return SparseTensor._wrap(self._coo_indices.copy(), self._coo_values.clone(), self._coo_shape,
                                  self._coalesced)

    def to(self, *args, **kwargs):
        return SparseTensor._wrap(self._coo_indices, self._coo_values.to(*args, **kwargs), self._coo_shape,
                                  self._coalesced)

    # --- conversions ----------------------------------------------------------------------------------
    def _flat_index(self):
        sparse_shape = self._coo_shape[:self.sparse_dim()]
        bad = (self._coo_indices < 0) | (self._coo_indices >= np.array(sparse_shape, dtype=np.int64)[:, None])
        if bad.any():
            d, k = np.argwhere(bad)[0]
            raise RuntimeError(f"index {int(self._coo_indices[d, k])} is out of bounds for dimension {d} with size "
                               f"{sparse_shape[d]} in this sparse tensor's indices")
        return np.ravel_multi_index(tuple(self._coo_indices), sparse_shape) if len(sparse_shape) else \
            np.zeros(self._nnz(), np.int64)

    def _unflatten(self, flat):
        """The ``(sparse_dim, n)`` indices of positions given by ``_flat_index`` numbers."""
        if not self.sparse_dim():
            return np.zeros((0, len(flat)), np.int64)
        return np.stack(np.unravel_index(flat, self._coo_shape[:self.sparse_dim()])).reshape(self.sparse_dim(), -1)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The dense tensor; duplicate indices add up."""
        values = self._coo_values if dtype is None else self._coo_values.to(dtype)
        n = int(np.prod(self._coo_shape[:self.sparse_dim()], dtype=np.int64))
        flat = zeros((n,) + tuple(values.shape[1:]), dtype=values.dtype)
        return flat.index_add(0, _long(self._flat_index()), values).reshape(self._coo_shape)

    def to_sparse(self, *args, **kwargs):
        return self

    def coalesce(self):
        """Indices sorted and unique, the values of repeated indices summed."""
        if self._coalesced:
            return self
        unique, inverse = np.unique(self._flat_index(), return_inverse=True)
        v = self._coo_values
        summed = zeros((len(unique),) + tuple(v.shape[1:]), dtype=v.dtype).index_add(0, _long(inverse.reshape(-1)), v)
        return SparseTensor._wrap(self._unflatten(unique), summed, self._coo_shape, True)

    def indices(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return _long(self._coo_indices)

    def values(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._coo_values

    def _indices(self):
        return _long(self._coo_indices)

    def _values(self):
        return self._coo_values

    def t(self):
        if self.sparse_dim() != 2 or self.dense_dim():
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but self is "
                               f"{self.sparse_dim()} sparse and {self.dense_dim()} dense")
        return SparseTensor._wrap(self._coo_indices[::-1].copy(), self._coo_values, self._coo_shape[::-1])

    def sum(self, dim=None, keepdim=False, dtype=None):
        if dim is None:
            return self._coo_values.sum(dtype=dtype) if dtype is not None else self._coo_values.sum()
        return self.to_dense().sum(dim, keepdim=keepdim).to_sparse()

    # --- arithmetic -----------------------------------------------------------------------------------
    def __matmul__(self, other):
        return mm(self, other)

    def __rmatmul__(self, other):
        return mm(other, self)

    mm = matmul = __matmul__

    def __add__(self, other):
        if isinstance(other, SparseTensor):
            if other._coo_shape != self._coo_shape:
                raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                                   f"{list(self._coo_shape)} while other has size {list(other._coo_shape)}")
            return SparseTensor._wrap(np.concatenate([self._coo_indices, other._coo_indices], axis=1),
                                      cat([self._coo_values, other._coo_values]), self._coo_shape)
        if isinstance(other, Tensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        return NotImplemented

    add = __add__

    def __radd__(self, other):
        if isinstance(other, Tensor):
            return other + self.to_dense()
        return NotImplemented

    def __rsub__(self, other):
        if isinstance(other, Tensor):
            return other - self.to_dense()
        return NotImplemented

    def __mul__(self, other):
        if isinstance(other, (int, float, bool)) or (isinstance(other, Tensor) and not isinstance(other, SparseTensor)
                                                     and other.dim() == 0):
            return SparseTensor._wrap(self._coo_indices, self._coo_values * other, self._coo_shape, self._coalesced)
        return NotImplemented

    __rmul__ = mul = __mul__

    def __neg__(self):
        return self * -1


@export("sparse_coo_tensor", method=False)
def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """A sparse COO tensor from ``indices`` (``sparse_dim x nnz``) and ``values`` (``nnz x dense dims``).

    ``values`` that require grad keep their history (gradients flow back to them); ``requires_grad=True``
    makes a new leaf whose ``.grad`` is sparse, as in PyTorch.
    """
    if device is not None:
        check_device(device)
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    if idx.size and idx.dtype.kind not in "iu":
        raise RuntimeError(f"indices must be an int64 tensor, got {_dtype.from_numpy_dtype(idx.dtype)}")
    if not isinstance(values, Tensor):
        values = tensor(values, dtype=dtype)
    elif dtype is not None and values.dtype is not _dtype.to_dtype(dtype):
        values = values.to(dtype)
    if values.dim() == 0 or idx.shape[1] != values.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {idx.shape[1]}, nnz "
                           f"from values: {values.shape[0] if values.dim() else 1}")
    if size is None:
        size = tuple(int(m) + 1 for m in idx.max(axis=1)) if idx.shape[1] else (0,) * idx.shape[0]
        size = size + tuple(values.shape[1:])
    if requires_grad and not values.requires_grad:
        values = values.detach().requires_grad_(True)  # a new leaf; values that require grad keep their history
    return SparseTensor._wrap(idx.astype(np.int64), values, size, bool(is_coalesced))


@export("to_sparse", "to_sparse_coo", function=False)
def to_sparse(self, *args, layout=None, blocksize=None, dense_dim=None):
    """``Tensor.to_sparse()``: the nonzeros of a dense tensor as a coalesced COO tensor (differentiable)."""
    if args and args[0] is not None and args[0] != self.dim():
        raise NotImplementedError("graphgrad's to_sparse(sparse_dim) supports only all dimensions sparse")
    nonzero = np.nonzero(self._data)
    values = self[tuple(_long(i) for i in nonzero)] if self.dim() else self.reshape(1)[_long(np.flatnonzero(
        self._data.reshape(1)))]
    indices = np.stack(nonzero) if self.dim() else np.zeros((0, values.shape[0]), np.int64)
    return SparseTensor._wrap(indices, values, self._data.shape, True)


def mm(mat1, mat2):
    """``mat1 @ mat2`` where either is a 2-D sparse COO tensor; the result is dense (sparse for two sparse),
    with gradients for the dense operand and the sparse values."""
    if isinstance(mat1, SparseTensor) and isinstance(mat2, SparseTensor):
        return mm(mat1, mat2.to_dense()).to_sparse()
    if isinstance(mat2, SparseTensor):
        return mm(mat2.t(), mat1.t()).t()  # (S^T D^T)^T
    if not isinstance(mat2, Tensor):
        raise TypeError(f"mm(): argument 'mat2' (position 2) must be Tensor, not {type(mat2).__name__}")
    if mat1.sparse_dim() != 2 or mat1.dense_dim() or mat2.dim() != 2:
        raise RuntimeError(f"mm: expected a 2-D sparse matrix and a 2-D dense matrix, got sizes "
                           f"{list(mat1.shape)} and {list(mat2.shape)}")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {mat1.shape[1]}, got {mat2.shape[0]}")
    rows, cols = mat1._coo_indices
    contributions = mat1._coo_values[:, None] * mat2.index_select(0, _long(cols))
    out = zeros(mat1.shape[0], mat2.shape[1], dtype=contributions.dtype)
    return out.index_add(0, _long(rows), contributions)


def sum(input, dim=None, dtype=None):
    """``graphgrad.sparse.sum``: the sum of a sparse tensor's values (over ``dim``, a sparse result)."""
    if not isinstance(input, SparseTensor):
        return input.sum() if dim is None else input.sum(dim)
    return input.sum(dim, dtype=dtype)


spmm = export("spmm", method=False)(mm)


class _SparseCOOLayout(layouts.layout):
    def filled(self, value, shape, np_dtype, device, requires_grad):
        """``zeros(..., layout=graphgrad.sparse_coo)``: a sparse tensor with no nonzeros at all."""
        if value != 0:
            raise RuntimeError("full(...) is not implemented for sparse layout")
        return sparse_coo_tensor(np.zeros((len(shape), 0), np.int64), np.zeros(0, np_dtype), shape, device=device,
                                 requires_grad=requires_grad)


sparse_coo = _SparseCOOLayout("sparse_coo")


def _add(input, other, *, alpha=1):
    """``graphgrad.add``/``Tensor.add`` with a sparse operand: dense + sparse is dense, sparse + sparse sparse."""
    return input + (other if alpha == 1 else other * alpha)


def _sub(input, other, *, alpha=1):
    return input + other * -alpha


def _add_(input, other, *, alpha=1):
    """``dense.add_(sparse)``: the sparse tensor's values added in place where they are."""
    return input.add_(other.to_dense(), alpha=alpha)


def _sub_(input, other, *, alpha=1):
    return input.sub_(other.to_dense(), alpha=alpha)


def _mm(input, other, *, out=None):
    if out is not None:
        raise NotImplementedError(_UNSUPPORTED)
    return mm(input, other)


# the dense ops that take a sparse operand, by public name (an op's function runs these when an operand is sparse)
SparseTensor.layout_rules = {"mm": _mm, "matmul": _mm, "add": _add, "sub": _sub, "add_": _add_, "sub_": _sub_}
