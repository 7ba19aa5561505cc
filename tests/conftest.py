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
