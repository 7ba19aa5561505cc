"""graphgrad.utils.data: datasets, samplers, collation and the DataLoader, compared with torch.utils.data."""

import collections

import numpy as np
import pytest

import graphgrad
from graphgrad.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)


def _py(x):
    """A batch as plain Python (lists, dicts, dtype names), for comparing graphgrad's with torch's."""
    if hasattr(x, "detach"):
        return ("tensor", str(x.dtype).split(".")[-1], x.detach().numpy().tolist())
    if isinstance(x, dict):
        return {k: _py(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_py(v) for v in x])
    return x


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        return {"x": np.full(2, i, dtype=np.float32), "y": i * i, "w": float(i) / 2, "name": f"s{i}",
                "pair": (i, [i + 0.5, np.int64(i)])}

    def __len__(self):
        return self.n


def test_tensor_dataset():
    x, y = graphgrad.arange(12.0).reshape(6, 2), graphgrad.arange(6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8.0, 9.0] and yi.item() == 4
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, graphgrad.arange(5))


@pytest.mark.parametrize(("batch_size", "drop_last"), [(1, False), (4, False), (4, True), (6, True), (7, False)])
def test_batches_match_torch(torch_ref, batch_size, drop_last):
    data = np.arange(24, dtype=np.float32).reshape(12, 2)
    labels = np.arange(12)
    g = DataLoader(TensorDataset(graphgrad.tensor(data), graphgrad.tensor(labels)), batch_size=batch_size,
                   drop_last=drop_last)
    t = torch_ref.utils.data.DataLoader(
        torch_ref.utils.data.TensorDataset(torch_ref.tensor(data), torch_ref.tensor(labels)),
        batch_size=batch_size, drop_last=drop_last)
    assert len(g) == len(t)
    assert [_py(b) for b in g] == [_py(b) for b in t]


def test_default_collate_matches_torch_on_nested_samples(torch_ref):
    g = [_py(b) for b in DataLoader(Squares(7), batch_size=3)]
    t = [_py(b) for b in torch_ref.utils.data.DataLoader(Squares(7), batch_size=3)]
    assert g == t
    first = next(iter(DataLoader(Squares(7), batch_size=3)))
    assert first["x"].dtype == graphgrad.float32 and first["x"].shape == (3, 2)
    assert first["y"].dtype == graphgrad.int64 and first["w"].dtype == graphgrad.float64
    assert first["name"] == ["s0", "s1", "s2"]
    assert isinstance(first["pair"], list)  # a tuple of fields comes back as a list, as in PyTorch


@pytest.mark.parametrize(
    "batch",
    [
        [1, 2, 3],
        [1.5, 2.5],
        [True, False],
        [np.float32(1.0), np.float32(2.0)],
        [np.int32(3), np.int32(4)],
        [np.zeros((2, 2), dtype=np.float64), np.ones((2, 2), dtype=np.float64)],
        [[1, 2.0], [3, 4.0]],
        [(1, "a"), (2, "b")],
        [collections.OrderedDict(a=1, b=2.0), collections.OrderedDict(a=3, b=4.0)],
    ],
)
def test_default_collate_types_match_torch(torch_ref, batch):
    out = default_collate(batch)
    ref = torch_ref.utils.data.default_collate(batch)
    assert _py(out) == _py(ref)
    assert type(out).__name__ == type(ref).__name__


def test_default_collate_of_tensors_and_namedtuples():
    Point = collections.namedtuple("Point", "x y")
    out = default_collate([Point(graphgrad.zeros(2), 1), Point(graphgrad.ones(2), 2)])
    assert isinstance(out, Point) and out.x.shape == (2, 2) and out.y.tolist() == [1, 2]


def test_default_collate_errors_match_torch(torch_ref):
    for bad in ([[1, 2], [3]], [object(), object()], [np.array(["a"]), np.array(["b"])]):
        with pytest.raises((RuntimeError, TypeError)) as g_info:
            default_collate(bad)
        with pytest.raises((RuntimeError, TypeError)) as t_info:
            torch_ref.utils.data.default_collate(bad)
        assert type(g_info.value) is type(t_info.value)
        assert str(g_info.value).split("<class")[0] == str(t_info.value).split("<class")[0]


def test_shuffle_is_reproducible_with_a_seeded_generator():
    ds = TensorDataset(graphgrad.arange(20))

    def order(seed):
        loader = DataLoader(ds, batch_size=6, shuffle=True, generator=graphgrad.Generator().manual_seed(seed))
        return [i for (b,) in loader for i in b.tolist()]

    a, b, c = order(0), order(0), order(1)
    assert a == b and a != c
    assert sorted(a) == list(range(20))
    # one generator across epochs: each epoch a new permutation, the sequence reproducible
    gen = graphgrad.Generator().manual_seed(3)
    loader = DataLoader(ds, batch_size=20, shuffle=True, generator=gen)
    e1, e2 = (next(iter(loader))[0].tolist() for _ in range(2))
    assert e1 != e2


