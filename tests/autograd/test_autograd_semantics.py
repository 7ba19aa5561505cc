"""Autograd semantics against real PyTorch: each scenario is written once as ``scenario(T)`` and run with
``T = graphgrad`` and ``T = torch``; results, raised errors (type and message prefix) and UserWarnings
must agree (see ``tests/_parity.same``)."""

from __future__ import annotations

import sys

import pytest

import graphgrad

from .._parity import Raised, graph_names, node_name, same


def leaf(T, values=(1.0, 2.0, 3.0), **kw):
    return T.tensor(list(values), requires_grad=True, **kw)


# --- requires_grad, leaves, grad_fn -----------------------------------------------------------------
def test_requires_grad_propagation_and_is_leaf(torch_ref):
    def scenario(T):
        a = leaf(T)
        b = T.tensor([4.0, 5.0, 6.0])
        c = a * b
        d = b * 2
        e = c.detach()
        f = T.ones(3, requires_grad=True)
        g = (c + d).sum()
        h = T.zeros(3).requires_grad_()
        i = b.exp()
        with T.no_grad():
            j = a * 2
        k = a.clone()
        ts = [a, b, c, d, e, f, g, h, i, j, k]
        return {
            "requires_grad": [t.requires_grad for t in ts],
            "is_leaf": [t.is_leaf for t in ts],
            "grad_fn": [node_name(t.grad_fn) for t in ts],
            "int_compare": [(a > 1).requires_grad, a.argmax().requires_grad, (a > 1).is_leaf],
            "integer_tensor": T.tensor([1, 2]).requires_grad,
        }

    same(torch_ref, scenario)


def test_next_functions_structure(torch_ref):
    def scenario(T):
        a, b = leaf(T), leaf(T, (4.0, 5.0, 6.0))
        c = T.tensor([1.0, 1.0, 1.0])
        y = ((a * b + a).exp() * c).sum() / 2 - a.mean()
        z = T.stack([a.sin(), b[1:].sum().expand(3)]).max(1)[0]
        return {"y": graph_names(y), "z": graph_names(z)}

    same(torch_ref, scenario)


def test_accumulate_grad_node_is_shared(torch_ref):
    def scenario(T):
        a = leaf(T)
        x, y = a * 2, a * 3
        nx, ny = x.grad_fn.next_functions[0][0], y.grad_fn.next_functions[0][0]
        return [nx is ny, node_name(nx), nx.variable is a]

    same(torch_ref, scenario)


def test_grad_fn_name_method_and_next_functions_of_constants(torch_ref):
    def scenario(T):
        a = leaf(T)
        return [[node_name(n) for n, _ in (a * 2).grad_fn.next_functions],
                [nr for _, nr in (a + 1).grad_fn.next_functions],
                [node_name(n) for n, _ in T.where(a > 1, a, T.zeros(3)).grad_fn.next_functions],
                [node_name(n) for n, _ in (2 - a).grad_fn.next_functions]]

    same(torch_ref, scenario)


# --- .grad on leaves and non-leaves, retain_grad ----------------------------------------------------
def test_grad_only_on_leaves_and_non_leaf_warning(torch_ref):
    def scenario(T):
        a = leaf(T)
        b = a * 2
        c = b.sum()
        c.backward()
        return {"a.grad": a.grad, "b.grad": b.grad, "b.retains_grad": b.retains_grad, "a.retains_grad": a.retains_grad}

    g = same(torch_ref, scenario)
    assert g["b.grad"] is None


def test_retain_grad(torch_ref):
    def scenario(T):
        a = leaf(T)
        b = a * 2
        b.retain_grad()
        b.retain_grad()  # twice is fine
        a.retain_grad()  # a no-op on a leaf
        c = (b * b).sum()
        c.retain_grad()
        c.backward()
        return {"a.grad": a.grad, "b.grad": b.grad, "c.grad": c.grad, "b.retains_grad": b.retains_grad,
                "a.retains_grad": a.retains_grad, "c.retains_grad": c.retains_grad}

    same(torch_ref, scenario)


def test_retain_grad_accumulates_across_backwards(torch_ref):
    def scenario(T):
        a = leaf(T)
        b = a * 2
        b.retain_grad()
        c = (b ** 2).sum()
        c.backward(retain_graph=True)
        first = b.grad.clone()
        c.backward()
        return [first, b.grad, a.grad]

    same(torch_ref, scenario)


def test_retain_grad_without_requires_grad_raises(torch_ref):
    same(torch_ref, lambda T: T.ones(2).retain_grad())


# --- backward() and its arguments -------------------------------------------------------------------
def test_backward_with_gradient_argument(torch_ref):
    def scenario(T):
        a = leaf(T)
        y = a * a
        y.backward(gradient=T.tensor([1.0, 0.1, 0.01]))
        return a.grad

    same(torch_ref, scenario)


def test_backward_positional_gradient_and_scalar_0d(torch_ref):
    def scenario(T):
        a = leaf(T)
        y = (a * a).sum()
        y.backward(T.tensor(2.0))
        return a.grad

    same(torch_ref, scenario)


@pytest.mark.parametrize("case", ["non_scalar", "second_backward", "wrong_gradient_shape", "no_grad_root",
                                  "int_root"])
def test_backward_errors(torch_ref, case):
    def scenario(T):
        a = leaf(T)
        if case == "non_scalar":
            (a * 2).backward()
        elif case == "second_backward":
            y = (a * a).sum()
            y.backward()
            y.backward()
        elif case == "wrong_gradient_shape":
            (a * 2).backward(T.ones(2))
        elif case == "no_grad_root":
            T.ones(3).sum().backward()
        elif case == "int_root":
            T.tensor([1, 2]).sum().backward()

    same(torch_ref, scenario)


def test_retain_graph_allows_second_backward_and_accumulates(torch_ref):
    def scenario(T):
        a = leaf(T)
        y = (a * a).sum()
        y.backward(retain_graph=True)
        g1 = a.grad.clone()
        y.backward(retain_graph=True)
        g2 = a.grad.clone()
        y.backward()
        return [g1, g2, a.grad]

    same(torch_ref, scenario)


# A second backward raises exactly where PyTorch's does: when a node on the path saved something
# (a tensor, a wrapped number, indices), not for nodes that only need shapes.
SECOND_BACKWARD = [
    "(a + 1).sum()", "(a * 2).sum()", "(a / 2).sum()", "(a - 1).sum()", "a.fmod(1.5).sum()", "(2 - a).sum()",
    "(a % 1.5).sum()", "T.lerp(a, b, 0.3).sum()", "a.reshape(3, 1).sum()", "a.expand(2, 3).sum()", "a.mean()",
    "a[1:].sum()", "a.clone().sum()", "a.to(T.float64).sum()", "a.neg().sum()", "a.relu().sum()", "a @ b",
    "a.max()", "a.max(0)[0]", "a.cumsum(0).sum()", "T.cat([a, b]).sum()", "a.repeat(2).sum()", "(a * b).sum()",
    "a.where(a > 1, b).sum()", "a.masked_fill(a > 1, 0).sum()", "a.softmax(0).sum()",
    "a.index_select(0, T.tensor([0])).sum()", "a[T.tensor([0, 1])].sum()", "a.gather(0, T.tensor([0])).sum()",
    "a.flip(0).sum()", "a.var()", "a.unbind()[0]", "a.split(1)[0].sum()", "a.abs().sum()",
    "a.clamp(0, 1).sum()", "a.sign().sum()", "T.stack([a, b]).sum()", "a.squeeze().sum()",
    "a.unsqueeze(0).sum()", "a.sum(0)", "a.norm()", "a.logsumexp(0)", "a.prod()", "a.amax()",
    "a.floor().sum()", "a.view(3).sum()", "a.exp().sum()", "(a ** 2).sum()", "a.sigmoid().sum()",
    "a.tanh().sum()", "a.t().sum()", "a[a > 1].sum()",
]


@pytest.mark.parametrize("expr", SECOND_BACKWARD)
def test_second_backward_raises_where_torch_does(torch_ref, expr):
    def scenario(T):
        names = {"T": T, "a": leaf(T), "b": leaf(T, (4.0, 5.0, 6.0))}
        a = names["a"]
        y = eval(expr, names)
        y.backward()
        y.backward()
        return a.grad

    same(torch_ref, scenario)


def test_create_graph_implies_retain_graph(torch_ref):
    def scenario(T):
        a = leaf(T)
        y = (a ** 3).sum()
        y.backward(create_graph=True)
        g = a.grad
        first = [g.requires_grad, node_name(g.grad_fn) is not None]
        y.backward()  # the graph was retained
        return [first, a.grad.detach()]

    same(torch_ref, scenario)


def test_backward_inputs_restricts_accumulation(torch_ref):
    def scenario(T):
        a, b = leaf(T), leaf(T, (4.0, 5.0, 6.0))
        h = a * b
        h.retain_grad()
        y = (h * a).sum()
        y.backward(inputs=[b])
        r = {"a": a.grad, "b": b.grad}
        y2 = (a * b).sum()
        y2.backward(inputs=a)
        r["a2"] = a.grad
        return r

    same(torch_ref, scenario)


