"""Per-op overhead: a chain of 100 x ``(y * 1.01 + 0.5).sin()`` on 16 floats, forward + backward.

Reports time per op (300 ops a step), graphgrad vs PyTorch, with creation-site recording on and off.
"""

from __future__ import annotations

import numpy as np

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


def make_step_sites_off(torch):
    """The same chain with graphgrad's creation-site recording switched off (PyTorch has none to switch)."""
    if torch.__name__ == "graphgrad":
        from graphgrad.autograd.graph import set_record_sites

        set_record_sites(False)
    return make_step(torch)


if __name__ == "__main__":
    import _harness

    _harness.main(["overhead_sites_on", "overhead_sites_off"])
