"""Which source files are graphgrad's own, and the walk up the stack to the user's line.

Errors, warnings and the graph name the line of the user's code that made a tensor or node: the first
frame outside graphgrad. Recording that line for every node (its *creation site*) costs one short frame
walk and can be switched off with ``set_record_sites(False)``.
"""

from __future__ import annotations

import itertools
import os
import sys
import traceback
import warnings
from sys import _getframe

import numpy as np

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Parts of the package that are not the library proper: the ``graphgrad`` command (its models and training
# loop are code written *with* the library, as a user's would be) and ``python -m graphgrad``.
_NOT_LIBRARY = ("cli", "__main__.py")


def _library_files(pkg_dir: str) -> frozenset:
    """The source files of the library proper, as the ``co_filename`` of their code objects reads."""
    files = set()
    for root, dirs, names in os.walk(pkg_dir):
        if root == pkg_dir:
            dirs[:] = [d for d in dirs if d not in _NOT_LIBRARY]
            names = [n for n in names if n not in _NOT_LIBRARY]
        for n in names:
            if n.endswith(".py"):
                path = os.path.join(root, n)
                files.add(path)
                files.add(os.path.realpath(path))
    return frozenset(files)


# The one place that decides which frames are graphgrad's own (skipped when naming the user's line) and
# which are user code. A set of filenames, not a prefix test: it is on the path of every recorded op.
_LIB_FILES = _library_files(_PKG_DIR)


def is_library_file(filename: str) -> bool:
    """Whether a frame in ``filename`` is graphgrad's own code (the CLI and ``__main__`` count as user code)."""
    return filename in _LIB_FILES


# One counter orders the graph's nodes and the writes through ``.data``: a write numbered after a node was
# made happened after that node saved its tensors.
order = itertools.count()


class _Sites:
    # A process-wide setting (not a mode): whether nodes and leaves record the user's line.
    enabled = True


def set_record_sites(enabled: bool) -> None:
    """Turn recording of creation sites on or off (on by default; off saves a little per op)."""
    _Sites.enabled = bool(enabled)


# NumPy's own Python frames: a tensor converted by NumPy (np.mean(list_of_losses) calls __array__) is
# converted at the user's call into NumPy, not inside it. Only the walks off the per-op path skip them.
_NUMPY_DIR = os.path.dirname(np.__file__) + os.sep


def _not_users(filename: str) -> bool:
    return filename in _LIB_FILES or filename.startswith(_NUMPY_DIR)


def user_frame(skip: int = 0):
    """The innermost frame outside graphgrad (and NumPy), from the caller's frame (or ``skip`` frames above
    it) outwards; None if there is none.

    >>> user_frame().f_code.co_name
    '<module>'
    """
    f = _getframe(skip + 1)
    while f is not None and _not_users(f.f_code.co_filename):
        f = f.f_back
    return f


def raw_site(depth):
    """The first frame outside graphgrad, from ``depth`` frames up, as (code, instruction offset).

    The walk on every recorded op, by ``f_back``: each frame visited gets its frame object either way
    (``sys._getframe(n)`` makes one for the frame it returns), and one C call per frame costs more than an
    attribute; the line number is resolved only when someone asks (``code_location``).
    """
    f = _getframe(depth)
    while f.f_code.co_filename in _LIB_FILES:
        f = f.f_back
        if f is None:  # a stack of graphgrad's frames only (a thread it started): no user line
            return None
    return (f.f_code, f.f_lasti)


def code_location(code, lasti):
    """(filename, lineno) of an instruction offset in a code object."""
    line = code.co_firstlineno
    for start, end, lineno in code.co_lines():
        if start <= lasti < end:
            if lineno is not None:
                line = lineno
            break
    return (code.co_filename, line)


def user_site(skip: int = 2):
    """(filename, lineno) of the innermost frame outside graphgrad, or None (also None when switched off)."""
    if not _Sites.enabled:
        return None
    f = user_frame(skip)
    return None if f is None else (f.f_code.co_filename, f.f_lineno)


def warn_at_user_line(message, category=UserWarning):
    """A warning reported at the user's line (the first frame outside graphgrad), as PyTorch's C++ warnings are."""
    level, f = 1, sys._getframe()
    while f is not None and _not_users(f.f_code.co_filename):
        level, f = level + 1, f.f_back
    warnings.warn(message, category, stacklevel=level)


_WARNED = set()


def warn_once_at_user_line(key, message, category=UserWarning):
    """``warn_at_user_line`` once per ``key`` (the site the warning is about) in this process; the
    warnings filters apply as to any warning (``warnings.simplefilter("ignore")`` silences it)."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    warn_at_user_line(message, category)


def forward_trace():
    """The stack of the op being recorded, as formatted lines, without graphgrad's own innermost frames
    (what anomaly mode shows when the op's derivative fails)."""
    stack = traceback.extract_stack()[:-1]
    while len(stack) > 1 and is_library_file(stack[-1].filename):
        stack.pop()
    return traceback.format_list(stack)
