"""graphgrad.distributions against torch.distributions: densities, moments, entropies, KL divergences and
their gradients on the same parameters; validation errors word for word; sampling by shape, dtype and
statistics (the draws themselves match PyTorch's once graphgrad's random streams do)."""

import numpy as np
import pytest

import graphgrad
from graphgrad import distributions as gd

RNG = np.random.default_rng(20261206)
LOC = RNG.standard_normal((2, 3))
SCALE = RNG.uniform(0.5, 2.0, (2, 3))
PROBS3 = RNG.uniform(0.1, 1.0, (2, 4))
LOGITS = RNG.standard_normal((2, 4))
P01 = RNG.uniform(0.05, 0.95, (3,))
LOW, HIGH = RNG.uniform(-2, 0, (3,)), RNG.uniform(0.5, 3, (3,))
A = RNG.standard_normal((2, 3, 3))
COV = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(3)
MVN_LOC = RNG.standard_normal((2, 3))


def _t(lib, array, dtype, requires_grad=False):
    t = lib.tensor(np.asarray(array, dtype=dtype))
    return t.requires_grad_() if requires_grad else t


# name -> (constructor(lib, params), params as arrays, value(lib) for log_prob)
CASES = {
    "normal": (lambda d, p: d.Normal(p[0], p[1]), [LOC, SCALE], lambda: RNG.standard_normal((4, 2, 3))),
    "normal-scalar-params": (lambda d, p: d.Normal(p[0], p[1]), [0.3, 1.7], lambda: RNG.standard_normal(5)),
    "bernoulli-probs": (lambda d, p: d.Bernoulli(probs=p[0]), [P01], lambda: RNG.integers(0, 2, (2, 3))),
    "bernoulli-logits": (lambda d, p: d.Bernoulli(logits=p[0]), [LOGITS], lambda: RNG.integers(0, 2, (2, 4))),
    "categorical-probs": (lambda d, p: d.Categorical(probs=p[0]), [PROBS3], lambda: RNG.integers(0, 4, (5, 2))),
    "categorical-logits": (lambda d, p: d.Categorical(logits=p[0]), [LOGITS], lambda: RNG.integers(0, 4, (2,))),
    "uniform": (lambda d, p: d.Uniform(p[0], p[1]), [LOW, HIGH], lambda: RNG.uniform(-0.1, 0.4, (2, 3))),
    "mvn-covariance": (lambda d, p: d.MultivariateNormal(p[0], covariance_matrix=p[1]), [MVN_LOC, COV],
                       lambda: RNG.standard_normal((4, 2, 3))),
    "mvn-precision": (lambda d, p: d.MultivariateNormal(p[0], precision_matrix=p[1]), [MVN_LOC[0], COV[0]],
                      lambda: RNG.standard_normal((5, 3))),
    "mvn-scale-tril": (lambda d, p: d.MultivariateNormal(p[0], scale_tril=p[1]),
                       [MVN_LOC, np.linalg.cholesky(COV)], lambda: RNG.standard_normal((2, 3))),
}


def _build(lib, name, dtype, requires_grad=False):
    make, params, _ = CASES[name]
    tensors = [p if isinstance(p, float) else _t(lib, p, dtype, requires_grad) for p in params]
    return make(lib.distributions, tensors), [t for t in tensors if not isinstance(t, float)]


def _both(torch, name, dtype, requires_grad=False):
    return _build(graphgrad, name, dtype, requires_grad), _build(torch, name, dtype, requires_grad)


