"""unique / unique_consecutive (functions and methods) against PyTorch: values, inverse, counts, errors."""

import numpy as np
import pytest

import graphgrad as gg

CASES = [
    "t.unique(T([3, 1, 2, 3, 1]), return_inverse=True, return_counts=True)",
    "t.unique(T([3, 1, 2, 3, 1]), sorted=False)",
    "t.unique(T([[1, 2], [1, 2], [0, 1]]), dim=0, return_inverse=True, return_counts=True)",
    "t.unique(T([[1, 2], [1, 2]]), dim=1, return_inverse=True)",
    "t.unique(T([[2, 1], [0, 1]]), return_inverse=True)",
    "t.unique(T([[[1, 2], [3, 4]], [[1, 2], [0, 0]]]), dim=-1, return_counts=True)",
    "t.unique(T([]), return_counts=True)",
    "t.unique(T(3), return_inverse=True, return_counts=True)",
    "t.unique(T([float('nan'), 1.0, float('nan')]), return_counts=True)",
    "t.unique(t.ones(2, 2), dim=2)",
    "t.unique(T([True, False, True]))",
    "t.unique_consecutive(T([1, 1, 2, 2, 3, 1, 1]), return_inverse=True, return_counts=True)",
    "t.unique_consecutive(T([[1, 1], [1, 1], [2, 2]]), dim=0, return_inverse=True, return_counts=True)",
    "t.unique_consecutive(T([[1, 2, 2], [1, 3, 3]]), dim=1, return_counts=True)",
    "t.unique_consecutive(T([[1, 2], [2, 2]]), return_inverse=True)",
    "T([2, 2, 1]).unique(return_counts=True)", "T([2, 2, 1]).unique_consecutive()",
    "T([2.5, 2.5, 1.0]).unique(dim=0, return_inverse=True)",
    "t.unique(T([3.0, 1.0, 3.0], requires_grad=True))",
    "t.unique(T([3.0, 1.0, 3.0], requires_grad=True)).sum().backward()",
    "t.unique(T([[3.0, 1.0, 3.0]], requires_grad=True), dim=1).sum().backward()",
    "t.unique_consecutive(T([3.0, 1.0, 3.0], requires_grad=True)).sum().backward()",
]


def _outcome(lib, expr):
    try:
        r = eval(expr, {"t": lib, "T": lib.tensor})
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return (type(e).__name__, str(e))
    r = r if isinstance(r, tuple) else (r,)
    return ("ok", [(str(v.dtype).split(".")[-1], v.requires_grad, v.detach().numpy()) for v in r])


@pytest.mark.parametrize("expr", CASES)
def test_unique_as_pytorch(torch_ref, expr):
    mine, theirs = _outcome(gg, expr), _outcome(torch_ref, expr)
    assert mine[0] == theirs[0]
    if mine[0] != "ok":
        assert mine[1] == theirs[1]
        return
    assert len(mine[1]) == len(theirs[1])
    for (dt, rg, arr), (tdt, trg, tarr) in zip(mine[1], theirs[1]):
        assert (dt, rg, arr.shape) == (tdt, trg, tarr.shape)
        np.testing.assert_array_equal(arr, tarr)


def test_unique_values_carry_pytorchs_node():
    u = gg.unique(gg.tensor([2.0, 1.0], requires_grad=True))
    assert u.grad_fn.name() == "Unique2Backward0"
