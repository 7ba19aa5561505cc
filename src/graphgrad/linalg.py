"""``graphgrad.linalg``: the norms of ``torch.linalg`` (vector_norm, matrix_norm for Frobenius, 1 and inf
orders, norm), inv and solve, the decompositions (det, slogdet, cholesky and cholesky_ex, qr, svd and svdvals,
eigh and eigvalsh), and matmul, which it re-exports."""

from .ops.linalg import matmul, matrix_norm, norm, vector_norm
from .ops.linalg_decompositions import (
    cholesky,
    cholesky_ex,
    det,
    eigh,
    eigvalsh,
    qr,
    slogdet,
    svd,
    svdvals,
)
from .ops.linalg_solve import LinAlgError, inv, solve

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "det", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm",
           "norm", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm"]
