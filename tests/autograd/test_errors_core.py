"""Error texts against real PyTorch: the same exception type, and graphgrad's message starts with
PyTorch's (graphgrad may add its own explanation after it, never change it). Shape mismatches also name
both shapes. A fuzz of bad calls checks that no internal exception (AttributeError, KeyError, a NumPy
ValueError, ...) reaches the user where PyTorch raises its own error."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad

from .._parity import Raised, compare, observe, same


def _requires_grad(T, *shape):
    return T.ones(*shape, requires_grad=True)


def _second_backward(T):
    y = (_requires_grad(T, 3) * _requires_grad(T, 3)).sum()
    y.backward()
    y.backward()


def _modified(T):
    x = _requires_grad(T, 3)
    y = x * 2
    z = (y * y).sum()
    y.add_(1)
    z.backward()


def _post_backward_saved(T):
    x = _requires_grad(T, 3)
    y = x.exp()
    y.sum().backward()
    return y.grad_fn._saved_result


def _grad_unused(T):
    a, b = _requires_grad(T, 2), _requires_grad(T, 2)
    T.autograd.grad((a * 2).sum(), [a, b])


def _grad_not_requiring(T):
    a = _requires_grad(T, 2)
    T.autograd.grad((a * 2).sum(), [T.ones(2)])


def _floor_divide_backward(T):
    ((_requires_grad(T, 3) + 1) // 2).sum().backward()


def _remainder_backward(T):
    (3 % (_requires_grad(T, 3) + 1)).sum().backward()


# name -> (scenario, substrings graphgrad's message must also contain: both shapes, for mismatches)
ERRORS = {
    # the texts of DESIGN.md and the issue
    "second_backward": (_second_backward, ()),
    "saved_after_free": (_post_backward_saved, ()),
    "implicit_grad_non_scalar": (lambda T: (_requires_grad(T, 2) * 2).backward(), ()),
    "leaf_inplace": (lambda T: _requires_grad(T, 2).add_(1), ()),
    "leaf_view_inplace": (lambda T: _requires_grad(T, 2, 2)[0].mul_(2), ()),
    "modified_inplace": (_modified, ()),
    "no_grad_fn": (lambda T: T.ones(2).sum().backward(), ()),
    "no_grad_fn_under_no_grad": (lambda T: _no_grad_loss(T).backward(), ()),
    "retain_grad_no_rg": (lambda T: T.ones(2).retain_grad(), ()),
    "hook_no_rg": (lambda T: T.ones(2).register_hook(lambda g: g), ()),
    "grad_unused": (_grad_unused, ()),
    "grad_not_requiring": (_grad_not_requiring, ()),
    "numpy_requires_grad": (lambda T: _requires_grad(T, 2).numpy(), ()),
    "floor_divide_backward": (_floor_divide_backward, ()),
    "remainder_backward": (_remainder_backward, ()),
    "int_requires_grad": (lambda T: T.tensor([1, 2], requires_grad=True), ()),
    "non_leaf_requires_grad_false": (lambda T: (_requires_grad(T, 2) * 2).requires_grad_(False), ()),
    "item_many": (lambda T: T.ones(2).item(), ()),
    "bool_many": (lambda T: bool(T.ones(2)), ()),
    "mean_int": (lambda T: T.tensor([1, 2]).mean(), ()),
    "int_negative_pow": (lambda T: T.tensor([2]) ** -1, ()),
    "clamp_no_bounds": (lambda T: T.ones(2).clamp(), ()),
    "max_empty": (lambda T: T.ones(0).max(), ()),
    "len_0d": (lambda T: len(T.tensor(1.0)), ()),
    "iter_0d": (lambda T: iter(T.tensor(1.0)), ()),
    "index_0d": (lambda T: T.tensor(1.0)[0], ()),
    "float_index": (lambda T: T.ones(3)[T.tensor([1.0])], ()),
    "index_out_of_range": (lambda T: T.ones(2, 3)[5], ()),
    "index_out_of_range_dim1": (lambda T: T.ones(2, 3)[:, 3], ()),
    "too_many_indices": (lambda T: T.ones(2, 3)[0, 0, 0], ()),
    "dim_out_of_range": (lambda T: T.ones(2, 3).sum(5), ()),
    "dim_out_of_range_softmax": (lambda T: T.ones(2, 3).softmax(2), ()),
    "dim_out_of_range_transpose": (lambda T: T.ones(2, 3).transpose(0, 2), ()),
    "gather_out_of_range": (lambda T: T.ones(2, 3).gather(1, T.tensor([[5]])), ()),
    "permute_length": (lambda T: T.ones(2, 3).permute(0), ()),
    "split_sizes": (lambda T: T.ones(5).split([2, 2]), ()),
    "repeat_fewer_dims": (lambda T: T.ones(2, 3).repeat(2), ()),
    "t_3d": (lambda T: T.ones(2, 3, 4).t(), ()),
    "flatten_order": (lambda T: T.ones(2, 3, 4).flatten(2, 1), ()),
    "bmm_not_3d": (lambda T: T.bmm(T.ones(2, 3), T.ones(3, 2)), ()),
    "dot_not_1d": (lambda T: T.dot(T.ones(2, 3), T.ones(3)), ()),
    "matmul_0d": (lambda T: T.matmul(T.tensor(1.0), T.ones(2)), ()),
    "inplace_broadcast_output": (lambda T: T.ones(3).add_(T.ones(2, 3)), ("[3]", "[2, 3]")),
    # shape mismatches: PyTorch's text, and both shapes named
    "broadcast": (lambda T: T.ones(2, 3) + T.ones(4), ("[2, 3]", "[4]")),
    "broadcast_mul_3d": (lambda T: T.ones(2, 3, 4) * T.ones(2, 5, 4), ("[2, 3, 4]", "[2, 5, 4]")),
    "masked_fill_broadcast": (lambda T: T.ones(2, 3).masked_fill(T.ones(4, dtype=T.bool), 0), ("[2, 3]", "[4]")),
    "where_broadcast": (lambda T: T.where(T.ones(2, 3) > 0, T.ones(4), 0.0), ("[2, 3]", "[4]")),
    "matmul_2d": (lambda T: T.ones(2, 3) @ T.ones(4, 5), ("2x3", "4x5")),
    "matmul_1d": (lambda T: T.ones(3) @ T.ones(4), ("[3]", "[4]")),
    "matmul_mv": (lambda T: T.ones(2, 3) @ T.ones(4), ("2x3", "4")),
    "matmul_vm": (lambda T: T.ones(3) @ T.ones(4, 5), ("3", "4x5")),
    "matmul_batched": (lambda T: T.ones(2, 2, 3) @ T.ones(2, 4, 5), ("[2, 2, 3]", "[2, 4, 5]")),
    "mm": (lambda T: T.mm(T.ones(2, 3), T.ones(4, 5)), ("2x3", "4x5")),
    "bmm": (lambda T: T.bmm(T.ones(2, 2, 3), T.ones(2, 4, 5)), ("[2, 2, 3]", "[2, 4, 5]")),
    "addmm_bias": (lambda T: T.addmm(T.ones(3, 1), T.ones(4, 3), T.ones(3, 4)), ("[4, 4]", "[3, 1]")),
    "addmm_bias_3d": (lambda T: T.addmm(T.ones(2, 4, 4), T.ones(4, 3), T.ones(3, 4)), ()),
    "addmm_mat1_3d": (lambda T: T.addmm(T.ones(4), T.ones(4, 3, 1), T.ones(3, 4)), ()),
    "addmm_mat2_1d": (lambda T: T.addmm(T.ones(4), T.ones(4, 3), T.ones(3)), ()),
    "view": (lambda T: T.ones(2, 3).view(5), ("[5]", "[2, 3]")),
    "view_infer": (lambda T: T.ones(2, 3).view(4, -1), ("[4, -1]", "[2, 3]")),
    "view_non_contiguous": (lambda T: T.ones(2, 3).t().view(6), ()),
    "reshape": (lambda T: T.ones(2, 3).reshape(4, 2), ("[4, 2]", "[2, 3]")),
    "cat": (lambda T: T.cat([T.ones(2, 3), T.ones(2, 4)]), ("[2, 3]", "[2, 4]")),
    "cat_ndim": (lambda T: T.cat([T.ones(2, 3), T.ones(3)]), ("[2, 3]", "[3]")),
    "stack": (lambda T: T.stack([T.ones(2, 3), T.ones(2, 4)]), ("[2, 3]", "[2, 4]")),
    "expand": (lambda T: T.ones(3).expand(2, 4), ("[2, 4]", "[3]")),
    "expand_fewer_dims": (lambda T: T.ones(2, 3).expand(3), ("[2, 3]", "[3]")),
    "gradient_shape": (lambda T: (_requires_grad(T, 3) * 2).backward(T.ones(2)), ("[2]", "[3]")),
}


def _no_grad_loss(T):
    x = _requires_grad(T, 2)
    with T.no_grad():
        return (x * 2).sum()


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_text_matches_torch(torch_ref, name):
    fn, must_mention = ERRORS[name]
    g, _ = observe(fn, graphgrad)
    t, _ = observe(fn, torch_ref)
    assert isinstance(t, Raised), f"torch did not raise for {name}"
    compare(g, t)
    for s in must_mention:
        assert s in g.message, f"{name}: {s!r} not named in {g.message!r}"


def test_create_graph_warning_text(torch_ref):
    """PyTorch warns (once per process) that backward(create_graph=True) makes a reference cycle."""
    import warnings

    from graphgrad.autograd import engine

    engine._warned["create_graph"] = False
    x = graphgrad.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        (x * x).sum().backward(create_graph=True)
        (x * x).sum().backward(create_graph=True)
    texts = [str(m.message) for m in w if "create_graph" in str(m.message)]
    assert len(texts) == 1
    assert texts[0].startswith("Using backward() with create_graph=True will create a reference cycle between the "
                               "parameter and its gradient which can cause a memory leak.")


def test_non_leaf_grad_warning(torch_ref):
    def scenario(T):
        y = _requires_grad(T, 2) * 2
        return y.grad

    assert same(torch_ref, scenario) is None


# --- fuzz: bad calls never leak internal exceptions ---------------------------------------------------
def _pool(T):
    """Arguments, good and bad, to combine."""
    return [
        T.ones(2, 3), T.ones(3), T.tensor(2.0), T.ones(0), T.ones(2, 1, 4), T.tensor([1, 2]), T.tensor([True, False]),
        T.ones(4, 2), T.ones(2, 3, requires_grad=True), 0, 1, -1, 3, -4, 2.5, None, (0, 1), [0, 5], (1, 1), "x",
    ]


FUZZ_OPS = [
    ("add", 2), ("sub", 2), ("mul", 2), ("div", 2), ("pow", 2), ("maximum", 2), ("minimum", 2), ("matmul", 2),
    ("mm", 2), ("bmm", 2), ("mv", 2), ("dot", 2), ("outer", 2), ("sum", 2), ("mean", 2), ("prod", 2),
    ("max", 2), ("min", 2), ("amax", 2), ("argmax", 2), ("logsumexp", 2), ("cumsum", 2), ("softmax", 2),
    ("log_softmax", 2), ("var", 2), ("std", 2), ("norm", 2), ("squeeze", 2), ("unsqueeze", 2), ("flatten", 2),
    ("transpose", 3), ("permute", 2), ("reshape", 2), ("flip", 2), ("cat", 2), ("stack", 2), ("split", 3),
    ("chunk", 3), ("unbind", 2), ("index_select", 3), ("gather", 3), ("where", 3), ("clamp", 3), ("lerp", 3),
    ("masked_fill", 3), ("exp", 1), ("log", 1), ("relu", 1), ("sigmoid", 1), ("abs", 1), ("neg", 1), ("t", 1),
    ("eq", 2), ("lt", 2), ("logical_and", 2), ("isnan", 1), ("any", 2), ("all", 2), ("roll", 3), ("repeat", 2),
    ("expand", 2), ("view", 2), ("getitem", 2), ("scatter", 4), ("scatter_add", 4), ("unflatten", 3),
]
N_FUZZ = 300


def _fuzz_calls():
    rng = np.random.default_rng(1234)
    n_pool = len(_pool(graphgrad))
    calls = []
    for _ in range(N_FUZZ):
        name, arity = FUZZ_OPS[rng.integers(len(FUZZ_OPS))]
        calls.append((name, tuple(int(i) for i in rng.integers(n_pool, size=arity))))
    return calls


def _call(T, name, picks):
    pool = _pool(T)
    args = [pool[i] for i in picks]
    if name in ("cat", "stack"):
        args[0] = [a for a in args[:1] + args[1:2] if a is not None]
        args = args[:1]
    if name == "getitem":
        return args[0][args[1]]
    if name in ("expand", "view", "repeat"):
        return getattr(args[0], name)(*([args[1]] if not isinstance(args[1], (list, tuple)) else args[1]))
    if name == "lerp" and isinstance(args[0], (int, float)):
        args[0] = pool[0]
    return getattr(T, name)(*args)


def _describe(a):
    if isinstance(a, graphgrad.Tensor):
        return f"tensor{list(a.shape)}:{a.dtype.name}" + (":rg" if a.requires_grad else "")
    return repr(a)


@pytest.mark.parametrize("chunk", range(6))
def test_fuzz_bad_calls(torch_ref, chunk):
    calls = _fuzz_calls()
    size = len(calls) // 6
    problems = []
    for name, picks in calls[chunk * size:(chunk + 1) * size]:
        g, _ = observe(lambda T, n=name, p=picks: _call(T, n, p), graphgrad)
        t, _ = observe(lambda T, n=name, p=picks: _call(T, n, p), torch_ref)
        desc = f"{name}(" + ", ".join(_describe(_pool(graphgrad)[i]) for i in picks) + ")"
        if isinstance(g, Raised):
            if not isinstance(t, Raised):
                problems.append(f"{desc}: graphgrad {g}, torch returned a result")
            elif g.type == "TypeError" and t.type == "AttributeError":
                pass  # torch.norm/torch.split are Python code that leaks AttributeError; a TypeError is better
            elif g.type != t.type:
                # in particular AttributeError/KeyError/ValueError from graphgrad's internals never pass
                problems.append(f"{desc}: graphgrad {g}, torch {t}")
        elif isinstance(t, Raised) and t.type != "TypeError":
            # graphgrad's argument parsing is more lenient than PyTorch's in places (torch.where(3, x, y),
            # torch.split(x, tensor_of_sizes)): accepted where torch objects only to an argument's type
            problems.append(f"{desc}: torch {t}, graphgrad returned a result")
    assert not problems, "\n".join(problems)


FUZZ_METHODS = [
    ("sum", 1), ("mean", 1), ("view", 1), ("reshape", 1), ("transpose", 2), ("permute", 1), ("expand", 1),
    ("repeat", 1), ("squeeze", 1), ("unsqueeze", 1), ("flatten", 2), ("index_select", 2), ("gather", 2),
    ("masked_fill", 2), ("clamp", 2), ("pow", 1), ("matmul", 1), ("add", 1), ("mul", 1), ("div", 1),
    ("__getitem__", 1), ("softmax", 1), ("max", 1), ("min", 1), ("split", 1), ("chunk", 1), ("to", 1),
    ("add_", 1), ("mul_", 1), ("fill_", 1), ("copy_", 1), ("__setitem__", 2), ("expand_as", 1), ("type_as", 1),
    ("view_as", 1), ("flip", 1), ("norm", 1), ("cumsum", 1), ("argmax", 1), ("std", 1), ("var", 1),
    ("prod", 1), ("logsumexp", 1), ("unbind", 1), ("narrow", 3), ("select", 2), ("t", 0), ("item", 0),
    ("tolist", 0), ("numpy", 0), ("backward", 1), ("register_hook", 1), ("retain_grad", 0), ("requires_grad_", 1),
    ("__add__", 1), ("__mul__", 1), ("__lt__", 1), ("__matmul__", 1), ("__pow__", 1), ("__rsub__", 1),
    ("__rtruediv__", 1), ("__len__", 0), ("__bool__", 0), ("__float__", 0), ("__index__", 0),
]


def _method_calls():
    rng = np.random.default_rng(99)
    n_pool = len(_pool(graphgrad))
    calls = []
    for _ in range(N_FUZZ):
        name, arity = FUZZ_METHODS[rng.integers(len(FUZZ_METHODS))]
        calls.append((name, int(rng.integers(9)), tuple(int(i) for i in rng.integers(n_pool, size=arity))))
    return calls


def _call_method(T, name, self_index, picks):
    pool = _pool(T)
    self = pool[self_index]  # one of the tensors at the front of the pool
    self = self.clone() if not self.requires_grad else self.detach().clone().requires_grad_()
    return getattr(self, name)(*[pool[i] for i in picks])


@pytest.mark.parametrize("chunk", range(3))
def test_fuzz_bad_method_calls(torch_ref, chunk):
    calls = _method_calls()
    size = len(calls) // 3
    problems = []
    for name, si, picks in calls[chunk * size:(chunk + 1) * size]:
        g, _ = observe(lambda T, n=name, s=si, p=picks: _call_method(T, n, s, p), graphgrad)
        t, _ = observe(lambda T, n=name, s=si, p=picks: _call_method(T, n, s, p), torch_ref)
        desc = (f"{_describe(_pool(graphgrad)[si])}.{name}("
                + ", ".join(_describe(_pool(graphgrad)[i]) for i in picks) + ")")
        if isinstance(g, Raised):
            if not isinstance(t, Raised):
                problems.append(f"{desc}: graphgrad {g}, torch returned a result")
            elif g.type != t.type and not (g.type == "TypeError" and t.type == "AttributeError"):
                problems.append(f"{desc}: graphgrad {g}, torch {t}")
        elif isinstance(t, Raised) and t.type != "TypeError":
            problems.append(f"{desc}: torch {t}, graphgrad returned a result")
    assert not problems, "\n".join(problems)


def test_gradcheck_errors_and_warnings_match_torch(torch_ref):
    def no_input(T):
        T.autograd.gradcheck(lambda x: x * 2, (T.ones(2, dtype=T.float64),))

    def wrong(T):
        class Twice(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 3

        return T.autograd.gradcheck(Twice.apply, (T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True),))

    def single_precision(T):
        return T.autograd.gradcheck(lambda x: x * 2, (T.ones(2, requires_grad=True),), atol=1e-1, rtol=1e-1)

    same(torch_ref, no_input)
    same(torch_ref, wrong)
    same(torch_ref, single_precision)


# --- bad calls that used to leak an internal exception (or PyTorch's other type/text) ----------------------
BAD_CALLS = {
    "permute_duplicate": lambda T: T.ones(2, 3).permute(0, 0),
    # permute: the number of dims is checked first (PyTorch's text names sparse_coo for a dense tensor too), then
    # each dim in turn (out of range, or seen before)
    "permute_too_few_dims": lambda T: T.ones(2, 3, 4).permute(0, 1),
    "permute_too_many_dims": lambda T: T.ones(2, 3, 4).permute(0, 1, 2, 3),
    "permute_too_few_repeated": lambda T: T.ones(2, 3, 4).permute(0, 0),
    "permute_too_many_repeated": lambda T: T.ones(2, 3).permute(0, 1, 1),
    "permute_too_many_out_of_range": lambda T: T.ones(2, 3).permute(0, 1, 5),
    "permute_out_of_range": lambda T: T.ones(2, 3).permute(0, 2),
    "permute_repeated_before_out_of_range": lambda T: T.ones(2, 3, 4).permute(0, 0, 5),
    "permute_out_of_range_before_repeated": lambda T: T.ones(2, 3, 4).permute(5, 0, 0),
    "permute_negative_too_many": lambda T: T.ones(2, 3).permute(1, 0, -1),
    "permute_list_too_few": lambda T: T.ones(2, 3, 4).permute([2, 0]),
    "permute_tuple_too_many": lambda T: T.ones(2, 3).permute((1, 0, 0)),
    "permute_keyword_too_few": lambda T: T.ones(2, 3, 4).permute(dims=(1, 0)),
    "permute_fn_too_few": lambda T: T.permute(T.ones(2, 3, 4), (1, 0)),
    "permute_fn_too_many": lambda T: T.permute(T.ones(2, 3), [1, 0, 2]),
    "permute_fn_keyword_too_many": lambda T: T.permute(T.ones(2, 3), dims=(1, 0, 2)),
    "permute_fn_duplicate": lambda T: T.permute(T.ones(2, 3), (1, 1)),
    # a shape given by its keyword: the kernel's own error, not an argument error about the keyword
    "reshape_keyword_wrong_numel": lambda T: T.ones(2, 3).reshape(shape=(5,)),
    "expand_keyword_fewer_dims": lambda T: T.ones(2, 3).expand(size=(3,)),
    "repeat_keyword_fewer_dims": lambda T: T.ones(2, 3).repeat(repeats=(2,)),
    "narrow_too_long": lambda T: T.ones(2, 3).narrow(1, 2, 5),
    "narrow_bad_start": lambda T: T.ones(2, 3).narrow(1, -4, 1),
    "select_out_of_range": lambda T: T.ones(2, 3).select(0, 5),
    "bool_mask_shape": lambda T: T.ones(2, 3)[T.tensor([True])],
    "index_select_out_of_range": lambda T: T.ones(2, 3).index_select(0, T.tensor([0, 5])),
    "index_select_negative": lambda T: T.ones(2, 3).index_select(0, T.tensor([-1])),
    "index_select_2d_index": lambda T: T.ones(2, 3).index_select(0, T.tensor([[0]])),
    "scatter_number_src": lambda T: T.ones(2, 3).scatter(1, T.tensor([[1]]), 2.0),
    "scatter_out_of_range": lambda T: T.ones(2, 3).scatter(1, T.tensor([[7]]), 1.0),
    "scatter_larger_src": lambda T: T.zeros(3).scatter(0, T.tensor([0]), T.tensor([1.0, 2.0, 3.0])),
    "cat_empty": lambda T: T.cat([]),
    "new_zeros_negative": lambda T: T.ones(2).new_zeros(-1),
    "sum_duplicate_dims": lambda T: T.ones(2, 3).sum(dim=(0, 0)),
    "amax_duplicate_dims": lambda T: T.ones(2, 3).amax((1, -1)),
    "topk_k_too_large": lambda T: T.ones(2, 3).topk(5),
    "topk_k_negative": lambda T: T.ones(2, 3).topk(-1),
    "tile_int": lambda T: T.ones(2, 3).tile(2),
    "tile_negative": lambda T: T.ones(2, 3).tile(-1),
    "repeat_interleave_negative": lambda T: T.ones(2, 3).repeat_interleave(-1),
    "repeat_interleave_negative_tensor": lambda T: T.ones(2, 3).repeat_interleave(T.tensor([-1, 1]), dim=0),
    "arange_wrong_sign": lambda T: T.arange(1, 0),
    "linspace_negative_steps": lambda T: T.linspace(0, 1, -1),
    "randint_empty_range": lambda T: T.randint(5, 1, (2,)),
    "tensor_split_zero": lambda T: T.ones(2, 3).tensor_split(0),
    "isclose_shapes": lambda T: T.isclose(T.ones(2, 3), T.ones(4, 5)),
    "allclose_shapes": lambda T: T.allclose(T.ones(2, 3), T.ones(4, 5)),
    "mean_integer_dtype": lambda T: T.ones(2, 3).mean(1, dtype=T.int64),
    "expand_as_last_dim_first": lambda T: T.ones(2, 3).expand_as(T.ones(4, 5)),
    "reshape_negative": lambda T: T.ones(2, 3).reshape(-2),
    "take_out_of_range": lambda T: T.ones(2, 3).take(T.tensor([10])),
    # index_add / scatter_add: PyTorch's checks, in its order, naming both shapes
    "index_add_count": lambda T: T.ones(2, 3).index_add(0, T.tensor([0]), T.ones(2, 3)),
    "index_add_count_dim1": lambda T: T.index_add(T.ones(2, 3), 1, T.tensor([0, 1]), T.ones(2, 3)),
    "index_add_shape": lambda T: T.ones(2, 3).index_add(0, T.tensor([0, 1]), T.ones(2, 4)),
    "index_add_rank": lambda T: T.ones(2, 3).index_add(0, T.tensor([0, 1]), T.ones(2)),
    "index_add_0d_source": lambda T: T.ones(3).index_add(0, T.tensor([0]), T.tensor(1.0)),
    "index_add_dim_past_source": lambda T: T.ones(2, 3).index_add(1, T.tensor([0]), T.ones(1)),
    "index_add_out_of_range": lambda T: T.ones(2, 3).index_add(0, T.tensor([5]), T.ones(1, 3)),
    "index_add_negative": lambda T: T.ones(2, 3).index_add(0, T.tensor([-1]), T.ones(1, 3)),
    "index_add_float_index": lambda T: T.ones(2, 3).index_add(0, T.tensor([0.0]), T.ones(1, 3)),
    "index_add_2d_index": lambda T: T.ones(2, 3).index_add(0, T.tensor([[0]]), T.ones(1, 3)),
    "index_add_dtype": lambda T: T.ones(2, 3).index_add(0, T.tensor([0]), T.ones(1, 3, dtype=T.float64)),
    "index_add__count": lambda T: T.ones(2, 3).index_add_(0, T.tensor([0]), T.ones(2, 3)),
    "scatter_add_index_larger": lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0, 1]]), T.ones(1, 1)),
    "scatter_add_index_rows": lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0, 1]] * 3), T.ones(3, 3)),
    "scatter_add_src_rank": lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0, 1]]), T.ones(2, 3, 4)),
    "scatter_add_self_rank": lambda T: T.ones(2, 3).scatter_add(1, T.tensor([0, 1]), T.ones(2, 3)),
    "scatter_add_src_1d": lambda T: T.ones(2, 3).scatter_add(0, T.tensor([[0, 1]]), T.ones(2)),
    "scatter_add_out_of_range": lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0, 7]]), T.ones(2, 3)),
    "scatter_add_negative": lambda T: T.scatter_add(T.ones(2, 3), 1, T.tensor([[-1]]), T.ones(2, 3)),
    "scatter_add_float_index": lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0.0]]), T.ones(2, 3)),
    "scatter_add_dtype": lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0, 1]]), T.ones(2, 3, dtype=T.float64)),
    "scatter_add_number_src": lambda T: T.scatter_add(T.ones(2, 3), 1, T.tensor([[0, 1]]), 1.0),
    "scatter_add__index_larger": lambda T: T.ones(2, 3).scatter_add_(1, T.tensor([[0, 1]]), T.ones(1, 1)),
    "gather_float_index": lambda T: T.ones(2, 3).gather(1, T.tensor([[0.0]])),
    "scatter_float_index": lambda T: T.ones(2, 3).scatter(1, T.tensor([[0.0]]), T.ones(2, 3)),
    "index_select_float_index": lambda T: T.ones(2, 3).index_select(0, T.tensor([0.0])),
    # clamp with one tensor bound and one number bound: PyTorch's overload error, as method and function
    "clamp_tensor_number": lambda T: T.ones(2, 3).clamp(T.zeros(1), 1.0),
    "clamp_number_tensor": lambda T: T.ones(2, 3).clamp(0, T.ones(1)),
    "clamp_kw_mixed": lambda T: T.ones(2, 3).clamp(min=1, max=T.ones(1)),
    "clamp_pos_kw_mixed": lambda T: T.ones(2, 3).clamp(T.zeros(1), max=1.0),
    "clip_method_mixed": lambda T: T.ones(2, 3).clip(0.5, max=T.ones(1)),
    "clamp_fn_mixed": lambda T: T.clamp(T.ones(2, 3), T.zeros(3), 2.5),
    "clamp_fn_kw_mixed": lambda T: T.clamp(T.ones(2, 3), min=T.zeros(3), max=2),
    "clip_fn_mixed": lambda T: T.clip(T.ones(2, 3), 0.5, T.ones(1)),
    # where broadcasts condition, input, other in that order
    "where_input_other": lambda T: T.where(T.ones(2, 3) > 0, T.ones(4), T.ones(5)),
    "where_other": lambda T: T.where(T.ones(2, 3) > 0, T.ones(3), T.ones(5)),
    "where_condition_input": lambda T: T.where(T.ones(4) > 0, T.ones(2, 3), T.ones(2, 3)),
    "where_three_way": lambda T: T.where(T.ones(2, 1) > 0, T.ones(3, 1, 4), T.ones(5)),
    "where_scalar_input": lambda T: T.where(T.ones(4) > 0, 1.0, T.ones(2, 3)),
    # outer takes 1-D tensors only
    "outer_2d": lambda T: T.outer(T.ones(2, 3), T.ones(3)),
    "outer_2d_vec2": lambda T: T.outer(T.ones(3), T.ones(2, 3)),
    "outer_0d": lambda T: T.outer(T.tensor(2.0), T.ones(3)),
    "outer_method_2d": lambda T: T.ones(2, 3).outer(T.ones(3)),
    "ger_2d": lambda T: T.ger(T.ones(2, 3), T.ones(3)),
    # to(<a Python number>): PyTorch reads the number's type as the dtype
    "to_float_number": lambda T: T.ones(2, 3).to(5.0),
    "to_bool_number": lambda T: T.ones(2, 3).to(True),
    # the ops added with einsum: their bad inputs raise PyTorch's type and text
    "tril_1d": lambda T: T.tril(T.ones(3)),
    "triu_0d": lambda T: T.tensor(1.0).triu(),
    "diag_3d": lambda T: T.diag(T.ones(2, 2, 2)),
    "diag_0d": lambda T: T.diag(T.tensor(1.0)),
    "diagonal_same_dims": lambda T: T.ones(2, 3).diagonal(0, 0, 0),
    "diagonal_dim_out_of_range": lambda T: T.ones(2, 3).diagonal(0, 0, 2),
    "diagonal_1d": lambda T: T.ones(3).diagonal(),
    "diag_embed_same_dims": lambda T: T.diag_embed(T.ones(2, 3), 0, 0, 0),
    "trace_1d": lambda T: T.trace(T.ones(3)),
    "trace_3d": lambda T: T.ones(2, 3, 4).trace(),
    "unfold_too_large": lambda T: T.ones(2, 3).unfold(1, 4, 1),
    "unfold_step_zero": lambda T: T.ones(2, 3).unfold(1, 2, 0),
    "unfold_negative_size": lambda T: T.ones(3).unfold(0, -1, 1),
    "unfold_dim": lambda T: T.ones(2, 3).unfold(2, 2, 1),
    "broadcast_tensors_shapes": lambda T: T.broadcast_tensors(T.ones(2, 3), T.ones(4)),
    "broadcast_tensors_list": lambda T: T.broadcast_tensors([T.ones(2), T.ones(2)]),
    "broadcast_to_fewer_dims": lambda T: T.broadcast_to(T.ones(2, 3), (3,)),
    "diff_negative_n": lambda T: T.ones(2, 3).diff(n=-1),
    "diff_0d": lambda T: T.diff(T.tensor(1.0)),
    "diff_prepend_shape": lambda T: T.diff(T.ones(2, 3), prepend=T.ones(3, 1)),
    "diff_prepend_rank": lambda T: T.diff(T.ones(2, 3), prepend=T.ones(1)),
    "index_fill_out_of_range": lambda T: T.ones(2, 3).index_fill(1, T.tensor([5]), 2.0),
    "index_fill_2d_index": lambda T: T.ones(2, 3).index_fill(1, T.tensor([[0]]), 2.0),
    "index_fill_float_index": lambda T: T.ones(2, 3).index_fill(1, T.tensor([0.0]), 2.0),
    "index_fill_1d_value": lambda T: T.ones(2, 3).index_fill(1, T.tensor([0]), T.ones(2)),
    "index_fill_dim": lambda T: T.ones(2, 3).index_fill(3, T.tensor([0]), 1),
    "hypot_number": lambda T: T.hypot(T.ones(2), 2.0),
    "hypot_int": lambda T: T.hypot(T.tensor([1, 2]), T.tensor([1, 2])),
    "hypot_shapes": lambda T: T.hypot(T.ones(2, 3), T.ones(4)),
    "xlogy_numbers": lambda T: T.xlogy(2, 3),
    "xlogy_shapes": lambda T: T.xlogy(T.ones(2, 3), T.ones(4)),
    "copysign_number_first": lambda T: T.copysign(2, T.ones(2)),
    "median_dim_out_of_range": lambda T: T.ones(2, 3).median(2),
    "kthvalue_k_too_large": lambda T: T.ones(2, 3).kthvalue(5, 1),
    "kthvalue_k_zero": lambda T: T.ones(2, 3).kthvalue(0),
    "mode_dim_out_of_range": lambda T: T.ones(2, 3).mode(-3),
    "vector_norm_int": lambda T: T.linalg.vector_norm(T.tensor([1, 2])),
    "norm_neg_empty_dim": lambda T: T.ones(0, 3).norm(-1, dim=0),
    "norm_inf_empty": lambda T: T.ones(0, 3).norm(float("inf")),
    "norm_neg_inf_empty_dims": lambda T: T.ones(3, 0).norm(float("-inf"), dim=(0, -1)),
    "norm_neg_empty_negative_dim": lambda T: T.ones(0, 3).norm(-0.5, dim=-2),
    "vector_norm_inf_empty_dim": lambda T: T.linalg.vector_norm(T.ones(0, 3), float("inf"), dim=0),
    "norm_inf_nonempty_dim": lambda T: T.ones(3, 0).norm(float("inf"), dim=0),
    "vector_norm_str_ord": lambda T: T.linalg.vector_norm(T.ones(2, 3), "fro"),
    "linalg_norm_ord_3d": lambda T: T.linalg.norm(T.ones(2, 3, 4), "fro"),
    "linalg_norm_fro_one_dim": lambda T: T.linalg.norm(T.ones(2, 3), "fro", dim=1),
    "einsum_size_mismatch": lambda T: T.einsum("ij,jk->ik", T.ones(2, 3), T.ones(4, 3)),
    "einsum_fewer_operands": lambda T: T.einsum("ij,jk->ik", T.ones(2, 3)),
    "einsum_more_operands": lambda T: T.einsum("i", T.ones(3), T.ones(3)),
    "einsum_rank": lambda T: T.einsum("ijk,jk->ik", T.ones(2, 3), T.ones(2, 3)),
    "einsum_rank_ellipsis": lambda T: T.einsum("...ijk", T.ones(2, 3)),
    "einsum_output_unknown": lambda T: T.einsum("ij->ijk", T.ones(2, 3)),
    "einsum_output_twice": lambda T: T.einsum("ij->ii", T.ones(2, 3)),
    "einsum_repeated_sizes": lambda T: T.einsum("ii->i", T.ones(2, 3)),
    "einsum_bad_subscript": lambda T: T.einsum("i1->i", T.ones(2, 3)),
    "einsum_bad_output_subscript": lambda T: T.einsum("ij->i->j", T.ones(2, 3)),
    "einsum_ellipsis_broadcast": lambda T: T.einsum("...ij,...jk->...ik", T.ones(5, 2, 3), T.ones(4, 3, 4)),
    "einsum_dot_not_ellipsis": lambda T: T.einsum("i.j", T.ones(2, 2)),
    "einsum_two_ellipses": lambda T: T.einsum("...i...", T.ones(2, 3)),
    "einsum_output_two_ellipses": lambda T: T.einsum("ij->......", T.ones(2, 3)),
    "einsum_output_dot": lambda T: T.einsum("ij->..", T.ones(2, 3)),
    "einsum_dtypes": lambda T: T.einsum("i,i", T.ones(3), T.ones(3, dtype=T.int64)),
    "einsum_no_operands": lambda T: T.einsum("i"),
    "einsum_number_operand": lambda T: T.einsum("i", 3),
    "einsum_equation_type": lambda T: T.einsum(3, T.ones(3)),
    # dtypes an op has no kernel for, and float results that don't fit an integer tensor in place
    "abs_bool": lambda T: T.tensor([True]).abs(),
    "floor_bool": lambda T: T.tensor(True).floor(),
    "round_bool": lambda T: T.tensor([True]).round(),
    "frac_int": lambda T: T.tensor([2]).frac(),
    "frac_bool": lambda T: T.tensor([True]).frac(),
    "bitwise_not_float": lambda T: T.tensor([1.5]).bitwise_not(),
    "relu_bool": lambda T: T.tensor([True]).relu(),
    "sign_bool": lambda T: T.tensor([True, False]).sign(),
    "square_bool": lambda T: T.tensor([True]).square(),
    "exp__int": lambda T: T.tensor([2]).exp_(),
    "sigmoid__int": lambda T: T.tensor(2).sigmoid_(),
    "sqrt__bool": lambda T: T.tensor([True]).sqrt_(),
    "clamp__no_bounds": lambda T: T.tensor([2]).clamp_(),
    "clamp__no_bounds_leaf": lambda T: T.ones(2, requires_grad=True).clamp_(),
    "frac__int": lambda T: T.tensor([2]).frac_(),
    "logcumsumexp_int": lambda T: T.tensor([1, 2]).logcumsumexp(0),
    "logcumsumexp_bool": lambda T: T.tensor([True]).logcumsumexp(0),
    "logcumsumexp_dim": lambda T: T.ones(2, 3).logcumsumexp(2),
    "cummax_dim": lambda T: T.ones(2, 3).cummax(-3),
    "cummin_no_dim": lambda T: T.ones(2, 3).cummin(),
    "erf__int": lambda T: T.tensor([2]).erf_(),
    "bitwise_not__float": lambda T: T.ones(2).bitwise_not_(),
    "atan2__shapes": lambda T: T.ones(2, 3).atan2_(T.ones(2, 2)),
    "clip__mixed": lambda T: T.ones(2, 3).clip_(T.zeros(3), 1.0),
    "clamp__mixed": lambda T: T.ones(2, 3).clamp_(0.0, T.ones(3)),
    "clamp__broadcast_past_self": lambda T: T.ones(2, 3).clamp_(min=T.zeros(2, 2, 3)),
    "var_int": lambda T: T.tensor([1, 2]).var(),
    "std_int_dim": lambda T: T.tensor([[1, 2]]).std(5),
    "var_mean_int": lambda T: T.var_mean(T.tensor([1, 2])),
    "std_mean_int": lambda T: T.std_mean(T.tensor(1)),
    # a required argument left out: PyTorch's "missing ... required positional arguments" text
    "permute_no_dims": lambda T: T.ones(2, 3).permute(),
    "permute_fn_no_dims": lambda T: T.permute(T.ones(2, 3)),
    "reshape_no_shape": lambda T: T.ones(2, 3).reshape(),
    "reshape_fn_no_shape": lambda T: T.reshape(T.ones(2, 3)),
    "expand_no_size": lambda T: T.ones(2, 3).expand(),
    "repeat_no_repeats": lambda T: T.ones(2, 3).repeat(),
    "sum_to_size_no_size": lambda T: T.ones(2, 3).sum_to_size(),
    "new_zeros_no_size": lambda T: T.ones(2, 3).new_zeros(),
    "new_ones_no_size": lambda T: T.ones(2, 3).new_ones(),
    "softmax_no_dim": lambda T: T.ones(2, 3).softmax(),
    "softmax_fn_no_dim": lambda T: T.softmax(T.ones(2, 3)),
    "softmax_dim_none": lambda T: T.softmax(T.ones(2, 3), dim=None),
    "log_softmax_no_dim": lambda T: T.ones(2, 3).log_softmax(),
    "transpose_one_dim": lambda T: T.ones(2, 3).transpose(0),
    "transpose_no_dims": lambda T: T.ones(2, 3).transpose(),
    "transpose_fn_one_dim": lambda T: T.transpose(T.ones(2, 3), 0),
    "swapaxes_one_axis": lambda T: T.swapaxes(T.ones(2, 3), 0),
    "gather_no_args": lambda T: T.ones(2, 3).gather(),
    "index_add_no_source": lambda T: T.ones(2, 3).index_add(0, T.tensor([0])),
    "unfold_no_args": lambda T: T.ones(2, 3).unfold(),
    "split_no_size": lambda T: T.ones(2, 3).split(),
    "unflatten_no_sizes": lambda T: T.ones(2, 3).unflatten(0),
    "norm_too_many": lambda T: T.ones(2, 3).norm(1, 1, 1, 1, 1),
    "diagonal_too_many": lambda T: T.ones(2, 3).diagonal(0, 0, 0, 0),
    "permute_dims_keyword": lambda T: T.ones(2, 3).permute(dims=(1, 0)),
    "reshape_shape_keyword": lambda T: T.reshape(T.ones(2, 3), shape=(3, 2)),
    # a wrongly typed operand: positions after self for methods, none for keywords
    "add__str": lambda T: T.ones(2).add_("x"),
    "sub__none": lambda T: T.ones(2).sub_(None),
    "mul_method_str": lambda T: T.ones(2).mul("x"),
    "add_alpha_str": lambda T: T.ones(2).add_(1, alpha="x"),
    "maximum_method_number": lambda T: T.ones(2).maximum(1),
    "flatten_keyword_str": lambda T: T.ones(2, 3).flatten(start_dim="a"),
    "transpose_keyword_str": lambda T: T.ones(2, 3).transpose(0, dim1="a"),
}


# PyTorch reports these through its overloads ("received an invalid combination of arguments"), listing
# its signatures; graphgrad gives the same type and first words
OVERLOAD_CALLS = {
    "view_no_shape": lambda T: T.ones(2, 3).view(),
    "add_no_other": lambda T: T.ones(2, 3).add(),
    "pow_no_exponent": lambda T: T.ones(2, 3).pow(),
    "fn_pow_no_exponent": lambda T: T.pow(T.ones(2, 3)),
    "fn_add_no_other": lambda T: T.add(T.ones(2, 3)),
    "narrow_no_length": lambda T: T.ones(2, 3).narrow(0, 0),
    "where_no_other": lambda T: T.ones(2, 3).where(T.ones(2, 3) > 0),
    "scatter_no_index": lambda T: T.ones(2, 3).scatter(0),
    "sum_too_many": lambda T: T.ones(2, 3).sum(1, 2, 3, 4),
    "pow__str": lambda T: T.ones(2).pow_("x"),
}


@pytest.mark.parametrize("name", list(OVERLOAD_CALLS))
def test_overload_errors_match_torch_type(torch_ref, name):
    g, _ = observe(OVERLOAD_CALLS[name], graphgrad)
    t, _ = observe(OVERLOAD_CALLS[name], torch_ref)
    assert isinstance(t, Raised) and isinstance(g, Raised) and g.type == t.type == "TypeError", (g, t)
    head = t.message.split(", but expected")[0]
    assert head.endswith(")") and g.message.startswith(head), (g.message, t.message)


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_calls_raise_torch_errors(torch_ref, name):
    """PyTorch's exception type and text (graphgrad may add context after it); wrong shapes name both."""
    same(torch_ref, BAD_CALLS[name])


