"""graphgrad.func: ``functional_call``, running a module with parameters and buffers given by name.

>>> import graphgrad
>>> lin = graphgrad.nn.Linear(2, 1)
>>> params = {"weight": graphgrad.ones(1, 2), "bias": graphgrad.zeros(1)}
>>> graphgrad.func.functional_call(lin, params, (graphgrad.tensor([[1.0, 2.0]]),))
tensor([[3.]])
"""

from ._functional_call import functional_call

__all__ = ["functional_call"]
