"""``nn.utils.stateless.functional_call``: the older name of ``graphgrad.func.functional_call``.

>>> import warnings
>>> import graphgrad
>>> from graphgrad.nn.utils import stateless
>>> lin = graphgrad.nn.Linear(1, 1)
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     stateless.functional_call(lin, {"weight": graphgrad.ones(1, 1), "bias": graphgrad.zeros(1)},
...                               graphgrad.ones(1, 1))
tensor([[1.]])
"""

from __future__ import annotations

import warnings

from ...func._functional_call import _call_with

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Deprecated since PyTorch 2.0 (with PyTorch's FutureWarning): use ``graphgrad.func.functional_call``."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed "
                  "in a future version of PyTorch. Please use `torch.func.functional_call` instead which is a "
                  "drop-in replacement.", FutureWarning, stacklevel=2)
    return _call_with(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
