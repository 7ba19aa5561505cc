"""``graphgrad.cuda``: answers as a CPU-only PyTorch does, so code that checks for a GPU runs unchanged."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed) -> None:
    pass


def manual_seed_all(seed) -> None:
    pass


def synchronize(device=None) -> None:
    pass


def empty_cache() -> None:
    pass


def is_initialized() -> bool:
    return False


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def _not_compiled(*args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled")


# what a CPU-only PyTorch raises for the calls that need a GPU
current_device = get_device_name = get_device_properties = get_device_capability = init = _not_compiled
mem_get_info = current_stream = get_rng_state = _not_compiled
