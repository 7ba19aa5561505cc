"""The faster NumPy kernels of the training hot path against PyTorch, on inputs the small parity cases don't
reach: wide ranges (GELU's tails), float16, large and odd sizes.

Values and gradients at float32 tolerances (rtol 1e-4, atol 1e-5), float16 at its own precision.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphgrad
from graphgrad.ops import _norm_loops, _transformer_loops
from tests._parity import to_np


def _both(torch, fn, arrays, grad_seed=1):
    """fn run on both libraries with the same inputs (all requiring grad) and the same upstream gradient:
    (graphgrad's output, its input gradients), (PyTorch's output, its input gradients)."""
    results = []
    for lib in (graphgrad, torch):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(lib, *xs)
        g = np.random.default_rng(grad_seed).standard_normal(out.shape).astype(arrays[0].dtype)
        out.backward(lib.tensor(g))
        results.append((to_np(out.detach()), [to_np(x.grad) for x in xs]))
    return results


def _assert_same(gg, th, rtol=1e-4, atol=1e-5):
    np.testing.assert_allclose(gg[0], th[0], rtol=rtol, atol=atol, err_msg="value", equal_nan=True)
    for i, (a, b) in enumerate(zip(gg[1], th[1])):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"grad of input {i}", equal_nan=True)


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def transformer_loops(request, monkeypatch):
    """The compiled loops of ``_transformer_loops`` (GELU's float32 loop, the embedding's gradient) on, then off
    (their NumPy forms)."""
    monkeypatch.setattr(_transformer_loops.LOOPS, "enabled", request.param)


@pytest.mark.usefixtures("transformer_loops")
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_over_its_whole_range(torch_ref, approximate):
    x = np.linspace(-12, 12, 4801, dtype=np.float32)
    gg, th = _both(torch_ref, lambda lib, t: lib.nn.functional.gelu(t, approximate=approximate), [x])
    _assert_same(gg, th)


@pytest.mark.usefixtures("transformer_loops")
def test_gelu_float32_tail_is_relatively_accurate():
    # the float32 kernel is a fit of erfc: in the tail (x << 0, where GELU is tiny) it is checked against the
    # exact x·erfc(-x/√2)/2 relatively (PyTorch's own float32 kernel is only absolutely accurate there)
    x = np.linspace(-13, 13, 5201, dtype=np.float32)
    exact = np.array([v * math.erfc(-v / math.sqrt(2)) / 2 for v in x.astype(np.float64)])
    got = graphgrad.nn.functional.gelu(graphgrad.tensor(x)).numpy()
    np.testing.assert_allclose(got, exact, rtol=2e-5, atol=1e-37)


def test_gelu_float16(torch_ref):
    x = np.linspace(-6, 6, 1201).astype(np.float16)
    gg, th = _both(torch_ref, lambda lib, t: lib.nn.functional.gelu(t), [x])
    assert gg[0].dtype == np.float16 and gg[1][0].dtype == np.float16
    _assert_same(gg, th, rtol=2e-3, atol=2e-3)


@pytest.mark.usefixtures("transformer_loops")
def test_gelu_special_values(torch_ref):
    # (not ±inf: PyTorch's float32 kernel gives nan there, its float64 one and graphgrad the limits, inf and nan)
    x = np.array([np.nan, 0.0, -0.0, 40.0, -40.0, 1e30, -1e30] * 3, np.float32)  # long enough to vectorise
    gg, th = _both(torch_ref, lambda lib, t: lib.nn.functional.gelu(t), [x])
    _assert_same(gg, th)
    number = ~np.isnan(th[0])
    assert np.array_equal(np.signbit(gg[0][number]), np.signbit(th[0][number]))  # gelu(-0.0) is -0.0


@pytest.mark.usefixtures("transformer_loops")
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True, "padding_idx": 0}])
def test_embedding_gradient_with_many_repeats(torch_ref, kw):
    # the weight gradient sums each row's lookups (in one loop, or sorted, then np.add.reduceat): rows hit many
    # times, once, never
    idx = np.random.default_rng(0).integers(0, 40, (16, 64))
    idx[0, :5] = 49  # the last row, and some rows (40..48) never looked up
    w = np.random.default_rng(1).standard_normal((50, 24)).astype(np.float32)
    results = []
    for lib in (graphgrad, torch_ref):
        weight = lib.tensor(w, requires_grad=True)
        out = lib.nn.functional.embedding(lib.tensor(idx), weight, **kw)
        (out * lib.tensor(np.arange(out.numel(), dtype=np.float32).reshape(out.shape) / 1000)).sum().backward()
        results.append((to_np(out.detach()), to_np(weight.grad)))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-5)


def test_embedding_gradient_loop_adds_in_lookup_order():
    # each row's lookups added one after the other, as np.add.at (and PyTorch's index_add_) add them: the same bits
    rng = np.random.default_rng(2)
    idx, g = rng.integers(0, 7, (8, 33)), rng.standard_normal((8, 33, 5))  # float64: any reordering would show
    weight = graphgrad.zeros(7, 5, dtype=graphgrad.float64, requires_grad=True)
    graphgrad.nn.functional.embedding(graphgrad.tensor(idx), weight).backward(graphgrad.tensor(g))
    in_order = np.zeros((7, 5))
    np.add.at(in_order, idx.reshape(-1), g.reshape(-1, 5))
    if _transformer_loops.embedding_grad(g.reshape(-1, 5), idx.reshape(-1), 7) is None:
        pytest.skip("no compiled loops here (the fast extra)")
    np.testing.assert_array_equal(weight.grad.numpy(), in_order)


@pytest.mark.usefixtures("transformer_loops")
def test_embedding_of_no_indices(torch_ref):
    for lib in (graphgrad, torch_ref):
        weight = lib.ones(5, 3, requires_grad=True)
        lib.nn.functional.embedding(lib.tensor(np.zeros((0, 2), np.int64)), weight).sum().backward()
        assert to_np(weight.grad).tolist() == [[0.0] * 3] * 5


def test_relu_gradient_with_nans(torch_ref):
    # the mask product keeps PyTorch's threshold_backward: a NaN result passes its gradient, a NaN gradient
    # stops where the result is <= 0
    x = np.array([1.0, -1.0, np.nan, 0.0, 2.0, -3.0] * 4, np.float32)
    g = np.array([1.0, np.nan, 2.0, np.nan, np.nan, 3.0] * 4, np.float32)
    results = []
    for lib in (graphgrad, torch_ref):
        t = lib.tensor(x, requires_grad=True)
        lib.relu(t).backward(lib.tensor(g))
        results.append(to_np(t.grad))
    np.testing.assert_array_equal(results[0], results[1])
    gg, th = _both(torch_ref, lambda lib, t: lib.relu(t), [np.random.default_rng(0).standard_normal((64, 33))
                                                         .astype(np.float32)])
    _assert_same(gg, th)


@pytest.mark.usefixtures("transformer_loops")
def test_gelu_keeps_a_transposed_layout(torch_ref):
    # large enough to run block by block; the result of a transposed input is transposed too, as in PyTorch
    x = np.random.default_rng(0).standard_normal((300, 257)).astype(np.float32)
    gg, th = _both(torch_ref, lambda lib, t: lib.nn.functional.gelu(t.t()), [x])
    _assert_same(gg, th)
    y = graphgrad.nn.functional.gelu(graphgrad.tensor(x).t())
    assert y.is_contiguous() == torch_ref.nn.functional.gelu(torch_ref.tensor(x).t()).is_contiguous() is False
    assert y.stride() == (1, 257)


@pytest.mark.usefixtures("transformer_loops")
@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 0, 2)])
def test_gelu_of_scalars_and_empty_tensors(torch_ref, shape):
    x = np.full(shape, -0.7, np.float32)
    gg, th = _both(torch_ref, lambda lib, t: lib.nn.functional.gelu(t), [x])
    assert gg[0].shape == th[0].shape and gg[1][0].shape == th[1][0].shape
    _assert_same(gg, th)


def _attention_like_rows():
    """Rows of 64 that take softmax's unshifted path (ordinary logits, a causal mask of -inf) and rows that
    need the shift by the row maximum: large, very negative, NaN, +inf, all -inf."""
    rng = np.random.default_rng(3)
    ordinary = rng.standard_normal((2, 64, 64)).astype(np.float32)
    ordinary[0][np.triu(np.ones((64, 64), bool), 1)] = -np.inf
    special = rng.standard_normal((8, 64)).astype(np.float32)
    special[0] += 200.0
    special[1] -= 1000.0
    special[2, 5] = np.nan
    special[3, 7] = np.inf
    special[4] = -np.inf
    special[5, :] = -np.inf
    special[5, 3] = -15.0  # one element: its row's sum of exp is below the unshifted path's bound
    special[6] *= 40.0
    return ordinary, special


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("rows", ["ordinary", "special", "mixed"])
def test_softmax_with_and_without_the_shift(torch_ref, name, rows):
    ordinary, special = _attention_like_rows()
    x = {"ordinary": ordinary, "special": special,
         "mixed": np.concatenate([ordinary.reshape(-1, 64), special[[0, 5]]])}[rows]
    gg, th = _both(torch_ref, lambda lib, t: getattr(lib.nn.functional, name)(t, dim=-1), [x])
    _assert_same(gg, th)
    columns = x.reshape(-1, 64)[:16].T.copy()  # along the first dimension (not the last)
    gg, th = _both(torch_ref, lambda lib, t: getattr(lib.nn.functional, name)(t, dim=0), [columns])
    _assert_same(gg, th)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(), (1,), (3, 1)])
def test_softmax_of_scalars_and_single_elements(torch_ref, name, shape):
    # a 0-d input is its own dimension; its array derivative must stay an array (the fuzzer found a TypeError)
    x = np.full(shape, 0.75, np.float32)
    gg, th = _both(torch_ref, lambda lib, t: getattr(lib, name)(t * 2, dim=-1 if shape else 0), [x])
    _assert_same(gg, th)


def test_log_softmax_of_a_single_element_is_exactly_zero(torch_ref):
    # (x - max) - log(1): exactly 0 in PyTorch; chains dividing by it (the fuzzer's) would amplify any rounding
    x = np.random.default_rng(7).standard_normal((3, 1, 5)).astype(np.float32) * 3
    for lib in (graphgrad, torch_ref):
        assert (lib.tensor(x).log_softmax(1) == 0).all()


def test_masked_fill_on_broadcast_masks(torch_ref):
    # a causal mask broadcast over batch and heads (the copy-and-write path), and a mask broadcasting the input up
    x = np.random.default_rng(4).standard_normal((3, 2, 8, 8)).astype(np.float32)
    causal = np.triu(np.ones((1, 1, 8, 8), bool), 1)
    for mask, shape in ((causal, x.shape), (np.ones((5, 1, 1, 1, 1), bool) & causal, (8, 8))):
        xs = x[0, 0] if shape == (8, 8) else x
        gg, th = _both(torch_ref, lambda lib, t, m=mask: t.masked_fill(lib.tensor(m), float("-inf")).exp(), [xs])
        _assert_same(gg, th)
    xt = np.random.default_rng(5).standard_normal((8, 6)).astype(np.float32)
    mask = np.random.default_rng(6).random((6, 8)) > 0.5
    gg, th = _both(torch_ref, lambda lib, t: t.t().masked_fill(lib.tensor(mask), 2.5), [xt])  # a transposed input
    _assert_same(gg, th)
    assert (graphgrad.tensor(xt).t().masked_fill(graphgrad.tensor(mask), 2.5).stride()
            == torch_ref.tensor(xt).t().masked_fill(torch_ref.tensor(mask), 2.5).stride())


def test_masked_fill_with_zero_keeps_every_other_bit(torch_ref):
    # a fill of all-zero bits (masked_fill's derivative, masked_fill(m, 0.0)) ANDs the bits: NaN payloads and -0
    # stay where the mask is clear, float and integer tensors alike, a transposed input gives a row-major result
    x = np.random.default_rng(7).standard_normal((4, 6, 6)).astype(np.float32)
    x[0, 0, :3] = [np.nan, -0.0, np.inf]
    causal = np.triu(np.ones((6, 6), bool), 1)
    for xs in (x, x.transpose(0, 2, 1), (np.nan_to_num(x, posinf=0) * 100).astype(np.int16), x > 0):
        value = False if xs.dtype == bool else 0
        out = graphgrad.tensor(xs).masked_fill(graphgrad.tensor(causal), value)
        ref = torch_ref.tensor(xs).masked_fill(torch_ref.tensor(causal), value)
        assert out.dtype == graphgrad.tensor(xs).dtype and out.stride() == ref.stride()
        np.testing.assert_array_equal(out.numpy().view(np.uint8), ref.numpy().view(np.uint8))
    gg, th = _both(torch_ref, lambda lib, t: (t * 1).masked_fill(lib.tensor(causal), 0.0).exp(), [x[1:]])
    _assert_same(gg, th)


@pytest.fixture
def loop_threads_at(monkeypatch):
    """``set(n)``: the compiled loops split over n threads at every size; the count is restored afterwards."""
    from graphgrad._core import jit

    before = graphgrad.get_num_threads()
    monkeypatch.setattr(jit, "MIN_SPLIT", 1)
    monkeypatch.setattr(jit, "MIN_SPLIT_OPENMP", 1)
    yield graphgrad.set_num_threads
    graphgrad.set_num_threads(before)


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def norm_loops(request, monkeypatch):
    """Layer norm's compiled loops on, then off (its NumPy forms)."""
    monkeypatch.setattr(_norm_loops.LOOPS, "enabled", request.param)


