"""Every public op, generated from one table: forward values, gradients and grad_fn names against real
PyTorch (float32 and float64), then gradcheck and gradgradcheck (float64) with graphgrad's own gradcheck.

A case is ``Case(name, fn, shapes, domain, ...)`` (tests/_parity.py) where ``fn(T, *xs)`` is written once
and run with ``T`` being ``graphgrad`` and ``torch`` in turn (both expose the same API). Non-differentiable
arguments (index tensors, masks) are built inside ``fn`` with ``T.tensor``. The cases of graphgrad.nn.functional
are in tests/nn/test_functional.py; ``test_registry_covered`` checks that the two tables together run every
registered op through every check.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
from graphgrad.ops import REGISTRY

from .._parity import Case, ParityChecks, coverage
from ..nn.test_functional import CASES as NN_CASES

POS = (0.5, 2.0)  # a domain away from zero, for log, sqrt, division, ...


def _idx(T, v):
    return T.tensor(v)


C = Case


def V(*args, **kwargs):
    """A case whose results are not differentiable (indices, bools): values and dtypes only."""
    return Case(*args, gradcheck=False, **kwargs)


_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
S23, S3, S234 = (2, 3), (3,), (2, 3, 4)
# grad_fn=NAME: PyTorch composes these from several nodes (matmul folds into mm/bmm and a view; x[::2, 1]
# slices then selects); graphgrad records one node, named as PyTorch's last one, so only names compare.
NAME = "name"
CASES = [
    # --- arithmetic, broadcasting, reverse and scalar forms ---
    C("add", lambda T, a, b: a + b, (S23, S3)),
    C("add_bcast_both", lambda T, a, b: T.add(a, b), ((2, 1, 3), (4, 1))),
    C("add_alpha", lambda T, a, b: T.add(a, b, alpha=2.5), (S23, S23)),
    C("add_scalar", lambda T, a: a + 2, (S23,)),
    C("radd_scalar", lambda T, a: 2.5 + a, (S23,)),
    C("sub", lambda T, a, b: a - b, (S23, (2, 1))),
    C("sub_alpha", lambda T, a, b: T.sub(a, b, alpha=3), (S23, S23)),
    C("rsub_scalar", lambda T, a: 2 - a, (S23,)),
    C("mul", lambda T, a, b: a * b, (S23, S3)),
    C("mul_scalar", lambda T, a: a * 3, (S23,)),
    C("rmul_scalar", lambda T, a: 3.5 * a, (S23,)),
    C("mul_self", lambda T, a: a * a, (S23,)),
    C("div", lambda T, a, b: a / b, (S23, S3), [(-2, 2), POS]),
    C("div_scalar", lambda T, a: a / 4, (S23,)),
    C("rdiv_scalar", lambda T, a: 2 / a, (S23,), POS),
    C("div_floor", lambda T, a, b: T.div(a, b, rounding_mode="floor"), (S23, S23), [(-3, 3), POS]),
    C("div_trunc", lambda T, a, b: T.div(a, b, rounding_mode="trunc"), (S23, S23), [(-3, 3), POS]),
    # floor_divide has no derivative in PyTorch: backward raises (tested in test_errors_core)
    C("floordiv", lambda T, a, b: a // b, (S23, S23), [(-3, 3), POS], grads=False),
    C("floordiv_scalar", lambda T, a: a // 0.7, (S23,), grads=False),
    C("rfloordiv", lambda T, a: 3 // a, (S23,), POS, grads=False),
    C("floor_divide_", lambda T, a, b: (a * 1).floor_divide_(b), (S23, S3), [(-3, 3), POS], grads=False),
    C("rmod", lambda T, a: 3 % a, (S23,), POS, grads=False),
    C("mod", lambda T, a, b: a % b, (S23, S23), [(-3, 3), POS]),
    C("mod_scalar", lambda T, a: a % 1.5, (S23,), (-3, 3)),
    C("fmod", lambda T, a, b: T.fmod(a, b), (S23, S23), [(-3, 3), POS]),
    C("fmod_scalar", lambda T, a: a.fmod(1.5), (S23,), (-3, 3)),
    C("rsub_fn", lambda T, a, b: T.rsub(a, b), (S23, S3)),
    C("rsub_alpha", lambda T, a, b: T.rsub(a, b, alpha=2), (S23, S23)),
    C("addcmul", lambda T, a, b, c: T.addcmul(a, b, c, value=0.5), (S23, S3, S23)),
    C("addcdiv", lambda T, a, b, c: a.addcdiv(b, c, value=-2), (S23, S23, S3), [(-2, 2), (-2, 2), POS]),
    C("addcmul_", lambda T, a, b, c: (a * 1).addcmul_(b, c), (S23, S23, S23)),
    C("pow_tensor", lambda T, a, b: a ** b, (S23, S23), [POS, (-2, 2)]),
    C("pow_bcast", lambda T, a, b: T.pow(a, b), (S23, S3), [POS, (-2, 2)]),
    C("pow_2", lambda T, a: a ** 2, (S23,)),
    C("pow_3", lambda T, a: a.pow(3), (S23,)),
    C("pow_half", lambda T, a: a ** 0.5, (S23,), POS),
    C("pow_neg", lambda T, a: a ** -1.5, (S23,), POS),
    C("pow_0", lambda T, a: a ** 0, (S23,)),
    C("rpow", lambda T, a: 2 ** a, (S23,)),
    C("rpow_float", lambda T, a: 1.7 ** a, (S23,)),
    C("square", lambda T, a: T.square(a), (S23,)),
    C("neg", lambda T, a: -a, (S23,)),
    C("neg_fn", lambda T, a: T.neg(a), (S23,)),
    C("abs", lambda T, a: a.abs(), (S23,)),
    C("abs_op", lambda T, a: abs(a), (S23,)),
    C("sign", lambda T, a: a.sign(), (S23,)),
    C("exp", lambda T, a: a.exp(), (S23,)),
    C("exp2", lambda T, a: T.exp2(a), (S23,)),
    C("log", lambda T, a: a.log(), (S23,), POS),
    C("log2", lambda T, a: T.log2(a), (S23,), POS),
    C("log10", lambda T, a: T.log10(a), (S23,), POS),
    C("log1p", lambda T, a: a.log1p(), (S23,), (-0.5, 2)),
    C("expm1", lambda T, a: a.expm1(), (S23,)),
    C("sqrt", lambda T, a: a.sqrt(), (S23,), POS),
    C("rsqrt", lambda T, a: a.rsqrt(), (S23,), POS),
    C("reciprocal", lambda T, a: a.reciprocal(), (S23,), POS),
    C("sin", lambda T, a: a.sin(), (S23,)),
    C("cos", lambda T, a: T.cos(a), (S23,)),
    C("tan", lambda T, a: a.tan(), (S23,), (-1, 1)),
    C("asin", lambda T, a: a.asin(), (S23,), (-0.9, 0.9)),
    C("acos", lambda T, a: T.acos(a), (S23,), (-0.9, 0.9)),
    C("atan", lambda T, a: a.atan(), (S23,)),
    C("sinh", lambda T, a: a.sinh(), (S23,)),
    C("cosh", lambda T, a: a.cosh(), (S23,)),
    C("tanh", lambda T, a: a.tanh(), (S23,)),
    C("sigmoid", lambda T, a: a.sigmoid(), (S23,), (-4, 4)),
    C("sigmoid_fn", lambda T, a: T.sigmoid(a), (S23,)),
    C("relu", lambda T, a: a.relu(), (S23,)),
    C("relu_fn", lambda T, a: T.relu(a), (S23,)),
    # a gradient penalty: relu's first derivative requires grad through the saved result (ThresholdBackwardBackward0)
    C("relu_grad_penalty", lambda T, a: T.autograd.grad(T.relu(a).sum(), a, create_graph=True)[0] * a, (S23,),
      gradcheck=False, gradgradcheck=False),
    C("erf", lambda T, a: T.erf(a), (S23,)),
    C("erfinv", lambda T, a: T.erfinv(a), (S23,), domain=(-0.95, 0.95)),
    C("lgamma", lambda T, a: T.lgamma(a), (S23,), domain=(-3.7, 4.0)),
    C("digamma", lambda T, a: T.digamma(a), (S23,), domain=(0.2, 6.0)),
    C("trapezoid", lambda T, a: T.trapezoid(a, dx=0.5, dim=0), (S234,), grad_fn=False),
    C("trapezoid_x", lambda T, y, x: T.trapezoid(y, x), ((2, 4), (4,)), grad_fn=False),
    C("trapezoid_x_nd", lambda T, y, x: T.trapezoid(y, x, dim=0), ((3, 2), (3, 1)), grad_fn=False),
    C("floor", lambda T, a: a.floor(), (S23,), (-3, 3)),
    C("ceil", lambda T, a: a.ceil(), (S23,), (-3, 3)),
    C("trunc", lambda T, a: a.trunc(), (S23,), (-3, 3)),
    C("frac", lambda T, a: a.frac(), (S23,), (-3, 3)),
    C("round", lambda T, a: a.round(), (S23,), (-3, 3)),
    C("atan2", lambda T, a, b: T.atan2(a, b), (S23, S3)),
    C("clamp", lambda T, a: a.clamp(-0.5, 0.7), (S23,)),
    C("clamp_min", lambda T, a: a.clamp(min=0.1), (S23,)),
    C("clamp_max", lambda T, a: T.clamp(a, max=0.1), (S23,)),
    C("clip", lambda T, a: T.clip(a, -1, 1), (S23,)),
    C("clamp_tensor", lambda T, a, lo, hi: T.clamp(a, lo, hi), (S23, S3, S3), [(-2, 2), (-1.5, -0.2), (0.2, 1.5)]),
    C("maximum", lambda T, a, b: T.maximum(a, b), (S23, S3)),
    C("minimum", lambda T, a, b: T.minimum(a, b), (S23, S23)),
    C("maximum_ties", lambda T, a, b: T.maximum(a, b), inputs=lambda r: [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]],
      gradcheck=False, gradgradcheck=False),  # ties split the gradient; not differentiable there
    C("where", lambda T, a, b: T.where(a > 0, a, b), (S23, S3)),
    C("where_scalar", lambda T, a: T.where(a > 0, a, 0.0), (S23,)),
    C("where_method", lambda T, a, b: a.where(a > 0, b), (S23, S23)),
    C("lerp_scalar", lambda T, a, b: T.lerp(a, b, 0.3), (S23, S23)),
    C("lerp_tensor", lambda T, a, b, w: T.lerp(a, b, w), (S23, S3, S23)),
    C("to_double", lambda T, a: a.to(T.float64) * 2, (S23,)),
    C("double_method", lambda T, a: a.double(), (S23,), gradgradcheck=False),
    # through float32 and back: float32 rounding rules out finite differences
    C("float_round_trip", lambda T, a: a.float().double() * a, (S23,), gradcheck=False),
    C("type_as", lambda T, a, b: a.type_as(b.double()), (S23, S3)),
    C("clone", lambda T, a: a.clone(), (S23,)),
    C("contiguous", lambda T, a: a.t().contiguous(), (S23,)),
    # --- reductions ---
    C("sum", lambda T, a: a.sum(), (S23,)),
    C("sum_dim", lambda T, a: a.sum(1), (S234,)),
    C("sum_dims_keep", lambda T, a: a.sum((0, 2), keepdim=True), (S234,)),
    C("sum_neg_dim", lambda T, a: T.sum(a, -1), (S234,)),
    C("mean", lambda T, a: a.mean(), (S23,)),
    C("mean_dim", lambda T, a: a.mean(dim=0), (S234,)),
    C("mean_dims_keep", lambda T, a: T.mean(a, (1, 2), keepdim=True), (S234,)),
    C("var", lambda T, a: a.var(), (S23,)),
    C("var_dim_biased", lambda T, a: a.var(1, unbiased=False), (S234,)),
    C("var_correction", lambda T, a: T.var(a, dim=(0, 2), correction=0, keepdim=True), (S234,)),
    C("var_correction2", lambda T, a: a.var(1, correction=2), (S234,)),
    C("std", lambda T, a: a.std(), (S23,)),
    C("std_dim", lambda T, a: a.std(1, keepdim=True), (S234,)),
    C("std_biased", lambda T, a: T.std(a, 0, unbiased=False), (S23,)),
    C("prod", lambda T, a: a.prod(), (S23,), (0.5, 1.5)),
    C("prod_dim", lambda T, a: a.prod(1), (S234,), (0.5, 1.5)),
    C("prod_dim_keep", lambda T, a: T.prod(a, 0, keepdim=True), (S23,)),
    C("prod_zero", lambda T, a: a.prod(1), inputs=lambda r: [[[1.5, 0.0, 2.0], [0.5, 3.0, -1.0]]]),
    C("prod_all_zero", lambda T, a: a.prod(), inputs=lambda r: [[[1.5, 0.0, 2.0], [0.5, 3.0, -1.0]]]),
    C("max", lambda T, a: a.max(), (S23,)),
    C("min", lambda T, a: T.min(a), (S23,)),
    C("max_dim", lambda T, a: a.max(1), (S234,)),
    C("max_dim_keep", lambda T, a: T.max(a, 0, keepdim=True), (S23,)),
    C("min_dim", lambda T, a: a.min(dim=-1), (S23,)),
    C("max_binary", lambda T, a, b: T.max(a, b), (S23, S23)),
    C("amax", lambda T, a: a.amax(1), (S234,)),
    C("amax_dims", lambda T, a: T.amax(a, (0, 2), keepdim=True), (S234,)),
    C("amin", lambda T, a: T.amin(a, -1), (S23,)),
    C("max_ties", lambda T, a: a.max(), inputs=lambda r: [[1.0, 3.0, 3.0, 0.0]], gradcheck=False, gradgradcheck=False),
    C("amax_ties", lambda T, a: a.amax(0), inputs=lambda r: [[[1.0, 3.0], [1.0, 2.0]]], gradcheck=False,
      gradgradcheck=False),
    V("argmax", lambda T, a: a.argmax(), (S23,)),
    V("argmax_dim", lambda T, a: T.argmax(a, 1, keepdim=True), (S23,)),
    V("argmin", lambda T, a: a.argmin(0), (S23,)),
    C("logsumexp", lambda T, a: a.logsumexp(1), (S234,)),
    C("logsumexp_keep", lambda T, a: T.logsumexp(a, (0, 1), keepdim=True), (S23,)),
    C("logsumexp_big", lambda T, a: T.logsumexp(a * 100, 0), (S23,), gradcheck=False, gradgradcheck=False),
    C("norm", lambda T, a: a.norm(), (S23,)),
    C("norm_dim", lambda T, a: T.norm(a, dim=1), (S234,)),
    C("norm_p1", lambda T, a: a.norm(p=1), (S23,)),
    C("norm_p3", lambda T, a: a.norm(p=3, dim=0), (S23,)),
    C("norm_inf", lambda T, a: a.norm(p=float("inf")), (S23,)),
    C("cumsum", lambda T, a: a.cumsum(1), (S234,)),
    C("cumsum_neg", lambda T, a: T.cumsum(a, dim=-1), (S23,)),
    C("cumprod", lambda T, a: T.cumprod(a, 1), (S23,), POS),
    # zeros: the quotient form of the derivative fails there; one or two zeros in a row, and a dimension of one
    C("cumprod_zeros", lambda T, a: T.cumprod(a, 1),
      inputs=[np.array([[1.5, 0.0, 2.0, -0.5], [0.0, -1.0, 0.0, 3.0], [0.7, 1.2, -2.0, 0.0]])]),
    C("cumprod_zero_in_dim_of_one", lambda T, a: T.cumprod(a, 1), inputs=[np.array([[0.0], [-1.5]])]),
    C("cummax", lambda T, a: a.cummax(1).values, (S234,)),
    C("cummin", lambda T, a: T.cummin(a, dim=0), (S23,)),
    C("cummax_0d", lambda T, a: a.cummax(0)[0], ((),)),
    C("logcumsumexp", lambda T, a: a.logcumsumexp(1), (S234,)),
    C("logcumsumexp_neg", lambda T, a: T.logcumsumexp(a * 10, dim=-2), (S23,)),
    C("logcumsumexp_0d", lambda T, a: a.logcumsumexp(-1), ((),)),
    C("softmax", lambda T, a: a.softmax(1), (S234,)),
    C("softmax_fn", lambda T, a: T.softmax(a, dim=-1), (S23,)),
    C("softmax_big", lambda T, a: T.softmax(a * 500, 0), (S23,), gradcheck=False, gradgradcheck=False),
    C("log_softmax", lambda T, a: a.log_softmax(-1), (S234,)),
    C("log_softmax_fn", lambda T, a: T.log_softmax(a, 0), (S23,)),
    C("log_softmax_big", lambda T, a: T.log_softmax(a * 500, 1), (S23,), gradcheck=False, gradgradcheck=False),
    # --- matrix products ---
    C("matmul_2d", lambda T, a, b: a @ b, ((2, 3), (3, 4))),
    C("matmul_1d_1d", lambda T, a, b: T.matmul(a, b), ((3,), (3,))),
    C("matmul_2d_1d", lambda T, a, b: a @ b, ((2, 3), (3,))),
    C("matmul_1d_2d", lambda T, a, b: a @ b, ((3,), (3, 2)), grad_fn=NAME),
    C("matmul_3d_3d", lambda T, a, b: a @ b, ((2, 2, 3), (2, 3, 2)), grad_fn=NAME),
    C("matmul_3d_2d", lambda T, a, b: a @ b, ((2, 2, 3), (3, 2)), grad_fn=NAME),
    C("matmul_2d_3d", lambda T, a, b: a @ b, ((2, 3), (2, 3, 2)), grad_fn=NAME),
    C("matmul_bcast", lambda T, a, b: T.matmul(a, b), ((2, 1, 2, 3), (3, 3, 2)), grad_fn=NAME),
    C("matmul_3d_1d", lambda T, a, b: a @ b, ((2, 2, 3), (3,)), grad_fn=NAME),
    C("matmul_1d_3d", lambda T, a, b: a @ b, ((3,), (2, 3, 2)), grad_fn=NAME),
    C("mm", lambda T, a, b: T.mm(a, b), ((2, 3), (3, 2))),
    C("mm_method", lambda T, a, b: a.mm(b), ((1, 3), (3, 2))),
    C("bmm", lambda T, a, b: T.bmm(a, b), ((2, 2, 3), (2, 3, 2))),
    C("mv", lambda T, a, b: T.mv(a, b), ((2, 3), (3,))),
    C("dot", lambda T, a, b: T.dot(a, b), ((4,), (4,))),
    C("outer", lambda T, a, b: T.outer(a, b), ((3,), (2,))),
    C("addmm", lambda T, c, a, b: T.addmm(c, a, b), ((2,), (3, 2), (2, 2))),
    C("addmm_scaled", lambda T, c, a, b: T.addmm(c, a, b, beta=0.5, alpha=2), ((3, 2), (3, 2), (2, 2))),
    # transposed (column-major) operands: their gradients are computed as transposed products
    C("mm_transposed", lambda T, a, b: T.mm(a.t(), b.t()), ((3, 2), (2, 3))),
    C("addmm_transposed", lambda T, c, a, b: T.addmm(c, a.t(), b.t(), beta=0.5, alpha=2), ((3, 3), (2, 3), (3, 2))),
    # --- shapes ---
    C("reshape", lambda T, a: a.reshape(3, 2), (S23,)),
    C("reshape_neg", lambda T, a: T.reshape(a, (-1, 4)), (S234,)),
    C("reshape_noncontig", lambda T, a: a.t().reshape(-1), (S23,), grad_fn=NAME),
    C("view", lambda T, a: a.view(-1), (S23,)),
    C("view_tuple", lambda T, a: a.view((4, 6)), (S234,)),
    C("flatten", lambda T, a: a.flatten(), (S234,)),
    C("flatten_1", lambda T, a: T.flatten(a, 1), (S234,)),
    C("unflatten", lambda T, a: a.unflatten(1, (3, 1)), (S23,)),
    C("squeeze", lambda T, a: a.squeeze(), ((2, 1, 3, 1),)),
    C("squeeze_dim", lambda T, a: a.squeeze(1), ((2, 1, 3),)),
    C("squeeze_dims", lambda T, a: T.squeeze(a, (1, 3)), ((2, 1, 3, 1),)),
    C("unsqueeze", lambda T, a: a.unsqueeze(1), (S23,)),
    C("unsqueeze_neg", lambda T, a: T.unsqueeze(a, -1), (S23,)),
    C("transpose", lambda T, a: a.transpose(0, 2), (S234,)),
    C("transpose_fn", lambda T, a: T.transpose(a, -1, 0), (S23,)),
    C("t", lambda T, a: a.t(), (S23,)),
    C("t_fn", lambda T, a: T.t(a), (S3,)),
    C("T_property", lambda T, a: a.T, (S23,)),
    C("mT_property", lambda T, a: a.mT, (S234,)),
    C("permute", lambda T, a: a.permute(2, 0, 1), (S234,)),
    C("permute_fn", lambda T, a: T.permute(a, (1, 0)), (S23,)),
    C("expand", lambda T, a: a.expand(4, 2, 3), ((2, 1),)),
    C("expand_neg", lambda T, a: a.expand(-1, 3), ((2, 1),)),
    C("expand_as", lambda T, a, b: a.expand_as(b), (S3, S23), gradcheck=True),
    C("repeat", lambda T, a: a.repeat(2, 1, 3), (S23,)),
    C("repeat_same_ndim", lambda T, a: a.repeat(2, 2), (S23,)),
    C("flip", lambda T, a: a.flip(0), (S23,)),
    C("flip_dims", lambda T, a: T.flip(a, (0, 2)), (S234,)),
    C("roll", lambda T, a: T.roll(a, 1, 1), (S23,)),
    C("cat", lambda T, a, b: T.cat([a, b]), (S23, (1, 3))),
    C("cat_dim1", lambda T, a, b, c: T.cat((a, b, c), dim=1), (S23, (2, 1), (2, 2))),
    C("cat_neg_dim", lambda T, a, b: T.cat([a, b], -1), (S23, S23)),
    C("stack", lambda T, a, b: T.stack([a, b]), (S23, S23)),
    C("stack_dim", lambda T, a, b, c: T.stack((a, b, c), dim=-1), (S3, S3, S3)),
    C("split_int", lambda T, a: a.split(2, 1), ((2, 5),)),
    C("split_sizes", lambda T, a: T.split(a, [1, 3, 1], dim=1), ((2, 5),)),
    C("split_partial_use", lambda T, a: T.split(a, 2)[1] * 2, ((5, 2),)),
    C("chunk", lambda T, a: a.chunk(3, 1), ((2, 5),)),
    C("chunk_fn", lambda T, a: T.chunk(a, 2), ((4, 2),)),
    C("unbind", lambda T, a: a.unbind(1), (S23,)),
    C("unbind_fn", lambda T, a: T.unbind(a), (S23,)),
    C("unbind_partial_use", lambda T, a: a.unbind()[0].sum(), (S23,)),
    # --- indexing ---
    C("index_int", lambda T, a: a[1], (S23,)),
    C("index_slice", lambda T, a: a[:, 1:3], (S23,)),
    C("index_step", lambda T, a: a[::2, 1], ((4, 3),), grad_fn=NAME),
    C("index_ellipsis", lambda T, a: a[..., 1], (S234,)),
    C("index_none", lambda T, a: a[None, :, 0], (S23,), grad_fn=NAME),
    C("index_new_axis", lambda T, a: a[:, None], (S23,)),
    C("index_alias", lambda T, a: a[..., :], (S23,)),
    C("index_full_slice", lambda T, a: a[:], (S23,)),
    C("index_neg", lambda T, a: a[-1, -2:], (S23,), grad_fn=NAME),
    C("index_list", lambda T, a: a[[0, 2, 0]], ((3, 2),)),
    C("index_tensor_repeat", lambda T, a: a[_idx(T, [1, 1, 0, 1])], ((3, 2),)),
    C("index_tensor_2d", lambda T, a: a[_idx(T, [[0, 1], [1, 1]])], (S23,)),
    C("index_two_tensors", lambda T, a: a[_idx(T, [0, 1, 1]), _idx(T, [2, 0, 2])], (S23,)),
    C("index_bool", lambda T, a: a[a > 0], (S23,)),
    C("index_bool_rows", lambda T, a: a[_idx(T, [True, False, True])], ((3, 2),)),
    C("index_mixed", lambda T, a: a[1:, _idx(T, [0, 0, 2])], ((3, 4),), grad_fn=NAME),
    C("index_select", lambda T, a: T.index_select(a, 1, _idx(T, [2, 0, 2])), (S23,)),
    C("index_select_0", lambda T, a: a.index_select(0, _idx(T, [1, 1])), (S23,)),
    C("gather", lambda T, a: T.gather(a, 1, _idx(T, [[0, 0, 2], [1, 2, 1]])), (S23,)),
    C("gather_dim0", lambda T, a: a.gather(0, _idx(T, [[1, 0, 1]])), (S23,)),
    C("scatter", lambda T, a, s: T.scatter(a, 1, _idx(T, [[0, 2], [1, 0]]), s), (S23, (2, 2))),
    C("scatter_value", lambda T, a: a.scatter(0, _idx(T, [[1, 0, 1]]), 1.5), (S23,)),
    C("scatter_add", lambda T, a, s: T.scatter_add(a, 1, _idx(T, [[0, 0], [1, 1]]), s), (S23, (2, 2))),
    C("scatter_add_method", lambda T, a, s: a.scatter_add(0, _idx(T, [[1, 0, 1], [1, 1, 0]]), s), (S23, S23)),
    C("masked_fill", lambda T, a: a.masked_fill(a > 0.5, -1.0), (S23,)),
    C("masked_fill_bcast", lambda T, a: T.masked_fill(a, _idx(T, [True, False, True]), 2.0), (S23,)),
    C("masked_fill_tensor", lambda T, a, v: a.masked_fill(_idx(T, [[True, False, True], [False] * 3]), v.sum()),
      (S23, S3)),
    C("index_add", lambda T, a, s: T.index_add(a, 0, _idx(T, [1, 1]), s), (S23, S23)),
    # 0-d tensors count as 1-d of size 1
    C("index_select_0d", lambda T, a: a.index_select(0, _idx(T, [0])), ((),)),
    C("index_add_0d", lambda T, a, s: T.index_add(a, 0, _idx(T, [0]), s, alpha=2), ((), ())),
    C("scatter_0d", lambda T, a, s: T.scatter(a, 0, _idx(T, 0), s), ((), ())),
    C("scatter_value_0d", lambda T, a: a.scatter(-1, _idx(T, [0]), 1.5), ((),)),
    C("scatter_add_0d", lambda T, a, s: T.scatter_add(a, 0, _idx(T, [0, 0]), s), ((), (2,))),
    # --- in-place ops (on a non-leaf clone), recorded in the graph ---
    C("add_", lambda T, a, b: (a * 1).add_(b), (S23, S3)),
    C("add_alpha_", lambda T, a, b: (a * 1).add_(b, alpha=2), (S23, S3)),
    C("sub_", lambda T, a, b: (a * 1).sub_(b), (S23, S23)),
    C("mul_", lambda T, a, b: (a * 1).mul_(b), (S23, S3)),
    C("mul_scalar_", lambda T, a: (a * 1).mul_(3), (S23,)),
    C("div_", lambda T, a, b: (a * 1).div_(b), (S23, S3), [(-2, 2), POS]),
    C("pow_", lambda T, a: (a * 1).pow_(2), (S23,)),
    C("pow_tensor_", lambda T, a, b: (a * 1).pow_(b), (S23, S23), [POS, (-1, 1)]),
    C("clamp_", lambda T, a: (a * 1).clamp_(-0.5, 0.5), (S23,)),
    C("zero_", lambda T, a, b: (a * 1).zero_() + b, (S23, S23)),
    C("fill_", lambda T, a: (a * 1).fill_(2.0), (S23,)),
    C("fill_tensor_", lambda T, a, v: (a * 1).fill_(v.sum()), (S23, S3)),
    C("copy_", lambda T, a, b: (a * 1).copy_(b), (S23, S3)),
    C("setitem", lambda T, a, b: _setitem(a * 1, (slice(None), 1), b), (S23, (2,))),
    C("setitem_scalar", lambda T, a: _setitem(a * 1, 0, 0.5), (S23,)),
    C("setitem_tensor_idx", lambda T, a, b: _setitem(a * 1, _idx(T, [0, 2]), b), ((3, 2), (2, 2))),
    C("normal_", lambda T, a: (a * 1).normal_() * 0 + a, (S23,)),
    C("uniform_", lambda T, a: (a * 1).uniform_() * 0 + a, (S23,)),
    C("bernoulli_", lambda T, a: (a * 1).bernoulli_(0.3) * 0 + a, (S23,)),
    C("random_", lambda T, a: (a * 1).random_(0, 5) * 0 + a, (S23,)),
    C("exponential_", lambda T, a: (a * 1).exponential_() * 0 + a, (S23,)),
    C("cauchy_", lambda T, a: (a * 1).cauchy_() * 0 + a, (S23,)),
    C("log_normal_", lambda T, a: (a * 1).log_normal_() * 0 + a, (S23,)),
    C("geometric_", lambda T, a: (a * 1).geometric_(0.4) * 0 + a, (S23,)),
    C("unary_inplace", lambda T, a: (a * 1).sin_().cos_().neg_().abs_(), (S23,)),
    C("exp_", lambda T, a: (a * 1).exp_(), (S23,)),
    C("log_sqrt_", lambda T, a: (a * 1).log_() + (a * 1).sqrt_(), (S23,), POS),
    C("relu_", lambda T, a: T.relu_(a * 1), (S23,)),
    C("sigmoid_", lambda T, a: (a * 1).sigmoid_(), (S23,)),
    C("tanh_", lambda T, a: (a * 1).tanh_(), (S23,)),
    C("reciprocal_", lambda T, a: (a * 1).reciprocal_(), (S23,), POS),
    C("sign_floor_", lambda T, a: (a * 1).sign_() + (a * 1).floor_() + (a * 1).ceil_() + (a * 1).trunc_(), (S23,)),
    C("iadd", lambda T, a, b: _iadd(a * 1, b), (S23, S23)),
    # in-place writes through views: the base's history gets a CopySlices node
    C("view_mul_", lambda T, a, b: _through_view(a * 1, lambda y: y[:, 1:].mul_(b)), (S23, (2, 2)), grad_fn=NAME),
    C("view_t_add_", lambda T, a, b: _through_view(a * 1, lambda y: y.t()[0].add_(b)), (S23, (2,)), grad_fn=NAME),
    C("view_exp_", lambda T, a: _through_view(a * 1, lambda y: y[1].exp_()), (S23,), grad_fn=NAME),
    # a view taken before its base is written in place: its history is regenerated (AsStridedBackward0)
    C("view_before_base_mul_", lambda T, a, b: _view_then_write(a * 1, lambda y: y[:, 1:], lambda y: y.mul_(b)),
      (S23, S3), grad_fn=NAME),
    C("expand_before_base_exp_", lambda T, a: _view_then_write(a * 1, lambda y: y[0].expand(2, 3),
                                                              lambda y: y.exp_()), (S23,), grad_fn=NAME),
    C("masked_fill_", lambda T, a: (a * 1).masked_fill_(a > 0, 0.0), (S23,)),
    C("scatter_", lambda T, a, s: (a * 1).scatter_(1, _idx(T, [[0], [2]]), s), (S23, (2, 1))),
    C("index_add_", lambda T, a, s: (a * 1).index_add_(1, _idx(T, [0, 0]), s), (S23, (2, 2))),
    # comparisons in place write 0/1 into a float tensor and stop its gradient (Eq/...Backward0 and 1)
    *[C(f"{op}_", lambda T, a, b, op=op: getattr(a * 1, op + "_")(b) + a, (S23, S3)) for op in _COMPARISONS],
    *[C(f"{op}_scalar_", lambda T, a, op=op: getattr(a * 1, op + "_")(0.5) + a, (S23,)) for op in _COMPARISONS],
    C("hypot_", lambda T, a, b: (a * 1).hypot_(b), (S23, S3)),
    C("xlogy_", lambda T, a, b: T.xlogy_(a * 1, b), (S23, S3), [(-2, 2), POS]),
    C("cumsum_", lambda T, a: (a * 1).cumsum_(1), (S23,)),
    C("clamp_min_", lambda T, a: (a * 1).clamp_min_(0.25), (S23,)),
    # in-place views: x itself takes the view's shape (SqueezeBackward3/4/5, UnsqueezeBackward1, TBackward1, ...)
    C("squeeze_", lambda T, a: (a * 1).squeeze_(), ((2, 1, 3),)),
    C("squeeze_dim_", lambda T, a: (a * 1).squeeze_(1), ((2, 1, 3),)),
    C("squeeze_dims_", lambda T, a: (a * 1).squeeze_((1, 2)), ((2, 1, 1),)),
    C("unsqueeze_", lambda T, a: (a * 1).unsqueeze_(1), (S23,)),
    C("t_", lambda T, a: (a * 1).t_().mul_(T.arange(2.0)), (S23,)),
    C("transpose_", lambda T, a: (a * 1).transpose_(0, 2), (S234,)),
    C("view_t_mul_", lambda T, a, b: _through_view(a * 1, lambda y: y[0].t_().mul_(b)), ((2, 1, 3), (3, 1)),
      grad_fn=NAME),
    C("view_hypot_", lambda T, a, b: _through_view(a * 1, lambda y: y[1].hypot_(b)), (S23, S3), grad_fn=NAME),
]


# Aliases and further public ops (several are compositions, so only names are compared where PyTorch
# records one node and graphgrad a few, or the other way round).
EXTRA = [
    C("absolute", lambda T, a: T.absolute(a), (S23,)),
    C("negative", lambda T, a: T.negative(a), (S23,)),
    C("arcsin", lambda T, a: T.arcsin(a), (S23,), (-0.9, 0.9)),
    C("arccos", lambda T, a: T.arccos(a), (S23,), (-0.9, 0.9)),
    C("arctan", lambda T, a: T.arctan(a), (S23,)),
    C("arctan2", lambda T, a, b: T.arctan2(a, b), (S23, S23)),
    C("fix", lambda T, a: T.fix(a), (S23,), (-3, 3)),
    C("divide", lambda T, a, b: T.divide(a, b), (S23, S3), [(-2, 2), POS]),
    C("true_divide", lambda T, a, b: T.true_divide(a, b), (S23, S23), [(-2, 2), POS]),
    C("multiply", lambda T, a, b: T.multiply(a, b), (S23, S3)),
    C("subtract", lambda T, a, b: T.subtract(a, b, alpha=2), (S23, S3)),
    C("clamp_min_fn", lambda T, a: T.clamp_min(a, 0.2), (S23,)),
    C("clamp_max_fn", lambda T, a: T.clamp_max(a, 0.2), (S23,)),
    C("fmax", lambda T, a, b: T.fmax(a, b), (S23, S23)),
    C("fmin", lambda T, a, b: T.fmin(a, b), (S23, S3)),
    C("fmax_nan", lambda T, a, b: T.fmax(a, b),
      inputs=lambda rng: [[1.0, np.nan, 2.0, np.nan], [0.5, 3.0, np.nan, 1.0]], gradcheck=False),
    C("clamp_min_tensor", lambda T, a, b: T.clamp_min(a, b), (S23, S3)),
    C("clamp_max_tensor", lambda T, a, b: a.clamp_max(b), (S23, S23)),
    C("clamp_0d_tensor_bound", lambda T, a: a.clamp(min=T.tensor(0.1, dtype=a.dtype)), (S23,)),
    C("div_rounding_none", lambda T, a, b: T.div(a, b, rounding_mode=None), (S23, S3), domain=[(-2, 2), POS]),
    C("div_scalar_rounding_none", lambda T, a: a.div(2, rounding_mode=None), (S23,)),
    C("sum_dim_none", lambda T, a: a.sum(dim=None, keepdim=True), (S23,)),
    C("mean_dim_none", lambda T, a: T.mean(a, None), (S23,)),
    C("mean_dim_empty", lambda T, a: a.mean(dim=[]), (S23,)),
    C("mean_dtype", lambda T, a: a.mean(dtype=T.float64), (S23,)),
    C("roll_flat", lambda T, a: a.roll(2), (S23,)),
    C("sort_stable", lambda T, a: a.sort(stable=True)[0], (S23,)),
    C("concat", lambda T, a, b: T.concat([a, b], 1), (S23, (2, 2))),
    C("concatenate", lambda T, a, b: T.concatenate([a, b]), (S23, S23)),
    C("hstack", lambda T, a, b: T.hstack([a, b]), (S23, (2, 1))),
    C("vstack", lambda T, a, b: T.vstack([a, b]), (S3, S23)),
    C("inner", lambda T, a, b: T.inner(a, b), (S3, S3), grad_fn=False),
    C("ger", lambda T, a, b: T.ger(a, b), (S3, (2,))),
    C("movedim", lambda T, a: T.movedim(a, 0, 2), (S234,)),
    C("moveaxis", lambda T, a: a.moveaxis((0, 1), (2, 0)), (S234,)),
    C("swapaxes", lambda T, a: a.swapaxes(0, 1), (S23,)),
    C("swapdims", lambda T, a: T.swapdims(a, 2, 0), (S234,)),
    C("adjoint", lambda T, a: a.adjoint(), (S234,)),
    C("narrow", lambda T, a: a.narrow(1, 1, 2), (S23,)),
    C("select", lambda T, a: T.select(a, 1, -1), (S23,)),
    C("take", lambda T, a: T.take(a, T.tensor([[0, 5], [2, 2]])), (S23,), grad_fn=False),
    C("tensor_split", lambda T, a: T.tensor_split(a, 2, dim=1), ((2, 5),), grad_fn=False),
    C("tile", lambda T, a: T.tile(a, (2,)), (S23,)),
    C("repeat_interleave", lambda T, a: a.repeat_interleave(2, dim=0), (S23,), grad_fn=False),
    C("repeat_interleave_flat", lambda T, a: T.repeat_interleave(a, 3), (S3,), grad_fn=False),
    C("ravel", lambda T, a: a.t().ravel(), (S23,), grad_fn=NAME),
    C("view_as", lambda T, a, b: a.view_as(b), (S23, (3, 2))),
    C("reshape_as", lambda T, a, b: a.reshape_as(b), (S23, (6,))),
    C("masked_select", lambda T, a: T.masked_select(a, a > 0), (S23,)),
    C("masked_select_bcast", lambda T, a: T.masked_select(a, T.tensor([[True], [False]])), (S3,)),
    C("sort_values", lambda T, a: a.sort(1)[0], (S23,)),
    C("sort_descending", lambda T, a: T.sort(a, 0, descending=True), (S23,)),
    C("argsort", lambda T, a: a.argsort(1), (S23,)),
    C("topk", lambda T, a: a.topk(2, 1), (S23,)),
    C("var_mean", lambda T, a: T.var_mean(a, 1), (S23,), grad_fn=False),
    C("std_mean", lambda T, a: T.std_mean(a, 0, keepdim=True), (S23,), grad_fn=False),
    C("atleast_1d", lambda T, a: T.atleast_1d(a.sum()), (S3,), grad_fn=False),
    C("atleast_2d", lambda T, a: T.atleast_2d(a), (S3,)),
    C("meshgrid", lambda T, a, b: T.meshgrid(a, b, indexing="ij"), (S3, (2,)), grad_fn=False),
    C("meshgrid_xy", lambda T, a, b: T.meshgrid(a, b, indexing="xy"), (S3, (2,)), grad_fn=False),
    C("broadcast_to", lambda T, a: T.broadcast_to(a, (2, 2, 3)), (S3,)),
    C("lerp_", lambda T, a, b: (a * 1).lerp_(b, 0.3), (S23, S23)),
    C("addcdiv_", lambda T, a, b, c: (a * 1).addcdiv_(b, c, value=0.5), (S23, S23, S23), [(-2, 2), (-2, 2), POS]),
    C("clip_", lambda T, a: (a * 1).clip_(-0.5, 0.5), (S23,)),
    C("multiply_", lambda T, a, b: (a * 1).multiply_(b), (S23, S3)),
    C("subtract_", lambda T, a, b: (a * 1).subtract_(b), (S23, S3)),
    C("divide_", lambda T, a, b: (a * 1).divide_(b), (S23, S3), [(-2, 2), POS]),
    C("true_divide_", lambda T, a: (a * 1).true_divide_(2.0), (S23,)),
    C("scatter_add_", lambda T, a, s: (a * 1).scatter_add_(1, _idx(T, [[0, 0], [2, 2]]), s), (S23, (2, 2))),
    C("frac_", lambda T, a: (a * 1).frac_(), (S23,), (0.1, 0.9)),
    C("round_", lambda T, a: (a * 1).round_(), (S23,)),
    C("square_", lambda T, a: (a * 1).square_(), (S23,)),
    C("erf_", lambda T, a: (a * 1).erf_(), (S23,)),
    C("erfinv_", lambda T, a: (a * 1).erfinv_(), (S23,), domain=(-0.95, 0.95)),
    C("atan2_", lambda T, a, b: (a * 1).atan2_(b), (S23, S3), [(-2, 2), POS]),
    C("clamp__tensors", lambda T, a, lo, hi: (a * 1).clamp_(lo, hi), (S23, S3, (2, 1)), [(-2, 2), (-2, -1), (1, 2)]),
    C("clip__tensor_max", lambda T, a, hi: (a * 1).clip_(max=hi), (S23, S3)),
    # the round.decimals overload records RoundBackward1, even for decimals=0
    C("round_decimals", lambda T, a: T.round(a, decimals=1), (S23,)),
    C("round_decimals_0", lambda T, a: a.round(decimals=0), (S23,)),
    C("round_decimals_", lambda T, a: (a * 1).round_(decimals=2), (S23,)),
    C("conj", lambda T, a: T.conj(a) * 1, (S23,)),
    C("to_copy", lambda T, a: a.to(T.float64, copy=True) * 2, (S23,)),
    # no derivative in PyTorch (its backward raises): the results require grad, and that is all
    C("bincount_weights", lambda T, w: T.bincount(T.tensor([0, 2, 2, 4]), weights=w), ((4,),), grads=False),
    C("unique", lambda T, a: T.unique(a.round(), return_inverse=True, return_counts=True), ((3, 4),), grads=False),
    C("unique_dim", lambda T, a: T.unique(a.round().clamp(0, 1), dim=0), ((6, 2),), grads=False),
    C("unique_consecutive", lambda T, a: T.unique_consecutive(a.round(), return_counts=True), ((8,),), grads=False),
]

# Triangles, diagonals, windows, einsum, further elementwise ops, order statistics and vector norms.
S33, S334 = (3, 3), (3, 3, 4)
STRUCTURE = [
    C("tril", lambda T, a: a.tril(), (S33,)),
    C("tril_neg", lambda T, a: T.tril(a, -1), (S234,)),
    C("triu", lambda T, a: T.triu(a, 1), (S23,)),
    C("triu_", lambda T, a: (a * 1).triu_(), (S33,)),
    C("tril_", lambda T, a: (a * 1).tril_(1), (S23,)),
    C("diagonal", lambda T, a: a.diagonal(), (S23,)),
    C("diagonal_offset_dims", lambda T, a: T.diagonal(a, 1, 2, 0), (S234,)),
    C("diagonal_neg_offset", lambda T, a: a.diagonal(-1, -1, -2), (S334,)),
    C("diag_1d", lambda T, a: T.diag(a), (S3,)),
    C("diag_1d_offset", lambda T, a: T.diag(a, -1), (S3,)),
    C("diag_2d", lambda T, a: a.diag(), (S33,)),
    C("diag_2d_offset", lambda T, a: T.diag(a, 1), (S23,)),
    C("diag_embed", lambda T, a: T.diag_embed(a), (S23,)),
    C("diag_embed_dims", lambda T, a: a.diag_embed(1, 0, 2), (S23,)),
    C("trace", lambda T, a: a.trace(), (S33,)),
    C("trace_fn", lambda T, a: T.trace(a), (S23,)),
    C("unfold", lambda T, a: a.unfold(1, 2, 1), (S23,)),
    C("unfold_step", lambda T, a: a.unfold(-1, 2, 2), ((2, 5),)),
    C("unfold_dim0", lambda T, a: a.unfold(0, 2, 1) * 2, (S334,)),
    C("broadcast_tensors", lambda T, a, b: T.broadcast_tensors(a, b), ((2, 1), S3)),
    C("broadcast_tensors_3", lambda T, a, b, c: T.broadcast_tensors(a, b, c), (S23, S3, (1, 1))),
    C("diff", lambda T, a: a.diff(), (S23,)),
    C("diff_n_dim", lambda T, a: T.diff(a, n=2, dim=0), ((4, 3),)),
    C("diff_prepend_append", lambda T, a, p, q: T.diff(a, prepend=p, append=q), (S23, (2, 1), (2, 2))),
    C("index_fill", lambda T, a: a.index_fill(1, _idx(T, [0, 2]), -1.0), (S23,)),
    C("index_fill_neg", lambda T, a: T.index_fill(a, 0, _idx(T, [-1]), 2.0), (S23,)),
    C("index_fill_tensor", lambda T, a, v: a.index_fill(1, _idx(T, [1]), v.sum()), (S23, S3)),
    C("index_fill_", lambda T, a: (a * 1).index_fill_(0, _idx(T, [1]), 0.5), (S23,)),
    # einsum: the last node compared by name (PyTorch's decomposition differs in its inner nodes)
    C("einsum_mm", lambda T, a, b: T.einsum("ij,jk->ik", a, b), (S23, (3, 4)), grad_fn=NAME),
    C("einsum_implicit", lambda T, a, b: T.einsum("ij,kj", a, b), (S23, (4, 3)), grad_fn=NAME),
    C("einsum_trace", lambda T, a: T.einsum("ii", a), (S33,), grad_fn=NAME),
    C("einsum_diag", lambda T, a: T.einsum("ii->i", a), (S33,), grad_fn=NAME),
    C("einsum_transpose", lambda T, a: T.einsum("ij->ji", a), (S23,), grad_fn=NAME),
    C("einsum_identity", lambda T, a: T.einsum("...", a), (S23,), grad_fn=NAME),
    C("einsum_sum", lambda T, a: T.einsum("ij->", a), (S23,), grad_fn=NAME),
    C("einsum_dot", lambda T, a, b: T.einsum("i,i->", a, b), (S3, S3), grad_fn=NAME),
    C("einsum_outer", lambda T, a, b: T.einsum("i,j->ij", a, b), (S3, (2,)), grad_fn=NAME),
    C("einsum_bmm", lambda T, a, b: T.einsum("bij,bjk->bik", a, b), ((2, 2, 3), (2, 3, 4)), grad_fn=NAME),
    C("einsum_ellipsis", lambda T, a, b: T.einsum("...ij,...jk->...ik", a, b), ((5, 2, 3), (3, 4)), grad_fn=NAME),
    C("einsum_broadcast_1", lambda T, a, b: T.einsum("ij,kj", a, b), ((2, 1), (4, 3)), grad_fn=NAME),
    C("einsum_hadamard", lambda T, a, b: T.einsum("ij,ij->ij", a, b), (S23, S23), grad_fn=NAME),
    C("einsum_rowdot", lambda T, a, b: T.einsum("ij,ij->i", a, b), (S23, S23), grad_fn=NAME),
    C("einsum_three", lambda T, a, b, c: T.einsum("bn,anm,bm->ba", a, b, c), ((2, 3), (4, 3, 5), (2, 5)),
      grad_fn=NAME),
    C("einsum_chain", lambda T, a, b, c: T.einsum("ij,jk,kl->il", [a, b, c]), (S23, (3, 4), (4, 2)), grad_fn=NAME),
    C("einsum_permuted", lambda T, a, b: T.einsum("ijk,jil->kl", a, b), (S234, (3, 2, 5)), grad_fn=NAME),
    C("einsum_repeated_sum", lambda T, a: T.einsum("iij->j", a), ((2, 2, 3),), grad_fn=NAME),
    # elementwise
    C("hypot", lambda T, a, b: T.hypot(a, b), (S23, S3)),
    C("hypot_method", lambda T, a, b: a.hypot(b), (S23, S23)),
    C("xlogy", lambda T, a, b: T.xlogy(a, b), (S23, S3), [(-2, 2), POS]),
    C("xlogy_zero", lambda T, a, b: T.xlogy(a * 0, b), (S23, S23), [(-2, 2), POS]),
    C("xlogy_number_other", lambda T, a: a.xlogy(2.5), (S23,)),
    C("xlogy_number_self", lambda T, b: T.xlogy(3, b), (S23,), POS),
    C("copysign", lambda T, a, b: T.copysign(a, b), (S23, S3), [(0.5, 2), (-2, 2)]),
    C("copysign_number", lambda T, a: a.copysign(-1.0), (S23,)),
    C("logit", lambda T, a: a.logit(), (S23,), (0.1, 0.9)),
    C("logit_eps", lambda T, a: T.logit(a, eps=0.2), (S23,), (0.25, 0.75)),
    C("nan_to_num", lambda T, a: T.nan_to_num(a.log()), (S23,), POS),
    C("nan_to_num_values", lambda T, a: T.nan_to_num(a / (a * 0), nan=1.5, posinf=2.0, neginf=-3.0),
      inputs=lambda r: [[1.0, -1.0, 0.0]], gradcheck=False),
    C("nan_to_num_", lambda T, a: (a * 1).nan_to_num_(), (S23,)),
    # reductions
    C("nansum", lambda T, a: a.nansum(), (S23,)),
    C("nansum_dim", lambda T, a: T.nansum(a, 1, keepdim=True), (S234,)),
    C("nansum_nan", lambda T, a: T.nansum(a.log(), 0), inputs=lambda r: [[[1.5, -1.0], [0.5, 2.0]]],
      gradcheck=False),
    C("median", lambda T, a: a.median(), (S23,)),
    C("median_even", lambda T, a: T.median(a), ((2, 2),)),
    C("median_dim", lambda T, a: a.median(1), (S234,)),
    C("median_dim_keep", lambda T, a: T.median(a, 0, keepdim=True), (S23,)),
    C("median_ties", lambda T, a: a.median(), inputs=lambda r: [[1.0, 2.0, 2.0, 3.0, 2.0]], gradcheck=False),
    C("kthvalue", lambda T, a: a.kthvalue(2, 1), (S234,)),
    C("kthvalue_default_dim", lambda T, a: T.kthvalue(a, 3), (S23,)),
    C("kthvalue_keep", lambda T, a: a.kthvalue(1, 0, True), (S23,)),
    # mode: ties are the point, so finite differences don't apply; values, indices and gradients against torch
    C("mode", lambda T, a: a.mode(), inputs=lambda r: [[[1.0, 2.0, 2.0, 0.5], [3.0, 3.0, 4.0, 4.0]]], gradcheck=False),
    C("mode_dim", lambda T, a: T.mode(a, 0), inputs=lambda r: [[[1.0, 2.0], [1.0, 3.0], [0.5, 3.0]]],
      gradcheck=False),
    C("mode_unique", lambda T, a: a.mode(1, keepdim=True), (S23,)),
    C("linalg_vector_norm", lambda T, a: T.linalg.vector_norm(a), (S23,)),
    C("linalg_vector_norm_ord", lambda T, a: T.linalg.vector_norm(a, 3, dim=1, keepdim=True), (S234,)),
    C("linalg_vector_norm_inf", lambda T, a: T.linalg.vector_norm(a, float("inf"), dim=(0, 1)), (S23,)),
    C("linalg_norm", lambda T, a: T.linalg.norm(a), (S234,)),
    C("linalg_norm_vector_ord", lambda T, a: T.linalg.norm(a, 1), (S3,)),
    C("linalg_norm_fro", lambda T, a: T.linalg.norm(a, "fro"), (S23,)),
    C("linalg_norm_matrix_1", lambda T, a: T.linalg.norm(a, 1), (S23,), grad_fn=False),
    C("linalg_norm_matrix_inf", lambda T, a: T.linalg.norm(a, float("-inf"), dim=(2, 0)), (S234,), grad_fn=False),
]

# functions composed of other ops in PyTorch (tensordot, cartesian_prod, combinations, take_along_dim: their last
# node is compared) or with their own node (rot90, block_diag)
COMPOSED = [
    C("tensordot", lambda T, a, b: T.tensordot(a, b), ((2, 3, 4), (3, 4, 2))),
    C("tensordot_pairs", lambda T, a, b: T.tensordot(a, b, dims=([0, 2], [2, 1])), ((2, 3, 4), (3, 4, 2))),
    C("tensordot_outer", lambda T, a, b: T.tensordot(a, b, dims=0), (S3, (2,))),
    C("kron", lambda T, a, b: T.kron(a, b), (S23, (2, 2))),
    C("kron_ranks", lambda T, a, b: (a.kron(b), T.kron(b, a)), (S3, (2, 1, 2)), grad_fn=NAME),
    C("rot90", lambda T, a: T.rot90(a), (S23,)),
    C("rot90_k", lambda T, a: (a.rot90(2, (2, 0)), T.rot90(a, -1, (1, 2)), T.rot90(a, 4)), (S234,), grad_fn=NAME),
    C("block_diag", lambda T, a, b, c: T.block_diag(a, b, c), (S23, S3, ())),
    C("block_diag_one", lambda T, a: T.block_diag(a), ((3, 2),)),
    C("cartesian_prod", lambda T, a, b, c: T.cartesian_prod(a, b, c), (S3, (2,), (2,))),
    C("combinations", lambda T, a: T.combinations(a), ((4,),)),
    C("combinations_r3_replacement", lambda T, a: T.combinations(a, 3, with_replacement=True), (S3,)),
    C("take_along_dim", lambda T, a: T.take_along_dim(a, T.tensor([[0, 2], [1, 1]]), 1), (S23,)),
    C("take_along_dim_broadcast", lambda T, a: T.take_along_dim(a, T.tensor([[[2], [0], [3]]]), 2), ((2, 1, 4),)),
    C("take_along_dim_flat", lambda T, a: T.take_along_dim(a, T.tensor([5, 0, 5])), (S23,)),
    C("take_along_dim_argsort", lambda T, a: a.take_along_dim(a.argsort(1), 1), (S23,)),
    # inverse and solve, of matrices kept well conditioned by a multiple of the identity
    C("linalg_inv", lambda T, a: T.linalg.inv(a + 4 * T.eye(3)), ((3, 3),)),
    C("linalg_inv_batch", lambda T, a: (a + 4 * T.eye(3)).inverse(), ((2, 3, 3),)),
    C("inverse", lambda T, a: T.inverse(a + 4 * T.eye(2)), ((2, 2),)),
    C("linalg_solve", lambda T, a, b: T.linalg.solve(a + 4 * T.eye(3), b), ((3, 3), (3, 2))),
    C("linalg_solve_vector", lambda T, a, b: T.linalg.solve(a + 4 * T.eye(3), b), ((3, 3), (3,))),
    C("linalg_solve_batch_vectors", lambda T, a, b: T.linalg.solve(a + 4 * T.eye(3), b), ((2, 3, 3), (2, 3))),
    C("linalg_solve_broadcast", lambda T, a, b: T.linalg.solve(a + 4 * T.eye(3), b), ((2, 3, 3), (4, 1, 3, 2))),
    C("linalg_solve_right", lambda T, a, b: T.linalg.solve(a + 4 * T.eye(3), b, left=False), ((3, 3), (2, 3))),
    # the decompositions (more in test_linalg_decompositions.py), through outputs that do not depend on LAPACK's
    # sign for each singular vector and eigenvector; Cholesky of a symmetric positive-definite matrix made of a
    # cdist: the direct kernel (its gradient is not differentiated again, as PyTorch's), and p = 2 on more than 25
    # rows through the product (EuclideanDistBackward0 under a view), batches broadcast
    C("cdist_p1", lambda T, a, b: T.cdist(a, b, p=1.0), ((2, 3, 4), (5, 4)), gradgradcheck=False),
    C("cdist_p3", lambda T, a, b: T.cdist(a, b, p=3.0), ((3, 4), (2, 5, 4)), gradgradcheck=False),
    C("cdist_euclidean_mm", lambda T, a, b: T.cdist(a, b), ((2, 27, 3), (1, 4, 3))),
    C("pdist", lambda T, a: T.pdist(a), ((5, 3),), gradgradcheck=False),
    C("pdist_p1_5", lambda T, a: T.pdist(a, p=1.5), ((4, 2),), gradgradcheck=False),
    C("dist", lambda T, a, b: T.dist(a, b), ((3, 4), (4,))),
    C("dist_p3", lambda T, a, b: a.dist(b, 3), ((2, 3), (2, 1))),
    C("linalg_det", lambda T, a: T.linalg.det(a), ((2, 3, 3),)),
    C("linalg_slogdet", lambda T, a: tuple(T.linalg.slogdet(a)), ((3, 3),)),
    C("linalg_cholesky", lambda T, a: T.linalg.cholesky(a @ a.mT + 3 * T.eye(3)), ((2, 3, 3),)),
    C("cholesky", lambda T, a: (a @ a.mT + 3 * T.eye(3)).cholesky(), ((3, 3),)),
    C("linalg_qr", lambda T, a: tuple(T.linalg.qr(a)), ((4, 3),)),
    C("linalg_svd", lambda T, a: (lambda U, S, Vh: (U * U, S, (U * S.exp().unsqueeze(-2)) @ Vh))(
        *T.linalg.svd(a, full_matrices=False)), ((4, 3),), grad_fn=NAME),
    C("linalg_eigh", lambda T, a: (lambda L, V: (L, V * V))(*T.linalg.eigh(a + a.mT)), ((3, 3),)),
    # LU, least squares, products and powers (more in test_linalg_more.py): lu_solve of a well-conditioned
    # matrix, lstsq's gelsd for its residuals and singular values
    C("linalg_lu_factor_ex", lambda T, a: tuple(T.linalg.lu_factor_ex(a)), ((2, 3, 4),)),
    C("linalg_lu", lambda T, a: tuple(T.linalg.lu(a)), ((4, 3),)),
    C("linalg_lu_solve", lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(a + 4 * T.eye(3)), b, adjoint=True),
      ((3, 3), (2, 3, 2))),
    C("lu_unpack", lambda T, a: tuple(T.lu_unpack(*T.linalg.lu_factor(a))), ((3, 4),)),
    C("linalg_pinv", lambda T, a: T.linalg.pinv(a), ((2, 4, 3),)),
    C("linalg_lstsq", lambda T, a, b: tuple(T.linalg.lstsq(a, b, driver="gelsd"))[:3], ((1, 4, 2), (2, 4, 3))),
    C("linalg_cross", lambda T, a, b: T.linalg.cross(a, b, dim=0), ((3, 2), (3, 1))),
    C("vdot", lambda T, a, b: T.vdot(a, b), (S3, S3)),
    C("linalg_matrix_exp", lambda T, a: T.linalg.matrix_exp(a), ((2, 3, 3),)),
    # Householder products (more in test_linalg_householder.py): geqrf has no derivative in PyTorch
    C("linalg_householder_product", lambda T, a, t: T.linalg.householder_product(a, t), ((2, 4, 3), (2, 2))),
    C("geqrf", lambda T, a: tuple(T.geqrf(a)), ((2, 4, 3),), grads=False),
]
CASES = CASES + EXTRA + STRUCTURE + COMPOSED


def _setitem(t, idx, v):
    t[idx] = v
    return t


def _view_then_write(y, view, write):
    v = view(y)
    write(y)
    return v * 1


def _through_view(y, write):
    write(y)
    return y


def _iadd(t, v):
    t += v
    return t


# Comparisons and logic: bool results that never require grad.
LOGIC = [
    V("eq", lambda T, a, b: a == b, (S23, S3)),
    V("ne", lambda T, a, b: a != b, (S23, S23)),
    V("lt", lambda T, a, b: a < b, (S23, S3)),
    V("le", lambda T, a: a <= 0.5, (S23,)),
    V("gt", lambda T, a, b: T.gt(a, b), (S23, S3)),
    V("ge", lambda T, a: T.ge(a, 0), (S23,)),
    V("rgt", lambda T, a: 0 > a, (S23,)),
    V("logical_and", lambda T, a, b: T.logical_and(a > 0, b > 0), (S23, S23)),
    V("logical_or", lambda T, a, b: T.logical_or(a > 0, b), (S23, S23)),
    V("logical_xor", lambda T, a, b: T.logical_xor(a, b > 0), (S23, S23)),
    V("logical_not", lambda T, a: T.logical_not(a > 0), (S23,)),
    V("and_or_invert", lambda T, a, b: ~((a > 0) & (b > 0)) | (a > 1), (S23, S23)),
    V("isnan", lambda T, a: T.isnan(T.log(a)), (S23,)),
    V("isinf", lambda T, a: T.isinf(a / T.zeros_like(a)), (S23,)),
    # -0.0 and a negative NaN have the sign bit; a ReLU keeps -0.0 as PyTorch's does
    V("signbit", lambda T, a: T.signbit(T.cat([a.flatten(), -T.zeros(1), a.flatten() * float("nan"),
                                                -(a[0] * float("nan")), T.relu(-T.zeros(2))])), (S23,)),
    V("any", lambda T, a: (a > 1.5).any(), (S23,)),
    V("any_dim", lambda T, a: T.any(a > 1, 1), (S23,)),
    V("all", lambda T, a: (a > -3).all(), (S23,)),
    V("all_dim", lambda T, a: T.all(a > 0, dim=0, keepdim=True), (S23,)),
]

# logic and other non-differentiable results (values and dtypes only)
LOGIC += [
    V("eq_fn", lambda T, a, b: T.eq(a, b), (S23, S23)),
    V("ne_fn", lambda T, a: T.ne(a, 0.5), (S23,)),
    V("lt_le", lambda T, a, b: (T.lt(a, b), T.le(a, b)), (S23, S3)),
    V("greater", lambda T, a, b: (T.greater(a, b), T.greater_equal(a, b), T.less(a, b), T.less_equal(a, b),
                                  T.not_equal(a, b)), (S23, S23)),
    V("bitwise", lambda T, a, b: (T.bitwise_and(a > 0, b > 0), T.bitwise_or(a > 0, b > 0),
                                  T.bitwise_xor(a > 0, b > 0), T.bitwise_not(a > 0)), (S23, S23)),
    V("bitwise_int", lambda T, a: (T.bitwise_and(T.tensor([5, 3]), 6), ~T.tensor([5, 3])), (S3,)),
    V("isfinite", lambda T, a: T.isfinite(a.log()), (S23,)),
    V("isclose", lambda T, a: T.isclose(a, a + 1e-9), (S23,)),
    V("allclose_equal", lambda T, a: (T.allclose(a, a * 1.0), T.equal(a, a), T.equal(a, a + 1)), (S23,)),
    V("count_nonzero", lambda T, a: (T.count_nonzero(a > 0), T.count_nonzero(a > 0, dim=1)), (S23,)),
    V("nonzero", lambda T, a: (T.nonzero(a > 0), T.nonzero(a > 0, as_tuple=True)), (S23,)),
    V("argmax_values", lambda T, a: (a.argmin(), a.argmax(1)), (S23,)),
    V("floor_divide_int", lambda T, a: (T.floor_divide(T.tensor([7, -7]), 2), T.tensor([7, -7]) % 3,
                                        T.tensor([7, -7]) // T.tensor([2, 2])), (S3,)),
    V("argwhere", lambda T, a: (T.argwhere(a > 0), (a > 1).argwhere()), (S23,)),
    V("isin", lambda T, a: (T.isin(T.tensor([1, 2, 3, 2]), T.tensor([2, 5])), T.isin(T.tensor([1.0, 2.0]), 2),
                            T.isin(3, T.tensor([1, 3])), T.isin(T.tensor([[1, 4]]), T.tensor([4]), invert=True)),
      (S3,)),
    V("searchsorted", lambda T, a: (T.searchsorted(T.tensor([1.0, 3.0, 3.0, 7.0]), a * 4),
                                    T.searchsorted(T.tensor([1.0, 3.0, 3.0, 7.0]), T.tensor([3.0, 9.0]), right=True),
                                    T.searchsorted(T.tensor([1.0, 3.0, 3.0, 7.0]), T.tensor([3.0]), side="right"),
                                    T.searchsorted(T.tensor([[1, 3], [2, 4]]), T.tensor([[2, 5], [5, 0]]),
                                                   out_int32=True),
                                    T.searchsorted(T.tensor([5, 1, 3]), 4, sorter=T.tensor([1, 2, 0]))), (S23,)),
    V("tril_triu_indices", lambda T, a: (T.tril_indices(3, 4), T.tril_indices(4, 3, -1), T.triu_indices(3, 3, 1),
                                         T.triu_indices(2, 4, -1, dtype=T.int32), T.tril_indices(0, 3)), (S3,)),
]


# torch.special (tests/ops/test_special.py has them over wide ranges): the functions with a derivative, the number
# forms of the binary ones (one edge), and those PyTorch gives no derivative (the Bessel and Airy functions, the
# orthogonal polynomials, whose degree is a float input here so that NaN and inf reach it too)
_NO_DERIVATIVE_UNARY = {"airy_ai": (-3, 3), "bessel_j0": (-7, 7), "bessel_j1": (-7, 7), "bessel_y0": (0.5, 8),
                        "bessel_y1": (0.5, 8), "modified_bessel_i0": (-3, 3), "modified_bessel_i1": (-9, 9),
                        "modified_bessel_k0": (0.5, 4), "modified_bessel_k1": (0.5, 4),
                        "scaled_modified_bessel_k0": (0.5, 4), "scaled_modified_bessel_k1": (0.5, 4),
                        "spherical_bessel_j0": (-3, 3)}
_POLYNOMIALS = ("chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
                "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
                "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
                "laguerre_polynomial_l", "legendre_polynomial_p")
SPECIAL = [
    C("erfc", lambda T, a: T.erfc(a), (S23,)),
    C("special_erfc", lambda T, a: T.special.erfc(a), (S23,)),
    C("i0", lambda T, a: a.i0(), (S23,), (-3, 3)),
    C("sinc", lambda T, a: T.sinc(a), (S23,)),
    C("special_entr", lambda T, a: T.special.entr(a), (S23,), (0.1, 3)),
    C("special_erfcx", lambda T, a: T.special.erfcx(a), (S23,), (-2, 3)),
    C("special_i0e", lambda T, a: T.special.i0e(a), (S23,), (0.2, 5)),
    C("special_i1", lambda T, a: T.special.i1(a), (S23,), (-4, 4)),
    C("special_i1e", lambda T, a: T.special.i1e(a), (S23,), (0.2, 5)),
    C("special_ndtri", lambda T, a: T.special.ndtri(a), (S23,), (0.05, 0.95)),
    C("special_log_ndtr", lambda T, a: T.special.log_ndtr(a), (S23,), (-4, 3)),
    C("special_ndtr", lambda T, a: T.special.ndtr(a), (S23,), (-3, 3)),
    C("special_expit", lambda T, a: T.special.expit(a), (S23,)),
    C("special_xlog1py", lambda T, a, b: T.special.xlog1py(a, b), (S23, S3), [(-2, 2), (-0.5, 2)]),
    C("special_xlog1py_number_first", lambda T, b: T.special.xlog1py(2.5, b), (S23,), (-0.5, 2)),
    C("special_xlog1py_number_second", lambda T, a: T.special.xlog1py(a, 0.5), (S23,)),
    C("special_zeta", lambda T, x, q: T.special.zeta(x, q), (S23, S3), [(1.5, 5), (0.5, 4)], no_grad=(0,)),
    C("special_zeta_number_first", lambda T, q: T.special.zeta(3.0, q), (S23,), (0.5, 4)),
    C("special_zeta_number_second", lambda T, x: T.special.zeta(x, 2.0), (S23,), (1.5, 5), grads=False),
    C("igamma", lambda T, a, x: T.igamma(a, x), (S23, S3), [(0.5, 5), (0.2, 6)], no_grad=(0,)),
    C("igammac", lambda T, a, x: a.igammac(x), (S23, S23), [(0.5, 5), (0.2, 6)], no_grad=(0,)),
    C("special_gammainc_asymptotic", lambda T, a, x: T.special.gammainc(a, x), (S3, S3), [(40, 60), (45, 55)],
      no_grad=(0,)),
    C("polygamma", lambda T, a: T.polygamma(2, a), (S23,), (0.5, 4)),
    C("polygamma_", lambda T, a: (a * 1).polygamma_(1), (S23,), (0.5, 4)),
    C("mvlgamma", lambda T, a: T.special.multigammaln(a, 3), (S23,), (1.5, 4)),
    *[V(f"special_{name}", (lambda n: lambda T, a: getattr(T.special, n)(a))(name), (S23,), domain)
      for name, domain in _NO_DERIVATIVE_UNARY.items()],
    *[V(f"special_{name}", (lambda n: lambda T, x, k: getattr(T.special, n)(x, k))(name), (S23, S23),
        [(-2, 5) if name == "laguerre_polynomial_l" else (-1.2, 1.2), (0, 12)])
      for name in _POLYNOMIALS],
]
CASES = CASES + LOGIC + SPECIAL
assert len({c.name for c in CASES + NN_CASES}) == len(CASES + NN_CASES), "two cases share a name"


class TestOpCases(ParityChecks):
    CASES = CASES


def test_gradcheck_catches_wrong_derivative():
    """The checker itself is not vacuous: a deliberately wrong backward fails it."""

    class Bad(graphgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g * 3.0

    x = graphgrad.rand(3, dtype=graphgrad.float64, requires_grad=True)
    with pytest.raises(graphgrad.autograd.GradcheckError):
        graphgrad.autograd.gradcheck(Bad.apply, (x,))
    assert graphgrad.autograd.gradcheck(Bad.apply, (x,), raise_exception=False) is False


# --- every registered op goes through every check ---------------------------------------------------
# Ops a check cannot reach, by node name, with the reason. Ops without a derivative (comparisons, logic;
# backward None) need parity only.
NO_DERIVATIVE = dict.fromkeys(
    ("torch::autograd::NotImplemented", "NotImplemented", "Unique2Backward0", "UniqueDimBackward0",
     "UniqueConsecutiveBackward0", "GeqrfBackward0"), "PyTorch has no derivative for it (its backward raises)")
NOT_CHECKED = {
    "parity": {},
    "gradcheck": {**NO_DERIVATIVE, "SpecialZetaBackward2": "PyTorch has no derivative of zeta in x (its backward "
                                                           "raises, as graphgrad's does)"},
    "gradgradcheck": {**NO_DERIVATIVE, "SpecialZetaBackward2": "PyTorch has no derivative of zeta in x (the same)",
                      "HardsigmoidBackward0": "PyTorch has no derivative of hardsigmoid_backward (its double "
                                              "backward raises, as graphgrad's does)",
                      "CdistBackward0": "PyTorch has no derivative of _cdist_backward (its double backward raises, "
                                        "as graphgrad's does)",
                      "PdistBackward0": "PyTorch has no derivative of _pdist_backward (the same)"},
}


@pytest.fixture(scope="module")
def covered():
    """For each check, the registry keys of the ops whose derivatives it verifies over both tables' cases."""
    return coverage(CASES + NN_CASES)


