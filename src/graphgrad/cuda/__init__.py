"""``graphgrad.cuda``: answers as a CPU-only PyTorch does, so code that checks for a GPU runs unchanged.

Queries answer "no GPU" (``is_available()`` is False, memory counters are 0); calls that need a GPU raise
what PyTorch's CPU build raises for them, word for word.

>>> import graphgrad
>>> graphgrad.cuda.is_available(), graphgrad.cuda.memory_allocated()
(False, 0)
"""

from .._device import device as _device
from . import amp  # noqa: F401

_HINT = "\ngraphgrad computes on the CPU only; there is no CUDA device to use."


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation=True) -> bool:
    return False


def manual_seed(seed) -> None:
    pass


def manual_seed_all(seed) -> None:
    pass


def empty_cache() -> None:
    pass


def ipc_collect() -> None:
    _not_compiled()


def _check_cuda_device(device):
    """PyTorch's ValueError for a device argument naming another device type, as its index lookup has it."""
    if isinstance(device, (str, _device)):
        d = _device(device)
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        return d.index
    return device


def _memory_counter(device=None) -> int:
    """The memory counters: 0 (CUDA was never initialized, so PyTorch's statistics are empty, whatever the
    device argument)."""
    return 0


memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _memory_counter
memory_cached = max_memory_cached = _memory_counter


def memory_stats(device=None):
    from collections import OrderedDict

    return OrderedDict()


def _missing_binding(binding):
    """The calls whose CUDA binding is absent from a CPU build: PyTorch fails looking it up (AttributeError)."""

    def call(device=None):
        _check_cuda_device(device)
        raise AttributeError(f"module 'torch._C' has no attribute '{binding}'{_HINT}")

    call.__name__ = binding
    return call


reset_peak_memory_stats = _missing_binding("_cuda_resetPeakMemoryStats")
reset_accumulated_memory_stats = _missing_binding("_cuda_resetAccumulatedMemoryStats")
reset_max_memory_allocated = reset_max_memory_cached = reset_peak_memory_stats


def set_device(device) -> None:
    """Selecting a GPU: a negative index is a no-op in PyTorch; any other needs the absent binding."""
    index = _check_cuda_device(device)
    if isinstance(device, (str, _device)) and index is None:
        raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
    if index >= 0:
        raise AttributeError(f"module 'torch._C' has no attribute '_cuda_setDevice'{_HINT}")


def _not_compiled(*args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled")


def synchronize(device=None) -> None:
    _not_compiled()


# what a CPU-only PyTorch raises for the calls that need a GPU
current_device = get_device_name = get_device_properties = get_device_capability = init = _not_compiled
mem_get_info = current_stream = get_rng_state = get_rng_state_all = set_rng_state = _not_compiled


class Stream:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class StreamContext:
    """``with cuda.stream(s):`` selects stream ``s`` on a GPU; without one (PyTorch's CPU build) it does nothing."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


def stream(stream):
    """A context manager selecting ``stream``; a no-op here, as in PyTorch's CPU build.

    >>> import graphgrad
    >>> with graphgrad.cuda.stream(None):
    ...     pass
    """
    return StreamContext(stream)


class Event:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("Tried to instantiate dummy base class Event")
