"""Run a PyTorch program on graphgrad, unchanged: ``python -m graphgrad.as_torch script.py [args...]``.

Inside the script, ``import torch`` and every ``torch.<sub>`` import (``import torch.nn as nn``,
``import torch.nn.functional as F``, ``from torch.utils.data import DataLoader``,
``from torch.utils.data.dataloader import DataLoader``) resolve to graphgrad's own modules: the
very module objects ``import graphgrad`` gives, so ``torch.nn is graphgrad.nn``. A submodule that
graphgrad does not have raises ``ModuleNotFoundError: No module named 'torch.<sub>'``, as a
missing module would; a real PyTorch installed beside graphgrad is never reached.

The same redirection can be switched on inside a running program (before it imports torch)::

    >>> import graphgrad.as_torch
    >>> graphgrad.as_torch.install()
    >>> import torch.nn.functional as F
    >>> import graphgrad
    >>> F is graphgrad.nn.functional
    True
    >>> graphgrad.as_torch.uninstall()
"""

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

from . import _names

__all__ = ["install", "uninstall", "main"]

_ALIAS = "torch"
_TARGET = "graphgrad"


def _target_name(fullname):
    """'torch.nn.functional' -> 'graphgrad.nn.functional'; None for names outside torch."""
    if fullname == _ALIAS or fullname.startswith(_ALIAS + "."):
        return _TARGET + fullname[len(_ALIAS):]
    return None


class _TorchAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of ``torch`` and ``torch.*`` with the graphgrad module of the same path."""

    def find_spec(self, fullname, path=None, target=None):
        target_name = _target_name(fullname)
        if target_name is None:
            return None
        if target_name not in sys.modules and importlib.util.find_spec(target_name) is None:
            return None  # Python then says "No module named 'torch.<sub>'"
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        # Hand back graphgrad's own module object: importlib only fills in attributes it lacks,
        # so its __name__, __spec__ and __path__ stay graphgrad's and nothing is loaded twice.
        return importlib.import_module(_target_name(spec.name))

    def exec_module(self, module):
        pass  # already executed when graphgrad imported it


_FINDER = _TorchAliasFinder()
_SHADOWED = {}  # the modules named torch* that install() took out of sys.modules, for uninstall() to put back


def _take_torch_modules():
    return {name: sys.modules.pop(name) for name in [n for n in sys.modules if _target_name(n) is not None]}


def install():
    """Make ``import torch`` (and its submodules) give graphgrad in this process.

    Takes effect for imports that come after it. A real torch imported earlier is set aside (the objects the
    program already holds keep working) and comes back with :func:`uninstall`.
    """
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
        _SHADOWED.update(_take_torch_modules())
        _names.package = _ALIAS  # torch.Size([2]), torch.float32: what the program prints on PyTorch


def uninstall():
    """Undo :func:`install`: ``import torch`` finds the installed torch again (the very modules set aside)."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
        _take_torch_modules()  # the aliases to graphgrad
        sys.modules.update(_SHADOWED)
        _SHADOWED.clear()
        _names.package = _TARGET


_USAGE = "usage: python -m graphgrad.as_torch script.py [args...]"


def main(argv=None):
    """Run ``argv[0]`` as ``__main__`` with ``import torch`` resolving to graphgrad (as ``python script.py`` would)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not argv else sys.stdout)
        return 0 if argv else 2
    install()
    script = argv[0]
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script.py` does
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
