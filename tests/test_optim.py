"""graphgrad.optim against torch.optim: same parameters and state after several steps, same layouts."""

import copy
import importlib
import re
import warnings

import numpy as np
import pytest

import graphgrad
from graphgrad import optim

SHAPES = [(3, 4), (5,), ()]
N_STEPS = 6

CONFIGS = {
    "SGD": [
        dict(lr=0.1),
        dict(lr=0.05, momentum=0.9),
        dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
        dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
        dict(lr=0.05, momentum=0.5, maximize=True),
    ],
    "Adam": [
        dict(),
        dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
        dict(lr=0.01, weight_decay=0.1, amsgrad=True),
        dict(lr=0.02, maximize=True, amsgrad=True),
        dict(lr=0.01, betas=(0.6, 0.9), weight_decay=0.05, decoupled_weight_decay=True),
    ],
    "AdamW": [
        dict(),
        dict(lr=0.01, weight_decay=0.3, amsgrad=True),
        dict(lr=0.02, betas=(0.3, 0.5), maximize=True),
    ],
    "RMSprop": [
        dict(),
        dict(lr=0.01, alpha=0.9, momentum=0.5),
        dict(lr=0.01, centered=True, weight_decay=0.1),
        dict(lr=0.005, alpha=0.3, centered=True, momentum=0.9, maximize=True, eps=1e-4),
    ],
    "Adagrad": [
        dict(),
        dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
        dict(lr=0.05, weight_decay=0.2, eps=1e-6, maximize=True),
    ],
    "Adadelta": [
        dict(),
        dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1),
        dict(lr=0.3, maximize=True),
    ],
    "Adamax": [
        dict(),
        dict(lr=0.05, betas=(0.7, 0.9), eps=1e-5, weight_decay=0.1),
        dict(lr=0.01, maximize=True),
    ],
    "NAdam": [
        dict(),
        dict(lr=0.05, betas=(0.7, 0.9), momentum_decay=0.05, weight_decay=0.1),
        dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True, maximize=True),
    ],
    "RAdam": [
        dict(),
        # beta2 small enough that the rectified branch (rho_t > 5) is taken within the steps
        dict(lr=0.05, betas=(0.8, 0.7), eps=1e-5, weight_decay=0.1),
        dict(lr=0.01, betas=(0.9, 0.6), weight_decay=0.2, decoupled_weight_decay=True, maximize=True),
    ],
    "Rprop": [
        dict(),
        dict(lr=0.05, etas=(0.3, 1.7), step_sizes=(1e-3, 0.2)),
        dict(lr=0.01, maximize=True),
    ],
    "ASGD": [
        dict(),
        dict(lr=0.05, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1),
        dict(lr=0.02, t0=0, maximize=True),
    ],
}
CASES = [(name, cfg) for name, cfgs in CONFIGS.items() for cfg in cfgs]
IDS = [f"{name}-{i}" for name, cfgs in CONFIGS.items() for i in range(len(cfgs))]


def _np(t):
    return t.detach().numpy().copy()


def _assert_state_equal(g_state, t_state):
    assert sorted(g_state) == sorted(t_state)
    for idx in t_state:
        assert list(g_state[idx]) == list(t_state[idx]), f"state keys of param {idx}"
        for key, tv in t_state[idx].items():
            gv = g_state[idx][key]
            if hasattr(tv, "numpy"):
                assert isinstance(gv, graphgrad.Tensor), key
                assert str(gv.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], key
                np.testing.assert_allclose(_np(gv), _np(tv), rtol=1e-5, atol=1e-6, err_msg=f"{idx}.{key}")
            else:
                assert gv == tv, key


