"""graphgrad.optim.lr_scheduler against torch.optim.lr_scheduler: the same learning rates, step by step."""

import math
import warnings

import numpy as np
import pytest

import graphgrad
from graphgrad import optim
from graphgrad.optim import lr_scheduler

N_STEPS = 40


def _optimizer(lib_optim, tensor_fn, name="SGD", two_groups=True, **kw):
    a, b = tensor_fn(), tensor_fn()
    groups = [{"params": [a]}, {"params": [b], "lr": 0.03}] if two_groups else [a]
    defaults = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.01)}[name]
    defaults.update(kw)
    return getattr(lib_optim, name)(groups, **defaults)


SCHEDULERS = [
    ("StepLR", dict(step_size=5), "SGD"),
    ("StepLR", dict(step_size=3, gamma=0.5), "Adam"),
    ("MultiStepLR", dict(milestones=[3, 10, 10, 25], gamma=0.3), "SGD"),
    ("ExponentialLR", dict(gamma=0.9), "SGD"),
    ("CosineAnnealingLR", dict(T_max=10), "SGD"),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001), "Adam"),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e), "SGD"),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.5 if e % 2 else 1.0]), "SGD"),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=N_STEPS), "SGD"),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=N_STEPS, anneal_strategy="linear"), "SGD"),
    ("OneCycleLR", dict(max_lr=0.01, epochs=4, steps_per_epoch=10, three_phase=True, pct_start=0.25), "Adam"),
    ("OneCycleLR", dict(max_lr=0.05, total_steps=N_STEPS, cycle_momentum=False, div_factor=10.0), "Adam"),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9 if e % 3 else 1.1), "SGD"),
    ("ConstantLR", dict(), "SGD"),
    ("ConstantLR", dict(factor=0.2, total_iters=7), "Adam"),
    ("LinearLR", dict(), "SGD"),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.6, total_iters=13), "Adam"),
    ("PolynomialLR", dict(), "SGD"),
    ("PolynomialLR", dict(total_iters=30, power=2.5), "Adam"),
    ("CosineAnnealingWarmRestarts", dict(T_0=5), "SGD"),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.002), "Adam"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4), "SGD"),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.2, step_size_up=3, step_size_down=5, mode="triangular2"),
     "SGD"),
    ("CyclicLR", dict(base_lr=0.001, max_lr=0.01, step_size_up=6, mode="exp_range", gamma=0.97,
                      base_momentum=0.7, max_momentum=0.95), "Adam"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.05, step_size_up=4, scale_fn=lambda x: 0.8**x,
                      scale_mode="iterations", cycle_momentum=False), "Adam"),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(SCHEDULERS)]


def _group_state(opt):
    return [{k: v for k, v in g.items() if k not in ("params",)} for g in opt.param_groups]


@pytest.mark.parametrize(("name", "kw", "opt_name"), SCHEDULERS, ids=IDS)
def test_learning_rates_match_torch(torch_ref, name, kw, opt_name):
    g_opt = _optimizer(optim, lambda: graphgrad.zeros(2, requires_grad=True), opt_name)
    t_opt = _optimizer(torch_ref.optim, lambda: torch_ref.zeros(2, requires_grad=True), opt_name)
    g_s = getattr(lr_scheduler, name)(g_opt, **kw)
    t_s = getattr(torch_ref.optim.lr_scheduler, name)(t_opt, **kw)
    g_lrs, t_lrs = [g_s.get_last_lr()], [t_s.get_last_lr()]
    g_groups, t_groups = [_group_state(g_opt)], [_group_state(t_opt)]
    steps = N_STEPS if name != "OneCycleLR" else g_s.total_steps - 1
    for _ in range(steps):
        g_opt.step()
        t_opt.step()
        g_s.step()
        t_s.step()
        g_lrs.append(g_s.get_last_lr())
        t_lrs.append(t_s.get_last_lr())
        g_groups.append(_group_state(g_opt))
        t_groups.append(_group_state(t_opt))
    # the recursive formulas are the same float operations: equal, not just close
    assert g_lrs == t_lrs
    assert g_groups == t_groups  # lr, initial_lr, momentum / betas (OneCycleLR), max_lr, ...
    assert g_s.last_epoch == t_s.last_epoch


