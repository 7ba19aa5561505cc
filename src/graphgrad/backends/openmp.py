"""``graphgrad.backends.openmp``: PyTorch's CPU build is linked with OpenMP."""


def is_available():
    return True