def _close(g, t, rtol):
    g = g.detach().numpy() if hasattr(g, "detach") else np.asarray(g)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert g.shape == t.shape
    np.testing.assert_allclose(g, t, rtol=rtol, atol=rtol * 1e-2, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_torch(torch_ref, name, dtype):
    (gdist, _), (tdist, _) = _both(torch_ref, name, dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    assert tuple(gdist.batch_shape) == tuple(tdist.batch_shape)
    assert tuple(gdist.event_shape) == tuple(tdist.event_shape)
    value = CASES[name][2]()
    value = value.astype(dtype) if "categorical" not in name else value
    _close(gdist.log_prob(graphgrad.tensor(value)), tdist.log_prob(torch_ref.tensor(value)), rtol)
    for prop in ("mean", "variance", "stddev", "mode"):
        try:
            expected = getattr(tdist, prop)
        except NotImplementedError:
            continue
        _close(getattr(gdist, prop), expected, rtol)
    _close(gdist.entropy(), tdist.entropy(), rtol)
    _close(gdist.perplexity(), tdist.perplexity(), rtol)
    if name.startswith(("normal", "uniform")):
        _close(gdist.cdf(graphgrad.tensor(value)), tdist.cdf(torch_ref.tensor(value)), rtol)
    if name.startswith(("bernoulli", "categorical")):
        _close(gdist.enumerate_support(), tdist.enumerate_support(), rtol)
        _close(gdist.enumerate_support(expand=False), tdist.enumerate_support(expand=False), rtol)
    if name.startswith("mvn"):
        for prop in ("covariance_matrix", "precision_matrix", "scale_tril"):
            _close(getattr(gdist, prop), getattr(tdist, prop), 1e-4 if dtype == np.float32 else 1e-9)
    for prop in ("probs", "logits"):
        if hasattr(tdist, prop) and not name.startswith(("normal", "uniform", "mvn")):
            _close(getattr(gdist, prop), getattr(tdist, prop), rtol)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_of_log_prob_and_entropy_match_torch(torch_ref, name):
    (gdist, gparams), (tdist, tparams) = _both(torch_ref, name, np.float64, requires_grad=True)
    value = CASES[name][2]()
    continuous = "categorical" not in name and "bernoulli" not in name
    value = value.astype(np.float64) if "categorical" not in name else value
    g_value, t_value = graphgrad.tensor(value), torch_ref.tensor(value)
    if continuous:  # the density is differentiable in its argument too
        g_value.requires_grad_()
        t_value.requires_grad_()
        gparams, tparams = [*gparams, g_value], [*tparams, t_value]
    g_total = gdist.log_prob(g_value).sum() + gdist.entropy().sum()
    t_total = tdist.log_prob(t_value).sum() + tdist.entropy().sum()
    g_grads = graphgrad.autograd.grad(g_total, gparams, allow_unused=True)
    t_grads = torch_ref.autograd.grad(t_total, tparams, allow_unused=True)
    for g, t in zip(g_grads, t_grads):
        if t is None:
            assert g is None or not g.numpy().any()
        else:
            _close(g, t, 1e-9)


@pytest.mark.parametrize("name", ["normal", "uniform", "mvn-covariance", "mvn-scale-tril"])
def test_rsample_is_reparametrised_and_differentiable(name):
    dist, params = _build(graphgrad, name, np.float64, requires_grad=True)
    sample = dist.rsample((7,))
    assert sample.shape == dist._extended_shape((7,)) and sample.requires_grad
    grads = graphgrad.autograd.grad(sample.sum(), params)
    if name == "normal":  # x = loc + eps * scale
        eps = (sample.detach() - params[0].detach()) / params[1].detach()
        np.testing.assert_allclose(grads[0].numpy(), np.full(LOC.shape, 7.0))
        np.testing.assert_allclose(grads[1].numpy(), eps.sum(0).numpy(), rtol=1e-10)
    elif name == "uniform":  # x = low + u * (high - low)
        u = (sample.detach() - params[0].detach()) / (params[1].detach() - params[0].detach())
        np.testing.assert_allclose(grads[1].numpy(), u.sum(0).numpy(), rtol=1e-10)
        np.testing.assert_allclose(grads[0].numpy(), (1 - u).sum(0).numpy(), rtol=1e-10)
    else:
        np.testing.assert_allclose(grads[0].numpy(), np.full(MVN_LOC.shape, 7.0))
        assert np.isfinite(grads[1].numpy()).all()
    with graphgrad.no_grad():
        assert not dist.rsample().requires_grad
    assert not dist.sample((2,)).requires_grad


def test_log_prob_gradcheck_float64():
    loc = graphgrad.tensor(LOC, requires_grad=True)
    scale = graphgrad.tensor(SCALE, requires_grad=True)
    x = graphgrad.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    assert graphgrad.autograd.gradcheck(lambda m, s, v: gd.Normal(m, s).log_prob(v), (loc, scale, x))
    assert graphgrad.autograd.gradgradcheck(lambda m, s, v: gd.Normal(m, s).log_prob(v), (loc, scale, x))
    a = graphgrad.tensor(A[0], requires_grad=True)
    m = graphgrad.tensor(MVN_LOC[0], requires_grad=True)

    def mvn_log_prob(a, m, v):
        return gd.MultivariateNormal(m, covariance_matrix=a @ a.mT + graphgrad.eye(3, dtype=graphgrad.float64),
                                     validate_args=False).log_prob(v)

    v = graphgrad.tensor(RNG.standard_normal(3), requires_grad=True)
    assert graphgrad.autograd.gradcheck(mvn_log_prob, (a, m, v))
    assert graphgrad.autograd.gradgradcheck(mvn_log_prob, (a, m, v))
    logits = graphgrad.tensor(LOGITS, requires_grad=True)
    assert graphgrad.autograd.gradgradcheck(lambda z: gd.Categorical(logits=z).entropy(), (logits,))
    assert graphgrad.autograd.gradgradcheck(lambda z: gd.Bernoulli(logits=z).entropy(), (logits,))


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_shapes_dtypes_and_flags_match_torch(torch_ref, name):
    (gdist, _), (tdist, _) = _both(torch_ref, name, np.float32)
    for shape in ((), (5,), (2, 3)):
        gs, ts = gdist.sample(shape), tdist.sample(shape)
        assert tuple(gs.shape) == tuple(ts.shape)
        assert str(gs.dtype).split(".")[-1] == str(ts.dtype).split(".")[-1]
    assert gdist.has_rsample == tdist.has_rsample
    assert gdist.has_enumerate_support == tdist.has_enumerate_support
    if not tdist.has_rsample:
        with pytest.raises(NotImplementedError):
            gdist.rsample()


def test_sample_statistics():
    graphgrad.manual_seed(0)
    n = 20000
    normal = gd.Normal(graphgrad.tensor([1.0, -2.0]), graphgrad.tensor([0.5, 2.0]))
    s = normal.sample((n,)).numpy()
    np.testing.assert_allclose(s.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(s.std(0), [0.5, 2.0], rtol=0.03)
    b = gd.Bernoulli(probs=graphgrad.tensor([0.2, 0.7])).sample((n,)).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0}
    np.testing.assert_allclose(b.mean(0), [0.2, 0.7], atol=0.02)
    c = gd.Categorical(probs=graphgrad.tensor([0.1, 0.3, 0.6])).sample((n,)).numpy()
    np.testing.assert_allclose(np.bincount(c, minlength=3) / n, [0.1, 0.3, 0.6], atol=0.02)
    u = gd.Uniform(graphgrad.tensor([-1.0]), graphgrad.tensor([3.0])).sample((n,)).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0
    np.testing.assert_allclose(u.mean(), 1.0, atol=0.05)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]], dtype=np.float32)
    m = gd.MultivariateNormal(graphgrad.tensor([1.0, 0.0]), covariance_matrix=graphgrad.tensor(cov))
    x = m.sample((n,)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, 0.0], atol=0.05)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.08)


