"""The default `graphgrad train` run, timed: held-out accuracy and wall time for a few seeds (not a test).

    python benchmarks/accuracy.py                  # seeds 0 1 2, on 2 cores where the machine has more
    python benchmarks/accuracy.py --seeds 0 1 2 3 4 5 6 7 8 9 --cores 0

Each seed runs `python -m graphgrad train --quiet --seed S` in a fresh process, as a user would, so the
wall time includes starting Python and importing graphgrad, scikit-learn and matplotlib; "training" is the
time the command itself reports for its epochs. The target is >= 97% held-out accuracy in under a
minute on 2 cores. Times vary with machine load: other processes on the same cores slow every run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(seed, cores, extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(ROOT, "src"), env.get("PYTHONPATH")]))
    preexec = None
    if cores and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > cores:
        allowed = sorted(os.sched_getaffinity(0))[:cores]
        preexec = lambda: os.sched_setaffinity(0, allowed)  # noqa: E731
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "graphgrad", "train", "--quiet", "--seed", str(seed), "--out", out,
                               *extra], capture_output=True, text=True, env=env, preexec_fn=preexec)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"seed {seed}: graphgrad train failed ({proc.returncode}): {proc.stderr.strip()}")
    pattern = r"held-out accuracy ([\d.]+)% \((\d+)/(\d+)\) after epoch (\d+); \d+ epochs? in ([\d.]+)s"
    m = re.search(pattern, proc.stdout)
    return float(m.group(1)), f"{m.group(2)}/{m.group(3)}", int(m.group(4)), float(m.group(5)), wall


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--cores", type=int, default=2, help="pin each run to this many cores (0: all)")
    ap.add_argument("extra", nargs="*", help="more `graphgrad train` options, after --")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    used = min(args.cores, cores) if args.cores else cores
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {_cpu_name()}, {cores} cores (runs pinned to {used}), "
          f"Python {platform.python_version()}, load average {load:.2f}")
    print(f"command: graphgrad train --quiet --seed S {' '.join(args.extra)}".rstrip())
    print()
    print("| seed | held-out accuracy | epochs | training (s) | wall, whole command (s) |")
    print("|---|---|---|---|---|")
    results = []
    for seed in args.seeds:
        acc, counts, epochs, train_s, wall = run(seed, args.cores, args.extra)
        results.append((acc, train_s, wall))
        print(f"| {seed} | {acc:.2f}% ({counts}) | {epochs} | {train_s:.1f} | {wall:.1f} |", flush=True)
    accs = [r[0] for r in results]
    walls = [r[2] for r in results]
    print()
    print(f"accuracy: min {min(accs):.2f}%, mean {sum(accs) / len(accs):.2f}%, max {max(accs):.2f}% "
          f"({sum(a >= 97.0 for a in accs)}/{len(accs)} runs >= 97%)")
    print(f"wall time: max {max(walls):.1f}s, mean {sum(walls) / len(walls):.1f}s "
          f"({sum(w < 60 for w in walls)}/{len(walls)} runs under a minute)")


if __name__ == "__main__":
    main()
