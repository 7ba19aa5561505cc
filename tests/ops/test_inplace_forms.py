"""Every in-place form (``x.op_(...)``, ``graphgrad.op_(x, ...)``) against PyTorch's, generated from the lists:
graphgrad's in-place methods are parametrized here, and ``test_every_torch_inplace_form_exists`` checks that
each in-place method and function PyTorch has, whose out-of-place op graphgrad has, is among them.

Each form is called with the first argument list PyTorch accepts for it (``_CANDIDATE_ARGS``), then compared:
values, dtype, the same object returned, the version bump, the gradient through a non-leaf
(``y = x * 1; y.op_(...); y.sum().backward()``), the error on a leaf that requires grad, and on an integer
tensor the result or PyTorch's refusal to cast the result into it.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad
from graphgrad.ops import FUNCTIONS, METHODS

from .._parity import assert_close, dtype_name

# in-place methods that are not ops on values: state (requires_grad_, detach_, share_memory_) and memory
# (resize_, resize_as_), tested on their own; conj_ is graphgrad's helper for the derivatives (PyTorch's is
# conj_physical_)
_NOT_OPS = {"requires_grad_", "detach_", "share_memory_", "resize_", "resize_as_", "conj_"}
# random fillers: graphgrad's stream is not PyTorch's, so values are not compared (their own tests compare
# distributions)
_RANDOM = {"bernoulli_", "cauchy_", "exponential_", "geometric_", "log_normal_", "normal_", "random_", "uniform_"}
# the random fillers' overloads PyTorch numbers differently (x.random_() is RandomBackward2, x.bernoulli_()
# BernoulliBackward2; graphgrad records ...Backward0): a matter of graphgrad.random, not of the in-place forms
_RANDOM_NODE_NAMES = {"bernoulli_", "random_"}
INPLACE_METHODS = sorted(n for n in METHODS if n.endswith("_") and not n.startswith("_") and n not in _NOT_OPS)

_SHAPE = (2, 3)


def _candidate_args(T, dtype):
    """Argument lists tried in order; an op is called with the first one PyTorch accepts."""
    rng = np.random.default_rng(1)

    def t(shape, lo=0.5, hi=2.0):
        return T.tensor(rng.uniform(lo, hi, size=shape), dtype=dtype)

    index = T.tensor([0, 2])
    return [
        (), (t((3,)),), (0.75,), (1,), (0, 1), (t(_SHAPE), 0.25), (t(_SHAPE), t(_SHAPE)), (t((2, 4)), t((4, 3))),
        (T.tensor([[True, False, True], [False, False, True]]), 0.25), (1, index, 0.25), (1, index, t((2, 2))),
        (1, T.tensor([[0], [2]]), t((2, 1))),
    ]


def _self(T, dtype, lo=0.1, hi=0.9):
    arr = np.random.default_rng(0).uniform(lo, hi, size=_SHAPE)
    return T.tensor(arr if dtype == "float32" else np.round(arr * 10), dtype=getattr(T, dtype))


def _args_for(torch, name):
    """(the dtype of self, the index of the first candidate argument list) that PyTorch's ``x.name(...)``
    accepts: float32 first, int64 for the integer-only ops (bitwise_and_, ...)."""
    for dtype in ("float32", "int64"):
        for i, args in enumerate(_candidate_args(torch, getattr(torch, dtype))):
            try:
                getattr(_self(torch, dtype), name)(*args)
                return dtype, i
            except (RuntimeError, TypeError, ValueError, IndexError, NotImplementedError):
                continue
    raise AssertionError(f"no candidate arguments fit torch's {name}")


def _call(T, name, x, found):
    """``x.name(*args)`` with the candidate arguments ``found`` picked (made in the dtype they were found with)."""
    dtype, k = found
    try:
        return getattr(x, name)(*_candidate_args(T, getattr(T, dtype))[k]), None
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return None, e


def _same_outcome(name, gg, th, what):
    """Both raised the same exception type, graphgrad's text starting with PyTorch's; or neither raised
    (then True: the results are to be compared)."""
    (g_res, g_err), (_, t_err) = gg, th
    if t_err is not None:
        assert g_err is not None, f"{name} {what}: torch raised {t_err!r}, graphgrad returned {g_res!r}"
        assert type(g_err) is type(t_err), f"{name} {what}: {g_err!r} vs torch's {t_err!r}"
        assert str(g_err).startswith(str(t_err).split("\n")[0]), f"{name} {what}: {g_err} vs torch's {t_err}"
        return False
    assert g_err is None, f"{name} {what}: graphgrad raised {g_err!r}, torch did not"
    return True


def test_every_torch_inplace_form_exists(torch_ref):
    """Each in-place method and ``torch.op_`` function PyTorch has, for an op graphgrad has."""
    missing_methods = [n for n in dir(torch_ref.Tensor) if n.endswith("_") and not n.startswith("_")
                       and hasattr(graphgrad.Tensor, n[:-1]) and not hasattr(graphgrad.Tensor, n)]
    missing_functions = [n for n in dir(torch_ref) if n.endswith("_") and not n.startswith("_")
                         and hasattr(graphgrad, n[:-1]) and not hasattr(graphgrad, n)]
    assert not missing_methods and not missing_functions, (missing_methods, missing_functions)


def test_no_inplace_form_torch_lacks(torch_ref):
    """graphgrad publishes no in-place method or function that PyTorch doesn't."""
    extra = [n for n in INPLACE_METHODS if not hasattr(torch_ref.Tensor, n)]
    extra += [n for n in FUNCTIONS if n.endswith("_") and not n.startswith("_") and not hasattr(torch_ref, n)]
    assert not extra, extra


