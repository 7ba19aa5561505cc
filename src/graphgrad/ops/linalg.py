"""Matrix products: matmul and its special cases (mm, bmm, mv, dot, outer, addmm); einsum; norms.

einsum is a composition of differentiable ops (diagonal, sum, permute, mul, bmm, reshape), as PyTorch's
own implementation is, so every order of derivative works and the nodes carry PyTorch's names.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _blas as blas
from .._dtype import from_numpy_dtype
from .._size import wrap_dims
from .._tensor import Tensor
from ._export import export
from ._op import Op, _torch_name, apply, broadcast_error, c_type_name
from .linalg_decompositions import svdvals
from .linalg_solve import _require_matrices
from .reduce import vector_norm as _vector_norm


def _matmul_bw(n, g):
    return _matmul_grads(n, g, *n.saved_tensors)


def _matmul_bw_np(n, g):
    return _matmul_grads(n, g, *n.saved_arrays)


def _matmul_grads(n, g, a, b):
    """The operands' gradients of a product of any ranks, on Tensors or on ndarrays (``a``, ``b``: the saved
    operands; as PyTorch, each is saved only when the other one's gradient is needed). Broadcast batch
    dimensions are summed away by the node (``_fit_to_inputs``)."""
    need = n.needs_input_grad
    a_1d, b_1d = len(n._in_meta[0][0]) == 1, len(n._in_meta[1][0]) == 1
    a_column_major, b_column_major = n.state
    g2 = g
    # b's missing last dimension first: for vector @ vector, g is 0-d and becomes (1, 1).
    if b_1d:
        g2 = _unsqueeze(g2, -1)
    if a_1d:
        g2 = _unsqueeze(g2, -2)
    ga = gb = None
    if need[0]:
        ga = _mat1_grad(g2, _unsqueeze(b, -1) if b.ndim == 1 else b, a_column_major)
        if a_1d:
            ga = ga.squeeze(-2)
    if need[1]:
        gb = _mat2_grad(g2, _unsqueeze(a, 0) if a.ndim == 1 else a, b_column_major)
        if b_1d:
            gb = gb.squeeze(-1)
    return ga, gb


# The derivatives of 2-D products below take Tensors (a recorded derivative, for double backward) or
# ndarrays (the ops' backward_np): only ``@`` and transposes.
def _mT(x):
    """``x`` with its last two dimensions swapped."""
    return x.transpose(-1, -2) if isinstance(x, Tensor) else x.swapaxes(-1, -2)


def _mm(x, y):
    """``x @ y``: on arrays through ``blas.matmul`` (MKL where installed)."""
    return x @ y if isinstance(x, Tensor) else blas.matmul(x, y)


def _unsqueeze(x, dim):
    return x.unsqueeze(dim) if isinstance(x, Tensor) else np.expand_dims(x, dim)


# The gradient of a column-major operand is computed as the transpose of a row-major product, as PyTorch's
# mm_mat1_backward / mm_mat2_backward do: Linear's weight enters as ``w.t()``, so the weight's gradient comes
# out C-contiguous like the weight itself, and the optimizer's updates run on matching layouts. The operand
# itself may not be saved (its gradient never needs it), so its layout is recorded at the forward (``_layouts``).
def _mat1_grad(g, b, a_column_major):
    """d(a @ b)/da applied to g: ``g @ b^T``."""
    if a_column_major:
        return _mT(_mm(b, _mT(g)))
    return _mm(g, _mT(b))


def _mat2_grad(g, a, b_column_major):
    """d(a @ b)/db applied to g: ``a^T @ g``."""
    if b_column_major:
        return _mT(_mm(_mT(g), a))
    return _mm(_mT(a), g)


def _layouts(a, b):
    """Which operands are column-major, matrices laid out transposed in memory (a ``w.t()`` view: Fortran order,
    not also C order): the node's state, for the derivatives above."""
    fa, fb = a.flags, b.flags
    return (a.ndim == 2 and not fa.c_contiguous and fa.f_contiguous,
            b.ndim == 2 and not fb.c_contiguous and fb.f_contiguous)


def _matmul_fwd(a, b):
    return blas.matmul(a, b), _layouts(a, b)


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


