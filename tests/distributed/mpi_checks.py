"""Data-parallel checks run inside an MPI job: ``mpiexec -n 2 python mpi_checks.py``.

Each check prints ``PASS <name>`` or ``FAIL <name>: <why>`` on rank 0; test_distributed.py launches the
job once and reads the lines. Every rank builds the same reference (one process on the whole batch)
locally, so each check compares DDP's result with what a single process computes.
"""

import sys
import traceback

import numpy as np

import graphgrad as torch
import graphgrad.distributed as dist
from graphgrad.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
RANK, WORLD = dist.get_rank(), dist.get_world_size()
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def close(a, b, what, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=what)


# --- collectives: PyTorch's documented results ------------------------------------------------------
@check
def all_reduce_ops():
    for dtype in (torch.float32, torch.float64, torch.float16, torch.int64, torch.int32, torch.int8):
        for shape in ((), (3,), (2, 2)):
            base = torch.arange(1, 1 + int(np.prod(shape)), dtype=dtype).reshape(shape)
            mine = base * (RANK + 1)
            every = [base * (r + 1) for r in range(WORLD)]
            expect = {
                dist.ReduceOp.SUM: sum(every), dist.ReduceOp.PRODUCT: np.prod([e.numpy() for e in every], 0),
                dist.ReduceOp.MAX: every[-1], dist.ReduceOp.MIN: every[0],
            }
            if dtype.is_floating_point:
                expect[dist.ReduceOp.AVG] = sum(every) / WORLD
            for op, want in expect.items():
                t = mine.clone()
                assert dist.all_reduce(t, op=op) is None
                close(t.numpy(), np.asarray(want), f"{op} {dtype} {shape}")
                assert t.dtype == dtype and tuple(t.shape) == shape
    t = torch.tensor([1, 2])
    try:
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        raise AssertionError("AVG of an integer tensor did not raise")
    except RuntimeError as e:
        assert str(e) == "result type Float can't be cast to the desired output type Long", str(e)


@check
def broadcast_gather_scatter():
    t = torch.full((2,), float(RANK))
    dist.broadcast(t, src=WORLD - 1)
    close(t.numpy(), [WORLD - 1] * 2, "broadcast")
    out = [torch.zeros(2) for _ in range(WORLD)]
    dist.all_gather(out, torch.full((2,), float(RANK)))
    close(torch.stack(out).numpy(), np.repeat(np.arange(WORLD, dtype=np.float32)[:, None], 2, 1), "all_gather")
    big = torch.zeros(WORLD * 2)
    dist.all_gather_into_tensor(big, torch.full((2,), float(RANK)))
    close(big.numpy(), np.repeat(np.arange(WORLD, dtype=np.float32), 2), "all_gather_into_tensor")
    out = torch.zeros(2)
    dist.reduce_scatter(out, [torch.full((2,), float(RANK * 10 + r)) for r in range(WORLD)])
    close(out.numpy(), [sum(q * 10 + RANK for q in range(WORLD))] * 2, "reduce_scatter")
    out = torch.zeros(2)
    dist.reduce_scatter_tensor(out, torch.arange(WORLD * 2, dtype=torch.float32))
    close(out.numpy(), np.arange(RANK * 2, RANK * 2 + 2) * WORLD, "reduce_scatter_tensor")
    t = torch.tensor(float(RANK + 1))
    dist.reduce(t, dst=0)
    close(t.numpy(), sum(range(1, WORLD + 1)) if RANK == 0 else RANK + 1, "reduce")
    gathered = [torch.zeros(()) for _ in range(WORLD)] if RANK == 0 else None
    dist.gather(torch.tensor(float(RANK)), gathered, dst=0)
    if RANK == 0:
        close([g.item() for g in gathered], list(range(WORLD)), "gather")
    t = torch.zeros(3)
    dist.scatter(t, [torch.full((3,), float(r)) for r in range(WORLD)] if RANK == 0 else None, src=0)
    close(t.numpy(), [RANK] * 3, "scatter")
    objs = [None] * WORLD
    dist.all_gather_object(objs, {"rank": RANK})
    assert objs == [{"rank": r} for r in range(WORLD)], objs
    work = dist.all_reduce(torch.ones(4), async_op=True)
    assert work.wait() is True and work.is_completed()
    if WORLD >= 2:
        if RANK == 0:
            dist.send(torch.tensor([7.0, 8.0]), dst=1)
        elif RANK == 1:
            t = torch.zeros(2)
            assert dist.recv(t, src=0) == 0
            close(t.numpy(), [7.0, 8.0], "send/recv")
    dist.barrier()