def _run_both(torch, name, cfg, rng, steps=N_STEPS):
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(steps)]
    g_params = [graphgrad.tensor(a, requires_grad=True) for a in init]
    t_params = [torch.tensor(a, requires_grad=True) for a in init]
    g_opt = getattr(optim, name)(g_params, **cfg)
    t_opt = getattr(torch.optim, name)(t_params, **cfg)
    for step in range(steps):
        for gp, tp, gr in zip(g_params, t_params, grads[step]):
            gp.grad = graphgrad.tensor(gr)
            tp.grad = torch.tensor(gr)
        if step == 2:  # a parameter without a gradient is skipped, its state untouched
            g_params[1].grad = None
            t_params[1].grad = None
        g_opt.step()
        t_opt.step()
        for gp, tp in zip(g_params, t_params):
            np.testing.assert_allclose(_np(gp), _np(tp), rtol=1e-5, atol=1e-6, err_msg=f"step {step}")
    return g_params, t_params, g_opt, t_opt


@pytest.mark.parametrize(("name", "cfg"), CASES, ids=IDS)
def test_steps_match_torch(torch_ref, rng, name, cfg):
    g_params, t_params, g_opt, t_opt = _run_both(torch_ref, name, cfg, rng)
    for gp in g_params:
        assert gp.dtype == graphgrad.float32
    g_sd, t_sd = g_opt.state_dict(), t_opt.state_dict()
    assert g_sd["param_groups"] == t_sd["param_groups"]
    _assert_state_equal(g_sd["state"], t_sd["state"])


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_float64_params_keep_float64_state(torch_ref, name):
    # (from float64 arrays: graphgrad.tensor(list, dtype=float64) currently rounds through float32)
    g = graphgrad.tensor(np.array([1.0, -2.0]), requires_grad=True)
    t = torch_ref.tensor([1.0, -2.0], dtype=torch_ref.float64, requires_grad=True)
    go, to = getattr(optim, name)([g], lr=0.1), getattr(torch_ref.optim, name)([t], lr=0.1)
    for _ in range(3):
        g.grad = graphgrad.tensor(np.array([0.3, -0.7]))
        t.grad = torch_ref.tensor([0.3, -0.7], dtype=torch_ref.float64)
        go.step()
        to.step()
    np.testing.assert_allclose(_np(g), _np(t), rtol=1e-12)
    _assert_state_equal(go.state_dict()["state"], to.state_dict()["state"])


def test_adagrad_group_added_later_gets_state_at_first_step(torch_ref):
    # Adagrad builds its state in the constructor; a group added afterwards gets it lazily, with the
    # constructor's initial_accumulator_value (not the group's), as PyTorch does
    opts = []
    for lib in (graphgrad, torch_ref):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        opt = lib.optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.5)
        opt.add_param_group({"params": [b], "initial_accumulator_value": 2.0})
        (a + 2 * b).sum().backward()
        opt.step()
        opts.append((opt, b))
    (go, gb), (to, tb) = opts
    np.testing.assert_allclose(_np(gb), _np(tb), rtol=1e-6)
    _assert_state_equal(go.state_dict()["state"], to.state_dict()["state"])


def test_training_with_backward_and_closure_matches_torch(torch_ref, rng):
    """A real loop: forward, backward, step with a closure, param groups with their own lr."""
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    b0 = rng.standard_normal(3).astype(np.float32)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.standard_normal((8, 3)).astype(np.float32)

    def run(lib, opt_lib):
        w = lib.tensor(w0, requires_grad=True)
        b = lib.tensor(b0, requires_grad=True)
        xs, ys = lib.tensor(x), lib.tensor(y)
        opt = opt_lib.Adam([{"params": [w]}, {"params": [b], "lr": 0.05}], lr=0.01, amsgrad=True)
        losses = []

        def closure():
            opt.zero_grad()
            loss = ((xs @ w + b - ys) ** 2).mean()
            loss.backward()
            return loss

        for _ in range(5):
            losses.append(opt.step(closure).item())
        return losses, _np(w), _np(b)

    g_losses, gw, gb = run(graphgrad, optim)
    t_losses, tw, tb = run(torch_ref, torch_ref.optim)
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-5)
    np.testing.assert_allclose(gw, tw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gb, tb, rtol=1e-5, atol=1e-6)