def _fold_is_copy(arr, shape, folded):
    """Whether ``arr`` broadcast to ``shape`` and reshaped to ``folded`` needs a copy: PyTorch's
    ``expand(...).reshape(...)`` copies exactly when NumPy's reshape cannot be a view either."""
    if arr.size == 0:
        return False
    view = np.broadcast_to(arr, shape)
    # NumPy's rule, from the strides (trying the reshape would make the copy): the leading dimensions merge into
    # one when each steps over exactly the next one's extent (dimensions of size 1 aside)
    merged = [(n, step) for n, step in zip(view.shape, view.strides[:view.ndim - len(folded) + 1]) if n != 1]
    return any(outer != inner * n for (_, outer), (n, inner) in zip(merged, merged[1:]))


def _batched_plan(a, b, a_requires_grad, b_requires_grad):
    """How ATen's matmul computes a product with a batch dimension: ``(a, b, fold, transpose)``. Of two 3-D
    operands, a batch of one matrix against a batch of several is squeezed to the matrix first when it requires
    grad (the arrays returned). With one operand of at most 2 dimensions, the other may fold into rows for one mm/mv
    (``should_fold``; ``transpose``: b is the one that folds, as ``(a^T @ b^T)^T``); else (``fold`` False)
    both are broadcast to the common batch and folded into one bmm."""
    if a.ndim == b.ndim == 3 and (a.shape[0] == 1) != (b.shape[0] == 1):
        a, b = (x[0] if x.shape[0] == 1 and rg else x for x, rg in ((a, a_requires_grad), (b, b_requires_grad)))
    transpose = b.ndim > a.ndim
    if (a.ndim < 3 and b.ndim < 3) or min(a.ndim, b.ndim) >= 3:
        return a, b, False, transpose
    big = np.swapaxes(b, -1, -2) if transpose else a
    small_requires_grad = a_requires_grad if transpose else b_requires_grad
    viewable = big.size == 0 or all(big.strides[i] == big.strides[i + 1] * big.shape[i + 1]
                                    for i in range(big.ndim - 2))
    return a, b, small_requires_grad or (a.ndim != 2 and viewable), transpose


def _folded_copies(a, b, a_requires_grad, b_requires_grad):
    """For each operand of a matmul with a batch dimension: the shape of the copy PyTorch's derivative saves
    in its place (folding it for mm/bmm made one), or None where it saves a view of the operand."""
    shapes = (a.shape, b.shape)
    a, b, fold, transpose = _batched_plan(a, b, a_requires_grad, b_requires_grad)
    if a.ndim < 3 and b.ndim < 3:
        return None, None
    if fold:
        big = np.swapaxes(b, -1, -2) if transpose else a
        if not _fold_is_copy(big, big.shape, (-1, big.shape[-1])):
            return None, None
        return (None, shapes[1]) if transpose else (shapes[0], None)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return tuple(batch + x.shape[-2:] if x.ndim > 1 and _fold_is_copy(x, batch + x.shape[-2:], (-1,) + x.shape[-2:])
                 else None for x in (a, b))


def _save_folded(inputs, saved):
    """What the batched products save: a copy where PyTorch's fold made one (so that writing the operand in
    place afterwards is allowed, as it is there); the copy is recorded (expand, clone), so that the
    derivative computed from it still differentiates into the operand."""
    copies = _folded_copies(*(t._data for t in inputs), *(t.requires_grad for t in inputs))
    return [t if t is None or shape is None else t.expand(shape).clone() for t, shape in zip(saved, copies)]


def _save_vector_as_row(inputs, saved):
    """vector @ matrix is ``a.unsqueeze(0).mm(b).squeeze(0)`` in PyTorch: the vector is saved as a row."""
    a, b = saved
    return [None if a is None else a.unsqueeze(0), b]


def _product_op(name, saved_names, save_as=None):
    # self is needed only by mat2's gradient and mat2 only by self's (PyTorch's derivatives.yaml)
    return Op(name, _matmul_fwd, _matmul_bw, save="ab", saved_names=saved_names, promote="same", stateful=True,
              needed_by=((1,), (0,)), backward_np=_matmul_bw_np, save_as=save_as)


