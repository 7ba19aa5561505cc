"""PyTorch's random streams bit for bit: values and generator state after every case, against PyTorch when it
is installed and against stored digests of PyTorch's bytes always."""

import json
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest

import graphgrad
from graphgrad import _random_kernels as K
from tests import random_cases as R

DIGESTS = json.loads(R.DIGESTS_FILE.read_text())["digests"]


@pytest.mark.parametrize("case", sorted(DIGESTS))
def test_matches_pytorch_digest(case):
    for seed, want in DIGESTS[case].items():
        assert R.digest(case, graphgrad, int(seed)) == want, f"{case}, seed {seed}"


def test_every_case_has_a_digest():
    assert sorted(DIGESTS) == sorted(R.CASES)


@pytest.mark.parametrize("case", sorted(R.CASES))
def test_matches_pytorch(case, torch_ref):
    for seed in R.SEEDS:
        want, got = R.run(case, torch_ref, seed), R.run(case, graphgrad, seed)
        assert got == want, f"{case}, seed {seed}"


# --- the generator's state ------------------------------------------------------------------------
def _state_bytes(T):
    return bytes(np.asarray(T.get_rng_state().numpy()))


def test_state_layout_and_seeds():
    g = graphgrad.Generator()
    assert g.initial_seed() == 67280421310721
    assert graphgrad.manual_seed(-1).initial_seed() == 2**64 - 1
    state = graphgrad.get_rng_state()
    assert state.dtype == graphgrad.uint8 and state.shape == (5056,)
    graphgrad.manual_seed(0)
    head = np.frombuffer(_state_bytes(graphgrad)[:24], dtype=np.uint64)
    assert head[0] == 0 and int(head[1]) & 0xFFFFFFFF == 1  # seed 0, left = 1 before the first draw


def test_state_round_trips_both_ways(torch_ref):
    torch_ref.manual_seed(5)
    torch_ref.randn(3)  # a cached normal sample in the state
    graphgrad.set_rng_state(graphgrad.tensor(torch_ref.get_rng_state().numpy()))
    assert _state_bytes(graphgrad) == _state_bytes(torch_ref)
    assert graphgrad.randn(5).numpy().tobytes() == torch_ref.randn(5).numpy().tobytes()
    graphgrad.randn(700, dtype=graphgrad.float64)  # past a twist of the engine
    graphgrad.randn(1)
    torch_ref.set_rng_state(torch_ref.tensor(graphgrad.get_rng_state().numpy()))
    assert torch_ref.rand(9).numpy().tobytes() == graphgrad.rand(9).numpy().tobytes()
    assert _state_bytes(graphgrad) == _state_bytes(torch_ref)


def test_set_state_saved_here_replays():
    graphgrad.manual_seed(3)
    graphgrad.randn(1)
    saved = graphgrad.get_rng_state()
    first = graphgrad.randn(40)
    graphgrad.set_rng_state(saved)
    assert graphgrad.equal(graphgrad.randn(40), first)


def test_set_state_errors_are_pytorchs():
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but found the input RNG "
                                           "state size to be 10"):
        graphgrad.set_rng_state(graphgrad.zeros(10, dtype=graphgrad.uint8))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        graphgrad.set_rng_state(graphgrad.zeros(5056))


def test_generators_are_independent_streams():
    g = graphgrad.Generator().manual_seed(0)
    graphgrad.manual_seed(0)
    a = graphgrad.rand(4, generator=g)
    b = graphgrad.rand(4)
    assert graphgrad.equal(a, b)
    assert graphgrad.equal(graphgrad.rand(4, generator=g), graphgrad.rand(4))


def test_start_up_seed_is_random():
    code = "import graphgrad; print(graphgrad.initial_seed())"
    seeds = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
             for _ in range(2)}
    assert len(seeds) == 2


# --- calling forms ----------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda T, g: T.rand(size=(2, 3), generator=g),
    lambda T, g: T.rand((2, 3), generator=g, dtype=T.float64),
    lambda T, g: T.randn(2, 3, generator=g, requires_grad=True),
    lambda T, g: T.randn(size=[4], generator=g, device="cpu"),
    lambda T, g: T.randint(10, (5,), generator=g),
    lambda T, g: T.randint(10, size=(5,), generator=g),
    lambda T, g: T.randint(low=2, high=10, size=(5,), generator=g),
    lambda T, g: T.randint(3, 10, size=(2, 2), dtype=T.int32, generator=g),
    lambda T, g: T.randperm(7, generator=g, dtype=T.int32),
    lambda T, g: T.normal(0.5, 2.0, size=(3,), generator=g),
    lambda T, g: T.normal(T.zeros(3), T.ones(3), generator=g),
    lambda T, g: T.rand_like(T.zeros(3, dtype=T.float64), generator=g),
    lambda T, g: T.randint_like(T.zeros(3), 5, generator=g),
    lambda T, g: T.bernoulli(T.full((4,), 0.5), generator=g),
    lambda T, g: T.multinomial(T.ones(5), 3, generator=g),
    lambda T, g: T.empty(3).uniform_(1, 2, generator=g),
    lambda T, g: T.empty(20).normal_(generator=g),
])
def test_calling_forms(call, torch_ref):
    want = call(torch_ref, torch_ref.Generator().manual_seed(11))
    got = call(graphgrad, graphgrad.Generator().manual_seed(11))
    assert got.dtype.__repr__().split(".")[-1] == str(want.dtype).split(".")[-1]
    assert got.requires_grad == want.requires_grad
    assert got.detach().numpy().tobytes() == want.detach().numpy().tobytes()


