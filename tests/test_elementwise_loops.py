"""The split elementwise loops (``ops/_elementwise_loops.py``) give NumPy's bits, on any thread count, and stand
aside (None) wherever they do not apply."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
from graphgrad._core import jit
from graphgrad.ops import _elementwise_loops as E


@pytest.fixture
def on_pool(monkeypatch):
    """Small arrays split too; skips where the loops can't run (no numba or no OpenMP pool)."""
    monkeypatch.setattr(E, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(jit, "MIN_SPLIT_OPENMP", 1)
    if E.binary(np.add, np.ones(4), np.ones(4)) is None:
        pytest.skip("the split elementwise loops need numba and MKL's OpenMP pool (the fast extra)")


def _special(shape, dtype, seed):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype) * 3
    flat = x.reshape(-1)
    flat[:6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, np.finfo(dtype).tiny / 3]  # (a subnormal)
    return x


def _same_bits(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), expected.view(f"u{got.itemsize}"))


@pytest.mark.usefixtures("on_pool")
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply])
def test_binary_is_numpys_bits(ufunc, dtype, threads):
    before = graphgrad.get_num_threads()
    graphgrad.set_num_threads(threads)
    try:
        a, b = _special((37, 29), dtype, 0), _special((37, 29), dtype, 1)[::-1].copy()
        _same_bits(E.binary(ufunc, a, b), ufunc(a, b))
        if ufunc is not np.subtract:
            for number in (0.1, -0.0, float("nan"), 1e300):
                with np.errstate(over="ignore", invalid="ignore"):
                    _same_bits(E.binary(ufunc, a, number), ufunc(a, number))
        into = a.copy()
        assert E.binary(ufunc, into, b, out=into) is into
        _same_bits(into, ufunc(a, b))
    finally:
        graphgrad.set_num_threads(before)


@pytest.mark.usefixtures("on_pool")
def test_binary_stands_aside():
    a = np.ones((8, 8), np.float32)
    for args in ((a, np.ones(8, np.float32)),  # broadcasting
                 (a, a.astype(np.float64)),  # mixed dtypes
                 (a.T[::2], a[::2]),  # not C-contiguous
                 (a.astype(np.int32), a.astype(np.int32)),  # integers
                 (a, 2),  # an int (NumPy's rules for its size)
                 (a, np.float32(2))):  # a NumPy scalar
        assert E.binary(np.add, *args) is None
    assert E.binary(np.true_divide, a, a) is None
    assert E.binary(np.add, a, a, out=a[:, :4]) is None  # wrong shape: NumPy's error
    assert E.binary(np.add, a, a, out=np.ones((8, 8))) is None


@pytest.mark.usefixtures("on_pool")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("value", [0.0, -np.inf, np.nan, 7.5])
@pytest.mark.parametrize("mask_shape", [(1, 1, 6, 6), (6, 6), (3, 4, 6, 6), (6,)])
def test_fill_where_is_the_select(mask_shape, value, threads):
    before = graphgrad.get_num_threads()
    graphgrad.set_num_threads(threads)
    try:
        a = _special((3, 4, 6, 6), np.float32, 2)
        mask = np.random.default_rng(3).random(mask_shape) < 0.4
        got = E.fill_where(a, mask, np.asarray(value, np.float32))
        _same_bits(got, np.where(mask, np.float32(value), a))
    finally:
        graphgrad.set_num_threads(before)


@pytest.mark.usefixtures("on_pool")
def test_fill_where_stands_aside():
    a = np.ones((4, 6), np.float32)
    assert E.fill_where(a, np.ones((4, 1), bool), np.float32(0)) is None  # broadcast along the last axis
    assert E.fill_where(a, np.ones((1, 1), bool), np.float32(0)) is None
    assert E.fill_where(a, np.ones((4, 6), np.uint8), np.float32(0)) is None
    assert E.fill_where(a.T, np.ones((6, 4), bool), np.float32(0)) is None


def test_masked_fill_and_products_match_torch_on_the_split_path(torch_ref, monkeypatch):
    monkeypatch.setattr(E, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(jit, "MIN_SPLIT_OPENMP", 1)
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 3, 8, 8)).astype(np.float32), rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    mask = np.tril(np.ones((8, 8))) == 0
    results = []
    for lib in (graphgrad, torch_ref):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        out = ((a * b + a - b) * 0.5 + 2.0).masked_fill(lib.tensor(mask), float("-inf")).softmax(-1)
        out.backward(lib.tensor(np.ones(out.shape, np.float32)))
        results.append([out.detach().numpy(), a.grad.numpy(), b.grad.numpy()])
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