# --- the in-place contract ------------------------------------------------------------------------
def test_step_runs_in_place_and_bumps_versions():
    w = graphgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    before, data = w._version, w.detach()
    (w * w).sum().backward()
    opt.step()
    assert w._version > before
    assert data.tolist() == pytest.approx([0.8, 1.6])  # same memory: the detached view sees the update
    assert not w.grad.requires_grad and w.is_leaf and w.grad_fn is None


def test_step_after_retained_graph_gives_pytorch_inplace_error(torch_ref):
    """The seeds' SRGAN mistake: the graph saved a weight, step() changed it, backward refuses."""

    def run(lib, opt_lib):
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        x = lib.tensor([[0.5, -1.0]], requires_grad=True)
        opt = opt_lib.Adam([w])
        out = (x @ w).sigmoid().sum()
        out.backward(retain_graph=True)
        opt.step()
        with pytest.raises(RuntimeError) as info:
            out.backward()
        return str(info.value)

    g_msg, t_msg = run(graphgrad, optim), run(torch_ref, torch_ref.optim)
    head = "one of the variables needed for gradient computation has been modified by an inplace operation"
    assert t_msg.startswith(head) and g_msg.startswith(head)
    # the optimizer bumps the weight's version exactly as often as PyTorch's does
    versions = re.search(r"is at version \d+; expected version \d+ instead", t_msg).group(0)
    assert versions in g_msg


def test_step_differentiable_false_records_nothing():
    w = graphgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = graphgrad.tensor([1.0])
    with graphgrad.enable_grad():
        opt.step()
    assert w.grad_fn is None and w.is_leaf


