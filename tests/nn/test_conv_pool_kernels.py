"""The fast paths of the convolution and pooling kernels, against PyTorch and finite differences.

- A convolution whose weight requires grad keeps its im2col matrix for the weight gradient; one whose
  weight is frozen (or that runs under no_grad) builds it again. Both give PyTorch's numbers, also when
  the graph is retained and differentiated twice, and under double backward.
- Max pooling takes its window maxima row first, then over rows: PyTorch's values, argmax and the
  sign of a zero maximum (the row-major first of equal values). Windows that tile the padded input keep
  their winners in the input's layout (the kernel shapes 2x2, 3x2, 2x1 and 1x3 in POOLS); an input
  holding a NaN or a -0 takes the per-tap path and ends in the same form.
"""

import importlib.util

import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F
from graphgrad._core import jit
from graphgrad.autograd import gradcheck, gradgradcheck
from graphgrad.ops import _conv_loops, _pool_loops, _select, conv, pooling

RTOL, ATOL = 1e-4, 1e-5

# (input shape, weight shape, conv2d keyword arguments): odd sizes, the flat stride-1 layout and the
# strided one, padding, dilation, groups
CONV2D = [
    ((2, 4, 7, 5), (6, 2, 3, 2), dict(padding=(1, 2), dilation=(2, 1), groups=2)),
    ((3, 3, 9, 8), (4, 3, 3, 3), dict(padding=1)),
    ((2, 4, 7, 6), (4, 4, 3, 2), dict(stride=(2, 1), padding=1, dilation=(1, 2))),
    ((1, 6, 5, 7), (6, 2, 2, 3), dict(stride=2, groups=3)),
    ((2, 3, 5, 5), (5, 3, 5, 5), dict()),
]


def _rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def conv_loops(request, monkeypatch):
    """The convolution's compiled im2col/col2im loops on (where numba is installed) and off."""
    monkeypatch.setattr(_conv_loops.LOOPS, "enabled", request.param)


def _conv_run(lib, x0, w0, b0, kw, weight_grad=True, backwards=1):
    x = lib.tensor(x0, requires_grad=True)
    w = lib.tensor(w0, requires_grad=weight_grad)
    b = lib.tensor(b0, requires_grad=True)
    y = lib.nn.functional.conv2d(x, w, b, **kw)
    for i in range(backwards):
        (y * y).sum().backward(retain_graph=i + 1 < backwards)
    return [y.detach().numpy(), x.grad.numpy(), b.grad.numpy()] + ([w.grad.numpy()] if weight_grad else [])


@pytest.mark.usefixtures("conv_loops")
@pytest.mark.parametrize("x_shape,w_shape,kw", CONV2D)
@pytest.mark.parametrize("weight_grad,backwards", [(True, 1), (True, 2), (False, 1)])
def test_conv2d_weight_gradient_paths_match_torch(x_shape, w_shape, kw, weight_grad, backwards, torch_ref):
    x0, w0, b0 = _rand(x_shape, 0), _rand(w_shape, 1), _rand(w_shape[:1], 2)
    ours = _conv_run(graphgrad, x0, w0, b0, kw, weight_grad, backwards)
    ref = _conv_run(torch_ref, x0, w0, b0, kw, weight_grad, backwards)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def test_conv_under_no_grad_keeps_nothing():
    x, w = graphgrad.randn(2, 3, 6, 6), graphgrad.randn(4, 3, 3, 3, requires_grad=True)
    with graphgrad.no_grad():
        y = F.conv2d(x, w, padding=1)
    assert y.grad_fn is None and y.shape == (2, 4, 6, 6)


