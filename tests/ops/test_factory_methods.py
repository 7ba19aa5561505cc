"""Tensor.new_* (factories exported as methods) and graphgrad.result_type: values, dtypes and errors as PyTorch's."""

import warnings

import pytest

import graphgrad as gg

CASES = [
    "x.new_zeros()", "x.new_ones()", "x.new_empty()", "x.new_zeros(2, 3)", "x.new_zeros((2,))",
    "x.new_zeros(size=(2,))",
    "x.new_full((2,), 3)", "x.new_full(2, 3)", "x.new_tensor([1, 2])", "x.new_zeros(2, dtype=t.int64)",
    "x.new_zeros(2, requires_grad=True)", "x.new_zeros('a')", "x.new_zeros(-1)", "x.new_zeros(2, foo=1)",
    "x.new_ones(2, 2, device='cpu')", "t.ones(2, dtype=t.int32).new_ones(2, requires_grad=True)",
    "t.result_type(x, 2)", "t.result_type(t.tensor([1]), t.tensor(2.0))", "t.result_type(2, 3.0)",
    "t.result_type(True, t.tensor([1], dtype=t.uint8))", "t.result_type(x, [1, 2])", "t.result_type('a', x)",
]


def _outcome(lib, expr):
    x = lib.ones(2, dtype=lib.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(expr, {"t": lib, "x": x})
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return (type(e).__name__, str(e).split("\n")[0].split(" - got")[0])
    if isinstance(r, lib.Tensor):
        return ("tensor", str(r.dtype).split(".")[-1], r.tolist(), r.requires_grad)
    return ("ok", str(r).split(".")[-1])


@pytest.mark.parametrize("expr", CASES)
def test_as_pytorch(torch_ref, expr):
    assert _outcome(gg, expr) == _outcome(torch_ref, expr)
