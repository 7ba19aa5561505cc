"""``graphgrad.backends``: PyTorch's backend switches as a CPU-only build answers them.

The queries (``cudnn.is_available()``, ``mps.is_available()``, ...) answer as PyTorch's CPU build does;
the switches (``cudnn.benchmark = True``, ``cuda.matmul.allow_tf32 = True``) are accepted and recorded
so that programs written for a GPU run unchanged. graphgrad computes in NumPy, so none of them changes
a number.

>>> import graphgrad
>>> graphgrad.backends.cudnn.is_available(), graphgrad.backends.mps.is_available()
(False, False)
"""

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401
