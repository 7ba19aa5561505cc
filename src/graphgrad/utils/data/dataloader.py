"""The DataLoader, as ``torch.utils.data.dataloader`` (one process; workers are simulated, see ``_worker``)."""

from __future__ import annotations

import contextlib
import itertools
import math

from ... import _random_kernels as K
from ...random import generator_or_default
from ._utils import default_collate, default_convert
from ._worker import _Worker
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over a dataset in batches: a sampler picks indices, ``collate_fn`` merges the samples.

    One process: with ``num_workers`` > 0 (map-style datasets) the batches are fetched here, round-robin by
    simulated workers that each hold the random state PyTorch's worker process would (``_worker``), so random
    draws inside the dataset give PyTorch's numbers; ``persistent_workers`` keeps those states across epochs.

    >>> import graphgrad
    >>> ds = TensorDataset(graphgrad.arange(10.0))
    >>> g = graphgrad.Generator().manual_seed(0)
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, drop_last=True, generator=g)
    >>> len(loader), [b[0].shape for b in loader]
    (2, [graphgrad.Size([4]), graphgrad.Size([4])])
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = persistent_workers
        self._workers = None  # the simulated workers, kept across epochs when persistent
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __iter__(self):
        # as PyTorch: starting an iteration draws the workers' base seed at once (r64 % 2**63), from the
        # loader's generator or the default one; the sampler draws its own on the first batch

        # (persistent workers: only the first iteration starts workers and draws it)
        if not (self.persistent_workers and hasattr(self, "_base_seed")):
            self._base_seed = int(K.random_full(generator_or_default(self.generator), 1, "int64")[0])
            self._workers = None
        if self._iterable:
            return self._iter_stream()
        if self.num_workers > 0 and self._workers is None:
            self._workers = [_Worker(self.dataset, i, self.num_workers, self._base_seed, self.worker_init_fn)
                             for i in range(self.num_workers)]
        return self._iter_map()

    def _iter_map(self):
        # PyTorch hands the tasks to its workers round-robin, starting from worker 0 every epoch
        workers = itertools.cycle(self._workers) if self.num_workers > 0 else itertools.repeat(None)
        tasks = self.batch_sampler if self._auto_collation else self.sampler
        for task, worker in zip(tasks, workers):
            with worker.fetching() if worker else contextlib.nullcontext():
                batch = self._fetch(task)
            yield batch

    def _fetch(self, task):
        if not self._auto_collation:
            return self.collate_fn(self.dataset[task])
        getitems = getattr(self.dataset, "__getitems__", None)
        return self.collate_fn(getitems(task) if getitems else [self.dataset[i] for i in task])

    def _iter_stream(self):
        it = iter(self.dataset)
        if self.batch_size is None:
            for sample in it:
                yield self.collate_fn(sample)
            return
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self.batch_sampler) if self._auto_collation else len(self.sampler)
