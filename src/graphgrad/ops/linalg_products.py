"""Products and powers of ``torch.linalg``: ``cross`` (``torch.cross``), ``vecdot`` (``torch.vdot`` for its vectors),
``multi_dot``, ``vander``, ``matrix_power`` (``torch.matrix_power``) and ``matrix_exp`` (``torch.matrix_exp``),
with PyTorch's nodes, checks and errors.

cross, vdot and matrix_exp are ops of their own (LinalgCrossBackward0, VdotBackward0,
LinalgMatrixExpBackward0); the others are PyTorch's compositions, written with the same ops in the same order so
that the graph carries PyTorch's nodes: vecdot a product and a sum, multi_dot products in the cheapest order (then
a view), vander a cumulative product after a row of ones, matrix_power products by repeated squaring (a copy for
n = 0 and 1, the inverse first for n < 0).

matrix_exp is the scaling and squaring method with the degree-13 Padé approximant (Higham 2005), in float64;
its derivative is PyTorch's: the exponential of the block matrix [[A^T, G], [0, A^T]], whose upper right block is
the gradient, so that it differentiates again with the same op.
"""

from __future__ import annotations

import numpy as np

from .._constants import contiguous_format
from .._core.sites import warn_once_at_user_line
from .._size import wrap_dim
from .._tensor import Tensor
from ._export import export
from ._op import Op, _torch_name, apply, broadcast_error, c_type_name
from .linalg import _product_op, mm
from .linalg_solve import _check_matrices, _require_float, _require_matrices, _require_same_dtype, _require_square, inv
from .shape import cat

# --- cross -----------------------------------------------------------------------------------------------


def _rounded_to_odd(total, error):
    """``total`` (a float64 sum, ``error`` what its rounding lost) rounded to odd instead: where inexact, the
    neighbour of the exact sum whose last bit is odd; a sum rounded to odd rounds once more correctly."""
    odd = np.isfinite(error) & (error != 0) & (total.view(np.int64) & 1 == 0)
    return np.where(odd, np.nextafter(total, np.copysign(np.inf, error)), total)


def _two_sum(x, y):
    """(x + y rounded, the rounding error): Knuth's TwoSum."""
    total = x + y
    back = total - x
    return total, (x - (total - back)) + (y - back)


def _split(v):
    """Veltkamp's split of float64 ``v`` into two halves of 26 bits."""
    c = 134217729.0 * v
    high = c - (c - v)
    return high, v - high


def _fused_multiply_subtract(x, y, z):
    """x * y - z rounded once, as a fused multiply-add (x, y, z of one float dtype). float32: the product exact in
    float64, the difference rounded to odd there, then to float32. float64: Boldo and Melquiond's emulation (the
    exact product as Dekker's two terms, their sum with -z rounded to odd, then once to nearest), on the terms
    scaled by a power of two to the range where it holds (a subnormal result is rounded twice: its last bit may
    differ)."""
    if x.dtype == np.float32:
        product = x.astype(np.float64) * y
        return _rounded_to_odd(*_two_sum(product, -z.astype(np.float64))).astype(np.float32)
    x, y, z = np.broadcast_arrays(x, y, z)
    result, product = _boldo_melquiond(x, y, z)
    if not x.size:
        return result
    magnitude = np.abs(product)
    # where it holds as it is: the halves and the product's error within range, every term finite
    if (max(np.abs(x).max(), np.abs(y).max()) < 2.0 ** 995 and 2.0 ** -968 <= magnitude.min()
            and magnitude.max() < np.inf and np.isfinite(z).all() and np.isfinite(result).all()):
        return result
    held = ((np.abs(x) < 2.0 ** 995) & (np.abs(y) < 2.0 ** 995) & (magnitude >= 2.0 ** -968) & (magnitude < np.inf)
            & np.isfinite(z) & np.isfinite(result))
    plain = x * y - z  # (exact where x or y is 0; as fused where either is inf or NaN)
    finite = np.isfinite(x) & np.isfinite(y)
    plain = np.where(finite & ~np.isfinite(z), -z, plain)  # (an exact product minus inf)
    scaled = finite & np.isfinite(z) & (x != 0) & (y != 0) & ~held
    x, y, z = x[scaled], y[scaled], z[scaled]
    (mx, ex), (my, ey), (mz, ez) = np.frexp(x), np.frexp(y), np.frexp(z)
    # scaled by the larger of the product's and z's exponents, both below 1 then; the smaller not below 2^-150 (far
    # below the other's last bit, it only breaks a tie, as a sticky bit)
    shift = np.maximum(ex + ey, np.where(z == 0, -4000, ez))
    x, y, z = mx, np.ldexp(my, np.maximum(ex + ey - shift, -150)), np.ldexp(mz, np.maximum(ez - shift, -150))
    plain[scaled] = np.ldexp(_boldo_melquiond(x, y, z)[0], shift)
    return np.where(held, result, plain)