def test_backward_inputs_errors(torch_ref):
    def empty(T):
        a = leaf(T)
        (a * 2).sum().backward(inputs=[])

    same(torch_ref, empty)


def test_autograd_backward_function(torch_ref):
    def scenario(T):
        a, b = leaf(T), leaf(T, (4.0, 5.0, 6.0))
        T.autograd.backward([(a * b).sum(), a * 3], [T.tensor(2.0), T.ones(3)])
        r = [a.grad.clone(), b.grad.clone()]
        T.autograd.backward((a * a).sum())
        return r + [a.grad]

    same(torch_ref, scenario)


# --- autograd.grad ----------------------------------------------------------------------------------
def test_autograd_grad_basic(torch_ref):
    def scenario(T):
        a, b = leaf(T), leaf(T, (4.0, 5.0, 6.0))
        y = (a * b).sum()
        ga, gb = T.autograd.grad(y, [a, b])
        return {"ga": ga, "gb": gb, "a.grad": a.grad, "leaf": ga.is_leaf}

    same(torch_ref, scenario)


def test_autograd_grad_grad_outputs_and_multiple_outputs(torch_ref):
    def scenario(T):
        a = leaf(T)
        y1, y2 = a * 2, a.exp()
        return T.autograd.grad([y1, y2], a, grad_outputs=[T.ones(3), T.tensor([1.0, 0.0, 2.0])])

    same(torch_ref, scenario)


@pytest.mark.parametrize("case", ["unused", "unused_allowed", "not_requiring", "root_not_requiring",
                                  "materialize", "twice"])
def test_autograd_grad_unused_and_errors(torch_ref, case):
    def scenario(T):
        a, b = leaf(T), leaf(T, (4.0, 5.0, 6.0))
        y = (a * a).sum()
        if case == "unused":
            return T.autograd.grad(y, [a, b])
        if case == "unused_allowed":
            return T.autograd.grad(y, [a, b], allow_unused=True)
        if case == "not_requiring":
            return T.autograd.grad(y, [a, T.ones(3)])
        if case == "root_not_requiring":
            return T.autograd.grad(T.ones(3).sum(), [a])
        if case == "materialize":
            return T.autograd.grad(y, [a, b], materialize_grads=True)
        T.autograd.grad(y, a)
        return T.autograd.grad(y, a)

    same(torch_ref, scenario)


def test_autograd_grad_through_intermediate(torch_ref):
    def scenario(T):
        a = leaf(T)
        h = a.sin()
        y = (h * h).sum()
        (gh,) = T.autograd.grad(y, h, retain_graph=True)
        (ga,) = T.autograd.grad(y, a)
        return [gh, ga, a.grad]

    same(torch_ref, scenario)


# --- shared subgraphs, higher derivatives -----------------------------------------------------------
def test_shared_subgraph_runs_each_node_once(torch_ref):
    def scenario(T):
        calls = []
        a = leaf(T)
        h = a * 2
        h.register_hook(lambda g: calls.append(g.clone()))
        y = (h * h + h.sin() + h).sum()
        y.backward()
        return {"calls": len(calls), "grad_into_h": calls[0], "a.grad": a.grad}

    same(torch_ref, scenario)


def test_diamond_graph(torch_ref):
    def scenario(T):
        a = leaf(T)
        b = a.exp()
        c, d = b * 2, b.sin()
        e = (c * d).sum() + b.sum()
        e.backward()
        return a.grad

    same(torch_ref, scenario)


def test_second_and_third_derivatives(torch_ref):
    def scenario(T):
        x = leaf(T, (0.5, 1.0, 2.0))
        y = (x ** 3 * x.sin()).sum()
        (g1,) = T.autograd.grad(y, x, create_graph=True)
        (g2,) = T.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = T.autograd.grad(g2.sum(), x)
        return [g1, g2, g3, node_name(g1.grad_fn) is not None, g3.requires_grad]

    same(torch_ref, scenario, rtol=1e-4, atol=1e-4)


def test_double_backward_via_backward_create_graph(torch_ref):
    def scenario(T):
        x = leaf(T, (0.5, 1.0, 2.0))
        y = (x.tanh() * x).sum()
        y.backward(create_graph=True)
        gx = x.grad
        x.grad = None
        gx.sum().backward()
        return [gx.detach(), x.grad]

    same(torch_ref, scenario)


def test_gradient_penalty_style_double_backward(torch_ref):
    def scenario(T):
        w = leaf(T, (0.3, -0.2, 0.5))
        x = T.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], requires_grad=True)
        out = (x @ w).sigmoid().sum()
        (gx,) = T.autograd.grad(out, x, create_graph=True)
        penalty = ((gx.norm(dim=1) - 1) ** 2).mean()
        penalty.backward()
        return [w.grad, x.grad]

    same(torch_ref, scenario)


# --- hooks ------------------------------------------------------------------------------------------
def test_hook_replaces_gradient_and_remove(torch_ref):
    def scenario(T):
        a = leaf(T)
        h = a * 2
        handle = h.register_hook(lambda g: g * 10)
        seen = []
        h.register_hook(lambda g: seen.append(g.clone()))
        (h * h).sum().backward(retain_graph=True)
        first = a.grad.clone()
        handle.remove()
        handle.remove()  # removing twice is harmless
        a.grad = None
        (h * h).sum().backward()
        return [first, a.grad, seen]

    same(torch_ref, scenario)


def test_leaf_hooks_and_order(torch_ref):
    def scenario(T):
        order = []
        a = leaf(T)
        a.register_hook(lambda g: order.append(("first", g.clone())) or g * 2)
        a.register_hook(lambda g: order.append(("second", g.clone())))
        (a * 3).sum().backward()
        return [order, a.grad]

    same(torch_ref, scenario)


@pytest.mark.parametrize("retain_first", [True, False])
def test_hooks_and_retain_grad_order_on_non_leaf(torch_ref, retain_first):
    def scenario(T):
        a = leaf(T)
        h = a * 2
        if retain_first:
            h.retain_grad()
        h.register_hook(lambda g: g + 100)
        if not retain_first:
            h.retain_grad()
        (h * 3).sum().backward()
        return [h.grad, a.grad]

    same(torch_ref, scenario)


def test_hook_on_tensor_without_grad_raises(torch_ref):
    same(torch_ref, lambda T: T.ones(2).register_hook(lambda g: g))


def test_hooks_fire_with_autograd_grad(torch_ref):
    def scenario(T):
        seen = []
        a = leaf(T)
        h = a.exp()
        h.register_hook(lambda g: seen.append(g.clone()) or g * 0.5)
        (g,) = T.autograd.grad(h.sum(), a)
        return [seen, g]

    same(torch_ref, scenario)


def test_post_accumulate_grad_hook(torch_ref):
    def scenario(T):
        seen = []
        a = leaf(T)
        a.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
        (a * 2).sum().backward()
        (a * 3).sum().backward()
        return seen

    same(torch_ref, scenario)


def test_first_grad_taken_over_only_when_unshared(torch_ref):
    # A leaf's first .grad may take over its gradient without a copy; a gradient that anything else still
    # holds must be copied, or the next backward's in-place accumulation would change that holder too.
    def scenario(T):
        a, b = leaf(T), leaf(T)
        p, q = T.ones(2, 3, requires_grad=True), T.ones(3, 2, requires_grad=True)
        w = T.ones(4, 3, requires_grad=True)
        x = T.arange(15.0).reshape(5, 3)
        kept = []
        b.register_hook(lambda g: kept.append(g))
        for _ in range(2):
            ((a + b) * 2).sum().backward()  # AddBackward0 sends one gradient to both leaves
            (p + q.t()).sum().backward()  # ... and to q through a view of it
            (x @ w.t()).sum().backward()  # the weight's gradient is the .t() of a product
        same_memory = [a.grad.data_ptr() == b.grad.data_ptr(), p.grad.data_ptr() == q.grad.data_ptr()]
        return [a.grad, b.grad, kept[0], kept[1], p.grad, q.grad, w.grad, w.grad.is_contiguous(), same_memory]

    same(torch_ref, scenario)


# --- detach and grad modes --------------------------------------------------------------------------
def test_detach_shares_memory_and_version(torch_ref):
    def scenario(T):
        a = leaf(T)
        b = a * 2
        d = b.detach()
        with T.no_grad():
            d.mul_(10)
        return {"b": b.detach().clone(), "d.rg": d.requires_grad, "d.leaf": d.is_leaf,
                "versions": [b._version, d._version]}

    same(torch_ref, scenario)


def test_detach_inplace(torch_ref):
    def scenario(T):
        a = leaf(T)
        b = a * 2
        b.detach_()
        return [b.requires_grad, b.is_leaf, b.grad_fn is None, (b * a).sum().requires_grad]

    same(torch_ref, scenario)


def test_requires_grad_setters(torch_ref):
    def scenario(T):
        a = T.ones(2)
        r = [a.requires_grad_().requires_grad, a.requires_grad_(False).requires_grad]
        a.requires_grad = True
        r.append(a.requires_grad)
        return r

    same(torch_ref, scenario)


