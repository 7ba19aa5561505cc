"""torch.* functions and Tensor methods given a dimension, a size, a flag or a number of the wrong kind: PyTorch's
error (tests/_kinds.py varies each parameter of the cases below).

PyTorch's Python functions ``split`` and ``norm`` are not here: their code picks the kernel by the argument's
type (``split`` or ``split_with_sizes``; ``vector_norm`` or ``matrix_norm``), which graphgrad's older rules in
ops/_args answer; nor ``Tensor.unflatten`` (Python code that tests ``not sizes`` before its kernel), nor
``clamp`` (its own checks, ops/unary.py, still word a bound of the wrong kind in their own way).
"""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad

from .._kinds import FIX, FL, IO, IS, B, Case, I, function, method, mismatches, params_of, values

CASES = [
    *[Case(label, call(name), values(2, 3), [("dim", IS, 1), ("keepdim", B, False)])
      for name in ("sum", "mean", "amax", "logsumexp") for label, call in ((name, function), (f"x.{name}", method))],
    Case("std", function("std"), values(2, 3), [("dim", IS, 1)]),
    Case("var", function("var"), values(2, 3), [("dim", IS, 1)]),
    Case("prod", function("prod"), values(2, 3), [("dim", I, 1), ("keepdim", B, False)]),
    Case("argmax", function("argmax"), values(2, 3), [("dim", IO, 1), ("keepdim", B, False)]),
    *[Case(label, call(name), values(2, 3), [("dim", I, 1)])
      for name in ("cumsum", "cumprod", "logcumsumexp", "softmax")
      for label, call in ((name, function), (f"x.{name}", method))],
    Case("all", function("all"), lambda L: [L.ones(2, 3)], [("dim", I, 1), ("keepdim", B, False)]),
    Case("max", function("max"), values(2, 3), [("dim", I, 1), ("keepdim", B, False)]),
    Case("x.max", method("max"), values(2, 3), [("dim", I, 1), ("keepdim", B, False)]),
    Case("median", function("median"), values(2, 3), [("dim", I, 1), ("keepdim", B, False)]),
    Case("count_nonzero", function("count_nonzero"), values(2, 3), [("dim", IS, 1)]),
    Case("reshape", function("reshape"), values(2, 3), [("shape", IS, (3, 2))]),
    Case("x.reshape", method("reshape"), values(2, 3), [("shape", IS, (3, 2))]),
    Case("x.view", method("view"), values(2, 3), [("size", IS, (3, 2))]),
    Case("permute", function("permute"), values(2, 3), [("dims", IS, (1, 0))]),
    Case("x.permute", method("permute"), values(2, 3), [("dims", IS, (1, 0))]),
    Case("transpose", function("transpose"), values(2, 3), [("dim0", I, 0), ("dim1", I, 1)]),
    Case("x.transpose", method("transpose"), values(2, 3), [("dim0", I, 0), ("dim1", I, 1)]),
    Case("flatten", function("flatten"), values(2, 3, 4), [("start_dim", I, 1), ("end_dim", I, 2)]),
    Case("squeeze", function("squeeze"), values(2, 1, 3), [("dim", IS, 1)]),
    Case("x.squeeze", method("squeeze"), values(2, 1, 3), [("dim", IS, 1)]),
    Case("unsqueeze", function("unsqueeze"), values(2, 3), [("dim", I, 1)]),
    Case("narrow", function("narrow"), values(2, 5), [("dim", I, 1), ("start", I, 1), ("length", I, 2)]),
    Case("x.narrow", method("narrow"), values(2, 5), [("dim", I, 1), ("start", I, 1), ("length", I, 2)]),
    Case("select", function("select"), values(2, 5), [("dim", I, 1), ("index", I, 1)]),
    Case("chunk", function("chunk"), values(2, 6), [("chunks", I, 2), ("dim", I, 1)]),
    Case("unbind", function("unbind"), values(2, 6), [("dim", I, 1)]),
    Case("cat", function("cat"), lambda L: [[L.ones(2, 3), L.ones(2, 3)]], [("dim", I, 1)]),
    Case("stack", function("stack"), lambda L: [[L.ones(2, 3), L.ones(2, 3)]], [("dim", I, 1)]),
    *[Case(name, function(name), lambda L: [], [("size", IS, (2, 3))]) for name in ("zeros", "ones", "empty", "randn")],
    Case("full", function("full"), lambda L: [], [("size", IS, (2, 3)), ("fill_value", FL, 1.5)]),
    Case("arange", function("arange"), lambda L: [], [("start", FL, 0), ("end", FL, 5), ("step", FL, 1)]),
    Case("linspace", function("linspace"), lambda L: [], [("start", FL, 0.0), ("end", FL, 1.0), ("steps", I, 5)]),
    Case("eye", function("eye"), lambda L: [], [("n", I, 3), ("m", I, 2)]),
    Case("randint", function("randint"), lambda L: [], [("low", I, 0), ("high", I, 5), ("size", IS, (2, 3))]),
    Case("topk", function("topk"), values(2, 5),
         [("k", I, 2), ("dim", I, 1), ("largest", B, True), ("sorted", B, True)]),
    Case("x.topk", method("topk"), values(2, 5),
         [("k", I, 2), ("dim", I, 1), ("largest", B, True), ("sorted", B, True)]),
    Case("kthvalue", function("kthvalue"), values(2, 5), [("k", I, 2), ("dim", I, 1), ("keepdim", B, False)]),
    Case("sort", function("sort"), values(2, 5), [("dim", I, 1), ("descending", B, False)]),
    Case("argsort", function("argsort"), values(2, 5), [("dim", I, 1), ("descending", B, False)]),
    Case("movedim", function("movedim"), values(2, 3, 4), [("source", IS, 0), ("destination", IS, 2)]),
    Case("roll", function("roll"), values(2, 5), [("shifts", IS, 1), ("dims", IS, 1)]),
    Case("flip", function("flip"), values(2, 5), [("dims", IS, (1,))]),
    Case("x.repeat", method("repeat"), values(2, 3), [("repeats", IS, (2, 1))]),
    Case("x.expand", method("expand"), values(1, 3), [("size", IS, (2, 3))]),
    Case("tile", function("tile"), values(2, 3), [("dims", IS, (2, 1))]),
    Case("diagonal", function("diagonal"), values(3, 3), [("offset", I, 0), ("dim1", I, 0), ("dim2", I, 1)]),
    Case("tril", function("tril"), values(3, 3), [("diagonal", I, 0)]),
    Case("index_select", function("index_select"), values(2, 3), [("dim", I, 1), ("index", FIX, None)]),
    Case("round", function("round"), values(2, 3), [("decimals", I, 1)]),
    Case("diff", function("diff"), values(2, 5), [("n", I, 1), ("dim", I, 1)]),
    Case("x.repeat_interleave", method("repeat_interleave"), values(2, 3), [("repeats", I, 2), ("dim", IO, 1)]),
    Case("unflatten", function("unflatten"), values(2, 6), [("dim", I, 1), ("sizes", IS, (2, 3))]),
    Case("x.new_zeros", method("new_zeros"), values(2, 3), [("size", IS, (2, 3))]),
    Case("x.new_full", method("new_full"), values(2, 3), [("size", IS, (2, 3)), ("fill_value", FL, 1.5)]),
    Case("swapaxes", function("swapaxes"), values(2, 3), [("axis0", I, 0), ("axis1", I, 1)]),
    Case("swapdims", function("swapdims"), values(2, 3), [("dim0", I, 0), ("dim1", I, 1)]),
    Case("mvlgamma", function("mvlgamma"), values(2, 3), [("p", I, 2)]),
    Case("x.mvlgamma", method("mvlgamma"), values(2, 3), [("p", I, 2)]),
    Case("x.polygamma", method("polygamma"), values(2, 3), [("n", I, 1)]),
    Case("special.multigammaln", lambda lib, *a, **k: lib.special.multigammaln(*a, **k), values(2, 3), [("p", I, 2)]),
]
# graphgrad's swapaxes takes PyTorch's keywords axis0/axis1 only where a plain int is given (its own names are
# dim0/dim1): a keyword-naming gap, not one of kinds
SKIP = {("swapaxes", "axis0"): ("ok:np.int64", "ok:itensor0"), ("swapaxes", "axis1"): ("ok:np.int64", "ok:itensor0")}


