"""DataLoader workers run in this process, each with the random state a PyTorch worker process has.

PyTorch's workers are processes: worker ``i`` seeds its own default generator and Python's ``random`` with
``base_seed + i`` (``base_seed`` is the loader's draw when iteration starts) and ``numpy.random`` with
``SeedSequence([i, base_seed & 0xffffffff, base_seed >> 32, 0]).generate_state(4)``, calls ``worker_init_fn(i)``,
and fetches batches handed out round-robin from worker 0. graphgrad fetches in this process, so a
``_Worker`` keeps those three states and swaps them in around each of its fetches: a dataset that draws
random numbers in ``__getitem__`` (random crops, noise, masking) gets the numbers it would get in
PyTorch's worker, and the main process's streams are left as PyTorch leaves them. The dataset object itself is
shared (PyTorch's forked workers each have a copy).

>>> w = _Worker(dataset=None, worker_id=1, num_workers=2, base_seed=10)
>>> with w.fetching():
...     get_worker_info().seed, default_generator.initial_seed()
(11, 11)
>>> get_worker_info() is None
True
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass

import numpy as np

from ...random import Generator, default_generator

_current: WorkerInfo | None = None


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its ``id``, ``num_workers``, ``seed`` and ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """The running worker's :class:`WorkerInfo` inside a DataLoader worker (its fetches and ``worker_init_fn``);
    None in the main process."""
    return _current


class _Worker:
    """One worker's random states, swapped in while it fetches."""

    def __init__(self, dataset, worker_id, num_workers, base_seed, init_fn=None):
        seed = base_seed + worker_id
        self.info = WorkerInfo(worker_id, num_workers, seed, dataset)
        self.generator = Generator().manual_seed(seed)
        self.python_state = random.Random(seed).getstate()
        numpy_seed = np.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0])
        self.numpy_state = np.random.RandomState(numpy_seed.generate_state(4)).get_state()
        if init_fn is not None:
            with self.fetching():
                init_fn(worker_id)

    @contextlib.contextmanager
    def fetching(self):
        """Run a block as this worker: its generator, ``random`` and ``numpy.random`` states, its info."""
        global _current
        main = random.getstate(), np.random.get_state(), _current
        default_generator._swap_streams(self.generator)
        random.setstate(self.python_state)
        np.random.set_state(self.numpy_state)
        _current = self.info
        try:
            yield
        finally:
            self.python_state, self.numpy_state = random.getstate(), np.random.get_state()
            default_generator._swap_streams(self.generator)
            random.setstate(main[0])
            np.random.set_state(main[1])
            _current = main[2]


__all__ = ["WorkerInfo", "get_worker_info"]