def test_out_keyword(torch_ref):
    for T in (torch_ref, graphgrad):
        T.manual_seed(2)
    outs = [T.empty(2, dtype=T.float64) for T in (torch_ref, graphgrad)]
    for T, out in zip((torch_ref, graphgrad), outs):
        assert T.rand(5, out=out) is out
        T.randint(0, 4, (3,), out=out)
    assert outs[0].numpy().tobytes() == outs[1].numpy().tobytes()


def test_randint_argument_errors():
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=5"):
        graphgrad.randint(5, 5, (2,))
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for 'Long'"):
        graphgrad.randn(2, dtype=graphgrad.int64)


def test_lazy_sampler_with_replacement(torch_ref):
    """``num_samples=int(1e10)`` is drawn 32 at a time, so the first indices come at once, as PyTorch's."""
    import itertools

    def first(T):
        T.manual_seed(0)
        return list(itertools.islice(iter(T.utils.data.RandomSampler(range(10), replacement=True,
                                                                     num_samples=int(1e10))), 100))

    assert first(graphgrad) == first(torch_ref)


def test_dataloader_draws_the_base_seed_when_iteration_starts(torch_ref):
    def draws(T):
        T.manual_seed(0)
        loader = T.utils.data.DataLoader(T.utils.data.TensorDataset(T.arange(8)), batch_size=4, shuffle=True)
        it = iter(loader)
        between = T.rand(2)  # after the base seed, before the sampler's seed
        return between.numpy().tobytes(), [b[0].tolist() for b in it]

    assert draws(graphgrad) == draws(torch_ref)


