"""Run one workload on graphgrad and on PyTorch in the same process and report the time ratio.

Both libraries run the same function (it receives the module as ``torch``). Timings alternate between
the two libraries in several rounds and take the best round of each, which is what is most stable on a
small, noisy machine; compare ratios, not absolute times.
"""

from __future__ import annotations

import time


def best_time(fn, repeat, number):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def compare(name, make_step, number=20, repeat=7, unit="ms", per=1):
    """``make_step(lib)`` returns a zero-argument callable doing one step; prints and returns the ratio."""
    import graphgrad

    try:
        import torch
    except ImportError:
        torch = None
    libs = {"graphgrad": graphgrad}
    if torch is not None:
        torch.set_num_threads(2)
        libs["torch"] = torch
    steps = {k: make_step(m) for k, m in libs.items()}
    for s in steps.values():  # warm up
        s()
    times = {k: float("inf") for k in steps}
    for _ in range(repeat):
        for k, s in steps.items():
            times[k] = min(times[k], best_time(s, 1, number))
    scale = {"ms": 1e3, "us": 1e6}[unit]
    gg = times["graphgrad"] * scale / per
    if "torch" in times:
        pt = times["torch"] * scale / per
        ratio = gg / pt
        print(f"{name:<28} graphgrad {gg:9.2f} {unit}   torch {pt:9.2f} {unit}   ratio {ratio:5.2f}")
        return ratio
    print(f"{name:<28} graphgrad {gg:9.2f} {unit}   (torch not installed: no ratio)")
    return None
