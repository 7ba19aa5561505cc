"""The matrix products of the training workloads alone: graphgrad's (``graphgrad._blas.matmul``: MKL where the
``fast`` extra installs it), NumPy's own BLAS and PyTorch's, each in its own process.

    python benchmarks/products.py [--rounds 3]

Prints, per product shape (M x K @ K x N, float32), the best time of each over the rounds (processes alternated,
each ended before the next starts) and the ratios to PyTorch: how much of a training step's gap the BLAS itself
accounts for.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

# the products' shapes in mlp_step and transformer_step (forward and weight gradients; (batch, m, k, n): the
# attention's stacks of 16 sequences x 4 heads)
SHAPES = [(1024, 128, 384), (1024, 128, 512), (1024, 512, 128), (128, 1024, 512), (128, 784, 512), (784, 128, 512),
          (64, 64, 32, 64), (64, 64, 64, 32)]


def child(lib):
    import numpy as np

    rng = np.random.default_rng(0)
    best = {}
    for shape in SHAPES:
        *batch, m, k, n = shape
        a, b = (rng.standard_normal((*batch, *s), np.float32) for s in ((m, k), (k, n)))
        product = lambda x, y: x @ y  # noqa: E731
        if lib == "torch":
            import torch

            a, b = torch.from_numpy(a), torch.from_numpy(b)
        elif lib == "graphgrad":
            from graphgrad import _blas

            product = _blas.matmul
        for _ in range(5):
            product(a, b)
        times = []
        for _ in range(9):
            t0 = time.perf_counter()
            for _ in range(20):
                product(a, b)
            times.append((time.perf_counter() - t0) / 20)
        best["".join(f"{b} x " for b in batch) + f"{m}x{k}@{k}x{n}"] = min(times)
    print(json.dumps(best))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    if args.child:
        child(args.child)
        return
    libs = ("graphgrad", "numpy", "torch")
    runs = {lib: [] for lib in libs}
    for r in range(args.rounds):
        for lib in (libs if r % 2 == 0 else libs[::-1]):
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", lib], capture_output=True,
                                 text=True, check=True)
            runs[lib].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| product | graphgrad best | NumPy best | PyTorch best | graphgrad / PyTorch | NumPy / PyTorch |")
    print("|---|---|---|---|---|---|")
    for shape in runs["numpy"][0]:
        g, n, t = (min(r[shape] for r in runs[lib]) * 1e3 for lib in libs)
        print(f"| {shape} | {g:.3f} ms | {n:.3f} ms | {t:.3f} ms | {g / t:.2f} | {n / t:.2f} |")


if __name__ == "__main__":
    main()