def test_onecycle_rejects_steps_past_the_end(torch_ref):
    for lib_optim, make in ((optim, graphgrad.zeros), (torch_ref.optim, torch_ref.zeros)):
        opt = lib_optim.SGD([make(1, requires_grad=True)], lr=0.1, momentum=0.9)
        sched = lib_optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
            opt.step()
            sched.step()


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(mode="max", factor=0.5, patience=2),
        dict(patience=1, threshold=0.1, threshold_mode="abs", cooldown=2),
        dict(patience=0, factor=0.2, min_lr=[0.01, 0.001]),
        dict(mode="max", patience=1, threshold_mode="abs", threshold=0.05, cooldown=1, min_lr=0.02, eps=1e-3),
    ],
)
def test_reduce_on_plateau_matches_torch(torch_ref, kw):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.94, 0.99, 0.8, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.71, 0.72, 0.73, 0.74,
               0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.61, 0.62, 0.63, 0.64, 0.9, 1.0, 1.1, 1.2, 0.5, 0.5, 0.5, 0.5]
    g_opt = _optimizer(optim, lambda: graphgrad.zeros(2, requires_grad=True))
    t_opt = _optimizer(torch_ref.optim, lambda: torch_ref.zeros(2, requires_grad=True))
    g_s = lr_scheduler.ReduceLROnPlateau(g_opt, **kw)
    t_s = torch_ref.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kw)
    assert g_s.get_last_lr() == t_s.get_last_lr()
    for i, m in enumerate(metrics):
        g_s.step(graphgrad.tensor(m) if i % 2 else m)  # a 0-dim tensor works as a metric too
        t_s.step(torch_ref.tensor(m) if i % 2 else m)
        assert g_s.get_last_lr() == t_s.get_last_lr(), f"after metric {i}"
        assert (g_s.best, g_s.num_bad_epochs, g_s.cooldown_counter) == (t_s.best, t_s.num_bad_epochs,
                                                                        t_s.cooldown_counter)
    assert len(metrics) >= 30


def test_reduce_on_plateau_errors():
    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match=r"Factor should be < 1\.0\."):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode maximum is unknown!"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="maximum")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])


def test_cosine_closed_form_and_epoch_argument(torch_ref):
    """``step(epoch)`` (deprecated) uses the closed form, with the same warning as PyTorch."""
    g_opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1)
    t_opt = torch_ref.optim.SGD([torch_ref.zeros(1, requires_grad=True)], lr=0.1)
    g_s = lr_scheduler.CosineAnnealingLR(g_opt, T_max=10, eta_min=0.01)
    t_s = torch_ref.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max=10, eta_min=0.01)
    for epoch in (3, 7, 12):
        g_opt.step()
        t_opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            g_s.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_s.step(epoch)
        assert g_s.get_last_lr() == t_s.get_last_lr()
    assert math.isclose(g_s.get_last_lr()[0], 0.01 + 0.09 * (1 + math.cos(math.pi * 12 / 10)) / 2)


