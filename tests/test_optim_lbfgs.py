"""LBFGS against torch.optim.LBFGS: the same iterates on the same closures, with and without line search."""

import numpy as np
import pytest

import graphgrad
from graphgrad import optim


def _rosenbrock(lib, x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _least_squares(lib, w, b, inputs, targets):
    return ((inputs @ w + b - targets) ** 2).mean()


def _run(lib, opt_cls, cfg, init, loss_fn, steps, extra=()):
    params = [lib.tensor(a, requires_grad=True) for a in init]
    data = [lib.tensor(a) for a in extra]
    opt = opt_cls(params, **cfg)
    losses = []

    def closure():
        opt.zero_grad()
        loss = loss_fn(lib, *params, *data)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(opt.step(closure).item())
    return params, losses, opt


CONFIGS = [
    dict(),
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=7, history_size=2, tolerance_change=1e-6),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=[str(i) for i in range(len(CONFIGS))])
def test_rosenbrock_iterates_match_torch(torch_ref, cfg):
    # float64: Rosenbrock is ill-conditioned enough that float32 rounding differences grow over steps
    init = [np.array([-1.2, 1.0, -0.5, 0.8], dtype=np.float64)]
    g_params, g_losses, g_opt = _run(graphgrad, optim.LBFGS, cfg, init, _rosenbrock, 4)
    t_params, t_losses, t_opt = _run(torch_ref, torch_ref.optim.LBFGS, cfg, init, _rosenbrock, 4)
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(g_params[0].detach().numpy(), t_params[0].detach().numpy(), rtol=1e-5, atol=1e-9)
    g_state, t_state = g_opt.state_dict()["state"][0], t_opt.state_dict()["state"][0]
    assert list(g_state) == list(t_state)
    for key in ("func_evals", "n_iter"):
        assert g_state[key] == t_state[key], key
    assert len(g_state["old_dirs"]) == len(t_state["old_dirs"])
    assert g_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_two_parameters_least_squares_match_torch(torch_ref, rng, line_search_fn):
    inputs = rng.standard_normal((16, 3)).astype(np.float32)
    targets = rng.standard_normal((16, 2)).astype(np.float32)
    init = [rng.standard_normal((3, 2)).astype(np.float32), np.zeros(2, dtype=np.float32)]
    cfg = dict(lr=0.8, max_iter=6, line_search_fn=line_search_fn)
    g_params, g_losses, _ = _run(graphgrad, optim.LBFGS, cfg, init, _least_squares, 3, (inputs, targets))
    t_params, t_losses, _ = _run(torch_ref, torch_ref.optim.LBFGS, cfg, init, _least_squares, 3, (inputs, targets))
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-4, atol=1e-6)
    for gp, tp in zip(g_params, t_params):
        np.testing.assert_allclose(gp.detach().numpy(), tp.detach().numpy(), rtol=1e-4, atol=1e-5)


def _quadratic_closure(opt, w, target, calls=None):
    def closure():
        if calls is not None:
            calls.append(1)
        opt.zero_grad()
        loss = ((w - target) ** 2).sum()
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("lib_name", ["graphgrad", "torch"])
def test_converged_start_returns_at_once_and_bad_line_search_raises(torch_ref, lib_name):
    lib = graphgrad if lib_name == "graphgrad" else torch_ref
    w = lib.tensor([1.0], requires_grad=True)
    opt = lib.optim.LBFGS([w])
    calls = []
    assert opt.step(_quadratic_closure(opt, w, 1.0, calls)).item() == 0.0 and len(calls) == 1
    v = lib.tensor([3.0], requires_grad=True)
    bad = lib.optim.LBFGS([v], line_search_fn="wolfe")
    with pytest.raises(RuntimeError, match=r"^only 'strong_wolfe' is supported$"):
        bad.step(_quadratic_closure(bad, v, 0.0))
