"""The linalg functions beyond the decompositions of test_linalg_decompositions.py (lu_factor, lu_factor_ex, lu,
lu_solve, lu_unpack and the deprecated torch.lu / torch.lu_solve; inv_ex, solve_ex; pinv and pinverse, lstsq,
matrix_rank; matrix_power, cross, vecdot and vdot, multi_dot, vander, matrix_exp) against PyTorch: values,
gradients, nodes and result tuples in float32 and float64, batched and odd sizes, the errors for inputs PyTorch
refuses (type and text), edge cases (singular, rank-deficient, empty), gradcheck / gradgradcheck, and NaN, inf,
subnormal and huge entries met as PyTorch's kernels meet them (LU's pivots, cross's fused products, matrix_exp's
scaling, lstsq's LAPACK scaling).

The LU factors compare directly (both pivot on the largest magnitude, and random inputs have no ties); pinv and
lstsq compare on full-rank inputs and on inputs whose rank is clear-cut.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np
import pytest

import graphgrad as gg
from graphgrad._core import sites
from graphgrad.autograd import gradcheck, gradgradcheck

from .._parity import error_of_program, node_name

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def _well(T, a):
    """A well-conditioned square matrix made of ``a``."""
    return a + a.shape[-1] * T.eye(a.shape[-1], dtype=a.dtype)


def _lu_of(T, a):
    return T.linalg.lu_factor(_well(T, a))


# name -> (fn(T, *xs), input shapes)
CASES = {
    "lu_factor": (lambda T, a: tuple(T.linalg.lu_factor(a)), [(4, 4)]),
    "lu_factor_batch_wide": (lambda T, a: tuple(T.linalg.lu_factor(a)), [(2, 3, 5)]),
    "lu_factor_tall": (lambda T, a: tuple(T.linalg.lu_factor(a)), [(5, 3)]),
    "lu_factor_ex": (lambda T, a: tuple(T.linalg.lu_factor_ex(a)), [(2, 2, 3, 3)]),
    "lu_factor_large": (lambda T, a: T.linalg.lu_factor(a).LU, [(70, 70)]),  # (more than one panel)
    "lu_factor_large_wide": (lambda T, a: T.linalg.lu_factor(a).LU, [(2, 40, 75)]),
    "torch_lu": (lambda T, a: tuple(T.lu(a)), [(3, 3)]),
    "torch_lu_infos": (lambda T, a: tuple(a.lu(get_infos=True)), [(2, 3, 3)]),
    "lu": (lambda T, a: tuple(T.linalg.lu(a)), [(2, 4, 4)]),
    "lu_wide": (lambda T, a: tuple(T.linalg.lu(a)), [(3, 5)]),
    "lu_tall_batch": (lambda T, a: tuple(T.linalg.lu(a)), [(2, 5, 3)]),
    "lu_L_only": (lambda T, a: T.linalg.lu(a).L, [(4, 2)]),
    "lu_U_only": (lambda T, a: T.linalg.lu(a).U, [(2, 4)]),
    "lu_solve": (lambda T, a, b: T.linalg.lu_solve(*_lu_of(T, a), b), [(3, 3), (3, 2)]),
    "lu_solve_adjoint_batch": (lambda T, a, b: T.linalg.lu_solve(*_lu_of(T, a), b, adjoint=True),
                               [(2, 3, 3), (3, 2)]),
    "lu_solve_right_broadcast": (lambda T, a, b: T.linalg.lu_solve(*_lu_of(T, a), b, left=False),
                                 [(3, 3), (4, 2, 3)]),
    "lu_solve_right_adjoint": (lambda T, a, b: T.linalg.lu_solve(*_lu_of(T, a), b, left=False, adjoint=True),
                               [(2, 5, 5), (2, 1, 5)]),
    "lu_solve_leaf_LU": (lambda T, a, b: T.linalg.lu_solve(_well(T, a), T.tensor([2, 3, 3], dtype=T.int32), b,
                                                           adjoint=True), [(3, 3), (3, 2)]),
    "lu_solve_B_only": (lambda T, a, b: T.linalg.lu_solve(*_lu_of(T, a.detach()), b), [(4, 4), (4, 3)]),
    "torch_lu_solve": (lambda T, a, b: b.lu_solve(*T.lu(_well(T, a))), [(3, 3), (3, 1)]),
    "lu_unpack": (lambda T, a: tuple(T.lu_unpack(*T.linalg.lu_factor(a))), [(4, 4)]),
    "lu_unpack_wide_batch": (lambda T, a: tuple(T.lu_unpack(*T.linalg.lu_factor(a))), [(2, 3, 5)]),
    "lu_unpack_tall": (lambda T, a: tuple(T.lu_unpack(*T.linalg.lu_factor(a))), [(5, 3)]),
    "lu_unpack_data_only": (lambda T, a: tuple(T.lu_unpack(*T.linalg.lu_factor(a), unpack_pivots=False)), [(3, 3)]),
    "inv_ex": (lambda T, a: tuple(T.linalg.inv_ex(_well(T, a))), [(2, 3, 3)]),
    "inv_ex_checked": (lambda T, a: tuple(T.linalg.inv_ex(_well(T, a), check_errors=True)), [(4, 4)]),
    "solve_ex_checked": (lambda T, a, b: tuple(T.linalg.solve_ex(_well(T, a), b, check_errors=True)),
                         [(2, 3, 3), (3, 1)]),
    "solve_ex": (lambda T, a, b: tuple(T.linalg.solve_ex(_well(T, a), b)), [(3, 3), (3,)]),
    "solve_ex_right_broadcast": (lambda T, a, b: tuple(T.linalg.solve_ex(_well(T, a), b, left=False)),
                                 [(2, 4, 4), (3, 1, 2, 4)]),
    "pinv": (lambda T, a: T.linalg.pinv(a), [(5, 3)]),
    "pinv_wide_batch": (lambda T, a: T.linalg.pinv(a), [(2, 3, 5)]),
    "pinv_hermitian": (lambda T, a: T.linalg.pinv(a + a.mT, hermitian=True), [(2, 4, 4)]),
    "pinv_cut": (lambda T, a: T.linalg.pinv(a * T.tensor([1.0, 1.0, 1e-3], dtype=a.dtype), rtol=0.01), [(4, 3)]),
    "pinv_atol_tensor": (lambda T, a: T.linalg.pinv(a, atol=T.tensor([0.0, 100.0], dtype=T.float64)), [(2, 3, 3)]),
    "pinv_rcond": (lambda T, a: T.linalg.pinv(a, 1e-3), [(3, 4)]),
    "pinverse": (lambda T, a: (T.pinverse(a), a.pinverse(rcond=0.5)), [(3, 2)]),
    "lstsq": (lambda T, a, b: tuple(T.linalg.lstsq(a, b)), [(5, 3), (5, 2)]),
    "lstsq_wide_batch": (lambda T, a, b: tuple(T.linalg.lstsq(a, b)), [(2, 3, 5), (2, 3, 2)]),
    "lstsq_vector": (lambda T, a, b: tuple(T.linalg.lstsq(a, b)), [(2, 5, 3), (2, 5)]),
    "lstsq_broadcast": (lambda T, a, b: tuple(T.linalg.lstsq(a, b)), [(1, 4, 2), (3, 4, 2)]),
    "lstsq_gelsd": (lambda T, a, b: tuple(T.linalg.lstsq(a, b, driver="gelsd")), [(2, 5, 3), (2, 5, 2)]),
    "lstsq_gelss_vector": (lambda T, a, b: tuple(T.linalg.lstsq(a, b, driver="gelss")), [(5, 3), (5,)]),
    "lstsq_gels": (lambda T, a, b: tuple(T.linalg.lstsq(a, b, driver="gels")), [(4, 2), (4, 3)]),
    "lstsq_gelsd_wide": (lambda T, a, b: tuple(T.linalg.lstsq(a, b, driver="gelsd")), [(3, 4), (3, 1)]),
    "matrix_rank": (lambda T, a: T.linalg.matrix_rank(a), [(2, 4, 3)]),
    "matrix_rank_hermitian": (lambda T, a: T.linalg.matrix_rank(a + a.mT, hermitian=True), [(3, 3)]),
    "matrix_power_5": (lambda T, a: T.linalg.matrix_power(a, 5), [(3, 3)]),
    "matrix_power_2_batch": (lambda T, a: T.linalg.matrix_power(a, 2), [(2, 4, 4)]),
    "matrix_power_3": (lambda T, a: T.matrix_power(a, 3), [(3, 3)]),
    "matrix_power_7_method": (lambda T, a: a.matrix_power(7), [(2, 2)]),
    "matrix_power_negative": (lambda T, a: T.linalg.matrix_power(_well(T, a), -3), [(2, 3, 3)]),
    "matrix_power_minus_1": (lambda T, a: T.linalg.matrix_power(_well(T, a), -1), [(3, 3)]),
    "matrix_power_0": (lambda T, a: T.linalg.matrix_power(a, 0), [(2, 3, 3)]),
    "matrix_power_1": (lambda T, a: T.linalg.matrix_power(a, 1), [(3, 3)]),
    "cross": (lambda T, a, b: T.linalg.cross(a, b), [(4, 3), (4, 3)]),
    "cross_broadcast_dim": (lambda T, a, b: T.linalg.cross(a, b, dim=0), [(3, 4), (3, 1)]),
    "torch_cross": (lambda T, a, b: (T.cross(a, b, dim=1), a.cross(b, -1)), [(2, 3), (1, 3)]),
    "vecdot": (lambda T, a, b: T.linalg.vecdot(a, b), [(2, 3), (4, 1, 3)]),
    "vecdot_dim": (lambda T, a, b: T.linalg.vecdot(a, b, dim=0), [(3, 2), (3, 2)]),
    "vecdot_vectors": (lambda T, a, b: T.linalg.vecdot(a, b), [(5,), (5,)]),
    "vdot": (lambda T, a, b: (T.vdot(a, b), a.vdot(b)), [(4,), (4,)]),
    "multi_dot_2": (lambda T, a, b: T.linalg.multi_dot([a, b]), [(2, 3), (3, 4)]),
    "multi_dot_3_vectors": (lambda T, a, b, c: T.linalg.multi_dot((a, b, c)), [(3,), (3, 5), (5,)]),
    "multi_dot_3_left": (lambda T, a, b, c: T.linalg.multi_dot([a, b, c]), [(5, 2), (2, 6), (6, 3)]),
    "multi_dot_3_right": (lambda T, a, b, c: T.linalg.multi_dot([a, b, c]), [(2, 6), (6, 3), (3, 5)]),
    "multi_dot_5": (lambda T, a, b, c, d, e: T.linalg.multi_dot([a, b, c, d, e]),
                    [(3,), (3, 6), (6, 2), (2, 5), (5, 4)]),
    "vander": (lambda T, a: T.linalg.vander(a), [(2, 4)]),
    "vander_N": (lambda T, a: T.linalg.vander(a, N=5), [(3,)]),
    "vander_0d": (lambda T, a: T.linalg.vander(a, N=3), [()]),
    "matrix_exp": (lambda T, a: T.linalg.matrix_exp(a), [(2, 3, 3)]),
    "matrix_exp_scaled": (lambda T, a: T.matrix_exp(3 * a), [(4, 4)]),
    "matrix_exp_method_1x1": (lambda T, a: a.matrix_exp(), [(2, 1, 1)]),
}


def _inputs(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    return [rng.uniform(-2, 2, size=s) for s in CASES[name][1]]


def _run(T, name, arrays, dtype):
    fn, _ = CASES[name]
    xs = [T.tensor(a, dtype=getattr(T, dtype), requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the deprecated forms' warnings: test_deprecated_forms_warn_once)
        out = fn(T, *xs)
    out = out if isinstance(out, tuple) else (out,)
    floats = [o for o in out if o.dtype.is_floating_point and o.requires_grad]
    if not floats:
        return out, [None] * len(xs)
    # a loss with a different weight per entry
    loss = sum((o * T.tensor(np.cos(np.arange(o.numel())).reshape(o.shape), dtype=o.dtype)).sum() for o in floats)
    return out, T.autograd.grad(loss, xs, allow_unused=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_gradients_and_nodes_as_pytorch(torch_ref, name, dtype):
    arrays = _inputs(name)
    mine, grads = _run(gg, name, arrays, dtype)
    theirs, their_grads = _run(torch_ref, name, arrays, dtype)
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        assert str(m.dtype) == str(t.dtype).replace("torch.", "graphgrad.")
        assert tuple(m.shape) == tuple(t.shape)
        assert m.requires_grad == t.requires_grad
        assert node_name(m.grad_fn) == node_name(t.grad_fn)
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), **_at_scale_of(t.detach(), dtype))
    for g, t in zip(grads, their_grads):
        assert (g is None) == (t is None)
        if t is not None:
            np.testing.assert_allclose(g.numpy(), t.numpy(), **_at_scale_of(t, dtype))


def _at_scale_of(t, dtype):
    """The tolerances with atol at the scale of the result: the large factorisations sum long float32 products, in
    another order than MKL's (an entry near 0 of a 40 x 75 LU is off by a few float32 roundings of the others)."""
    values = t.numpy().ravel()
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values[:0]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    return dict(TOL[dtype], atol=TOL[dtype]["atol"] * max(1.0, largest))


