"""DistributedDataParallel: each rank trains a replica on its own batch; gradients are averaged in backward.

The graph-lifetime story of data parallelism, as PyTorch tells it:
1. At wrap time the ranks check that their models have the same parameters (count and sizes), and rank
   0's parameters and buffers are copied to every rank.
2. The parameters that require grad are grouped into buckets (``assign_buckets``), launched last-defined
   first (roughly the order backward reaches them).
3. During ``backward()``, each parameter's post-accumulate-grad hook marks it ready. When every
   parameter of a bucket is ready, the bucket's gradients (divided by the world size) are flattened and
   a non-blocking all-reduce starts, in bucket order, while backward goes on computing the rest.
4. When the last bucket has been launched, the reductions are waited for and the averaged gradients are
   written back into each ``.grad``: when ``backward()`` returns, every rank holds the same gradients.
``no_sync()`` skips 2-4 (gradients accumulate locally); ``find_unused_parameters=True`` walks the graph
after forward and counts parameters it does not reach as ready.
``bucket_log`` keeps, for the last backward, when each bucket was launched and finished;
``describe_buckets()`` prints it, and ``autograd.graph.describe`` shows it on each parameter's line.
"""

from __future__ import annotations

import contextlib
import functools
import time

import numpy as np

from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.ledger import note_leaf
from ..module import Module

FIRST_BUCKET_BYTES = 1024 * 1024
DEFAULT_BUCKET_MB = 25

UNFINISHED_REDUCTION = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss. You can enable unused parameter "
    "detection by passing the keyword argument `find_unused_parameters=True` to "
    "`torch.nn.parallel.DistributedDataParallel`, and by \nmaking sure all `forward` function outputs participate in "
    "calculating loss. \nIf you already have done the above, then the distributed data parallel module wasn't able "
    "to locate the output tensors in the return value of your module's `forward` function. Please include the loss "
    "function and the structure of the return value of `forward` of your module when reporting this issue (e.g. "
    "list, dict, iterable).\nParameter indices which did not receive grad for rank {rank}: {indices}\n In addition, "
    "you can set the environment variable TORCH_DISTRIBUTED_DEBUG to either INFO or DETAIL to print out "
    "information about which particular parameters did not receive gradient on this rank as part of this error"
)