# --- DistributedDataParallel against one process on the whole batch ----------------------------------
def _mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


def _cnn():
    torch.manual_seed(0)
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 3))


def _batches(shape, steps, per_rank):
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((steps, WORLD * per_rank) + shape).astype(np.float32)
    ys = rng.integers(0, 3, (steps, WORLD * per_rank))
    return xs, ys


def _train_compare(make, shape, steps=3, per_rank=4, **ddp_kwargs):
    xs, ys = _batches(shape, steps, per_rank)
    ref, model = make(), make()
    if RANK != 0:  # wrapping must copy rank 0's weights to every rank
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
    ddp = DDP(model, **ddp_kwargs)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    mine = slice(RANK * per_rank, (RANK + 1) * per_rank)
    for s in range(steps):
        opt_ref.zero_grad()
        loss_fn(ref(torch.tensor(xs[s])), torch.tensor(ys[s])).backward()
        opt_ref.step()
        opt.zero_grad()
        loss_fn(ddp(torch.tensor(xs[s][mine])), torch.tensor(ys[s][mine])).backward()
        opt.step()
    for (name, a), b in zip(ref.named_parameters(), ddp.module.parameters()):
        close(b.detach().numpy(), a.detach().numpy(), f"parameter {name}", rtol=1e-4, atol=1e-5)
    return ddp


@check
def ddp_mlp_matches_one_process():
    ddp = _train_compare(_mlp, (6,))
    assert list(ddp.state_dict())[:2] == ["module.0.weight", "module.0.bias"], list(ddp.state_dict())
    assert isinstance(ddp.module, torch.nn.Sequential)


@check
def ddp_cnn_matches_one_process():
    _train_compare(_cnn, (1, 8, 8))


@check
def ddp_many_buckets_overlap_backward():
    ddp = _train_compare(_mlp, (6,), bucket_cap_mb=1e-6)
    log = ddp.bucket_log
    assert len(log) == 4, ddp.describe_buckets()  # one bucket per parameter at this cap
    assert [e["params"] for e in log] == [[3], [2], [1], [0]], log  # reverse registration order
    assert log[0]["launched_ms"] < log[-1]["launched_ms"], log  # launched as backward went, not all at the end
    assert "bucket 0: 1 params" in ddp.describe_buckets()
    loss = torch.nn.CrossEntropyLoss()(ddp(torch.ones(2, 6)), torch.tensor([0, 1]))
    text = torch.autograd.graph.describe(loss)  # the graph view names each parameter's bucket
    assert "[DDP bucket 0 of 4, reduced " in text and "[DDP bucket 3 of 4, reduced " in text, text


