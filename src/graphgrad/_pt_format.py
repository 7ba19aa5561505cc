"""PyTorch's own checkpoint format, read and written without PyTorch.

``torch.save`` writes a zip archive: ``<name>/data.pkl`` is a pickle (protocol 2) of the object in
which every tensor is a call ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks)``; each storage is a persistent id ``('storage', torch.FloatStorage, key,
location, numel)`` whose bytes are the record ``<name>/data/<key>`` (aligned to 64 bytes).
``byteorder``, ``version``, ``.format_version``, ``.storage_alignment`` and
``.data/serialization_id`` complete it. Views of one storage share it, in the file and after loading.

graphgrad writes the same pickle by naming PyTorch's globals (it never imports torch), and reads it
with one of two unpicklers: the weights-only one resolves only the globals a checkpoint of tensors
needs (PyTorch's allowlist) and refuses everything else with PyTorch's message; the full one maps
``torch.*`` names onto graphgrad's and imports anything else, as ``pickle`` does.
The legacy (non-zip) format of ``_use_new_zipfile_serialization=False`` is read and written too.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import os
import pickle
import re
import struct
import sys
import zipfile

import numpy as np

from . import _dtype
from ._device import device
from ._size import Size
from ._tensor import Tensor
from .nn.parameter import Parameter

# storage classes in PyTorch's pickles, by the dtype they hold
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
    "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
}
_STORAGE_BY_DTYPE = {v: k for k, v in _STORAGE_DTYPES.items()}
# every dtype name PyTorch pickles as ``torch.<name>`` (graphgrad holds some of them)
_TORCH_DTYPE_NAMES = (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex32",
    "complex64", "complex128", "uint16", "uint32", "uint64", "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz",
    "float8_e4m3fnuz", "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "bits8", "bits16",
)
_ALIGNMENT = 64
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
    "but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source."
)
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)


class FormatError(Exception):
    """The file is damaged or not what it claims to be (the caller names the file)."""


# --- writing ----------------------------------------------------------------------------------------
class _Global:
    """A global of PyTorch's (``torch._utils._rebuild_tensor_v2``), written into the pickle by name."""

    __slots__ = ("module", "name")
    _interned: dict = {}

    def __new__(cls, module, name):
        key = (module, name)
        if key not in cls._interned:  # one object per name, so the pickle memoizes it as PyTorch's does
            self = super().__new__(cls)
            self.module, self.name = module, name
            cls._interned[key] = self
        return cls._interned[key]

    def __call__(self, *args):  # pickle's save_reduce wants a callable; this one is only ever written
        raise TypeError(f"{self.module}.{self.name} is PyTorch's; graphgrad only writes its name")


class _Call:
    """``func(*args)`` in the pickle (a REDUCE), standing in for a graphgrad object."""

    __slots__ = ("func", "args")

    def __init__(self, func, args):
        self.func, self.args = func, args


class _StorageRecord:
    """One storage to write: the whole memory block ``array`` (C-contiguous), as ``data/<key>``."""

    __slots__ = ("key", "array", "pid")

    def __init__(self, key, array, legacy):
        self.key, self.array = key, array
        storage_type = _STORAGE_BY_DTYPE[_dtype.from_numpy_dtype(array.dtype).name]
        self.pid = ("storage", _Global("torch", storage_type), key, "cpu", array.size)
        if legacy:
            self.pid += (None,)  # the legacy format's view metadata (graphgrad writes no storage views)