# --- 0-d tensors: what PyTorch accepts (dims 0 and -1) and refuses -----------------------------------
ZERO_DIM_CALLS = {
    "cat_0d": lambda T: T.cat([T.tensor(1.0), T.tensor(2.0)]),
    "cat_0d_second": lambda T: T.cat([T.tensor([1.0]), T.tensor(2.0)]),
    "unbind_0d": lambda T: T.tensor(1.0).unbind(0),
    "unbind_0d_out_of_range": lambda T: T.tensor(1.0).unbind(-2),
    "chunk_0d": lambda T: T.tensor(1.0).chunk(2),
    "split_0d": lambda T: T.tensor(1.0).split(1),
    "split_0d_sizes": lambda T: T.tensor(1.0).split([1]),
    "tensor_split_0d": lambda T: T.tensor(1.0).tensor_split(2),
    "narrow_0d": lambda T: T.tensor(1.0).narrow(0, 0, 1),
    "transpose_0d": lambda T: T.tensor(1.0, requires_grad=True).transpose(0, -1),
    "transpose_0d_out_of_range": lambda T: T.tensor(1.0).transpose(0, 1),
    "permute_0d": lambda T: T.tensor(1.0, requires_grad=True).permute(()),
    "permute_0d_one_dim": lambda T: T.tensor(1.0).permute(0),
    "permute_0d_minus_one": lambda T: T.tensor(1.0).permute(-1),
    "getitem_0d_ellipsis_slice": lambda T: T.tensor(1.0)[..., :2],
    "getitem_0d_slice": lambda T: T.tensor(1.0)[:],
    "getitem_0d_bool_list": lambda T: T.tensor(1.0)[[True]],
    "setitem_0d_int": lambda T: T.tensor(1.0).__setitem__(0, 1),
    "setitem_0d_slice": lambda T: T.tensor(1.0).__setitem__(slice(None), 1),
    "select_0d": lambda T: T.tensor(1.0).select(0, 0),
    "copy__0d_broadcast": lambda T: T.tensor(1.0).copy_(T.ones(2, 1)),
    "copy__broadcast_past_self": lambda T: T.ones(2, 1).copy_(T.ones(2, 3)),
    "gather_0d_1d_index": lambda T: T.tensor(1.0).gather(0, T.tensor([[0, 0]])),
    "gather_0d_out_of_range": lambda T: T.tensor(1.0).gather(0, T.tensor(1)),
    "gather_0d_negative": lambda T: T.tensor(1.0).gather(0, T.tensor(-1)),
    "gather_negative": lambda T: T.arange(3.0).gather(0, T.tensor([-1])),
    "gather_negative_dim1": lambda T: T.ones(2, 3).gather(1, T.tensor([[-1], [0]])),
    "scatter_negative": lambda T: T.ones(2, 3).scatter(1, T.tensor([[-1]]), 1.0),
    "index_select_0d": lambda T: T.tensor(5.0).index_select(0, T.tensor([0])),
    "index_select_0d_0d_index": lambda T: T.tensor(5.0).index_select(-1, T.tensor(0)),
    "index_select_0d_out_of_range": lambda T: T.tensor(5.0).index_select(0, T.tensor([1])),
    "index_select_0d_negative": lambda T: T.tensor(5.0).index_select(0, T.tensor([-1])),
    "index_select_0d_two": lambda T: T.tensor(5.0).index_select(0, T.tensor([0, 0])),
    "index_select_0d_dim": lambda T: T.tensor(5.0).index_select(1, T.tensor([0])),
    "scatter_0d": lambda T: T.tensor(5.0).scatter(0, T.tensor(0), 2.0),
    "scatter_0d_1d_index": lambda T: T.tensor(5.0).scatter(0, T.tensor([0]), T.tensor(3.0)),
    "scatter_0d_out_of_range": lambda T: T.tensor(5.0).scatter(0, T.tensor(1), 2.0),
    "scatter_0d_dim": lambda T: T.tensor(5.0).scatter(1, T.tensor(0), 2.0),
    "scatter_add_0d": lambda T: T.tensor(5.0).scatter_add(0, T.tensor([0, 0]), T.tensor([3.0, 4.0])),
    "scatter__0d": lambda T: T.tensor(5.0).scatter_(0, T.tensor(0), 2.0),
    "index_add_0d": lambda T: T.tensor(5.0).index_add(0, T.tensor(0), T.tensor(2.0)),
    "index_add_0d_1d_source": lambda T: T.tensor(5.0).index_add(0, T.tensor([0]), T.tensor([2.0])),
    "index_add_0d_out_of_range": lambda T: T.tensor(5.0).index_add(0, T.tensor([1]), T.tensor(2.0)),
    "index_add_0d_dim": lambda T: T.tensor(5.0).index_add(1, T.tensor([0]), T.tensor(2.0)),
    "index_add__0d": lambda T: T.tensor(5.0).index_add_(0, T.tensor([0]), T.tensor(2.0)),
    "mask_0d": lambda T: (lambda s: s[s > 0])(T.tensor(1.0)),
    "mask_0d_false": lambda T: (lambda s: s[s < 0])(T.tensor(1.0)),
    "mask_0d_with_none": lambda T: (lambda s: s[None, s > 0])(T.tensor(1.0)),
    "setitem_0d_mask": lambda T: (lambda s: (s.__setitem__(s > 0, 3.0), s)[1])(T.tensor(1.0)),
    "nonzero_0d": lambda T: (T.tensor(2.0).nonzero(), T.tensor(0.0).nonzero(), T.tensor(2.0).nonzero(as_tuple=True)),
}


