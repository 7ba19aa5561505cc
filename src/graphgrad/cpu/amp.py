"""``graphgrad.cpu.amp.autocast``: the deprecated CPU spelling of ``autocast("cpu", ...)``."""

import warnings

from .. import _dtype
from .. import amp as _amp


class autocast(_amp.autocast):
    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cpu', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cpu", dtype=dtype if dtype is not None else getattr(_dtype, "bfloat16", None),
                         enabled=enabled, cache_enabled=cache_enabled)