CLOSED_FORMS = {
    "StepLR": dict(step_size=3), "MultiStepLR": dict(milestones=[2, 5, 5]), "ExponentialLR": dict(gamma=0.8),
    "ConstantLR": dict(factor=0.5, total_iters=5), "LinearLR": dict(start_factor=0.2, total_iters=5),
    "PolynomialLR": dict(total_iters=8, power=1.5),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_closed_forms_match_torch(torch_ref, name):
    kw = CLOSED_FORMS
    g_opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1)
    t_opt = torch_ref.optim.SGD([torch_ref.zeros(1, requires_grad=True)], lr=0.1)
    g_s = getattr(lr_scheduler, name)(g_opt, **kw[name])
    t_s = getattr(torch_ref.optim.lr_scheduler, name)(t_opt, **kw[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (4, 6, 1):
            g_s.step(epoch)
            t_s.step(epoch)
            assert g_s.get_last_lr() == t_s.get_last_lr()


def test_warns_when_scheduler_steps_before_optimizer(torch_ref):
    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1)
    sched2 = lr_scheduler.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_get_lr_outside_step_warns():
    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_state_dict_round_trip_and_keys_match_torch(torch_ref):
    g_opt = _optimizer(optim, lambda: graphgrad.zeros(1, requires_grad=True))
    t_opt = _optimizer(torch_ref.optim, lambda: torch_ref.zeros(1, requires_grad=True))
    g_s = lr_scheduler.MultiStepLR(g_opt, milestones=[2, 4], gamma=0.5)
    t_s = torch_ref.optim.lr_scheduler.MultiStepLR(t_opt, milestones=[2, 4], gamma=0.5)
    for _ in range(3):
        g_opt.step()
        g_s.step()
        t_opt.step()
        t_s.step()
    g_sd, t_sd = g_s.state_dict(), t_s.state_dict()
    assert sorted(g_sd) == sorted(t_sd)
    assert {k: v for k, v in g_sd.items()} == {k: v for k, v in t_sd.items()}

    # resume: a fresh optimizer + scheduler continue exactly where the first left off
    g_opt2 = _optimizer(optim, lambda: graphgrad.zeros(1, requires_grad=True))
    g_s2 = lr_scheduler.MultiStepLR(g_opt2, milestones=[99], gamma=0.9)
    g_s2.load_state_dict(g_sd)
    g_opt2.load_state_dict(g_opt.state_dict())
    for _ in range(3):
        g_opt.step()
        g_s.step()
        g_opt2.step()
        g_s2.step()
        assert g_s2.get_last_lr() == g_s.get_last_lr()


def test_lambda_lr_state_dict_skips_functions_but_keeps_callable_objects():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    opt = optim.SGD([{"params": [graphgrad.zeros(1, requires_grad=True)]},
                     {"params": [graphgrad.zeros(1, requires_grad=True)]}], lr=0.1)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, Decay(0.5)])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.5}]
    sd["lr_lambdas"][1] = {"rate": 0.25}
    sched.load_state_dict(sd)
    assert sched.lr_lambdas[1].rate == 0.25
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])


def test_scheduler_errors():
    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        lr_scheduler.StepLR(opt, step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.OneCycleLR(optim.Adagrad([graphgrad.zeros(1, requires_grad=True)]), max_lr=1.0,
                                total_steps=5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got x"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="x")


def test_scheduled_sgd_training_matches_torch(torch_ref, rng):
    """Optimizer + scheduler in one loop: the parameters follow PyTorch's."""
    w0 = rng.standard_normal(4).astype(np.float32)
    grads = rng.standard_normal((12, 4)).astype(np.float32)

    def run(lib):
        w = lib.tensor(w0, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=12)
        for g in grads:
            w.grad = lib.tensor(g)
            opt.step()
            sched.step()
        return w.detach().numpy().copy()

    np.testing.assert_allclose(run(graphgrad), run(torch_ref), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "kw"),
    [("StepLR", dict(step_size=2)), ("MultiStepLR", dict(milestones=[1, 3])), ("ExponentialLR", dict(gamma=0.5)),
     ("CosineAnnealingLR", dict(T_max=3)), ("LambdaLR", dict(lr_lambda=lambda e: 0.5)),
     ("OneCycleLR", dict(max_lr=1.0, total_steps=5)), ("ReduceLROnPlateau", dict()),
     ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.5)), ("ConstantLR", dict()), ("LinearLR", dict()),
     ("PolynomialLR", dict(power=2.0)), ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=2)),
     ("CyclicLR", dict(base_lr=0.01, max_lr=0.1)), ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, cycle_momentum=False))],
)
def test_every_state_dict_matches_torch(torch_ref, name, kw):
    sds = []
    for lib in (graphgrad, torch_ref):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kw)
        opt.step()
        sched.step(*([1.0] if name == "ReduceLROnPlateau" else []))
        sds.append(sched.state_dict())
    assert sds[0] == sds[1]


