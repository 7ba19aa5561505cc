"""graphgrad.distributed, DistributedDataParallel and DistributedSampler.

The multi-process checks run real MPI jobs (``mpiexec -n 2``) and skip, with the reason, when the
``[dist]`` extra (mpi4py and an MPI library) is not installed.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import graphgrad
import graphgrad.distributed as dist
from graphgrad.nn.parallel.distributed import assign_buckets
from graphgrad.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")
HAVE_MPI = importlib.util.find_spec("mpi4py") is not None and shutil.which("mpiexec") is not None
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="the [dist] extra (mpi4py and mpiexec) is not installed")


def mpiexec(script, *args, n=2, timeout=120, thread_variables=True):
    """Run ``script`` in an MPI job of ``n`` processes; (exit code, output, seconds). ``thread_variables``: one
    BLAS/OpenMP thread each, set in the environment (False: no such variable, graphgrad shares the cores)."""
    cmd = ["mpiexec", "-n", str(n)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd += ["--allow-run-as-root", "--oversubscribe"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if not thread_variables:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(name, None)
    t0 = time.monotonic()
    out = subprocess.run(cmd + [sys.executable, os.path.join(HERE, script), *args], capture_output=True, text=True,
                         timeout=timeout, env=env, check=False)
    return out.returncode, out.stdout + out.stderr, time.monotonic() - t0


# --- the data-parallel checks, one MPI job for all of them ------------------------------------------
CHECK_NAMES = re.findall(r"@check\ndef (\w+)", open(os.path.join(HERE, "mpi_checks.py")).read())


@pytest.fixture(scope="module")
def mpi_checks():
    code, out, _ = mpiexec("mpi_checks.py")
    return out


@needs_mpi
@pytest.mark.parametrize("name", CHECK_NAMES)
def test_two_ranks(mpi_checks, name):
    lines = [ln for ln in mpi_checks.splitlines() if re.match(rf"(PASS|FAIL) {name}\b", ln)]
    assert lines, f"{name} did not report:\n{mpi_checks[-3000:]}"
    assert lines[0].startswith("PASS"), f"{lines[0]}\n{mpi_checks[-3000:]}"


# --- faults end the job with the rank and the cause, instead of hanging -------------------------------
@needs_mpi
@pytest.mark.parametrize("mode, expected", [
    ("raise", "rank 1 stopped with ValueError"),
    ("leave", "all_reduce on rank 0 timed out after 3 s"),
    ("shapes", "[1]: params[0] in this process with sizes [3, 3] appears not to match sizes of the same param "
               "in process 0."),
    ("count", "DDP expects same model across all ranks, but Rank 0 has 2 params, while rank 1 has inconsistent 4 "
              "params."),
])
def test_faults_stop_every_rank(mode, expected):
    code, out, seconds = mpiexec("mpi_faults.py", mode, timeout=60)
    assert code != 0, out
    assert expected in out, out
    assert "rank 0 finished" not in out
    assert seconds < 45


# --- one process --------------------------------------------------------------------------------------
@needs_mpi
def test_processes_on_one_machine_share_its_cores():
    """As torchrun sets OMP_NUM_THREADS=1: without thread-count variables, each of the processes on a machine
    gets cores // processes threads for BLAS and the compiled loops (a full pool each oversubscribes)."""
    pytest.importorskip("threadpoolctl")
    code, out, _ = mpiexec("mpi_threads.py", thread_variables=False)
    assert code == 0, out[-3000:]
    lines = sorted(ln for ln in out.splitlines() if ln.startswith("THREADS"))
    assert len(lines) == 2, out[-3000:]
    for line in lines:
        fields = dict(f.split("=") for f in line.split()[1:])
        share = max(1, int(fields["before"]) // 2)
        assert fields["after"] == str(share) and fields["blas"] == f"[{share}]", line


def test_before_init_pytorch_error(torch_ref):
    for fn in (lambda m: m.get_rank(), lambda m: m.get_world_size()):
        with pytest.raises(ValueError) as ours:
            fn(dist)
        with pytest.raises(ValueError) as theirs:
            fn(torch_ref.distributed)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(graphgrad.ones(2))
    assert not dist.is_initialized() and dist.is_available()


def test_reduce_op_and_backend_names(torch_ref):
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        ours, theirs = getattr(dist.ReduceOp, name), getattr(torch_ref.distributed.ReduceOp, name)
        assert (repr(ours), str(ours)) == (repr(theirs), str(theirs))
    assert dist.Backend("MPI") == torch_ref.distributed.Backend("MPI") == "mpi"
    assert dist.Backend.GLOO == "gloo"


def test_backends_that_need_other_hardware():
    with pytest.raises(RuntimeError, match="^Distributed package doesn't have NCCL built in$"):
        dist.init_process_group("nccl")
    with pytest.raises(AssertionError, match="^Unknown backend type foo$"):
        dist.init_process_group("foo")


def test_without_mpi4py_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(RuntimeError, match=r"pip install 'graphgrad\[dist\]'"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


@needs_mpi
def test_rank_that_disagrees_with_mpi():
    code = ("import graphgrad.distributed as d\ntry:\n    d.init_process_group('mpi')\n"
            "except RuntimeError as e:\n    print(e)")
    env = dict(os.environ, WORLD_SIZE="3", PYTHONPATH=SRC)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert "the WORLD_SIZE environment variable does not match MPI" in out.stdout, out.stdout + out.stderr
    assert "mpiexec -n N" in out.stdout


@pytest.mark.parametrize("sizes", [[10, 20, 300000, 5, 400000, 7000000, 3], [1] * 5, [262144, 1, 262144 * 26, 2]])
@pytest.mark.parametrize("cap", [None, 1e-4, 0.5, 1])
def test_bucket_assignment_as_pytorch(torch_ref, sizes, cap):
    limits = [1024 * 1024, 25 * 1024 * 1024] if cap is None else [int(cap * 1024 * 1024)]
    theirs, _ = torch_ref.distributed._compute_bucket_assignment_by_size(
        [torch_ref.zeros(n) for n in sizes], limits, [False] * len(sizes))
    assert assign_buckets([graphgrad.zeros(n) for n in sizes], cap) == list(reversed(theirs))


@pytest.mark.parametrize("n", [1, 5, 7, 10])
@pytest.mark.parametrize("replicas", [2, 3])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_as_pytorch(torch_ref, n, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as Theirs

    for rank in range(replicas):
        for shuffle in (False, True):  # shuffled: randperm from Generator(seed + epoch), PyTorch's stream
            ours = DistributedSampler(range(n), replicas, rank, shuffle=shuffle, drop_last=drop_last)
            theirs = Theirs(range(n), replicas, rank, shuffle=shuffle, drop_last=drop_last)
            assert (list(ours), len(ours)) == (list(theirs), len(theirs))
    with pytest.raises(ValueError, match=r"^Invalid rank 3, rank should be in the interval \[0, 2\]$"):
        DistributedSampler(range(n), 3, 3)


def test_distributed_sampler_epochs_reshuffle():
    s = DistributedSampler(range(20), num_replicas=2, rank=0, seed=3)
    first = list(s)
    assert sorted(first + list(DistributedSampler(range(20), num_replicas=2, rank=1, seed=3))) == list(range(20))
    s.set_epoch(1)
    assert list(s) != first
    s.set_epoch(0)
    assert list(s) == first


def test_data_parallel_on_a_cpu_build(torch_ref):
    ours = graphgrad.nn.DataParallel(graphgrad.nn.Linear(3, 2))
    theirs = torch_ref.nn.DataParallel(torch_ref.nn.Linear(3, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: graphgrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(ours(graphgrad.tensor(x)).detach().numpy(),
                               theirs(torch_ref.tensor(x)).detach().numpy(), rtol=1e-6)
    assert ours.device_ids == theirs.device_ids == []


@needs_mpi
def test_cli_trains_data_parallel_and_resumes(tmp_path):
    """``mpiexec -n 2 graphgrad train``: rank 0 alone prints and writes; a resume continues the run."""
    cmd = ["mpiexec", "-n", "2"] + (["--allow-run-as-root", "--oversubscribe"] if os.geteuid() == 0 else [])
    env = dict(os.environ, PYTHONPATH=SRC, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")

    def train(*args):
        out = subprocess.run(cmd + [sys.executable, "-m", "graphgrad", "train", "--limit", "200", "--out", "run",
                                    *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    first = train("--epochs", "2")
    assert first.count("graphgrad train:") == 1 and "data-parallel over 2 processes" in first
    assert first.count("epoch 2/2") == 1
    assert (tmp_path / "run" / "checkpoint.safetensors").exists()
    second = train("--epochs", "3", "--resume")
    assert "resuming after epoch 2" in second and second.count("epoch 3/3") == 1
    metrics = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert len(metrics) == 4  # header and epochs 1-3


def test_ddp_takes_pytorchs_arguments_and_refuses_what_it_cannot_do(torch_ref):
    import inspect

    ours = inspect.signature(graphgrad.nn.parallel.DistributedDataParallel.__init__).parameters
    theirs = inspect.signature(torch_ref.nn.parallel.DistributedDataParallel.__init__).parameters
    assert list(ours) == list(theirs)
    with pytest.raises(NotImplementedError, match="mixed_precision is not supported"):
        graphgrad.nn.parallel.DistributedDataParallel(graphgrad.nn.Linear(2, 2), mixed_precision=object())