# name -> (fn(*xs), input shapes): gradcheck and gradgradcheck in float64
def _floats(out):
    out = tuple(out) if isinstance(out, tuple) else (out,)
    return tuple(o for o in out if o.dtype.is_floating_point and o.requires_grad)


GRADCHECKS = {
    "lu_factor": (lambda a: gg.linalg.lu_factor(a).LU, [(3, 3)]),
    "lu_factor_ex_wide": (lambda a: gg.linalg.lu_factor_ex(a).LU, [(2, 3, 4)]),
    "lu_factor_tall": (lambda a: gg.linalg.lu_factor(a).LU, [(4, 2)]),
    "lu": (lambda a: _floats(gg.linalg.lu(a)), [(2, 3, 3)]),
    "lu_wide": (lambda a: _floats(gg.linalg.lu(a)), [(2, 4)]),
    "lu_tall": (lambda a: _floats(gg.linalg.lu(a)), [(4, 3)]),
    "lu_solve": (lambda a, b: gg.linalg.lu_solve(*gg.linalg.lu_factor(a), b), [(3, 3), (2, 3, 2)]),
    "lu_solve_adjoint": (lambda a, b: gg.linalg.lu_solve(*gg.linalg.lu_factor(a), b, adjoint=True), [(3, 3), (3, 1)]),
    "lu_solve_right_adjoint": (lambda a, b: gg.linalg.lu_solve(*gg.linalg.lu_factor(a), b, left=False,
                                                               adjoint=True), [(2, 3, 3), (2, 3)]),
    "lu_solve_leaf_LU": (lambda a, b: gg.linalg.lu_solve(_well(gg, a), gg.tensor([3, 2, 3], dtype=gg.int32), b,
                                                         left=False), [(3, 3), (2, 3)]),
    "lu_unpack": (lambda a: _floats(gg.lu_unpack(*gg.linalg.lu_factor(a))), [(3, 4)]),
    "lu_unpack_leaf": (lambda a: _floats(gg.lu_unpack(a, gg.tensor([2, 2], dtype=gg.int32))), [(2, 3)]),
    "lu_unpack_tall": (lambda a: _floats(gg.lu_unpack(*gg.linalg.lu_factor(a))), [(2, 4, 3)]),
    "inv_ex": (lambda a: gg.linalg.inv_ex(a).inverse, [(2, 3, 3)]),
    "solve_ex": (lambda a, b: gg.linalg.solve_ex(a, b).result, [(3, 3), (3,)]),
    "pinv": (lambda a: gg.linalg.pinv(a), [(4, 3)]),
    "pinv_wide": (lambda a: gg.linalg.pinv(a), [(2, 2, 3)]),
    "pinv_hermitian": (lambda a: gg.linalg.pinv(a + a.mT, hermitian=True), [(3, 3)]),
    "lstsq": (lambda a, b: _floats(gg.linalg.lstsq(a, b)), [(4, 3), (4, 2)]),
    "lstsq_gelsd_residuals": (lambda a, b: _floats(gg.linalg.lstsq(a, b, driver="gelsd")), [(2, 4, 2), (2, 4, 2)]),
    "lstsq_vector": (lambda a, b: _floats(gg.linalg.lstsq(a, b, driver="gelss")), [(4, 2), (4,)]),
    "lstsq_wide": (lambda a, b: _floats(gg.linalg.lstsq(a, b)), [(2, 4), (2, 1)]),
    "matrix_power": (lambda a: gg.linalg.matrix_power(a, 6), [(3, 3)]),
    "matrix_power_negative": (lambda a: gg.linalg.matrix_power(a, -2), [(2, 3, 3)]),
    "matrix_power_0": (lambda a: gg.linalg.matrix_power(a, 0), [(2, 2)]),
    "cross": (lambda a, b: gg.linalg.cross(a, b), [(2, 3), (1, 3)]),
    "vecdot": (lambda a, b: gg.linalg.vecdot(a, b), [(2, 3), (3,)]),
    "vdot": (lambda a, b: gg.vdot(a, b), [(3,), (3,)]),
    "multi_dot": (lambda a, b, c, d: gg.linalg.multi_dot([a, b, c, d]), [(3,), (3, 4), (4, 2), (2, 3)]),
    "vander": (lambda a: gg.linalg.vander(a), [(2, 3)]),
    "matrix_exp": (lambda a: gg.linalg.matrix_exp(a), [(2, 3, 3)]),
    "matrix_exp_scaled": (lambda a: gg.linalg.matrix_exp(4 * a), [(2, 2)]),  # (squarings in the forward)
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_and_gradgradcheck(name):
    fn, shapes = GRADCHECKS[name]
    rng = np.random.default_rng(len(name))
    xs = [gg.tensor(rng.normal(size=s), dtype=gg.float64, requires_grad=True) for s in shapes]
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)