def test_shuffle_without_generator_follows_manual_seed():
    ds = TensorDataset(graphgrad.arange(10))
    graphgrad.manual_seed(5)
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True)]
    graphgrad.manual_seed(5)
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True)]
    assert a == b


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    rs = RandomSampler(range(5), generator=graphgrad.Generator().manual_seed(0))
    assert sorted(rs) == [0, 1, 2, 3, 4] and len(rs) == 5
    rs = RandomSampler(range(3), num_samples=7, generator=graphgrad.Generator().manual_seed(0))
    drawn = list(rs)
    assert len(drawn) == 7 and sorted(drawn[:3]) == [0, 1, 2] and sorted(drawn[3:6]) == [0, 1, 2]
    rs = RandomSampler(range(3), replacement=True, num_samples=50, generator=graphgrad.Generator().manual_seed(0))
    assert len(list(rs)) == 50 and set(rs) <= {0, 1, 2}
    assert sorted(SubsetRandomSampler([5, 7, 9])) == [5, 7, 9]
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)


def test_dataloader_with_sampler_batch_sampler_and_collate_fn():
    ds = TensorDataset(graphgrad.arange(10))
    loader = DataLoader(ds, sampler=[9, 8, 7, 1], batch_size=2)
    assert [b[0].tolist() for b in loader] == [[9, 8], [7, 1]]
    loader = DataLoader(ds, batch_sampler=[[0, 5], [2]])
    assert [b[0].tolist() for b in loader] == [[0, 5], [2]] and len(loader) == 2
    loader = DataLoader(ds, batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(loader) == [4, 4, 2]
    loader = DataLoader(ds, batch_size=None)  # no batching: each sample converted, not stacked
    assert len(loader) == 10 and next(iter(loader))[0].item() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
        (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
        (dict(num_workers=-1), "num_workers option should be non-negative"),
    ],
)
def test_dataloader_argument_errors_match_torch(torch_ref, kwargs, message):
    with pytest.raises(ValueError, match=message) as g_info:
        DataLoader(TensorDataset(graphgrad.arange(3)), **kwargs)
    with pytest.raises(ValueError) as t_info:
        torch_ref.utils.data.DataLoader(torch_ref.utils.data.TensorDataset(torch_ref.arange(3)), **kwargs)
    assert str(g_info.value) == str(t_info.value)


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)


def test_random_split_lengths_and_fractions(torch_ref):
    gen = graphgrad.Generator().manual_seed(42)
    parts = random_split(range(10), [3, 7], generator=gen)
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    # fractions: floor each, hand the remainder out round-robin, as PyTorch
    for fracs, n in (([0.3, 0.3, 0.4], 30), ([0.5, 0.5], 11), ([0.33, 0.33, 0.34], 10), ([0.05, 0.05, 0.9], 10)):
        with pytest.warns(UserWarning, match="Length of split at index 1 is 0") if fracs[0] == 0.05 else _nullcontext():
            ours = [len(p) for p in random_split(range(n), fracs, generator=graphgrad.Generator().manual_seed(0))]
            theirs = [len(p) for p in torch_ref.utils.data.random_split(range(n), fracs)]
        assert ours == theirs
    same = [p.indices for p in random_split(range(10), [5, 5], generator=graphgrad.Generator().manual_seed(1))]
    again = [p.indices for p in random_split(range(10), [5, 5], generator=graphgrad.Generator().manual_seed(1))]
    assert same == again
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


def test_subset_and_concat():
    ds = TensorDataset(graphgrad.arange(10))
    sub = Subset(ds, [8, 2, 5])
    assert len(sub) == 3 and sub[0][0].item() == 8 and sub[2][0].item() == 5
    both = ds + Subset(ds, [0, 1])
    assert isinstance(both, ConcatDataset) and len(both) == 12
    assert both[10][0].item() == 0 and both[-1][0].item() == 1 and both[3][0].item() == 3


def test_training_loop_with_loader_matches_torch(torch_ref, rng):
    """DataLoader + SGD over a few epochs without shuffling: the same parameters as PyTorch."""
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = rng.standard_normal(10).astype(np.float32)
    w0 = rng.standard_normal(3).astype(np.float32)

    def run(lib, data):
        w = lib.tensor(w0, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.05, momentum=0.9)
        loader = data.DataLoader(data.TensorDataset(lib.tensor(x), lib.tensor(y)), batch_size=4)
        for _ in range(3):
            for xb, yb in loader:
                opt.zero_grad()
                loss = ((xb @ w - yb) ** 2).mean()
                loss.backward()
                opt.step()
        return w.detach().numpy().copy()

    import graphgrad.utils.data as g_data

    np.testing.assert_allclose(run(graphgrad, g_data), run(torch_ref, torch_ref.utils.data), rtol=1e-5, atol=1e-6)