@check
def no_sync_accumulation_equals_plain_step():
    xs, ys = _batches((6,), 2, 4)
    ref, ddp = _mlp(), DDP(_mlp())
    loss_fn = torch.nn.CrossEntropyLoss()
    mine = slice(RANK * 4, (RANK + 1) * 4)
    with ddp.no_sync():
        loss_fn(ddp(torch.tensor(xs[0][mine])), torch.tensor(ys[0][mine])).backward()
    local = [p.grad.clone() for p in ddp.parameters()]
    loss_fn(ddp(torch.tensor(xs[1][mine])), torch.tensor(ys[1][mine])).backward()
    for s in range(2):
        loss_fn(ref(torch.tensor(xs[s])), torch.tensor(ys[s])).backward()
    for a, b in zip(ref.parameters(), ddp.parameters()):
        close(b.grad.numpy(), a.grad.numpy(), "accumulated gradient", rtol=1e-4, atol=1e-6)
    # inside no_sync nothing was exchanged: the ranks' local gradients differed
    gathered = [torch.zeros_like(local[0]) for _ in range(WORLD)]
    dist.all_gather(gathered, local[0])
    assert WORLD == 1 or not np.allclose(gathered[0].numpy(), gathered[1].numpy())


@check
def uneven_last_batch_averages_per_rank_gradients():
    rng = np.random.default_rng(2)
    sizes = [3 + r % 2 for r in range(WORLD)]  # ranks hold 3 and 4 samples
    xs = [rng.standard_normal((n, 6)).astype(np.float32) for n in sizes]
    ys = [rng.integers(0, 3, n) for n in sizes]
    ddp = DDP(_mlp())
    torch.nn.CrossEntropyLoss()(ddp(torch.tensor(xs[RANK])), torch.tensor(ys[RANK])).backward()
    per_rank = []
    for r in range(WORLD):
        ref = _mlp()
        torch.nn.CrossEntropyLoss()(ref(torch.tensor(xs[r])), torch.tensor(ys[r])).backward()
        per_rank.append([p.grad.numpy() for p in ref.parameters()])
    for i, p in enumerate(ddp.parameters()):
        close(p.grad.numpy(), sum(g[i] for g in per_rank) / WORLD, "mean of the ranks' gradients", rtol=1e-4)


class _TwoHeads(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.used = torch.nn.Linear(4, 2)
        self.unused = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.used(x)


@check
def unused_parameter_found_or_refused():
    ddp = DDP(_TwoHeads(), find_unused_parameters=True)
    for _ in range(2):
        ddp.zero_grad()
        ddp(torch.ones(2, 4) * (RANK + 1)).sum().backward()
    assert ddp.module.unused.weight.grad is None
    close(ddp.module.used.bias.grad.numpy(), [2.0, 2.0], "used bias")
    close(ddp.module.used.weight.grad.numpy(), np.full((2, 4), 2.0 * (1 + WORLD) / 2), "used weight")
    strict = DDP(_TwoHeads())
    strict(torch.ones(2, 4)).sum().backward()
    try:
        strict(torch.ones(2, 4))
        raise AssertionError("a second forward with unreduced gradients did not raise")
    except RuntimeError as e:
        assert str(e).startswith("Expected to have finished reduction in the prior iteration"), str(e)
        assert f"Parameter indices which did not receive grad for rank {RANK}: 2 3\n" in str(e), str(e)


@check
def distributed_sampler_defaults_to_the_group():
    from graphgrad.utils.data.distributed import DistributedSampler

    s = DistributedSampler(range(10), shuffle=False)
    assert (s.num_replicas, s.rank) == (WORLD, RANK)
    assert list(s) == list(range(10))[RANK::WORLD][: len(s)] or len(s) * WORLD >= 10


def main():
    failures = 0
    for fn in CHECKS:
        try:
            fn()
            ok = [True]
        except Exception:  # a failing check must not abort the others: report it
            ok = [False]
            why = traceback.format_exc().strip().splitlines()[-1]
            sys.stderr.write(f"[rank {RANK}] {fn.__name__}:\n{traceback.format_exc()}")
        results = [None] * WORLD
        dist.all_gather_object(results, ok[0])
        if RANK == 0:
            print(("PASS " if all(results) else "FAIL ") + fn.__name__ + ("" if all(results) else f": {why}"
                  if not ok[0] else f": failed on ranks {[r for r, v in enumerate(results) if not v]}"), flush=True)
        failures += not all(results)
    dist.destroy_process_group()
    return failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