# --- errors ----------------------------------------------------------------------------------------------
_PIV = "T.tensor([1, 2, 3], dtype=T.int32)"
ERRORS = {
    "lu_factor_vector": "T.linalg.lu_factor(T.ones(3))",
    "lu_factor_ex_vector": "T.linalg.lu_factor_ex(T.ones(3), pivot=False)",
    "lu_factor_int": "T.linalg.lu_factor(T.ones(3, 3, dtype=T.int64))",
    "lu_factor_half": "T.linalg.lu_factor(T.ones(3, 3, dtype=T.float16))",
    "lu_factor_no_pivot": "T.linalg.lu_factor(T.ones(3, 3), pivot=False)",
    "lu_factor_int_no_pivot": "T.linalg.lu_factor_ex(T.ones(3, 3, dtype=T.int64), pivot=False)",
    "lu_factor_singular": "T.linalg.lu_factor(T.tensor([[1.0, 2.0], [2.0, 4.0]]))",
    "lu_factor_singular_batch": "T.linalg.lu_factor(T.stack([T.eye(3), T.zeros(3, 3)]))",
    "lu_factor_singular_wide": "T.linalg.lu_factor(T.zeros(2, 3))",
    "lu_factor_ex_check": "T.linalg.lu_factor_ex(T.stack([T.eye(3), T.zeros(3, 3)]), check_errors=True)",
    "lu_vector": "T.linalg.lu(T.ones(3))",
    "lu_int": "T.linalg.lu(T.ones(3, 3, dtype=T.int64))",
    "lu_no_pivot": "T.linalg.lu(T.ones(3, 3), pivot=False)",
    "torch_lu_vector": "T.lu(T.ones(3))",
    "lu_solve_LU_vector": f"T.linalg.lu_solve(T.ones(3), {_PIV}, T.ones(3, 1))",
    "lu_solve_B_vector": f"T.linalg.lu_solve(T.ones(3, 3), {_PIV}, T.ones(3))",
    "lu_solve_sizes": f"T.linalg.lu_solve(T.ones(3, 3), {_PIV}, T.ones(4, 2))",
    "lu_solve_sizes_right": f"T.linalg.lu_solve(T.ones(3, 3), {_PIV}, T.ones(3, 2), left=False)",
    "lu_solve_pivots_int64": "T.linalg.lu_solve(T.ones(3, 3), T.tensor([1, 2, 3]), T.ones(3, 2))",
    "lu_solve_pivots_count": "T.linalg.lu_solve(T.ones(3, 3), T.tensor([1, 2], dtype=T.int32), T.ones(3, 2))",
    "lu_solve_pivots_batch": f"T.linalg.lu_solve(T.eye(3).expand(4, 3, 3), {_PIV}, T.ones(3, 2))",
    "lu_solve_not_square": f"T.linalg.lu_solve(T.ones(3, 4), {_PIV}, T.ones(3, 2))",
    "lu_solve_int": f"T.linalg.lu_solve(T.ones(3, 3, dtype=T.int64), {_PIV}, T.ones(3, 1, dtype=T.int64))",
    "lu_solve_half": f"T.linalg.lu_solve(T.ones(3, 3, dtype=T.float16), {_PIV}, T.ones(3, 1, dtype=T.float16))",
    "lu_solve_dtypes": f"T.linalg.lu_solve(T.ones(3, 3), {_PIV}, T.ones(3, 2, dtype=T.float64))",
    "lu_solve_dtype_first": "T.linalg.lu_solve(T.ones(3, 3), T.tensor([1, 2, 3]), T.ones(3, 2, dtype=T.float64))",
    "lu_solve_pivot_0": "T.linalg.lu_solve(T.ones(3, 3), T.tensor([0, 2, 3], dtype=T.int32), T.ones(3, 2))",
    "lu_solve_pivot_big": "T.linalg.lu_solve(T.ones(3, 3), T.tensor([1, 2, 5], dtype=T.int32), T.ones(3, 2))",
    "lu_solve_broadcast": "T.linalg.lu_solve(T.ones(2, 3, 3), T.ones(2, 3, dtype=T.int32), T.ones(3, 3, 2))",
    "lu_unpack_vector": "T.lu_unpack(T.ones(3), T.tensor([1, 2], dtype=T.int32))",
    "lu_unpack_pivots_int64": "T.lu_unpack(T.ones(3, 3), T.tensor([1, 2, 3]))",
    "lu_unpack_pivots_float": "T.lu_unpack(T.ones(3, 3), T.tensor([1.0, 2.0, 3.0]))",
    "lu_unpack_pivot_range": "T.lu_unpack(T.ones(3, 3), T.tensor([0, 2, 3], dtype=T.int32))",
    "inv_ex_vector": "T.linalg.inv_ex(T.ones(3))",
    "inv_ex_not_square": "T.linalg.inv_ex(T.ones(3, 2))",
    "inv_ex_int": "T.linalg.inv_ex(T.ones(3, 3, dtype=T.int64))",
    "inv_ex_half": "T.linalg.inv_ex(T.ones(3, 3, dtype=T.float16))",
    "inv_ex_check": "T.linalg.inv_ex(T.stack([T.eye(3), T.zeros(3, 3)]), check_errors=True)",
    "inv_singular_second_pivot": "T.linalg.inv(T.tensor([[1.0, 2.0], [2.0, 4.0]]))",
    "solve_ex_vector": "T.linalg.solve_ex(T.ones(3), T.ones(3))",
    "solve_ex_sizes": "T.linalg.solve_ex(T.eye(3), T.ones(4))",
    "solve_ex_right_sizes": "T.linalg.solve_ex(T.tensor([[1.0, 2.0], [2.0, 4.0]]), T.ones(2), left=False)",
    "solve_ex_check": "T.linalg.solve_ex(T.stack([T.eye(3), T.zeros(3, 3)]), T.ones(3), check_errors=True)",
    "solve_right_vector": "T.linalg.solve(T.eye(1), T.ones(1), left=False)",
    "solve_right_vectors": "T.linalg.solve(T.eye(2).expand(3, 2, 2), T.ones(3, 2), left=False)",
    "solve_broadcast": "T.linalg.solve(T.ones(2, 2, 2), T.ones(3, 2, 1))",
    "solve_half": "T.linalg.solve(T.ones(2, 2, dtype=T.float16), T.ones(2, dtype=T.float16))",
    "solve_half_shapes_first": "T.linalg.solve(T.ones(2, 2, dtype=T.float16), T.ones(3, dtype=T.float16))",
    "inv_half_square_first": "T.linalg.inv(T.ones(3, 2, dtype=T.float16))",
    "inv_int_square_first": "T.linalg.inv(T.ones(3, 2, dtype=T.int64))",
    "solve_singular_broadcast": "T.linalg.solve(T.stack([T.eye(2), T.zeros(2, 2)]), T.ones(4, 1, 2, 1))",
    "pinv_vector": "T.linalg.pinv(T.ones(3))",
    "pinv_int": "T.linalg.pinv(T.ones(3, 2, dtype=T.int64))",
    "pinv_half": "T.linalg.pinv(T.ones(3, 2, dtype=T.float16))",
    "pinv_hermitian_not_square": "T.linalg.pinv(T.ones(3, 2), hermitian=True)",
    "pinverse_vector": "T.pinverse(T.ones(3))",
    "lstsq_vector_A": "T.linalg.lstsq(T.ones(3), T.ones(3))",
    "lstsq_sizes": "T.linalg.lstsq(T.ones(3, 2), T.ones(4, 1))",
    "lstsq_vector_sizes": "T.linalg.lstsq(T.ones(3, 2), T.ones(4))",
    "lstsq_dims": "T.linalg.lstsq(T.ones(3, 2), T.ones(2, 3, 1))",
    "lstsq_dims_vector": "T.linalg.lstsq(T.ones(2, 3, 2), T.ones(3))",
    "lstsq_dtypes": "T.linalg.lstsq(T.ones(3, 2), T.ones(3, 1, dtype=T.float64))",
    "lstsq_int": "T.linalg.lstsq(T.ones(3, 2, dtype=T.int64), T.ones(3, 1, dtype=T.int64))",
    "lstsq_half_before_broadcast": "T.linalg.lstsq(T.ones(2, 3, 2, dtype=T.float16), T.ones(5, 3, 1, dtype=T.float16))",
    "lstsq_driver": "T.linalg.lstsq(T.ones(3, 2), T.ones(3, 1), driver='foo')",
    "lstsq_driver_before_dtype": "T.linalg.lstsq(T.ones(3, 2, dtype=T.int64), T.ones(3, 1, dtype=T.int64), driver='x')",
    "lstsq_broadcast": "T.linalg.lstsq(T.ones(2, 3, 2), T.ones(4, 3, 1))",
    "lstsq_broadcast_one_fewer": "T.linalg.lstsq(T.ones(2, 3, 2), T.ones(3, 3))",
    "lstsq_sizes_one_fewer": "T.linalg.lstsq(T.ones(2, 3, 2), T.ones(2, 4))",
    "lstsq_gels_rank": "T.linalg.lstsq(T.tensor([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]), T.ones(3, 1), driver='gels')",
    "matrix_rank_vector": "T.linalg.matrix_rank(T.ones(3))",
    "matrix_rank_int": "T.linalg.matrix_rank(T.ones(3, 3, dtype=T.int64))",
    "matrix_rank_half": "T.linalg.matrix_rank(T.ones(3, 3, dtype=T.float16))",
    "matrix_rank_hermitian_not_square": "T.linalg.matrix_rank(T.ones(2, 3), hermitian=True)",
    "matrix_power_vector": "T.linalg.matrix_power(T.ones(3), 2)",
    "matrix_power_not_square": "T.linalg.matrix_power(T.ones(3, 2), 2)",
    "matrix_power_float_n": "T.linalg.matrix_power(T.ones(3, 3), 2.0)",
    "matrix_power_int_inverse": "T.linalg.matrix_power(T.ones(3, 3, dtype=T.int64), -1)",
    "matrix_power_bool": "T.linalg.matrix_power(T.ones(3, 3, dtype=T.bool), 2)",
    "matrix_power_singular": "T.linalg.matrix_power(T.zeros(2, 3, 3), -2)",
    "torch_matrix_power_vector": "T.matrix_power(T.ones(3), 2)",
    "torch_matrix_power_float_n": "T.matrix_power(T.ones(3, 3), 2.0)",
    "matrix_power_method_float_n": "T.ones(3, 3).matrix_power(2.0)",
    "cross_length": "T.linalg.cross(T.ones(4), T.ones(4))",
    "cross_length_first": "T.linalg.cross(T.ones(2, 4), T.ones(3, 4, dtype=T.float64))",
    "cross_dims": "T.linalg.cross(T.ones(2, 3), T.ones(4, 1, 3))",
    "cross_broadcast": "T.linalg.cross(T.ones(2, 3), T.ones(3, 3, dtype=T.float64))",
    "cross_dtypes": "T.linalg.cross(T.ones(3), T.ones(3, dtype=T.float64))",
    "cross_bool": "T.linalg.cross(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool))",
    "cross_dim_range": "T.linalg.cross(T.ones(3, 3), T.ones(3, 3), dim=2)",
    "torch_cross_no_3": "T.cross(T.ones(2, 4), T.ones(2, 4))",
    "torch_cross_first_3": "T.cross(T.ones(1, 3), T.ones(3, 1))",
    "torch_cross_dim": "T.cross(T.ones(3, 2), T.ones(3, 2), dim=1)",
    "vecdot_int": "T.linalg.vecdot(T.ones(3, dtype=T.int64), T.ones(3))",
    "vecdot_dtypes": "T.linalg.vecdot(T.ones(3), T.ones(3, dtype=T.float64))",
    "vecdot_sizes": "T.linalg.vecdot(T.ones(3), T.ones(2))",
    "vecdot_broadcast": "T.linalg.vecdot(T.ones(2, 3), T.ones(2, 4))",
    "vecdot_dim": "T.linalg.vecdot(T.ones(3, 2), T.ones(3, 2), dim=2)",
    "vdot_matrix": "T.vdot(T.ones(3, 2), T.ones(3))",
    "vdot_dtypes": "T.vdot(T.ones(3), T.ones(2, dtype=T.float64))",
    "vdot_bool": "T.vdot(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool))",
    "multi_dot_one": "T.linalg.multi_dot([T.ones(3)])",
    "multi_dot_tensor": "T.linalg.multi_dot(T.ones(2, 3, 3))",
    "multi_dot_not_tensor": "T.linalg.multi_dot([T.ones(2, 3), 5])",
    "multi_dot_sizes": "T.linalg.multi_dot([T.ones(2, 3), T.ones(3, 2), T.ones(3, 4)])",
    "multi_dot_first_3d": "T.linalg.multi_dot([T.ones(2, 2, 3), T.ones(3, 2)])",
    "multi_dot_last_3d": "T.linalg.multi_dot([T.ones(2, 3), T.ones(3, 2, 1)])",
    "multi_dot_middle_1d": "T.linalg.multi_dot([T.ones(2, 3), T.ones(3), T.ones(2, 3)])",
    "multi_dot_dtypes": "T.linalg.multi_dot([T.ones(2, 3, dtype=T.int32), T.ones(3, 2, dtype=T.int8)])",
    "multi_dot_bool": "T.linalg.multi_dot([T.ones(2, 3, dtype=T.bool), T.ones(3, 2, dtype=T.bool)])",
    "vander_N": "T.linalg.vander(T.ones(3), N=1)",
    "vander_0d": "T.linalg.vander(T.tensor(2.0))",
    "vander_bool": "T.linalg.vander(T.tensor([True, False]))",
    "vander_half": "T.linalg.vander(T.ones(3, dtype=T.float16))",
    "matrix_exp_vector": "T.linalg.matrix_exp(T.ones(3))",
    "matrix_exp_not_square": "T.ones(3, 2).matrix_exp()",
    "matrix_exp_int": "T.matrix_exp(T.ones(3, 3, dtype=T.int64))",
    # a wrong argument type: PyTorch's TypeError, through _args.checked
    "inv_not_tensor": "T.linalg.inv([[1.0]])",
    "lu_solve_not_tensor": "T.linalg.lu_solve([[1.0]], T.ones(1, dtype=T.int32), T.ones(1, 1))",
    "lu_factor_not_tensor": "T.linalg.lu_factor([[1.0]])",
    "vecdot_not_tensor": "T.linalg.vecdot(T.ones(2), [1.0, 2.0])",
    "lstsq_not_tensor": "T.linalg.lstsq(T.ones(2, 2), [[1.0], [2.0]])",
    "lstsq_first_not_tensor": "T.linalg.lstsq([[1.0]], T.ones(1, 1))",
    "cross_not_tensor": "T.linalg.cross(T.ones(3), [1.0, 2.0, 3.0])",
    "vector_norm_not_tensor": "T.linalg.vector_norm([1.0])",
    "norm_not_tensor": "T.linalg.norm([1.0])",
    "matrix_exp_not_tensor": "T.linalg.matrix_exp([[1.0]])",
    "matrix_power_not_tensor": "T.linalg.matrix_power([[1.0]], 2)",
    "solve_ex_not_tensor": "T.linalg.solve_ex(T.eye(2), [1.0, 2.0])",
    "det_not_tensor": "T.linalg.det([[1.0]])",
    "householder_product_not_tensor": "T.linalg.householder_product(T.ones(2, 2), [1.0])",
}


