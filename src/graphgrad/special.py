"""``graphgrad.special``: every function of ``torch.special`` (PyTorch 2.13), with PyTorch's values, node names,
dtypes and errors (see ``ops/special.py``).

>>> import graphgrad
>>> graphgrad.special.ndtri(graphgrad.tensor([0.5, 0.975]))
tensor([0.0000, 1.9600])
"""

from .ops.special import SPECIAL as _SPECIAL

globals().update(_SPECIAL)

__all__ = sorted(_SPECIAL)