@pytest.mark.usefixtures("conv_loops")
@pytest.mark.parametrize("x_shape,w_shape,kw", CONV2D[:4])
def test_conv2d_gradcheck_and_gradgradcheck(x_shape, w_shape, kw):
    x = graphgrad.tensor(_rand(x_shape, 3).astype(np.float64)[:1, :, :6, :6], requires_grad=True)
    w = graphgrad.tensor(_rand(w_shape, 4).astype(np.float64), requires_grad=True)
    b = graphgrad.tensor(_rand(w_shape[:1], 5).astype(np.float64), requires_grad=True)

    def fn(x, w, b):
        return F.conv2d(x, w, b, **kw)

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv1d_dilated_groups_gradgradcheck():
    x = graphgrad.tensor(_rand((2, 4, 9), 6).astype(np.float64), requires_grad=True)
    w = graphgrad.tensor(_rand((6, 2, 3), 7).astype(np.float64), requires_grad=True)
    assert gradgradcheck(lambda x, w: F.conv1d(x, w, padding=2, dilation=2, groups=2), (x, w))


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def pool_loops(request, monkeypatch):
    """Max pooling's compiled 2x2 loops on (where numba is installed) and off: both forms must pass."""
    monkeypatch.setattr(_pool_loops.LOOPS, "enabled", request.param)


# (kernel, stride, padding, dilation, ceil_mode): tiling 2x2, overlapping, padded, dilated, ceil_mode; windows
# that tile the padded input with other shapes (3x2 with a ceil_mode column, 2x1, 1x3 padded)
POOLS = [(2, None, 0, 1, False), (2, 2, 0, 1, True), (3, 1, 1, 1, False), ((2, 3), (1, 2), (1, 1), (2, 1), False),
         (3, 2, 1, 2, True), ((3, 2), None, 0, 1, True), ((2, 1), None, (1, 0), 1, False),
         ((1, 3), None, (0, 1), 1, True)]


def _signed_zero_input(shape, seed):
    """Distinct negatives with +0 and -0 sprinkled in: windows whose maximum is a zero of either sign."""
    rng = np.random.default_rng(seed)
    x = -(rng.permutation(int(np.prod(shape))).reshape(shape) + 1).astype(np.float32)
    zeros = rng.random(shape) < 0.3
    x[zeros] = np.where(rng.random(shape) < 0.5, 0.0, -0.0)[zeros]
    return x


def _relu_ties_input(shape, seed):
    """Pooling after a ReLU: many windows of equal values (+0, and small integers), no -0 and no NaN."""
    return np.maximum(np.floor(np.random.default_rng(seed).standard_normal(shape) * 2), 0).astype(np.float32)


