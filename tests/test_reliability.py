"""Regression tests for exact PyTorch semantics at the edges: 0-d gradients, NaN/inf, double-backward
requires_grad, saved tensors, errors PyTorch raises (and does not), and PyTorch's error text first.

Each case is a small program ``fn(T)`` run on graphgrad and on real PyTorch; the outcomes (values with
NaN == NaN, dtype, shape, requires_grad, or the exception's type and first line) must be the same.
"""

import numpy as np
import pytest

import graphgrad

from ._fuzz import outcome, same_outcome

NAN, INF = float("nan"), float("inf")


def _leaf(T, v):
    return T.tensor(v, requires_grad=True)


def _grad_of(fn, v):
    def prog(T):
        x = _leaf(T, v)
        fn(T, x).sum().backward()
        return x.grad
    return prog


def _grads_of(fn, va, vb):
    def prog(T):
        a, b = _leaf(T, va), _leaf(T, vb)
        fn(T, a, b).sum().backward()
        return a.grad, b.grad
    return prog


def _nan_grad_through(fn):
    """The gradient of ``x`` when NaN arrives from above: PyTorch's zeros stay zeros."""
    def prog(T):
        x = _leaf(T, [-1.0, 0.5, 2.0])
        y = fn(T, x)
        y.backward(T.full(y.shape, NAN))
        return x.grad
    return prog


def _first_grad_requires_grad(fn):
    def prog(T):
        x = _leaf(T, [-1.0, 0.5, 2.0, 3.0])
        (g,) = T.autograd.grad(fn(T, x).sum(), x, create_graph=True)
        return g.requires_grad, g
    return prog


def _zero_d_mul_view_inplace(T):
    a = _leaf(T, 0.75)
    y = a * a
    y.view(-1).mul_(2)
    (y * 1.0).backward()
    return a.grad


def _zero_d_mask_assign(T):
    a = _leaf(T, 0.75)
    y = a * a
    y[y > 0] = 0
    y.backward()
    return a.grad


def _zero_d_masked_select(T):
    x = _leaf(T, 0.5)
    x.masked_select(x > 0).sum().backward()
    return x.grad


def _zero_d_grad_is_array(T):
    a = _leaf(T, 0.75)
    (a.exp() * a.sin() / a.tanh()).backward()
    return a.grad, type(a.grad.numpy()).__name__ if T is graphgrad else "ndarray"


def _const_mul_then_inplace(T):
    h = _leaf(T, [1.0, 2.0])
    h2 = h * 1.0
    y = h2 * 3.0  # saves neither operand: the constant is a number, h2 is not needed for d/dh2
    with T.no_grad():
        h2.add_(1)
    y.sum().backward()
    return h.grad


def _frozen_operand_then_step(op, write):
    """``h op w`` with only ``w`` requiring grad, then ``write`` (an optimizer-like update of w, or a write into
    h) before backward: PyTorch keeps only what w's gradient needs."""
    def prog(T):
        w = _leaf(T, [1.0, 2.0])
        h = T.tensor([3.0, 4.0]) * 1
        y = op(h, w)
        with T.no_grad():
            (w if write == "w" else h).add_(1)
        y.sum().backward()
        return w.grad
    return prog


def _input_written_after(fn):
    """``fn`` of a non-leaf, then that input written in place: PyTorch refuses when the op saved it."""
    def prog(T):
        x = _leaf(T, [1.0, 2.0])
        h = x * 1
        y = fn(T, h)
        h.add_(1)
        y.sum().backward()
        return x.grad
    return prog


def _inplace_on_output(fn):
    def prog(T):
        x = _leaf(T, [1.0, 2.0])
        y = fn(T, x)
        y.add_(1)
        y.sum().backward()
        return x.grad
    return prog


def _saved_then_detached(T):
    """A saved non-leaf detach_()ed before backward: PyTorch refuses to use it."""
    x = _leaf(T, [1.0, 2.0])
    h = x.sigmoid()
    y = T.nn.functional.silu(h)
    h.detach_()
    y.sum().backward()
    return x.grad


