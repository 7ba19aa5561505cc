"""graphgrad.distributed: collectives between processes over MPI, with ``torch.distributed``'s names.

Launch the same script in several processes with MPI and call ``init_process_group``::

    mpiexec -n 2 python train.py

>>> import graphgrad.distributed as dist
>>> dist.is_available()
True

The transport is MPI (``pip install graphgrad[dist]`` brings mpi4py and an MPI library). Without it this
module still imports, and ``init_process_group`` says what to install. Collectives work in place on
tensors, as PyTorch's do; ``nn.parallel.DistributedDataParallel`` and
``utils.data.distributed.DistributedSampler`` build data-parallel training on them.
"""

from .collectives import (
    Backend,
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    destroy_process_group,
    gather,
    get_backend,
    get_default_backend_for_device,
    get_rank,
    get_world_size,
    init_process_group,
    irecv,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    send,
)

__all__ = [
    "Backend", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce",
    "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather", "get_backend",
    "get_default_backend_for_device", "get_rank", "get_world_size", "init_process_group", "irecv", "is_available",
    "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
    "isend", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter", "send",
]