@pytest.mark.parametrize("name", sorted(CASES))
def test_seeded_samples_equal_torch(torch_ref, name):
    (gdist, _), (tdist, _) = _both(torch_ref, name, np.float32)
    graphgrad.manual_seed(7)
    torch_ref.manual_seed(7)
    # the same draws; MultivariateNormal then multiplies by its Cholesky factor, whose last bits may differ
    same = np.testing.assert_array_equal if "mvn" not in name else lambda a, b: np.testing.assert_allclose(
        a, b, rtol=1e-5, atol=1e-6)
    same(gdist.sample((3,)).numpy(), tdist.sample((3,)).numpy())
    if tdist.has_rsample:
        same(gdist.rsample((2,)).detach().numpy(), tdist.rsample((2,)).detach().numpy())


def test_expand_matches_torch(torch_ref):
    for name in ("normal", "bernoulli-probs", "categorical-logits", "uniform", "mvn-scale-tril"):
        (gdist, _), (tdist, _) = _both(torch_ref, name, np.float64)
        batch = (4,) + tuple(tdist.batch_shape)
        ge, te = gdist.expand(batch), tdist.expand(batch)
        assert tuple(ge.batch_shape) == tuple(te.batch_shape) and type(ge) is type(gdist)
        value = te.sample()
        _close(ge.log_prob(graphgrad.tensor(value.numpy())), te.log_prob(value), 1e-10)


