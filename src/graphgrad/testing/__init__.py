"""graphgrad.testing: ``assert_close``, PyTorch's comparison of tensors, numbers and containers of them.

>>> import graphgrad
>>> graphgrad.testing.assert_close(graphgrad.tensor([1.0, 2.0]), graphgrad.tensor([1.0, 2.0000001]))
"""

from ._comparison import assert_close

__all__ = ["assert_close"]
