"""Random numbers: PyTorch's CPU generator, the same Mersenne Twister stream bit for bit.

A :class:`Generator` is an MT19937 engine seeded as PyTorch seeds it (``init_genrand(seed & 0xffffffff)``),
with its two cached normal samples. ``get_state()`` is PyTorch's 5,056-byte layout, so a state saved by
PyTorch loads here and the other way round. The samplers that turn raw draws into values live in
``graphgrad._random_kernels``; everything that draws (factories, in-place samplers, ``nn.init``, dropout,
samplers, ``random_split``) goes through a generator from here.

>>> import graphgrad
>>> _ = graphgrad.manual_seed(0)
>>> graphgrad.rand(2)
tensor([0.4963, 0.7682])
"""

from __future__ import annotations

import contextlib
import os
import struct

import numpy as np

from ._device import check_device, device
from ._tensor import Tensor

_STATE_WORDS = 624  # MT19937's state length
_STATE_BYTES = 5056
# seed u64, left i32, seeded i32, next u64, 624 x u64 state; then normal_x, normal_y, normal_rho (f64),
# normal_is_valid (i32, padded); then the float normal cache (f32) and its flag (bool, padded)
_HEAD = struct.Struct("<QiiQ")
_DOUBLE_CACHE = struct.Struct("<dddi4x")
_FLOAT_CACHE = struct.Struct("<f?3x")
_DOUBLE_CACHE_AT = _HEAD.size + 8 * _STATE_WORDS
_FLOAT_CACHE_AT = _DOUBLE_CACHE_AT + _DOUBLE_CACHE.size
_DEFAULT_SEED = 67280421310721


class Generator:
    """A seedable source of random numbers with PyTorch's stream (``graphgrad.Generator().manual_seed(0)``).

    >>> g = Generator().manual_seed(42)
    >>> g.initial_seed()
    42
    """

    def __init__(self, device="cpu"):
        check_device(device)
        self.device = _cpu_device()
        self.manual_seed(_DEFAULT_SEED)

    # --- seeding ----------------------------------------------------------------------------------
    def manual_seed(self, seed):
        """Restart the stream from ``seed`` (negative seeds are taken modulo 2**64, as in PyTorch)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            seed = _as_int_seed(seed)
        seed = int(seed)
        if seed < -(2**63) or seed >= 2**64:
            raise RuntimeError(f"Overflow when unpacking long long: {seed}" if seed < 0 else
                               f"Overflow when unpacking long: {seed}")
        self._seed = seed % 2**64
        self._engine = np.random.MT19937()
        self._engine._legacy_seeding(self._seed & 0xFFFFFFFF)  # init_genrand; the next draw twists
        self._next = 0  # PyTorch's read position, which reads 0 (not 624) until the first draw
        self.double_normal_cache = None
        self.float_normal_cache = None
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the new seed."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # --- raw draws --------------------------------------------------------------------------------
    def random32(self, n):
        """The next ``n`` raw 32-bit draws (PyTorch's ``random()``), as uint32."""
        if n <= 0:
            return np.empty(0, np.uint32)
        out = self._engine.random_raw(int(n)).astype(np.uint32)
        self._next = self._engine.state["state"]["pos"]
        return out

    def random64(self, n):
        """The next ``n`` 64-bit draws (PyTorch's ``random64()``: two 32-bit draws, the first one high)."""
        pairs = self.random32(2 * n).astype(np.uint64).reshape(-1, 2)
        return (pairs[:, 0] << np.uint64(32)) | pairs[:, 1]

    # --- state ------------------------------------------------------------------------------------
    def get_state(self):
        """PyTorch's 5,056-byte state as a uint8 tensor."""
        engine = self._engine.state["state"]
        pos = int(engine["pos"])
        left = 1 if pos == _STATE_WORDS else _STATE_WORDS + 1 - pos
        buf = bytearray(_STATE_BYTES)
        _HEAD.pack_into(buf, 0, self._seed, left, 1, self._next)
        buf[_HEAD.size:_DOUBLE_CACHE_AT] = engine["key"].astype("<u8").tobytes()
        dc, fc = self.double_normal_cache, self.float_normal_cache
        _DOUBLE_CACHE.pack_into(buf, _DOUBLE_CACHE_AT, 0.0, 0.0 if dc is None else dc, 0.0, dc is not None)
        _FLOAT_CACHE.pack_into(buf, _FLOAT_CACHE_AT, 0.0 if fc is None else fc, fc is not None)
        return Tensor._make(np.frombuffer(bytes(buf), dtype=np.uint8).copy(), False, None)

    def set_state(self, new_state):
        """Load a state from ``get_state()`` (graphgrad's or PyTorch's)."""
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.ascontiguousarray(new_state._data).tobytes()
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input RNG "
                               f"state size to be {len(raw)}")
        seed, left, _seeded, nxt = _HEAD.unpack_from(raw, 0)
        key = np.frombuffer(raw[_HEAD.size:_DOUBLE_CACHE_AT], dtype="<u8").astype(np.uint32)
        _, normal_y, _, double_valid = _DOUBLE_CACHE.unpack_from(raw, _DOUBLE_CACHE_AT)
        float_sample, float_valid = _FLOAT_CACHE.unpack_from(raw, _FLOAT_CACHE_AT)
        engine = np.random.MT19937()
        engine.state = {"bit_generator": "MT19937",
                        "state": {"key": key, "pos": _STATE_WORDS if left == 1 else int(nxt)}}
        self._engine, self._seed, self._next = engine, seed, int(nxt)
        self.double_normal_cache = normal_y if double_valid else None
        self.float_normal_cache = float_sample if float_valid else None
        return self

    def _swap_streams(self, other):
        """Exchange streams (engine, seed, caches) with ``other``, cheaply: the DataLoader's simulated workers
        run their draws on the default generator this way (code holding the default generator keeps it)."""
        self.__dict__, other.__dict__ = other.__dict__, self.__dict__

    def __repr__(self):
        return f"<graphgrad._C.Generator object at {hex(id(self))}>"


def _as_int_seed(seed):
    try:
        return int(seed)
    except (TypeError, ValueError):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}") from None


def _cpu_device():
    return device("cpu")


default_generator = Generator()
default_generator.seed()  # PyTorch seeds its default generator randomly at start-up


def manual_seed(seed):
    """Seed the default generator; returns it.

    >>> manual_seed(3).initial_seed()
    3
    """
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator last started from."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (PyTorch's 5,056-byte layout)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator from ``get_rng_state()``'s bytes (graphgrad's or PyTorch's)."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Run a block and then put the default generator back to where it was (CPU only).

    >>> _ = manual_seed(0)
    >>> with fork_rng():
    ...     _ = default_generator.random32(5)
    >>> int(default_generator.random32(1)[0]) == int(Generator().manual_seed(0).random32(1)[0])
    True
    """
    if not enabled or device_type == "meta":
        yield
        return
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)


def generator_or_default(generator=None) -> Generator:
    """``generator``, or the default generator when it is None."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, but got {type(generator).__name__}")
    return generator
