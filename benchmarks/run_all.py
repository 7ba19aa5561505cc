"""Run every workload, each library in its own fresh process, and print the ratio table.

    python benchmarks/run_all.py [--rounds 5] [--one-core] [WORKLOAD ...]

Ratios are graphgrad / PyTorch (below 1.0 graphgrad is faster), from the best and from the median of
the rounds; peak memory is each process's peak resident set. The machine line says what each side ran
on. Numbers vary with machine load: compare ratios from one run. ``--one-core`` times each library on one
thread in CPU seconds instead (see _harness.py), which a machine busy with other work disturbs far less.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402

TARGETS = {"overhead_sites_on": 0.9, "overhead_sites_off": 0.9, "mlp_step": 1.1, "cnn_step": 1.2,
           "convnet_step": 1.2, "transformer_step": 1.3}


def _target(workload):
    return f"<= {TARGETS[workload]}" if workload in TARGETS else "—"


def main():
    p = argparse.ArgumentParser(description="graphgrad vs PyTorch, separate processes")
    p.add_argument("workloads", nargs="*", default=[w for w in _harness.WORKLOADS if w not in _harness.DIAGNOSTICS])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--one-core", action="store_true", help="one thread each, CPU time (for a loaded machine)")
    args = p.parse_args()
    import numpy

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"NumPy {numpy.__version__}; rounds: {args.rounds}, each library in its own process, alternated"
          + ("; one thread each, CPU time" if args.one_core else ""))
    results = []
    for w in args.workloads:
        s = _harness.compare(w, args.rounds, one_core=args.one_core)
        results.append(s)
        print(_harness.format_row(s), flush=True)
    first = results[0]
    pools = {s["workload"]: s["graphgrad"]["threads"]["pools"] for s in results}
    print("graphgrad threads (pools loaded by the end of each workload): "
          + "; ".join(f"{w}: {', '.join(p)}" for w, p in pools.items()))
    numba = {s["workload"]: s["graphgrad"]["threads"].get("numba") for s in results}
    loaded = [w for w, v in numba.items() if v != "not loaded"]
    print(f"numba (the fast extra's compiled loops): {numba[loaded[0]] if loaded else 'not loaded'}, "
          f"loaded by {', '.join(loaded) or 'no workload'}")
    if "torch" in first:
        print(f"torch threads: {first['torch']['threads']}")
    print()
    print("| workload | graphgrad best / median | PyTorch best / median | ratio best / median | peak RSS ratio "
          "(whole process / workload) | target |")
    print("|---|---|---|---|---|---|")
    for s in results:
        g, u = s["graphgrad"], s["unit"]
        if "torch" not in s:
            print(f"| {s['workload']} | {g['best']:.2f} / {g['median']:.2f} {u} | n/a | n/a | n/a | "
                  f"{_target(s['workload'])} |")
            continue
        t = s["torch"]
        print(f"| {s['workload']} | {g['best']:.2f} / {g['median']:.2f} {u} | {t['best']:.2f} / {t['median']:.2f} {u} "
              f"| {s['ratio_best']:.2f} / {s['ratio_median']:.2f} | {s['ratio_peak_rss']:.2f} / "
              f"{s['ratio_workload_rss']:.2f} | {_target(s['workload'])} |")


if __name__ == "__main__":
    main()
