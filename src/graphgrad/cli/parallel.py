"""``mpiexec -n N graphgrad train ...``: the same command, data-parallel over the processes of an MPI job.

Every process loads the data and builds the same model; ``DistributedDataParallel`` averages the
gradients, so the replicas stay equal. Each global batch (the one a single process would take) is split
across the ranks, so the run takes the same steps as one process, with each rank computing its share.
Rank 0 alone prints and writes files.
"""

from __future__ import annotations

import os

import numpy as np

import graphgrad as torch
import graphgrad.distributed as dist

# what MPI launchers put in each process's environment: OpenMPI, MPICH/Intel MPI/PMI, PMIx
_WORLD_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


class Job:
    """The processes training together: ``rank`` of ``world`` (0 of 1 when not launched by mpiexec)."""

    def __init__(self):
        self.world = 1
        self.rank = 0
        size = next((int(os.environ[v]) for v in _WORLD_SIZE_VARS if os.environ.get(v, "").isdigit()), 1)
        if size > 1:
            if not dist.is_initialized():
                dist.init_process_group("mpi")
            self.world, self.rank = dist.get_world_size(), dist.get_rank()

    @property
    def lead(self) -> bool:
        """The process that prints and writes files."""
        return self.rank == 0

    def wrap(self, model):
        """The model that trains: wrapped in DistributedDataParallel when there are several processes."""
        if self.world == 1:
            return model
        return torch.nn.parallel.DistributedDataParallel(model)

    def share(self, batch):
        """This rank's part of a global batch of indices (every world-th one, from this rank on)."""
        return batch[self.rank::self.world]

    def total(self, *values):
        """The values summed over the ranks (as float64), e.g. loss sums and counts."""
        arr = torch.tensor(np.asarray(values, dtype=np.float64))
        if self.world > 1:
            dist.all_reduce(arr)
        return arr.tolist()