@pytest.mark.parametrize("case,j,skip", params_of(CASES, SKIP))
def test_a_wrong_kind_gets_pytorchs_answer(case, j, skip, torch_ref):
    found = mismatches(graphgrad, torch_ref, case, j, skip)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("call", [
    lambda T: T.ones(2, 3).view(2, 3.0), lambda T: T.zeros(2, 3.0), lambda T: T.ones(2, 3).permute(1, "a"),
    lambda T: T.ones(2, 3).sum(True), lambda T: T.ones(2, 3).max(1.5), lambda T: T.ones(2, 3).sum(dim=1, keepdim=1),
    lambda T: T.ones(2, 3).squeeze(np.float64(0)),
], ids=["view varargs", "zeros varargs", "permute varargs", "sum bool", "max float", "sum keepdim int",
        "squeeze numpy float"])
def test_the_cheap_look_leaves_nothing_out(call, torch_ref):
    """Values of a type close to a taken one (a bool is an int to Python, a float among ints) go past the
    wrappers' exact-type look to the model of PyTorch's parser."""
    answers = []
    for lib in (graphgrad, torch_ref):
        with pytest.raises(TypeError) as e:
            call(lib)
        answers.append(str(e.value).splitlines()[0])
    assert answers[0] == answers[1]


def test_taken_kinds_reach_the_function_as_numbers():
    x = graphgrad.arange(6.).reshape(2, 3)
    assert x.sum(graphgrad.tensor(1)).tolist() == x.sum(1).tolist()
    assert x.view(np.int64(3), 2).shape == (3, 2)
    assert graphgrad.zeros([graphgrad.tensor(2), np.int32(3)]).shape == (2, 3)
