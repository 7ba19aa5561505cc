"""bincount, bucketize, erfinv and trapezoid's argument handling against PyTorch: values, dtypes, nodes and errors."""

import numpy as np
import pytest

import graphgrad as gg


def _outcome(lib, expr):
    """What ``expr`` gives with ``t`` bound to ``lib``: (values, dtype name, requires_grad) or the error."""
    try:
        out = eval(expr, {"t": lib})
    except Exception as e:  # noqa: BLE001 - the exception is the answer being compared
        return type(e).__name__, str(e).split("\n")[0]
    return out.detach().numpy().tolist(), str(out.dtype).split(".")[-1], out.requires_grad


CASES = [
    "t.bincount(t.tensor([0, 1, 1, 3]))",
    "t.bincount(t.tensor([0, 1, 1, 3]), minlength=6)",
    "t.tensor([2, 2, 0], dtype=t.uint8).bincount()",
    "t.bincount(t.tensor([0, 1, 1, 3], dtype=t.int8), t.tensor([1., 2, 3, 4]))",
    "t.bincount(t.tensor([0, 1, 1, 3]), t.tensor([1., 2, 3, 4], dtype=t.float64))",
    "t.bincount(t.tensor([0, 1, 1, 3]), t.tensor([1, 2, 3, 4]))",
    "t.bincount(t.tensor([0, 1, 1, 3]), t.tensor([True, False, True, True]))",
    "t.bincount(t.tensor([0, 1, 1, 3]), t.tensor([1., 2, 3, 4], requires_grad=True))",
    "t.bincount(t.tensor([], dtype=t.int64), minlength=3)",
    "t.bincount(t.tensor([], dtype=t.int64), t.tensor([]), minlength=2)",
    "t.bincount(t.tensor([-1, 2]))",
    "t.bincount(t.tensor([1., 2.]))",
    "t.bincount(t.tensor([True, False]))",
    "t.bincount(t.tensor([[1, 2]]))",
    "t.bincount(t.tensor([0, 1]), t.tensor([1., 2., 3.]))",
    "t.bincount(t.tensor([0, 1]), minlength=-1)",
    "t.bucketize(t.tensor([[3, 6, 9], [1, 10, 0]]), t.tensor([1, 3, 5, 7, 9]))",
    "t.bucketize(t.tensor([[3, 6, 9], [1, 10, 0]]), t.tensor([1, 3, 5, 7, 9]), right=True)",
    "t.bucketize(t.tensor([2.5, 3.0]), t.tensor([1., 3.]), out_int32=True)",
    "t.bucketize(5, t.tensor([1, 3, 5, 7, 9]))",
    "t.bucketize(t.tensor([2.5], requires_grad=True), t.tensor([1., 3.]))",
    "t.bucketize(t.tensor([1]), t.tensor([[1, 2]]))",
    "t.bucketize(t.tensor([1]), [1, 2])",
    "t.erfinv(t.tensor([-1., -0.5, 0., 0.3, 0.999, 1., 1.5]))",
    "t.erfinv(t.tensor([0, 1]))",
    "t.tensor([1, 2]).erfinv_()",
    "t.trapezoid(t.arange(6.).reshape(2, 3))", "t.trapezoid(t.arange(6.).reshape(2, 3), dx=2, dim=0)",
    "t.trapezoid(t.arange(6.).reshape(2, 3), t.tensor([0., 1, 3]))", "t.trapz(t.arange(6.).reshape(2, 3), dx=2)",
    "t.trapezoid(t.ones(2, 0))", "t.trapezoid(t.ones(2, 1))", "t.trapezoid(t.tensor([1, 2, 3]), dx=2)",
    "t.trapezoid(t.arange(6.).reshape(2, 3), t.tensor([[0., 1, 3]]))",
    "t.trapezoid(t.tensor([1., 2]), t.tensor([1, 3]))",
    "t.trapezoid(t.arange(6.).reshape(2, 3), t.tensor([0., 1]))",
    "t.trapezoid(t.arange(6.).reshape(2, 3), dx=2, x=t.ones(3))",
    "t.trapezoid(t.arange(6.).reshape(2, 3), dim=3)",
]


@pytest.mark.parametrize("expr", CASES)
def test_as_pytorch(torch_ref, expr):
    mine, theirs = _outcome(gg, expr), _outcome(torch_ref, expr)
    if isinstance(theirs[0], list):
        np.testing.assert_allclose(np.array(mine[0], float), np.array(theirs[0], float), rtol=1e-6)
        assert mine[1:] == theirs[1:]
    else:
        assert mine == theirs


def test_bincount_weights_carry_pytorchs_node(torch_ref):
    out = gg.bincount(gg.tensor([0, 1, 1]), gg.tensor([1.0, 2.0, 3.0], requires_grad=True))
    theirs = torch_ref.bincount(torch_ref.tensor([0, 1, 1]), torch_ref.tensor([1.0, 2.0, 3.0], requires_grad=True))
    assert repr(out.grad_fn).split(" object")[0] == repr(theirs.grad_fn).split(" object")[0] == "<NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::bincount is not implemented"):
        out.sum().backward()


def test_erfinv_float64_to_the_tails(torch_ref):
    """Newton on erf near 0 and on log erfc in the tail: float64 accuracy up to the last float below 1."""
    y = np.concatenate([np.linspace(-1, 1, 20001), [1 - 2**-53, -1 + 1e-15, 1 - 1e-12, 1e-300, -0.0]])
    mine = gg.erfinv(gg.tensor(y)).numpy()
    theirs = torch_ref.erfinv(torch_ref.tensor(y)).numpy()
    np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=0)
    assert np.signbit(mine[-1])


def test_erfinv_inverts_erf():
    x = gg.linspace(-3, 3, 101, dtype=gg.float64)  # beyond, erf(x) itself rounds away the digits of x
    np.testing.assert_allclose(gg.erfinv(gg.erf(x)).numpy(), x.numpy(), rtol=1e-10, atol=1e-10)
