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
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