class _Storages:
    """The storages of one save: tensors that view the same NumPy memory share one storage, as in PyTorch."""

    def __init__(self, legacy):
        self.legacy = legacy
        self.records = []
        self._by_block = {}  # (id of the memory's owner, dtype) -> record
        self._owners = []  # keeps those owners alive, so their ids stay unique while the save runs

    def locate(self, array):
        """``(record, offset, stride)`` of ``array`` in elements, adding its memory block if new."""
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        itemsize = array.itemsize
        if array.size and root.dtype == array.dtype and root.flags.c_contiguous and root.size:
            start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            stride = [s // itemsize for s in array.strides]
            last = start // itemsize + sum((n - 1) * s for n, s in zip(array.shape, stride))
            if (start % itemsize == 0 and all(s >= 0 and s * itemsize == b for s, b in zip(stride, array.strides))
                    and 0 <= start and last < root.size):
                key = (id(root), array.dtype)
                if key not in self._by_block:
                    self._by_block[key] = self._add(root)
                    self._owners.append(root)
                return self._by_block[key], start // itemsize, tuple(stride)
        # negative strides, a dtype view, or memory NumPy does not own: a contiguous copy of its own
        own = np.array(array, order="C", copy=True)
        return self._add(own), 0, tuple(s // itemsize for s in own.strides)

    def _add(self, array):
        record = _StorageRecord(str(len(self.records)), array, self.legacy)
        self.records.append(record)
        return record


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")


class _TorchPickler(pickle._Pickler):
    """pickle's own Pickler, with graphgrad's tensors, dtypes, Size and device written as PyTorch's."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, storages):
        super().__init__(file, protocol)
        self._storages = storages
        self._stand_ins = {}  # id(object) -> (object, stand-in): the same object gets the same stand-in

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, (Tensor, _dtype.dtype, Size, device)):
            entry = self._stand_ins.get(id(obj))
            if entry is None:
                entry = self._stand_ins[id(obj)] = (obj, self._stand_in(obj))
            obj = entry[1]
        super().save(obj, save_persistent_id)

    def _stand_in(self, obj):
        if isinstance(obj, _dtype.dtype):
            return _Global("torch", obj.name)
        if isinstance(obj, Size):
            return _Call(_Global("torch", "Size"), (tuple(obj),))
        if isinstance(obj, device):
            return _Call(_Global("torch", "device"), (str(obj),))
        array = obj._data
        record, offset, stride = self._storages.locate(array)
        requires_grad = bool(obj.requires_grad)
        tensor = _Call(_REBUILD_TENSOR, (record, offset, tuple(array.shape), stride,
                                         requires_grad and not isinstance(obj, Parameter), collections.OrderedDict()))
        if isinstance(obj, Parameter):
            return _Call(_REBUILD_PARAMETER, (tensor, requires_grad, collections.OrderedDict()))
        return tensor

    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, _StorageRecord) else None

    def _save_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    def _save_call(self, obj):
        self.save_reduce(obj.func, obj.args, obj=obj)

    dispatch[_Global] = _save_global
    dispatch[_Call] = _save_call


def _pickle(obj, protocol, legacy=False):
    storages = _Storages(legacy)
    out = io.BytesIO()
    _TorchPickler(out, protocol, storages).dump(obj)
    return out.getvalue(), storages.records


def _as_bytes(array):
    return memoryview(array.reshape(-1).view(np.uint8))


def write_zip(obj, file, archive_name, protocol=2):
    """Write ``obj`` to the binary file object ``file`` as ``torch.save`` does."""
    data_pkl, records = _pickle(obj, protocol)
    entries = [("data.pkl", data_pkl), (".format_version", b"1"), (".storage_alignment", str(_ALIGNMENT).encode()),
               ("byteorder", sys.byteorder.encode())]
    entries += [(f"data/{r.key}", _as_bytes(r.array)) for r in records]
    entries += [("version", b"3\n"), (".data/serialization_id", str(int.from_bytes(os.urandom(16), "big")).encode())]
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        for name, payload in entries:
            info = zipfile.ZipInfo(f"{archive_name}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.extra = _alignment_padding(archive, info.filename)
            archive.writestr(info, payload)


def _alignment_padding(archive, filename):
    """An extra field ('FB', as PyTorch writes) that makes the record's bytes start on a 64-byte boundary."""
    try:
        offset = archive.fp.tell()
    except (OSError, AttributeError):  # not seekable: PyTorch's reader does not need the alignment
        return b""
    header = 30 + len(filename.encode()) + 4
    pad = (-(offset + header)) % _ALIGNMENT
    return b"FB" + struct.pack("<H", pad) + b"Z" * pad


def write_legacy(obj, file, protocol=2):
    """The pre-1.6 format (``_use_new_zipfile_serialization=False``): pickles, then each storage's bytes."""
    data_pkl, records = _pickle(obj, protocol, legacy=True)
    for header in (_LEGACY_MAGIC, _LEGACY_PROTOCOL, {"protocol_version": _LEGACY_PROTOCOL,
                                                     "little_endian": sys.byteorder == "little",
                                                     "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, file, protocol=protocol)
    file.write(data_pkl)
    pickle.dump([r.key for r in records], file, protocol=protocol)
    for r in records:
        file.write(struct.pack("<q", r.array.size))
        file.write(_as_bytes(r.array))


# --- reading ----------------------------------------------------------------------------------------
class _StorageType:
    """What a storage class in the pickle resolves to: the dtype name of its elements."""

    __slots__ = ("name", "dtype_name")

    def __init__(self, name, dtype_name):
        self.name, self.dtype_name = name, dtype_name

    def __repr__(self):
        return f"torch.{self.name}"


class _Storage:
    """A loaded storage: one flat NumPy array that every tensor on it views."""

    __slots__ = ("array", "location")

    def __init__(self, array, location):
        self.array, self.location = array, location


def _graphgrad_dtype(name):
    """The graphgrad dtype PyTorch calls ``torch.<name>``; a clear error for those graphgrad lacks."""
    d = _dtype._BY_NAME.get(name)
    if d is None:
        raise FormatError(f"it holds a tensor of dtype torch.{name}, which graphgrad cannot hold")
    try:
        return _dtype.require_supported(d)
    except TypeError as e:
        raise FormatError(str(e)) from None


def _strided(storage, offset, size, stride, dtype=None):
    """A tensor viewing ``storage``; sizes and strides are checked to stay inside it (no stray reads)."""
    if not isinstance(storage, _Storage):
        raise FormatError(f"a tensor's storage is a {type(storage).__name__}")
    flat = storage.array
    if dtype is not None:  # an untyped storage (bytes) read as ``dtype``
        d = _graphgrad_dtype(dtype.name) if isinstance(dtype, _dtype.dtype) else None
        if d is None or flat.size % d.itemsize:
            raise FormatError(f"an untyped storage of {flat.size} bytes cannot hold dtype {dtype}")
        flat = flat.view(d.np)
    ok = (isinstance(offset, int) and offset >= 0 and isinstance(size, (tuple, list)) and
          isinstance(stride, (tuple, list)) and len(size) == len(stride) and
          all(isinstance(v, int) and v >= 0 for v in (*size, *stride)))
    if not ok:
        raise FormatError(f"a tensor has a malformed size {size!r}, stride {stride!r} or offset {offset!r}")
    numel = int(np.prod(size, dtype=np.int64)) if size else 1
    if numel == 0:
        return Tensor._make(np.zeros(tuple(size), flat.dtype), False, None)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        raise FormatError(f"a tensor of size {list(size)} and stride {list(stride)} at offset {offset} "
                          f"reaches past its storage of {flat.size} elements")
    item = flat.itemsize
    # an ndarray on the storage's memory (its .base is the storage, so saving it again shares it again)
    array = np.ndarray(tuple(size), flat.dtype, buffer=flat, offset=offset * item, strides=[s * item for s in stride])
    return Tensor._make(array, False, None)


def _set_requires_grad(tensor, requires_grad):
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _strided(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    return _set_requires_grad(_strided(storage, storage_offset, size, stride), requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    return _set_requires_grad(_strided(storage, storage_offset, size, stride, dtype), requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    if not isinstance(data, Tensor):
        raise FormatError(f"a Parameter's data is a {type(data).__name__}")
    return Parameter(data.detach(), requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    param = _rebuild_parameter(data, requires_grad, backward_hooks)
    for key, value in (state or {}).items():
        setattr(param, key, value)
    return param


def _rebuild_from_type_v2(func, new_type, args, state):
    result = func(*args)
    for key, value in (state or {}).items() if isinstance(state, dict) else ():
        setattr(result, key, value)
    return result


def _torch_globals():
    """PyTorch's weights-only allowlist, as graphgrad objects: ``"module.name"`` -> object."""
    table = {
        "collections.OrderedDict": collections.OrderedDict, "collections.Counter": collections.Counter,
        "torch.nn.parameter.Parameter": Parameter, "torch.Size": Size, "torch.Tensor": Tensor,
        "torch.device": device, "_codecs.encode": _codecs_encode, "builtins.bytearray": bytearray,
        "builtins.set": set, "builtins.complex": complex,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
    }
    for fn in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_parameter_with_state):
        table[f"torch._utils.{fn.__name__}"] = fn
    for name, dtype_name in _STORAGE_DTYPES.items():
        table[f"torch.{name}"] = _StorageType(name, dtype_name)
    table["torch.storage.UntypedStorage"] = table["torch.UntypedStorage"] = _StorageType("UntypedStorage", "uint8")
    for name in _TORCH_DTYPE_NAMES:
        table[f"torch.{name}"] = _dtype._BY_NAME.get(name) or _MissingDtype(name)
    return table


class _MissingDtype:
    """A PyTorch dtype graphgrad has not got: loading fine, using it to build a tensor is an error."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


def _codecs_encode(text, encoding="latin1"):
    import codecs

    return codecs.encode(text, encoding)


_safe_globals: list = []  # what add_safe_globals registered: objects, or (object, "module.name")


def _user_globals():
    table = {}
    for entry in _safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got tuple "
                                 f"of length: {len(entry)}")
            if not isinstance(entry[1], str):
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                                f"{type(entry[1])}")
            table[entry[1]] = entry[0]
        else:
            table[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return table


def _shown_name(full_path):
    """How PyTorch names a global in its message (``builtins.print`` is ``print``)."""
    if full_path.startswith("builtins."):
        return full_path[len("builtins."):]
    return full_path


def _python3_name(module, name):
    """Protocol-2 pickles name Python 2's modules (``__builtin__.set``): the names Python 3 has for them."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class _WeightsUnpickler(pickle.Unpickler):
    """Resolves only the allowlisted globals: nothing outside it can be imported, called or built."""

    def __init__(self, file, storages, **kwargs):
        super().__init__(file, **kwargs)
        self._storages = storages
        self._allowed = {**_torch_globals(), **_user_globals()}

    def find_class(self, module, name):
        module, name = _python3_name(module, name)
        full_path = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(
                f"Trying to load unsupported GLOBAL {full_path} whose module {module} is blocked.")
        if full_path in self._allowed:
            return self._allowed[full_path]
        shown = _shown_name(full_path)
        raise pickle.UnpicklingError(
            f"Unsupported global: GLOBAL {shown} was not an allowed global by default. "
            f"Please use `torch.serialization.add_safe_globals([{shown}])` or the "
            f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this global "
            "if you trust this class/function."
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] in ("storage", b"storage")):
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got {pid!r}")
        return self._storages(pid)


class _FullUnpickler(_WeightsUnpickler):
    """``weights_only=False``: PyTorch's names map onto graphgrad's, everything else imports as pickle does."""

    def find_class(self, module, name):
        module, name = _python3_name(module, name)
        full_path = f"{module}.{name}"
        if full_path in self._allowed:
            return self._allowed[full_path]
        if module == "torch" or module.startswith("torch."):
            import importlib

            ours = "graphgrad" + module[len("torch"):]
            try:
                return getattr(importlib.import_module(ours), name)
            except (ImportError, AttributeError):
                raise FormatError(f"it holds {full_path}, which graphgrad does not have (no {ours}.{name})") from None
        return super(_WeightsUnpickler, self).find_class(module, name)


def weights_only_message(message):
    """PyTorch's wording around an error of the weights-only unpickler."""
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
                "the recommended steps in the following error message.\n\tWeightsUnpickler error: "
                + message + _DOCS_MESSAGE)
    updated = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        updated += ("Please file an issue with the following so that we can make "
                    "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return updated + "\n\n" + message + _DOCS_MESSAGE


def _location_mapper(map_location):
    """``storage, location -> storage`` for the map_location forms PyTorch accepts (the CPU holds them all)."""

    def check(location):
        where = str(location)
        if not where.startswith("cpu"):
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
                "If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU."
                if where.startswith("cuda") else
                f"Attempting to deserialize object on a {where.split(':')[0].upper()} device, which graphgrad "
                "(CPU only) does not have; use map_location='cpu'")

    def mapped(storage, location):
        if callable(map_location) and not isinstance(map_location, (str, device)):
            result = map_location(storage, location)
            return result if isinstance(result, _Storage) else storage
        if isinstance(map_location, dict):
            check(map_location.get(location, location))
        elif map_location is not None:
            check(map_location)
        else:
            check(location)
        return storage

    return mapped


def _storage_loader(read_record, map_location):
    """``persistent id -> _Storage``, reading each storage once (views share it)."""
    loaded = {}
    mapper = _location_mapper(map_location)

    def load(pid):
        try:
            _, storage_type, key, location, numel = pid[:5]
        except ValueError:
            raise FormatError(f"a storage id {pid!r} is malformed") from None
        key = key.decode() if isinstance(key, bytes) else str(key)
        if key not in loaded:
            if not isinstance(storage_type, _StorageType):
                raise FormatError(f"a storage has the type {storage_type!r}")
            d = _graphgrad_dtype(storage_type.dtype_name)
            array = read_record(key, d.np, numel)
            loaded[key] = mapper(_Storage(array, location), location)
        return loaded[key]

    return load


def _typed(raw, np_dtype, numel, key, byteorder):
    if not isinstance(numel, int) or numel < 0 or len(raw) < numel * np_dtype.itemsize:
        raise FormatError(f"storage {key} holds {len(raw)} bytes, less than its {numel} elements need")
    array = np.frombuffer(raw, np_dtype, count=numel).copy()  # writable, and the file can be closed
    return array.byteswap() if byteorder != sys.byteorder and np_dtype.itemsize > 1 else array


def _unpickle(data, storage_loader, weights_only, pickle_load_args):
    unpickler = (_WeightsUnpickler if weights_only else _FullUnpickler)(
        data, storage_loader, **{k: v for k, v in pickle_load_args.items() if k in ("encoding", "errors")})
    return unpickler.load()


def read_zip(file, map_location, weights_only, pickle_load_args):
    """The object a ``torch.save`` zip archive holds."""
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile as e:
        raise FormatError(f"not a readable zip archive ({e})") from None
    with archive:
        names = archive.namelist()
        pkl = next((n for n in names if n.endswith("data.pkl") and n.count("/") == 1), None)
        if pkl is None:
            raise FormatError("a zip archive without data.pkl, so not a checkpoint of torch.save")
        prefix = pkl[: -len("data.pkl")]
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = archive.read(prefix + "byteorder").decode(errors="replace").strip()
            if byteorder not in ("little", "big"):
                raise FormatError(f"its byteorder record says {byteorder!r}")

        def read_record(key, np_dtype, numel):
            name = f"{prefix}data/{key}"
            if name not in names:
                raise FormatError(f"the storage record {name} is missing")
            return _typed(archive.read(name), np_dtype, numel, key, byteorder)

        loader = _storage_loader(read_record, map_location)
        return _unpickle(io.BytesIO(archive.read(pkl)), loader, weights_only, pickle_load_args)


def read_legacy(data, map_location, weights_only, pickle_load_args):
    """The object a pre-1.6 ``torch.save`` file holds: pickles, then the storages' bytes."""
    stream = io.BytesIO(data)
    no_storages = _storage_loader(lambda *a: (_ for _ in ()).throw(FormatError("a storage before the data")), None)
    magic = _unpickle(stream, no_storages, True, pickle_load_args)
    if magic != _LEGACY_MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol = _unpickle(stream, no_storages, True, pickle_load_args)
    if protocol != _LEGACY_PROTOCOL:
        raise RuntimeError(f"Invalid protocol version: {protocol}")
    _unpickle(stream, no_storages, True, pickle_load_args)  # sys_info
    pending = {}

    def allocate(key, np_dtype, numel):  # filled in below, once the storages' bytes are reached
        if not isinstance(numel, int) or numel < 0 or numel * np_dtype.itemsize > len(data):
            raise FormatError(f"storage {key} claims {numel} elements, more than the file holds")
        pending[key] = np.empty(numel, np_dtype)
        return pending[key]

    result = _unpickle(stream, _storage_loader(allocate, map_location), weights_only, pickle_load_args)
    keys = _unpickle(stream, no_storages, True, pickle_load_args)
    for key in keys:
        key = key.decode() if isinstance(key, bytes) else str(key)
        array = pending.get(key)
        header = stream.read(8)
        if array is None or len(header) < 8:
            raise FormatError(f"storage {key} is missing or truncated")
        (numel,) = struct.unpack("<q", header)
        raw = stream.read(numel * array.itemsize)
        array[...] = _typed(raw, array.dtype, array.size, key, sys.byteorder)[: array.size]
    return result
