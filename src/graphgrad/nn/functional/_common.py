"""Small helpers shared by the nn.functional families (argument tuples, PyTorch's names in error texts)."""

from __future__ import annotations

from ...ops._op import const as _const  # noqa: F401 - the families import it from here


def _ntuple(v, n, name="value"):
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and n > 1:
            return tuple(int(v[0]) for _ in range(n))
        return tuple(int(i) for i in v)
    return (int(v),) * n


def _shape(t):
    return list(t._data.shape)