def _boldo_melquiond(x, y, z):
    """(x * y - z rounded once, x * y rounded) (float64), where the product and its error need no more than
    float64's range."""
    product = x * y
    (xh, xl), (yh, yl) = _split(x), _split(y)
    product_error = ((xh * yh - product) + xh * yl + xl * yh) + xl * yl  # x y = product + product_error
    high, low = _two_sum(product, -z)
    return high + _rounded_to_odd(*_two_sum(low, product_error)), product


def _cross_fwd(a, b, dim):
    """PyTorch's kernel: each entry a_i b_j - a_j b_i, compiled with FMA contraction (x86 AVX2/AVX512, ARM): the
    first product is not rounded before the second, rounded, is subtracted from it. Where that differs from
    NumPy's cross: a first product beyond the largest float minus an infinite second one is that infinity's
    opposite, not NaN; a difference of two equal products is the first one's rounding error, not 0; and the last
    bit of other entries."""
    if a.dtype not in (np.float32, np.float64):  # integers (wrapping as PyTorch's), half precision
        return np.cross(a, b, axis=dim)
    a, b = np.ascontiguousarray(np.moveaxis(a, dim, 0)), np.ascontiguousarray(np.moveaxis(b, dim, 0))

    def entry(i, j):
        return _fused_multiply_subtract(a[i], b[j], a[j] * b[i])

    return np.stack([entry(1, 2), entry(2, 0), entry(0, 1)], dim)


def _cross_bw(n, g):
    a, b = n.saved_tensors
    dim = n.kwargs["dim"]
    need_a, need_b = n.needs_input_grad
    return (apply(CROSS, b, g, dim=dim) if need_a else None), (apply(CROSS, g, a, dim=dim) if need_b else None)


# self is needed only by other's gradient and other only by self's
CROSS = Op("LinalgCrossBackward0", _cross_fwd, _cross_bw, save="ab", saved_names=("self", "other"),
           needed_by=((1,), (0,)))


