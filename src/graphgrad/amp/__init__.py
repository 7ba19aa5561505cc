"""``graphgrad.amp``: automatic mixed precision as PyTorch's CPU build has it (``autocast``, ``GradScaler``)."""

from .autocast_mode import (  # noqa: F401
    autocast,
    custom_bwd,
    custom_fwd,
    get_autocast_dtype,
    is_autocast_available,
)
from .grad_scaler import GradScaler  # noqa: F401
