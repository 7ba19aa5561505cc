"""The op library, by family. Each module declares its primitives with ``Op`` and exports functions."""

from . import (  # noqa: F401,E501
    elementwise,
    elementwise_extra,
    index,
    linalg,
    operators,
    reduce,
    reduce_extra,
    shape,
    structure,
)
from ._op import FUNCTIONS, METHODS, REGISTRY  # noqa: F401
