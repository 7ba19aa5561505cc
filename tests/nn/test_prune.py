"""nn.utils.prune against PyTorch, side by side: every method's mask (amounts as int and float, topk's order on tied
magnitudes, the same random draws for the same seed), importance_scores, the reparametrization (weight_orig,
weight_mask, the weight attribute and its node, the hook in _forward_pre_hooks), state_dict keys and a load into a
pruned model, PruningContainer's chaining, global_unstructured, remove, is_pruned, a training loop step by step, and
the error texts."""

from __future__ import annotations

import copy
import doctest
import math
import re

import numpy as np
import pytest

import graphgrad
import graphgrad.nn.utils.prune as gprune
from graphgrad import _names

from ._outcomes import error_of
from ._side_by_side import compare, grads, inputs, node


@pytest.fixture(autouse=True)
def _torch_prune():
    """PyTorch's ``torch.nn.utils.prune`` is loaded only when imported (graphgrad's comes with ``nn.utils``)."""
    try:
        import torch.nn.utils.prune  # noqa: F401
    except ImportError:
        pass


def _linear(L, n_in=5, n_out=4, dtype=None):
    m = L.nn.Linear(n_in, n_out)
    with L.no_grad():  # the same starting weights in both libraries
        m.weight.copy_(inputs(L, n_out, n_in, seed=3))
        m.bias.copy_(inputs(L, n_out, seed=4))
    return m.to(dtype) if dtype is not None else m


def _conv(L):
    m = L.nn.Conv2d(3, 6, 3)
    with L.no_grad():
        m.weight.copy_(inputs(L, 6, 3, 3, 3, seed=5))
        m.bias.copy_(inputs(L, 6, seed=6))
    return m


def _pruned_state(m, name="weight"):
    """What pruning ``m.<name>`` leaves: names, values, masks, hooks and the pruned attribute's node."""
    hooks = list(m._forward_pre_hooks.values())
    return dict(params=[n for n, _ in m.named_parameters()], buffers=[n for n, _ in m.named_buffers()],
                keys=list(m.state_dict()), value=getattr(m, name), mask=getattr(m, name + "_mask"),
                node=node(getattr(m, name)), in_dict=name in m.__dict__,
                hooks=[type(h).__name__ for h in hooks], tensor_names=[h._tensor_name for h in hooks],
                pruned=int((getattr(m, name) == 0).sum()))


# (function name, arguments after (module, name)) for each way of pruning one tensor
_ONE_TENSOR = [
    ("identity", {}),
    ("random_unstructured", dict(amount=0.3)),
    ("random_unstructured", dict(amount=7)),
    ("random_unstructured", dict(amount=0)),
    ("random_unstructured", dict(amount=1.0)),
    ("l1_unstructured", dict(amount=0.5)),
    ("l1_unstructured", dict(amount=3)),
    ("l1_unstructured", dict(amount=0.0)),
    ("l1_unstructured", dict(amount=0.25)),  # 0.25 * 20 = 5, and round() halves to even elsewhere
    ("random_structured", dict(amount=0.5, dim=0)),
    ("random_structured", dict(amount=2, dim=1)),
    ("random_structured", dict(amount=1, dim=-1)),
    ("ln_structured", dict(amount=0.5, n=2, dim=0)),
    ("ln_structured", dict(amount=2, n=1, dim=1)),
    ("ln_structured", dict(amount=1, n=float("inf"), dim=-1)),
    ("ln_structured", dict(amount=1, n=float("-inf"), dim=0)),
    ("ln_structured", dict(amount=0, n=2, dim=0)),
]


@pytest.mark.parametrize("fn,kwargs", _ONE_TENSOR, ids=[f"{f}-{k}" for f, k in _ONE_TENSOR])
def test_each_method_prunes_as_pytorch(fn, kwargs, torch_ref):
    def run(L):
        m = _linear(L)
        out = getattr(L.nn.utils.prune, fn)(m, "weight", **kwargs)
        y = m(inputs(L, 3, 5))
        y.pow(2).sum().backward()
        return dict(returned_module=out is m, y=y, grads=grads(m), **_pruned_state(m))

    g = compare(run, torch_ref)
    assert g["params"] == ["bias", "weight_orig"] and g["buffers"] == ["weight_mask"] and g["in_dict"]


