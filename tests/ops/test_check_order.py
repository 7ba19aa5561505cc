"""Inputs that break two of an op's rules get the error PyTorch checks first; reductions over an empty
dimension get PyTorch's error, not NumPy's (cases the random programs of test_fuzz_vs_torch met)."""

from __future__ import annotations

import pytest

from .._fuzz import outcome, same_outcome

PROGRAMS = {
    # an expanded bool tensor: the overlap is refused before the dtype
    "frac_of_expanded_bools": lambda T: T.tensor([[True, False]]).expand(2, 2).frac_(),
    "frac_of_bools": lambda T: T.tensor([True]).frac_(),
    "abs_of_expanded_bools": lambda T: T.tensor([True, False]).expand(3, 2).abs_(),
    "median_over_empty_dim": lambda T: T.median(T.zeros(3, 0), 1),
    "median_over_empty_first_dim": lambda T: T.median(T.zeros(0, 3), 0),
    "median_beside_empty_dim": lambda T: T.median(T.zeros(3, 0), 0),
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_as_pytorch(name, torch_ref):
    import graphgrad

    program = PROGRAMS[name]
    difference = same_outcome(outcome(program, graphgrad), outcome(program, torch_ref))
    assert difference is None, difference
