"""GELU's compiled float32 loop (the ``fast`` extra) against its NumPy form and against PyTorch, split over
threads and not; the PyTorch comparisons of tests/nn/test_fast_kernels.py run through both forms too."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
from graphgrad._core import jit
from graphgrad._core.fp_errors import quietly
from graphgrad.ops import _transformer_loops, activation

pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _loops_on(monkeypatch):
    """The loops run here even where GRAPHGRAD_COMPILED_LOOPS=0 switched them off for everything else."""
    monkeypatch.setattr(jit, "ENABLED", True)


def _forms(x):
    """(NumPy form's (value, derivative), compiled loop's) of GELU on x."""
    _transformer_loops.LOOPS.enabled = False
    try:
        numpy_form = quietly(activation._gelu_np)(x)  # (quiet, as an op's forward runs it)
    finally:
        _transformer_loops.LOOPS.enabled = True
    compiled = _transformer_loops.gelu_float32(x)
    assert compiled is not None
    return numpy_form, compiled


def _wide_range(size, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(size).astype(np.float32) * np.float32(4)
    x[: size // 8] = np.linspace(-16, 16, size // 8, dtype=np.float32)  # both tails, where exp(-z²) underflows
    return x


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("size", [1, 7, 1023, 1025, 300_001])
def test_gelu_loop_matches_the_numpy_form(size, threads, monkeypatch):
    monkeypatch.setattr(jit, "MIN_SPLIT", 1000)  # small parts: split even the smaller sizes
    monkeypatch.setattr(jit, "MIN_SPLIT_OPENMP", 1000)
    old = jit.threads()
    jit.set_threads(threads)
    try:
        x = _wide_range(size)
        (y_np, slope_np), (y, slope) = _forms(x)
    finally:
        jit.set_threads(old)
    np.testing.assert_allclose(y, y_np, rtol=2e-6, atol=1e-37)
    np.testing.assert_allclose(slope, slope_np, rtol=2e-6, atol=2e-7)
    assert np.array_equal(np.signbit(y), np.signbit(y_np))


def test_gelu_loop_gives_the_same_numbers_on_any_thread_count(monkeypatch):
    monkeypatch.setattr(jit, "MIN_SPLIT", 1000)
    monkeypatch.setattr(jit, "MIN_SPLIT_OPENMP", 1000)
    x = _wide_range(100_003, seed=1)
    old = jit.threads()
    results = []
    try:
        for threads in (1, 2, 4):
            jit.set_threads(threads)
            results.append(_transformer_loops.gelu_float32(x))
    finally:
        jit.set_threads(old)
    for y, slope in results[1:]:
        assert np.array_equal(y, results[0][0]) and np.array_equal(slope, results[0][1])


def test_gelu_loop_special_values_are_the_numpy_forms():
    x = np.array([np.nan, 0.0, -0.0, 40.0, -40.0, 1e30, -1e30, np.inf, -np.inf, 13.5, -13.5, -14.2], np.float32)
    (y_np, slope_np), (y, slope) = _forms(x)
    np.testing.assert_array_equal(y, y_np)  # (NaNs where NaN, the same signed zeros)
    assert np.array_equal(np.signbit(y), np.signbit(y_np))
    np.testing.assert_allclose(slope, slope_np, rtol=2e-6, atol=1e-37)


@pytest.mark.parametrize("layout", ["c", "transposed", "strided"])
def test_gelu_loop_keeps_the_layout_or_leaves_it_to_numpy(layout):
    base = _wide_range(64 * 96).reshape(64, 96)
    x = {"c": base, "transposed": base.T, "strided": base[:, ::2]}[layout]
    out = _transformer_loops.gelu_float32(x)
    if layout == "strided":
        assert out is None  # not one contiguous block: the NumPy form runs
        return
    (y_np, slope_np), (y, slope) = _forms(x)
    assert y.flags.c_contiguous == x.flags.c_contiguous and slope.strides == x.strides
    np.testing.assert_allclose(y, y_np, rtol=2e-6, atol=1e-37)


def test_gelu_loop_leaves_other_dtypes_to_numpy():
    assert _transformer_loops.gelu_float32(np.ones(4, np.float64)) is None
    assert _transformer_loops.gelu_float32(np.ones(4, np.float16)) is None
    assert _transformer_loops.gelu_float32(np.ones(0, np.float32)) is None


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_gelu_module_values_and_gradients_match_torch_through_both_forms(compiled, torch_ref, monkeypatch):
    monkeypatch.setattr(_transformer_loops.LOOPS, "enabled", compiled)
    x = _wide_range(16 * 64 * 64).reshape(16, 64, 64)
    g = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    results = []
    for lib in (graphgrad, torch_ref):
        t = lib.tensor(x, requires_grad=True)
        y = lib.nn.GELU()(t)
        y.backward(lib.tensor(g))
        results.append((y.detach().numpy(), t.grad.numpy()))
    (y, gx), (y_ref, gx_ref) = results
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-4, atol=1e-5)
