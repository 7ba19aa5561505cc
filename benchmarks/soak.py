"""Memory soak: many training steps of each graph-lifetime pattern, printing the process RSS as it goes.

    python benchmarks/soak.py [--steps 10000] [--every 1000] [--patterns plain,hooks]

Patterns: ``plain`` (forward, backward, SGD step), ``retain_graph`` (two backward calls on one graph),
``gradient_penalty`` (``create_graph=True`` and a backward through the gradient), ``hooks`` (a tensor hook
and a module hook added and removed every step), ``rnn`` (a recurrent state carried across steps,
detached each step). Flat RSS after the first report means graphs, saved tensors and hooks are freed
(by reference counting: the garbage collector is not called). Exit status 1 if RSS grew by more than
``--tolerance`` MiB between the first report and the last.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import graphgrad as torch  # noqa: E402


def rss_mib():
    """Resident set size of this process (Linux /proc, else the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))


def _batch(rng):
    return torch.tensor(rng.standard_normal((8, 16)).astype(np.float32)), torch.tensor(
        rng.standard_normal((8, 1)).astype(np.float32))


def _supervised(update, lr=0.01):
    """A training step on a small MLP: ``update(model, x, y)`` runs forward and backward, then SGD steps."""
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(0)

    def step():
        x, y = _batch(rng)
        opt.zero_grad()
        update(model, x, y)
        opt.step()

    return step


def _mse(out, y):
    return torch.nn.functional.mse_loss(out, y)


def plain():
    return _supervised(lambda model, x, y: _mse(model(x), y).backward())


def retain_graph():
    def update(model, x, y):
        loss = _mse(model(x), y)
        loss.backward(retain_graph=True)
        loss.backward()

    return _supervised(update)


def gradient_penalty():
    def update(model, x, y):
        x.requires_grad_()
        out = model(x)
        (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        (_mse(out, y) + (g.norm(dim=1) - 1).pow(2).mean()).backward()

    return _supervised(update, lr=0.001)


def hooks():
    def update(model, x, y):
        handle = model[0].register_forward_hook(lambda m, i, o: None)
        hidden = model[0](x)
        tensor_handle = hidden.register_hook(lambda g: g * 1.0)
        _mse(model[2](model[1](hidden)), y).backward()
        tensor_handle.remove()
        handle.remove()

    return _supervised(update)


def rnn():
    torch.manual_seed(0)
    cell = torch.nn.RNNCell(8, 16)
    head = torch.nn.Linear(16, 1)
    opt = torch.optim.SGD(list(cell.parameters()) + list(head.parameters()), lr=0.01)
    rng = np.random.default_rng(0)
    state = {"h": torch.zeros(4, 16)}

    def step():
        x = torch.tensor(rng.standard_normal((4, 8)).astype(np.float32))
        opt.zero_grad()
        h = cell(x, state["h"])
        head(h).pow(2).mean().backward()
        opt.step()
        state["h"] = h.detach()  # truncated backpropagation: the state carries values, not the graph

    return step


PATTERNS = {"plain": plain, "retain_graph": retain_graph, "gradient_penalty": gradient_penalty, "hooks": hooks,
            "rnn": rnn}


def soak(name, steps, every):
    """Run ``steps`` steps of one pattern; the RSS (MiB) after each ``every`` steps."""
    step = PATTERNS[name]()
    readings = []
    for i in range(1, steps + 1):
        step()
        if i % every == 0:
            readings.append(rss_mib())
            print(f"{name:17s} step {i:6d}  RSS {readings[-1]:8.1f} MiB", flush=True)
    return readings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--patterns", default=",".join(PATTERNS))
    parser.add_argument("--tolerance", type=float, default=5.0, help="MiB of growth still called flat")
    args = parser.parse_args(argv)
    every = max(1, min(args.every, args.steps))
    grew = False
    for name in args.patterns.split(","):
        readings = soak(name, args.steps, every)
        growth = readings[-1] - readings[0]
        flat = growth <= args.tolerance
        grew |= not flat
        print(f"{name:17s} {'flat' if flat else 'GROWS'}: {growth:+.1f} MiB from step {every} to {args.steps}")
    return 1 if grew else 0


if __name__ == "__main__":
    sys.exit(main())