def _set_requires_grad(t):
    t.requires_grad = True


# which text PyTorch gives depends on the operands (sub) or on the way requires_grad is asked for
TEXT_VARIANTS = {
    "sub_two_bools": lambda T: T.tensor([True]) - T.tensor([True]),
    "sub_two_bools_fn": lambda T: T.sub(T.tensor([True]), T.tensor([True])),
    "sub_bool_tensor_and_true": lambda T: T.tensor([True]) - True,
    "rsub_true_and_bool_tensor": lambda T: True - T.tensor([True]),
    "sub__two_bools": lambda T: T.tensor([True]).sub_(T.tensor([True])),
    "sub_bool_and_int": lambda T: T.tensor([True]) - T.tensor([1]),
    "sub_int_and_bool": lambda T: T.tensor([1]) - T.tensor([True]),
    "sub__int_and_true": lambda T: T.tensor([1]).sub_(True),
    "requires_grad_setter_int": lambda T: _set_requires_grad(T.tensor([1])),
    "requires_grad__int": lambda T: T.tensor([1]).requires_grad_(),
    "factory_requires_grad_int": lambda T: T.ones(2, dtype=T.int64, requires_grad=True),
    "tensor_requires_grad_int": lambda T: T.tensor([1], requires_grad=True),
    "new_zeros_requires_grad_int": lambda T: T.tensor([1]).new_zeros(2, requires_grad=True),
    "parameter_int": lambda T: T.nn.Parameter(T.tensor([1])),
    # the leaf's in-place error comes before any shape check
    "leaf_sub__wrong_shape": lambda T: T.ones(2, requires_grad=True).sub_(T.ones(3)),
    "leaf_mul__broadcast_past": lambda T: T.ones(2, requires_grad=True).mul_(T.ones(2, 2)),
    "leaf_copy__wrong_shape": lambda T: T.ones(2, requires_grad=True).copy_(T.ones(3)),
    "leaf_masked_fill__wrong_mask": lambda T: T.ones(2, requires_grad=True).masked_fill_(T.ones(3) > 0, 1.0),
    "expand_as_names_last_dim": lambda T: T.ones(2, 3).expand_as(T.ones(2, 4)),
    "expand_as_names_first_dim": lambda T: T.ones(3, 1).expand_as(T.ones(4, 2)),
    "expand_as_fewer_dims": lambda T: T.ones(2, 3).expand_as(T.ones(3)),
    # floating-point samplers refuse integer and bool dtypes
    "rand_like_int": lambda T: T.rand_like(T.tensor([1, 2])),
    "randn_like_int": lambda T: T.randn_like(T.tensor([1, 2])),
    "rand_like_bool": lambda T: T.rand_like(T.tensor([True])),
    "rand_int_dtype": lambda T: T.rand(2, dtype=T.int64),
    "randn_int_dtype": lambda T: T.randn(2, dtype=T.int32),
    "randn_like_int_dtype": lambda T: T.randn_like(T.ones(2), dtype=T.int32),
    "normal__int": lambda T: T.tensor([1, 2]).normal_(),
    "uniform__int": lambda T: T.tensor([1, 2]).uniform_(),
    "exponential__int": lambda T: T.tensor([1, 2]).exponential_(),
    "rand_like_float_dtype": lambda T: T.rand_like(T.tensor([1, 2]), dtype=T.float32).dtype,
    # nn.functional: PyTorch's types and texts for bad arguments and shapes
    "leaky_relu_str_slope": lambda T: T.nn.functional.leaky_relu(T.ones(2), "x"),
    "leaky_relu_none_slope": lambda T: T.nn.functional.leaky_relu(T.ones(2), None),
    "cross_entropy_batch_sizes": lambda T: T.nn.functional.cross_entropy(T.ones(3, 4), T.tensor([0, 1])),
    "interpolate_1d_input": lambda T: T.nn.functional.interpolate(T.ones(3), scale_factor=2),
    "interpolate_6d_input": lambda T: T.nn.functional.interpolate(T.ones(1, 1, 2, 2, 2, 2), scale_factor=2),
    "avg_pool2d_1d_input": lambda T: T.nn.functional.avg_pool2d(T.ones(3), 2),
    "avg_pool2d_2d_input": lambda T: T.nn.functional.avg_pool2d(T.ones(2, 2), 2),
    "avg_pool2d_5d_input": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 1, 2, 2), 2),
    "adaptive_avg_pool2d_1d_input": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(3), 2),
    "conv2d_fewer_filters_than_groups": lambda T: T.nn.functional.conv2d(T.ones(1, 4, 5, 5), T.ones(2, 2, 3, 3),
                                                                         groups=3),
    "conv2d_filters_not_divisible": lambda T: T.nn.functional.conv2d(T.ones(1, 4, 5, 5), T.ones(3, 2, 3, 3), groups=2),
    "conv_transpose2d_fewer_filters_than_groups": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(1, 2, 5, 5), T.ones(2, 2, 3, 3), groups=3),
}


@pytest.mark.parametrize("name", list(TEXT_VARIANTS))
def test_error_text_variants_match_torch(torch_ref, name):
    same(torch_ref, TEXT_VARIANTS[name])


@pytest.mark.parametrize("name", list(ZERO_DIM_CALLS))
def test_zero_dim_calls_match_torch(torch_ref, name):
    same(torch_ref, ZERO_DIM_CALLS[name])