def _builtin(e):
    return next(cls for cls in type(e).__mro__ if getattr(builtins, cls.__name__, None) is cls)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_pytorch(torch_ref, name):
    mine, theirs = error_of_program(gg, ERRORS[name]), error_of_program(torch_ref, ERRORS[name])
    # PyTorch's text, whole (graphgrad may add its own lines after it, as the shapes of a broadcast)
    assert str(mine).startswith(str(theirs)), (str(mine), str(theirs))
    assert _builtin(mine) is _builtin(theirs)
    assert isinstance(mine, gg.linalg.LinAlgError) == isinstance(theirs, torch_ref.linalg.LinAlgError)


# --- edge cases ------------------------------------------------------------------------------------------
_SINGULAR = "T.tensor([[1.0, 2.0], [2.0, 4.0]])"
_RANK_1 = "T.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])"
EDGES = {
    "inv_ex_singular": f"T.linalg.inv_ex({_SINGULAR})",
    "inv_ex_singular_batch": "T.linalg.inv_ex(T.stack([T.eye(3), T.zeros(3, 3)]))",
    "solve_ex_singular": f"T.linalg.solve_ex({_SINGULAR}, T.ones(2))",
    "solve_ex_singular_batch": "T.linalg.solve_ex(T.stack([T.eye(3), T.zeros(3, 3)]), T.ones(3))",
    "solve_ex_info_shape": "T.linalg.solve_ex(T.eye(3).expand(2, 3, 3), T.ones(4, 1, 3, 2)).info",
    "inv_ex_nan": "T.linalg.inv_ex(T.tensor([[float('nan'), 1.0], [1.0, 1.0]]))",
    "lu_factor_ex_singular": f"T.linalg.lu_factor_ex({_SINGULAR})",
    "lu_factor_ex_zero_column": "T.linalg.lu_factor_ex(T.tensor([[0.0, 1, 2], [0, 3, 4], [0, 5, 7]]))",
    "lu_factor_ex_ties": "T.linalg.lu_factor_ex(T.tensor([[1.0, 1, 2], [1, 1, 4], [0, 5, 7]]))",
    "lu_zeros": "T.linalg.lu(T.zeros(3, 3))",
    "lu_empty": "T.linalg.lu(T.zeros(0, 3))",
    "lu_factor_empty": "[T.linalg.lu_factor(T.zeros(0, 3)), T.linalg.lu_factor(T.zeros(2, 0, 0))]",
    "torch_lu_singular": "T.lu(T.zeros(3, 3), get_infos=True)",
    "torch_lu_tuple": "type(T.lu(T.eye(2))).__name__",
    "lu_solve_singular": "T.linalg.lu_solve(*T.linalg.lu_factor_ex(T.zeros(3, 3))[:2], T.eye(3))",
    "lu_solve_empty": "T.linalg.lu_solve(T.ones(0, 0), T.tensor([], dtype=T.int32), T.ones(0, 2))",
    "lu_unpack_flags": ("[T.lu_unpack(T.ones(3, 3), T.tensor([1, 2, 3], dtype=T.int32), False, True), "
                        "T.lu_unpack(T.ones(3, 3), T.tensor([1, 2, 3], dtype=T.int32), True, False)]"),
    "lu_unpack_int": "T.lu_unpack(T.ones(3, 3, dtype=T.int64), T.tensor([3, 2, 3], dtype=T.int32))",
    "lu_unpack_tall_pivots": "T.lu_unpack(T.ones(4, 3), T.tensor([1, 4, 4], dtype=T.int32))",
    "lstsq_rank_deficient": f"T.linalg.lstsq({_RANK_1}, T.ones(3, 1))",
    "lstsq_rank_deficient_gelsd": f"T.linalg.lstsq({_RANK_1}, T.ones(3, 1), driver='gelsd')",
    "lstsq_rank_deficient_batch": f"T.linalg.lstsq(T.stack([{_RANK_1}, T.eye(3, 2)]), T.ones(2, 3, 2), driver='gelss')",
    "lstsq_full_rank_residuals": "T.linalg.lstsq(T.eye(3, 2).expand(2, 3, 2), T.ones(2, 3), driver='gelsd')",
    "lstsq_rcond": "T.linalg.lstsq(T.tensor([[1.0, 0.0], [0.0, 0.01], [0.0, 0.0]]), T.ones(3, 1), rcond=0.1)",
    "lstsq_negative_rcond": ("[T.linalg.lstsq(T.diag(T.tensor([1.0, 1e-9])), T.ones(2, 1), rcond=-1.0, driver=d).rank "
                             "for d in ('gelsy', 'gelsd', 'gelss')]"),
    "lstsq_zeros": "T.linalg.lstsq(T.zeros(3, 2), T.ones(3, 1))",
    "lstsq_empty": ("[T.linalg.lstsq(T.ones(0, 3, 2), T.ones(0, 3, 1)), T.linalg.lstsq(T.ones(3, 0), T.ones(3, 1)),"
                    " T.linalg.lstsq(T.ones(3, 2), T.ones(3, 0))]"),
    "lstsq_type": "type(T.linalg.lstsq(T.eye(2), T.ones(2, 1))).__name__",
    "pinv_rank_deficient": f"T.linalg.pinv({_RANK_1})",
    "pinv_zeros": "T.linalg.pinv(T.zeros(2, 3))",
    "pinv_empty": "[T.linalg.pinv(T.zeros(0, 2)), T.linalg.pinv(T.zeros(2, 0, 3))]",
    "pinv_tolerances": ("[T.linalg.pinv(T.diag(T.tensor([1.0, 0.1, 0.01])), **kw) for kw in ({'atol': 0.05}, "
                        "{'rtol': 0.05}, {'atol': 0.05, 'rtol': 0.5}, {'atol': T.tensor(0.05)})]"),
    "pinv_tolerance_batch": "T.linalg.pinv(T.ones(2, 3, 2), atol=T.tensor([0.1, 5.0]), rtol=T.tensor([[0.1]]))",
    "pinv_hermitian_negative": "T.linalg.pinv(T.diag(T.tensor([2.0, -4.0, 1e-9])), hermitian=True)",
    "matrix_rank_tolerances": ("[T.linalg.matrix_rank(T.diag(T.tensor([1.0, 0.1, 0.01])), *a, **kw) for a, kw in "
                               "(((), {'atol': 0.5}), ((), {'rtol': 0.05}), ((), {'atol': 0.05, 'rtol': 0.5}), "
                               "((), {'tol': 0.05}), ((0.05,), {}), ((0.05, True), {}))]"),
    "matrix_rank_hermitian_negative": "T.linalg.matrix_rank(T.diag(T.tensor([1.0, -0.1, 0.01])), hermitian=True, "
                                      "atol=0.05)",
    "matrix_rank_empty": "[T.linalg.matrix_rank(T.zeros(0, 3)), T.linalg.matrix_rank(T.zeros(2, 0, 3))]",
    "matrix_rank_batch_atol": "T.linalg.matrix_rank(T.eye(3).expand(2, 3, 3), atol=T.tensor([0.5, 2.0]))",
    "matrix_rank_ones": "T.linalg.matrix_rank(T.ones(3, 3, requires_grad=True))",
    "matrix_power_int": "[T.linalg.matrix_power(T.ones(3, 3, dtype=T.int64), n) for n in (0, 1, 2, 5)]",
    "matrix_power_half": "T.linalg.matrix_power(T.ones(3, 3, dtype=T.float16), 2)",
    "matrix_power_empty": "T.linalg.matrix_power(T.zeros(2, 0, 0), 3)",
    "matrix_power_0_grad": ("(lambda x: T.autograd.grad(T.linalg.matrix_power(x, 0).sum(), x))"
                            "(T.ones(2, 2, requires_grad=True))"),
    "cross_int": "T.linalg.cross(T.tensor([1, 0, 0]), T.tensor([0, 1, 0]))",
    "cross_half": "T.linalg.cross(T.ones(3, dtype=T.float16), T.ones(3, dtype=T.float16))",
    "torch_cross_first_dim_of_3": "T.cross(T.arange(9.0).reshape(3, 3), T.ones(3, 3))",
    "vecdot_0d": "T.linalg.vecdot(T.tensor(1.5), T.tensor(2.0))",
    "vecdot_half": "T.linalg.vecdot(T.ones(3, dtype=T.float16), T.ones(3, dtype=T.float16))",
    "vdot_int": "T.vdot(T.tensor([1, 2, 3]), T.tensor([4, 5, 6]))",
    "multi_dot_int": "T.linalg.multi_dot([T.ones(2, 3, dtype=T.int64), T.ones(3, 2, dtype=T.int64)])",
    "multi_dot_vectors": "T.linalg.multi_dot([T.ones(3), T.ones(3)])",
    "multi_dot_half": "T.linalg.multi_dot([T.ones(2, 3, dtype=T.float16), T.ones(3, 2, dtype=T.float16)])",
    "vander_int": "[T.linalg.vander(T.tensor([1, 2, 3], dtype=d)) for d in (T.int64, T.int32, T.uint8)]",
    "vander_empty": "T.linalg.vander(T.ones(0), N=2)",
    "matrix_exp_edges": "[T.linalg.matrix_exp(x) for x in (T.zeros(0, 0), T.zeros(2, 0, 0), T.ones(1, 1), "
                        "T.zeros(3, 3), T.tensor([[0.0, 1.0], [0.0, 0.0]]), T.tensor([[1.0, 2.0], [3.0, 4.0]]))]",
    "matrix_exp_large_norm": "T.linalg.matrix_exp(T.tensor([[30.0, 2.0], [-3.0, 4.0]], dtype=T.float64))",
}