@pytest.mark.usefixtures("norm_loops")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 7, 128), (33, 3), (70, 37), (2, 3, 17, 40)], ids=str)
def test_layer_norm_at_odd_sizes(torch_ref, dtype, shape):
    # rows not a multiple of the loop's blocks, rows shorter than a vector (one column: PyTorch's weight gradient is
    # rounding noise there, where x - mean is exactly 0 here)
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    w, b = (rng.standard_normal(shape[-1:]).astype(dtype) for _ in range(2))
    gg, th = _both(torch_ref, lambda lib, *t: lib.nn.functional.layer_norm(t[0], shape[-1:], t[1], t[2]), [x, w, b])
    _assert_same(gg, th, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_layer_norm_loops_do_not_depend_on_the_thread_count(loop_threads_at, threads):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((300, 96)).astype(np.float32)
    w, b, g = rng.standard_normal(96).astype(np.float32), rng.standard_normal(96).astype(np.float32), \
        rng.standard_normal((300, 96)).astype(np.float32)
    loop_threads_at(threads)
    got = _norm_loops.layer_norm(x, w, b, 1e-5)
    if got is None:
        pytest.skip("the compiled loops are not available (no numba, or switched off)")
    back = _norm_loops.layer_norm_bw(g, got[1], w, got[3])
    loop_threads_at(1)
    ref = _norm_loops.layer_norm(x, w, b, 1e-5)
    ref_back = _norm_loops.layer_norm_bw(g, ref[1], w, ref[3])
    for a, r in zip(got + back, ref + ref_back):
        np.testing.assert_array_equal(a, r)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 5, 64), (7, 1), (40, 33)], ids=str)
def test_softmax_gradient_rows(torch_ref, monkeypatch, compiled, dtype, shape):
    monkeypatch.setattr(_transformer_loops.LOOPS, "enabled", compiled)
    x = (np.random.default_rng(5).standard_normal(shape) * 4).astype(dtype)
    gg, th = _both(torch_ref, lambda lib, t: lib.softmax(t, -1), [x])
    _assert_same(gg, th, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_softmax_gradient_loop_does_not_depend_on_the_thread_count(loop_threads_at, threads):
    rng = np.random.default_rng(6)
    out = rng.random((500, 64)).astype(np.float32)
    g = rng.standard_normal((500, 64)).astype(np.float32)
    loop_threads_at(threads)
    got = _transformer_loops.softmax_bw_last_dim(g, out)
    if got is None:
        pytest.skip("the compiled loops are not available (no numba, or switched off)")
    loop_threads_at(1)
    np.testing.assert_array_equal(got, _transformer_loops.softmax_bw_last_dim(g, out))
