"""Shared test setup: hypothesis profiles sized for a 2-core CI, the PyTorch reference fixture, the CLI runner."""

import os
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("soak", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def torch_ref():
    """Real PyTorch, the parity oracle; tests that need it skip cleanly when it is absent."""
    return pytest.importorskip("torch")


@pytest.fixture(params=["one-thread", "split"])
def loop_threads(request, monkeypatch):
    """The compiled loops' ``split`` on one thread, or on three threads at every size (``jit.MIN_SPLIT``,
    ``MIN_SPLIT_STREAMING`` and ``MIN_SPLIT_OPENMP`` 1, so small test arrays split too). Yields ``.on`` (whether
    split) and ``.splits``, a list that gets one entry each time a loop's parts went to other threads (the Python
    threads, or the OpenMP pool where MKL runs), so a test can check ``bool(splits) == on``."""
    from types import SimpleNamespace

    import graphgrad
    from graphgrad._core import jit

    before = graphgrad.get_num_threads()
    splits = []
    state = SimpleNamespace(on=request.param == "split", splits=splits)
    if state.on:
        graphgrad.set_num_threads(3)
        monkeypatch.setattr(jit, "MIN_SPLIT", 1)
        monkeypatch.setattr(jit, "MIN_SPLIT_STREAMING", 1)
        monkeypatch.setattr(jit, "MIN_SPLIT_OPENMP", 1)
        executor, on_openmp = jit._executor, jit.CompiledLoops._run_on_openmp
        monkeypatch.setattr(jit, "_executor", lambda: splits.append(jit.threads() - 1) or executor())
        monkeypatch.setattr(jit.CompiledLoops, "_run_on_openmp",
                            lambda self, *a: splits.append("openmp") or on_openmp(self, *a))
    else:
        graphgrad.set_num_threads(1)
    yield state
    graphgrad.set_num_threads(before)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """``graphgrad ARGS`` run in this process (what the console script runs), in tmp_path: a CompletedProcess."""
    from graphgrad.cli import main

    monkeypatch.chdir(tmp_path)

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, out, err)

    return run
