"""Run every benchmark (graphgrad vs PyTorch, in one process each) and print the ratio table.

    python benchmarks/run_all.py

Ratios are graphgrad time / PyTorch time; below 1.0 graphgrad is faster. Numbers vary with machine load:
compare ratios from one run.
"""

from __future__ import annotations

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import overhead  # noqa: E402
import training  # noqa: E402

TARGETS = {"overhead_sites_on": 1.0, "overhead_sites_off": 1.0, "mlp_step": 1.0, "cnn_step": 1.5,
           "convnet_step": 1.5}


def main():
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    results = {}
    results.update(overhead.main())
    results.update(training.main())
    print()
    print("| workload | ratio graphgrad/PyTorch | target |")
    print("|---|---|---|")
    for name, ratio in results.items():
        shown = f"{ratio:.2f}" if ratio is not None else "n/a"
        print(f"| {name} | {shown} | <= {TARGETS[name]} |")


if __name__ == "__main__":
    main()