@pytest.mark.parametrize("case", ["non_leaf", "int_tensor"])
def test_requires_grad_setter_errors(torch_ref, case):
    def scenario(T):
        if case == "non_leaf":
            (leaf(T) * 2).requires_grad_(False)
        else:
            T.tensor([1, 2]).requires_grad_()

    same(torch_ref, scenario)


def test_grad_modes_as_context_managers(torch_ref):
    def scenario(T):
        a = leaf(T)
        r = {}
        with T.no_grad():
            r["no_grad"] = [(a * 2).requires_grad, T.is_grad_enabled()]
            with T.enable_grad():
                r["enable_inside"] = [(a * 2).requires_grad, T.is_grad_enabled()]
            r["back"] = T.is_grad_enabled()
        with T.set_grad_enabled(False):
            r["set_false"] = (a * 2).requires_grad
        with T.set_grad_enabled(True):
            r["set_true"] = (a * 2).requires_grad
        with T.inference_mode():
            r["inference"] = [(a * 2).requires_grad, T.is_grad_enabled()]
        with T.inference_mode(False):
            r["inference_off"] = (a * 2).requires_grad
        r["after"] = T.is_grad_enabled()
        return r

    same(torch_ref, scenario)


def test_set_grad_enabled_as_function(torch_ref):
    def scenario(T):
        a = leaf(T)
        T.set_grad_enabled(False)
        try:
            r = [(a * 2).requires_grad, T.is_grad_enabled()]
        finally:
            T.set_grad_enabled(True)
        return r + [T.is_grad_enabled()]

    same(torch_ref, scenario)


def test_grad_modes_as_decorators(torch_ref):
    def scenario(T):
        a = leaf(T)

        @T.no_grad()
        def f1(x):
            return x * 2

        @T.no_grad
        def f2(x):
            return x * 2

        @T.enable_grad()
        def f3(x):
            return x * 2

        @T.set_grad_enabled(False)
        def f4(x):
            return x * 2

        @T.inference_mode()
        def f5(x):
            return x * 2

        r = [f1(a).requires_grad, f2(a).requires_grad, f4(a).requires_grad, f5(a).requires_grad,
             T.is_grad_enabled()]
        with T.no_grad():
            r.append(f3(a).requires_grad)
        return r + [f1.__name__]

    same(torch_ref, scenario)


def test_grad_mode_restored_after_exception(torch_ref):
    def scenario(T):
        try:
            with T.no_grad():
                raise KeyError("x")
        except KeyError:
            pass
        return T.is_grad_enabled()

    same(torch_ref, scenario)


# --- version counters and in-place --------------------------------------------------------------------
@pytest.mark.parametrize("op", ["add_", "mul_", "zero_", "setitem", "fill_", "copy_", "clamp_", "div_", "exp_"])
def test_inplace_on_leaf_requiring_grad_raises(torch_ref, op):
    def scenario(T):
        a = leaf(T)
        if op == "setitem":
            a[0] = 1.0
        elif op == "copy_":
            a.copy_(T.zeros(3))
        elif op in ("zero_", "exp_"):
            getattr(a, op)()
        elif op == "clamp_":
            a.clamp_(0, 1)
        else:
            getattr(a, op)(2.0)

    same(torch_ref, scenario)


def test_inplace_under_no_grad_allowed_and_bumps_version(torch_ref):
    def scenario(T):
        w = leaf(T)
        (w * w).sum().backward()
        v0 = w._version
        with T.no_grad():
            w -= 0.1 * w.grad
            w.add_(1.0)
            w[0] = 5.0
        w.grad.zero_()
        return {"w": w, "versions": [v0, w._version], "leaf": w.is_leaf, "grad": w.grad}

    same(torch_ref, scenario)


def test_version_counter_values(torch_ref):
    def scenario(T):
        a = T.ones(3)
        r = [a._version]
        a.add_(1)
        a.mul_(2)
        a[1] = 0
        r.append(a._version)
        v = a[1:]
        v.add_(1)
        r += [a._version, v._version]
        b = a.view(3)
        b.zero_()
        r += [a._version, b._version]
        return r

    same(torch_ref, scenario)


@pytest.mark.parametrize("case", ["mul_saved_input", "exp_saved_output", "view_write", "leaf_saved",
                                  "double", "sigmoid_chain"])
def test_modified_by_inplace_error_text(torch_ref, case):
    def scenario(T):
        x = leaf(T)
        if case == "mul_saved_input":
            y = x * 2
            z = y * y
            y.add_(1)
            z.sum().backward()
        elif case == "exp_saved_output":
            y = x.exp()
            y.add_(1)
            y.sum().backward()
        elif case == "view_write":
            y = x.exp()
            y[0] = 0.0
            y.sum().backward()
        elif case == "leaf_saved":
            w = T.ones(3, requires_grad=True)
            y = (w * x).sum()
            with T.no_grad():
                w.add_(1)
            y.backward()
        elif case == "double":
            y = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
            z = y.sin()
            with T.no_grad():
                y.mul_(2)
                y.mul_(2)
            z.sum().backward()
        else:
            y = (x * 1).sigmoid_()
            y.tanh_()
            y.sum().backward()

    same(torch_ref, scenario)


def test_srgan_style_optimizer_step_between_backwards(torch_ref):
    """The SRGAN snippet of the seeds: D's weights are updated in place between two backward passes
    over a retained graph that saved them."""

    def scenario(T):
        T.manual_seed(0)
        wd = T.tensor([[0.5, -0.3], [0.2, 0.8]], requires_grad=True)
        wg = T.tensor([[1.0, 0.1], [-0.2, 0.4]], requires_grad=True)
        z = T.tensor([[0.3, 0.7]])
        fake = z @ wg
        d_out = (fake @ wd).sigmoid().mean()
        d_out.backward(retain_graph=True)
        with T.no_grad():
            wd -= 0.1 * wd.grad  # optimizerD.step()
        g_loss = (1 - d_out)
        g_loss.backward()

    same(torch_ref, scenario)


INPLACE = [
    ("add_", lambda T, y, b: y.add_(b)),
    ("add_alpha", lambda T, y, b: y.add_(b, alpha=0.5)),
    ("sub_", lambda T, y, b: y.sub_(b)),
    ("mul_", lambda T, y, b: y.mul_(b)),
    ("div_", lambda T, y, b: y.div_(b + 3)),
    ("pow_", lambda T, y, b: y.pow_(2)),
    ("clamp_", lambda T, y, b: y.clamp_(min=0.5)),
    ("zero_", lambda T, y, b: y.zero_()),
    ("fill_", lambda T, y, b: y.fill_(3.0)),
    ("copy_", lambda T, y, b: y.copy_(b * 2)),
    ("normal_", lambda T, y, b: y.normal_()),
    ("uniform_", lambda T, y, b: y.uniform_()),
    ("setitem_slice", lambda T, y, b: y.__setitem__(slice(0, 2), b[1:] * 3)),
    ("setitem_int", lambda T, y, b: y.__setitem__(1, b[0])),
    ("setitem_mask", lambda T, y, b: y.__setitem__(y > 2.5, 0.0)),
    ("iadd", lambda T, y, b: y.__iadd__(b)),
    ("imul", lambda T, y, b: y.__imul__(b)),
]


