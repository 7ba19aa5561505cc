"""DataParallel as PyTorch's CPU build runs it: with no GPU to replicate onto, it calls the module itself."""

from __future__ import annotations

from ..module import Module


class DataParallel(Module):
    """Wraps ``module`` (its state_dict keys gain the ``module.`` prefix); forward runs it unchanged.

    >>> import graphgrad
    >>> dp = graphgrad.nn.DataParallel(graphgrad.nn.Linear(2, 1))
    >>> list(dp.state_dict())
    ['module.weight', 'module.bias']
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
