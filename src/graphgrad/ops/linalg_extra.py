"""Linear-algebra ops beside the matrix products: einsum, vector norms, and outer's argument checks.

einsum is a composition of differentiable ops (diagonal, sum, permute, mul, bmm, reshape), as PyTorch's
own implementation is, so every order of derivative works and the nodes carry PyTorch's names.
"""

from __future__ import annotations

from .._tensor import Tensor
from . import linalg
from ._op import export


def _T():
    return Tensor


@export("outer", "ger")
def outer(input, vec2):
    """The outer product of two 1-D tensors."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return linalg.outer(input, vec2)


# --- einsum ---------------------------------------------------------------------------------------
_ELL = "..."


def _is_label(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _parse_einsum(equation, n_ops):
    """The labels of each operand (with "..." for an ellipsis) and of the output (None: implicit), with
    PyTorch's checks and texts."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = [[]]
    found_ell = False
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            k = len(op_labels) - 1
            if found_ell:
                raise RuntimeError(f"einsum(): found '.' for operand {k} for which an ellipsis was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of any ellipsis")
            i += 2
            op_labels[-1].append(_ELL)
            found_ell = True
        elif c == ",":
            op_labels.append([])
            if len(op_labels) > n_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            found_ell = False
        elif _is_label(c):
            op_labels[-1].append(c)
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts "
                               "must be in [a-zA-Z]")
        i += 1
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
        out, found = [], False
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if found:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
                if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
                i += 2
                out += ell_labels
                found = True
            elif _is_label(c):
                if c in out or c not in counts:
                    raise RuntimeError(f"einsum(): output subscript {c}" + (
                        " appears more than once in the output" if c in out else
                        " does not appear in the equation for any input operand"))
                out.append(c)
            else:
                raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in the equation string, "
                                   "subscripts must be in [a-zA-Z]")
            i += 1

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
    from .shape import movedim
    from .structure import diagonal

    while len(set(dims)) != len(dims):
        for j, c in enumerate(dims):
            first = dims.index(c)
            if first != j:
                t = movedim(diagonal(t, 0, first, j), -1, first)
                dims = dims[:j] + dims[j + 1:]
                break
    return t, dims


def _contract(a, da, b, db, needed, sizes):
    """The product of two labelled operands, summed over the labels they share and no later term needs."""
    from .linalg import bmm

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
        from ._op import _torch_name

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
    from .reduce import norm

    if isinstance(ord, Tensor) or isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{'Tensor' if isinstance(ord, Tensor) else type(ord).__name__}")
    if isinstance(dim, (list, tuple)) and not dim:
        dim = None
    return norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Frobenius, 1, -1, inf and -inf matrix norms over the two dimensions ``dim``."""
    from .shape import wrap_dims

    if not isinstance(dim, (list, tuple)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {_dims_text(dim)}")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = wrap_dims(dim, A._data.ndim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"graphgrad: linalg.matrix_norm with ord={ord!r} needs singular values, which "
                                  "graphgrad does not implement")
    if isinstance(ord, str) or ord not in (1, -1, float("inf"), float("-inf")):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        A = A.to(dtype)
    # 1 / -1: the largest / smallest column sum; inf / -inf: the same over rows
    summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = A.abs().sum(summed, keepdim=True)
    out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def _dims_text(dim):
    return 1 if isinstance(dim, int) else len(dim)


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
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {len(dim)}")
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