def _error(lib, make):
    try:
        make(lib, lib.distributions)
    except Exception as error:  # noqa: BLE001 - compared with torch's below
        return type(error).__name__, str(error).replace("torch.", "graphgrad.")
    return None


ERRORS = {
    "normal-negative-scale": lambda T, D: D.Normal(T.tensor([0.0, 1.0]), T.tensor([1.0, -1.0])),
    "normal-scalar-negative": lambda T, D: D.Normal(0.0, -1.0),
    "normal-nan-loc": lambda T, D: D.Normal(T.tensor([float("nan")]), T.tensor([1.0])),
    "normal-bad-arg": lambda T, D: D.Normal("a", 1.0),
    "normal-log-prob-number": lambda T, D: D.Normal(0.0, 1.0).log_prob(0.5),
    "normal-log-prob-shape": lambda T, D: D.Normal(T.zeros(3), T.ones(3)).log_prob(T.zeros(2)),
    "bernoulli-both": lambda T, D: D.Bernoulli(probs=T.tensor([0.5]), logits=T.tensor([0.0])),
    "bernoulli-neither": lambda T, D: D.Bernoulli(),
    "bernoulli-probs-range": lambda T, D: D.Bernoulli(probs=T.tensor([0.5, 1.5])),
    "bernoulli-support": lambda T, D: D.Bernoulli(probs=T.tensor([0.5])).log_prob(T.tensor([2.0])),
    "categorical-0d": lambda T, D: D.Categorical(probs=T.tensor(1.0)),
    "categorical-logits-0d": lambda T, D: D.Categorical(logits=T.tensor(1.0)),
    "categorical-negative": lambda T, D: D.Categorical(probs=T.tensor([0.5, -0.5, 1.0])),
    "categorical-support": lambda T, D: D.Categorical(probs=T.tensor([0.5, 0.5])).log_prob(T.tensor(2)),
    "uniform-inverted": lambda T, D: D.Uniform(T.tensor([1.0]), T.tensor([0.0])),
    "uniform-support": lambda T, D: D.Uniform(0.0, 1.0).log_prob(T.tensor(1.5)),
    "mvn-loc-0d": lambda T, D: D.MultivariateNormal(T.tensor(0.0), T.eye(1)),
    "mvn-two-matrices": lambda T, D: D.MultivariateNormal(T.zeros(2), T.eye(2), scale_tril=T.eye(2)),
    "mvn-none": lambda T, D: D.MultivariateNormal(T.zeros(2)),
    "mvn-cov-1d": lambda T, D: D.MultivariateNormal(T.zeros(2), covariance_matrix=T.ones(2)),
    "mvn-tril-1d": lambda T, D: D.MultivariateNormal(T.zeros(2), scale_tril=T.ones(2)),
    "mvn-precision-1d": lambda T, D: D.MultivariateNormal(T.zeros(2), precision_matrix=T.ones(2)),
    "mvn-not-pd": lambda T, D: D.MultivariateNormal(T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "mvn-not-pd-unvalidated": lambda T, D: D.MultivariateNormal(T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]]),
                                                                validate_args=False),
    "mvn-tril-not-lower": lambda T, D: D.MultivariateNormal(T.zeros(2), scale_tril=T.tensor([[1.0, 1.0],
                                                                                             [0.0, 1.0]])),
    "mvn-value-shape": lambda T, D: D.MultivariateNormal(T.zeros(2), T.eye(2)).log_prob(T.zeros(3)),
    "kl-not-implemented": lambda T, D: D.kl_divergence(D.Normal(0.0, 1.0), D.Categorical(logits=T.zeros(2))),
    "kl-mvn-event-shapes": lambda T, D: D.kl_divergence(D.MultivariateNormal(T.zeros(2), T.eye(2)),
                                                        D.MultivariateNormal(T.zeros(3), T.eye(3))),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(torch_ref, name):
    g = _error(graphgrad, ERRORS[name])
    t = _error(torch_ref, ERRORS[name])
    assert g is not None and g == t


def test_validate_args_false_and_default_switch(torch_ref):
    d = gd.Normal(graphgrad.tensor([0.0]), graphgrad.tensor([-1.0]), validate_args=False)
    assert d.scale.item() == -1.0
    gd.Uniform(0.0, 1.0, validate_args=False).log_prob(graphgrad.tensor(2.0))
    gd.Distribution.set_default_validate_args(False)
    try:
        gd.Normal(0.0, -1.0)
    finally:
        gd.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        gd.Distribution.set_default_validate_args(3)