def assign_buckets(params, bucket_cap_mb=None):
    """Indices of ``params`` grouped into buckets, as PyTorch's DDP groups them before its first backward.

    In registration order, per dtype, a bucket closes once it holds at least its cap (1 MiB for the first,
    then ``bucket_cap_mb``, 25 MiB by default); the list of buckets is then reversed, since backward
    produces the gradients of the last-defined parameters first.
    """
    cap = int((DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
    limits = [FIRST_BUCKET_BYTES, cap] if bucket_cap_mb is None else [cap]
    buckets, open_by_dtype, opened = [], {}, {}
    for i, p in enumerate(params):
        key = p._data.dtype
        bucket = open_by_dtype.get(key)
        if bucket is None:
            n = opened[key] = opened.get(key, 0) + 1
            bucket = open_by_dtype[key] = {"indices": [], "bytes": 0, "cap": limits[min(n, len(limits)) - 1]}
            buckets.append(bucket)
        bucket["indices"].append(i)
        bucket["bytes"] += p._data.nbytes
        if bucket["bytes"] >= bucket["cap"]:
            del open_by_dtype[key]
    return [b["indices"] for b in reversed(buckets)]


class _Bucket:
    __slots__ = ("indices", "pending", "work", "buffer", "launched_at", "finished_at")

    def __init__(self, indices):
        self.indices = indices
        self.reset()

    def reset(self):
        self.pending = len(self.indices)
        self.work = self.buffer = self.launched_at = self.finished_at = None


class DistributedDataParallel(Module):
    """Data-parallel training over ``graphgrad.distributed``, as ``torch.nn.parallel.DistributedDataParallel``.

    >>> import graphgrad  # doctest: +SKIP
    >>> graphgrad.distributed.init_process_group("mpi")  # doctest: +SKIP
    >>> ddp = graphgrad.nn.parallel.DistributedDataParallel(graphgrad.nn.Linear(3, 1))  # doctest: +SKIP
    >>> ddp(graphgrad.ones(2, 3)).sum().backward()  # every rank now holds the averaged gradient  # doctest: +SKIP
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False, bucket_cap_mb_list=None, batched_grad_copy=False,
                 forward_sync_buffers=None):
        super().__init__()
        unsupported = {"mixed_precision": mixed_precision, "device_mesh": device_mesh,
                       "delay_all_reduce_named_params": delay_all_reduce_named_params,
                       "param_to_hook_all_reduce": param_to_hook_all_reduce, "bucket_cap_mb_list": bucket_cap_mb_list}
        given = [k for k, v in unsupported.items() if v is not None]
        if given:
            raise NotImplementedError(f"DistributedDataParallel: {', '.join(given)} is not supported by graphgrad "
                                      "(one process group over MPI, buckets sized by bucket_cap_mb)")
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a "
                "gradient.")
        self.module = module
        self.broadcast_buffers = True if broadcast_buffers is None else broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.world_size = dist.get_world_size()
        self.rank = dist.get_rank()
        self._params = [p for p in dict.fromkeys(module.parameters()) if p.requires_grad]
        self._verify_same_model()
        if init_sync:
            self._broadcast_state(list(module.parameters()) + list(module.buffers()))
        self._buckets = [_Bucket(ix) for ix in assign_buckets(self._params, bucket_cap_mb)]
        self._bucket_of = {i: b for b in self._buckets for i in b.indices}
        self._position = {id(p): i for i, p in enumerate(self._params)}
        self._hooks = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in self._params]
        for i, p in enumerate(self._params):  # describe() shows each parameter's bucket and its last reduction
            note_leaf(p, functools.partial(self._bucket_note, i))
        self._syncing = False  # this iteration's backward reduces (set by forward)
        self._used = None  # find_unused_parameters: which parameters this rank's graph reached
        self.bucket_log = []
        self.exposed_ms = 0.0
        self._reset()

    # --- wrap time -------------------------------------------------------------------------------
    def _verify_same_model(self):
        counts = [None] * self.world_size
        dist.all_gather_object(counts, len(self._params))
        for i, n in enumerate(counts):
            if n != len(self._params):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {self.rank} has "
                                   f"{len(self._params)} params, while rank {i} has inconsistent {n} params.")
        shapes = [tuple(p.shape) for p in self._params]
        theirs = [shapes]
        dist.broadcast_object_list(theirs, src=0)
        mine = next((f"[{self.rank}]: params[{i}] in this process with sizes {list(a)} appears not to match sizes "
                     f"of the same param in process 0." for i, (a, b) in enumerate(zip(shapes, theirs[0])) if a != b),
                    None)
        # every rank learns of a mismatch (rank 0 itself always matches), so that none goes on alone
        reports = [None] * self.world_size
        dist.all_gather_object(reports, mine)
        first = next((r for r in reports if r is not None), None)
        if first is not None:
            raise RuntimeError(mine or first)

    def _broadcast_state(self, tensors):
        if self.world_size > 1 and tensors:
            works = [dist.broadcast(t.detach(), src=0, async_op=True) for t in tensors]
            for w in works:
                w.wait()

    # --- forward -----------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._expect_finalize and not self.find_unused_parameters:
            missing = np.flatnonzero(~self._readiness)
            raise RuntimeError(UNFINISHED_REDUCTION.format(rank=self.rank, indices=" ".join(map(str, missing))))
        if self.broadcast_buffers and self.module.training:
            self._broadcast_state(list(self.module.buffers()))
        out = self.module(*inputs, **kwargs)
        self._prepare_for_backward(out)
        return out

    def _prepare_for_backward(self, out):
        self._reset()
        self._syncing = is_grad_enabled() and self.require_backward_grad_sync
        if self._syncing and self.find_unused_parameters:
            reached = _reached_leaves(out)
            self._used = np.array([id(p) in reached for p in self._params])
            for i in np.flatnonzero(~self._used):
                self._mark_ready(int(i))

    def _reset(self):
        for b in self._buckets:
            b.reset()
        self._readiness = np.zeros(len(self._params), bool)
        self._next_launch = 0
        self._expect_finalize = False
        self._backward_started = None

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates gradients locally; the first backward after it reduces them all."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # --- backward: hooks, buckets, reduction --------------------------------------------------------
    def _grad_ready(self, param):
        if not self._syncing:
            return
        i = self._position[id(param)]
        if self._readiness[i]:
            return
        if self._backward_started is None:
            self._backward_started = time.perf_counter()
        self._expect_finalize = True
        self._mark_ready(i)

    def _mark_ready(self, i):
        self._readiness[i] = True
        self._bucket_of[i].pending -= 1
        while self._next_launch < len(self._buckets) and self._buckets[self._next_launch].pending == 0:
            self._launch(self._buckets[self._next_launch])
            self._next_launch += 1
        for b in self._buckets[:self._next_launch]:  # let MPI progress the reductions in flight
            if b.finished_at is None and b.work.is_completed():
                b.finished_at = time.perf_counter()
        if self._next_launch == len(self._buckets) and self._expect_finalize:
            self._finalize()

    def _launch(self, bucket):
        parts = []
        for i in bucket.indices:
            p = self._params[i]
            g = p.grad
            parts.append(np.zeros(p._data.size, p._data.dtype) if g is None else g._data.reshape(-1))
        flat = np.concatenate(parts) / np.asarray(self.world_size, parts[0].dtype)
        if self.find_unused_parameters:
            flat = np.concatenate([flat, self._used[bucket.indices].astype(flat.dtype)])
        bucket.buffer = Tensor._make(flat, False, None)
        bucket.launched_at = time.perf_counter()
        bucket.work = dist.all_reduce(bucket.buffer, async_op=True)

    def _finalize(self):
        log = []
        waited = time.perf_counter()
        for k, b in enumerate(self._buckets):
            b.work.wait()
            if b.finished_at is None:
                b.finished_at = time.perf_counter()
            flat = b.buffer._data
            offset = 0
            used_anywhere = flat[-len(b.indices):] if self.find_unused_parameters else None
            with no_grad():
                for j, i in enumerate(b.indices):
                    p = self._params[i]
                    n = p._data.size
                    if used_anywhere is None or used_anywhere[j] > 0:
                        g = Tensor._make(flat[offset:offset + n].reshape(p._data.shape), False, None)
                        if p.grad is None:
                            p.grad = g.clone()
                        else:
                            p.grad.copy_(g)
                    offset += n
            log.append({"bucket": k, "params": list(b.indices), "bytes": int(flat.nbytes),
                        "launched_ms": (b.launched_at - self._backward_started) * 1e3,
                        "finished_ms": (b.finished_at - self._backward_started) * 1e3})
        self.bucket_log = log
        self.exposed_ms = (time.perf_counter() - waited) * 1e3  # the reduction time backward did not hide
        self._expect_finalize = False
        self._syncing = False

    def _bucket_note(self, i):
        b = self._bucket_of[i]
        k = self._buckets.index(b)
        done = next((e for e in self.bucket_log if e["bucket"] == k), None)
        when = (f"reduced {done['launched_ms']:.2f}-{done['finished_ms']:.2f} ms into the last backward" if done
                else "not reduced yet")
        return f"DDP bucket {k} of {len(self._buckets)}, {when}"

    def describe_buckets(self) -> str:
        """The buckets and, for the last backward, when each reduction was launched and finished."""
        names = {id(p): n for n, p in self.module.named_parameters()}
        lines = [f"DistributedDataParallel: {len(self._buckets)} bucket(s), rank {self.rank} of {self.world_size}"]
        done = {e["bucket"]: e for e in self.bucket_log}
        for k, b in enumerate(self._buckets):
            nbytes = sum(self._params[i]._data.nbytes for i in b.indices)
            when = done.get(k)
            state = (f"launched {when['launched_ms']:.2f} ms into backward, finished {when['finished_ms']:.2f} ms"
                     if when else "not reduced yet")
            params = ", ".join(names.get(id(self._params[i]), f"#{i}") for i in b.indices)
            lines.append(f"  bucket {k}: {len(b.indices)} params, {nbytes} B, {state}: {params}")
        return "\n".join(lines)


def _reached_leaves(out):
    """ids of the leaf tensors whose gradients a backward from ``out`` (tensors in any nesting) reaches."""
    stack, seen, leaves = [], set(), set()

    def collect(x):
        if isinstance(x, Tensor):
            if x.grad_fn is not None:
                stack.append(x.grad_fn)
            elif x.requires_grad:
                leaves.add(id(x))
        elif isinstance(x, (list, tuple)):
            for v in x:
                collect(v)
        elif isinstance(x, dict):
            for v in x.values():
                collect(v)

    collect(out)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            leaves.add(id(variable))
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return leaves
