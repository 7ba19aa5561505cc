"""graphgrad keeps freed array memory in the process (glibc): a training step does not page-fault its
arrays in afresh each time."""

import os
import subprocess
import sys

import pytest

from graphgrad._core import allocator

PROBE = r"""
import resource, sys
import numpy as np
import graphgrad
print(graphgrad._core.allocator.TUNED)
def churn():  # a step's worth of large temporaries: allocated, touched, freed, in varying sizes
    kept = [np.ones(n) for n in (1 << 20, 3 << 19, 1 << 19)]  # 8, 12, 4 MiB
    for n in (1 << 21, 1 << 20, 5 << 19):  # 16, 8, 20 MiB
        a = np.ones(n)
        del a
    del kept
churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    churn()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _faults_per_churn(env):
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    tuned, faults = out.stdout.split()
    return tuned == "True", float(faults)


@pytest.mark.skipif(not allocator.TUNED, reason="glibc only, and only without the user's own MALLOC_ tuning")
def test_freed_arrays_are_reused_without_page_faults():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    tuned, faults = _faults_per_churn(env)
    assert tuned
    assert faults < 100  # about 17,000 pages are touched per churn; untuned glibc faults on most of them


def test_users_malloc_tuning_is_left_alone():
    env = dict(os.environ, MALLOC_ARENA_MAX="2", MALLOC_TOP_PAD_="0")
    tuned, _ = _faults_per_churn(env)
    assert not tuned


def test_environment_switches_it_off():
    env = dict(os.environ, GRAPHGRAD_KEEP_FREED_MEMORY="0")
    tuned, _ = _faults_per_churn(env)
    assert not tuned
