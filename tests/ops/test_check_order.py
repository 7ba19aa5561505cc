"""Inputs that break two of an op's rules get the error PyTorch checks first; reductions over an empty
dimension get PyTorch's error or value, not NumPy's (cases the random programs of test_fuzz_vs_torch and
benchmarks/fuzz.py met)."""

from __future__ import annotations

import pytest

from .._fuzz import outcome, same_outcome

PROGRAMS = {
    # an expanded bool tensor: the overlap is refused before the dtype
    "frac_of_expanded_bools": lambda T: T.tensor([[True, False]]).expand(2, 2).frac_(),
    "frac_of_bools": lambda T: T.tensor([True]).frac_(),
    "abs_of_expanded_bools": lambda T: T.tensor([True, False]).expand(3, 2).abs_(),
    "median_over_empty_dim": lambda T: T.median(T.zeros(3, 0), 1),
    "median_over_empty_first_dim": lambda T: T.median(T.zeros(0, 3), 0),
    "median_beside_empty_dim": lambda T: T.median(T.zeros(3, 0), 0),
    # the median of no elements is NaN cast to the dtype, for bools and integers too
    "median_of_no_bools": lambda T: T.zeros(0, 1, dtype=T.bool).median(),
    "median_of_no_integers": lambda T: T.zeros(0, 2, dtype=T.long).median(),
    "median_of_bools": lambda T: T.tensor([True, False]).median(),
    "topk_of_bools": lambda T: T.tensor([True, False]).topk(1),
    "topk_of_bools_k_out_of_range": lambda T: T.tensor([True, False]).topk(5),
    # no element reaches the kernel: an empty tensor of the input's dtype, not the dtype's error
    "softmax_of_no_bools": lambda T: (T.softmax(T.zeros(0, 3, dtype=T.bool), 1),
                                      T.zeros(0, 2, dtype=T.long).log_softmax(-1)),
    "softmax_of_bools": lambda T: T.softmax(T.zeros(2, 3, dtype=T.bool), 1),
    "logcumsumexp_dim_before_dtype": lambda T: T.logcumsumexp(T.tensor(True), 1),
    "logcumsumexp_of_a_bool": lambda T: T.logcumsumexp(T.tensor(True), 0),
    # an input overlapping the written-to tensor in part is refused before the shapes are compared
    "add_of_an_overlapping_view": lambda T: _overlapping_add(T),
    "add_of_unbroadcastable": lambda T: T.ones(4, 1).add_(T.ones(2, 2)),
    "fmod_of_bools_that_do_not_broadcast": lambda T: T.fmod(T.zeros(0, dtype=T.bool), T.ones(2, 2, dtype=T.bool)),
    "remainder_of_bools": lambda T: T.remainder(T.zeros(2, dtype=T.bool), T.ones(2, 2, dtype=T.bool)),
    "rsub_of_bools_that_do_not_broadcast": lambda T: T.rsub(T.ones(2, 3, dtype=T.bool), T.ones(3, 2, dtype=T.bool)),
    "rsub_that_does_not_broadcast": lambda T: T.rsub(T.ones(2, 3), T.ones(3, 2)),
    "clamp_bools_by_a_bool_tensor": lambda T: (T.clamp(T.tensor([True, False]), T.tensor([False, True])),
                                               T.clamp(T.tensor([1, 5]), max=T.tensor([2, 2]))),
    "softmax_of_a_transpose_is_contiguous": lambda T: [(y.stride(), y.view(-1)) for y in (
        T.arange(6.0).reshape(2, 3).t().softmax(-1), T.arange(6.0).reshape(2, 3).t().log_softmax(0))],
    "roll_of_a_number": lambda T: T.roll(T.tensor(2.0), 1),
    "trace_of_a_bool_number": lambda T: T.trace(T.tensor(True)),
    "trace_of_a_vector": lambda T: T.trace(T.ones(2)),
    # roll answers a C-contiguous tensor whatever its input's layout (so that view(-1) works on it)
    "roll_of_a_transpose": lambda T: [(r.stride(), r.view(-1)) for r in (T.arange(6.0).reshape(2, 3).t().roll(1, 0),
                                                                         T.arange(6.0).reshape(2, 3).t().roll(2))],
    # a view made under no_grad of a tensor that requires grad requires grad: matmul folds it as such
    "matmul_folds_a_no_grad_view": lambda T: _no_grad_view_product(T),
}


def _no_grad_view_product(T):
    x = T.ones(2, 3, requires_grad=True)
    with T.no_grad():
        b = x[None]
    return b.movedim(0, -1) @ b


@pytest.mark.parametrize("name", PROGRAMS)
def test_as_pytorch(name, torch_ref):
    import graphgrad

    program = PROGRAMS[name]
    difference = same_outcome(outcome(program, graphgrad), outcome(program, torch_ref))
    assert difference is None, difference


def _overlapping_add(T):
    x = T.ones(2, 2)
    return x.reshape(-1, 1).add_(x)


def test_cumprod_gradient_past_a_zero_leaves_out_infinite_terms(torch_ref):
    # PyTorch's first derivative masks the terms past a row's zero instead of multiplying them by it: an infinite
    # gradient there (1 / cumprod at the zero) leaves the others finite
    import numpy as np

    import graphgrad

    rng = np.random.default_rng(0)
    for _ in range(100):
        shape = (3, int(rng.integers(1, 6)))
        a = rng.standard_normal(shape)
        a[rng.random(shape) < 0.35] = 0
        g = rng.standard_normal(shape)
        g[rng.random(shape) < 0.1] = np.inf
        grads = []
        for T in (graphgrad, torch_ref):
            x = T.tensor(a, requires_grad=True)
            T.cumprod(x, 1).backward(T.tensor(g))
            grads.append(x.grad.numpy())
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, equal_nan=True)


def test_second_derivative_through_an_op_on_a_no_grad_view(torch_ref):
    # a view made under no_grad of a tensor that requires grad requires grad but leads nowhere: the division the
    # first derivative records with it saves nothing, and the second backward passes it by (it raised inside)
    import graphgrad

    results = []
    for T in (graphgrad, torch_ref):
        x = T.tensor(0.6125, requires_grad=True)
        y = T.digamma(x)
        with T.no_grad():
            v = T.t(y)
        loss = T.div(T.nn.functional.huber_loss(v, x), v)
        (g,) = T.autograd.grad(loss, x, create_graph=True)
        (g * g).backward()
        results.append((g.item(), x.grad.item()))
    assert results[0] == pytest.approx(results[1], rel=1e-5)


def test_pow_exponent_gradient_keeps_a_nan_gradient_at_a_zero_base(torch_ref):
    # PyTorch multiplies the incoming gradient by its masked derivative (0 at a zero base): a NaN gradient stays
    import graphgrad

    grads = []
    for T in (graphgrad, torch_ref):
        e = T.tensor([0.5, 2.0, -1.0], requires_grad=True)
        (T.zeros(3) ** e).backward(T.tensor([float("nan"), 1.0, 1.0]))
        grads.append(e.grad.tolist())
    assert str(grads[0]) == str(grads[1])
