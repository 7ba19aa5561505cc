"""The op library, by family. Each module declares its primitives with ``Op`` and exports functions."""

from . import elementwise, index, linalg, linalg_extra, operators, reduce, shape  # noqa: F401  (registers the ops)
from ._op import FUNCTIONS, METHODS, REGISTRY  # noqa: F401
