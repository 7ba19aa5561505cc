"""``graphgrad.linalg``: the norms of ``torch.linalg`` (vector_norm, matrix_norm for Frobenius, 1 and inf
orders, norm), and matmul, which it re-exports."""

from .ops.linalg import matmul, matrix_norm, norm, vector_norm

__all__ = ["matmul", "matrix_norm", "norm", "vector_norm"]
