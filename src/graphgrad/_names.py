"""The package name that reprs print: ``graphgrad.Size([2])``, ``graphgrad.float32``.

It is "torch" while graphgrad runs a PyTorch program as torch (``python -m graphgrad.as_torch``), so that
such a program prints what it prints on PyTorch.
"""

package = "graphgrad"
