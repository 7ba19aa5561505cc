"""The differential fuzzer in the normal suite: a fixed set of random programs (tests/_fuzz.py) must give
the same outcome on graphgrad and on PyTorch. ``benchmarks/fuzz.py --programs 10000`` is the long run.

A few known classes remain (PyTorch's vectorized gelu gives NaN at +inf for more than one element, ...), so
the test asks for the agreement the long run targets, 99.5%, and shows the disagreeing programs."""

import graphgrad

from . import _fuzz

PROGRAMS, SEED = 500, 20261206


def test_random_programs_agree_with_pytorch(torch_ref):
    problems = []
    agree = _fuzz.fuzz(PROGRAMS, SEED, graphgrad, torch_ref,
                       lambda lines, arrays, problem: problems.append(_fuzz.reproducer(lines, arrays, problem)))
    assert agree >= 0.995 * PROGRAMS, f"{PROGRAMS - agree} of {PROGRAMS} programs disagree:\n" + "\n".join(problems)


def test_outcomes_compare_nan_as_equal_and_errors_by_first_line():
    a = ("ok", _fuzz.describe(graphgrad.tensor([float("nan"), 1.0])))
    assert _fuzz.same_outcome(a, a) is None
    b = ("ok", _fuzz.describe(graphgrad.tensor([float("nan"), 1.0 + 1e-3])))
    assert _fuzz.same_outcome(a, b) == "value: values differ"
    assert _fuzz.same_outcome(("error", "RuntimeError", "x"), ("error", "RuntimeError", "x")) is None
    assert _fuzz.same_outcome(("error", "RuntimeError", "x"), ("error", "IndexError", "x")) is not None


def test_minimize_keeps_only_the_lines_that_disagree(torch_ref):
    import numpy as np

    # a program whose last line disagrees by construction (graphgrad and torch spell their modules differently)
    lines = ["x0 = T.tensor(A[0], requires_grad=True)", "v1 = x0 * 2", "v2 = v1.sum()",
             "v3 = T.tensor(T.__name__ == 'torch')"]
    arrays = [np.ones(3, np.float32)]
    assert _fuzz.compare_source(lines, arrays, graphgrad, torch_ref) is not None
    assert _fuzz.minimize(lines, arrays, graphgrad, torch_ref) == [lines[-1]]
