"""``graphgrad.compile``: returns the function or module unchanged (graphgrad runs eagerly; every
argument PyTorch takes is accepted).

>>> import graphgrad
>>> @graphgrad.compile(mode="max-autotune")
... def f(x):
...     return x + 1
>>> f(graphgrad.tensor([1.0]))
tensor([2.])
"""


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None, name=None,
            disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    if model is None:
        return lambda fn: fn  # @compile(...) with arguments
    return model