MM = _product_op("MmBackward0", ("self", "mat2"))
DOT = _product_op("DotBackward0", ("self", "tensor"))
MV = _product_op("MvBackward0", ("self", "vec"))
BMM = _product_op("BmmBackward0", ("self", "mat2"))
# matmul's compositions (PyTorch's top node saves nothing; these stand for the mm/bmm below it)
MATMUL = _product_op("UnsafeViewBackward0", ("self", "mat2"), save_as=_save_folded)
MATMUL_VEC_MAT = _product_op("SqueezeBackward4", ("self", "mat2"), save_as=_save_vector_as_row)
MATMUL_MAT_BATCH = _product_op("CloneBackward0", ("self", "mat2"), save_as=_save_folded)


def _shape_error(a, b, a_requires_grad=False, b_requires_grad=False):
    """PyTorch's text for operands that can't be multiplied (it depends on how matmul folds the ranks, which
    can depend on which operand requires grad), followed by both shapes."""
    shapes = f"\n(shapes {list(a.shape)} and {list(b.shape)})"
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same "
            f"number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively" + shapes
        )
    a, b, fold, transpose = _batched_plan(a, b, a_requires_grad, b_requires_grad)
    if fold and transpose:  # b^T folds into rows, times a^T
        a, b = np.swapaxes(b, -1, -2), (a if a.ndim == 1 else a.T)
    if fold or (a.ndim <= 2 and b.ndim <= 2):  # a's leading dimensions fold into rows: mm or mv
        rows = int(np.prod(a.shape[:-1]))
        if b.ndim == 1:
            return RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{a.shape[-1]}), vec ({b.shape[0]})"
                                + shapes)
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a.shape[-1]} and "
                            f"{b.shape[0]}x{b.shape[1]})" + shapes)
    # one bmm over the broadcast batch (a vector is a one-row or one-column matrix)
    n = int(np.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2])))
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {a.shape[-1]}] but "
                        f"got: [{n}, {k_b}]." + shapes)


def _dtype_error(a, b):
    """PyTorch's text for operands of different dtypes (matmul does not promote)."""
    A, B = (from_numpy_dtype(x.dtype)._legacy[:-len("Tensor")] for x in (a, b))
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(f"dot : expected both vectors to have same dtype, but found {A} and {B}")
    if a.ndim == 2 and b.ndim == 1:
        return RuntimeError(f"addmv input tensors must have the same dtype, but got {B}, {A}, and {B}")
    if b.ndim >= 3:
        return RuntimeError(f"expected scalar type {A} but found {B}")
    return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {c_type_name(a.dtype)} != "
                        f"{c_type_name(b.dtype)}")


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
    if a.dtype != b.dtype and a.ndim == b.ndim == 1:  # dot checks dtypes first, the others shapes first
        raise _dtype_error(a, b)
    if b.ndim > 2:  # batch dimensions must broadcast (checked first, as PyTorch does)
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise broadcast_error(a.shape[:-2], b.shape[:-2]) from None
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise _shape_error(a, b, input.requires_grad, other.requires_grad)
    if a.dtype != b.dtype:
        raise _dtype_error(a, b)
    if a.dtype == np.bool_:
        raise NotImplementedError(f'"{_kernel_name(a, b, input.requires_grad, other.requires_grad)}" not '
                                  f"implemented for 'Bool'")
    return apply(_mm_name(a, b), input, other)


def _kernel_name(a, b, a_requires_grad, b_requires_grad):
    """The ATen kernel a matmul of these operands ends in (named by PyTorch's error for a dtype it lacks)."""
    if a.ndim == b.ndim == 1:
        return "dot"
    a, b, fold, transpose = _batched_plan(a, b, a_requires_grad, b_requires_grad)
    if a.ndim <= 2 and b.ndim <= 2 or fold:
        vector = (a if transpose else b).ndim == 1 and (a.ndim != 1 or fold)  # mv, or mm for a vector row
        return "addmv_impl_cpu" if vector else "addmm_impl_cpu_"
    return "bmm"


def _require_dims(name, t, n, which):
    if t._data.ndim != n:
        raise RuntimeError(f"{which} must be a {n}D tensor" if name != "mm" else f"{which} must be a matrix")


# ATen's _unsafe_view: a reshape recorded as a node of its own (not as a view of its input), as PyTorch's kron
# records it; the result is a copy, so writing the input in place later cannot reach what was saved from it
UNSAFE_VIEW = Op("UnsafeViewBackward0", lambda a, shape: a.reshape(shape).copy(),
                 lambda n, g: g.reshape(n._in_meta[0][0]))