KL_PAIRS = [
    ("normal", "normal", lambda D, T: (D.Normal(T(LOC), T(SCALE)), D.Normal(T(LOC[::-1].copy()), T(SCALE ** 2)))),
    ("bernoulli", "bernoulli", lambda D, T: (D.Bernoulli(probs=T(P01)), D.Bernoulli(logits=T(LOGITS[0, :3])))),
    ("bernoulli-edge", "bernoulli", lambda D, T: (D.Bernoulli(probs=T([0.0, 1.0, 0.5])),
                                                   D.Bernoulli(probs=T([0.3, 0.0, 1.0])))),
    ("categorical", "categorical", lambda D, T: (D.Categorical(probs=T(PROBS3)), D.Categorical(logits=T(LOGITS)))),
    ("categorical-zero", "categorical", lambda D, T: (D.Categorical(probs=T([0.0, 0.5, 0.5])),
                                                       D.Categorical(probs=T([0.5, 0.5, 0.0])))),
    ("uniform", "uniform", lambda D, T: (D.Uniform(T(LOW), T(HIGH)), D.Uniform(T(LOW - 1), T(HIGH + [0, 1, -1])))),
    ("uniform", "normal", lambda D, T: (D.Uniform(T(LOW), T(HIGH)), D.Normal(T(LOC[0]), T(SCALE[0])))),
    ("normal", "uniform", lambda D, T: (D.Normal(T(LOC[0]), T(SCALE[0])), D.Uniform(T(LOW), T(HIGH)))),
    ("mvn", "mvn", lambda D, T: (D.MultivariateNormal(T(MVN_LOC), T(COV)),
                                 D.MultivariateNormal(T(MVN_LOC[0]), scale_tril=T(np.linalg.cholesky(COV[1]))))),
]


@pytest.mark.parametrize("make", [m for _, _, m in KL_PAIRS], ids=[f"{p}-{q}" for p, q, _ in KL_PAIRS])
def test_kl_divergence_matches_torch(torch_ref, make):
    results = []
    for lib in (graphgrad, torch_ref):
        params = []

        def tensor(array, lib=lib, params=params):
            t = lib.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)
            params.append(t)
            return t

        p, q = make(lib.distributions, tensor)
        kl = lib.distributions.kl_divergence(p, q)
        grads = ()
        if kl.requires_grad:  # (KL(Normal || Uniform) is a constant infinity)
            total = (kl * kl.detach().isfinite()).nan_to_num(0.0, 0.0, 0.0).sum()
            grads = lib.autograd.grad(total, params, allow_unused=True)
        results.append((kl, grads))
    (g_kl, g_grads), (t_kl, t_grads) = results
    _close(g_kl, t_kl, 1e-10)
    assert g_kl.requires_grad == t_kl.requires_grad
    for g, t in zip(g_grads, t_grads):
        if t is None:
            assert g is None or not g.numpy().any()
        else:
            _close(g, t, 1e-9)


def test_register_kl_and_lookup_by_subclass():
    class Wide(gd.Normal):
        pass

    assert float(gd.kl_divergence(Wide(0.0, 1.0), gd.Normal(0.0, 1.0))) == 0.0

    @gd.register_kl(Wide, Wide)
    def _kl_wide(p, q):
        return graphgrad.tensor(42.0)

    assert float(gd.kl_divergence(Wide(0.0, 1.0), Wide(0.0, 1.0))) == 42.0
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        gd.register_kl(int, Wide)


def test_constraints_reprs_match_torch(torch_ref):
    from graphgrad.distributions import constraints as gc

    tc = torch_ref.distributions.constraints
    for name in ("real", "positive", "unit_interval", "simplex", "boolean", "real_vector", "lower_cholesky",
                 "positive_definite"):
        assert repr(getattr(gc, name)) == repr(getattr(tc, name))
    assert repr(gc.integer_interval(0, 3)) == repr(tc.integer_interval(0, 3))
    assert repr(gd.Normal(0.0, 1.0)) == repr(torch_ref.distributions.Normal(0.0, 1.0))
    assert repr(gd.Categorical(logits=graphgrad.zeros(2, 3))).replace("graphgrad", "torch") == repr(
        torch_ref.distributions.Categorical(logits=torch_ref.zeros(2, 3)))