def _describe(out):
    """Values (NaN kept), shapes, dtypes and whether each requires grad, of a tensor or a nest of them."""
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _describe(o)]
    if not hasattr(out, "detach"):
        return [out]
    return [(out.detach().numpy().tolist(), tuple(out.shape), str(out.dtype).split(".")[-1], out.requires_grad)]


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_cases_as_pytorch(torch_ref, name):
    got = []
    for T in (gg, torch_ref):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got.append(_describe(eval(EDGES[name], {"T": T})))
    mine, theirs = got
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        if not isinstance(t, tuple):
            assert m == t
            continue
        np.testing.assert_allclose(np.array(m[0], dtype=float), np.array(t[0], dtype=float), rtol=1e-5, atol=1e-6)
        assert m[1:] == t[1:]


# --- result tuples, saved tensors, writes in place, warnings -----------------------------------------------
def test_result_tuples(torch_ref):
    a = np.random.default_rng(3).normal(size=(3, 3))
    fields = {}
    for T in (gg, torch_ref):
        x = T.tensor(a, requires_grad=True)
        results = [T.linalg.lu_factor(x), T.linalg.lu_factor_ex(x), T.linalg.lu(x), T.lu_unpack(*T.linalg.lu_factor(x)),
                   T.lu(x, get_infos=True), T.linalg.inv_ex(x), T.linalg.solve_ex(x, x), T.linalg.lstsq(x, x)]
        fields[T] = [(type(r).__name__, tuple(type(r)._fields) if T is gg else None, len(r)) for r in results]
        for r in results:  # torch's structseqs have no _fields: the names are checked through attributes
            for name in (type(r)._fields if T is gg else ()):
                assert getattr(r, name) is r[type(r)._fields.index(name)]
    assert [(n, k) for n, _, k in fields[gg]] == [(n, k) for n, _, k in fields[torch_ref]]
    assert [f for _, f, _ in fields[gg]] == [
        ("LU", "pivots"), ("LU", "pivots", "info"), ("P", "L", "U"), ("P", "L", "U"), ("LU", "pivots", "info"),
        ("inverse", "info"), ("result", "info"), ("solution", "residuals", "rank", "singular_values")]
    # the same fields are there in PyTorch's
    r = torch_ref.linalg.lstsq(torch_ref.eye(2), torch_ref.eye(2))
    assert all(hasattr(r, f) for f in fields[gg][-1][1])


