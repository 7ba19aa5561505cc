"""The default process group and its collectives, over MPI's world communicator.

Every collective works on the tensors' own arrays, in place, as PyTorch's do: the data goes to MPI as
NumPy buffers (float16 and bfloat16, which MPI has no type for, travel as float32). Each call starts a
non-blocking MPI request; ``async_op=True`` hands it back as a ``Work``, otherwise it is waited for at
once. Waiting polls with a deadline (``init_process_group(timeout=...)``, 30 minutes by default as in
PyTorch), so a peer that never arrives ends in a RuntimeError instead of a hang; an exception that
escapes any rank aborts the whole MPI job, so its peers stop too (see ``_abort_job_on_uncaught``).
"""

from __future__ import annotations

import datetime
import enum
import os
import sys
import time

import numpy as np

from .._core import jit
from .._device import device as _device
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."
INSTALL_HINT = (
    "graphgrad.distributed runs on MPI, and mpi4py is not installed. Install the extra: "
    "pip install 'graphgrad[dist]' (mpi4py and an MPI library), then launch with: mpiexec -n 2 python script.py"
)
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class Backend(str):
    """A backend name, as ``torch.distributed.Backend``: ``Backend("MPI") == "mpi"``."""

    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    XCCL = "xccl"
    UNDEFINED = "undefined"
    # PyTorch's choice of backend for each device type (get_default_backend_for_device)
    default_device_backend_map = {"cpu": GLOO, "cuda": NCCL, "xpu": XCCL, "mps": GLOO}

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return super().__new__(cls, value)


class ReduceOp(enum.Enum):
    """How ``all_reduce`` & co. combine the ranks' values (``ReduceOp.SUM``, ...), as PyTorch's RedOpType."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"

    def __str__(self):
        return f"RedOpType.{self.name}"


class _World:
    """The default process group: MPI's world communicator, once ``init_process_group`` has run."""

    comm = None
    mpi = None
    backend = None
    timeout = DEFAULT_TIMEOUT
    previous_excepthook = None


