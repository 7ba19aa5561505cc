"""Per-op overhead: a chain of 100 x ``(y * 1.01 + 0.5).sin()`` on 16 floats, forward + backward.

Reports time per op (300 ops a step), graphgrad vs PyTorch, with creation-site recording on and off.
"""

from __future__ import annotations

import numpy as np
from _harness import compare

N_REPEATS = 100
OPS = 3 * N_REPEATS + 1  # mul, add, sin per repeat, and the final sum


def make_step(torch):
    x = torch.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)

    def step():
        y = x
        for _ in range(N_REPEATS):
            y = (y * 1.01 + 0.5).sin()
        y.sum().backward()
        x.grad = None

    return step


def main():
    from graphgrad.autograd.graph import set_record_sites

    set_record_sites(True)
    on = compare("per-op overhead (sites on)", make_step, number=20, unit="us", per=OPS)
    set_record_sites(False)
    off = compare("per-op overhead (sites off)", make_step, number=20, unit="us", per=OPS)
    set_record_sites(True)
    return {"overhead_sites_on": on, "overhead_sites_off": off}


if __name__ == "__main__":
    main()
