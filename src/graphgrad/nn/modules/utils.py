"""Small helpers shared by the layers: PyTorch's ``_pair``/``_single``, the factory for new weights, and the
weight/bias that Linear and the convolutions create and initialise alike."""

from __future__ import annotations

import math

from ..._tensor import Tensor
from .. import init
from ..functional._common import ntuple_parser as _ntuple
from ..parameter import Parameter, _storage

_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """Reverse ``t`` and repeat each element ``n`` times (conv padding -> ``F.pad`` padding)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _empty(shape, dtype=None, device=None):
    """An uninitialised (zero) tensor for a new parameter or buffer, like ``torch.empty(shape, **factory_kwargs)``."""
    return Tensor._make(_storage(shape, dtype, device), False, None)


def _fill(shape, value, dtype=None, device=None):
    t = _empty(shape, dtype, device)
    t._data[...] = value
    return t


def _add_weight_and_bias(module, weight_shape, bias, dtype=None, device=None, bias_size=None):
    """A new ``weight`` Parameter of ``weight_shape`` and a ``bias`` of ``bias_size`` (by default the weight's first
    dimension; None without ``bias``)."""
    module.weight = Parameter(_empty(weight_shape, dtype, device))
    bias_size = weight_shape[0] if bias_size is None else bias_size
    module.register_parameter("bias", Parameter(_empty(bias_size, dtype, device)) if bias else None)


def _reset_kaiming_uniform(weight, bias):
    """PyTorch's start for Linear and the convolutions: kaiming_uniform_(a=sqrt(5)) for the weight, the bias
    uniform in +-1/sqrt(fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)