def is_available() -> bool:
    """True: this module is always there (the transport, MPI, is checked by ``init_process_group``)."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py (the MPI transport) can be imported."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def is_gloo_available() -> bool:
    """Whether the "gloo" backend can be used: graphgrad serves it over MPI, so when mpi4py imports."""
    return is_mpi_available()


def is_nccl_available() -> bool:
    """False: NCCL needs GPUs (PyTorch's CPU build answers the same)."""
    return False


def get_default_backend_for_device(device) -> str:
    """The backend PyTorch picks for a device type: "gloo" for "cpu", "nccl" for "cuda".

    >>> get_default_backend_for_device("cpu")
    'gloo'
    """
    device_type = device.type if isinstance(device, _device) else _device(device).type
    backend = Backend.default_device_backend_map.get(device_type)
    if backend is None:
        raise ValueError(f"Default backend not registered for device : {device}")
    return backend


def is_initialized() -> bool:
    return _World.comm is not None


def _comm():
    if _World.comm is None:
        raise ValueError(NOT_INITIALIZED)
    return _World.comm


def _env_int(name):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the processes started by ``mpiexec`` into the default group.

    ``backend`` "mpi" (the default) or "gloo" (PyTorch's CPU backend, served here by MPI as well);
    "nccl" needs GPUs and raises PyTorch's error. Rank and world size come from MPI; a ``rank`` /
    ``world_size`` given as arguments or in PyTorch's RANK / WORLD_SIZE variables must agree with them.
    """
    if _World.comm is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(backend or Backend.MPI)
    if name == Backend.NCCL:
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if name not in (Backend.MPI, Backend.GLOO):
        raise AssertionError(f"Unknown backend type {backend}")
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(INSTALL_HINT) from e
    comm = MPI.COMM_WORLD
    for what, given, actual in (("world_size", world_size, comm.Get_size()), ("rank", rank, comm.Get_rank())):
        env = _env_int("WORLD_SIZE" if what == "world_size" else "RANK")
        for source, value in ((f"{what}={given}", given), (f"the {what.upper()} environment variable", env)):
            if value is not None and value >= 0 and value != actual:
                raise RuntimeError(
                    f"init_process_group: {source} does not match MPI, which started this process as rank "
                    f"{comm.Get_rank()} of {comm.Get_size()}. graphgrad.distributed runs on MPI: launch the "
                    f"script with mpiexec -n N and leave rank and world_size to it."
                )
    _World.comm, _World.mpi, _World.backend = comm, MPI, name
    _World.timeout = timeout or DEFAULT_TIMEOUT
    _share_the_cores(comm, MPI)
    _abort_job_on_uncaught()


_BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _share_the_cores(comm, MPI):
    """Give each of the processes on this machine its share of the cores, for BLAS and the compiled loops, as
    torchrun sets OMP_NUM_THREADS=1: every process running a full-size thread pool oversubscribes the cores, and
    spinning BLAS threads then slow training several times over (2 processes on 2 cores: 9.6 s instead of 1.5 s
    for ``graphgrad train --epochs 10``). A thread count the user chose in the environment is kept (the
    compiled loops already start from OMP_NUM_THREADS, as ``get_num_threads`` does in PyTorch)."""
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    here = node.Get_size()
    node.Free()
    if here <= 1:
        return
    if "OMP_NUM_THREADS" not in os.environ:
        jit.set_threads(max(1, jit.threads() // here))
    if any(name in os.environ for name in _BLAS_THREAD_VARIABLES):
        return
    try:
        from threadpoolctl import threadpool_limits  # the dist extra installs it
    except ImportError:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threadpool_limits(max(1, cores // here), user_api="blas")


def _abort_job_on_uncaught():
    """An exception that escapes one rank would leave its peers waiting in a collective: print it with
    the rank, then abort the whole MPI job (mpiexec stops every process)."""
    if _World.comm.Get_size() == 1 or _World.previous_excepthook is not None:
        return
    _World.previous_excepthook = previous = sys.excepthook

    def excepthook(kind, value, tb):
        previous(kind, value, tb)
        comm = _World.comm
        if comm is not None:
            sys.stderr.write(f"graphgrad.distributed: rank {comm.Get_rank()} stopped with {kind.__name__}; "
                             f"aborting the other ranks of the MPI job.\n")
            sys.stderr.flush()
            comm.Abort(1)

    sys.excepthook = excepthook


def destroy_process_group(group=None):
    if _World.comm is None:
        raise AssertionError("Process group cannot be None")
    _World.comm = None
    if _World.previous_excepthook is not None:
        sys.excepthook, _World.previous_excepthook = _World.previous_excepthook, None


def get_rank(group=None) -> int:
    return _comm().Get_rank()


def get_world_size(group=None) -> int:
    return _comm().Get_size()


def get_backend(group=None) -> str:
    _comm()
    return str(_World.backend)


# --- waiting ---------------------------------------------------------------------------------------
class Work:
    """A collective in flight (``async_op=True``): ``wait()`` blocks until it is done, then ``finish``
    (writing the result into the tensors) runs once."""

    def __init__(self, requests, finish=None, what="collective"):
        self._requests = list(requests)
        self._finish = finish
        self._what = what
        self._done = False
        self.status = _World.mpi.Status()  # of the last request: who sent a received message

    def _test(self):
        return all(r.Test(self.status) for r in self._requests)

    def is_completed(self) -> bool:
        if not self._done and self._test():
            self._complete()
        return self._done

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()

    def wait(self, timeout=None) -> bool:
        if self._done:
            return True
        limit = (timeout or _World.timeout).total_seconds()
        deadline = time.monotonic() + limit
        pause = 1e-5
        # MPI has no wait with a time limit: poll, backing off to at most a millisecond between tests
        while not self._test():
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"graphgrad.distributed: {self._what} on rank {get_rank()} timed out after {limit:g} s: "
                    f"a peer did not take part (it may have stopped, or be waiting in another collective)."
                )
            time.sleep(pause)
            pause = min(pause * 2, 1e-3)
        self._complete()
        return True

    def result(self):
        return None


def _run(requests, finish, async_op, what):
    work = Work(requests, finish, what)
    if async_op:
        return work
    work.wait()
    return None


# --- buffers ---------------------------------------------------------------------------------------
def _check_tensor(t, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _wire(arr):
    """A contiguous array of a type MPI can carry (half precision travels as float32)."""
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 4 or arr.dtype.kind == "V":  # float16, bfloat16
        return np.ascontiguousarray(arr, dtype=np.float32)
    return np.ascontiguousarray(arr)


def _write(t, values):
    """Put ``values`` into tensor ``t`` in place (a collective's result), bumping its version."""
    with no_grad():
        t.copy_(Tensor._make(np.asarray(values).astype(t._data.dtype, copy=False).reshape(t._data.shape),
                             False, None))


def _mpi_op(op):
    op = ReduceOp(op) if not isinstance(op, ReduceOp) else op
    MPI = _World.mpi
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op], op


def _averaged(values, op, dtype):
    if op is not ReduceOp.AVG:
        return values
    if dtype.kind not in "fc":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_torch_name(dtype)}")
    return values / get_world_size()


def _torch_name(dtype):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(
        dtype.name, dtype.name)


def _check_rank(rank, what):
    if not 0 <= rank < get_world_size():
        raise RuntimeError(f"ProcessGroupMPI::{what}: invalid root rank: {rank}")


# --- collectives -----------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across all ranks with ``op``; every rank gets the result in ``tensor``."""
    _check_tensor(tensor)
    comm = _comm()
    mpi_op, op = _mpi_op(op)
    buf = _wire(tensor._data)
    out = np.empty_like(buf)
    req = comm.Iallreduce(buf, out, op=mpi_op)
    return _run([req], lambda: _write(tensor, _averaged(out, op, tensor._data.dtype)), async_op, "all_reduce")


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Combine ``tensor`` across ranks into rank ``dst``'s ``tensor``; the others' tensors are left as they are."""
    _check_tensor(tensor)
    dst = 0 if dst is None else dst
    _check_rank(dst, "reduce")
    comm = _comm()
    mpi_op, op = _mpi_op(op)
    buf = _wire(tensor._data)
    out = np.empty_like(buf)
    req = comm.Ireduce(buf, out, op=mpi_op, root=dst)
    mine = comm.Get_rank() == dst
    return _run([req], (lambda: _write(tensor, _averaged(out, op, tensor._data.dtype))) if mine else None,
                async_op, "reduce")


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``."""
    _check_tensor(tensor)
    src = 0 if src is None else src
    _check_rank(src, "broadcast")
    comm = _comm()
    buf = _wire(tensor._data).copy()
    req = comm.Ibcast(buf, root=src)
    return _run([req], lambda: _write(tensor, buf), async_op, "broadcast")


def _check_list(tensors, what, name):
    n = get_world_size()
    if len(tensors) != n:
        raise RuntimeError(f"ProcessGroupMPI::{what}: invalid {name} tensor list at index 0 "
                           f"(expected length {n}, got {len(tensors)})")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list[rank]``, on every rank."""
    _check_tensor(tensor)
    _check_list(tensor_list, "allgather", "output")
    comm = _comm()
    buf = _wire(tensor._data)
    out = np.empty((comm.Get_size(),) + buf.shape, buf.dtype)
    req = comm.Iallgather(buf, out)

    def finish():
        for t, part in zip(tensor_list, out):
            _write(t, part)

    return _run([req], finish, async_op, "all_gather")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """The ranks' ``input_tensor`` concatenated along the first dimension (or stacked) in ``output_tensor``."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    comm = _comm()
    buf = _wire(input_tensor._data)
    if output_tensor._data.size != buf.size * comm.Get_size():
        raise ValueError("output tensor size must be equal to world_size times input tensor size")
    out = np.empty((comm.Get_size(),) + buf.shape, buf.dtype)
    req = comm.Iallgather(buf, out)
    return _run([req], lambda: _write(output_tensor, out), async_op, "all_gather_into_tensor")


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """``output`` on rank r gets ``input_list[r]`` combined across ranks with ``op``."""
    _check_tensor(output, "output")
    _check_list(input_list, "reduce_scatter", "input")
    comm = _comm()
    mpi_op, op = _mpi_op(op)
    buf = np.stack([_wire(t._data) for t in input_list])
    out = np.empty_like(buf[0])
    req = comm.Ireduce_scatter_block(buf, out, op=mpi_op)
    return _run([req], lambda: _write(output, _averaged(out, op, output._data.dtype)), async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``input`` split into world-size chunks along the first dimension; rank r gets chunk r combined."""
    _check_tensor(output, "output")
    comm = _comm()
    if input._data.size != output._data.size * comm.Get_size():
        raise ValueError("input tensor must be the same size as output size times world size")
    mpi_op, op = _mpi_op(op)
    buf = _wire(input._data)
    out = np.empty(output._data.shape, buf.dtype)
    req = comm.Ireduce_scatter_block(buf, out, op=mpi_op)
    return _run([req], lambda: _write(output, _averaged(out, op, output._data.dtype)), async_op,
                "reduce_scatter_tensor")


def _root_list(root, tensors, what, name, role, kind):
    """Whether this rank is the root of a gather/scatter; checks that the list is given there, and only there."""
    _check_rank(root, what)
    if get_rank() == root:
        if tensors is None:
            raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
        _check_list(tensors, what, kind)
        return True
    if tensors:
        raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")
    return False


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (the others pass None)."""
    _check_tensor(tensor)
    dst = 0 if dst is None else dst
    comm = _comm()
    mine = _root_list(dst, gather_list, "gather", "gather_list", "destination", "output")
    buf = _wire(tensor._data)
    out = np.empty((comm.Get_size(),) + buf.shape, buf.dtype) if mine else None
    req = comm.Igather(buf, out, root=dst)

    def finish():
        for t, part in zip(gather_list, out):
            _write(t, part)

    return _run([req], finish if mine else None, async_op, "gather")


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src``'s ``scatter_list[r]`` into rank r's ``tensor``."""
    _check_tensor(tensor)
    src = 0 if src is None else src
    comm = _comm()
    mine = _root_list(src, scatter_list, "scatter", "scatter_list", "source", "input")
    buf = np.stack([_wire(t._data) for t in scatter_list]) if mine else None
    out = np.empty(_wire(tensor._data).shape, _wire(tensor._data).dtype)
    req = comm.Iscatter(buf, out, root=src)
    return _run([req], lambda: _write(tensor, out), async_op, "scatter")


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank has reached this call."""
    req = _comm().Ibarrier()
    work = Work([req], None, "barrier")
    if async_op:
        return work
    work.wait(timeout)
    return None


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; returns a Work."""
    _check_tensor(tensor)
    return Work([_comm().Isend(_wire(tensor._data).copy(), dest=dst, tag=tag)], None, "send")


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None) without waiting; returns a Work."""
    _check_tensor(tensor)
    buf = np.empty_like(_wire(tensor._data))
    req = _comm().Irecv(buf, source=_World.mpi.ANY_SOURCE if src is None else src, tag=tag)
    return Work([req], lambda: _write(tensor, buf), "recv")


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    isend(tensor, dst, group, tag).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor``; returns the sender's rank."""
    work = irecv(tensor, src, group, tag)
    work.wait()
    return work.status.Get_source()


def all_gather_object(object_list, obj, group=None):
    """Every rank's picklable ``obj`` into ``object_list[rank]``."""
    comm = _comm()
    if len(object_list) != comm.Get_size():
        raise RuntimeError(f"all_gather_object: object_list must have length {comm.Get_size()}")
    object_list[:] = comm.allgather(obj)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank ``src``'s ``object_list`` contents into every rank's list (in place)."""
    comm = _comm()
    object_list[:] = comm.bcast(list(object_list), root=0 if src is None else src)
