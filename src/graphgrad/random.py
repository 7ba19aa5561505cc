"""Random numbers: graphgrad's own reproducible stream (``manual_seed``), on NumPy's PCG64.

The numbers differ from PyTorch's (a different generator); the same seed gives the same numbers in
graphgrad every time.
"""

from __future__ import annotations

import numpy as np

from ._tensor import Tensor


class Generator:
    """A seedable source of random numbers (``graphgrad.Generator().manual_seed(0)``)."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # PyTorch's default seed, for familiarity
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        state = repr(self._rng.bit_generator.state).encode()
        return Tensor._make(np.frombuffer(state, dtype=np.uint8).copy(), False, None)

    def set_state(self, state):
        import ast

        self._rng.bit_generator.state = ast.literal_eval(bytes(state._data).decode())
        return self

    @property
    def rng(self):
        return self._rng


default_generator = Generator()


def manual_seed(seed):
    """Seed graphgrad's default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (or the default one)."""
    return (generator or default_generator)._rng
