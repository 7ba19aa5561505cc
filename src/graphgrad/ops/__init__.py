"""The op library, by family. Each module declares its primitives with ``Op`` and exports functions."""

from . import (  # noqa: F401,E501
    arithmetic,
    comparison,
    copy,
    counting,
    cumulative,
    distance,
    extrema,
    gamma,
    index,
    linalg,
    linalg_decompositions,
    linalg_householder,
    linalg_lstsq,
    linalg_lu,
    linalg_products,
    linalg_solve,
    normalization,
    operators,
    reduce,
    resize,
    shape,
    special,
    structure,
    unary,
    unique,
)
from ._export import FUNCTIONS, METHODS
from ._op import REGISTRY  # noqa: F401
