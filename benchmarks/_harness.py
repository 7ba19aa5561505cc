"""Time one workload on graphgrad and on PyTorch, each library in its own fresh process.

Two libraries in one process fight over the cores (NumPy's BLAS threads against PyTorch's OpenMP
threads) and PyTorch then runs at about half its speed, so every measurement here is a separate
interpreter: ``python _harness.py --child LIB WORKLOAD`` imports one library, builds the workload, warms
it up, times it and prints one JSON line (best time, peak memory, the threads it ran on), then exits.

The parent alternates the libraries (A, B, A, B, ...), starting each process only after the previous
one has exited (PyTorch's threads keep spinning for a while after its work ends), and reports the best
and the median of the rounds for each side. On a small, noisy machine compare ratios, not absolute times.

A workload is ``make_step(torch) -> step`` in one of the benchmark modules: the same code runs on both
libraries, which it receives as ``torch``.

``--one-core`` measures something else, for a machine shared with other work: each library on one thread
(BLAS and OpenMP pools of one, ``torch.set_num_threads(1)``), timed in CPU seconds of the process
(``time.process_time``), which other processes' load barely moves. It compares the work each library does,
not what a user waits for on an idle multi-core machine.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> (module, factory, steps per timing, timings per process, unit, operations per step)
WORKLOADS = {
    "overhead_sites_on": ("overhead", "make_step", 20, 7, "us", "OPS"),
    "overhead_sites_off": ("overhead", "make_step_sites_off", 20, 7, "us", "OPS"),
    "mlp_step": ("training", "mlp", 10, 5, "ms", 1),
    "cnn_step": ("training", "cnn", 10, 5, "ms", 1),
    "convnet_step": ("training", "convnet", 5, 5, "ms", 1),
    "transformer_step": ("transformer", "make_step", 3, 5, "ms", 1),
    "mlp_step_toy": ("training", "mlp_toy", 50, 5, "us", 1),
}
# run only when named: what a workload's time is made of, not a target
DIAGNOSTICS = ("mlp_step_toy",)
SCALE = {"ms": 1e3, "us": 1e6}
LIBS = ("graphgrad", "torch")


def _peak_rss_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _threads(lib, module):
    """What the library computes on: BLAS and OpenMP pools (threadpoolctl), and torch's own count."""
    info = {}
    try:
        from threadpoolctl import threadpool_info

        info["pools"] = [f"{p['internal_api']}:{p['num_threads']}" for p in threadpool_info()]
    except ImportError:
        info["pools"] = ["threadpoolctl not installed"]
    if lib == "torch":
        info["torch_threads"] = module.get_num_threads()
    else:  # the optional compiled loops (the `fast` extra): whether this run had them
        numba = sys.modules.get("numba")
        info["numba"] = numba.__version__ if numba is not None else "not loaded"
    return info


_ONE_CORE_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def child(lib, workload, one_core=False):
    """Run in a fresh interpreter: time ``workload`` on ``lib``, print one JSON line."""
    sys.path.insert(0, HERE)
    mod_name, factory, number, repeat, unit, per = WORKLOADS[workload]
    module = importlib.import_module(lib)
    clock = time.perf_counter
    if one_core:
        clock = time.process_time
        module.set_num_threads(1)  # torch's pool; graphgrad's compiled loops (both also read OMP_NUM_THREADS=1)
    bench = importlib.import_module(mod_name)
    rss_imported = _peak_rss_mib()
    step = getattr(bench, factory)(module)
    step()  # warm up: first-call allocations and caches
    step()
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        for _ in range(number):
            step()
        best = min(best, (clock() - t0) / number)
    per = getattr(bench, per) if isinstance(per, str) else per
    print(json.dumps({
        "time": best * SCALE[unit] / per, "unit": unit, "peak_rss_mib": _peak_rss_mib(),
        "rss_after_import_mib": rss_imported, "threads": _threads(lib, module),
    }))


def run_child(lib, workload, one_core=False):
    argv = [sys.executable, os.path.abspath(__file__), "--child", lib, workload] + (["--one-core"] if one_core else [])
    env = dict(os.environ, **_ONE_CORE_ENV) if one_core else None
    out = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{workload} on {lib} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def available_libs():
    libs = ["graphgrad"]
    try:
        import importlib.util

        if importlib.util.find_spec("torch") is not None:
            libs.append("torch")
    except ValueError:
        pass
    return libs


def compare(workload, rounds=5, libs=None, one_core=False):
    """Alternate fresh processes of each library for ``rounds`` rounds; return a summary dict."""
    libs = libs or available_libs()
    runs = {lib: [] for lib in libs}
    for r in range(rounds):
        order = libs if r % 2 == 0 else libs[::-1]
        for lib in order:  # subprocess.run returns only once the child has exited
            runs[lib].append(run_child(lib, workload, one_core))
    summary = {"workload": workload, "unit": runs[libs[0]][0]["unit"]}
    for lib, rs in runs.items():
        times = [r["time"] for r in rs]
        summary[lib] = {
            "best": min(times), "median": statistics.median(times),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in rs),
            "rss_after_import_mib": min(r["rss_after_import_mib"] for r in rs),
            "threads": rs[0]["threads"],
        }
    if "torch" in runs:
        g, t = summary["graphgrad"], summary["torch"]
        summary["ratio_best"] = g["best"] / t["best"]
        summary["ratio_median"] = g["median"] / t["median"]
        summary["ratio_peak_rss"] = g["peak_rss_mib"] / t["peak_rss_mib"]
        # the workload's own memory: the peak above what importing the library already took
        summary["ratio_workload_rss"] = (
            max(g["peak_rss_mib"] - g["rss_after_import_mib"], 1.0)
            / max(t["peak_rss_mib"] - t["rss_after_import_mib"], 1.0))
    return summary


def format_row(s):
    u = s["unit"]
    g = s["graphgrad"]
    line = f"{s['workload']:<20} graphgrad best {g['best']:8.2f} {u} median {g['median']:8.2f} {u}"
    if "torch" in s:
        t = s["torch"]
        line += (f" | torch best {t['best']:8.2f} {u} median {t['median']:8.2f} {u}"
                 f" | ratio best {s['ratio_best']:.2f} median {s['ratio_median']:.2f}"
                 f" | peak RSS {g['peak_rss_mib']:.0f}/{t['peak_rss_mib']:.0f} MiB")
    return line


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--child", nargs=2, metavar=("LIB", "WORKLOAD"), help=argparse.SUPPRESS)
    p.add_argument("workloads", nargs="*", default=[w for w in WORKLOADS if w not in DIAGNOSTICS])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--one-core", action="store_true", help="one thread each, CPU time (for a loaded machine)")
    args = p.parse_args(argv)
    if args.child:
        child(*args.child, one_core=args.one_core)
        return
    for w in args.workloads:
        print(format_row(compare(w, args.rounds, one_core=args.one_core)), flush=True)


if __name__ == "__main__":
    main()