def uncovered(check, covered):
    """The registry keys of the ops that need ``check`` and that no case covers (nor NOT_CHECKED excuses), and
    those NOT_CHECKED excuses that a case covers now (stale): ``(missing, stale)``."""
    needed = {key: op for key, op in REGISTRY.items() if check == "parity" or op.backward is not None}
    exempt = NOT_CHECKED[check]
    missing = sorted(k for k, op in needed.items() if k not in covered[check] and op.name not in exempt)
    stale = sorted(k for k, op in needed.items() if k in covered[check] and op.name in exempt)
    return missing, stale


@pytest.mark.parametrize("check", sorted(NOT_CHECKED))
def test_registry_covered(check, covered):
    """Every registered op runs in some case under ``check`` (a differentiable one under gradcheck and
    gradgradcheck too), unless NOT_CHECKED says why it can't; an entry there that is covered now is stale."""
    missing, stale = uncovered(check, covered)
    assert not missing, f"registered ops without a case under {check}: {missing}"
    assert not stale, f"ops exempt from {check} that a case covers now (remove them from NOT_CHECKED): {stale}"


def test_registry_coverage_sees_an_op_without_cases(covered):
    """A newly registered op that no case runs is reported under every check."""
    op_class = type(next(iter(REGISTRY.values())))
    op = op_class("UncoveredBackward0", lambda a: a, lambda node, grad: (grad,))
    try:
        key = next(k for k, v in REGISTRY.items() if v is op)
        for check in NOT_CHECKED:
            assert key in uncovered(check, covered)[0]
    finally:
        del REGISTRY[key]
