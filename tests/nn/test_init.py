"""graphgrad.nn.init and the layers' default initialisation: PyTorch's formulas, checked by statistics.

The random draws come from graphgrad's own generator (they differ from PyTorch's numbers), so values
are checked through their bounds, means and standard deviations; deterministic schemes (eye_, dirac_,
constants, gains, fans, error texts) are compared with PyTorch exactly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn
from graphgrad.nn import init


def _arr(t):
    return t.detach().numpy()


def _check_uniform(t, bound):
    """U(-bound, bound): within the bound, filling it, and (for enough samples) with its mean and std."""
    a = _arr(t)
    assert np.abs(a).max() <= bound * (1 + 1e-6), "outside the bound"
    assert np.abs(a).max() > 0.8 * bound, "does not fill the range"
    if a.size >= 5000:
        assert abs(a.mean()) < 0.05 * bound
        np.testing.assert_allclose(a.std(), bound / math.sqrt(3), rtol=0.05)


def _check_normal(t, std, mean=0.0):
    a = _arr(t)
    assert abs(a.mean() - mean) < 0.05 * std + 1e-6
    np.testing.assert_allclose(a.std(), std, rtol=0.05)


NONLINEARITIES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv_transpose2d", None),
                  ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                  ("leaky_relu", 1), ("selu", None)]


@pytest.mark.parametrize("nonlinearity,param", NONLINEARITIES)
def test_calculate_gain_matches_torch(torch_ref, nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch_ref.nn.init.calculate_gain(nonlinearity, param)


def _error(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def test_error_texts_match_torch(torch_ref):
    def cases(lib):
        I = lib.nn.init  # noqa: N806
        return [
            lambda: I.calculate_gain("softmax"),
            lambda: I.calculate_gain("leaky_relu", True),
            lambda: I._calculate_fan_in_and_fan_out(lib.zeros(3)),
            lambda: I.kaiming_uniform_(lib.zeros(3, 4), mode="fan_avg"),
            lambda: I.orthogonal_(lib.zeros(3)),
            lambda: I.eye_(lib.zeros(2, 2, 2)),
            lambda: I.dirac_(lib.zeros(2, 2)),
            lambda: I.dirac_(lib.zeros(3, 2, 3), groups=2),
            lambda: I.sparse_(lib.zeros(2, 2, 2), 0.1),
        ]

    for g, t in zip(cases(graphgrad), cases(torch_ref)):
        assert _error(g) == _error(t)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (6, 2, 3, 3), (2, 4, 1, 2, 3)])
def test_fan_in_and_fan_out_match_torch(torch_ref, shape):
    assert init._calculate_fan_in_and_fan_out(graphgrad.zeros(*shape)) == \
        torch_ref.nn.init._calculate_fan_in_and_fan_out(torch_ref.zeros(*shape))


def test_uniform_and_normal():
    graphgrad.manual_seed(0)
    t = graphgrad.zeros(300, 200)
    assert init.uniform_(t, -2.0, 3.0) is t
    a = _arr(t)
    assert a.min() >= -2.0 and a.max() <= 3.0 and abs(a.mean() - 0.5) < 0.05
    _check_normal(init.normal_(graphgrad.zeros(300, 200), mean=1.5, std=0.3), 0.3, mean=1.5)
    assert init.constant_(graphgrad.zeros(3), 0.25).tolist() == [0.25] * 3
    assert init.ones_(graphgrad.zeros(2)).tolist() == [1.0, 1.0]
    assert init.zeros_(graphgrad.ones(2)).tolist() == [0.0, 0.0]


def test_inits_run_under_no_grad_on_parameters():
    p = gnn.Parameter(graphgrad.zeros(20, 10))
    v = p._version
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
               init.kaiming_normal_, init.orthogonal_, init.trunc_normal_, init.ones_, init.zeros_, init.eye_,
               lambda t: init.constant_(t, 2.0), lambda t: init.sparse_(t, 0.5)):
        assert fn(p) is p
        assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version > v  # in-place writes bump the version counter


@pytest.mark.parametrize("gain", [1.0, init.calculate_gain("relu")])
def test_xavier(gain):
    graphgrad.manual_seed(1)
    t = graphgrad.zeros(200, 300)
    bound = gain * math.sqrt(6.0 / (200 + 300))
    _check_uniform(init.xavier_uniform_(t, gain=gain), bound)
    _check_normal(init.xavier_normal_(graphgrad.zeros(200, 300), gain=gain), gain * math.sqrt(2.0 / 500))
    conv = graphgrad.zeros(40, 30, 3, 3)  # fans include the receptive field
    _check_uniform(init.xavier_uniform_(conv), math.sqrt(6.0 / (30 * 9 + 40 * 9)))


@pytest.mark.parametrize("mode,nonlinearity,a", [("fan_in", "leaky_relu", 0), ("fan_out", "relu", 0),
                                                 ("fan_in", "leaky_relu", math.sqrt(5)), ("fan_out", "tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    graphgrad.manual_seed(2)
    shape = (120, 50, 2, 2)
    fan = 50 * 4 if mode == "fan_in" else 120 * 4
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    _check_uniform(init.kaiming_uniform_(graphgrad.zeros(*shape), a=a, mode=mode, nonlinearity=nonlinearity),
                   math.sqrt(3.0) * std)
    _check_normal(init.kaiming_normal_(graphgrad.zeros(*shape), a=a, mode=mode, nonlinearity=nonlinearity), std)


def test_zero_element_warning_matches_torch(torch_ref):
    for lib in (graphgrad, torch_ref):
        for fn in (lib.nn.init.kaiming_uniform_, lib.nn.init.kaiming_normal_):
            with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
                fn(lib.zeros(0, 3))


@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (4, 3, 2, 2)])
def test_orthogonal(shape):
    graphgrad.manual_seed(3)
    w = _arr(init.orthogonal_(graphgrad.zeros(*shape), gain=2.0)).reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)


def test_trunc_normal():
    graphgrad.manual_seed(4)
    t = init.trunc_normal_(graphgrad.zeros(200, 200), mean=0.5, std=1.0, a=-0.5, b=1.0)
    a = _arr(t)
    assert a.min() >= -0.5 and a.max() <= 1.0
    assert a.min() < -0.45 and a.max() > 0.95
    # mean of N(0.5, 1) truncated to [-0.5, 1]: mu + (phi(alpha) - phi(beta)) / Z * sigma
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    alpha, beta = -1.0, 0.5
    expected = 0.5 + (phi(alpha) - phi(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(a.mean() - expected) < 0.01
    default = _arr(init.trunc_normal_(graphgrad.zeros(100, 100), std=0.02))
    assert np.abs(default).max() <= 2.0 and abs(default.std() - 0.02) < 0.002


def test_eye_dirac_match_torch(torch_ref):
    np.testing.assert_array_equal(_arr(init.eye_(graphgrad.zeros(3, 5))),
                                  torch_ref.nn.init.eye_(torch_ref.zeros(3, 5)).numpy())
    for shape, groups in (((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((4, 2, 3, 3, 3), 1)):
        np.testing.assert_array_equal(_arr(init.dirac_(graphgrad.ones(*shape), groups)),
                                      torch_ref.nn.init.dirac_(torch_ref.ones(*shape), groups).numpy())


def test_sparse():
    graphgrad.manual_seed(5)
    a = _arr(init.sparse_(graphgrad.zeros(10, 50), sparsity=0.3, std=0.5))
    assert np.all((a == 0).sum(0) == 3)


def test_generator_and_manual_seed_make_inits_reproducible():
    graphgrad.manual_seed(7)
    a = _arr(gnn.Linear(4, 3).weight).copy()
    graphgrad.manual_seed(7)
    b = _arr(gnn.Linear(4, 3).weight).copy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = graphgrad.Generator().manual_seed(11), graphgrad.Generator().manual_seed(11)
    np.testing.assert_array_equal(_arr(init.xavier_normal_(graphgrad.zeros(3, 3), generator=g1)),
                                  _arr(init.xavier_normal_(graphgrad.zeros(3, 3), generator=g2)))


def test_deprecated_aliases_warn():
    with pytest.warns(FutureWarning, match="`nn.init.xavier_uniform` is now deprecated in favor of "
                                           "`nn.init.xavier_uniform_`"):
        init.xavier_uniform(graphgrad.zeros(2, 2))


# --- the layers' default initialisation, as PyTorch's reset_parameters --------------------------------
def test_linear_and_conv_defaults():
    graphgrad.manual_seed(8)
    lin = gnn.Linear(400, 300)
    _check_uniform(lin.weight, 1 / math.sqrt(400))  # kaiming_uniform_(a=sqrt(5)) == U(+-1/sqrt(fan_in))
    _check_uniform(lin.bias, 1 / math.sqrt(400))
    conv = gnn.Conv2d(20, 100, 5)
    _check_uniform(conv.weight, 1 / math.sqrt(20 * 25))
    _check_uniform(conv.bias, 1 / math.sqrt(20 * 25))
    conv1 = gnn.Conv1d(30, 200, 4, groups=2)
    _check_uniform(conv1.weight, 1 / math.sqrt(15 * 4))
    convt = gnn.ConvTranspose2d(200, 60, 3)  # weight (in, out, k, k): fan_in = out * k * k
    _check_uniform(convt.weight, 1 / math.sqrt(60 * 9))
    bil = gnn.Bilinear(50, 30, 200)
    _check_uniform(bil.weight, 1 / math.sqrt(50))
    _check_uniform(bil.bias, 1 / math.sqrt(50))
    assert gnn.Linear(3, 2, bias=False).bias is None


def test_normalisation_embedding_activation_defaults():
    bn = gnn.BatchNorm2d(4)
    assert bn.weight.tolist() == [1.0] * 4 and bn.bias.tolist() == [0.0] * 4
    assert bn.running_mean.tolist() == [0.0] * 4 and bn.running_var.tolist() == [1.0] * 4
    assert bn.num_batches_tracked.item() == 0 and bn.num_batches_tracked.dtype == graphgrad.int64
    assert not bn.running_mean.requires_grad
    ln = gnn.LayerNorm((2, 3))
    assert _arr(ln.weight).tolist() == [[1.0] * 3] * 2 and not _arr(ln.bias).any()
    gn = gnn.GroupNorm(2, 4)
    assert gn.weight.tolist() == [1.0] * 4 and gn.bias.tolist() == [0.0] * 4
    graphgrad.manual_seed(9)
    _check_normal(gnn.Embedding(300, 200).weight, 1.0)
    assert gnn.PReLU(3).weight.tolist() == [0.25] * 3


def test_recurrent_and_attention_defaults():
    graphgrad.manual_seed(10)
    lstm = gnn.LSTM(64, 100, num_layers=2, bidirectional=True)
    for _, p in lstm.named_parameters():
        _check_uniform(p, 1 / math.sqrt(100))
    mha = gnn.MultiheadAttention(128, 4)
    _check_uniform(mha.in_proj_weight, math.sqrt(6.0 / (128 + 3 * 128)))
    assert not _arr(mha.in_proj_bias).any() and not _arr(mha.out_proj.bias).any()
    _check_uniform(mha.out_proj.weight, 1 / math.sqrt(128))
    kv = gnn.MultiheadAttention(64, 2, kdim=32, vdim=16, add_bias_kv=True)
    _check_uniform(kv.k_proj_weight, math.sqrt(6.0 / (32 + 64)))
    assert tuple(kv.bias_k.shape) == (1, 1, 64)


def test_reset_parameters_reinitialises():
    lin = gnn.Linear(5, 5)
    before = _arr(lin.weight).copy()
    lin.reset_parameters()
    assert not np.array_equal(before, _arr(lin.weight))
    bn = gnn.BatchNorm1d(2)
    with graphgrad.no_grad():
        bn.running_mean.fill_(3.0)
        bn.num_batches_tracked.add_(5)
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0.0, 0.0] and bn.num_batches_tracked.item() == 0