def test_saved_tensors_as_pytorch(torch_ref):
    a = np.random.default_rng(4).normal(size=(3, 3)) + 3 * np.eye(3)
    for T in (gg, torch_ref):
        x = T.tensor(a, requires_grad=True)
        LU, pivots = T.linalg.lu_factor(x)
        assert LU.grad_fn._saved_pivot is True
        assert np.array_equal(LU.grad_fn._saved_pivots.numpy(), pivots.numpy())
        assert np.allclose(LU.grad_fn._saved_LU.detach().numpy(), LU.detach().numpy())
        P, L, U = T.linalg.lu(x)
        assert np.allclose(L.grad_fn._saved_P.detach().numpy(), P.numpy())
        assert np.allclose(L.grad_fn._saved_U.detach().numpy(), U.detach().numpy())
        X = T.linalg.lu_solve(LU, pivots, x, left=False, adjoint=True)
        assert X.grad_fn._saved_left is False and X.grad_fn._saved_adjoint is True
        assert np.allclose(X.grad_fn._saved_result.detach().numpy(), X.detach().numpy())
        assert np.allclose(X.grad_fn._saved_LU.detach().numpy(), LU.detach().numpy())
        pinv = T.linalg.pinv(x)
        assert np.allclose(pinv.grad_fn._saved_self.detach().numpy(), a)
        assert np.allclose(pinv.grad_fn._saved_result.detach().numpy(), pinv.detach().numpy())
        sol = T.linalg.lstsq(x, 2 * x).solution
        assert np.allclose(sol.grad_fn._saved_b.detach().numpy(), 2 * a)
        assert np.allclose(sol.grad_fn._saved_solution.detach().numpy(), sol.detach().numpy())
        inv = T.linalg.inv_ex(x).inverse
        assert np.allclose(inv.grad_fn._saved_inverse.detach().numpy(), inv.detach().numpy())
        e = T.linalg.matrix_exp(x)
        assert np.allclose(e.grad_fn._saved_self.detach().numpy(), a)
        c = T.linalg.cross(x, 2 * x)
        assert np.allclose(c.grad_fn._saved_other.detach().numpy(), 2 * a)
        for out in (T.linalg.lu_factor_ex(x).info, T.linalg.inv_ex(x).info, T.linalg.lstsq(x, x).rank, P,
                    T.linalg.lstsq(x, x, driver="gelsd").singular_values, T.linalg.matrix_rank(x)):
            assert out.grad_fn is None and not out.requires_grad


