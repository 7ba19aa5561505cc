"""Learning-rate schedulers, with PyTorch's (recursive, "chainable") formulas so the values match.

A scheduler writes ``group["lr"]`` of its optimizer at each ``step()``; ``get_last_lr()`` returns
what it wrote last. Call ``optimizer.step()`` before ``scheduler.step()``, as in PyTorch (the same
warning is given when the order is reversed).

>>> import graphgrad
>>> w = graphgrad.zeros(1, requires_grad=True)
>>> opt = graphgrad.optim.SGD([w], lr=1.0)
>>> sched = graphgrad.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for _ in range(5):
...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
>>> lrs
[1.0, 0.5, 0.5, 0.25, 0.25]
"""

from .base import LRScheduler, _LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .decay import ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR
from .plateau import ReduceLROnPlateau

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
    "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR",
]
