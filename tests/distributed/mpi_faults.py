"""Faults inside an MPI job: ``mpiexec -n 2 python mpi_faults.py MODE``; test_distributed.py checks that
the job ends (instead of hanging) with a message that names the rank and the cause."""

import datetime
import sys

import graphgrad as torch
import graphgrad.distributed as dist

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=3))
rank = dist.get_rank()
if mode == "raise":
    if rank == 1:
        raise ValueError("rank 1 fails before the collective")
    dist.all_reduce(torch.ones(3))
elif mode == "leave":
    if rank == 1:
        sys.exit(0)  # leaves without taking part: rank 0 must time out, not hang
    dist.all_reduce(torch.ones(3))
elif mode == "shapes":
    torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(3, 2 + rank))
elif mode == "count":
    layers = [torch.nn.Linear(3, 3) for _ in range(1 + rank)]
    torch.nn.parallel.DistributedDataParallel(torch.nn.Sequential(*layers))
print(f"rank {rank} finished", flush=True)
