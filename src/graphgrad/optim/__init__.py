"""graphgrad.optim: PyTorch's optimizers and learning-rate schedulers, on graphgrad tensors.

>>> import graphgrad
>>> w = graphgrad.tensor([2.0], requires_grad=True)
>>> opt = graphgrad.optim.SGD([w], lr=0.25)
>>> def closure():
...     opt.zero_grad()
...     loss = (w * w).sum()
...     loss.backward()
...     return loss
>>> opt.step(closure)
tensor(4., grad_fn=<SumBackward0>)
>>> w
tensor([1.], requires_grad=True)
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer", "RAdam",
           "RMSprop", "Rprop", "SGD", "lr_scheduler"]
