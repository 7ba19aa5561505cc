"""The matrix products of the training workloads alone: NumPy's BLAS against PyTorch's, each in its own process.

    python benchmarks/products.py [--rounds 3]

Prints, per product shape (M x K @ K x N, float32), the best time of each library over the rounds (processes
alternated, each ended before the next starts) and the ratio NumPy / PyTorch: how much of a training step's gap
the BLAS itself accounts for.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

# the products' shapes in mlp_step and transformer_step (forward and weight gradients)
SHAPES = [(1024, 128, 384), (1024, 128, 512), (1024, 512, 128), (128, 1024, 512), (128, 784, 512), (784, 128, 512)]


def child(lib):
    import numpy as np

    rng = np.random.default_rng(0)
    best = {}
    for m, k, n in SHAPES:
        a, b = rng.standard_normal((m, k), np.float32), rng.standard_normal((k, n), np.float32)
        if lib == "torch":
            import torch

            a, b = torch.from_numpy(a), torch.from_numpy(b)
        for _ in range(5):
            a @ b
        times = []
        for _ in range(9):
            t0 = time.perf_counter()
            for _ in range(20):
                a @ b
            times.append((time.perf_counter() - t0) / 20)
        best[f"{m}x{k}@{k}x{n}"] = min(times)
    print(json.dumps(best))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    if args.child:
        child(args.child)
        return
    runs = {"numpy": [], "torch": []}
    for r in range(args.rounds):
        for lib in (("numpy", "torch") if r % 2 == 0 else ("torch", "numpy")):
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", lib], capture_output=True,
                                 text=True, check=True)
            runs[lib].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| product | NumPy best | PyTorch best | ratio |")
    print("|---|---|---|---|")
    for shape in runs["numpy"][0]:
        a, b = (min(r[shape] for r in runs[lib]) * 1e3 for lib in ("numpy", "torch"))
        print(f"| {shape} | {a:.3f} ms | {b:.3f} ms | {a / b:.2f} |")


if __name__ == "__main__":
    main()
