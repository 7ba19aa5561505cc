"""Where equal values compete, which indices PyTorch returns: topk's selection order, checked against torch."""

import numpy as np
import pytest

import graphgrad as gg


def _tie_heavy_cases(seed, count):
    """Rows of few distinct values (some NaN), with random k, widths from tiny to over 64 * k."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(1, 300))
        a = rng.integers(-2, 3, (2, n)).astype(np.float32)
        if rng.random() < 0.3:
            a[rng.random(a.shape) < 0.15] = np.nan
        yield a, int(rng.integers(0, n + 1))


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("sorted_", [True, False])
def test_topk_ties_match_torch(torch_ref, largest, sorted_):
    for a, k in _tie_heavy_cases(int(largest) * 2 + int(sorted_), 600):
        want = torch_ref.topk(torch_ref.tensor(a), k, largest=largest, sorted=sorted_)
        got = gg.topk(gg.tensor(a), k, largest=largest, sorted=sorted_)
        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy(), err_msg=f"{a.tolist()}, k={k}")
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())


def test_topk_ties_other_dim_and_ints(torch_ref):
    rng = np.random.default_rng(7)
    for _ in range(200):
        a = rng.integers(0, 3, (int(rng.integers(1, 40)), 3, 2))
        k = int(rng.integers(0, a.shape[0] + 1))
        for largest in (True, False):
            want = torch_ref.topk(torch_ref.tensor(a), k, dim=0, largest=largest)
            got = gg.topk(gg.tensor(a), k, dim=0, largest=largest)
            np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
            np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())


def test_topk_brief_example(torch_ref):
    x = [0, 1, 0, 0, 1, 2, 0, 1, 1, 0]
    assert gg.topk(gg.tensor(x), 4).indices.tolist() == torch_ref.topk(torch_ref.tensor(x), 4).indices.tolist()
    assert gg.topk(gg.tensor(x), 4).indices.tolist() == [5, 7, 1, 8]


@pytest.mark.parametrize("dtype_name", ["float16", "bfloat16"])
def test_arange_linspace_16bit_match_torch(torch_ref, dtype_name):
    """Past 256 (bfloat16) / 2048 (float16) PyTorch's kernels round part-way in the 16-bit type."""
    pytest.importorskip("ml_dtypes")
    tdt, gdt = getattr(torch_ref, dtype_name), getattr(gg, dtype_name)
    rng = np.random.default_rng(11)
    for case in range(400):  # outputs under 32768 elements: PyTorch fills those on one thread
        a, b = (float(v) for v in rng.uniform(-3000, 3000, 2))
        step = float(rng.uniform(0.1, 3)) * (1 if b > a else -1)
        if case % 3 == 0:
            a, b, step = int(a), int(b), int(step) or (1 if b > a else -1)
        steps = int(rng.integers(0, 5000))
        for want, got in [(torch_ref.arange(a, b, step, dtype=tdt), gg.arange(a, b, step, dtype=gdt)),
                          (torch_ref.linspace(a, b, steps, dtype=tdt), gg.linspace(a, b, steps, dtype=gdt))]:
            np.testing.assert_array_equal(got.float().numpy(), want.float().numpy(), err_msg=f"{a}, {b}, {step}")
            assert got.dtype == gdt


def _tie_heavy_3d(seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        a = rng.integers(-2, 3, (2, int(rng.integers(1, 120)), 2)).astype(np.float32)
        if rng.random() < 0.3:
            a[rng.random(a.shape) < 0.15] = np.nan
        yield a, int(rng.integers(1, a.shape[1] + 1))


def test_sort_kthvalue_mode_max_ties_match_torch(torch_ref):
    """Unstable sort/argsort, kthvalue, median, mode, max/min(dim): the index PyTorch picks among equals."""
    calls = {
        "sort": lambda m, x, k: m.sort(x, dim=1),
        "sort descending": lambda m, x, k: m.sort(x, dim=1, descending=True),
        "argsort": lambda m, x, k: m.argsort(x, dim=1, descending=bool(k % 2)),
        "kthvalue": lambda m, x, k: m.kthvalue(x, k, dim=1),
        "median": lambda m, x, k: m.median(x, dim=1),
        "mode": lambda m, x, k: m.mode(x, dim=1),
        "max": lambda m, x, k: m.max(x, dim=1),
        "min": lambda m, x, k: m.min(x, dim=1),
    }
    for a, k in _tie_heavy_3d(3, 300):
        for name, call in calls.items():
            want, got = call(torch_ref, torch_ref.tensor(a), k), call(gg, gg.tensor(a), k)
            for w, g in zip(want, got) if isinstance(want, tuple) else [(want, got)]:
                np.testing.assert_array_equal(g.numpy(), w.numpy(), err_msg=f"{name}: {a.tolist()}, k={k}")


def test_ties_in_integer_and_bool_rows(torch_ref):
    rng = np.random.default_rng(5)
    for _ in range(100):
        a = rng.integers(0, 3, (3, int(rng.integers(1, 80))))
        for x in (a, a.astype(bool)):
            t, g = torch_ref.tensor(x), gg.tensor(x)
            np.testing.assert_array_equal(gg.sort(g).indices.numpy(), torch_ref.sort(t).indices.numpy())
            np.testing.assert_array_equal(gg.mode(g).indices.numpy(), torch_ref.mode(t).indices.numpy())
        t, g = torch_ref.tensor(a), gg.tensor(a)
        k = int(rng.integers(1, a.shape[1] + 1))
        np.testing.assert_array_equal(gg.kthvalue(g, k).indices.numpy(), torch_ref.kthvalue(t, k).indices.numpy())


def test_stable_sort_keeps_index_order():
    x = gg.tensor([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    assert gg.sort(x, stable=True).indices.tolist() == list(range(1, 20, 2)) + list(range(0, 20, 2))