def test_factors_written_in_place_refuse_backward():
    x = gg.randn(3, 3, dtype=gg.float64, requires_grad=True)
    LU, pivots = gg.linalg.lu_factor(x)
    loss = LU.sum()
    LU.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    LU, pivots = gg.linalg.lu_factor(x)
    loss = LU.sum()
    pivots.fill_(1)  # (PyTorch keeps the pivots too)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    P, L, U = gg.linalg.lu(x)
    loss = L.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_only_P_gives_no_gradient(torch_ref):
    """P is a constant (pivots are integers); L's diagonal and upper part and U's lower part are constants too."""
    for T in (gg, torch_ref):
        x = T.tensor([[1.0, 2.0], [4.0, 4.0]], requires_grad=True)
        assert not T.linalg.lu(x).P.requires_grad
        (g,) = T.autograd.grad(T.linalg.lu(x).L.triu().sum() + T.lu_unpack(*T.linalg.lu_factor(x)).U.tril(-1).sum(),
                               x, allow_unused=True)
        assert g is not None and np.allclose(g.numpy(), 0)


def test_singular_factors_give_nan_gradients_as_pytorch(torch_ref):
    """The derivatives solve with U: a singular one gives inf and NaN, as PyTorch's triangular solves, no error."""
    grads = []
    for T in (gg, torch_ref):
        x = T.tensor([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [0.0, 0.0, 1.0]], requires_grad=True)
        P, L, U = T.linalg.lu(x)
        LU, pivots = T.linalg.lu_factor_ex(x)[:2]
        grads.append([T.autograd.grad(y.sum(), x, retain_graph=True)[0].numpy() for y in (L, U, LU)])
    for mine, theirs in zip(*grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("name, program", [
    ("lu", lambda T: T.lu(T.eye(2))),
    ("lu_solve", lambda T: T.lu_solve(T.ones(2, 1), *T.lu(T.eye(2)))),
    ("cross", lambda T: T.cross(T.eye(3), T.eye(3))),
])
def test_deprecated_forms_warn_once(torch_ref, monkeypatch, name, program):
    monkeypatch.setattr(sites, "_WARNED", set())  # (another test may have made graphgrad warn already)
    messages = []
    for T in (gg, torch_ref):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                program(T)
        messages.append([str(w.message).split(" (Triggered internally")[0] for w in caught
                         if f"torch.{name}" in str(w.message)])
    assert len(messages[0]) == 1
    if messages[1]:  # PyTorch warns once per process: only if nothing made it warn before
        assert messages[0] == messages[1]


def test_multi_dot_order_and_nodes(torch_ref):
    """The chain's order is PyTorch's (fewest multiplications), seen in the products' nodes."""
    shapes = [(10, 2), (2, 30), (30, 3), (3, 40)]
    rng = np.random.default_rng(5)
    arrays = [rng.normal(size=s) for s in shapes]

    def walk(fn):
        return None if fn is None else [node_name(fn), [walk(n) for n, _ in fn.next_functions]]

    graphs = []
    for T in (gg, torch_ref):
        xs = [T.tensor(a, requires_grad=True) for a in arrays]
        graphs.append(walk(T.linalg.multi_dot(xs).grad_fn))
    assert graphs[0] == graphs[1]


def test_lu_factor_of_a_large_batch_is_vectorised():
    """One factorisation of many matrices takes about as many steps as one matrix (no loop over the batch)."""
    a = np.random.default_rng(6).normal(size=(2000, 6, 6))
    LU, pivots = gg.linalg.lu_factor(gg.tensor(a))
    P, L, U = gg.lu_unpack(LU, pivots)
    np.testing.assert_allclose((P @ L @ U).numpy(), a, atol=1e-12)


# --- NaN, inf, subnormal and huge entries: PyTorch's (MKL's, its kernels') answers -------------------------
def _specials(dtype):
    fi = np.finfo(dtype)
    return np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, fi.max / 2, fi.smallest_subnormal, fi.tiny / 3,
                     2.0, -3.0, 0.5, 7.0], dtype)


