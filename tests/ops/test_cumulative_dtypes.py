"""sum, nansum, prod, cumsum and cumprod against real PyTorch on every dtype: bools and integers (unsigned ones too)
accumulate as int64 unless ``dtype`` says otherwise, the in-place forms keep the tensor's dtype (wrapping), the
cumulative kernels accumulate floats in PyTorch's acc_type (float64 for float32, float32 for half precision: the
same bits), and a dtype that is not floating, asked for an input that requires grad, is PyTorch's error."""

from __future__ import annotations

import numpy as np
import pytest

import graphgrad

from .._parity import same

DTYPES = ["uint8", "int8", "int16", "int32", "int64", "bool", "float16", "bfloat16", "float32", "float64"]
VALUES = [[3, 200, 7, 0, 5], [1, 2, 250, 9, 131]]  # (products past 255 and 2^31 once in int64, wraps in uint8)

CALLS = {
    "sum": lambda T, x: x.sum(),
    "sum_dim": lambda T, x: x.sum(1),
    "nansum": lambda T, x: x.nansum(),
    "prod": lambda T, x: x.prod(),
    "prod_dim": lambda T, x: x.prod(1),
    "cumsum": lambda T, x: x.cumsum(1),
    "cumsum_function": lambda T, x: T.cumsum(x, dim=0),
    "cumprod": lambda T, x: x.cumprod(1),
    "cumprod_function": lambda T, x: T.cumprod(x, -1),
    "cumprod_0d": lambda T, x: x[1, 2].cumprod(0),
    "cumsum_0d": lambda T, x: x[1, 2].cumsum(-1),
    "cumsum_int16": lambda T, x: x.cumsum(1, dtype=T.int16),
    "cumprod_uint8": lambda T, x: T.cumprod(x, 1, dtype=T.uint8),
    "cumprod_float64": lambda T, x: x.cumprod(1, dtype=T.float64),
    "prod_int32": lambda T, x: x.prod(1, dtype=T.int32),
    "cumsum_bool": lambda T, x: x.cumsum(1, dtype=T.bool),
    "cumprod_bool": lambda T, x: x.cumprod(1, dtype=T.bool),
    "cumsum_": lambda T, x: x.clone().cumsum_(1),
    "cumprod_": lambda T, x: x.clone().cumprod_(0),
    "cumprod_own_dtype": lambda T, x: x.clone().cumprod_(1, dtype=x.dtype),
    "vander": lambda T, x: T.linalg.vander(x[0], N=4),
}


def _tensor(T, dtype):
    x = T.tensor(VALUES)
    return x.bool() if dtype == "bool" else x.to(getattr(T, dtype))


def _observed(T, name, dtype):
    """The result's dtype and values (as float64 for the floats: bfloat16 has no NumPy form in PyTorch)."""
    r = CALLS[name](T, _tensor(T, dtype))
    values = r.double().numpy() if r.dtype.is_floating_point else r.numpy()
    return str(r.dtype).split(".")[-1], values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_dtype_and_values_as_pytorch(torch_ref, name, dtype):
    try:
        theirs = _observed(torch_ref, name, dtype)
    except Exception:  # noqa: BLE001 - PyTorch's error (cumsum of bools as bool, vander of bools): graphgrad's too
        same(torch_ref, lambda T: CALLS[name](T, _tensor(T, dtype)))
        return
    mine = _observed(graphgrad, name, dtype)
    assert mine[0] == theirs[0]
    assert mine[1].dtype == theirs[1].dtype  # (never uint64 for an int64 tensor)
    np.testing.assert_array_equal(mine[1], theirs[1])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("out", [None, "float64", "float32"])
def test_float_accumulation_to_the_bit(torch_ref, op, dtype, out):
    """PyTorch's CPU kernels accumulate in acc_type (float32's running sums in float64) and round each entry:
    the same bits, forward and (for zero-free inputs) backward."""
    rng = np.random.default_rng(7)
    a = 1 + rng.standard_normal((3, 400)) / 50
    w = rng.standard_normal((3, 400))
    results = []
    for T in (graphgrad, torch_ref):
        x = T.tensor(a).to(getattr(T, dtype)).requires_grad_()
        y = getattr(x, op)(1, **({} if out is None else {"dtype": getattr(T, out)}))
        (g,) = T.autograd.grad((y * T.tensor(w).to(y.dtype)).sum(), x)
        results.append((y.detach().double().numpy(), g.double().numpy(), str(y.dtype).split(".")[-1],
                        str(g.dtype).split(".")[-1], type(y.grad_fn).__name__))
    (y_mine, g_mine, *names_mine), (y_theirs, g_theirs, *names_theirs) = results
    assert names_mine == names_theirs
    np.testing.assert_array_equal(y_mine, y_theirs)
    np.testing.assert_array_equal(g_mine, g_theirs)


@pytest.mark.parametrize("name", ["sum", "sum_dim", "prod", "prod_dim", "nansum", "cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_dtype_of_an_input_that_requires_grad(torch_ref, name, dtype):
    """PyTorch refuses to record it (``Autograd not support dtype: Long``); without grad mode it computes."""
    def call(T, no_grad):
        x = T.tensor([[1.5, 2.0], [3.0, 0.5]], requires_grad=True)
        kwargs = {"dtype": getattr(T, dtype)}
        fn = {"sum": lambda: x.sum(**kwargs), "sum_dim": lambda: x.sum(0, **kwargs),
              "prod": lambda: x.prod(**kwargs), "prod_dim": lambda: x.prod(1, **kwargs),
              "nansum": lambda: x.nansum(**kwargs), "cumsum": lambda: x.cumsum(1, **kwargs),
              "cumprod": lambda: x.cumprod(0, **kwargs)}[name]
        if no_grad:
            with T.no_grad():
                return fn()
        return fn()

    same(torch_ref, lambda T: call(T, no_grad=False))
    same(torch_ref, lambda T: call(T, no_grad=True))
