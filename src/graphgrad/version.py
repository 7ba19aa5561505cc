"""``graphgrad.version``: the build facts ``torch.version`` gives. graphgrad is built for no GPU, so ``cuda``,
``hip``, ``rocm`` and ``xpu`` are None, as in PyTorch's CPU build.

>>> import graphgrad.version
>>> graphgrad.version.cuda is None, graphgrad.version.__version__ == graphgrad.__version__
(True, True)
"""

from typing import Optional  # noqa: F401  (PyTorch's module exports it)

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu"]

__version__ = "0.1.0"
debug = False
cuda = None
git_version = "Unknown"  # PyTorch's value for a build made outside a git checkout
hip = None
rocm = None
xpu = None
