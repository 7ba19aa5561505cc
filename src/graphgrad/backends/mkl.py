"""``graphgrad.backends.mkl``: PyTorch's CPU build is linked with MKL."""


def is_available():
    return True
