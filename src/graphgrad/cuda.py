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