@pytest.mark.parametrize("name", INPLACE_METHODS)
def test_inplace_values(torch_ref, name):
    """Values, dtype, the very tensor returned and the version bump, as PyTorch's (float32 and int64 self)."""
    found = _args_for(torch_ref, name)
    # random fillers refuse integer tensors with texts of their own (not this module's concern)
    for dtype in ("float32",) if name in _RANDOM else ("float32", "int64"):
        xg, xt = _self(graphgrad, dtype), _self(torch_ref, dtype)
        got = _call(graphgrad, name, xg, found)
        want = _call(torch_ref, name, xt, found)
        if not _same_outcome(name, got, want, dtype):
            continue
        assert got[0] is xg, f"{name} must return self"
        assert xg._version == xt._version, f"{name} {dtype}: version {xg._version}, torch {xt._version}"
        assert tuple(xg.shape) == tuple(xt.shape) and dtype_name(xg.dtype) == dtype_name(xt.dtype)
        if name not in _RANDOM:
            assert_close(xg, xt, what=f"{name} {dtype}")


@pytest.mark.parametrize("name", INPLACE_METHODS)
def test_inplace_grad_through_non_leaf(torch_ref, name):
    """``y = x * 1; y.op_(...); y.sum().backward()``: y's node and x.grad, or the same error, as PyTorch's."""
    found = _args_for(torch_ref, name)
    results, names = [], []  # and the node each records, named as PyTorch's
    for T in (graphgrad, torch_ref):
        x = _self(T, "float32").requires_grad_()
        y = x * 1
        out = _call(T, name, y, found)
        if out[1] is None:
            names.append(type(y.grad_fn).__name__)
            try:
                y.sum().backward()
                out = (x.grad, None)
            except Exception as e:  # noqa: BLE001 - the error itself is compared
                out = (None, e)
        results.append(out)
    if _same_outcome(name, *results, "grad through a non-leaf") and name not in _RANDOM:
        assert_close(results[0][0], results[1][0], what=f"{name} x.grad")
    if len(names) == 2 and name not in _RANDOM_NODE_NAMES:
        assert names[0] == names[1], f"{name}: y.grad_fn is {names[0]}, torch's {names[1]}"


@pytest.mark.parametrize("name", INPLACE_METHODS)
def test_inplace_on_leaf_that_requires_grad(torch_ref, name):
    """PyTorch's error for writing into a leaf that requires grad (or, where PyTorch allows it, no error)."""
    found = _args_for(torch_ref, name)
    got = _call(graphgrad, name, _self(graphgrad, "float32").requires_grad_(), found)
    want = _call(torch_ref, name, _self(torch_ref, "float32").requires_grad_(), found)
    _same_outcome(name, got, want, "on a leaf that requires grad")


FUNCTION_FORMS = sorted(n for n in FUNCTIONS if n.endswith("_") and not n.startswith("_"))


@pytest.mark.parametrize("name", FUNCTION_FORMS)
def test_inplace_function_form(torch_ref, name):
    """``graphgrad.op_(x, ...)`` writes into x as ``torch.op_`` does."""
    dtype, k = _args_for(torch_ref, name)
    xg, xt = _self(graphgrad, dtype), _self(torch_ref, dtype)
    assert getattr(graphgrad, name)(xg, *_candidate_args(graphgrad, getattr(graphgrad, dtype))[k]) is xg
    getattr(torch_ref, name)(xt, *_candidate_args(torch_ref, getattr(torch_ref, dtype))[k])
    assert_close(xg, xt, what=name)
    assert xg._version == xt._version
