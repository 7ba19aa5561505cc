"""``graphgrad.linalg``: the norms of ``torch.linalg`` (vector_norm, matrix_norm for Frobenius, 1 and inf
orders, norm), inv and solve (inv_ex, solve_ex), the decompositions (det, slogdet, cholesky and cholesky_ex, qr,
svd and svdvals, eigh and eigvalsh, lu, lu_factor and lu_factor_ex, with lu_solve), least squares and the
pseudo-inverse (lstsq, pinv, matrix_rank), the products and powers (cross, vecdot, multi_dot, vander,
matrix_power, matrix_exp), householder_product, and matmul, which it re-exports."""

from .ops._args import checked
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
from .ops.linalg_householder import householder_product
from .ops.linalg_lstsq import lstsq, matrix_rank, pinv
from .ops.linalg_lu import lu, lu_factor, lu_factor_ex, lu_solve
from .ops.linalg_products import cross, matrix_exp, matrix_power, multi_dot, vander, vecdot
from .ops.linalg_solve import LinAlgError, inv, inv_ex, solve, solve_ex

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "eigh", "eigvalsh", "householder_product", "inv",
           "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm",
           "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex", "svd",
           "svdvals", "vander", "vecdot", "vector_norm"]

# each published through ``_args.checked``: an argument of the wrong type is PyTorch's TypeError
# (``linalg_inv(): argument 'A' (position 1) must be Tensor, not list``), not an internal error
for _name in __all__[1:]:
    globals()[_name] = checked(globals()[_name], "linalg_" + _name, method=False)
