"""Linear-algebra ops beside the matrix products: einsum, vector norms, and outer's argument checks.

einsum is a composition of differentiable ops (diagonal, sum, permute, mul, bmm, reshape), as PyTorch's
own implementation is, so every order of derivative works and the nodes carry PyTorch's names.
"""

from __future__ import annotations

from .._tensor import Tensor
from . import linalg
from ._op import export


def _T():
    return Tensor


@export("outer", "ger")
def outer(input, vec2):
    """The outer product of two 1-D tensors."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return linalg.outer(input, vec2)
