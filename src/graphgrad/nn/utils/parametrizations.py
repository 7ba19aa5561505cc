"""``nn.utils.parametrizations``: ``weight_norm``, ``spectral_norm`` and ``orthogonal`` as parametrizations
(``nn.utils.parametrize``), with PyTorch's state_dict keys, random draws and numbers.

>>> import graphgrad, graphgrad.nn as nn
>>> from graphgrad.nn.utils.parametrizations import weight_norm
>>> m = weight_norm(nn.Linear(3, 2))
>>> list(m.state_dict()), m.weight.grad_fn.name()
(['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1'], 'WeightNormInterfaceBackward0')
"""

from __future__ import annotations

from enum import Enum, auto

from ..._constants import finfo
from ..._core.hooks import add_hook
from ..._factories import eye, randn, zeros_like
from ..._size import size_text
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops import FUNCTIONS
from ...ops.linalg import mv
from ...ops.linalg_householder import geqrf, householder_product
from ...ops.linalg_products import matrix_exp, vdot
from ...ops.linalg_solve import solve
from ...ops.shape import cat
from .. import functional as F
from ..module import Module
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from . import parametrize

# torch._weight_norm and torch.norm_except_dim as published (PyTorch's argument checks and errors included)
_weight_norm, norm_except_dim = FUNCTIONS["_weight_norm"], FUNCTIONS["norm_except_dim"]

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# --- orthogonal -----------------------------------------------------------------------------------
def _is_orthogonal(Q):
    n, k = Q.size(-2), Q.size(-1)
    Id = eye(k, dtype=Q.dtype, device=Q.device)
    eps = 10.0 * n * finfo(Q.dtype).eps
    return (Q.mH @ Q).allclose(Id, atol=eps)


def _make_orthogonal(A):
    """The Q of A's QR decomposition, its columns' signs chosen so that R has a positive diagonal."""
    X, tau = geqrf(A)
    Q = householder_product(X, tau)
    Q *= X.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)  # (PyTorch: sgn, the same for real tensors)
    return Q


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained (tall) matrix to one with orthonormal columns: ``exp`` or the Cayley transform of the
    skew-symmetric matrix its lower triangle defines, or the product of the Householder reflectors below its
    diagonal. With ``use_trivialization`` the result is multiplied by ``base``, the orthogonal matrix assigned
    last (so that assigning resets the original to the map's origin)."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:  # embedded in a square matrix
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH  # skew-symmetric
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:  # the Cayley retraction (I + A/2)(I - A/2)^-1
                Id = eye(n, dtype=A.dtype, device=A.device)
                Q = solve(Id.add(A, alpha=-0.5), Id.add(A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            # X's diagonal holds the signs (1 or -1); not differentiated through
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {size_text(self.shape)}. "
                                 f"Got a tensor of shape {size_text(Q.shape)}.")
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                # geqrf's reflectors, and on the diagonal the signs of R's (-1 where LAPACK made no reflection,
                # tau == 0): with them the Householder map gives back Q's orthonormal columns
                A, tau = geqrf(Q)
                A.diagonal(dim1=-2, dim2=-1).sign_()
                A.diagonal(dim1=-2, dim2=-1)[tau == 0.0] *= -1
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # completed to an n x n orthogonal matrix
                N = randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            # -Id: with it, the Householder map sends zeros(m, n) to eye(m, n)
            neg_Id = zeros_like(Q_init)
            neg_Id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_Id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrain the matrix (or batch of matrices) ``module.<name>`` to have orthonormal columns (or rows, when
    wide). ``orthogonal_map``: "matrix_exp", "cayley" or "householder"; by default "matrix_exp" for square
    matrices and "householder" otherwise, as PyTorch chooses. Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.size(-2) == weight.size(-1) or weight.is_complex()
                          else "householder")
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# --- weight_norm ----------------------------------------------------------------------------------
class _WeightNorm(Module):
    """``w = g * v / ||v||`` (the norm over every dimension but ``dim``; ``dim=None``: over all of them)."""

    def __init__(self, dim=0):
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        weight_g = norm_except_dim(weight, 2, self.dim)
        weight_v = weight
        return weight_g, weight_v


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as magnitude times direction: ``original0`` (g, the norms) and
    ``original1`` (v). A state_dict of the older ``nn.utils.weight_norm`` (``<name>_g``, ``<name>_v``) loads into
    it. Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                 error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0, original1 = state_dict.pop(g_key), state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    add_hook(module._load_state_dict_pre_hooks, _weight_norm_compat_hook)
    return module


# --- spectral_norm --------------------------------------------------------------------------------
class _SpectralNorm(Module):
    """``W / sigma(W)``, the largest singular value estimated by power iteration on the buffers ``_u`` and
    ``_v`` (one-dimensional weights: divided by their norm, exactly)."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            u, v = _random_unit_vectors(weight_mat, self.eps)
            self.register_buffer("_u", u)
            self.register_buffer("_v", v)
            # reasonable starting vectors: 15 steps of the power method
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if weight.ndim <= 1:
            raise AssertionError(f"Expected weight to have more than 1 dimension, got {weight.ndim}")
        if self.dim != 0:  # dim first
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        """Steps of the power method, written into ``_u`` and ``_v`` in place (as PyTorch's ``out=``: the module's
        buffers are the ones updated, also in replicas sharing them)."""
        if weight_mat.ndim <= 1:
            raise AssertionError(f"Expected weight_mat to have more than 1 dimension, got {weight_mat.ndim}")
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(mv(weight_mat.H, self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:  # exact: no power iteration
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # clones: the next forward's in-place steps must not change what this graph saved
        u = self._u.clone()
        v = self._v.clone()
        sigma = vdot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def _random_unit_vectors(weight_mat, eps):
    """The power method's starting u and v: normal draws (u's first), normalised."""
    h, w = weight_mat.size()
    u = weight_mat.new_empty(h).normal_(0, 1)
    v = weight_mat.new_empty(w).normal_(0, 1)
    return F.normalize(u, dim=0, eps=eps), F.normalize(v, dim=0, eps=eps)


def _default_dim(module):
    """The output-channel dimension of the weight: 1 for the transposed convolutions, 0 otherwise."""
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm, estimated by ``n_power_iterations`` steps of the power method
    per training-mode read (the vectors, drawn with ``normal_`` at registration, are the buffers
    ``parametrizations.<name>.0._u`` / ``_v``). Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