@pytest.mark.parametrize("name,op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_ops_record_like_torch(torch_ref, name, op):
    def scenario(T):
        T.manual_seed(0)
        a, b = leaf(T), leaf(T, (0.5, -1.0, 2.0))
        y = a * 1.5
        v0 = y._version
        r = op(T, y, b)
        out = {"same_object": r is y if r is not None else True, "grad_fn": node_name(y.grad_fn),
               "next": [node_name(n) for n, _ in y.grad_fn.next_functions], "version": y._version - v0,
               "leaf": y.is_leaf}
        (y * T.tensor([1.0, 2.0, 3.0])).sum().backward()
        out["grads"] = [a.grad, b.grad]
        if name not in ("normal_", "uniform_"):  # random values differ by library
            out["y"] = y
        return out

    same(torch_ref, scenario)


def test_inplace_on_view_of_non_leaf(torch_ref):
    def scenario(T):
        a = leaf(T, (1.0, 2.0, 3.0, 4.0))
        y = a * 2
        v = y[1:3]
        v.mul_(10)
        # (v.grad_fn is AsStridedBackward0 in PyTorch, its view-replay fallback; not compared)
        r = {"y_fn": node_name(y.grad_fn), "y": y}
        (y * T.arange(4.0)).sum().backward()
        r["grad"] = a.grad
        return r

    same(torch_ref, scenario)


def test_inplace_on_view_of_leaf_raises(torch_ref):
    def scenario(T):
        a = leaf(T)
        a[1:].mul_(2)

    same(torch_ref, scenario)


# --- .data and Variable -----------------------------------------------------------------------------
def test_data_semantics(torch_ref):
    def scenario(T):
        a = leaf(T)
        y = a * a  # saves a
        d = a.data
        r = {"rg": d.requires_grad, "leaf": d.is_leaf, "fn": d.grad_fn is None}
        d.mul_(2)  # through .data: no version check, values change for everyone
        r["a"] = a.detach().clone()
        r["a_version"] = a._version
        y.sum().backward()
        r["grad"] = a.grad
        a.data = T.tensor([7.0, 8.0, 9.0])
        r["after_set"] = [a.detach().clone(), a.requires_grad, a.is_leaf]
        return r

    same(torch_ref, scenario)  # the numbers are PyTorch's; graphgrad also warns (test_misuse_warnings.py)


def test_variable(torch_ref):
    def scenario(T):
        from_t = T.autograd.Variable(T.tensor([1.0, 2.0]), requires_grad=True)
        plain = T.autograd.Variable(T.tensor([1.0, 2.0]))
        y = (from_t * 3).sum()
        y.backward()
        return [from_t.requires_grad, from_t.is_leaf, plain.requires_grad, from_t.grad,
                type(from_t).__name__ == "Tensor"]

    same(torch_ref, scenario)


# --- custom autograd.Function -----------------------------------------------------------------------
def _custom_functions(T):
    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * ctx.k * g, None

    class SplitSign(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            ctx.flags = tuple(ctx.needs_input_grad)
            idx = (x > 0).to(T.int64)
            ctx.mark_non_differentiable(idx)
            return x * y, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            x, y = ctx.saved_tensors
            return g * y, g * x

    return Cube, SplitSign


def test_custom_function(torch_ref):
    def scenario(T):
        Cube, SplitSign = _custom_functions(T)
        a = leaf(T, (1.0, -2.0, 0.5))
        b = T.tensor([2.0, 3.0, 4.0])
        y = Cube.apply(a, 2.0)
        p, idx = SplitSign.apply(a, b)
        (y.sum() + p.sum()).backward()
        return {"grad": a.grad, "y_rg": y.requires_grad, "idx_rg": idx.requires_grad, "idx": idx,
                "needs_input_grad": list(p.grad_fn.next_functions is not None and [
                    n is not None for n, _ in p.grad_fn.next_functions])}

    same(torch_ref, scenario)


def test_custom_function_needs_input_grad_and_saved_tensors_freed(torch_ref):
    def scenario(T):
        _, SplitSign = _custom_functions(T)
        a = leaf(T)
        b = T.tensor([2.0, 3.0, 4.0])
        p, _ = SplitSign.apply(a, b)
        ctx = p.grad_fn
        r = {"flags": ctx.flags}
        p.sum().backward()
        try:
            r["after_backward"] = ctx.saved_tensors
        except RuntimeError as e:
            r["after_backward"] = Raised(e)
        return r

    same(torch_ref, scenario)


def test_custom_function_second_backward_raises(torch_ref):
    def scenario(T):
        Cube, _ = _custom_functions(T)
        a = leaf(T)
        y = Cube.apply(a, 1.0).sum()
        y.backward()
        y.backward()

    same(torch_ref, scenario)


def test_custom_function_without_grad_inputs(torch_ref):
    def scenario(T):
        Cube, _ = _custom_functions(T)
        y = Cube.apply(T.tensor([1.0, 2.0]), 1.0)
        return [y.requires_grad, y.grad_fn is None, y]

    same(torch_ref, scenario)


# --- the graph's saved tensors ------------------------------------------------------------------------
def test_saved_tensor_access_and_release(torch_ref):
    def scenario(T):
        a = leaf(T)
        b = leaf(T, (4.0, 5.0, 6.0))
        y = a * b
        fn = y.grad_fn
        r = {"self": fn._saved_self, "other": fn._saved_other}
        y.sum().backward()
        try:
            r["after"] = fn._saved_self
        except RuntimeError as e:
            r["after"] = Raised(e)
        return r

    same(torch_ref, scenario)


def test_saved_result(torch_ref):
    def scenario(T):
        a = leaf(T)
        y = a.exp()
        return y.grad_fn._saved_result

    same(torch_ref, scenario)


# --- deep graphs ----------------------------------------------------------------------------------------
def test_long_chain_backpropagates_without_recursion():
    limit = sys.getrecursionlimit()
    x = graphgrad.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.tolist() == [1.0]
    assert sys.getrecursionlimit() == limit


def test_long_chain_autograd_grad_and_free():
    x = graphgrad.tensor([2.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + 0.0
    (g,) = graphgrad.autograd.grad(y, x)
    assert g.tolist() == [1.0]
    del y  # dropping a deep graph must not overflow the stack either



# --- more corners -------------------------------------------------------------------------------------
def test_grad_accumulates_in_place(torch_ref):
    def scenario(T):
        x = leaf(T)
        (x * 2).sum().backward()
        g = x.grad
        (x * 3).sum().backward()
        same_obj = g is x.grad
        x.grad.zero_()
        (x * x).sum().backward()
        manual = T.tensor([1.0, 1.0, 1.0])
        x.grad = manual
        (x * 2).sum().backward()
        return [same_obj, g, x.grad, manual is x.grad]

    same(torch_ref, scenario)


def test_node_hooks(torch_ref):
    def scenario(T):
        seen = []
        x = leaf(T)
        y = x * 2
        z = (y * y).sum()
        y.grad_fn.register_prehook(lambda gout: seen.append(("pre", [g.clone() for g in gout])))
        y.grad_fn.register_hook(lambda gin, gout: seen.append(
            ("post", [None if g is None else g.clone() for g in gin], [g.clone() for g in gout])))
        z.backward()
        return [seen, x.grad]

    same(torch_ref, scenario)


def test_node_hook_replaces_grad_inputs(torch_ref):
    def scenario(T):
        x = leaf(T)
        y = x * 2
        y.grad_fn.register_hook(lambda gin, gout: (gin[0] * 0 + 1, gin[1]))
        y.sum().backward()
        return x.grad

    same(torch_ref, scenario)


def test_autograd_grad_non_scalar_needs_grad_outputs(torch_ref):
    same(torch_ref, lambda T: T.autograd.grad(leaf(T) * 2, leaf(T)))


def test_autograd_grad_retain_and_create(torch_ref):
    def scenario(T):
        x = leaf(T, (0.5, 1.0, 1.5))
        y = (x ** 3).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x, retain_graph=True)
        (h2,) = T.autograd.grad(g.sum(), x)
        return [g.requires_grad, node_name(g.grad_fn) is not None, h, h2, x.grad]

    same(torch_ref, scenario)


def test_hook_returning_none_and_retain_graph_reruns_hooks(torch_ref):
    def scenario(T):
        calls = []
        x = leaf(T)
        y = x.exp()
        y.register_hook(lambda g: calls.append(1))
        x.register_hook(lambda g: calls.append(2))
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        return [calls, x.grad]

    same(torch_ref, scenario)


def test_detach_then_requires_grad_is_new_leaf(torch_ref):
    def scenario(T):
        x = leaf(T)
        y = (x * 2).detach().requires_grad_()
        (y * y).sum().backward()
        return [y.is_leaf, y.grad, x.grad]

    same(torch_ref, scenario)


def test_multi_output_partial_use_and_create_graph(torch_ref):
    def scenario(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        a, b, c = x.unbind(1)
        v, i = x.max(1)
        y = (a * b).sum() + (v ** 2).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (h,) = T.autograd.grad((g * g).sum(), x)
        return [g, h, i, c.grad_fn is a.grad_fn]

    same(torch_ref, scenario)


def test_backward_on_non_leaf_inputs(torch_ref):
    def scenario(T):
        x = leaf(T)
        h = x * 2
        y = (h * h).sum()
        y.backward(inputs=[h])
        return [h.grad, x.grad]

    same(torch_ref, scenario)


@pytest.mark.parametrize("case", ["retain_then_inplace", "hook_then_inplace", "inplace_then_hook",
                                  "view_retain", "view_retain_inplace", "base_retain_view_inplace",
                                  "transposed_retain"])
def test_retain_grad_and_hooks_with_inplace(torch_ref, case):
    def scenario(T):
        seen = []
        x = leaf(T)
        h = x * 2
        if case == "retain_then_inplace":
            h.retain_grad()
            h.mul_(3)
            (h * h).sum().backward()
            return [h.grad, x.grad, h.retains_grad]
        if case == "hook_then_inplace":
            h.register_hook(lambda g: seen.append(g.clone()))
            h.add_(1)
        elif case == "inplace_then_hook":
            h.add_(1)
            h.register_hook(lambda g: seen.append(g.clone()))
        elif case in ("view_retain", "view_retain_inplace"):
            v = h[1:]
            v.retain_grad()
            if case == "view_retain_inplace":
                v.mul_(2)
            (h * h).sum().backward()
            return [v.grad, x.grad]
        elif case == "base_retain_view_inplace":
            h.retain_grad()
            h[1:].mul_(2)
            (h * h).sum().backward()
            return [h.grad, x.grad]
        else:
            m = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
            y = m.t()
            y.retain_grad()
            (y @ y).sum().backward()
            return [y.grad, m.grad]
        (h * h).sum().backward()
        return [seen, x.grad]

    same(torch_ref, scenario)


# --- grad_fn names of ops with a Python number, a 0-d tensor or an explicit overload ----------------------
GRAD_FN_NAMES = [
    "x * 2", "2 * x", "x * True", "x * y", "x * T.tensor(2.0)", "x * T.tensor(2)", "x.mul(2)", "T.mul(x, 2)",
    "x / 2", "2 / x", "x / y", "x / T.tensor(2)", "T.tensor(2.0) / x", "x.div(2)", "x.div(y)", "T.true_divide(x, 2)",
    "x.div(2, rounding_mode=None)", "x.div(y, rounding_mode=None)", "x.div(2, rounding_mode='floor')",
    "x.div(2, rounding_mode='trunc')", "x.div(y, rounding_mode='floor')",
    "x + 2", "2 + x", "x + y", "x + T.tensor(2)", "x.add(2)", "T.add(x, 2, alpha=3)", "T.add(x, y, alpha=3)",
    "x - 2", "2 - x", "x - y", "x.sub(2, alpha=2)", "T.sub(x, y, alpha=2)", "T.rsub(x, 2)", "T.rsub(x, y)",
    "x ** 2", "x ** 2.5", "x ** 0", "x ** 1", "2 ** x", "x ** y", "x.pow(2)", "T.pow(2, x)", "T.pow(x, y)",
    "x.pow(T.tensor(2.0))", "T.tensor(2.0) ** x", "x ** T.tensor(2)",
    "x.clamp(min=0)", "x.clamp(max=1)", "x.clamp(0, 1)", "x.clamp(min=y)", "x.clamp(y, y)", "x.clamp_min(0)",
    "x.clamp_max(1)", "x.clamp_min(y)", "x.clamp_max(T.tensor(0.0))", "x.clamp(min=T.tensor(0.0))",
    "T.clamp(x, max=T.tensor(1.0))", "T.clip(x, 0, 1)",
    "x.masked_fill(m, 0.0)", "x.masked_fill(m, 1)", "x.masked_fill(m, T.tensor(0.0))",
    "T.where(m, x, 0.0)", "T.where(m, x, y)", "T.where(m, 0.0, x)", "x.where(m, y)", "x.where(m, 0.0)",
    "T.where(m, x, T.tensor(0.0))", "x.fmod(2)", "x.fmod(y)", "x.remainder(2)", "x.remainder(y)", "x % 2", "2 % x",
    "T.remainder(2, x)", "x // 2", "2 // x", "x // y", "x.floor_divide(2)", "x.lerp(y, 0.5)",
    "x.lerp(y, T.tensor(0.5))", "T.maximum(x, y)", "T.fmax(x, y)", "T.fmin(x, T.tensor(0.0))",
    "x.sum()", "x.sum(dim=None)", "x.sum(0)", "x.sum(dtype=T.float64)", "x.mean()", "x.mean(None)",
    "x.mean(dim=[])", "x.mean(dtype=T.float64)", "x.mean(0, dtype=T.float64)",
    "x.sort()[0]", "x.sort(stable=True)[0]", "x.topk(2)[0]", "x.masked_select(m)", "x.roll(1)", "x.roll(1, 0)",
    "z.copy_(y)", "z.mul_(2)", "z.div_(2)", "z.add_(2)", "z.sub_(y)", "z.pow_(2)", "z.clamp_(min=0)",
    "z.masked_fill_(m, 0.0)",
]


@pytest.mark.parametrize("expr", GRAD_FN_NAMES)
def test_grad_fn_names_match_torch(torch_ref, expr):
    """The node PyTorch records (MulBackward0 for ``x * 2`` and ``x * y``, DivBackward2 for an explicit
    ``rounding_mode=None``, ClampBackward0 for a tensor bound, ...) and its next_functions."""
    def scenario(T):
        x = T.tensor([0.3, -0.4, 0.5], requires_grad=True)
        y = T.tensor([0.1, 0.2, -0.7], requires_grad=True)
        z, m = x * 1, T.tensor([True, False, True])
        r = eval(expr, {"T": T, "x": x, "y": y, "z": z, "m": m})
        fn = r.grad_fn
        return [fn.name(), [None if f is None else f.name() for f, _ in fn.next_functions], r]

    same(torch_ref, scenario)


@pytest.mark.parametrize("expr", ["x - True", "True - x", "x.sub(True)", "T.sub(x, True)", "T.rsub(x, True)"])
def test_subtracting_a_bool_raises(torch_ref, expr):
    def scenario(T):
        return eval(expr, {"T": T, "x": T.tensor([0.3, -0.4, 0.5], requires_grad=True)})

    same(torch_ref, scenario)


# --- inference_mode: inference tensors and their errors --------------------------------------------------
def _inference_setup(T):
    w = T.ones(2, requires_grad=True)
    n = T.ones(2)
    with T.inference_mode():
        x = T.ones(2)
        made = {"x": x, "y": w * 2, "xs": x * 3, "view_of_normal": n[0:1], "n_add": n.add_(1)}
        state = [T.is_grad_enabled(), T.is_inference_mode_enabled(), T.ones(2, requires_grad=True).requires_grad]
        with T.enable_grad():
            state += [T.is_grad_enabled(), (w * 2).requires_grad, (w * 2).is_inference()]
    return w, n, x, made, state


INFERENCE = {
    "inside": lambda T: (lambda w, n, x, made, state: [state, {k: [v.is_inference(), v.requires_grad]
                                                                for k, v in made.items()}])(*_inference_setup(T)),
    "outside_results": lambda T: (lambda w, n, x, made, state: [
        (x * 2).is_inference(), (x + 1).requires_grad, x.sum().is_inference(), x.clone().is_inference(),
        x.view(2).is_inference(), x.detach().is_inference(), x.double().is_inference(), n.is_inference(),
        w.is_inference(), (w + x).grad_fn.name(), (x.sin() * w).requires_grad, (w * x.clone()).requires_grad,
        T.is_grad_enabled(), T.is_inference_mode_enabled()])(*_inference_setup(T)),
    "saved_for_backward_mul": lambda T: (lambda w, n, x, made, state: w * x)(*_inference_setup(T)),
    "saved_for_backward_rmul": lambda T: (lambda w, n, x, made, state: x * w)(*_inference_setup(T)),
    "saved_for_backward_view": lambda T: (lambda w, n, x, made, state: w * x.view(2))(*_inference_setup(T)),
    "saved_for_backward_linear": lambda T: (lambda w, n, x, made, state: T.nn.functional.linear(x, w.view(1, 2)))(
        *_inference_setup(T)),
    "saved_for_backward_mse": lambda T: (lambda w, n, x, made, state: T.nn.functional.mse_loss(w, x))(
        *_inference_setup(T)),
    "inplace_outside": lambda T: (lambda w, n, x, made, state: x.add_(1))(*_inference_setup(T)),
    "setitem_outside": lambda T: (lambda w, n, x, made, state: x.__setitem__(0, 1.0))(*_inference_setup(T)),
    "zero_outside": lambda T: (lambda w, n, x, made, state: x.zero_())(*_inference_setup(T)),
    "inplace_under_no_grad": lambda T: (lambda w, n, x, made, state: _under(T.no_grad(), lambda: x.mul_(2)))(
        *_inference_setup(T)),
    "inplace_inside_again": lambda T: (lambda w, n, x, made, state: _under(T.inference_mode(), lambda: x.add_(1)))(
        *_inference_setup(T)),
    "requires_grad_outside": lambda T: (lambda w, n, x, made, state: x.requires_grad_())(*_inference_setup(T)),
    "version_outside": lambda T: (lambda w, n, x, made, state: x._version)(*_inference_setup(T)),
    "normal_copy_from_inference": lambda T: (lambda w, n, x, made, state: n.copy_(x).is_inference())(
        *_inference_setup(T)),
    "mode_false_inside": lambda T: (lambda w, n, x, made, state: _under(T.inference_mode(), lambda: _under(
        T.inference_mode(False), lambda: [T.is_inference_mode_enabled(), T.is_grad_enabled(),
                                          T.ones(1).is_inference(), (w * 2).requires_grad])))(*_inference_setup(T)),
    "mode_false_saves": lambda T: (lambda w, n, x, made, state: _under(T.inference_mode(), lambda: _under(
        T.inference_mode(False), lambda: w * x)))(*_inference_setup(T)),
    "mode_false_no_grad": lambda T: _under(T.no_grad(), lambda: _under(
        T.inference_mode(False), lambda: [T.is_grad_enabled(), T.is_inference_mode_enabled()])),
    "nested_no_grad": lambda T: _under(T.inference_mode(), lambda: [
        _under(T.no_grad(), lambda: T.ones(1).is_inference()), T.is_grad_enabled()]),
    "decorator": lambda T: (lambda f: [f(T.ones(2, requires_grad=True))[0].is_inference(),
                                       f(T.ones(2, requires_grad=True))[0].requires_grad, f(T.ones(1))[1]])(
        T.inference_mode()(lambda a: (a * 2, T.is_inference_mode_enabled()))),
    "decorator_no_parens": lambda T: T.inference_mode(lambda: T.ones(1).is_inference())(),
    "decorator_false": lambda T: T.inference_mode(False)(lambda: T.ones(1).is_inference())(),
    "module_output": lambda T: (lambda m: (lambda out: [out.is_inference(), out.requires_grad,
                                                        m.weight.is_inference()])(
        _under(T.inference_mode(), lambda: m(T.ones(1, 2)))))(T.nn.Linear(2, 1)),
}


def _under(ctx, fn):
    with ctx:
        return fn()


@pytest.mark.parametrize("name", list(INFERENCE))
def test_inference_mode_matches_torch(torch_ref, name):
    """Tensors made in inference mode are inference tensors; outside it they can't be saved for backward,
    updated in place or made to require grad (PyTorch's errors, each at the same point)."""
    same(torch_ref, INFERENCE[name])


def test_inplace_on_inference_tensor_writes_then_raises(torch_ref):
    """PyTorch checks at the version bump, after the write: the values change although the call raises."""
    def scenario(T):
        with T.inference_mode():
            x = T.ones(3)
        for f in (lambda: x.add_(1), lambda: x.__setitem__(0, 5.0)):
            try:
                f()
            except RuntimeError:
                pass
        return x

    same(torch_ref, scenario)


# --- views and in-place writes: integer indexing, aliasing inputs, views older than a write ----------------
def _name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def _stale_view_mul(T):
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = T.tensor(3.0, requires_grad=True)
    y = x * 1
    v = y[:2]
    y.mul_(w)
    name = _name(v)
    (v * T.tensor([1.0, 10.0])).sum().backward()
    return [x.grad, w.grad, name, v.grad_fn.next_functions[0][0].name()]


def _stale_view_unary(T, write, x0=(1.0, 2.0, 3.0), make=lambda x: x * 1):
    x = T.tensor(list(x0), requires_grad=True)
    y = make(x)
    v = y.view(len(x0))
    write(y)
    name = _name(v)
    v.sum().backward()
    return [x.grad, name]


def _no_grad(T, f):
    with T.no_grad():
        return f()


def _chunk_write_base(T):
    y = T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True) * 1
    a, _ = y.chunk(2)
    y.mul_(2)
    return _name(a)


def _version_error(write):
    def scenario(T):
        y = T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1
        z = y.sin()
        write(T, y)
        z.sum().backward()
    return scenario


VIEW_WRITES = {
    # x[i] with integers is a view: writes through it reach x (NumPy would give a scalar copy)
    "int_index_add_": lambda T: (lambda x: [x[1].add_(5), x, x._version])(T.zeros(3)),
    "int_index_iadd": lambda T: (lambda x: (lambda r: [r.__iadd__(1), x, r._version, x._version])(x[1]))(T.zeros(3)),
    "int_index_twice_zero_": lambda T: (lambda x: [x[0][1].zero_(), x])(T.ones(2, 3)),
    "int_index_no_grad_leaf": lambda T: (lambda w: [_no_grad(T, lambda: w[0].sub_(0.5)), w, w._version])(
        T.ones(3, requires_grad=True)),
    "int_index_mul_grad": lambda T: (lambda x: (lambda y: [y[0].mul_(2), y, _name(y), y.sum().backward(), x.grad])(
        x * 1))(T.tensor([1.0, 2.0, 3.0], requires_grad=True)),
    "int_index_2d_mul_grad": lambda T: (lambda x: (lambda y: [y[1, 0].mul_(3), _name(y), y.sum().backward(),
                                                              x.grad])(x * 1))(
        T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)),
    "select_unbind_are_views": lambda T: (lambda x: [x.select(0, 1).add_(1), x.unbind()[2].add_(10), x, x._version])(
        T.tensor([1.0, 2.0, 3.0])),
    "view_written_is_regenerated": lambda T: (lambda y: (lambda r: [r.__iadd__(1), _name(r), _name(y)])(y[1]))(
        T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1),
    # an in-place op whose argument is (or overlaps) the written tensor
    "self_mul_": lambda T: (lambda x: (lambda y: [y.mul_(y), y.sum().backward()])(x * 3))(
        T.tensor([1.0, 2.0], requires_grad=True)),
    "self_div_": lambda T: (lambda y: [y.div_(y), y.sum().backward()])(T.tensor([1.0, 2.0], requires_grad=True) * 3),
    "self_pow_": lambda T: (lambda y: [y.pow_(y), y.sum().backward()])(T.tensor([1.0, 2.0], requires_grad=True) * 3),
    "self_add_": lambda T: (lambda x: (lambda y: [y.add_(y), y.sum().backward(), x.grad])(x * 3))(
        T.tensor([1.0, 2.0], requires_grad=True)),
    "disjoint_views_mul_": lambda T: (lambda y: [y[0:2].mul_(y[2:4]), y.sum().backward()])(
        T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True) * 3),
    "partial_overlap_mul_": lambda T: (lambda y: y.mul_(y[0:1]))(T.tensor([1.0, 2.0], requires_grad=True) * 3),
    "partial_overlap_0d": lambda T: (lambda y: y.add_(y[0]))(T.tensor([1.0, 2.0, 3.0, 4.0])),
    "overlap_transposed": lambda T: (lambda y: y.add_(y.t()))(T.tensor([[1.0, 2.0], [3.0, 4.0]])),
    "overlap_setitem": lambda T: (lambda y: y.__setitem__(slice(1, None), y[:-1]))(T.tensor([1.0, 2.0, 3.0, 4.0])),
    "same_memory_same_layout": lambda T: (lambda y: [y.add_(y.view(4)), y.copy_(y), y])(T.tensor([1.0, 2.0, 3.0, 4.0])),
    "disjoint_no_grad": lambda T: (lambda y: [y[:2].add_(y[2:]), y])(T.tensor([1.0, 2.0, 3.0, 4.0])),
    # a view taken before its base was written in place
    "stale_view_mul_": _stale_view_mul,
    "stale_view_exp_": lambda T: _stale_view_unary(T, lambda y: y.exp_()),
    "stale_view_fill_": lambda T: _stale_view_unary(T, lambda y: y.fill_(0.3), (-0.49,), lambda x: x * x),
    "stale_view_of_constant": lambda T: (lambda x, b: (lambda v: [b.mul_(x), v.requires_grad, _name(v), v.is_leaf,
                                                                   v.grad_fn.next_functions[0][0].name()])(b[:2]))(
        T.tensor([1.0, 2.0, 3.0], requires_grad=True), T.zeros(3)),
    "stale_view_of_leaf_no_grad": lambda T: (lambda w: (lambda v: [_name(v), _no_grad(T, lambda: w.mul_(2)), _name(v),
                                                                   v.grad_fn.next_functions[0][0].name()])(w[:2]))(
        T.ones(3, requires_grad=True)),
    "view_written_under_no_grad": lambda T: (lambda y: (lambda v: [_no_grad(T, lambda: v.mul_(2)), _name(v),
                                                                   _name(y)])(y[:2]))(
        T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1),
    "view_of_view_written": lambda T: (lambda x: (lambda y: (lambda a: (lambda b: [
        b.mul_(2), _name(a), _name(b), _name(y), (a * T.tensor([1.0, 10.0])).sum().backward(), x.grad])(a[1:]))(
        y[:2]))(x * 1))(T.tensor([1.0, 2.0, 3.0], requires_grad=True)),
    "stale_transpose": lambda T: (lambda x: (lambda y: (lambda v: [y.mul_(x), (v * T.tensor([[1.0, 2.0], [3.0, 4.0]]))
                                                                   .sum().backward(), x.grad])(y.t()))(x * 1))(
        T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)),
    "stale_expand": lambda T: (lambda x: (lambda y: (lambda e: [y.mul_(2), e.sum().backward(), x.grad, _name(e)])(
        y.expand(2, 3)))(x * 1))(T.tensor([1.0, 2.0, 3.0], requires_grad=True)),
    "stale_view_double_backward": lambda T: (lambda x: (lambda y: (lambda v: [
        y.mul_(2), (lambda g: [g, g.sum().backward(), x.grad])(
            T.autograd.grad((v * v).sum(), x, create_graph=True)[0])])(y[1:]))(x * 1))(
        T.tensor([1.0, 2.0, 3.0], requires_grad=True)),
    # writes into expanded tensors
    "expand_add_": lambda T: T.ones(1, 3).expand(2, 3).add_(1),
    "expand_neg_": lambda T: T.ones(1, 3).expand(2, 3).neg_(),
    "expand_clamp_": lambda T: T.ones(1, 3).expand(2, 3).clamp_(0, 1),
    "expand_fill_then_mul_": lambda T: (lambda e: [e.fill_(3), e.zero_(), e.mul_(2)])(T.ones(1, 3).expand(2, 3)),
    "expand_setitem_row": lambda T: (lambda e: [e.__setitem__(0, 2.0), e])(T.ones(1, 3).expand(2, 3)),
    "expand_setitem_column": lambda T: (lambda e: e.__setitem__((slice(None), 0), 2.0))(T.ones(1, 3).expand(2, 3)),
    "expand_row_view_add_": lambda T: (lambda e: [e[0].add_(1), e])(T.ones(1, 3).expand(2, 3)),
    # outputs of ops returning several views
    "chunk_leaf_mul_": lambda T: T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True).chunk(2)[0].mul_(2),
    "unbind_mul_": lambda T: (T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1).unbind(0)[0].mul_(2),
    "split_sizes_mul_": lambda T: (T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True) * 1).split([1, 3])[1].mul_(2),
    "chunk_no_grad_anywhere": lambda T: (lambda x: [x.chunk(2)[0].mul_(2), x])(T.tensor([1.0, 2.0, 3.0, 4.0])),
    "chunk_written_other_requires_grad": lambda T: T.tensor([1.0, 2.0, 3.0, 4.0]).chunk(2)[0].mul_(
        T.tensor(2.0, requires_grad=True)),
    "chunk_base_written": _chunk_write_base,
    "chunk_base_written_then_used": lambda T: (lambda y: (lambda a: [y.mul_(2), (a * 1).sum()])(y.chunk(2)[0]))(
        T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True) * 1),
    "chunk_view_of_output_base_written": lambda T: (lambda y: (lambda c: [y.mul_(2), _name(c)])(y.chunk(2)[0][0:1]))(
        T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True) * 1),
    "chunk_base_written_under_no_grad": lambda T: (lambda y: (lambda a: [_no_grad(T, lambda: y.mul_(2)), _name(a)])(
        y.chunk(2)[0]))(T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True) * 1),
    "chunk_of_constant_base_written_with_grad": lambda T: (lambda x: (lambda a: [
        x.mul_(T.tensor(2.0, requires_grad=True)), _name(a)])(x.chunk(2)[0]))(T.tensor([1.0, 2.0, 3.0, 4.0])),
    "no_grad_view_base_written": lambda T: (lambda y: (lambda v: [y.mul_(2), _name(v)])(_no_grad(T, lambda: y[:2])))(
        T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1),
    "no_grad_view_written": lambda T: (lambda y: _no_grad(T, lambda: y[:2]).mul_(2))(
        T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1),
    # the node a version error names: PyTorch drops "Backward0" and keeps other numbers
    **{f"version_error_{name}": _version_error(write) for name, write in {
           "fill_": lambda T, y: y.fill_(2.0), "zero_": lambda T, y: y.zero_(), "mul_": lambda T, y: y.mul_(2),
           "setitem": lambda T, y: y.__setitem__(0, 5.0), "index_put": lambda T, y: y.__setitem__(T.tensor([0]), 5.0),
           "copy_": lambda T, y: y.copy_(T.ones(3)), "clamp_": lambda T, y: y.clamp_(0, 1),
           "pow_tensor": lambda T, y: y.pow_(T.ones(3)), "div_floor": lambda T, y: y.div_(2, rounding_mode="floor"),
       }.items()},
}


