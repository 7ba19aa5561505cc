"""lgamma and digamma against PyTorch: the special values, the poles, and the NumPy kernels that a plain
install (without SciPy) uses, over a wide range."""

import numpy as np
import pytest

import graphgrad as gg
from graphgrad._core.fp_errors import quietly
from graphgrad.ops import gamma

SPECIAL = [0.5, -0.5, 0.0, -0.0, -1.0, 3.0, -2.5, 1e-8, 1e10, np.inf, -np.inf, np.nan, 1e-300, -7.25]
WIDE = np.concatenate([np.linspace(-20, 30, 20011), SPECIAL])


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_special_values_as_pytorch(torch_ref, name):
    x = np.array(SPECIAL)
    mine = getattr(gg, name)(gg.tensor(x)).numpy()
    theirs = getattr(torch_ref, name)(torch_ref.tensor(x)).numpy()
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)  # inf, -inf and nan in the same places too
    assert getattr(gg, name)(gg.tensor([1, 2])).dtype == gg.float32


@pytest.mark.parametrize("kernel, name", [(gamma._lgamma_np, "lgamma"), (gamma._digamma_np, "digamma")])
def test_numpy_kernels_without_scipy(torch_ref, kernel, name):
    mine = quietly(kernel)(WIDE)  # (quiet, as the op's forward runs it: the poles give inf and nan)
    theirs = getattr(torch_ref, name)(torch_ref.tensor(WIDE)).numpy()
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(np.isfinite(mine), finite)
    np.testing.assert_allclose(mine[~finite], theirs[~finite])
    err = np.abs(mine[finite] - theirs[finite]) / np.maximum(np.abs(theirs[finite]), 1.0)
    assert err.max() < 1e-11


def test_trigamma_is_pytorchs(torch_ref):
    x = WIDE[np.isfinite(WIDE) & (np.abs(WIDE) < 1e9) & ((WIDE > 0) | (WIDE != np.round(WIDE)))]
    np.testing.assert_allclose(quietly(gamma._trigamma_np)(x), torch_ref.polygamma(1, torch_ref.tensor(x)).numpy(),
                               rtol=1e-12)


def test_higher_derivatives_of_lgamma_are_the_polygamma_functions():
    """lgamma' = digamma, digamma' = polygamma(1, x), whose derivative is polygamma(2, x), and so on (PyTorch's
    chain; tests/ops/test_special.py compares it with PyTorch's)."""
    x = gg.tensor([1.5, 0.25, 7.0], dtype=gg.float64, requires_grad=True)
    (d1,) = gg.autograd.grad(gg.lgamma(x).sum(), x, create_graph=True)
    (d2,) = gg.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = gg.autograd.grad(d2.sum(), x, create_graph=True)
    assert [d.grad_fn.name() for d in (d1, d2, d3)] == ["MulBackward0"] * 3
    for n, d in enumerate((d1, d2, d3)):
        np.testing.assert_allclose(d.detach().numpy(), gg.polygamma(n, x.detach()).numpy(), rtol=1e-12)