@export("kron")
def kron(input, other):
    """The Kronecker product: every element of input times the whole of other, as blocks (the shorter operand's
    shape padded with leading 1s).

    >>> import graphgrad
    >>> graphgrad.kron(graphgrad.tensor([1, 2]), graphgrad.tensor([1, 10])).tolist()
    [1, 10, 2, 20]
    """
    a, b = input._data.shape, other._data.shape
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    a_blocks = tuple(x for size in a for x in (size, 1))
    b_blocks = tuple(x for size in b for x in (1, size))
    product = apply(UNSAFE_VIEW, input, shape=a_blocks) * apply(UNSAFE_VIEW, other, shape=b_blocks)
    return apply(UNSAFE_VIEW, product, shape=tuple(x * y for x, y in zip(a, b)))


@export("tensordot", method=False)
def tensordot(a, b, dims=2):
    """The sum over the last ``dims`` dimensions of a and the first ``dims`` of b (or over the listed pairs of
    dimensions), as PyTorch computes it: both permuted and folded into one matrix product, then unfolded.

    >>> import graphgrad
    >>> graphgrad.tensordot(graphgrad.ones(2, 3, 4), graphgrad.ones(3, 4, 5)).shape
    graphgrad.Size([2, 5])
    """
    if isinstance(dims, Tensor):
        dims = dims.item() if dims._data.ndim == 0 else dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    for da, db in zip(dims_a, dims_b):
        sa, sb = a._data.shape[da], b._data.shape[db]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim {da} and "
                               f"second has size {sb} in dim {db}")
    dims_a = [wrap_dims(d, a._data.ndim)[0] for d in dims_a]
    dims_b = [wrap_dims(d, b._data.ndim)[0] for d in dims_b]
    free_a = [d for d in range(a._data.ndim) if d not in dims_a]
    free_b = [d for d in range(b._data.ndim) if d not in dims_b]
    size = math.prod(a._data.shape[d] for d in dims_a)
    rows = a.permute(free_a + dims_a).reshape(-1, size)
    cols = b.permute(dims_b + free_b).reshape(size, -1)
    return mm(rows, cols).reshape([a._data.shape[d] for d in free_a] + [b._data.shape[d] for d in free_b])


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
            f"[{s2[0]}, {s2[1]}].\n(shapes {list(s1)} and {list(s2)})"
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
    """The outer product of two 1-D tensors."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.reshape(-1, 1) * vec2  # PyTorch's composition: MulBackward0(ViewBackward0, vec2)


def _addmm_bw(n, g):
    return _addmm_grads(n, g, *n.saved_tensors)


def _addmm_bw_np(n, g):
    return _addmm_grads(n, g, *n.saved_arrays)


def _addmm_grads(n, g, a, b):
    need = n.needs_input_grad
    k = n.kwargs
    beta, alpha = k.get("beta", 1), k.get("alpha", 1)
    a_column_major, b_column_major = n.state
    gbias = (g * beta if beta != 1 else g) if need[0] else None
    ga = _mat1_grad(g, b, a_column_major) if need[1] else None
    gb = _mat2_grad(g, a, b_column_major) if need[2] else None
    if alpha != 1:
        ga = ga * alpha if ga is not None else None
        gb = gb * alpha if gb is not None else None
    return gbias, ga, gb


def _addmm_fwd(bias, a, b, beta=1, alpha=1):
    if alpha == 1 and beta == 1:
        return blas.addmm(bias, a, b), _layouts(a, b)
    out = blas.matmul(a, b)
    if alpha != 1:
        out *= alpha
    out += bias if beta == 1 else beta * bias
    return out, _layouts(a, b)


# PyTorch saves mat1 only when mat2 requires grad and mat2 only when mat1 does (not the bias): the same tensors
# are version-checked, in the same order.
ADDMM = Op("AddmmBackward0", _addmm_fwd, _addmm_bw, save="bc", saved_names=("mat1", "mat2"), stateful=True,
           promote="same", backward_np=_addmm_bw_np, needed_by=((2,), (1,)))


@export("addmm", inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` in one node (what Linear records for 2-D inputs)."""
    a, b = mat1._data, mat2._data
    if a.ndim != 2 or b.ndim != 2:
        name, m = ("mat1", a) if a.ndim != 2 else ("mat2", b)
        raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    if not a.dtype == b.dtype == input._data.dtype:  # no promotion: PyTorch wants one dtype
        name, m = ("mat1", a) if a.dtype != b.dtype else ("self", input._data)
        raise RuntimeError(f"{name} and mat2 must have the same dtype, but got {_torch_name(m.dtype)} and "
                           f"{_torch_name(b.dtype)}")
    if a.shape[1] != b.shape[0]:
        raise _shape_error(a, b)
    out_shape = (a.shape[0], b.shape[1])
    bias_shape = input._data.shape
    # (the usual bias, a row of the product's width, needs no check)
    if bias_shape != out_shape and bias_shape != out_shape[1:]:
        input.detach().expand(out_shape)  # PyTorch's error for a bias that doesn't broadcast to the product
    kw = {}
    if beta != 1:
        kw["beta"] = beta
    if alpha != 1:
        kw["alpha"] = alpha
    return apply(ADDMM, input, mat1, mat2, **kw)