@pytest.mark.parametrize("name", list(VIEW_WRITES))
def test_view_and_inplace_parity(torch_ref, name):
    """Views share memory and version with their base (x[1] too); in-place ops check aliasing inputs; a view
    older than an in-place write on its base gets the base's new history; PyTorch's errors, texts included."""
    same(torch_ref, VIEW_WRITES[name])


# An in-place op through a view: the base's node is a CopySlices that wraps the op's own node, its edges are the
# base's old history and the op's other inputs (none for fill_/zero_, (None, 0) for a number); x[idx] = v is a
# copy_ (or fill_ for a 0-d value) into the view x[idx], or into x itself when idx selects all of x.
_W = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
COPY_SLICES_WRITES = {
    "mul_scalar": lambda T, y, v: y[0].mul_(2),
    "add_tensor": lambda T, y, v: y[:, 1].add_(v[:2]),
    "setitem_value": lambda T, y, v: y.__setitem__(1, v),
    "setitem_number": lambda T, y, v: y.__setitem__((0, 1), 7.0),
    "setitem_0d_value": lambda T, y, v: y.__setitem__((slice(None), 2), v[1]),
    "setitem_broadcast_value": lambda T, y, v: y.__setitem__((slice(None), slice(1, None)), v[1:]),
    "setitem_whole": lambda T, y, v: y.__setitem__(slice(None), v),
    "setitem_whole_number": lambda T, y, v: y.__setitem__(Ellipsis, 2.0),
    "setitem_view_of_view": lambda T, y, v: y[1].__setitem__(slice(0, 2), v[:2]),
    "fill_": lambda T, y, v: y[0, 1:].fill_(2.0),
    "fill_tensor": lambda T, y, v: y[0, 1:].fill_(v[0]),
    "zero_": lambda T, y, v: y[1].zero_(),
    "exp_": lambda T, y, v: y[1].exp_(),
    "copy_": lambda T, y, v: y[0].copy_(v),
    "index_put_view": lambda T, y, v: y[0].__setitem__(T.tensor([0, 2]), v[:2]),
    "index_put_base": lambda T, y, v: y.__setitem__(T.tensor([1]), v),
    "masked_fill_view": lambda T, y, v: y[1].masked_fill_(T.tensor([True, False, True]), 3.0),
    "masked_fill_tensor": lambda T, y, v: y[1].masked_fill_(T.tensor([True, False, True]), v[1]),
    "transposed_mul_": lambda T, y, v: y.t()[1].mul_(v[:2]),
    "reshaped_mul_": lambda T, y, v: y.view(6)[2:5].mul_(v),
    "view_reads_its_base": lambda T, y, v: y[0].mul_(y[1]),
    "three_writes": lambda T, y, v: [y[0].mul_(v), y[:, 1].add_(v[:2]), y[1].mul_(v)],
    "expanded_row_setitem": lambda T, y, v: y[0].expand(2, 3).__setitem__(0, v),
    "expanded_other_row_setitem": lambda T, y, v: y[0].expand(2, 3).__setitem__(1, v),
    # the base's gradient puts fn's result into the expanded view: PyTorch refuses, in backward
    "expanded_fill_": lambda T, y, v: y[0].expand(2, 3).fill_(7.0),
    "expanded_masked_fill_": lambda T, y, v: y[0].expand(2, 3).masked_fill_(T.tensor([True, False, True]), 2.0),
}