# --- the composites and warm restarts -------------------------------------------------------------
def _both(torch_ref, build, opt_name="SGD"):
    """``build(lib, optimizer)`` for graphgrad and torch; returns [(optimizer, scheduler)] for each."""
    pairs = []
    for lib, make in ((graphgrad, graphgrad.zeros), (torch_ref, torch_ref.zeros)):
        opt = _optimizer(lib.optim, lambda make=make: make(2, requires_grad=True), opt_name)
        pairs.append((opt, build(lib.optim.lr_scheduler, opt)))
    return pairs


def _step_both(pairs, steps):
    history = [[s.get_last_lr() for _, s in pairs]]
    for _ in range(steps):
        for opt, sched in pairs:
            opt.step()
            sched.step()
        history.append([s.get_last_lr() for _, s in pairs])
    return history


COMPOSITES = {
    "warmup-then-cosine": lambda ls, o: ls.SequentialLR(
        o, [ls.LinearLR(o, start_factor=0.1, total_iters=4), ls.CosineAnnealingLR(o, T_max=10)], milestones=[4]),
    "three-phases": lambda ls, o: ls.SequentialLR(
        o, [ls.ConstantLR(o, factor=0.5, total_iters=3), ls.ExponentialLR(o, gamma=0.9),
            ls.StepLR(o, step_size=4, gamma=0.5)], milestones=[5, 12]),
    "chained": lambda ls, o: ls.ChainedScheduler(
        [ls.ConstantLR(o, factor=0.1, total_iters=3), ls.ExponentialLR(o, gamma=0.9)]),
    "chained-with-optimizer": lambda ls, o: ls.ChainedScheduler(
        [ls.LinearLR(o, start_factor=0.5, total_iters=6), ls.MultiStepLR(o, milestones=[4, 9])], optimizer=o),
    "chained-of-sequential": lambda ls, o: ls.ChainedScheduler(
        [ls.SequentialLR(o, [ls.ConstantLR(o, factor=0.3, total_iters=2), ls.ExponentialLR(o, gamma=0.8)],
                         milestones=[3]),
         ls.StepLR(o, step_size=3, gamma=0.5)]),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composites_match_torch(torch_ref, name):
    pairs = _both(torch_ref, COMPOSITES[name])
    for g_lrs, t_lrs in _step_both(pairs, 25):
        assert g_lrs == t_lrs
    (g_opt, g_s), (t_opt, t_s) = pairs
    assert _group_state(g_opt) == _group_state(t_opt)
    g_sd, t_sd = g_s.state_dict(), t_s.state_dict()
    assert sorted(g_sd) == sorted(t_sd)
    assert len(g_sd["_schedulers"]) == len(t_sd["_schedulers"])
    for g_part, t_part in zip(g_sd["_schedulers"], t_sd["_schedulers"]):
        if "_schedulers" not in t_part:
            assert g_part == t_part


def test_sequential_state_dict_round_trip_continues_identically():
    def build(o):
        ls = lr_scheduler
        return ls.SequentialLR(o, [ls.LinearLR(o, start_factor=0.2, total_iters=3), ls.ExponentialLR(o, gamma=0.7)],
                               milestones=[3])

    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=1.0)
    sched = build(opt)
    for _ in range(5):
        opt.step()
        sched.step()
    opt2 = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=1.0)
    sched2 = build(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for _ in range(4):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched.get_last_lr() == sched2.get_last_lr()


@pytest.mark.parametrize(("T_0", "T_mult"), [(4, 1), (3, 2)])
def test_warm_restarts_with_fractional_epochs_match_torch(torch_ref, T_0, T_mult):
    pairs = _both(torch_ref, lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=T_0, T_mult=T_mult, eta_min=1e-3))
    for epoch in [0.5, 1.25, 3.0, 3.9, 7.5, 12.0, 20.1, 2.0]:
        for opt, sched in pairs:
            opt.step()
            sched.step(epoch)
        assert pairs[0][1].get_last_lr() == pairs[1][1].get_last_lr()
        assert pairs[0][1].T_i == pairs[1][1].T_i and pairs[0][1].last_epoch == pairs[1][1].last_epoch


def test_cyclic_custom_scale_fn_state_dict_keeps_callable_objects():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, x):
            return self.rate**x

    fn = Decay()
    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=fn)
    fn.rate = 0.25
    sd = sched.state_dict()
    assert sd["_scale_fn_custom"] == {"rate": 0.25}
    other = Decay()
    sched2 = lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=other)
    sched2.load_state_dict(sd)
    assert other.rate == 0.25
    plain = lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None


