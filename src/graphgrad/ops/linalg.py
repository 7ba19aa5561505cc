"""Matrix products: matmul and its special cases (mm, bmm, mv, dot, outer, addmm)."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._op import Op, apply, broadcast_error, export


def _T():
    return Tensor


def _matmul_bw(n, g):
    a, b = n.saved_tensors
    need = n.needs_input_grad
    a2 = a.unsqueeze(0) if a._data.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b._data.ndim == 1 else b
    g2 = g
    # b's missing last dimension first: for vector @ vector, g is 0-d and becomes (1, 1).
    if b._data.ndim == 1:
        g2 = g2.unsqueeze(-1)
    if a._data.ndim == 1:
        g2 = g2.unsqueeze(-2)
    ga = gb = None
    if need[0]:
        ga = _mat1_grad(g2, b2, a2)
        if a._data.ndim == 1:
            ga = ga.squeeze(-2)
    if need[1]:
        gb = _mat2_grad(g2, a2, b2)
        if b._data.ndim == 1:
            gb = gb.squeeze(-1)
    return ga, gb


def _column_major(arr):
    """A matrix laid out transposed in memory (a ``w.t()`` view): Fortran order, not also C order."""
    if arr.ndim != 2 or arr.flags.c_contiguous:
        return False
    return arr.flags.f_contiguous


# The derivatives of 2-D products below take Tensors (a recorded derivative, for double backward) or
# ndarrays (the ops' backward_np): only ``@`` and transposes.
def _mT(x):
    """``x`` with its last two dimensions swapped."""
    return x.transpose(-1, -2) if isinstance(x, Tensor) else x.swapaxes(-1, -2)


def _array(x):
    return x._data if isinstance(x, Tensor) else x


# The gradient of a column-major operand is computed as the transpose of a row-major product, as PyTorch's
# mm_mat1_backward / mm_mat2_backward do: Linear's weight enters as ``w.t()``, so the weight's gradient comes
# out C-contiguous like the weight itself, and the optimizer's updates run on matching layouts.
def _mat1_grad(g, b, a):
    """d(a @ b)/da applied to g: ``g @ b^T``."""
    if _column_major(_array(a)):
        return _mT(b @ _mT(g))
    return g @ _mT(b)


def _mat2_grad(g, a, b):
    """d(a @ b)/db applied to g: ``a^T @ g``."""
    if _column_major(_array(b)):
        return _mT(_mT(g) @ a)
    return _mT(a) @ g


def _mm_bw_np(n, g):
    a, b = (t._data for t in n.saved_tensors)
    need = n.needs_input_grad
    return _mat1_grad(g, b, a) if need[0] else None, _mat2_grad(g, a, b) if need[1] else None


def _mm_name(a, b):
    """The op (so the node name) PyTorch's matmul ends with for these ranks."""
    if a.ndim == 2 and b.ndim == 2:
        return MM
    if a.ndim == 1 and b.ndim == 1:
        return DOT
    if a.ndim == 2 and b.ndim == 1:
        return MV
    if a.ndim == 1 and b.ndim == 2:
        return MATMUL_VEC_MAT  # unsqueeze, mm, squeeze
    if a.ndim == 2:
        return MATMUL_MAT_BATCH  # transposed batched product, made contiguous
    return MATMUL  # folded into mm/bmm, then an unsafe view


MM = Op("MmBackward0", np.matmul, _matmul_bw, save="ab", promote="same", backward_np=_mm_bw_np)
DOT = Op("DotBackward0", np.matmul, _matmul_bw, save="ab", promote="same")
MV = Op("MvBackward0", np.matmul, _matmul_bw, save="ab", promote="same")
BMM = Op("BmmBackward0", np.matmul, _matmul_bw, save="ab", promote="same")
MATMUL = Op("UnsafeViewBackward0", np.matmul, _matmul_bw, save="ab", promote="same")
MATMUL_VEC_MAT = Op("SqueezeBackward4", np.matmul, _matmul_bw, save="ab", promote="same")
MATMUL_MAT_BATCH = Op("CloneBackward0", np.matmul, _matmul_bw, save="ab", promote="same")


