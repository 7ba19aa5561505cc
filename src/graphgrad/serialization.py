"""graphgrad.save / graphgrad.load: PyTorch's checkpoint format, both ways, and safetensors files.

``save`` writes what ``torch.save`` writes (a zip archive with ``data.pkl`` and one record per
storage), so ``torch.load`` reads it; a path ending in ``.safetensors`` gets a safetensors file
instead (tensors flattened, structure as JSON: see ``_safetensors_format``). ``load`` reads either,
and PyTorch's legacy (pre-1.6) format, by looking at the bytes. As in PyTorch 2.6+,
``weights_only=True`` is the default: the file's pickle may then only build tensors, containers and
the few types PyTorch allows (more with ``add_safe_globals``), and nothing in it runs code;
``weights_only=False`` unpickles anything, whole modules included. Needs only NumPy.

>>> import io, graphgrad
>>> buffer = io.BytesIO()
>>> graphgrad.save({"w": graphgrad.ones(2), "epoch": 3}, buffer)
>>> _ = buffer.seek(0)
>>> graphgrad.load(buffer)
{'w': tensor([1., 1.]), 'epoch': 3}
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import pickle
import secrets
import stat
import struct
import zipfile

from . import _pt_format, _safetensors_format
from ._pt_format import FormatError

__all__ = ["load", "save", "add_safe_globals", "clear_safe_globals", "get_safe_globals", "safe_globals",
           "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ZIP_MAGIC = b"PK\x03\x04"


# --- save -----------------------------------------------------------------------------------------
def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Write ``obj`` to ``f`` (a path or a binary file object) as ``torch.save`` does.

    A path is written atomically: the bytes go to a hidden temporary file beside it, which is
    fsynced and renamed over ``f`` (so a crash mid-write leaves the old file intact, and temporary
    files a killed save left behind are removed by the next save to that path). A path ending in
    ``.safetensors`` gets the safetensors format, which holds tensors, numbers, strings, None and
    lists, tuples and dicts of them.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise TypeError("graphgrad.save writes with the standard pickle module only")

    def write(out, archive_name="archive"):
        if _use_new_zipfile_serialization:
            _pt_format.write_zip(obj, out, archive_name, pickle_protocol)
        else:
            _pt_format.write_legacy(obj, out, pickle_protocol)

    if hasattr(f, "write"):
        write(f)
        if hasattr(f, "flush"):
            f.flush()
        return
    path = os.fspath(f)
    if path.endswith(".safetensors"):
        data = _safetensors_format.dumps(obj)  # refuses what it cannot hold before touching the disk
        atomic_write(path, lambda out: out.write(data))
        return
    # PyTorch names the archive's top folder after the file ("model.pt" -> "model/")
    archive_name = os.path.splitext(os.path.basename(path))[0] or "archive"
    atomic_write(path, lambda out: write(out, archive_name))


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file beside ``path`` and rename it over ``path`` once complete.

    The file gets the mode a plain ``open(path, "wb")`` would give (the umask's, or the mode of the file
    it replaces). Temporary files that an earlier, killed writer left for ``path`` are removed first.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    _remove_stale_temporaries(path)
    tmp = _temporary_name(path, os.getpid(), secrets.token_hex(4))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)  # umask applies
    try:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # replacing a file keeps its mode
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)  # make the rename itself durable


def _temporary_name(path, pid, token):
    directory, base = os.path.split(os.path.abspath(path))
    return os.path.join(directory, f".{base}.{pid}.{token}.tmp")


def _remove_stale_temporaries(path):
    """Delete the temporary files of writers to ``path`` that died (their process is gone)."""
    pattern = _temporary_name(path, "*", "*")
    prefix = pattern.split("*")[0]
    for leftover in glob.glob(glob.escape(prefix) + "*.*.tmp"):
        pid = leftover[len(prefix):].split(".")[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


def _process_alive(pid):
    if pid == os.getpid():
        return True  # another thread of this process may be writing
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or cannot tell: keep its file
    return True


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- load -----------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read what ``graphgrad.save`` or ``torch.save`` wrote (zip or legacy format), or a safetensors file.

    ``weights_only`` defaults to True (as in PyTorch 2.6+) unless ``pickle_module`` is given.
    ``map_location`` takes PyTorch's forms (a device, a string, a dict, a function); everything lands
    on the CPU. ``mmap`` is accepted; the file is read into memory. A damaged or foreign file raises
    RuntimeError naming it.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    name, data = _read_all(f)
    try:
        if _safetensors_format.looks_like_safetensors(data[:9], len(data)):
            return _safetensors_format.loads(data, name)
        if data[:4] == _ZIP_MAGIC:
            return _pt_format.read_zip(io.BytesIO(data), map_location, weights_only, pickle_load_args)
        if data[:1] == pickle.PROTO:
            return _pt_format.read_legacy(data, map_location, weights_only, pickle_load_args)
        return _safetensors_format.loads(data, name)  # not any format: it says what is wrong
    except FormatError as e:
        raise RuntimeError(f"{name}: cannot load this checkpoint: {e}") from None
    except pickle.UnpicklingError as e:
        if not weights_only:
            raise RuntimeError(f"{name}: not a readable checkpoint (the pickle is damaged: {e})") from None
        raise pickle.UnpicklingError(_pt_format.weights_only_message(str(e)) + f"\n(while loading {name})") from None
    except RecursionError:
        raise RuntimeError(f"{name}: cannot load this checkpoint: it is nested too deeply") from None
    except (EOFError, ValueError, struct.error, zipfile.BadZipFile) as e:
        raise RuntimeError(f"{name}: a truncated or damaged checkpoint ({type(e).__name__}: {e})") from None


def _read_all(f):
    if hasattr(f, "read"):
        return getattr(f, "name", None) or "<file object>", f.read()
    name = os.fspath(f)
    with open(name, "rb") as fh:
        return name, fh.read()


# --- the weights-only allowlist -------------------------------------------------------------------
def add_safe_globals(safe_globals):
    """Allow these globals (classes, functions, or ``(object, "module.name")``) in weights-only loads."""
    _pt_format._safe_globals.extend(safe_globals)


def clear_safe_globals():
    """Forget every global that ``add_safe_globals`` allowed."""
    _pt_format._safe_globals.clear()


def get_safe_globals():
    """The globals that ``add_safe_globals`` allowed."""
    return list(_pt_format._safe_globals)


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allow these globals in weights-only loads inside the ``with`` block."""
    before = list(_pt_format._safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _pt_format._safe_globals[:] = before
