"""Run under mpiexec with no thread-count variables: each process's share of the cores after init_process_group."""

from threadpoolctl import threadpool_info

import graphgrad
import graphgrad.distributed as dist

before = graphgrad.get_num_threads()
dist.init_process_group()
blas = {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}
print(f"THREADS rank={dist.get_rank()} before={before} after={graphgrad.get_num_threads()} blas={sorted(blas)}")
dist.destroy_process_group()