def _double_backward(fn, v):
    """The gradient of ``|d fn / dx|^2`` (a gradient penalty)."""
    def prog(T):
        x = _leaf(T, v)
        g = T.autograd.grad(fn(T, x).sum(), x, create_graph=True)[0]
        (g * g).sum().backward()
        return x.grad
    return prog


def _tril_expanded(T):
    x = _leaf(T, [[1.0], [2.0], [3.0]])
    v = x.sin().unsqueeze(0).expand(2, 3, 1)
    with T.no_grad():
        v.tril_()
    return v


def _view_of_detached_leaf(T):
    x = _leaf(T, [[1.0, 2.0], [3.0, 4.0]])
    v = x[0]
    x.detach_()
    v.masked_fill_(v > 1, -1.0)


def _detach_view(T):
    x = _leaf(T, [1.0, 2.0]) * 1
    x[0:1].detach_()


def _leaf_stops_requiring_grad(how):
    def prog(T):
        x = _leaf(T, [1.0, 2.0])
        y = (x * 2).sum()
        if how == "requires_grad_":
            x.requires_grad_(False)
        else:
            x.detach_()
        y.backward()
        return x.grad
    return prog


CASES = {
    # 2. 0-d gradients stay 0-d arrays
    "0d_view_mul_": _zero_d_mul_view_inplace,
    "0d_mask_assign": _zero_d_mask_assign,
    "0d_gelu": lambda T: T.nn.functional.gelu(T.tensor(1.0)),
    "0d_masked_select": _zero_d_masked_select,
    "0d_grad_is_array": _zero_d_grad_is_array,
    # 3. NaN and inf
    "relu_nan_input": _grad_of(lambda T, x: T.relu(x), [NAN, -1.0, 2.0]),
    "max_nan_input": _grad_of(lambda T, x: x.max(), [NAN, -1.0, 2.0]),
    "median_nan_input": _grad_of(lambda T, x: x.median(), [NAN, -1.0, 2.0]),
    "maximum_nan": _grad_of(lambda T, x: T.maximum(x, T.tensor([NAN, 1.0, 1.0])), [NAN, -1.0, 2.0]),
    "minimum_nan": _grad_of(lambda T, x: T.minimum(x, T.tensor([NAN, 1.0, 1.0])), [NAN, -1.0, 2.0]),
    "relu_times_inf": _grad_of(lambda T, x: T.relu(x) * T.tensor([INF, 1.0, 1.0]), [NAN, -1.0, 2.0]),
    "nan_grad_relu": _nan_grad_through(lambda T, x: T.relu(x)),
    "nan_grad_clamp": _nan_grad_through(lambda T, x: x.clamp(0, 1)),
    "nan_grad_clamp_min_t": _nan_grad_through(lambda T, x: x.clamp_min(T.zeros(3))),
    "nan_grad_sign": _nan_grad_through(lambda T, x: T.sign(x)),
    "nan_grad_floor": _nan_grad_through(lambda T, x: T.floor(x)),
    "nan_grad_ceil": _nan_grad_through(lambda T, x: T.ceil(x)),
    "nan_grad_trunc": _nan_grad_through(lambda T, x: T.trunc(x)),
    "nan_grad_round": _nan_grad_through(lambda T, x: T.round(x)),
    "nan_grad_max": _nan_grad_through(lambda T, x: x.max()),
    "nan_grad_median": _nan_grad_through(lambda T, x: x.median()),
    "nan_grad_where": _nan_grad_through(lambda T, x: T.where(x > 0, x, T.zeros(3))),
    "nan_grad_hardtanh": _nan_grad_through(lambda T, x: T.nn.functional.hardtanh(x)),
    "where_log_unselected": _grad_of(lambda T, x: T.where(x > 0, x, T.log(x)), [1.0, -1.0]),
    "topk_nan": lambda T: tuple(T.topk(T.tensor([1.0, NAN, 2.0]), 2)),
    "sort_desc_nan": lambda T: tuple(T.sort(T.tensor([1.0, NAN, INF, 2.0]), descending=True)),
    "sign_nan": lambda T: T.sign(T.tensor([NAN, -2.0, 0.0, 3.0])),
    "softmax_0d": lambda T: [T.softmax(T.tensor(v), 0) for v in (NAN, INF, 3.0)],
    "log_softmax_0d": lambda T: [T.log_softmax(T.tensor(v), 0) for v in (NAN, -INF, 3.0)],
    # 4. double backward: which first derivatives require grad
    "dbl_relu": _first_grad_requires_grad(lambda T, x: T.relu(x)),
    "dbl_leaky_relu": _first_grad_requires_grad(lambda T, x: T.nn.functional.leaky_relu(x)),
    "dbl_hardtanh": _first_grad_requires_grad(lambda T, x: T.nn.functional.hardtanh(x)),
    "dbl_max_pool": _first_grad_requires_grad(lambda T, x: T.nn.functional.max_pool1d(x.view(1, 1, 4), 2)),
    "dbl_avg_pool": _first_grad_requires_grad(lambda T, x: T.nn.functional.avg_pool1d(x.view(1, 1, 4), 2)),
    "dbl_round": _first_grad_requires_grad(lambda T, x: T.round(x)),
    "dbl_floor": _first_grad_requires_grad(lambda T, x: T.floor(x)),
    # 5. saved tensors: nothing saved that the derivative does not need
    "mul_const_then_inplace": _const_mul_then_inplace,
    "mul_frozen_then_step": _frozen_operand_then_step(lambda h, w: h * w, "w"),
    "mul_frozen_then_write_it": _frozen_operand_then_step(lambda h, w: h * w, "h"),
    "div_by_param_then_step": _frozen_operand_then_step(lambda h, w: h / w, "w"),
    "div_param_then_step": _frozen_operand_then_step(lambda h, w: w / h, "w"),
    "div_param_then_write_divisor": _frozen_operand_then_step(lambda h, w: w / h, "h"),
    # 6. errors PyTorch raises, and the reverse
    "pow_tensor_output_inplace": _inplace_on_output(lambda T, x: T.pow(x, T.tensor([2.0, 3.0]))),
    "prod_output_inplace": _inplace_on_output(lambda T, x: x.prod()),
    "prod_dim_output_inplace": _inplace_on_output(lambda T, x: x.view(1, 2).prod(1)),
    "detach_view": _detach_view,
    "lerp_end_dtype": lambda T: T.lerp(T.tensor([1.0]), T.tensor([1.0], dtype=T.float64), 0.5),
    "lerp_weight_dtype": lambda T: T.lerp(T.tensor([1.0]), T.tensor([1.0]), T.tensor([0.5], dtype=T.float64)),
    "lerp__dtype": lambda T: T.tensor([1.0]).lerp_(T.tensor([1.0], dtype=T.float64), 0.5),
    "scatter_src_size": lambda T: T.zeros(2, 2).scatter(1, T.tensor([[0, 1, 0]]), T.ones(1, 2)),
    "scatter_src_smaller": lambda T: T.zeros(2, 2).scatter(1, T.tensor([[0, 1]]), T.ones(1, 1)),
    "scatter__src_size": lambda T: T.zeros(2, 2).scatter_(1, T.tensor([[0], [1], [0]]), T.ones(3, 2)),
    "scatter_value_wide_index": lambda T: T.zeros(2, 2).scatter(1, T.tensor([[0, 1, 0]]), 1.0),
    "requires_grad_false_used_leaf": _leaf_stops_requiring_grad("requires_grad_"),
    "detach__used_leaf": _leaf_stops_requiring_grad("detach_"),
    # 7. PyTorch's text first and unchanged; no NumPy exception escapes
    "broadcast_text": lambda T: T.ones(2, 3) + T.ones(2),
    "matmul_text": lambda T: T.ones(2, 3) @ T.ones(2),
    "mm_text": lambda T: T.ones(2, 3) @ T.ones(2, 2),
    "cat_text": lambda T: T.cat([T.ones(2, 3), T.ones(3, 2)]),
    "roll_0d": lambda T: T.roll(T.tensor(1.0), 1, 0),
    "roll_0d_neg": lambda T: T.roll(T.tensor(1.0), 1, -1),
    "roll_0d_flat": lambda T: T.roll(T.tensor(1.0), 1),
    "unflatten_dim": lambda T: T.ones(6).unflatten(1, (2, 3)),
    "unflatten_sizes": lambda T: T.ones(6).unflatten(0, (4, 3)),
    "scatter_bounds": lambda T: T.zeros(2, 2).scatter(1, T.tensor([[0, 5]]), T.ones(2, 2)),
    "scatter_dim": lambda T: T.zeros(2, 2).scatter(3, T.tensor([[0, 1]]), T.ones(2, 2)),
    # found by the differential fuzzer (tests/_fuzz.py)
    "softshrink_nan": lambda T: T.nn.functional.softshrink(T.tensor([NAN, 1.5, -0.2]), 1),
    "hardshrink_nan": lambda T: T.nn.functional.hardshrink(T.tensor([NAN, 1.5, -0.2]), 1),
    "bool_pow_int": lambda T: T.tensor([True, False]) ** 2,
    "mode_nan_no_crash": lambda T: T.tensor([NAN, 1.0, NAN, 2.0]).mode()[0].isnan(),
    "mode_empty_dim": lambda T: T.ones(2, 0).mode(),
    "softmax_0d_bad_dim": lambda T: T.softmax(T.tensor(1.0), 1),
    "min_0d_bad_dim": lambda T: T.min(T.tensor(1.0), 1),
    "cummin_0d_bad_dim": lambda T: T.cummin(T.tensor(1.0), 1),
    "matmul_shape_before_dtype": lambda T: T.ones(2, 3, dtype=T.float64) @ T.ones(2, 2),
    "rsub_broadcast_text": lambda T: T.rsub(T.ones(3, 2), T.ones(2, 3)),
    "bool_sub_before_shapes": lambda T: T.ones(2, 3).bool() - T.ones(3, 2).bool(),
    "tril__leaf_first": lambda T: _leaf(T, [1.0, 2.0]).tril_(),
    "empty_dim_tensor_index": lambda T: T.ones(0, 3)[T.tensor([0, -1])],
    "empty_tensor_wide_index": lambda T: T.ones(0, 1)[:, T.tensor([0, 0, 1])],
    "advanced_index_error_dim": lambda T: T.ones(2, 3, 1)[:, :, T.tensor([0, 1])],
    "advanced_index_contiguous": lambda T: T.ones(2, 3)[:, T.tensor([0, 0, 1])].view(-1),
    "index_select_empty": lambda T: T.ones(0, 3).index_select(0, T.tensor([0])),
    "take_empty": lambda T: T.ones(0, 3).take(T.tensor([0])),
    "copy__broadcast_text": lambda T: T.zeros(0, 3).copy_(T.ones(2, 3)),
    "hypot_bool": lambda T: T.hypot(T.tensor([1.0, 2.0]), T.tensor([True, False])),
    "sort_bool_descending": lambda T: tuple(T.tensor([True, False, True]).sort(descending=True)),
    "silu_int": lambda T: T.nn.functional.silu(T.tensor([1])),
    "softmax_bool": lambda T: T.softmax(T.tensor([[True]]), 0),
    "hardtanh_bool": lambda T: T.nn.functional.hardtanh(T.tensor([True])),
    "median_bool": lambda T: T.tensor([True, False]).median(),
    "mse_loss_bool_float": lambda T: T.nn.functional.mse_loss(T.tensor([True]), T.tensor([1.0])),
    "mse_loss_promotes": lambda T: T.nn.functional.mse_loss(T.tensor([1.0]), T.tensor([2.0], dtype=T.float64)),
    "lerp_bool": lambda T: T.tensor([True]).lerp(T.tensor([True]), 0.3),
    "cummax_input_written": _input_written_after(lambda T, x: x.cummax(0)[0]),
    "masked_select_input_written": _input_written_after(lambda T, x: x.masked_select(x > 1.5)),
    "max_pool_input_written": _input_written_after(lambda T, x: T.nn.functional.max_pool1d(x.view(1, 1, 2), 2)),
    "avg_pool_input_written": _input_written_after(lambda T, x: T.nn.functional.avg_pool1d(x.view(1, 1, 2), 2)),
    "erfinv_output_written": _inplace_on_output(lambda T, x: T.erfinv(x / 4)),
    "gather_input_written": _input_written_after(lambda T, x: x.gather(0, T.tensor([1, 0]))),
    "saved_tensor_detached_": _saved_then_detached,
    "chunk_empty_dim": lambda T: [t.grad_fn.name() for t in T.zeros(0, 3, requires_grad=True).chunk(2)],
    "chunk_empty_dim_inplace": lambda T: T.zeros(0, 3, requires_grad=True).chunk(2)[0].sigmoid_(),
    "fmod_double_backward_0_over_0": _double_backward(lambda T, x: T.fmod(x, -x), [[-1.8679], [0.0]]),
    "remainder_double_backward_0_over_0": _double_backward(lambda T, x: T.remainder(x, -x), [[-1.8679], [0.0]]),
    "atan2_correctly_rounded": lambda T: T.tan(T.atan2(T.tensor([0.0603, 1.5956]), T.tensor([0.0603, 1.5956]))),
    "clamp_min_bool_by_int": lambda T: T.clamp_min(T.tensor([True, False]), 1),
    "clamp_bool_by_ints": lambda T: T.tensor([True, False]).clamp(-1, 1),
    "clamp_bool_by_bool": lambda T: T.clamp(T.tensor([True, False]), True),
    "clamp__bool_by_ints": lambda T: T.tensor([True, False]).clamp_(-1, 1),
    "clamp__int_by_float": lambda T: T.tensor([1, 2]).clamp_(0.5),
    "pow_bool_bool": lambda T: T.tensor([True, False]) ** T.tensor([True, True]),
    "matmul_bool_dot": lambda T: T.ones(3, dtype=T.bool) @ T.ones(3, dtype=T.bool),
    "matmul_bool_mv": lambda T: T.ones(2, 3, dtype=T.bool) @ T.ones(3, dtype=T.bool),
    "matmul_bool_mm": lambda T: T.ones(2, 2, 3, dtype=T.bool) @ T.ones(3, 2, dtype=T.bool),
    "matmul_bool_bmm": lambda T: T.ones(2, 3, dtype=T.bool) @ T.ones(2, 3, 2, dtype=T.bool),
    "matmul_batched_text": lambda T: T.ones(2, 1) @ T.ones(1, 2, 1),
    "matmul_folded_text": lambda T: _leaf(T, [[1.0, 2.0]]) @ T.ones(2, 3, 4),
    "cummin_empty_any_dim": lambda T: tuple(T.cummin(T.zeros(0), 1)),
    "cummax_empty_any_dim": lambda T: tuple(T.cummax(T.zeros(0, 3), 5)),
    "dbl_hardsigmoid": _first_grad_requires_grad(lambda T, x: T.nn.functional.hardsigmoid(x)),
    "hardsigmoid_third_derivative": _double_backward(lambda T, x: T.nn.functional.hardsigmoid(x) ** 2, [0.5, 1.0]),
    "frac__empty_expanded": lambda T: T.zeros(0, 3).expand(2, 0, 3).frac_(),
    "tril__expanded_no_grad": _tril_expanded,
    "copy__overlap_before_shape": lambda T: (lambda v: v.view(-1).copy_(v))(T.ones(1, 3) * 1),
    "mask_assign_0d_leaf": lambda T: _leaf(T, -1.0).__setitem__(_leaf(T, -1.0) > 0, 0),
    "inplace_view_of_detached_leaf": _view_of_detached_leaf,
    "huber_bool": lambda T: T.nn.functional.huber_loss(T.tensor([True]), T.tensor([False])),
    "huber_int_float": lambda T: T.nn.functional.huber_loss(T.tensor([1, 2]), T.tensor([1.0, 2.0])),
    "smooth_l1_int": lambda T: T.nn.functional.smooth_l1_loss(T.tensor([1, 2]), T.tensor([1, 2])),
    "atan2_grad_at_origin": _grads_of(lambda T, a, b: T.atan2(a, b), [0.0, -0.0, 1e-30], [0.0, 0.0, 1e-30]),
    "pow_zero_base_negative_exponent": _grads_of(lambda T, a, b: T.pow(a, b), [-0.0, 0.0, 2.0], [-0.9, 0.5, -1.8]),
    "xlogy_grad_at_zero_x": _grads_of(lambda T, a, b: T.xlogy(a, b), [0.0, 0.0, 1.5, 0.0], [2.0, 0.0, -1.0, -1.0]),
    "xlogy_zero_grad_nan_log": _grad_of(lambda T, x: T.floor(T.xlogy(x, x)), [-0.2, 1.1, 1.5]),
    "kthvalue_empty_dim": lambda T: T.kthvalue(T.zeros(2, 0), 1, 1),
    "kthvalue_bool": lambda T: T.kthvalue(T.tensor([True, False]), 1),
    "fmod_bool": lambda T: T.fmod(T.tensor([True]), T.tensor([True])),
    "remainder_bool": lambda T: T.tensor([True]) % True,
    "remainder_bool_number": lambda T: T.tensor([True]) % 2,
    "remainder_int_by_zero": lambda T: T.tensor([1, 2]) % T.tensor([False, True]),
    "fmod_int_by_zero": lambda T: T.fmod(T.tensor([1]), 0),
    "floor_divide_int_by_zero": lambda T: T.tensor([1]) // 0,
    "remainder_float_by_zero": lambda T: T.tensor([1.0]) % 0,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_pytorch(name, torch_ref):
    prog = CASES[name]
    ours, theirs = outcome(prog, graphgrad), outcome(prog, torch_ref)
    problem = same_outcome(ours, theirs)
    assert problem is None, f"{name}: {problem}\n graphgrad: {ours}\n torch:     {theirs}"


def test_zero_d_gradient_is_an_ndarray():
    # NumPy gives scalars (np.float32) for 0-d arithmetic; a Tensor must always hold an ndarray
    a = graphgrad.tensor(0.75, requires_grad=True)
    for f in (lambda t: t * t, lambda t: t / 3, lambda t: t.exp(), lambda t: t.sin(), lambda t: t.tanh()):
        a.grad = None
        f(a).backward()
        assert type(a.grad._data) is np.ndarray and a.grad._data.shape == ()


def test_in_place_integer_floor_divide_by_zero_raises_as_out_of_place(torch_ref):
    for lib in (graphgrad, torch_ref):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            lib.tensor([5, 5]).floor_divide_(lib.tensor([0, 1]))


@pytest.mark.parametrize("name", ["smooth_l1_loss", "mse_loss"])
def test_pointwise_losses_promote_an_integer_input_with_a_float_target(torch_ref, name):
    results = [getattr(lib.nn.functional, name)(lib.tensor([1, 2, 3]), lib.tensor([1.5, 2.2, 0.1])).item()
               for lib in (graphgrad, torch_ref)]
    assert results[0] == pytest.approx(results[1], rel=1e-6)