@pytest.mark.parametrize(
    "make",
    [
        lambda ls, o: ls.ConstantLR(o, factor=1.5),
        lambda ls, o: ls.LinearLR(o, start_factor=0),
        lambda ls, o: ls.LinearLR(o, end_factor=1.5),
        lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=0),
        lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
        lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
        lambda ls, o: ls.CyclicLR(o, base_lr=0.1, max_lr=1.0, mode="square"),
        lambda ls, o: ls.CyclicLR(o, base_lr=[0.1], max_lr=1.0),
        lambda ls, o: ls.CyclicLR("opt", base_lr=0.1, max_lr=1.0),
        lambda ls, o: ls.CyclicLR(o, base_lr=0.1, max_lr=1.0, base_momentum=[0.8], max_momentum=[0.9]),
        lambda ls, o: ls.OneCycleLR(o, max_lr=1.0, total_steps=5, base_momentum=[0.8], max_momentum=[0.9]),
        lambda ls, o: ls.SequentialLR(o, [], milestones=[]),
        lambda ls, o: ls.SequentialLR(o, [ls.ConstantLR(o), ls.ConstantLR(o)], milestones=[]),
        lambda ls, o: ls.SequentialLR(o, [ls.ReduceLROnPlateau(o)], milestones=[]),
        lambda ls, o: ls.SequentialLR(o, [object()], milestones=[]),
        lambda ls, o: ls.ChainedScheduler([]),
        lambda ls, o: ls.ChainedScheduler([ls.ConstantLR(o), ls.ReduceLROnPlateau(o)]),
    ],
)
def test_new_scheduler_errors_match_torch(torch_ref, make):
    errors = []
    for lib in (graphgrad, torch_ref):
        opt = _optimizer(lib.optim, lambda lib=lib: lib.zeros(2, requires_grad=True))
        with pytest.raises((ValueError, TypeError)) as info:
            make(lib.optim.lr_scheduler, opt)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_schedulers_of_other_optimizers_are_refused_with_torch_text(torch_ref):
    texts = []
    for lib in (graphgrad, torch_ref):
        a = _optimizer(lib.optim, lambda lib=lib: lib.zeros(2, requires_grad=True))
        b = _optimizer(lib.optim, lambda lib=lib: lib.zeros(2, requires_grad=True))
        ls = lib.optim.lr_scheduler
        with pytest.raises(ValueError) as info:
            ls.SequentialLR(a, [ls.ConstantLR(a), ls.ConstantLR(b)], milestones=[2])
        texts.append(str(info.value).split(" has ")[0])
    assert texts[0] == texts[1]


def test_scheduler_classes_have_pytorch_import_paths():
    from graphgrad.optim.lr_scheduler import (  # noqa: F401
        ChainedScheduler,
        ConstantLR,
        CosineAnnealingWarmRestarts,
        CyclicLR,
        LinearLR,
        OneCycleLR,
        PolynomialLR,
        SequentialLR,
    )

    assert set(lr_scheduler.__all__) <= set(dir(lr_scheduler))


@pytest.mark.parametrize(
    "make",
    [lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=2), lambda ls, o: ls.LinearLR(o),
     lambda ls, o: ls.CyclicLR(o, 0.01, 0.1), lambda ls, o: ls.PolynomialLR(o),
     lambda ls, o: ls.SequentialLR(o, [ls.ConstantLR(o), ls.LinearLR(o)], [2]),
     lambda ls, o: ls.ChainedScheduler([ls.ConstantLR(o)])],
    ids=["warm-restarts", "linear", "cyclic", "polynomial", "sequential", "chained"],
)
def test_step_before_optimizer_warns_as_torch(torch_ref, make):
    """The same warnings as PyTorch when the scheduler is stepped first (warm restarts: none, as in PyTorch)."""
    messages = []
    for lib in (graphgrad, torch_ref):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
        sched = make(lib.optim.lr_scheduler, opt)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1]