@pytest.mark.usefixtures("pool_loops")
@pytest.mark.parametrize("make_input", [_signed_zero_input, _relu_ties_input])
@pytest.mark.parametrize("k,s,p,d,cm", POOLS)
def test_max_pool2d_values_signed_zeros_indices_grads_match_torch(k, s, p, d, cm, make_input, torch_ref):
    x0 = make_input((2, 3, 9, 7), 0)
    res = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        y, idx = lib.nn.functional.max_pool2d(x, k, s, p, d, ceil_mode=cm, return_indices=True)
        (y * lib.arange(y.numel(), dtype=lib.float32).reshape(y.shape)).sum().backward()
        res.append((y.detach().numpy(), np.signbit(y.detach().numpy()), idx.numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


@pytest.mark.usefixtures("pool_loops")
@pytest.mark.parametrize("k,s,p,d,cm", POOLS)
def test_max_pool2d_gradcheck_and_gradgradcheck(k, s, p, d, cm):
    n = 2 * 3 * 7 * 6
    x0 = np.random.default_rng(1).permutation(n).reshape(2, 3, 7, 6) / n  # distinct: argmax is stable
    x = graphgrad.tensor(x0, requires_grad=True)

    def fn(x):
        return F.max_pool2d(x, k, s, p, d, ceil_mode=cm)

    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.usefixtures("pool_loops")
@pytest.mark.parametrize("k,s,p,d,cm", POOLS + [(1, 2, 0, 1, False)])
def test_max_pool2d_nan_inputs_and_nan_gradients_match_torch(k, s, p, d, cm, torch_ref):
    """NaN windows pick PyTorch's NaN; a NaN gradient reaches only the chosen elements (no 0 * NaN).

    8 x 6 is tiled exactly by 2 x 2 windows (the one-select scatter); the other pools take the per-tap path.
    """
    x0 = _signed_zero_input((2, 3, 8, 6), 2)
    x0[0, 0, :3, :3] = np.nan
    x0[1, 2, 4, 1::3] = np.nan
    res = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        y, idx = lib.nn.functional.max_pool2d(x, k, s, p, d, ceil_mode=cm, return_indices=True)
        g = np.arange(y.numel(), dtype=np.float32).reshape(y.shape)
        g.flat[::5] = np.nan
        y.backward(lib.tensor(g))
        res.append((y.detach().numpy(), idx.numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_relu_backward_nan_and_signed_zeros_match_torch(compiled, torch_ref, monkeypatch):
    monkeypatch.setattr(_select.LOOPS, "enabled", compiled)
    x0 = np.array([-1.0, -0.0, 0.0, 2.0, np.nan, -3.0, 4.0], np.float32)
    g0 = np.array([1.0, 2.0, 3.0, np.nan, 5.0, np.nan, -0.0], np.float32)
    grads = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        x.relu().backward(lib.tensor(g0))
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(np.signbit(grads[0]), np.signbit(grads[1]))


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("size", [7, 1 << 17])
def test_relu_forward_keeps_negative_zero_and_nan_as_torch(compiled, size, torch_ref, monkeypatch):
    """PyTorch's ReLU is ``x < 0 ? 0 : x``: -0.0 stays -0.0 and NaN stays NaN (np.maximum gives +0 for -0)."""
    monkeypatch.setattr(_select.LOOPS, "enabled", compiled)
    x0 = np.resize(np.array([-1.0, -0.0, 0.0, 2.0, np.nan, -np.inf, np.inf], np.float32), size)
    got, expected = graphgrad.relu(graphgrad.tensor(x0)).numpy(), torch_ref.relu(torch_ref.tensor(x0)).numpy()
    np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32))
    inplace = graphgrad.tensor(x0)
    inplace.relu_()
    np.testing.assert_array_equal(inplace.numpy().view(np.uint32), expected.view(np.uint32))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_zero_where_negative_compiled_and_numpy_bit_for_bit(dtype, monkeypatch, loop_threads):
    """The ReLU's compiled loop (float32/64, on one thread or split) and its NumPy form agree bit for bit with
    ``np.where(x < 0, 0, x)``; strided and 0-d arrays take the NumPy form, integers np.maximum."""
    rng = np.random.default_rng(2)
    values = rng.standard_normal((64, 1024)).astype(dtype)
    values[0, :6] = [np.nan, -np.nan, -0.0, 0.0, np.inf, -np.inf]
    bits = f"u{np.dtype(dtype).itemsize}"
    _select.zero_where_negative(values)  # compiles the loop: a split runs from its second call
    for v in (values, values[:, ::2], values[0, 0], values[:3, :5]):
        expected = np.where(v < 0, dtype(0), v).astype(dtype)
        for compiled in (True, False):
            monkeypatch.setattr(_select.LOOPS, "enabled", compiled)
            got = _select.zero_where_negative(v)
            np.testing.assert_array_equal(np.asarray(got).view(bits), np.asarray(expected).view(bits))
    ints = np.array([-2, 0, 3], np.int64)
    np.testing.assert_array_equal(_select.zero_where_negative(ints), [0, 0, 3])
    if dtype != np.float16 and importlib.util.find_spec("numba") and jit.ENABLED:  # the loop ran
        monkeypatch.setattr(_select.LOOPS, "enabled", True)
        assert _select.LOOPS("zero_where_negative", 0, values.size, values.reshape(-1), np.empty(values.size, dtype))
        assert bool(loop_threads.splits) == loop_threads.on


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_zero_where_not_positive_compiled_and_numpy_bit_for_bit(dtype, monkeypatch, loop_threads):
    """The ReLU gradient's compiled loop (float32/64; on one thread or split) and its NumPy form give
    np.where's bits: NaN in either operand, signed zeros, infinities; strided, broadcast and 0-d operands take
    the NumPy form."""
    rng = np.random.default_rng(1)
    ref = np.maximum(rng.standard_normal((4, 7)), 0).astype(dtype)
    ref[0, :4] = [np.nan, -0.0, np.inf, -np.inf]
    values = rng.standard_normal((4, 7)).astype(dtype)
    values[1, :4] = [np.nan, -0.0, np.inf, 0.0]
    bits = f"u{np.dtype(dtype).itemsize}"
    _select.zero_where_not_positive(ref, values)  # compiles the loop: a split runs from its second call
    for r, v in ((ref, values), (ref[:, ::2], values[:, ::2]), (ref[0], values), (ref[0, 0], values[0, 0])):
        expected = np.where(r <= 0, 0, v).astype(dtype)
        for compiled in (True, False):
            monkeypatch.setattr(_select.LOOPS, "enabled", compiled)
            got = _select.zero_where_not_positive(r, v)
            np.testing.assert_array_equal(got.view(bits), expected.view(bits))
    if dtype != np.float16 and importlib.util.find_spec("numba") and jit.ENABLED:  # the loop ran
        monkeypatch.setattr(_select.LOOPS, "enabled", True)
        assert _select.LOOPS("zero_where_not_positive", 0, ref.size, ref.reshape(-1), values.reshape(-1),
                             np.empty(ref.size, dtype))
        assert bool(loop_threads.splits) == loop_threads.on


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_zero_where_is_np_where_bit_for_bit(dtype):
    from graphgrad.ops._select import zero_where

    rng = np.random.default_rng(0)
    values = rng.standard_normal((5, 6)).astype(dtype)
    values[0, :3] = [np.nan, -0.0, np.inf]
    drop = rng.random((5, 6)) < 0.5
    # contiguous; strided; a broadcast mask; 0-d (a comparison of 0-d arrays gives a NumPy scalar)
    for v, d in ((values, drop), (values[:, ::2], drop[:, ::2]), (values, drop[0]), (values[0, 0], drop[0, 0])):
        expected = np.where(d, 0, v).astype(dtype)
        np.testing.assert_array_equal(zero_where(d, v).view(f"u{v.itemsize}"), expected.view(f"u{v.itemsize}"))


@pytest.mark.usefixtures("pool_loops")
def test_max_pool2d_nan_window_beside_a_tie_matches_torch(torch_ref):
    """One window of NaN (no winner by equality) and one tie (two): as many winners as windows in all."""
    x0 = np.array([[[[np.nan, 1.0, 5.0, 5.0], [2.0, 3.0, 1.0, 1.0]]]], np.float32)
    res = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        y, idx = lib.nn.functional.max_pool2d(x, 2, return_indices=True)
        y.backward(lib.tensor([[[[1.0, 2.0]]]]))
        res.append((y.detach().numpy(), idx.numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)



@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("times", [2, 3])
def test_repeat_each_is_np_repeat_bit_for_bit(dtype, times):
    from graphgrad.ops.pooling import _repeat_each

    a = np.array([1.5, -0.0, np.nan, -np.inf, 3e-5], dtype)
    np.testing.assert_array_equal(_repeat_each(a, times).view(f"u{a.itemsize}"),
                                  np.repeat(a, times).view(f"u{a.itemsize}"))


@pytest.mark.usefixtures("pool_loops")
def test_max_pool2d_unbatched_tiled_indices_and_grads_match_torch(torch_ref):
    """An unbatched input runs as a batch of one: its winners (in the input's layout) keep that axis."""
    x0 = _relu_ties_input((3, 6, 4), 4)
    res = []
    for lib in (graphgrad, torch_ref):
        x = lib.tensor(x0, requires_grad=True)
        y, idx = lib.nn.functional.max_pool2d(x, 2, return_indices=True)
        (y * lib.arange(y.numel(), dtype=lib.float32).reshape(y.shape)).sum().backward()
        res.append((y.detach().numpy(), idx.numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_2x2_pooling_loops_give_the_numpy_forms_bit_for_bit(dtype, loop_threads):
    """NaN, +0/-0 ties, equal values, -inf: the compiled loops' maxima, winners and scattered gradients (on
    one thread or split) are NumPy's (NumPy takes its per-tap path for the NaN and -0 windows)."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(5)
    x = np.floor(rng.standard_normal((3, 4, 6, 8)) * 2).astype(dtype)
    x[rng.random(x.shape) < 0.1] = -0.0
    x[rng.random(x.shape) < 0.05] = np.nan
    x[0, 0, :2, :2] = -np.inf
    g = rng.standard_normal((3, 4, 3, 4)).astype(dtype)
    g[0, 1, 0, 0] = np.nan
    kw = dict(k_hw=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False)
    results = []
    for enabled in (True, True, False):  # (the first compiles the loops: a split runs from their second call)
        _pool_loops.LOOPS.enabled = enabled
        try:
            out, winners = pooling.max_pool_np(x, **kw)
            results.append((out, winners, pooling.pool_scatter_np(g, in_hw=(6, 8), masks=winners, **kw)))
        finally:
            _pool_loops.LOOPS.enabled = True
    bits = f"u{np.dtype(dtype).itemsize}"
    for a, b in zip(*results[1:]):
        np.testing.assert_array_equal(a.view(bits) if a.dtype != bool else a, b.view(bits) if b.dtype != bool else b)
    # the loops ran (numba is installed, GRAPHGRAD_COMPILED_LOOPS not 0), split when asked
    assert not jit.ENABLED or _pool_loops.tiled_max(x, (2, 2), (3, 4)) is not None
    assert not jit.ENABLED or bool(loop_threads.splits) == loop_threads.on


# (input, weight, stride, padding ((top, bottom), (left, right)), dilation, groups) for the raw kernels:
# CONV2D's cases plus uneven padding wider than the kernel reach and a stride-3 dilated one
CONV_KERNELS = [((2, 4, 7, 5), (6, 2, 3, 2), (1, 1), ((1, 1), (2, 2)), (2, 1), 2),
                ((3, 3, 9, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
                ((2, 4, 7, 6), (4, 4, 3, 2), (2, 1), ((1, 1), (1, 1)), (1, 2), 1),
                ((1, 6, 5, 7), (6, 2, 2, 3), (2, 2), ((0, 0), (0, 0)), (1, 1), 3),
                ((2, 1, 12, 12), (5, 1, 5, 5), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
                ((2, 3, 6, 9), (4, 3, 2, 3), (3, 2), ((2, 1), (3, 0)), (2, 3), 1),
                ((2, 2, 4, 4), (3, 2, 3, 3), (1, 1), ((5, 4), (6, 3)), (1, 1), 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape,w_shape,stride,padding,dilation,groups", CONV_KERNELS)
def test_compiled_conv_loops_give_the_numpy_forms_bit_for_bit(x_shape, w_shape, stride, padding, dilation, groups,
                                                               dtype, loop_threads):
    """im2col (with its padding's zeros), the flat col2im sums and the channel-major layout changes (with and
    without the bias): the compiled loops' arrays (on one thread or split) are NumPy's, signed zeros and NaN
    included."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(6)
    x = rng.standard_normal(x_shape).astype(dtype)
    x[rng.random(x_shape) < 0.1] = -0.0
    x.flat[0] = np.nan
    w = rng.standard_normal(w_shape).astype(dtype)
    b, b_t = rng.standard_normal(w_shape[0]).astype(dtype), rng.standard_normal(x_shape[1]).astype(dtype)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    results = []
    g = None
    for enabled in (True, True, False):  # (the first compiles the loops: a split runs from their second call)
        _conv_loops.LOOPS.enabled = enabled
        try:
            out, cols = conv.conv_forward_np(x, w, None, keep_cols=True, **kw)
            if g is None:
                g = rng.standard_normal(out.shape).astype(dtype)
                g[rng.random(g.shape) < 0.1] = -0.0
            results.append((out, cols, conv.conv_forward_np(x, w, b, **kw)[0],
                            conv.conv_transpose_np(g, w, None, in_hw=x_shape[2:], **kw),
                            conv.conv_transpose_np(g[:, :, ::-1], w, b_t, in_hw=x_shape[2:], **kw),  # strided g
                            conv.conv_weight_np(x, g, k_hw=w_shape[2:], **kw)))
        finally:
            _conv_loops.LOOPS.enabled = True
    bits = f"u{np.dtype(dtype).itemsize}"
    for a, b in zip(*results[1:]):
        np.testing.assert_array_equal(a.view(bits), b.view(bits))
    cols = np.empty((x_shape[1],) + w_shape[2:] + (x_shape[0],) + out.shape[2:], dtype)
    assert not jit.ENABLED or _conv_loops.im2col(x, cols, stride, padding, dilation)  # the loop ran
    assert not jit.ENABLED or _conv_loops.swap_planes(x, np.empty(x.shape[1::-1] + x.shape[2:], dtype))
    assert not jit.ENABLED or bool(loop_threads.splits) == loop_threads.on
