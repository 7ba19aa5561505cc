"""The ``flags()`` context managers of ``cudnn`` and ``mkldnn``: set a module's switches for a block."""

import contextlib


@contextlib.contextmanager
def switched(module, **values):
    """Set ``module``'s flags to ``values`` inside a ``with`` block, restoring them after.

    >>> import types
    >>> m = types.SimpleNamespace(benchmark=False)
    >>> with switched(m, benchmark=True):
    ...     m.benchmark
    True
    >>> m.benchmark
    False
    """
    before = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(module, name, value)