def cross(input, other, *, dim=-1):
    """The cross product of the 3-vectors along ``dim`` of input and other (same number of dimensions, the
    others broadcast).

    >>> import graphgrad
    >>> graphgrad.linalg.cross(graphgrad.tensor([1.0, 0.0, 0.0]), graphgrad.tensor([0.0, 1.0, 0.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    axis = wrap_dim(dim, a.ndim)
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[axis]} and "
                           f"{b.shape[axis]}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_torch_name(a.dtype)} but found {_torch_name(b.dtype)}")
    if a.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    return apply(CROSS, input, other, dim=dim)


@export("cross")
def tensor_cross(input, other, dim=None):
    """``torch.cross``: ``linalg.cross`` along ``dim``; without it (deprecated, PyTorch warns once), along the first
    dimension of input of size 3."""
    if dim is None:
        warn_once_at_user_line("torch.cross-dim", (
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim explicitly "
            "or simply use torch.linalg.cross.\nThe default value of dim will change to agree with that of "
            "linalg.cross in a future release."))
        dim = next((i for i, size in enumerate(input._data.shape) if size == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return cross(input, other, dim=dim)


# --- vecdot, vdot ----------------------------------------------------------------------------------------
VDOT = _product_op("VdotBackward0", ("self", "other"))


@export("vdot")
def vdot(input, other):
    """The dot product of two 1-D tensors (for real tensors, ``dot``)."""
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_torch_name(a.dtype)} and {_torch_name(b.dtype)}")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                           "respectively")
    if a.dtype == np.bool_:
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")
    return apply(VDOT, input, other)


def vecdot(x, y, *, dim=-1):
    """The dot products of the vectors along ``dim`` of x and y (broadcast): ``(x * y).sum(dim)``.

    >>> import graphgrad
    >>> graphgrad.linalg.vecdot(graphgrad.tensor([[1.0, 2.0], [3.0, 4.0]]), graphgrad.tensor([1.0, 1.0])).tolist()
    [3.0, 7.0]
    """
    a, b = x._data, y._data
    _require_float("linalg.vecdot", a)
    _require_same_dtype("linalg.vecdot", "x", a, "y", b)
    if a.ndim == 1 and b.ndim == 1:
        return vdot(x, y)
    return (x * y).sum(dim)


# --- multi_dot -------------------------------------------------------------------------------------------
def _chain_order(sizes):
    """PyTorch's matrix_chain_order: for matrices ``sizes[i] x sizes[i + 1]``, where to split each run i..j so that
    the products cost the fewest multiplications (the first best split on ties)."""
    count = len(sizes) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain_product(tensors, split, i, j):
    if i == j:
        return tensors[i]
    k = split[i][j]
    return mm(_chain_product(tensors, split, i, k), _chain_product(tensors, split, k + 1, j))


def multi_dot(tensors):
    """The product of two or more matrices, in the order of fewest multiplications; the first may be a 1-D row and
    the last a 1-D column (their dimension is dropped from the result).

    >>> import graphgrad
    >>> graphgrad.linalg.multi_dot([graphgrad.ones(2, 3), graphgrad.ones(3, 4), graphgrad.ones(4)]).tolist()
    [12.0, 12.0]
    """
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"linalg_multi_dot(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got {type(t).__name__}")
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    shape = []
    first, last = tensors[0], tensors[-1]
    if first.dim() == 1:
        first = first.unsqueeze(0)
    elif first.dim() == 2:
        shape.append(first.shape[0])
    else:
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.dim()}D")
    if last.dim() == 1:
        last = last.unsqueeze(-1)
    elif last.dim() == 2:
        shape.append(last.shape[1])
    else:
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.dim()}D")
    for k in range(1, n - 1):
        if tensors[k].dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {k} must be 2D but got {tensors[k].dim()}D")
    matrices = [first, *tensors[1:-1], last]
    dtype = first._data.dtype
    for k in range(1, n):
        if matrices[k]._data.dtype != dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{c_type_name(dtype)} and tensor {k} {c_type_name(matrices[k]._data.dtype)}")
        if matrices[k - 1].shape[-1] != matrices[k].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {k - 1} and {k} with shapes {list(tensors[k - 1].shape)} and "
                               f"{list(tensors[k].shape)} cannot be multiplied")
    if n == 2:
        result = mm(*matrices)
    elif n == 3:  # the cheaper of (AB)C and A(BC)
        a, b = matrices[0].shape
        c, d = matrices[2].shape
        A, B, C = matrices
        result = mm(A, mm(B, C)) if (a * c) * (b + d) > (b * d) * (a + c) else mm(mm(A, B), C)
    else:
        sizes = [m.shape[0] for m in matrices] + [matrices[-1].shape[1]]
        result = _chain_product(matrices, _chain_order(sizes), 0, n - 1)
    return result.view(shape)


# --- vander ----------------------------------------------------------------------------------------------
def vander(x, N=None):  # noqa: N803  (PyTorch's name)
    """The Vandermonde matrix of the values of x (a batch along its last dimension): the powers 0 .. N - 1 of
    each value as a row (N: by default the number of values).

    >>> import graphgrad
    >>> graphgrad.linalg.vander(graphgrad.tensor([2.0, 3.0])).tolist()
    [[1.0, 2.0], [1.0, 3.0]]
    """
    dt = x._data.dtype
    if not (dt in (np.float32, np.float64) or dt.kind in "iu"):
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer tensors, but got "
                           f"{_torch_name(dt)}")
    if x.dim() == 0:
        x = x.unsqueeze(-1)
    shape = tuple(x.shape)
    n = shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = x.unsqueeze(-1).expand(*shape, n - 1).cumprod(-1)
    return cat([powers.new_ones(*shape, 1), powers], -1)


# --- matrix_power ----------------------------------------------------------------------------------------
def matrix_power(A, n):
    """A multiplied by itself ``n`` times (each square matrix of A): the identity for n = 0, the inverse's power
    for n < 0.

    >>> import graphgrad
    >>> graphgrad.linalg.matrix_power(graphgrad.tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
    [[1.0, 3.0], [0.0, 1.0]]
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    return _matrix_power(A, int(n))


@export("matrix_power")
def tensor_matrix_power(input, n):
    """``linalg.matrix_power``."""
    return _matrix_power(input, n)


def _matrix_power(A, n):
    a = A._data
    _require_matrices("linalg.matrix_power", a)
    _require_square("linalg.matrix_power", a)
    if n == 0:  # A's copy overwritten, so that the result is in the graph
        eye = Tensor._make(np.eye(a.shape[-1], dtype=a.dtype), False, None)
        return A.clone(memory_format=contiguous_format).copy_(eye)
    if n == 1:
        return A.clone(memory_format=contiguous_format)
    if n == -1:
        return inv(A)
    base = inv(A) if n < 0 else A
    n = abs(n)
    if n == 2:
        return base @ base
    if n == 3:
        return (base @ base) @ base
    square = result = None  # binary powers, the lowest bit first
    while n > 0:
        bit, n = n % 2, n // 2
        square = base if square is None else square @ square
        if bit:
            result = square if result is None else result @ square
    return result


# --- matrix_exp ------------------------------------------------------------------------------------------
_THETA_13 = 5.371920351148152  # the largest 1-norm for which the degree-13 Padé approximant is exact in float64
_PADE_13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
            10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0,
            1.0)


