"""graphgrad.utils.data: datasets, samplers and the DataLoader, as in ``torch.utils.data`` (one process).

>>> import graphgrad
>>> from graphgrad.utils.data import DataLoader, TensorDataset
>>> ds = TensorDataset(graphgrad.arange(5.0), graphgrad.arange(5))
>>> [x.tolist() for x, y in DataLoader(ds, batch_size=2)]
[[0.0, 1.0], [2.0, 3.0], [4.0]]

Shuffling, samplers and ``random_split`` draw exactly what PyTorch draws: after the same seed a shuffled
DataLoader visits the samples in PyTorch's order.
"""

from ._utils import default_collate, default_convert
from ._worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler", "IterableDataset",
    "RandomSampler", "Sampler",
    "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "default_collate", "default_convert",
    "WeightedRandomSampler", "WorkerInfo", "get_worker_info", "random_split",
]


