"""nn.utils.parametrize against PyTorch: register_parametrization (right_inverse, several parametrizations on one
tensor, several originals, unsafe), the swapped class and its repr, state_dict keys and round trips, cached(),
remove_parametrizations, type_before_parametrizations, transfer_parametrizations_and_params, a training loop step
by step, and the error texts."""

from __future__ import annotations

import copy
import doctest
import importlib
import pickle

import numpy as np
import pytest

import graphgrad
import graphgrad.nn as gnn
from graphgrad.nn.utils import parametrize as gP

from ._outcomes import error_of
from ._side_by_side import as_lib, both, compare, grads, inputs, node, same, state


def _parametrizations(L):
    """PyTorch-style parametrizations, defined once per library (they subclass L.nn.Module)."""
    nn = L.nn

    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):
            return A.triu()

    class Skew(nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.mT

    class Double(nn.Module):
        def forward(self, X):
            return 2 * X

        def right_inverse(self, X):
            return X / 2

    class Square(nn.Module):
        def forward(self, X):
            return X * X

    class RankOne(nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0, :].clone()

    class Flatten(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    class ToDouble(nn.Module):
        def forward(self, X):
            return X.double()

    class NotATensor(nn.Module):
        def forward(self, X):
            return 1.0

    return dict(Symmetric=Symmetric, Skew=Skew, Double=Double, Square=Square, RankOne=RankOne, Flatten=Flatten,
                ToDouble=ToDouble, NotATensor=NotATensor)


def _linear(L, n_in=4, n_out=4):
    m = L.nn.Linear(n_in, n_out)
    with L.no_grad():  # the same starting weights in both libraries
        m.weight.copy_(inputs(L, n_out, n_in, seed=3))
        m.bias.copy_(inputs(L, n_out, seed=4))
    return m


def test_register_swaps_the_class_and_reads_through_the_parametrization(torch_ref):
    def run(L):
        P = L.nn.utils.parametrize
        m = _linear(L)
        w0 = m.weight
        out = P.register_parametrization(m, "weight", _parametrizations(L)["Symmetric"]())
        x = inputs(L, 3, 4)
        y = m(x)
        y.pow(2).sum().backward()
        return dict(same_module=out is m, cls=type(m).__name__, base=P.type_before_parametrizations(m).__name__,
                    is_p=P.is_parametrized(m), is_p_w=P.is_parametrized(m, "weight"),
                    is_p_b=P.is_parametrized(m, "bias"),
                    original_is_weight=m.parametrizations.weight.original is w0, repr=repr(m),
                    weight=m.weight, node=node(m.weight), y=y, grads=grads(m), keys=list(m.state_dict()),
                    params=[n for n, _ in m.named_parameters()], plist=type(m.parametrizations.weight).__name__,
                    isinstance=isinstance(m, L.nn.Linear), unsafe=m.parametrizations.weight.unsafe,
                    is_tensor=m.parametrizations.weight.is_tensor, ntensors=m.parametrizations.weight.ntensors,
                    version=w0._version)

    g = compare(run, torch_ref)
    assert g["cls"] == "ParametrizedLinear" and g["keys"] == ["bias", "parametrizations.weight.original"]
    assert gP.type_before_parametrizations(gnn.Linear(2, 2)) is gnn.Linear


def test_assignment_runs_the_right_inverse(torch_ref):
    def run(L):
        ps = _parametrizations(L)
        m = _linear(L)
        L.nn.utils.parametrize.register_parametrization(m, "weight", ps["Double"]())
        L.nn.utils.parametrize.register_parametrization(m, "weight", ps["Symmetric"]())
        original = m.parametrizations.weight.original
        A = inputs(L, 4, 4, seed=7)
        m.weight = A + A.T
        return dict(weight=m.weight, original=original, kept=m.parametrizations.weight.original is original,
                    n=len(m.parametrizations.weight), node=node(m.weight), version=original._version)

    compare(run, torch_ref)


def test_several_parametrizations_chain_in_order(torch_ref):
    def run(L):
        ps = _parametrizations(L)
        m = _linear(L)
        P = L.nn.utils.parametrize
        P.register_parametrization(m, "weight", ps["Skew"]())
        P.register_parametrization(m, "weight", ps["Square"]())
        P.register_parametrization(m, "weight", ps["Double"]())
        x = inputs(L, 2, 4)
        m(x).sum().backward()
        return dict(weight=m.weight, grads=grads(m), repr=repr(m), keys=list(m.state_dict()), node=node(m.weight))

    compare(run, torch_ref)


def test_several_originals(torch_ref):
    def run(L):
        m = _linear(L)
        L.nn.utils.parametrize.register_parametrization(m, "weight", _parametrizations(L)["RankOne"]())
        pl = m.parametrizations.weight
        m(inputs(L, 2, 4)).sum().backward()
        sd, meta = state(m)
        return dict(weight=m.weight, sd=sd, meta=meta, grads=grads(m), is_tensor=pl.is_tensor, ntensors=pl.ntensors,
                    has_original=hasattr(pl, "original"), o0=type(pl.original0).__name__, node=node(m.weight),
                    requires_grad=pl.original1.requires_grad)

    g = compare(run, torch_ref)
    assert list(g["sd"]) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]


def test_a_buffer_can_be_parametrized(torch_ref):
    def run(L):
        m = L.nn.BatchNorm1d(3)
        m.running_var.copy_(L.tensor([1.0, 2.0, 3.0]))
        L.nn.utils.parametrize.register_parametrization(m, "running_var", _parametrizations(L)["Double"]())
        m.eval()
        y = m(inputs(L, 4, 3))
        return dict(var=m.running_var, y=y, keys=list(m.state_dict()), buffers=[n for n, _ in m.named_buffers()],
                    original=m.parametrizations.running_var.original)

    compare(run, torch_ref)


def test_unsafe_lets_the_shape_and_dtype_change(torch_ref):
    def run(L):
        ps = _parametrizations(L)
        m = _linear(L, 3, 2)
        L.nn.utils.parametrize.register_parametrization(m, "weight", ps["Flatten"](), unsafe=True)
        L.nn.utils.parametrize.register_parametrization(m, "bias", ps["ToDouble"](), unsafe=True)
        return dict(w=m.weight, b=m.bias, unsafe=m.parametrizations.weight.unsafe)

    compare(run, torch_ref)


def test_cached_computes_each_tensor_once(torch_ref):
    def run(L):
        P = L.nn.utils.parametrize
        calls = []

        class Counted(L.nn.Module):
            def forward(self, X):
                calls.append(1)
                return X * 3

        m = _linear(L)
        P.register_parametrization(m, "weight", Counted())
        calls.clear()
        with P.cached():
            a, b = m.weight, m.weight
            with P.cached():
                c = m.weight
            d = m.weight
        e = m.weight
        return dict(calls=len(calls), same=a is b and a is c and a is d, fresh=e is not a, value=a)

    g = compare(run, torch_ref)
    assert g["calls"] == 2 and g["same"]


@pytest.mark.parametrize("leave_parametrized", [True, False])
def test_remove_parametrizations(torch_ref, leave_parametrized):
    def run(L):
        P = L.nn.utils.parametrize
        m = _linear(L)
        w0 = m.weight
        P.register_parametrization(m, "weight", _parametrizations(L)["Symmetric"]())
        P.register_parametrization(m, "bias", _parametrizations(L)["Double"]())
        P.remove_parametrizations(m, "weight", leave_parametrized=leave_parametrized)
        mid = dict(cls=type(m).__name__, still=P.is_parametrized(m), weight=m.weight, kept=m.weight is w0,
                   is_param=isinstance(m.weight, L.nn.Parameter), keys=list(m.state_dict()))
        out = P.remove_parametrizations(m, "bias", leave_parametrized=leave_parametrized)
        return dict(mid=mid, out=out is m, cls=type(m).__name__, has=hasattr(m, "parametrizations"), bias=m.bias,
                    keys=list(m.state_dict()), repr=repr(m), params=[n for n, _ in m.named_parameters()],
                    version=w0._version)

    compare(run, torch_ref)


def test_remove_several_originals(torch_ref):
    def run(L):
        P = L.nn.utils.parametrize
        m = _linear(L)
        P.register_parametrization(m, "weight", _parametrizations(L)["RankOne"]())
        err = error_of(lambda: P.remove_parametrizations(m, "weight", leave_parametrized=False))
        P.remove_parametrizations(m, "weight")
        return dict(err=err, weight=m.weight, is_param=isinstance(m.weight, L.nn.Parameter), keys=list(m.state_dict()))

    compare(run, torch_ref)


def test_state_dict_round_trip_and_from_torch(torch_ref):
    def build(L):
        m = L.nn.Sequential(_linear(L), L.nn.ReLU(), _linear(L, 4, 2))
        L.nn.utils.parametrize.register_parametrization(m[0], "weight", _parametrizations(L)["Symmetric"]())
        L.nn.utils.parametrize.register_parametrization(m[2], "weight", _parametrizations(L)["RankOne"]())
        return m

    t = build(torch_ref)
    with torch_ref.no_grad():
        for p in t.parameters():
            p.mul_(0.5).add_(0.1)
    g = build(graphgrad)
    assert list(g.state_dict()) == list(t.state_dict())
    assert g.state_dict()._metadata == t.state_dict()._metadata
    assert repr(g.load_state_dict(as_lib(graphgrad, t.state_dict()))) == "<All keys matched successfully>"
    x = inputs(graphgrad, 3, 4)
    same(g(x), t(inputs(torch_ref, 3, 4)))
    fresh = build(graphgrad)
    fresh.load_state_dict(g.state_dict())
    same(fresh(x), t(inputs(torch_ref, 3, 4)))
    assert error_of(lambda: fresh.load_state_dict({"0.weight": graphgrad.zeros(4, 4)})) == error_of(
        lambda: build(torch_ref).load_state_dict({"0.weight": torch_ref.zeros(4, 4)}))


def test_training_loop_matches_step_by_step(torch_ref):
    def run(L):
        ps = _parametrizations(L)
        model = L.nn.Sequential(_linear(L), L.nn.Tanh(), _linear(L, 4, 1))
        L.nn.utils.parametrize.register_parametrization(model[0], "weight", ps["Symmetric"]())
        L.nn.utils.parametrize.register_parametrization(model[2], "weight", ps["Double"]())
        opt = L.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = inputs(L, 8, 4, seed=5), inputs(L, 8, 1, seed=6)
        record = []
        for _ in range(5):
            opt.zero_grad()
            with L.nn.utils.parametrize.cached():
                loss = L.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            record.append((loss.detach(), model[0].weight.detach(), model[2].parametrizations.weight.original.detach()))
        return record

    compare(run, torch_ref)


def test_deepcopy_and_pickle(torch_ref):
    def run(L):
        m = _linear(L)
        L.nn.utils.parametrize.register_parametrization(m, "weight", _parametrizations(L)["Double"]())
        c = copy.deepcopy(m)
        err = error_of(lambda: pickle.dumps(m))
        return dict(cls=type(c).__name__, weight=c.weight, separate=c.parametrizations.weight.original
                    is not m.parametrizations.weight.original, err=err, keys=list(c.state_dict()))

    compare(run, torch_ref)


def test_transfer_parametrizations_and_params(torch_ref):
    def run(L):
        P = L.nn.utils.parametrize
        src = _linear(L)
        P.register_parametrization(src, "weight", _parametrizations(L)["Symmetric"]())
        dst = L.nn.Linear(4, 4)
        P.transfer_parametrizations_and_params(src, dst)
        return dict(cls=type(dst).__name__, weight=dst.weight,
                    shared=dst.parametrizations.weight.original is src.parametrizations.weight.original,
                    keys=list(dst.state_dict()), untouched=P.transfer_parametrizations_and_params(L.nn.Linear(2, 2),
                                                                                              dst) is dst)

    compare(run, torch_ref)


def test_errors_match_torch(torch_ref):
    def run(L):
        P = L.nn.utils.parametrize
        ps = _parametrizations(L)

        def fresh():
            return _linear(L, 3, 2)

        def twice_unsafe_shape():
            m = fresh()
            P.register_parametrization(m, "weight", ps["Double"]())
            P.register_parametrization(m, "weight", ps["Flatten"]())

        def twice_unsafe_dtype():
            m = fresh()
            P.register_parametrization(m, "weight", ps["Double"]())
            P.register_parametrization(m, "weight", ps["ToDouble"]())

        def no_right_inverse():
            m = fresh()
            P.register_parametrization(m, "weight", ps["Square"]())
            m.weight = L.ones(2, 3)

        def assign_parameter():
            m = fresh()
            P.register_parametrization(m, "weight", ps["Double"]())
            m.weight = L.nn.Parameter(L.ones(2, 3))

        return [error_of(lambda: P.register_parametrization(fresh(), "nope", ps["Double"]())),
                error_of(lambda: P.register_parametrization(fresh(), "weight", ps["Flatten"]())),
                error_of(lambda: P.register_parametrization(fresh(), "weight", ps["ToDouble"]())),
                error_of(lambda: P.register_parametrization(fresh(), "weight", ps["NotATensor"]())),
                error_of(twice_unsafe_shape), error_of(twice_unsafe_dtype), error_of(no_right_inverse),
                error_of(assign_parameter),
                error_of(lambda: P.remove_parametrizations(fresh(), "weight")),
                error_of(lambda: P.ParametrizationList([], L.ones(2)))]

    g, t = both(run, torch_ref)
    assert g == t


def test_without_torch():
    """The property, the class and the keys, with no reference library."""
    class Double(gnn.Module):
        def forward(self, X):
            return 2 * X

    m = gP.register_parametrization(gnn.Linear(2, 2), "weight", Double())
    np.testing.assert_allclose(m.weight.detach().numpy(), 2 * m.parametrizations.weight.original.detach().numpy())
    assert type(m).__name__ == "ParametrizedLinear" and gP.type_before_parametrizations(m) is gnn.Linear
    gP.remove_parametrizations(m, "weight")
    assert type(m) is gnn.Linear and isinstance(m.weight, gnn.Parameter)


@pytest.mark.parametrize("module", ["parametrize", "parametrizations", "weight_norm", "spectral_norm", "fusion"])
def test_submodules_publish_pytorchs_names(torch_ref, module):
    theirs = importlib.import_module(f"torch.nn.utils.{module}")
    ours = importlib.import_module(f"graphgrad.nn.utils.{module}")
    assert sorted(ours.__all__) == sorted(theirs.__all__)
    assert all(hasattr(ours, name) for name in ours.__all__)


def test_nn_utils_names_are_pytorchs(torch_ref):
    """Every name graphgrad.nn.utils publishes is one of PyTorch's; those it lacks are listed here."""
    missing = {"convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format", "skip_init"}
    assert set(gnn.utils.__all__) == set(torch_ref.nn.utils.__all__) - missing
    assert all(hasattr(gnn.utils, name) for name in gnn.utils.__all__)


@pytest.mark.parametrize("name", ["parametrize", "parametrizations", "weight_norm", "spectral_norm", "fusion",
                                  "convert_parameters", "clip_grad", "stateless"])
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(f"graphgrad.nn.utils.{name}"))
    assert result.failed == 0 and result.attempted > 0
