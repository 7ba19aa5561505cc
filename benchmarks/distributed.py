"""Data-parallel throughput: the same global batch on 1 process and on 2 (MPI), and how much of the
gradient all-reduce backward hides.

    python benchmarks/distributed.py [--steps 20]

Each configuration is a fresh ``mpiexec`` job; with 2 processes each uses 1 BLAS thread, with 1 process
it uses 2, so both use the machine's 2 cores. ``hidden`` is 1 - (time backward waited for reductions
after its last gradient) / (time the same reductions take on their own).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(workload, steps):
    sys.path.insert(0, HERE)
    import numpy as np
    import training

    import graphgrad as torch
    import graphgrad.distributed as dist
    from graphgrad.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    model = {"mlp_step": lambda: training.mlp_model(torch), "convnet_step": lambda: training.convnet_model(torch)}[
        workload]()
    shape, batch = {"mlp_step": ((784,), 128), "convnet_step": ((3, 32, 32), 32)}[workload]
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    per = batch // world
    x = torch.tensor(rng.standard_normal((per,) + shape).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, per))
    loss_fn = torch.nn.CrossEntropyLoss()
    times, exposed = [], []
    for s in range(steps + 2):
        dist.barrier()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()
        if s >= 2:
            times.append(time.perf_counter() - t0)
            exposed.append(ddp.exposed_ms)
    # the same reductions, on their own
    alone = []
    for _ in range(5):
        bufs = [torch.ones(sum(ddp._params[i].numel() for i in b.indices)) for b in ddp._buckets]
        dist.barrier()
        t0 = time.perf_counter()
        for w in [dist.all_reduce(b, async_op=True) for b in bufs]:
            w.wait()
        alone.append((time.perf_counter() - t0) * 1e3)
    if rank == 0:
        print(json.dumps({"step_ms": statistics.median(times) * 1e3, "best_ms": min(times) * 1e3,
                          "exposed_ms": statistics.median(exposed), "allreduce_ms": statistics.median(alone)}))
    dist.destroy_process_group()


def run(workload, n, steps):
    cmd = ["mpiexec", "-n", str(n)]
    if os.geteuid() == 0:
        cmd += ["--allow-run-as-root", "--oversubscribe"]
    threads = str(max(1, (os.cpu_count() or 2) // n))
    env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
    out = subprocess.run(cmd + [sys.executable, os.path.abspath(__file__), "--worker", workload, str(steps)],
                         capture_output=True, text=True, env=env, check=True)
    # (the last JSON line: some mpiexec builds end their output with a terminal colour reset)
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def main():
    p = argparse.ArgumentParser(description="graphgrad data-parallel throughput, 1 vs 2 processes")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]))
        return
    if shutil.which("mpiexec") is None:
        sys.exit("mpiexec not found: pip install 'graphgrad[dist]'")
    print("| workload | 1 process (2 threads) | 2 processes (1 thread each) | speed-up | all-reduce alone | "
          "waited after backward | hidden |")
    print("|---|---|---|---|---|---|---|")
    for workload in ("mlp_step", "convnet_step"):
        one, two = [], []
        for _ in range(args.rounds):  # alternate the configurations
            one.append(run(workload, 1, args.steps))
            two.append(run(workload, 2, args.steps))
        a = statistics.median(r["step_ms"] for r in one)
        b = statistics.median(r["step_ms"] for r in two)
        alone = statistics.median(r["allreduce_ms"] for r in two)
        waited = statistics.median(r["exposed_ms"] for r in two)
        hidden = max(0.0, 1 - waited / alone) if alone > 0 else float("nan")
        print(f"| {workload} | {a:.2f} ms | {b:.2f} ms | {a / b:.2f}x | {alone:.2f} ms | {waited:.2f} ms | "
              f"{hidden:.0%} |", flush=True)


if __name__ == "__main__":
    main()
