"""The matrix products save what PyTorch's derivatives save: each operand only when the other one's gradient
needs it, and matmul's folded operand as a copy where folding it made one. What is saved decides which later
in-place writes make backward raise "modified by an inplace operation", so both are compared with PyTorch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import graphgrad
from graphgrad.autograd.graph import saved_tensors

from .._fuzz import outcome, same_outcome

# (name, the product, shape of a, shape of b): the op names PyTorch's graph ends with
PRODUCTS = [
    ("mm", lambda T, a, b: T.mm(a, b), (2, 3), (3, 4)),
    ("dot", lambda T, a, b: T.dot(a, b), (3,), (3,)),
    ("mv", lambda T, a, b: T.mv(a, b), (2, 3), (3,)),
    ("bmm", lambda T, a, b: T.bmm(a, b), (2, 2, 3), (2, 3, 4)),
    ("addmm", lambda T, a, b: T.addmm(T.ones(2, 4), a, b, beta=0.5, alpha=2.0), (2, 3), (3, 4)),
    ("linear", lambda T, a, w: T.nn.functional.linear(a, w), (2, 3), (4, 3)),
    ("linear_bias", lambda T, a, w: T.nn.functional.linear(a, w, T.ones(4)), (2, 3), (4, 3)),
    ("linear_3d", lambda T, a, w: T.nn.functional.linear(a, w), (2, 2, 3), (4, 3)),
    ("vec_mat", lambda T, a, b: a @ b, (3,), (3, 4)),
]

# matmul's ranks and broadcasts, with operands made non-contiguous by a transpose of their batch dimensions
_SHAPES = [(3,), (2, 3), (3, 3), (1, 3, 3), (2, 3, 3), (2, 1, 3, 3), (1, 2, 3, 3)]
MATMUL_SHAPES = [(sa, sb, t) for sa, sb in itertools.product(_SHAPES, _SHAPES) if max(len(sa), len(sb)) >= 3
                 for t in ("", "a", "b") if t == "" or len({"a": sa, "b": sb}[t]) >= 3]


def _write_operand(product, shape_a, shape_b, grad_of, written, transpose=""):
    """``product`` of two non-leaf operands where only ``grad_of`` ("a" or "b") requires grad, ``written``
    written in place afterwards, then backward: the gradient, or the error."""
    def prog(T):
        rng = np.random.default_rng(0)
        leaf_a = T.tensor(rng.uniform(-1, 1, shape_a).astype(np.float32), requires_grad=grad_of == "a")
        leaf_b = T.tensor(rng.uniform(-1, 1, shape_b).astype(np.float32), requires_grad=grad_of == "b")
        a, b = leaf_a * 1, leaf_b * 1
        if transpose == "a":
            a = a.transpose(0, -3)
        if transpose == "b":
            b = b.transpose(0, -3)
        y = product(T, a, b)
        with T.no_grad():
            (a if written == "a" else b).add_(1)
        (y * y).sum().backward()
        return leaf_a.grad if grad_of == "a" else leaf_b.grad
    return prog


def _same_as_torch(prog, torch_ref):
    problem = same_outcome(outcome(prog, graphgrad), outcome(prog, torch_ref))
    assert problem is None, problem


@pytest.mark.parametrize("grad_of", ["a", "b"])
@pytest.mark.parametrize("name", [p[0] for p in PRODUCTS])
def test_writing_the_operand_that_is_not_saved(name, grad_of, torch_ref):
    """Only a's gradient is needed: b is saved, a is not, so writing a afterwards is allowed (and b not)."""
    _, product, sa, sb = next(p for p in PRODUCTS if p[0] == name)
    other = "b" if grad_of == "a" else "a"
    _same_as_torch(_write_operand(product, sa, sb, grad_of, grad_of), torch_ref)
    assert _write_operand(product, sa, sb, grad_of, grad_of)(graphgrad) is not None
    _same_as_torch(_write_operand(product, sa, sb, grad_of, other), torch_ref)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _write_operand(product, sa, sb, grad_of, other)(graphgrad)