def _copy_slices_scenario(write, double=False):
    def scenario(T):
        x = T.tensor(_W, requires_grad=True)
        v = T.tensor([0.5, 1.5, 2.5], requires_grad=True)
        y = x * 1
        write(T, y, v)
        graph = graph_names(y, 4)
        loss = (y * y * T.tensor(_W)).sum()
        if not double:
            loss.backward()
            return [graph, y, x.grad, v.grad]
        grads = T.autograd.grad(loss, [x, v], create_graph=True, allow_unused=True)
        sum((g ** 2).sum() for g in grads if g is not None).backward()
        return [[None if g is None else g.detach() for g in grads], x.grad, v.grad]
    return scenario


@pytest.mark.parametrize("double", [False, True], ids=["backward", "double_backward"])
@pytest.mark.parametrize("name", list(COPY_SLICES_WRITES))
def test_copy_slices_structure_and_gradients(torch_ref, name, double):
    """A write through a view: one CopySlices on the base wrapping the in-place op's node, with PyTorch's
    next_functions, gradients (first and second order) and errors."""
    same(torch_ref, _copy_slices_scenario(COPY_SLICES_WRITES[name], double))


def _expanded_base_setitem(T):
    # e[0] is the whole of e's base: the write replaces all of it, nothing reaches x
    x = T.ones(3, requires_grad=True)
    v = T.tensor(5.0, requires_grad=True)
    e = (x * 1).expand(2, 3)
    e[0] = v
    (e * T.tensor(_W)).sum().backward()
    return [graph_names(e, 3), x.grad, v.grad]