@pytest.mark.parametrize("fn,kwargs", [("random_structured", dict(amount=3, dim=0)),
                                       ("random_structured", dict(amount=0.4, dim=2)),
                                       ("ln_structured", dict(amount=0.5, n=2, dim=0)),
                                       ("ln_structured", dict(amount=1, n=1, dim=1)),
                                       ("ln_structured", dict(amount=2, n=3, dim=-1)),
                                       ("l1_unstructured", dict(amount=0.3)),
                                       ("random_unstructured", dict(amount=0.6))])
def test_conv_weights(fn, kwargs, torch_ref):
    def run(L):
        m = _conv(L)
        getattr(L.nn.utils.prune, fn)(m, "weight", **kwargs)
        y = m(inputs(L, 2, 3, 5, 5))
        y.sum().backward()
        return dict(y=y, grads=grads(m), **_pruned_state(m))

    compare(run, torch_ref)


def test_the_bias_and_the_weight_each_get_a_hook(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        m = _conv(L)
        P.random_unstructured(m, name="weight", amount=0.3)
        P.l1_unstructured(m, name="bias", amount=3)
        return dict(weight=_pruned_state(m), bias=_pruned_state(m, "bias"))

    g = compare(run, torch_ref)
    assert g["bias"]["hooks"] == ["RandomUnstructured", "L1Unstructured"]
    assert g["bias"]["keys"] == ["weight_orig", "bias_orig", "weight_mask", "bias_mask"]


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_masks_take_the_parameters_dtype(dtype, torch_ref):
    def run(L):
        m = _linear(L, dtype=getattr(L, dtype))
        L.nn.utils.prune.l1_unstructured(m, "weight", amount=0.4)
        L.nn.utils.prune.random_structured(m, "weight", amount=1, dim=0)
        return _pruned_state(m)

    compare(run, torch_ref)


def test_ties_are_broken_in_topks_order(torch_ref):
    """Equal magnitudes: which of them are pruned is what torch.topk picks, for both small and large tensors."""

    def run(L):
        P = L.nn.utils.prune
        out = {}
        for size, amount in [((4, 5), 7), ((40, 50), 0.3), ((3, 300), 450), ((200, 100), 0.55)]:
            m = L.nn.Linear(size[1], size[0])
            with L.no_grad():
                vals = np.random.default_rng(size[0]).integers(-2, 3, size).astype(np.float32)
                m.weight.copy_(L.tensor(vals))
            P.l1_unstructured(m, "weight", amount=amount)
            out[str(size)] = m.weight_mask
        m = L.nn.Linear(6, 8)
        with L.no_grad():
            m.weight.copy_(L.tensor(np.repeat([[1.0], [-1.0], [2.0], [1.0], [-2.0], [1.0], [0.0], [0.0]], 6, 1)))
        P.ln_structured(m, "weight", amount=5, n=1, dim=0)  # equal row norms
        out["rows"] = m.weight_mask
        P.ln_structured(m, "weight", amount=3, n=2, dim=1)  # all columns equal
        out["columns"] = m.weight_mask
        return out

    compare(run, torch_ref)


def test_random_methods_draw_pytorchs_numbers_after_other_draws(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        L.randn(17)  # move the generator on
        a = _conv(L)
        P.random_unstructured(a, "weight", amount=0.45)
        P.random_structured(a, "weight", amount=2, dim=1)
        P.random_unstructured(a, "bias", amount=2)
        after = L.rand(3)
        return dict(mask=a.weight_mask, bias=a.bias_mask, after=after)

    compare(run, torch_ref, seed=123)


def test_importance_scores(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        m = _linear(L)
        scores = inputs(L, 4, 5, seed=9)
        P.l1_unstructured(m, "weight", amount=6, importance_scores=scores)
        c = _conv(L)
        P.ln_structured(c, "weight", amount=2, n=2, dim=0, importance_scores=inputs(L, 6, 3, 3, 3, seed=10))
        return dict(linear=_pruned_state(m), conv=_pruned_state(c))

    compare(run, torch_ref)


def test_iterative_pruning_chains_the_masks_in_a_container(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        m = _conv(L)
        P.random_unstructured(m, "weight", amount=0.3)
        first = m.weight_mask.clone()
        orig = m.weight_orig
        P.ln_structured(m, "weight", amount=0.5, n=2, dim=0)
        P.l1_unstructured(m, "weight", amount=10)
        P.random_structured(m, "weight", amount=1, dim=1)
        P.custom_from_mask(m, "weight", mask=(inputs(L, 6, 3, 3, 3, seed=11) > -1).float())
        P.identity(m, "weight")
        hook = next(h for h in m._forward_pre_hooks.values() if h._tensor_name == "weight")
        y = m(inputs(L, 2, 3, 5, 5))
        y.sum().backward()
        return dict(first=first, state=_pruned_state(m), container=type(hook).__name__, n=len(hook),
                    history=[type(h).__name__ for h in hook], item=type(hook[1]).__name__,
                    same_orig=m.weight_orig is orig, grads=grads(m), nhooks=len(m._forward_pre_hooks))

    g = compare(run, torch_ref)
    assert g["history"] == ["RandomUnstructured", "LnStructured", "L1Unstructured", "RandomStructured",
                            "CustomFromMask", "Identity"]


def test_global_unstructured(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        a, b, c = _linear(L), _conv(L), _linear(L, 3, 2)
        P.l1_unstructured(c, "weight", amount=2)  # an already pruned tensor: its mask is the starting point
        params = [(a, "weight"), (b, "weight"), (c, "weight"), (a, "bias")]
        P.global_unstructured(params, pruning_method=P.L1Unstructured, amount=0.3)
        d, e = _linear(L), _conv(L)
        P.global_unstructured(((d, "weight"), (e, "weight")), pruning_method=P.RandomUnstructured, amount=25)
        f, h = _linear(L), _conv(L)
        P.global_unstructured([(f, "weight"), (h, "bias")], pruning_method=P.L1Unstructured,
                              importance_scores={(f, "weight"): inputs(L, 4, 5, seed=12)}, amount=0.5)
        return dict(a=_pruned_state(a), a_bias=_pruned_state(a, "bias"), b=_pruned_state(b), c=_pruned_state(c),
                    d=_pruned_state(d), e=_pruned_state(e), f=_pruned_state(f), h=_pruned_state(h, "bias"))

    g = compare(run, torch_ref)
    assert g["a"]["hooks"] == ["CustomFromMask", "CustomFromMask"] and g["c"]["hooks"] == ["PruningContainer"]


def test_remove_makes_the_pruning_permanent(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        m = _conv(L)
        P.l1_unstructured(m, "weight", amount=0.5)
        P.ln_structured(m, "weight", amount=2, n=2, dim=0)
        P.random_unstructured(m, "bias", amount=2)
        orig = m.weight_orig
        before = P.is_pruned(m)
        out = P.remove(m, "weight")
        after_weight = dict(params=[n for n, _ in m.named_parameters()], buffers=[n for n, _ in m.named_buffers()],
                            keys=list(m.state_dict()), weight=m.weight, same=m.weight is orig,
                            is_param=type(m.weight).__name__, in_dict="weight" in m.__dict__,
                            hooks=[type(h).__name__ for h in m._forward_pre_hooks.values()],
                            requires_grad=m.weight.requires_grad, leaf=m.weight.grad_fn is None)
        still = P.is_pruned(m)
        P.remove(m, "bias")
        seq = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.Sequential(L.nn.Linear(2, 2)))
        nested = [P.is_pruned(seq)]
        P.identity(seq[1][0], "bias")
        nested.append(P.is_pruned(seq))
        return dict(before=before, returned=out is m, after=after_weight, still=still, none=P.is_pruned(m),
                    nested=nested, bias=m.bias, keys=list(m.state_dict()))

    g = compare(run, torch_ref)
    assert g["after"]["keys"] == ["bias_orig", "weight", "bias_mask"] and g["after"]["same"]


def test_the_hook_recomputes_the_weight_before_each_forward(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        m = _linear(L)
        P.l1_unstructured(m, "weight", amount=8)
        stale = m.weight
        with L.no_grad():
            m.weight_orig.mul_(3)
        y = m(inputs(L, 2, 5))
        return dict(y=y, stale=stale, fresh=m.weight, recomputed=m.weight is not stale, node=node(m.weight),
                    version=m.weight_orig._version)

    compare(run, torch_ref)


def test_training_loop_step_for_step(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Conv2d(1, 4, 3), L.nn.ReLU(), L.nn.Flatten(), L.nn.Linear(4 * 6 * 6, 3))
        P.ln_structured(model[0], "weight", amount=1, n=2, dim=0)
        P.global_unstructured([(model[0], "weight"), (model[3], "weight")], pruning_method=P.L1Unstructured,
                              amount=0.4)
        P.random_unstructured(model[3], "bias", amount=1)
        opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x, target = L.randn(5, 1, 8, 8), L.randint(0, 3, (5,))
        losses, weights = [], []
        for _ in range(4):
            opt.zero_grad()
            loss = L.nn.functional.cross_entropy(model(x), target)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
            weights.append(model[3].weight.detach().clone())
        sd = model.state_dict()
        return dict(losses=losses, weights=weights, grads=grads(model), keys=list(sd),
                    zeros=int((model[3].weight == 0).sum()), orig=model[3].weight_orig, sd=dict(sd))

    compare(run, torch_ref, rtol=1e-4, atol=1e-5)


def test_state_dict_loads_into_a_pruned_model_and_deepcopy(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        src = _linear(L)
        P.random_unstructured(src, "weight", amount=0.5)
        dst = L.nn.Linear(5, 4)
        P.identity(dst, "weight")
        result = dst.load_state_dict(src.state_dict())
        x = inputs(L, 2, 5)
        y_before = dst(x)  # the hook recomputes weight from the loaded orig and mask
        refused = error_of(lambda: copy.deepcopy(src))  # weight is not a leaf: PyTorch refuses too
        with L.no_grad():
            src = _linear(L)
            P.random_unstructured(src, "weight", amount=0.5)
        clone = copy.deepcopy(src)
        with L.no_grad():
            clone.weight_orig.add_(1)
        return dict(result=(list(result.missing_keys), list(result.unexpected_keys)), y=y_before,
                    mask=dst.weight_mask, clone_y=clone(x), src_y=src(x), clone_pruned=P.is_pruned(clone),
                    refused=refused,
                    clone_hooks=[type(h).__name__ for h in clone._forward_pre_hooks.values()])

    compare(run, torch_ref)


def test_prune_method_on_a_tensor_and_apply(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        t = inputs(L, 4, 6, seed=13)
        scores = inputs(L, 4, 6, seed=14)
        out = dict(l1=P.L1Unstructured(amount=0.5).prune(t),
                   scored=P.L1Unstructured(5).prune(t, importance_scores=scores),
                   ln=P.LnStructured(amount=2, n=1, dim=1).prune(t),
                   default=P.L1Unstructured(amount=3).prune(t, default_mask=(scores > 0).float()),
                   custom=P.CustomFromMask(mask=(scores > 0)).prune(t), identity=P.Identity().prune(t),
                   rand=P.RandomUnstructured(amount=4).prune(t), rs=P.RandomStructured(amount=2).prune(t))
        m = _linear(L)
        method = P.LnStructured.apply(m, "weight", 2, 2, 0, importance_scores=scores[:, :5])
        method2 = P.RandomUnstructured.apply(m, "bias", amount=0)
        out.update(kind=type(method).__name__, n=method.n, dim=method.dim, amount=method.amount,
                   name=method._tensor_name,
                   registered=list(m._forward_pre_hooks.values()) == [method, method2],
                   type=P.LnStructured.PRUNING_TYPE, types=[c.PRUNING_TYPE for c in (
                       P.Identity, P.RandomUnstructured, P.L1Unstructured, P.RandomStructured, P.CustomFromMask)],
                   state=_pruned_state(m))
        return out

    compare(run, torch_ref)


def test_a_custom_method(torch_ref):
    def run(L):
        P = L.nn.utils.prune

        class FooBar(P.BasePruningMethod):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.flatten()[::2] = 0
                return mask

        class EveryOtherRow(P.BasePruningMethod):
            PRUNING_TYPE = "structured"
            dim = 0

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask[::2] = 0
                return mask

        m = _linear(L, 6, 7)
        P.l1_unstructured(m, "weight", amount=10)
        FooBar.apply(m, "weight")
        EveryOtherRow.apply(m, "weight")
        FooBar.apply(m, "bias")
        return dict(weight=_pruned_state(m), bias=_pruned_state(m, "bias"))

    compare(run, torch_ref)


def test_a_failed_pruning_leaves_the_parameter_in_place(torch_ref):
    def run(L):
        P = L.nn.utils.prune
        m = _linear(L)
        err = error_of(lambda: P.l1_unstructured(m, "weight", amount=21))
        first = dict(params=[n for n, _ in m.named_parameters()], buffers=[n for n, _ in m.named_buffers()],
                     hooks=len(m._forward_pre_hooks))
        P.l1_unstructured(m, "weight", amount=2)
        err2 = error_of(lambda: P.ln_structured(m, "weight", amount=5, n=2, dim=0))
        return dict(err=err, first=first, err2=err2, state=_pruned_state(m))

    compare(run, torch_ref)


def _error_cases(L):
    """Calls that raise, each paired with its library's objects."""
    P = L.nn.utils.prune
    lin = _linear(L)
    twice = _linear(L)
    P.identity(twice, "weight")
    twice._forward_pre_hooks[10 ** 6] = P.Identity()
    twice._forward_pre_hooks[10 ** 6]._tensor_name = "weight"

    class Structured(P.BasePruningMethod):
        PRUNING_TYPE = "structured"

        def compute_mask(self, t, default_mask):
            return default_mask

    class Odd(P.BasePruningMethod):
        PRUNING_TYPE = "odd"

        def compute_mask(self, t, default_mask):
            return default_mask

    def container_with(method_cls, **kw):
        c = P.PruningContainer()
        c._tensor_name = "w"
        m = method_cls(**kw)
        m._tensor_name = "w"
        c.add_pruning_method(m)
        return c

    named = P.L1Unstructured(0.2)
    named._tensor_name = "bias"
    first = P.L1Unstructured(0.2)
    first._tensor_name = "weight"
    return [
        lambda: P.l1_unstructured(_linear(L), "weight", amount=-1),
        lambda: P.l1_unstructured(_linear(L), "weight", amount=1.5),
        lambda: P.l1_unstructured(_linear(L), "weight", amount=-0.1),
        lambda: P.l1_unstructured(_linear(L), "weight", amount="half"),
        lambda: P.l1_unstructured(_linear(L), "weight", amount=None),
        lambda: P.random_unstructured(_linear(L), "weight", amount=21),
        lambda: P.RandomStructured(amount=2.5),
        lambda: P.random_structured(_linear(L), "bias", amount=1, dim=0),
        lambda: P.ln_structured(_linear(L), "bias", amount=1, n=2, dim=0),
        lambda: P.ln_structured(_linear(L), "weight", amount=1, n=2, dim=2),
        lambda: P.random_structured(_linear(L), "weight", amount=5, dim=0),
        lambda: P.l1_unstructured(_linear(L), "weight", amount=2, importance_scores=L.ones(5, 4)),
        lambda: P.l1_unstructured(_linear(L), "nothing", amount=2),
        lambda: P.remove(lin, "weight"),
        lambda: P.global_unstructured(5, pruning_method=P.L1Unstructured, amount=2),
        lambda: P.global_unstructured([(lin, "weight")], pruning_method=P.L1Unstructured, importance_scores=[1],
                                      amount=2),
        lambda: P.global_unstructured([(_linear(L), "weight")], pruning_method=P.LnStructured, amount=2, n=1),
        lambda: P.PruningContainer(first).add_pruning_method(5),
        lambda: P.PruningContainer(first).add_pruning_method(named),
        lambda: P.custom_from_mask(_linear(L), "weight", mask=L.ones(2, 2)),
        lambda: P.identity(twice, "weight"),
        lambda: P.PruningContainer(first, named),
        lambda: container_with(Structured).compute_mask(L.ones(2, 3), L.ones(2, 3)),
        lambda: container_with(Odd).compute_mask(L.ones(2, 3), L.ones(2, 3)),
        lambda: container_with(P.LnStructured, amount=1, n=2, dim=-3).compute_mask(L.ones(2, 3), L.ones(2, 3)),
        lambda: P.L1Unstructured(0.5).prune(L.ones(2, 3), importance_scores=L.ones(3, 2)),
        lambda: P.PruningContainer(P.L1Unstructured(0.2)),
        lambda: P.L1Unstructured(0.5).apply_mask(lin),
        lambda: P.l1_unstructured(L.nn.BatchNorm1d(3), "running_mean", amount=1),
    ]


def test_errors(torch_ref):
    g_cases, t_cases = _error_cases(graphgrad), _error_cases(torch_ref)
    for i, (g, t) in enumerate(zip(g_cases, t_cases, strict=True)):
        te, ge = error_of(t), error_of(g)
        assert (ge[0].__name__, _module_free(ge[1])) == (te[0].__name__, _module_free(te[1])), f"case {i}"


def test_ln_structured_with_fro_over_three_dims_raises(torch_ref):
    def run(L):
        return error_of(lambda: L.nn.utils.prune.ln_structured(_conv(L), "weight", amount=2, n="fro", dim=-1))

    compare(run, torch_ref)


def test_the_base_class_is_abstract(torch_ref):
    te, ge = error_of(torch_ref.nn.utils.prune.BasePruningMethod), error_of(gprune.BasePruningMethod)
    assert ge == te  # Python's own text: "Can't instantiate abstract class BasePruningMethod ..."


def _module_free(text):
    """An error text with module reprs and addresses made comparable between the libraries."""
    text = re.sub(r"0x[0-9a-f]+", "0x...", text)
    return text.replace("graphgrad.", "torch.")


def test_repr_names_the_module_as_the_program_imports_it(torch_ref):
    method = gprune.L1Unstructured(0.5)
    assert repr(method).startswith("<graphgrad.nn.utils.prune.L1Unstructured object at 0x")
    saved = _names.package
    _names.package = "torch"
    try:
        assert repr(method).startswith("<torch.nn.utils.prune.L1Unstructured object at 0x")
        text = repr(torch_ref.nn.utils.prune.L1Unstructured(0.5))
        assert text.startswith("<torch.nn.utils.prune.L1Unstructured object at 0x")
        m = graphgrad.nn.Linear(2, 2)
        gprune.identity(m, "weight")
        assert repr(m._forward_pre_hooks).startswith("OrderedDict([(")
    finally:
        _names.package = saved

    class Mine(gprune.Identity):
        pass

    assert repr(Mine()).startswith(f"<{__name__}.test_repr_names_the_module_as_the_program_imports_it.<locals>.Mine")


def test_public_names_match(torch_ref):
    import inspect

    def public(mod):
        return {n for n, v in vars(mod).items()
                if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
                and getattr(v, "__module__", "").endswith("nn.utils.prune")}

    assert public(gprune) == public(torch_ref.nn.utils.prune)
    assert graphgrad.nn.utils.prune is gprune
    assert math.isclose(gprune._compute_nparams_toprune(0.5, 5), 2)  # round half to even, as PyTorch


def test_docstring_examples():
    result = doctest.testmod(gprune)
    assert result.failed == 0 and result.attempted > 0


def test_pruning_keeps_values_for_bits(torch_ref):
    """The pruned weight is mask * orig: exactly the surviving values, exact zeros elsewhere."""
    def run(L):
        m = _linear(L, 30, 20)
        L.nn.utils.prune.l1_unstructured(m, "weight", amount=0.37)
        return m.weight.detach().numpy().copy()

    g, t = graphgrad, torch_ref
    graphgrad.manual_seed(0)
    torch_ref.manual_seed(0)
    np.testing.assert_array_equal(run(g), run(t))
