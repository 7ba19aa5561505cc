"""The two matrix factorisation steps MultivariateNormal needs, differentiable to any order:
``cholesky`` (A = L L^T) and ``solve_triangular`` (X = A^{-1} B for triangular A).

Forward runs in LAPACK through NumPy; each backward is written with these same functions and plain
graphgrad ops, so gradients of gradients work (create_graph, gradgradcheck).
"""

from __future__ import annotations

import numpy as np

from .. import _factories
from ..autograd.function import Function


class _LinAlgError(RuntimeError):
    """A factorisation that cannot be completed (PyTorch raises its ``linalg.LinAlgError`` of this name)."""


def _leading_minor_failure(matrix):
    """The order of the first leading minor of ``matrix`` that is not positive-definite."""
    for k in range(1, matrix.shape[-1] + 1):
        try:
            np.linalg.cholesky(matrix[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return matrix.shape[-1]


def _phi(x):
    """The lower triangle with the diagonal halved (the symmetric part's "half" of a lower factor)."""
    return x.tril() - 0.5 * x.diagonal(dim1=-2, dim2=-1).diag_embed()


class _Cholesky(Function):
    @staticmethod
    def forward(ctx, a):
        array = a.detach().numpy()
        try:
            lower = np.linalg.cholesky(array)
        except np.linalg.LinAlgError:
            batch = array.reshape((-1,) + array.shape[-2:])
            bad = next(i for i, m in enumerate(batch) if not np.all(np.linalg.eigvalsh(m) > 0)) if batch.shape[0] else 0
            where = f"(Batch element {bad}): " if array.ndim > 2 else ""
            raise _LinAlgError(
                f"linalg.cholesky: {where}The factorization could not be completed because the input is not "
                f"positive-definite (the leading minor of order {_leading_minor_failure(batch[bad])} is not "
                "positive-definite).") from None
        out = _factories.tensor(lower, dtype=a.dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (lower,) = ctx.saved_tensors
        # A = L L^T  =>  grad_A = L^{-T} phi(L^T grad_L) L^{-1}, symmetrised (Murray, 2016)
        middle = _phi(lower.mT @ grad)
        left = solve_triangular(lower.mT, middle, upper=True)  # L^{-T} phi
        grad_a = solve_triangular(lower.mT, left.mT, upper=True).mT  # ... L^{-1}
        return 0.5 * (grad_a + grad_a.mT)


class _SolveTriangular(Function):
    @staticmethod
    def forward(ctx, a, b, upper):
        a_np, b_np = a.detach().numpy(), b.detach().numpy()
        triangle = np.triu(a_np) if upper else np.tril(a_np)
        batch = np.broadcast_shapes(triangle.shape[:-2], b_np.shape[:-2])
        x = np.linalg.solve(np.broadcast_to(triangle, batch + triangle.shape[-2:]),
                            np.broadcast_to(b_np, batch + b_np.shape[-2:]))
        out = _factories.tensor(x, dtype=b.dtype)
        ctx.upper = upper
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        grad_b = solve_triangular(a.mT, grad, upper=not ctx.upper)  # A^{-T} grad_X
        grad_a = -(grad_b @ x.mT)
        grad_a = grad_a.triu() if ctx.upper else grad_a.tril()
        return grad_a.sum_to_size(a.shape), grad_b.sum_to_size(x.shape), None


def cholesky(a):
    """The lower Cholesky factor L of a symmetric positive-definite (batch of) matrix: a = L L^T."""
    return _Cholesky.apply(a)


def solve_triangular(a, b, *, upper):
    """X with a X = b, reading only the lower (or, with upper=True, the upper) triangle of a."""
    return _SolveTriangular.apply(a, b, upper)