def _copy_slices_saved_freed(T):
    x = T.tensor(_W, requires_grad=True)
    v = T.tensor([0.5, 1.5, 2.5], requires_grad=True)
    y = x * 1
    y[0].mul_(v)
    loss = (y * y).sum()
    loss.backward()
    loss.backward()


def _copy_slices_saved_modified(T):
    x = T.tensor(_W, requires_grad=True)
    v = T.tensor([0.5, 1.5, 2.5], requires_grad=True) * 1
    y = x * 1
    y[0].mul_(v)
    v.add_(1)
    (y * y).sum().backward()


def _copy_slices_constant_base(T):
    y = T.ones(2, 3)
    v = T.tensor([0.5, 1.5, 2.5], requires_grad=True)
    y[0].mul_(v)
    y[1] = v
    (y * y).sum().backward()
    return [graph_names(y, 3), v.grad]


@pytest.mark.parametrize("scenario", [_expanded_base_setitem, _copy_slices_saved_freed, _copy_slices_saved_modified,
                                      _copy_slices_constant_base], ids=lambda f: f.__name__.strip("_"))
def test_copy_slices_more(torch_ref, scenario):
    same(torch_ref, scenario)


def test_copy_slices_saved_tensors_ledger():
    """The wrapped op's saved tensors are listed as the CopySlices node's, and freed by backward."""
    from graphgrad.autograd.graph import saved_tensors

    x = graphgrad.tensor(_W, requires_grad=True)
    v = graphgrad.tensor([0.5, 1.5, 2.5], requires_grad=True)
    y = x * 1
    y[0].mul_(v)
    rows = [r for r in saved_tensors(y) if r.node == "torch::autograd::CopySlices"]
    assert sorted(r.name for r in rows) == ["other", "self"] and all(r.state == "alive" for r in rows)
    y.sum().backward()
    rows = [r for r in saved_tensors(y) if r.node == "torch::autograd::CopySlices"]
    assert rows and all(r.state == "freed" for r in rows)
    assert y.grad_fn.fn.is_released


