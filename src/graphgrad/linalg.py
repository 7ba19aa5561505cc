"""``graphgrad.linalg``: the norms of ``torch.linalg`` (vector_norm, matrix_norm for Frobenius, 1 and inf
orders, norm), inv and solve, and matmul, which it re-exports."""

from .ops.linalg import matmul, matrix_norm, norm, vector_norm
from .ops.linalg_solve import LinAlgError, inv, solve

__all__ = ["LinAlgError", "inv", "matmul", "matrix_norm", "norm", "solve", "vector_norm"]
