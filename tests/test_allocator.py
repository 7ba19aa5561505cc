"""graphgrad asks glibc to keep freed memory for reuse (graphgrad._core.allocator), unless told not to."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from graphgrad._core.allocator import keep_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_thresholds_are_set_on_glibc():
    assert keep_freed_memory() is True


def test_environment_switches_it_off(monkeypatch):
    monkeypatch.setenv("GRAPHGRAD_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False


def test_import_with_it_off_still_works():
    env = dict(os.environ, GRAPHGRAD_KEEP_FREED_MEMORY="0")
    out = subprocess.run([sys.executable, "-c", "import graphgrad; print(graphgrad.ones(2).sum().item())"],
                         capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "2.0"