# A view made under no_grad (or inference_mode) of a tensor that requires grad: PyTorch reports requires_grad=True
# (through its base) while it stays a leaf with no grad_fn; ops on it record nodes whose edge to it is (None, 0);
# an in-place write to it (or to a view of it) with grad enabled is refused.
def _no_grad_view(T, base=lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True), mode="no_grad"):
    x = base(T)
    with getattr(T, mode)():
        v = x[:2]
    return x, v


def _edges(t):
    return [(node_name(fn), nr) for fn, nr in t.grad_fn.next_functions]


NO_GRAD_VIEWS = {
    "flags": lambda T: (lambda x, v: [v.requires_grad, v.is_leaf, v.grad_fn, v._base is x, repr(v)])(
        *_no_grad_view(T)),
    "flags_of_nonleaf_base": lambda T: (lambda x, v: [v.requires_grad, v.is_leaf, v.grad_fn])(
        *_no_grad_view(T, lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2)),
    "flags_inference_mode": lambda T: (lambda x, v: [v.requires_grad, v.is_leaf, v.is_inference()])(
        *_no_grad_view(T, mode="inference_mode")),
    "base_without_grad": lambda T: (lambda x, v: [v.requires_grad, (v * 2).requires_grad])(
        *_no_grad_view(T, lambda T: T.tensor([1.0, 2.0, 3.0]))),
    "used_in_op": lambda T: (lambda x, v: (lambda w: [w.requires_grad, _name(w), _edges(w), w.sum().backward(),
                                                      x.grad])(v * 2))(*_no_grad_view(T)),
    "used_with_other_input": lambda T: (lambda x, v: (lambda w: [_edges(w), w.sum().backward(), x.grad])(
        T.cat([v, x * 1])))(*_no_grad_view(T)),
    "view_of_it_with_grad": lambda T: (lambda x, v: (lambda vv: [vv.requires_grad, vv.is_leaf, _name(vv), _edges(vv)])(
        v[:1]))(*_no_grad_view(T)),
    "unary_and_clone": lambda T: (lambda x, v: [_name(v.clone()), v.sum().requires_grad, v.int().requires_grad,
                                                T.relu(v).requires_grad])(*_no_grad_view(T)),
    "copied_into_constant": lambda T: (lambda x, v: (lambda w: [w.copy_(v), w.requires_grad, _edges(w)])(T.zeros(2)))(
        *_no_grad_view(T)),
    "written_into_constant": lambda T: (lambda x, v: (lambda w: [w.mul_(v), w.requires_grad, _edges(w)])(T.ones(2)))(
        *_no_grad_view(T)),
    "requires_grad_false_keeps_true": lambda T: (lambda x, v: [v.requires_grad_(False).requires_grad])(
        *_no_grad_view(T)),
    "requires_grad_true_makes_own_leaf": lambda T: (lambda x, v: (lambda w: [_edges(w), w.sum().backward(), v.grad,
                                                                             x.grad])(v.requires_grad_() * 2))(
        *_no_grad_view(T)),
    "retain_grad_and_hook": lambda T: (lambda x, v: [v.retain_grad(), v.register_hook(lambda g: g) is not None])(
        *_no_grad_view(T)),
    "numpy_refused": lambda T: _no_grad_view(T)[1].numpy(),
    "backward_on_it": lambda T: _no_grad_view(T)[1].backward(T.ones(2)),
    "grad_wrt_it": lambda T: (lambda x, v: T.autograd.grad((v * 3).sum(), v))(*_no_grad_view(T)),
    "grad_wrt_base": lambda T: (lambda x, v: T.autograd.grad((v * 3).sum(), x))(*_no_grad_view(T)),
    "written_in_place": lambda T: _no_grad_view(T)[1].mul_(2),
    "written_in_place_nonleaf_base": lambda T: _no_grad_view(
        T, lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2)[1].mul_(2),
    "setitem": lambda T: _no_grad_view(T, lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2)[1].__setitem__(
        0, 5.0),
    "view_of_it_written": lambda T: _no_grad_view(
        T, lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2)[1][:1].mul_(2),
    "inference_view_written": lambda T: _no_grad_view(
        T, lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2, "inference_mode")[1].mul_(2),
    "inference_view_of_it_written": lambda T: _no_grad_view(
        T, lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2, "inference_mode")[1][:1].mul_(2),
    "inference_view_base_written": lambda T: (lambda x, v: [x.mul_(2), v.grad_fn])(*_no_grad_view(
        T, lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2, "inference_mode")),
    "written_under_no_grad": lambda T: (lambda x, v: [_no_grad(T, lambda: v.mul_(2)), v.requires_grad, x._version])(
        *_no_grad_view(T)),
}


@pytest.mark.parametrize("name", list(NO_GRAD_VIEWS))
def test_no_grad_view_parity(torch_ref, name):
    same(torch_ref, NO_GRAD_VIEWS[name])


def test_0d_mask_and_gather_gradients(torch_ref):
    """A 0-d tensor indexed by a 0-d mask or gathered with a 0-d index: PyTorch's values, nodes and gradients."""
    def scenario(T):
        s = T.tensor(2.0, requires_grad=True)
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        outs = [s[s > 0], s.gather(0, T.tensor(0)), x.gather(0, T.tensor(1)), s.transpose(0, -1)]
        sum(o.sum() for o in outs).backward()
        return [o.grad_fn.name() for o in outs], outs, s.grad, x.grad

    same(torch_ref, scenario)


@pytest.mark.parametrize("expr", [
    "a.expand_as(a)", "a.expand(a.shape)", "a.expand(-1, -1)", "a.broadcast_to((2, 3))", "a.narrow(0, 0, 2)",
    "a.view(a.shape)", "a.reshape(2, 3)", "a.permute(0, 1)", "a.contiguous()", "a.float()", "a.to(T.float32)",
    "T.broadcast_tensors(a, a)[0]", "a.squeeze()", "a[...]",
    "s.max(-1)[0]", "s.min(0)[0]", "s.max(0, keepdim=True)[1]", "s.cumsum(0)", "s.cumprod(0)", "s.sort()[0]",
    "s.topk(1)[0]", "s.argsort()", "s.movedim(0, 0)", "s.expand(())", "s.transpose(0, -1)",
])
def test_identity_shapes_make_nodes_as_torch_does(torch_ref, expr):
    """Where PyTorch records a node for an op that changes nothing (expand to the same shape, max of a 0-d
    tensor) graphgrad does too, and where PyTorch returns the tensor itself (contiguous, to the same dtype)
    so does graphgrad: the result's identity, node name, and the gradient through it."""
    def scenario(T):
        a = T.ones(2, 3, requires_grad=True)
        s = T.tensor(3.0, requires_grad=True)
        y = eval(expr, {"T": T, "a": a, "s": s})
        name = node_name(y.grad_fn)
        out = [y, name, y is a or y is s, y.is_leaf]
        if y.requires_grad:
            leaf = a if expr.startswith(("a", "T")) else s
            (g,) = T.autograd.grad(y.sum(), [leaf], create_graph=True)
            out += [g, node_name(g.grad_fn)]
        return out

    same(torch_ref, scenario)


def test_grad_accumulated_after_create_graph_keeps_torch_nodes(torch_ref):
    """The first .grad made with create_graph is a copy (CopyBackwards); a later plain backward sums into it
    in place, so it keeps that node; a later create_graph backward adds out of place (AddBackward0)."""
    def scenario(T):
        out = []
        for first, second, third in [(True, False, False), (False, True, False), (True, True, False),
                                     (False, True, True)]:
            x = T.tensor([1.0, 2.0], requires_grad=True)
            for create in (first, second, third):
                (x * x).sum().backward(create_graph=create)
                out += [x.grad.detach().clone(), node_name(x.grad.grad_fn), x.grad.requires_grad]
            out.append(x.grad._version > 0)
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).sum().backward(create_graph=True)  # a gradient with no history: copied, no node
        out += [x.grad, node_name(x.grad.grad_fn)]
        return out

    same(torch_ref, scenario)


def test_grad_mode_managers_give_nothing_to_as(torch_ref):
    """``with torch.no_grad() as x``: x is None in PyTorch, for every grad-mode manager."""

    def run(T):
        out = []
        for make in (T.no_grad, T.enable_grad, lambda: T.set_grad_enabled(False), T.inference_mode):
            with make() as got:
                out.append(got)
        return out

    import graphgrad

    assert run(graphgrad) == run(torch_ref) == [None, None, None, None]