@pytest.mark.parametrize("grad_of", ["a", "b"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_batched_matmul_saves_a_folded_copy_where_pytorch_does(shapes, grad_of, torch_ref):
    """Writing the saved operand after a batched matmul raises exactly when PyTorch's saved fold of it is a
    view."""
    sa, sb, transpose = shapes
    other = "b" if grad_of == "a" else "a"
    prog = _write_operand(lambda T, a, b: a @ b, sa, sb, grad_of, other, transpose)
    ours, theirs = outcome(prog, graphgrad), outcome(prog, torch_ref)
    if ours[0] == theirs[0] == "error":  # the shape in the text is the saved tensor's: PyTorch's fold of it
        assert ours[2].split(":")[0] == theirs[2].split(":")[0]
    else:
        assert same_outcome(ours, theirs) is None, same_outcome(ours, theirs)


def _saved_names(fn):
    """{name: shape or None} of the operands a node saved, read as ``grad_fn._saved_<name>``."""
    out = {}
    for key in ("self", "other", "mat1", "mat2", "vec", "tensor"):
        try:
            t = getattr(fn, "_saved_" + key)
        except AttributeError:
            continue
        out[key] = None if t is None else tuple(t.shape)
    return out


@pytest.mark.parametrize("grad_of", ["a", "b", "ab"])
@pytest.mark.parametrize("name", ["mm", "dot", "mv", "bmm", "addmm", "linear", "linear_bias"])
def test_saved_operands_are_pytorchs(name, grad_of, torch_ref):
    _, product, sa, sb = next(p for p in PRODUCTS if p[0] == name)
    seen = {}
    for T in (graphgrad, torch_ref):
        a = T.ones(*sa, requires_grad="a" in grad_of)
        b = T.ones(*sb, requires_grad="b" in grad_of)
        fn = product(T, a, b).grad_fn
        seen[T.__name__] = (fn.name(), _saved_names(fn))
    assert seen["graphgrad"] == seen["torch"]


def _torch_saved_bytes(t):
    """Bytes of storage kept alive by the operands saved in the graph behind a PyTorch tensor."""
    storages, seen, stack = {}, set(), [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        stack.extend(n for n, _ in fn.next_functions)
        if fn.name() == "MulBackward0":  # the operands' own ``* 1``
            continue
        for key in ("_saved_self", "_saved_mat2", "_saved_other", "_saved_vec"):
            s = getattr(fn, key, None)
            if s is not None and hasattr(s, "untyped_storage"):
                storages[s.untyped_storage().data_ptr()] = s.untyped_storage().nbytes()
    return sum(storages.values())


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3, 4)), ((2, 1, 2, 3), (2, 3, 4)), ((3,), (2, 3, 4)),
                                    ((2, 2, 3), (3, 4)), ((1, 3, 3), (2, 3, 3))], ids=str)
@pytest.mark.parametrize("grad_of", ["a", "b"])
def test_ledger_counts_the_folded_copies(shapes, grad_of, torch_ref):
    """The ledger's saved bytes are those PyTorch's saved tensors keep alive (a folded copy is as large as
    the broadcast operand it copied; a view keeps its operand's storage)."""
    sa, sb = shapes
    held = {}
    for T in (graphgrad, torch_ref):
        a = T.ones(*sa, requires_grad=grad_of == "a") * 1
        b = T.ones(*sb, requires_grad=grad_of == "b") * 1
        y = a @ b
        if T is graphgrad:
            held["graphgrad"] = sum(r.bytes for r in saved_tensors(y) if r.node != "MulBackward0")
        else:
            held["torch"] = _torch_saved_bytes(y)
    assert held["graphgrad"] == held["torch"]


@pytest.mark.parametrize("input_requires_grad", [False, True])
def test_linear_weight_gradient_keeps_the_weights_layout(input_requires_grad, torch_ref):
    """Linear's weight enters transposed (column-major): its gradient is computed as a transpose, so it comes
    out C-contiguous like the weight, also when the input (so the weight itself) is not saved."""
    grads = {}
    for T in (graphgrad, torch_ref):
        x = T.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=input_requires_grad)
        w = T.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), requires_grad=True)
        T.nn.functional.linear(x, w, T.ones(4)).pow(2).sum().backward()
        grads[T.__name__] = (w.grad.detach().numpy().copy(), w.grad.is_contiguous())
    np.testing.assert_allclose(grads["graphgrad"][0], grads["torch"][0], rtol=1e-5)
    assert grads["graphgrad"][1] and grads["torch"][1]


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3, 4)), ((2, 1, 2, 3), (2, 3, 4)), ((1, 3, 3), (2, 3, 3))],
                         ids=str)
def test_double_backward_through_a_folded_copy(shapes):
    """The saved copy is recorded, so the derivative computed from it still differentiates into the operand."""
    from graphgrad.autograd import gradcheck, gradgradcheck

    rng = np.random.default_rng(1)
    a, b = (graphgrad.tensor(rng.normal(size=s), requires_grad=True) for s in shapes)
    assert gradcheck(lambda x, y: x @ y, (a, b))
    assert gradgradcheck(lambda x, y: x @ y, (a, b))


def test_fold_copy_test_agrees_with_making_the_copy():
    # whether folding an operand copies it is read from its strides; NumPy's reshape, which makes the copy when
    # one is needed, is the reference, over sliced, transposed and broadcast layouts
    from graphgrad.ops.linalg import _fold_is_copy

    rng = np.random.default_rng(0)
    for _ in range(3000):
        ndim = int(rng.integers(2, 6))
        shape = tuple(int(s) for s in rng.integers(1, 4, ndim))
        steps = tuple(slice(0, 2 * s, int(rng.integers(1, 3))) for s in shape)
        a = np.zeros(tuple(2 * s for s in shape), np.float32)[steps][tuple(slice(0, s) for s in shape)]
        a = a.transpose(rng.permutation(ndim))
        target = [s if s != 1 or rng.random() < 0.5 else int(rng.integers(1, 4)) for s in a.shape]
        target = tuple(int(s) for s in rng.integers(1, 3, rng.integers(0, 2))) + tuple(target)
        kept = int(rng.integers(1, min(3, len(target))))
        folded = (-1,) + target[len(target) - kept:]
        copies = not np.may_share_memory(np.broadcast_to(a, target).reshape(folded), a)
        assert _fold_is_copy(a, target, folded) == copies, (a.shape, a.strides, target, folded)
