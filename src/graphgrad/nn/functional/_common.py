"""Small helpers shared by the nn.functional families (argument tuples, PyTorch's names in error texts)."""

from __future__ import annotations

import collections.abc

from ...ops._op import const as _const  # noqa: F401 - the families import it from here


def _ntuple(v, n, name="value"):
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and n > 1:
            return tuple(int(v[0]) for _ in range(n))
        return tuple(int(i) for i in v)
    return (int(v),) * n


def _shape(t):
    return list(t._data.shape)



# PyTorch's own Python helpers (torch.nn.modules.utils), whose errors for odd arguments are PyTorch's too
def ntuple_parser(n, name="parse"):
    """``_ntuple(n)``: a parser giving an iterable as a tuple (its values as given), anything else ``n`` times
    (the layers' ``_single``/``_pair``/``_triple`` are made of it too, nn/modules/utils.py)."""
    def parse(x):
        return tuple(x) if isinstance(x, collections.abc.Iterable) else (x,) * n

    parse.__name__ = name
    return parse


pair = ntuple_parser(2, "_pair")


def list_with_default(out_size, defaults):
    """``_list_with_default``: an adaptive pooling's output size, None in it taking the input's size."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]