def _matrix_exp_fwd(a):
    """PyTorch's choices where the answer is not the series': a 1 x 1 matrix is its entry's exp; a matrix whose
    1-norm (in its own dtype) is NaN is all NaN; one whose 1-norm is inf is scaled by 2^-inf = 0 and not squared
    (the identity where its entries are finite, its 1-norm having overflowed; NaN where an entry is inf)."""
    if a.size == 0:
        return a.copy()
    if a.shape[-1] == 1:
        return np.exp(a)
    norm = np.abs(a).sum(-2).max(-1)  # the 1-norm of each matrix
    x = a.astype(np.float64)
    squarings = np.ceil(np.log2(norm.astype(np.float64) / _THETA_13))  # (-inf for a zero matrix)
    squarings = np.where(np.isfinite(squarings) & (squarings > 0), squarings, 0).astype(np.intp)
    x = x / np.ldexp(1.0, squarings)[..., None, None]
    x = np.where(np.isinf(norm)[..., None, None], x * 0, x)  # (NaN where an entry is inf)
    x = np.where((np.isnan(norm) | np.isnan(x).any((-2, -1)))[..., None, None], np.nan, x)
    b = _PADE_13
    eye = np.eye(a.shape[-1])
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    odd = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye)
    even = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
    result = np.linalg.solve(even - odd, even + odd)
    for step in range(int(squarings.max(initial=0))):
        result = np.where((step < squarings)[..., None, None], result @ result, result)
    return result.astype(a.dtype)


def _matrix_exp_bw(n, g):
    """The exponential of [[A^T, G], [0, A^T]]: its upper right block is the gradient."""
    A = n.saved_tensors[0]
    size = A.shape[-1]
    At = A.mT
    zeros = Tensor._make(np.zeros(A._data.shape, A._data.dtype), False, None)
    block = cat([cat([At, g], -1), cat([zeros, At], -1)], -2)
    return apply(MATRIX_EXP, block)[..., :size, size:]


MATRIX_EXP = Op("LinalgMatrixExpBackward0", _matrix_exp_fwd, _matrix_exp_bw, save="a")


def matrix_exp(A):
    """The matrix exponential of each square matrix of A: the sum of A^k / k!.

    >>> import graphgrad
    >>> graphgrad.linalg.matrix_exp(graphgrad.tensor([[0.0, 1.0], [0.0, 0.0]])).tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    _check_matrices("linalg.matrix_exp", A)
    return apply(MATRIX_EXP, A)


@export("matrix_exp")
def tensor_matrix_exp(input):
    """``linalg.matrix_exp``."""
    return matrix_exp(input)