def test_closure_runs_with_grad_enabled_and_loss_is_returned():
    w = graphgrad.tensor([3.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    seen = []

    def closure():
        seen.append(graphgrad.is_grad_enabled())
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with graphgrad.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and loss.item() == 9.0 and w.item() == 0.0
    assert opt.step() is None


# --- zero_grad, groups, errors ---------------------------------------------------------------------
def test_zero_grad_to_none_and_to_zero():
    w = graphgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_add_param_group_and_defaults():
    a, b = graphgrad.zeros(2, requires_grad=True), graphgrad.zeros(3, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is b
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_named_parameters_are_accepted():
    a = graphgrad.zeros(2, requires_grad=True)
    opt = optim.Adam([("a", a)])
    assert opt.param_groups[0]["param_names"] == ["a"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["a"]


@pytest.mark.parametrize(
    ("make", "exc"),
    [
        (lambda o, p: o.SGD([], lr=0.1), ValueError),
        (lambda o, p: o.SGD(p, lr=-1), ValueError),
        (lambda o, p: o.Adam(p, lr=-1), ValueError),
        (lambda o, p: o.Adam(p, betas=(1.0, 0.999)), ValueError),
        (lambda o, p: o.Adam(p, betas=(0.9, -0.1)), ValueError),
        (lambda o, p: o.Adam(p, eps=-1.0), ValueError),
        (lambda o, p: o.AdamW(p, weight_decay=-0.1), ValueError),
        (lambda o, p: o.SGD(p, lr=0.1, momentum=-0.5), ValueError),
        (lambda o, p: o.SGD(p, lr=0.1, nesterov=True), ValueError),
        (lambda o, p: o.RMSprop(p, alpha=-0.1), ValueError),
        (lambda o, p: o.RMSprop(p, momentum=-0.1), ValueError),
        (lambda o, p: o.Adagrad(p, lr_decay=-1), ValueError),
        (lambda o, p: o.Adagrad(p, initial_accumulator_value=-1), ValueError),
        (lambda o, p: o.SGD(p[0], lr=0.1), TypeError),
        (lambda o, p: o.SGD(p, lr=0.1).add_param_group({"params": set(p)}), TypeError),
        (lambda o, p: o.SGD(p, lr=0.1).add_param_group([p[0]]), TypeError),
        (lambda o, p: o.SGD([p[0] * 2], lr=0.1), ValueError),
        (lambda o, p: o.SGD([1.0], lr=0.1), TypeError),
        (lambda o, p: o.SGD([("a", p[0]), p[1]], lr=0.1), ValueError),
        (lambda o, p: o.Adadelta(p, rho=1.5), ValueError),
        (lambda o, p: o.Adadelta(p, lr=-1, rho=1.5), ValueError),
        (lambda o, p: o.Adadelta(p, eps=-1), ValueError),
        (lambda o, p: o.Adamax(p, betas=(0.9, 1.0)), ValueError),
        (lambda o, p: o.NAdam(p, momentum_decay=-1), ValueError),
        (lambda o, p: o.NAdam(p, weight_decay=-1, momentum_decay=-1), ValueError),
        (lambda o, p: o.RAdam(p, betas=(-0.1, 0.9)), ValueError),
        (lambda o, p: o.Rprop(p, etas=(1.5, 1.2)), ValueError),
        (lambda o, p: o.Rprop(p, etas=(0.5, 0.9)), ValueError),
        (lambda o, p: o.ASGD(p, weight_decay=-1), ValueError),
        (lambda o, p: o.LBFGS(p, lr=-1), ValueError),
        (lambda o, p: o.LBFGS([{"params": [p[0]]}, {"params": [p[1]]}]), ValueError),
    ],
)
def test_errors_match_torch(torch_ref, make, exc):
    g_params = [graphgrad.zeros(2, requires_grad=True), graphgrad.zeros(2, requires_grad=True)]
    t_params = [torch_ref.zeros(2, requires_grad=True), torch_ref.zeros(2, requires_grad=True)]
    with pytest.raises(exc) as g_info:
        make(optim, g_params)
    with pytest.raises(exc) as t_info:
        make(torch_ref.optim, t_params)
    assert str(g_info.value) == str(t_info.value)


def test_invalid_learning_rate_text():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1$"):
        optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=-1)
    with pytest.raises(ValueError, match=r"^optimizer got an empty parameter list$"):
        optim.Adam([])


def test_duplicate_parameters_warn():
    a = graphgrad.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([a, a], lr=0.1)


# --- state_dict -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cfg"), [CASES[1], CASES[7], CASES[12], CASES[15]],
                         ids=[IDS[1], IDS[7], IDS[12], IDS[15]])
def test_state_dict_round_trip_continues_identically(rng, name, cfg):
    """Stop after 3 steps, load the state into a fresh optimizer on copies, continue: same result."""
    params = [graphgrad.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in SHAPES]
    grads = [[graphgrad.tensor(rng.standard_normal(s).astype(np.float32)) for s in SHAPES] for _ in range(6)]
    opt = getattr(optim, name)(params, **cfg)

    def step(o, ps, gs):
        for p, g in zip(ps, gs):
            p.grad = g.clone()
        o.step()

    for i in range(3):
        step(opt, params, grads[i])
    sd = opt.state_dict()
    copies = [graphgrad.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    opt2 = getattr(optim, name)(copies, **cfg)
    opt2.load_state_dict(copy.deepcopy(sd))
    for i in range(3, 6):
        step(opt, params, grads[i])
        step(opt2, copies, grads[i])
    for p, c in zip(params, copies):
        np.testing.assert_array_equal(_np(p), _np(c))


NEW_OPTIMIZER_CASES = [(name, CONFIGS[name][1]) for name in ("Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD")]


@pytest.mark.parametrize(("name", "cfg"), NEW_OPTIMIZER_CASES, ids=[n for n, _ in NEW_OPTIMIZER_CASES])
def test_state_dict_from_torch_continues_like_torch(torch_ref, rng, name, cfg):
    """Three steps in PyTorch, its state_dict loaded into graphgrad (tensors converted), three more in both."""
    g_params, t_params, _, t_opt = _run_both(torch_ref, name, cfg, rng, steps=3)
    sd = t_opt.state_dict()
    converted = {
        "state": {i: {k: graphgrad.tensor(v.numpy()) if hasattr(v, "numpy") else v for k, v in st.items()}
                  for i, st in sd["state"].items()},
        "param_groups": copy.deepcopy(sd["param_groups"]),
    }
    g_opt = getattr(optim, name)(g_params, **cfg)
    g_opt.load_state_dict(converted)
    for _ in range(3):
        grads = [rng.standard_normal(p.shape).astype(np.float32) for p in t_params]
        for gp, tp, gr in zip(g_params, t_params, grads):
            gp.grad, tp.grad = graphgrad.tensor(gr), torch_ref.tensor(gr)
        g_opt.step()
        t_opt.step()
    for gp, tp in zip(g_params, t_params):
        np.testing.assert_allclose(_np(gp), _np(tp), rtol=1e-5, atol=1e-6)
    _assert_state_equal(g_opt.state_dict()["state"], t_opt.state_dict()["state"])


def test_state_dict_layout_matches_torch(torch_ref):
    a, b, c = (graphgrad.zeros(2, requires_grad=True) for _ in range(3))
    ta, tb, tc = (torch_ref.zeros(2, requires_grad=True) for _ in range(3))
    g_opt = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    t_opt = torch_ref.optim.SGD([{"params": [ta, tb]}, {"params": [tc], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p in (a, c):
        p.grad = graphgrad.ones(2)
    for p in (ta, tc):
        p.grad = torch_ref.ones(2)
    g_opt.step()
    t_opt.step()
    g_sd, t_sd = g_opt.state_dict(), t_opt.state_dict()
    assert list(g_sd) == list(t_sd) == ["state", "param_groups"]
    assert g_sd["param_groups"] == t_sd["param_groups"]
    assert [g["params"] for g in g_sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(g_sd["state"]) == sorted(t_sd["state"]) == [0, 2]
    _assert_state_equal(g_sd["state"], t_sd["state"])


def test_load_state_dict_errors_and_casts():
    a = graphgrad.zeros(2, requires_grad=True)
    opt = optim.Adam([a])
    a.grad = graphgrad.ones(2)
    opt.step()
    sd = opt.state_dict()
    two = optim.Adam([graphgrad.zeros(2, requires_grad=True), graphgrad.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        two.load_state_dict(sd)
    groups = optim.Adam([{"params": [graphgrad.zeros(2, requires_grad=True)]},
                         {"params": [graphgrad.zeros(2, requires_grad=True)]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        groups.load_state_dict(sd)
    # floating state follows the parameter's dtype; step keeps its own; no aliasing with the dict
    d = graphgrad.zeros(2, dtype=graphgrad.float64, requires_grad=True)
    opt64 = optim.Adam([d])
    opt64.load_state_dict(sd)
    st = opt64.state[d]
    assert st["exp_avg"].dtype == graphgrad.float64 and st["step"].dtype == graphgrad.float32
    assert st["exp_avg"] is not sd["state"][0]["exp_avg"]


def test_load_old_style_plain_number_step():
    a = graphgrad.zeros(2, requires_grad=True)
    opt = optim.Adam([a])
    sd = {"state": {0: {"step": 3, "exp_avg": graphgrad.zeros(2), "exp_avg_sq": graphgrad.zeros(2)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(sd)
    assert isinstance(opt.state[a]["step"], graphgrad.Tensor) and opt.state[a]["step"].item() == 3.0


def test_state_is_keyed_by_parameter():
    a = graphgrad.zeros(2, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = graphgrad.ones(2)
    opt.step()
    assert list(opt.state) == [a] and "momentum_buffer" in opt.state[a]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repr(opt)


# --- with graphgrad.nn models ---------------------------------------------------------------------
def _copy_torch_weights(g_model, t_model):
    with graphgrad.no_grad():
        for (gn, gp), (tn, tp) in zip(g_model.named_parameters(), t_model.named_parameters()):
            assert gn == tn
            gp.copy_(graphgrad.tensor(tp.detach().numpy()))


@pytest.mark.parametrize(("name", "cfg"), [CASES[2], CASES[6], CASES[11], CASES[14], CASES[18]],
                         ids=[IDS[2], IDS[6], IDS[11], IDS[14], IDS[18]])
def test_nn_model_training_matches_torch(torch_ref, rng, name, cfg):
    import graphgrad.nn as nn

    torch_ref.manual_seed(0)
    t_model = torch_ref.nn.Sequential(torch_ref.nn.Linear(5, 8), torch_ref.nn.ReLU(), torch_ref.nn.Linear(8, 3))
    g_model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    _copy_torch_weights(g_model, t_model)
    x = rng.standard_normal((16, 5)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    g_opt = getattr(optim, name)(g_model.parameters(), **cfg)
    t_opt = getattr(torch_ref.optim, name)(t_model.parameters(), **cfg)
    g_loss_fn, t_loss_fn = nn.CrossEntropyLoss(), torch_ref.nn.CrossEntropyLoss()
    runs = ((g_model, g_opt, g_loss_fn, graphgrad), (t_model, t_opt, t_loss_fn, torch_ref))
    for _ in range(5):
        for model, opt, loss_fn, lib in runs:
            opt.zero_grad()
            loss_fn(model(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
    for gp, tp in zip(g_model.parameters(), t_model.parameters()):
        np.testing.assert_allclose(_np(gp), _np(tp), rtol=1e-4, atol=1e-6)
    assert g_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]
    _assert_state_equal(g_opt.state_dict()["state"], t_opt.state_dict()["state"])


# --- hooks --------------------------------------------------------------------------------------------
def _hook_trace(lib):
    """Run one scenario with every kind of optimizer hook; return what the hooks saw, in order."""
    seen = []
    w = lib.tensor([1.0, -1.0], requires_grad=True)
    opt = lib.optim.Adam([w], lr=0.1)
    optimizer_module = importlib.import_module(lib.__name__ + ".optim.optimizer")
    handles = [
        optimizer_module.register_optimizer_step_pre_hook(lambda o, a, k: seen.append(("global-pre", len(a)))),
        optimizer_module.register_optimizer_step_post_hook(lambda o, a, k: seen.append(("global-post", len(a)))),
        opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", a[0] is o, len(a), sorted(k)))),
        opt.register_step_post_hook(lambda o, a, k: seen.append(("post", len(a)))),
        opt.register_state_dict_pre_hook(lambda o: seen.append("sd-pre")),
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1}),
        opt.register_state_dict_post_hook(lambda o, sd: seen.append(("sd-first", sorted(sd))), prepend=True),
        opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items() if k != "extra"}),
        opt.register_load_state_dict_post_hook(lambda o: seen.append("load-post")),
    ]
    w.grad = lib.tensor([0.5, 0.5])
    opt.step()
    sd = opt.state_dict()
    seen.append(sorted(sd))
    opt.load_state_dict(sd)
    for handle in handles:
        handle.remove()
    opt.step()
    opt.state_dict()
    seen.append(w.detach().numpy().round(6).tolist())
    return seen


def test_hooks_run_as_in_torch(torch_ref):
    assert _hook_trace(graphgrad) == _hook_trace(torch_ref)


def test_step_pre_hook_can_replace_arguments_and_bad_returns_raise(torch_ref):
    for lib in (graphgrad, torch_ref):
        w = lib.tensor([2.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.5)

        def closure(opt=opt, w=w):
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss

        handle = opt.register_step_pre_hook(lambda o, a, k, closure=closure: ((o, closure), {}))
        assert float(opt.step()) == 4.0  # the hook supplied the closure
        handle.remove()
        opt.register_step_pre_hook(lambda o, a, k: 5)
        with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, new_kwargs\), but got 5\."):
            opt.step()


def test_subclass_calling_super_step_runs_hooks_once():
    class Counting(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    w = graphgrad.tensor([1.0], requires_grad=True)
    opt = Counting([w], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append(1))
    w.grad = graphgrad.ones(1)
    opt.step()
    assert calls == [1]