# --- einsum ---------------------------------------------------------------------------------------
_ELL = "..."


def _is_label(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _subscripts(text, offset, dots_errors, commas=True):
    """The tokens of one side of an einsum equation: labels, ``","`` (with ``commas``) and the ellipsis, spaces
    skipped, with PyTorch's checks; ``dots_errors(k)`` gives the texts for a stray '.' in part ``k``."""
    i, k, found = 0, 0, False
    while i < len(text):
        c = text[i]
        if c == ".":
            already, stray = dots_errors(k)
            if found:
                raise RuntimeError(already)
            if not text.startswith("...", i):
                raise RuntimeError(stray)
            found = True
            yield _ELL
            i += 3
            continue
        if _is_label(c) or (commas and c == ","):
            if c == ",":
                k, found = k + 1, False
            yield c
        elif c != " ":
            raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
        i += 1


def _operand_dots(k):
    return (f"einsum(): found '.' for operand {k} for which an ellipsis was already found",
            f"einsum(): found '.' for operand {k} that is not part of any ellipsis")


def _output_dots(k):
    return ("einsum(): found '.' for output but an ellipsis (...) was already found",
            "einsum(): found '.' for output that is not part of any ellipsis (...)")


def _parse_einsum(equation, n_ops):
    """The labels of each operand (with "..." for an ellipsis) and of the output (None: implicit), with
    PyTorch's checks and texts."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = [[]]
    for c in _subscripts(lhs, 0, _operand_dots):
        if c == ",":
            op_labels.append([])
            if len(op_labels) > n_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
        else:
            op_labels[-1].append(c)
    if len(op_labels) != n_ops:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return op_labels, (None if arrow < 0 else (equation[arrow + 2:], arrow + 2))


def _broadcast_size(seen, size):
    return size if seen == 1 else seen


@export("einsum", method=False)
def einsum(*args):
    """Sums of products over the labelled dimensions of the operands, written as an equation
    (``"ij,jk->ik"``; ``...`` for broadcast dimensions; without ``->``, the labels seen once, sorted)."""
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, or at least one "
                         "operand and its subscripts list")
    equation, operands = args[0], args[1:]
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for k, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 1, but got {type(t).__name__}")
    op_labels, out_spec = _parse_einsum(equation, len(operands))

    # ranks: how many dimensions each ellipsis covers
    ell_dims = 0
    for k, (t, labels) in enumerate(zip(operands, op_labels)):
        nd = t._data.ndim
        has_ell = _ELL in labels
        n = len(labels) - has_ell
        if (n > nd) if has_ell else (n != nd):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n}) "
                + (f"is more than the number of dimensions ({nd}) for operand {k}" if has_ell else
                   f"does not match the number of dimensions ({nd}) for operand {k} and no ellipsis was given"))
        if has_ell:
            ell_dims = max(ell_dims, nd - n)
    ell_labels = [("...", j) for j in range(ell_dims)]  # the ellipsis's dimensions, aligned on the right

    # the output's labels
    counts = {}
    for labels in op_labels:
        for c in labels:
            if c != _ELL:
                counts[c] = counts.get(c, 0) + 1
    if out_spec is None:
        out = ell_labels + sorted((c for c, n in counts.items() if n == 1), key=lambda c: (c.islower(), c))
    else:
        rhs, offset = out_spec
        out = []
        for c in _subscripts(rhs, offset, _output_dots, commas=False):
            if c == _ELL:
                out += ell_labels
            elif c in out or c not in counts:
                raise RuntimeError(f"einsum(): output subscript {c}" + (
                    " appears more than once in the output" if c in out else
                    " does not appear in the equation for any input operand"))
            else:
                out.append(c)

    # each operand's dimensions as labels; sizes checked as PyTorch does (size-1 dimensions broadcast)
    sizes = {}
    terms = []
    for k, (t, labels) in enumerate(zip(operands, op_labels)):
        shape = t._data.shape
        dims, pos = [], 0
        for c in labels:
            if c == _ELL:
                n = len(shape) - (len(labels) - 1)
                for j in range(n):
                    lab = ell_labels[ell_dims - n + j]
                    s = shape[pos]
                    seen = sizes.get(lab)
                    if seen is not None and s != seen and s != 1 and seen != 1:
                        raise RuntimeError(
                            f"einsum(): dimension {lab[1]} covered by ellipsis in operand {k}has size {s} which "
                            f"does not broadcast with previously seen ellipsis with size {seen} for the respective "
                            "dimension")
                    sizes[lab] = s if seen is None else _broadcast_size(seen, s)
                    dims.append(lab)
                    pos += 1
                continue
            s = shape[pos]
            if c in dims:
                first = shape[dims.index(c)]
                if s != first:
                    raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't "
                                       f"match, {s} != {first}")
            else:
                seen = sizes.get(c)
                if seen is not None and s != seen and s != 1 and seen != 1:
                    raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {k} which does not broadcast "
                                       f"with previously seen size {seen}")
                sizes[c] = s if seen is None else _broadcast_size(seen, s)
            dims.append(c)
            pos += 1
        terms.append((t, dims))

    # one operand at a time: diagonals of repeated labels, labels needed nowhere else summed out
    for k, (t, dims) in enumerate(terms):
        t, dims = _take_diagonals(t, dims)
        later = set(out).union(*[set(d) for j, (_, d) in enumerate(terms) if j != k])
        drop = [i for i, c in enumerate(dims) if c not in later]
        if drop:
            t = t.sum(drop)
            dims = [c for i, c in enumerate(dims) if i not in drop]
        terms[k] = (t, dims)

    t, dims = terms[0]
    for k in range(1, len(terms)):
        needed = set(out).union(*[set(d) for _, d in terms[k + 1:]])
        t, dims = _contract(t, dims, *terms[k], needed, sizes)
    if dims != out or any(t is o for o in operands):  # PyTorch's einsum never returns an operand itself
        t = t.permute([dims.index(c) for c in out])
    return t


def _take_diagonals(t, dims):
    """Repeated labels within one operand: their diagonal, at the first occurrence's position."""
    while len(set(dims)) != len(dims):
        for j, c in enumerate(dims):
            first = dims.index(c)
            if first != j:
                t = t.diagonal(0, first, j).movedim(-1, first)
                dims = dims[:j] + dims[j + 1:]
                break
    return t, dims


def _contract(a, da, b, db, needed, sizes):
    """The product of two labelled operands, summed over the labels they share and no later term needs."""
    batch = [c for c in da if c in db and c in needed]
    summed = [c for c in da if c in db and c not in needed]
    lo = [c for c in da if c not in db]
    ro = [c for c in db if c not in da]

    def arrange(t, dims, order):
        if dims != order:
            t = t.permute([dims.index(c) for c in order])
        return t

    def full(t, order):  # size-1 dimensions broadcast against the other operand's: expand them
        shape = tuple(sizes[c] for c in order)
        return t if t._data.shape == shape else t.expand(shape)

    if not summed:  # no contraction: a broadcast product, as PyTorch computes it (mul)
        order = batch + lo + ro
        a2 = arrange(a, da, batch + lo)
        b2 = arrange(b, db, batch + ro)
        a2 = a2.reshape(a2._data.shape + (1,) * len(ro)) if ro else a2
        if lo:
            b2 = b2.reshape(b2._data.shape[:len(batch)] + (1,) * len(lo) + b2._data.shape[len(batch):])
        return a2 * b2, order
    if a._data.dtype != b._data.dtype:  # the batched product takes one dtype (mul above promotes)
        raise RuntimeError(f"expected scalar type {_torch_name(a._data.dtype)} but found {_torch_name(b._data.dtype)}")
    a2 = full(arrange(a, da, batch + lo + summed), batch + lo + summed)
    b2 = full(arrange(b, db, batch + summed + ro), batch + summed + ro)

    def prod(cs):
        n = 1
        for c in cs:
            n *= sizes[c]
        return n

    nb, nl, ns, nr = prod(batch), prod(lo), prod(summed), prod(ro)
    # lo / ro dimensions of size 1 that the other operand has larger stay as they are (each side keeps its own)
    lo_sizes = a2._data.shape[len(batch):len(batch) + len(lo)]
    ro_sizes = b2._data.shape[len(batch) + len(summed):]
    out = bmm(a2.reshape(nb, nl, ns), b2.reshape(nb, ns, nr))
    return out.reshape(tuple(sizes[c] for c in batch) + tuple(lo_sizes) + tuple(ro_sizes)), batch + lo + ro


# --- vector and matrix norms (graphgrad.linalg) ---------------------------------------------------
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of the elements (all, or over ``dim``): LinalgVectorNormBackward0."""
    if isinstance(ord, Tensor) or isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{'Tensor' if isinstance(ord, Tensor) else type(ord).__name__}")
    if isinstance(dim, (list, tuple)) and not dim:
        dim = None
    return _vector_norm(x, ord, dim, keepdim, dtype)


@export("norm")
def tensor_norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """``torch.norm``: PyTorch's dispatch to the vector norm (a number, None, or "fro" over at most two
    dimensions) and to ``linalg.matrix_norm`` (the other strings: "nuc", and the orders it refuses).

    >>> import graphgrad
    >>> graphgrad.tensor([3.0, -4.0]).norm(), graphgrad.tensor([3.0, -4.0]).norm(p=1)
    (tensor(5.), tensor(7.))
    """
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return _vector_norm(input, 2, dim, keepdim, dtype)
        dims = list(range(input._data.ndim)) if dim is None else [dim] if isinstance(dim, int) else dim
        return matrix_norm(input, p, dims, keepdim, dtype=dtype)
    return _vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Frobenius, nuclear, 1, -1, 2, -2, inf and -inf matrix norms over the two dimensions ``dim``."""
    # (PyTorch's checks in its order: the order, the input's rank, the dimensions)
    if ord not in ("fro", "nuc") and (isinstance(ord, str) or ord not in (1, -1, 2, -2, float("inf"), float("-inf"))):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    _require_matrices("linalg.matrix_norm", A._data)
    if not isinstance(dim, (list, tuple)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {_dims_text(dim)}")
    d0, d1 = wrap_dims(dim, A._data.ndim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        return _singular_value_norm(A, ord, (d0, d1), keepdim, dtype)
    if dtype is not None:
        A = A.to(dtype)
    # 1 / -1: the largest / smallest column sum; inf / -inf: the same over rows
    summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = A.abs().sum(summed, keepdim=True)
    out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def _singular_value_norm(A, ord, dims, keepdim, dtype):
    """The nuclear norm (the singular values' sum), the spectral norm (the largest) or ord -2's (the smallest) of
    the matrices over ``dims``: as PyTorch's composition, the two dimensions moved last, svdvals, the reduction,
    and with ``keepdim`` the reduced dimensions put back in place."""
    if dtype is not None:
        A = A.to(dtype)
    nd = A._data.ndim
    permutation = [i for i in range(nd) if i not in dims] + list(dims)
    values = svdvals(A.permute(permutation))
    out = (values.sum(-1, keepdim=keepdim) if ord == "nuc" else values.amax(-1, keepdim=keepdim) if ord == 2
           else values.amin(-1, keepdim=keepdim))
    if not keepdim:
        return out
    return out.unsqueeze(-1).permute([permutation.index(i) for i in range(nd)])


def _dims_text(dim):
    """The dimensions as PyTorch's message prints a list of them."""
    return " ".join(str(d) for d in dim) if isinstance(dim, (list, tuple)) else str(dim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.norm``: a vector norm over one dimension (or all, flattened), a matrix norm over two."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        nd = A._data.ndim
        if nd not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                               f"{nd}D.")
        dim = tuple(range(nd))
    if len(dim) == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {_dims_text(dim)}")
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
