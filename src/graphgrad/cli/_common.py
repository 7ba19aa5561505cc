"""What the commands share: the one-line error, optional imports, atomic writes."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import threading

from ..serialization import atomic_write

EXTRA_HINT = "pip install 'graphgrad[cli]'"


class CLIError(Exception):
    """A problem with the user's input: printed as one line on stderr, exit status ``code``."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


def need(*modules, purpose):
    """Import ``modules`` (dotted names); raise CLIError naming the extra to install if any is missing."""
    missing, found = [], []
    for name in modules:
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            missing.append(name.split(".")[0])
    if missing:
        names = {"sklearn": "scikit-learn"}
        listed = ", ".join(names.get(m, m) for m in dict.fromkeys(missing))
        raise CLIError(f"{purpose} needs {listed}, which is not installed: {EXTRA_HINT}", code=3)
    return found[0] if len(found) == 1 else found


def existing_file(path, kind):
    """``path`` as a string, or a CLIError when it does not exist or is a directory (``kind``: what was expected)."""
    name = os.fspath(path)
    if not os.path.exists(name):
        raise CLIError(f"{name}: no such file")
    if os.path.isdir(name):
        raise CLIError(f"{name}: is a directory, not {kind}")
    return name


def atomic_write_bytes(path, data: bytes):
    """Write ``data`` to ``path`` through a temporary file and a rename: readers never see half a file."""
    atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path, text: str):
    atomic_write_bytes(path, text.encode())


_deferring = False


@contextlib.contextmanager
def sigint_deferred():
    """Hold Ctrl-C (SIGINT) back while the block runs; it takes effect right after.

    Used around writing a checkpoint and its metrics, so that an interrupt never lands between the two
    (the checkpoint itself is written atomically either way).  A Python-level handler, not a signal
    mask: the process may have other threads (BLAS), and the kernel hands a signal to any thread that
    does not block it.  Nested blocks defer to the outermost.
    """
    global _deferring
    if _deferring or threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    _deferring = True
    try:
        yield
    finally:
        _deferring = False
        signal.signal(signal.SIGINT, old)
        if received:
            if callable(old):
                old(signal.SIGINT, None)  # the default handler raises KeyboardInterrupt
            elif old == signal.SIG_DFL:
                raise KeyboardInterrupt