def _shape_error(a, b):
    """PyTorch's text for operands that can't be multiplied (it depends on how matmul folds the ranks),
    followed by both shapes."""
    sa, sb = a.shape, b.shape
    shapes = f" (shapes {list(sa)} and {list(sb)})"
    if b.ndim <= 2 and a.ndim >= 2:  # a's leading dimensions fold into rows: mm or mv
        rows = int(np.prod(sa[:-1]))
        if b.ndim == 1:
            return RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec ({sb[0]})" + shapes)
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and {sb[0]}x{sb[1]})"
                            + shapes)
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the same number of "
            f"elements, but got {sa[0]} and {sb[0]} elements respectively" + shapes
        )
    if a.ndim == 1 and b.ndim == 2:
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{sa[0]} and {sb[0]}x{sb[1]})" + shapes)
    # b is batched: the batch dimensions broadcast, then one bmm over all of them
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    n = int(np.prod(batch))
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {sa[-1]}] but got: "
                        f"[{n}, {sb[-2]}]." + shapes)


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _dtype_error(a, b):
    """PyTorch's text for operands of different dtypes (matmul does not promote)."""
    from .._dtype import from_numpy_dtype

    A, B = (from_numpy_dtype(x.dtype)._legacy[:-len("Tensor")] for x in (a, b))
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(f"dot : expected both vectors to have same dtype, but found {A} and {B}")
    if a.ndim == 2 and b.ndim == 1:
        return RuntimeError(f"addmv input tensors must have the same dtype, but got {B}, {A}, and {B}")
    if b.ndim >= 3:
        return RuntimeError(f"expected scalar type {A} but found {B}")
    return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[a.dtype.name]} != "
                        f"{_C_NAMES[b.dtype.name]}")


@export("matmul")
def matmul(input, other):
    """Matrix product with NumPy/PyTorch broadcasting rules (``a @ b``).

    >>> import graphgrad
    >>> (graphgrad.ones(2, 3) @ graphgrad.ones(3)).tolist()
    [3.0, 3.0]
    """
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    if a.dtype != b.dtype:
        raise _dtype_error(a, b)
    if b.ndim > 2:  # batch dimensions must broadcast (checked first, as PyTorch does)
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise broadcast_error(a.shape[:-2], b.shape[:-2]) from None
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise _shape_error(a, b)
    return apply(_mm_name(a, b), input, other)


def _require_dims(name, t, n, which):
    if t._data.ndim != n:
        raise RuntimeError(f"{which} must be a {n}D tensor" if name != "mm" else f"{which} must be a matrix")


@export("mm")
def mm(input, mat2):
    _require_dims("mm", input, 2, "self")
    _require_dims("mm", mat2, 2, "mat2")
    return matmul(input, mat2)


@export("bmm")
def bmm(input, mat2):
    _require_dims("bmm", input, 3, "batch1")
    _require_dims("bmm", mat2, 3, "batch2")
    if input._data.shape[0] != mat2._data.shape[0] or input._data.shape[2] != mat2._data.shape[1]:
        s1, s2 = input._data.shape, mat2._data.shape
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{s1[0]}, {s1[2]}] but got: "
            f"[{s2[0]}, {s2[1]}]. (shapes {list(s1)} and {list(s2)})"
        )
    return apply(BMM, input, mat2)


@export("mv")
def mv(input, vec):
    _require_dims("mv", input, 2, "self")
    _require_dims("mv", vec, 1, "vec")
    return matmul(input, vec)


@export("dot", "inner")
def dot(input, other):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors"
        )
    return matmul(input, other)


@export("outer", "ger")
def outer(input, vec2):
    return input.reshape(-1, 1) * vec2  # PyTorch's composition: MulBackward0(ViewBackward0, vec2)


def _addmm_bw(n, g):
    return _addmm_grads(n, g, *n.saved_tensors)


def _addmm_bw_np(n, g):
    return _addmm_grads(n, g, *(t._data for t in n.saved_tensors))


def _addmm_grads(n, g, a, b):
    need = n.needs_input_grad
    k = n.kwargs
    beta, alpha = k.get("beta", 1), k.get("alpha", 1)
    gbias = (g * beta if beta != 1 else g) if need[0] else None
    ga = _mat1_grad(g, b, a) if need[1] else None
    gb = _mat2_grad(g, a, b) if need[2] else None
    if alpha != 1:
        ga = ga * alpha if ga is not None else None
        gb = gb * alpha if gb is not None else None
    return gbias, ga, gb


def _addmm_fwd(bias, a, b, beta=1, alpha=1):
    out = a @ b
    if alpha != 1:
        out *= alpha
    out += bias if beta == 1 else beta * bias
    return out


# PyTorch saves mat1 and mat2 (not the bias): the same tensors are version-checked, in the same order.
ADDMM = Op("AddmmBackward0", _addmm_fwd, _addmm_bw, save="bc", saved_names=("mat1", "mat2"),
           promote="same", backward_np=_addmm_bw_np)


@export("addmm")
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` in one node (what Linear records for 2-D inputs)."""
    if mat1._data.shape[-1] != mat2._data.shape[0]:
        raise _shape_error(mat1._data, mat2._data)
    kw = {}
    if beta != 1:
        kw["beta"] = beta
    if alpha != 1:
        kw["alpha"] = alpha
    return apply(ADDMM, input, mat1, mat2, **kw)
