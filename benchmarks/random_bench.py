"""Random generation speed: graphgrad's PyTorch-exact samplers against PyTorch's own.

Each measurement runs in a fresh subprocess that imports only one library (so neither warms caches for the
other), the libraries alternate round by round, and the table gives the best and the median wall time of each,
the ratio of the best wall times, and the ratio of the best CPU times (steadier on a busy machine).

    python benchmarks/random_bench.py [--rounds 5] [--number 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

WORKLOADS = {
    "rand(10**6)": "T.rand(10**6)",
    "randn(10**6)": "T.randn(10**6)",
    "randn(10**6, float64)": "T.randn(10**6, dtype=T.float64)",
    "randint(0, 10, (10**6,))": "T.randint(0, 10, (10**6,))",
    "randperm(10**5)": "T.randperm(10**5)",
    "dropout(10**6, p=0.5)": "T.nn.functional.dropout(x, 0.5)",
}

_CHILD = """
import json, sys, time
import {lib} as T
if "{lib}" == "torch":
    T.set_num_threads(2)
T.manual_seed(0)
x = T.ones(10**6)
work = lambda: {code}
work()
times = []
for _ in range({number}):
    t0, c0 = time.perf_counter(), time.process_time()
    work()
    times.append((time.perf_counter() - t0, time.process_time() - c0))
print(json.dumps(times))
"""


def measure(lib, code, number):
    child = _CHILD.format(lib=lib, code=code, number=number)
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh subprocesses per library and workload")
    parser.add_argument("--number", type=int, default=5, help="timed calls in each subprocess")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401

        libs = ["graphgrad", "torch"]
    except ImportError:
        libs = ["graphgrad"]
    print(f"{'workload':<26} {'graphgrad best/median ms':>25} {'torch best/median ms':>22} {'ratio':>7} "
          f"{'cpu ratio':>9}")
    for name, code in WORKLOADS.items():
        times = {lib: [] for lib in libs}
        for r in range(args.rounds):
            for lib in libs if r % 2 == 0 else libs[::-1]:  # alternate which library goes first
                times[lib] += measure(lib, code, args.number)
        cells = {lib: (min(w for w, _ in t) * 1e3, statistics.median(w for w, _ in t) * 1e3,
                       min(c for _, c in t) * 1e3) for lib, t in times.items()}
        gg = cells["graphgrad"]
        row = f"{name:<26} {gg[0]:>12.2f} / {gg[1]:>9.2f}"
        if "torch" in cells:
            pt = cells["torch"]
            cpu = f"{gg[2] / pt[2]:>8.1f}x" if pt[2] > 0 else f"{'-':>9}"
            row += f" {pt[0]:>10.2f} / {pt[1]:>8.2f} {gg[0] / pt[0]:>6.1f}x {cpu}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