def _with_specials(rng, shape, dtype):
    a = rng.uniform(-3, 3, shape).astype(dtype)
    mask = rng.random(shape) < rng.choice([0.1, 0.3, 0.6])
    a[mask] = rng.choice(_specials(dtype), int(mask.sum()))
    return a


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", range(4))
def test_lu_factor_meets_specials_as_pytorch(torch_ref, seed, dtype):
    """Pivots, factors (NaN and inf where PyTorch's are) and info: idamax's pivots for matrices of at most 16 rows
    and columns (a NaN wins only first), the first NaN beyond; a subnormal pivot's reciprocal in MKL's small
    kernels (float32), LAPACK's division beyond them."""
    rng = np.random.default_rng(seed)
    for _ in range(40):
        m, n = (int(v) for v in rng.integers(1, 24, 2))
        a = _with_specials(rng, (2, m, n), dtype)
        if rng.random() < 0.2:
            a[0] = rng.choice(_specials(dtype))  # a matrix of one value: ties everywhere
        mine = [t.numpy() for t in gg.linalg.lu_factor_ex(gg.tensor(a))]
        theirs = [t.numpy() for t in torch_ref.linalg.lu_factor_ex(torch_ref.tensor(a))]
        if a[0].flat[0] == np.finfo(dtype).max / 2 and (a[0] == a[0].flat[0]).all() and max(m, n) > 16:
            continue  # (MKL's larger kernels leave a rounding residual of fused multiply-adds here: not reproduced)
        np.testing.assert_array_equal(mine[1], theirs[1], err_msg=f"pivots of {a!r}")
        np.testing.assert_array_equal(mine[2], theirs[2], err_msg=f"info of {a!r}")
        np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-4, atol=1e-5, equal_nan=True, err_msg=repr(a))


def test_lu_pivots_on_nan_as_pytorch(torch_ref):
    """A column [1, 5 (row m // 2), NaN (row 3)]: idamax passes the NaN over up to 16 rows, MKL takes it from 17."""
    for m in (4, 8, 16, 17, 20):
        rows = []
        for T in (gg, torch_ref):
            a = np.ones((m, 2))
            a[m // 2, 0], a[3, 0] = 5.0, np.nan
            rows.append(int(T.linalg.lu_factor_ex(T.tensor(a)).pivots[0]))
        assert rows[0] == rows[1], m


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_is_fused_as_pytorch(torch_ref, dtype):
    """PyTorch's kernel, compiled with FMA contraction: a_i b_j - a_j b_i with the first product unrounded, to the
    bit (a huge first product minus an infinite second is the infinity's opposite; equal products leave the
    first one's rounding error)."""
    rng = np.random.default_rng(3)
    fi = np.finfo(dtype)
    values = np.array([0, -0.0, 1, -1, np.inf, -np.inf, np.nan, fi.max / 2, fi.max, 1 + fi.eps, 1 - fi.eps / 2, 3,
                       1e-20, 1e20, 0.1, 1 / 3], dtype)
    with np.errstate(all="ignore"):  # (some specials times a random factor overflow)
        a = rng.choice(values, (4000, 3)) * np.where(rng.random((4000, 3)) < 0.5, 1, rng.standard_normal((4000, 3)))
        a = a.astype(dtype)
        b = rng.choice(values, (4000, 3)).astype(dtype)
        b[::3] = a[::3] * 3  # (products that cancel)
    mine = gg.linalg.cross(gg.tensor(a), gg.tensor(b)).numpy()
    theirs = torch_ref.linalg.cross(torch_ref.tensor(a), torch_ref.tensor(b)).numpy()
    tiny = np.abs(theirs) < fi.tiny  # (a subnormal result: float64's is rounded twice, its last bit may differ)
    np.testing.assert_array_equal(np.where(tiny, 0, mine), np.where(tiny, 0, theirs))
    x, y = rng.standard_normal((2, 3, 1)).astype(dtype), rng.standard_normal((1, 3, 4)).astype(dtype)  # broadcast
    np.testing.assert_array_equal(gg.linalg.cross(gg.tensor(x), gg.tensor(y), dim=1).numpy(),
                                  torch_ref.linalg.cross(torch_ref.tensor(x), torch_ref.tensor(y), dim=1).numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_exp_of_non_finite_norms_as_pytorch(torch_ref, dtype):
    """PyTorch scales a matrix whose 1-norm (in its dtype) is inf by 2^-inf: the identity where its entries are
    finite, NaN where one is inf; a NaN norm is all NaN; a 1 x 1 matrix is its entry's exp."""
    big = float(np.finfo(dtype).max / 2)
    cases = [[[big, big], [big, big]], [[np.inf, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 0], [0, np.nan]],
             [[1, 2, 0], [0, 1, -np.inf], [0, 0, 1]], [[np.inf]], [[-np.inf]], [[np.nan]], [[2.0]]]
    for m in cases:
        results = []
        for T in (gg, torch_ref):
            a = T.tensor(m, dtype=getattr(T, dtype), requires_grad=True)
            out = T.linalg.matrix_exp(a)
            (g,) = T.autograd.grad(out.sum(), a)
            results.append((out.detach().numpy(), g.numpy()))
        for mine, theirs in zip(*results):
            np.testing.assert_allclose(mine, theirs, rtol=1e-5, equal_nan=True, err_msg=repr(m))


@pytest.mark.parametrize("driver", ["gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lstsq_scales_as_lapack(torch_ref, driver, dtype):
    """LAPACK's drivers scale A and B whose largest entry is below eps-scaled underflow or above its inverse:
    subnormal and huge systems solve as ordinary ones (and their singular values come back at scale)."""
    fi = np.finfo(dtype)
    rng = np.random.default_rng(5)
    for scale_a, scale_b in [(fi.smallest_subnormal * 64, fi.smallest_subnormal * 64), (fi.max / 8, fi.max / 8),
                             (fi.smallest_subnormal * 64, 1.0), (1.0, fi.max / 8), (1e-30, 1e-30)]:
        a = (rng.standard_normal((2, 5, 3)) * scale_a).astype(dtype)
        b = (rng.standard_normal((2, 5, 2)) * scale_b).astype(dtype)
        if driver != "gels":  # (which refuses a rank-deficient matrix)
            a[1] = scale_a  # a matrix of one value: rank 1
        got = [T.linalg.lstsq(T.tensor(a), T.tensor(b), driver=driver) for T in (gg, torch_ref)]
        for field in ("solution", "rank", "singular_values"):
            mine, theirs = (getattr(r, field).numpy() for r in got)
            # (the singular values of a rank-1 matrix beyond the first are rounding noise: at the first's scale)
            atol = 2e-3 * np.abs(theirs).max() if field == "singular_values" and theirs.size else 0
            np.testing.assert_allclose(mine, theirs, rtol=2e-3, atol=atol, equal_nan=True,
                                       err_msg=f"{field} of A x {scale_a}, B x {scale_b}")
