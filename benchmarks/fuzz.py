"""Differential fuzzing against PyTorch: random small programs on both libraries, outcomes compared.

    python benchmarks/fuzz.py --programs 10000 [--seed 0] [--out fuzz-reproducers]

Prints the agreement rate and the disagreements grouped by their first differing item; each disagreement
is shrunk (lines deleted while it persists) and written to ``--out`` as a runnable script. The program
generator and the comparison are in ``tests/_fuzz.py`` (the test suite runs a few hundred programs).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import graphgrad  # noqa: E402
from tests import _fuzz  # noqa: E402


def _class_of(problem):
    """A disagreement's class: its message without line numbers, sizes and values."""
    text = re.sub(r"line \d+: ", "", problem)
    text = re.sub(r"\[[^\]]*\]|\(\d[^)]*\)|-?\d+(\.\d+)?", "#", text)
    return text[:110]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="fuzz-reproducers", help="folder for the minimized reproducers")
    parser.add_argument("--no-minimize", action="store_true", help="write the programs as generated")
    args = parser.parse_args(argv)
    import torch

    os.makedirs(args.out, exist_ok=True)
    classes = collections.Counter()
    written = {}

    def disagreement(lines, arrays, problem):
        cls = _class_of(problem)
        classes[cls] += 1
        if cls in written:  # one reproducer per class: minimizing every one would take as long as the run
            return
        if not args.no_minimize:
            lines = _fuzz.minimize(lines, arrays, graphgrad, torch)
            problem = _fuzz.compare_source(lines, arrays, graphgrad, torch) or problem
        path = os.path.join(args.out, f"disagreement_{len(written):03d}.py")
        with open(path, "w") as f:
            f.write(_fuzz.reproducer(lines, arrays, problem))
        written[cls] = path

    start = time.perf_counter()
    agree = _fuzz.fuzz(args.programs, args.seed, graphgrad, torch, disagreement)
    took = time.perf_counter() - start
    print(f"{agree}/{args.programs} programs agree ({100.0 * agree / args.programs:.2f}%), {took:.0f} s, "
          f"seed {args.seed}")
    for cls, n in classes.most_common():
        print(f"{n:6d}  {cls}  -> {written[cls]}")
    return 0 if agree == args.programs else 1


if __name__ == "__main__":
    sys.exit(main())
