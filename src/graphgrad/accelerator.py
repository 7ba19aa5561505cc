"""``graphgrad.accelerator``: PyTorch's device-neutral accelerator API, as a build with no accelerator
answers it. The queries say there is none; every call that needs a device raises PyTorch's RuntimeError.

>>> import graphgrad
>>> graphgrad.accelerator.is_available(), graphgrad.accelerator.current_accelerator()
(False, None)
"""

_NONE = "Cannot access accelerator device when none is available."


def is_available():
    return False


def current_accelerator(check_available=False):
    return None


def device_count():
    return 0


def _needs_device(*args, **kwargs):
    raise RuntimeError(_NONE)


# each of these asks the (absent) accelerator for something
(current_device_index, current_device_idx, set_device_index, set_device_idx, synchronize, current_stream, set_stream,
 empty_cache, empty_host_cache, memory_allocated, max_memory_allocated, memory_reserved, max_memory_reserved,
 memory_stats, reset_peak_memory_stats, reset_accumulated_memory_stats, get_memory_info,
 get_device_capability) = (_needs_device,) * 18


class device_index:
    """``with accelerator.device_index(i):``; ``None`` is a no-op, an index needs a device."""

    def __init__(self, device, /):
        self.idx = device

    def __enter__(self):
        if self.idx is not None:
            raise RuntimeError(_NONE)

    def __exit__(self, *exc):
        return False