@pytest.mark.parametrize("module", ["graphgrad.random", "graphgrad._random_kernels", "graphgrad._factories",
                                    "graphgrad.utils.data.sampler", "graphgrad._cpp_sort",
                                    "graphgrad.utils.data._worker"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


# --- the exact arithmetic ---------------------------------------------------------------------------
def _exact_fma(a, b, c, dtype):
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    lo = np.array(float(exact), dtype)  # float() of a Fraction rounds correctly to float64; refine in dtype
    candidates = [np.nextafter(lo, dtype(-np.inf)), lo, np.nextafter(lo, dtype(np.inf))]
    return min(candidates, key=lambda v: (abs(Fraction(float(v)) - exact), int(np.array(v).view(
        np.uint32 if dtype == np.float32 else np.uint64)) & 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fma_is_correctly_rounded(dtype):
    rng = np.random.default_rng(4)
    a = rng.standard_normal(300).astype(dtype)
    b = (rng.standard_normal(300) * 2.0 ** rng.integers(-30, 30, 300)).astype(dtype)
    c = -(a.astype(np.float64) * b).astype(dtype) * rng.choice([1, 1 + 2**-20, 0.5], 300).astype(dtype)
    c[::3] = rng.standard_normal(100).astype(dtype)
    fma = K.fma32 if dtype == np.float32 else K.fma64
    got = fma(a, b, c)
    want = np.array([_exact_fma(x, y, z, dtype) for x, y, z in zip(a, b, c)], dtype)
    assert got.tobytes() == want.tobytes()


def test_fma32_halfway_cases():
    # 1.5 * (1 + 2**-23) = 1.5 + 1.5 ulp lies exactly halfway between two float32s; a tiny addend decides the
    # side, where rounding the float64 sum to float32 would round the tie to even both times
    a, b = np.float32(1 + 2**-23), np.float32(1.5)
    assert K.fma32(a, b, np.float32(2.0**-60)) == np.float32(1.5 + 2**-22)
    assert K.fma32(a, b, np.float32(-(2.0**-60))) == np.float32(1.5 + 2**-23)


def test_randperm_is_the_sequential_shuffle():
    g1, g2 = (graphgrad.Generator().manual_seed(9) for _ in range(2))
    n = 2000
    perm = list(range(n))
    for i, r in enumerate(g2.random32(n - 1).tolist()):
        z = r % (n - i)
        perm[i], perm[i + z] = perm[i + z], perm[i]
    assert K.randperm(g1, n).tolist() == perm


# --- the C library's functions, vectorised ----------------------------------------------------------
def _libm_inputs(name, n, rng):
    u = (rng.integers(0, 2**53, n, dtype=np.uint64) & ((1 << 53) - 1)).astype(np.float64) * 2.0**-53
    wide = np.exp(rng.uniform(-700, 700, n // 4))  # 1e-304 .. 1e304
    return {"log": np.concatenate([1 - u, u, wide]),
            "log1p": np.concatenate([-u, rng.uniform(-1, 5, n // 4), rng.standard_normal(n // 4) * 1e-6, wide]),
            "exp": np.concatenate([1 + 2 * rng.standard_normal(n), rng.uniform(-745, 709, n // 4)]),
            "tan": np.concatenate([np.pi * (u - 0.5), rng.uniform(-100, 100, n // 4)]),
            "sin": 2 * np.pi * u, "cos": 2 * np.pi * u}[name]


@pytest.mark.parametrize("name", ["log", "log1p", "exp", "tan", "sin", "cos"])
def test_libm_is_the_c_librarys_bit_for_bit(name):
    import math

    x = _libm_inputs(name, 200_000, np.random.default_rng(21))
    want = np.fromiter(map(getattr(math, name), x.tolist()), np.float64, x.size)
    got = K.libm(name, x.reshape(-1, 2)).ravel()  # any shape, and across the chunks
    assert got.tobytes() == want.tobytes()


def test_libm_edges_as_c_gives_them():
    with np.errstate(all="ignore"):
        assert K.libm("log", np.array([0.0, -1.0, np.inf])).tolist()[0::2] == [-np.inf, np.inf]
        assert np.isnan(K.libm("log", np.array([-1.0, np.nan]))).all()
        assert K.libm("log1p", np.array([-1.0, -0.0, 0.0, np.inf])).tolist() == [-np.inf, -0.0, 0.0, np.inf]
        assert np.signbit(K.libm("log1p", np.array([-0.0])))[0]
        assert K.libm("exp", np.array([-np.inf, 1000.0, -1000.0])).tolist() == [0.0, np.inf, 0.0]
    assert K.libm("log", np.empty((0, 3))).shape == (0, 3)


def test_libm_scalar_fallback_gives_the_same_bits(monkeypatch):
    x = _libm_inputs("log1p", 2000, np.random.default_rng(22))
    fast = K.libm("log1p", x)
    monkeypatch.setitem(K._VECTORISED_OK, "log1p", False)  # what a platform failing the start-up check runs
    assert K.libm("log1p", x).tobytes() == fast.tobytes()


def _tie_heavy_rows(rng, trial):
    rows, k = int(rng.integers(1, 4)), int(rng.integers(1, 300))
    m = int(rng.integers(1, k + 1)) if trial % 2 else int(rng.integers(1, k // 64 + 2))  # both topk paths
    score = rng.integers(0, rng.integers(1, 6), (rows, k)).astype(np.float64)
    if trial % 5 == 0:
        score[rng.random(score.shape) < 0.05] = np.nan
    if trial % 7 == 0:
        score[rng.random(score.shape) < 0.05] = np.inf
    return score, min(m, k)


def test_largest_first_is_pytorchs_topk_and_argmax(torch_ref):
    rng = np.random.default_rng(23)
    for trial in range(600):
        score, m = _tie_heavy_rows(rng, trial)
        t = torch_ref.tensor(score)
        want = t.argmax(1, keepdim=True) if m == 1 else torch_ref.topk(t, m).indices
        assert (K._largest_first(score, m) == want.numpy()).all(), (score, m)


def test_largest_first_without_ties_is_a_descending_sort():
    rng = np.random.default_rng(24)
    for _ in range(100):
        score, m = rng.permutation(600)[:int(rng.integers(1, 600))].reshape(1, -1) * 0.5, int(rng.integers(1, 40))
        m = min(m, score.shape[1])
        assert (K._largest_first(score, m) == np.argsort(-score, axis=1)[:, :m]).all()


# --- bounds per dtype ---------------------------------------------------------------------------------
_BOUND_ERRORS = [
    (lambda T: T.randint(0, 300, (2,), dtype=T.uint8), "to - 1 is out of bounds for unsigned char"),
    (lambda T: T.randint(0, 70000, (2,), dtype=T.float16), "to - 1 is out of bounds for c10::Half"),
    (lambda T: T.randint(-2**40, 5, (2,), dtype=T.int32), "from is out of bounds for int"),
    (lambda T: T.randint(65500, 65504, (2,), dtype=T.float16),
     "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from=65500 >= to=65472"),
    (lambda T: T.empty(2, dtype=T.int16).random_(-2**63, None),
     "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16"),
    (lambda T: T.empty(2, dtype=T.float16).uniform_(-1e6, 1), "from is out of bounds for c10::Half"),
    (lambda T: T.empty(2, dtype=T.bfloat16).uniform_(-1e38, 3e38),
     "uniform_ expects to-from <= std::numeric_limits<BFloat16>::max(), but found to=3e+38 and from=-1e+38 which "
     "result in to-from to exceed the limit"),
]


@pytest.mark.parametrize("call, message", _BOUND_ERRORS)
def test_bound_errors_are_pytorchs(call, message):
    with pytest.raises(RuntimeError) as info:
        call(graphgrad)
    assert str(info.value) == message


def test_bounds_the_dtype_cannot_hold_warn_and_narrow(torch_ref):
    """randint(0, 2**25) in float32: 2**25 - 1 rounds to 2**25, so the upper bound moves to 2**25 - 2."""
    results = []
    for T in (torch_ref, graphgrad):
        T.manual_seed(0)
        with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]\. Due to precision "
                                             "limitations float can support discrete uniform distribution only"):
            results.append(T.randint(0, 2**25, (50,), dtype=T.float32).numpy().tobytes())
    assert results[0] == results[1]


@pytest.mark.parametrize("args", [(), (7,), (-3, None), (-2**63, None), (-2**63 + 5, None), (60000, None)])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float64", "float32", "float16", "bfloat16"])
def test_random_calling_forms(args, dtype, torch_ref):
    def draw(T):
        T.manual_seed(4)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x = T.empty(40, dtype=getattr(T, dtype)).random_(*args)
        except (RuntimeError, NotImplementedError) as e:
            return type(e).__name__, str(e)
        return R._values(x, T) + R._values(T.get_rng_state(), T)

    assert draw(graphgrad) == draw(torch_ref)


# --- draws exact, values from other kernels -------------------------------------------------------------
# orthogonal_ takes the QR decomposition of its normal draw: PyTorch's comes from MKL's geqrf/orgqr, whose last
# bits depend on the instruction set MKL picks at run time (AVX-512, AVX2, SSE4.2 give three different Q for the
# same input), and NumPy's from OpenBLAS. gumbel_softmax takes the float32 log of its exponential draw (PyTorch:
# SLEEF's logf) and a softmax whose summation order follows the CPU's vector width. The draws and the generator
# state are PyTorch's; the values agree to float32 rounding.
@pytest.mark.parametrize("call", [
    lambda T: T.nn.init.orthogonal_(T.empty(4, 6), gain=1.5),
    lambda T: T.nn.init.orthogonal_(T.empty(8, 3, 2)),
    lambda T: T.nn.functional.gumbel_softmax(T.linspace(-2, 2, 60).reshape(6, 10), tau=0.7),
    lambda T: T.nn.functional.gumbel_softmax(T.zeros(6, 10), hard=True),
])
def test_draws_exact_where_values_come_from_other_kernels(call, torch_ref):
    for T in (torch_ref, graphgrad):
        T.manual_seed(1)
    want, got = call(torch_ref), call(graphgrad)
    assert _state_bytes(graphgrad) == _state_bytes(torch_ref)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_orthogonal_is_the_sign_fixed_qr_of_the_normal_draw():
    graphgrad.manual_seed(2)
    w = graphgrad.nn.init.orthogonal_(graphgrad.empty(3, 5))
    graphgrad.manual_seed(2)
    q, r = np.linalg.qr(graphgrad.empty(3, 5).normal_().numpy().T)
    assert np.array_equal(w.numpy(), (q * np.sign(np.diag(r))).T)
    np.testing.assert_allclose(w.numpy() @ w.numpy().T, np.eye(3), atol=1e-6)


# --- DataLoader workers ---------------------------------------------------------------------------------
def test_workers_leave_the_main_process_streams_as_pytorchs(torch_ref):
    import random

    def run(T):
        T.manual_seed(0)
        random.seed(1)
        np.random.seed(2)
        loader = T.utils.data.DataLoader(R._noisy_dataset(T, 7), num_workers=2, batch_size=2)
        values = [b.numpy().tolist() for b in loader]
        return values, T.rand(2).tolist(), random.random(), float(np.random.rand()), T.utils.data.get_worker_info()

    assert run(graphgrad) == run(torch_ref)


def test_persistent_workers_need_workers():
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        graphgrad.utils.data.DataLoader(range(3), persistent_workers=True)
