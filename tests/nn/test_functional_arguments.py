"""nn.functional given a list, a NumPy array or None where a Tensor belongs: PyTorch's error, type and text.

Every case of tests/nn/test_functional.py is run again on both libraries with one of its inputs replaced by
the same values as a nested list, then as a NumPy array. graphgrad must raise what PyTorch raises (an argument
parser's TypeError, or the AttributeError of PyTorch's Python code), never an error about its own internals.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F

from .._parity import make
from .test_functional import CASES

# PyTorch fails inside its own Python arithmetic on these arguments (``target - list``, ``list < 0``): graphgrad
# names the argument that must be a Tensor instead
PYTHON_ARITHMETIC = {("gaussian_nll_loss", 1), ("gaussian_nll_loss", 2), ("multilabel_soft_margin_loss", 1)}


def _arrays(case):
    if case.inputs is None:
        return None
    return case.inputs(np.random.default_rng(0)) if callable(case.inputs) else case.inputs


def _substitutions():
    for case in CASES:
        arrays = _arrays(case)
        if arrays is None:
            continue
        for i in range(len(arrays)):
            if (case.name, i) in PYTHON_ARITHMETIC:
                continue
            for kind in ("list", "ndarray"):
                yield pytest.param(case, i, kind, id=f"{case.name}-{i}-{kind}")


def _error(lib, case, i, kind):
    arrays = _arrays(case)
    namespace = lib.nn.functional if case.namespace == "nn.functional" else lib
    xs = make(lib, arrays, "float32", True, case.no_grad)
    xs[i] = arrays[i].tolist() if kind == "list" else arrays[i]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.fn(namespace, *xs)
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        text = str(e).replace("graphgrad", "torch")
        if "received an invalid combination of arguments" in text:
            # the first line (what was got): under each overload PyTorch also marks the types it refused when more
            # than two arguments were given, which graphgrad does not write (the listing is compared below)
            text = text.splitlines()[0]
        return type(e).__name__, text
    return None


@pytest.mark.parametrize("case,i,kind", list(_substitutions()))
def test_a_non_tensor_argument_raises_pytorchs_error(case, i, kind, torch_ref):
    assert _error(graphgrad, case, i, kind) == _error(torch_ref, case, i, kind)


@pytest.mark.parametrize("call,expected", [
    (lambda: F.linear(graphgrad.ones(2, 2), weight=[1.0]), "linear(): argument 'weight' must be Tensor, not list"),
    (lambda: F.relu(None), "relu(): argument 'input' (position 1) must be Tensor, not NoneType"),
    (lambda: F.gelu(np.float32(1)), "gelu(): argument 'input' (position 1) must be Tensor, not numpy.float32"),
    (lambda: F.max_pool2d([1.0], 2, return_indices=True),
     "max_pool2d_with_indices(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda: F.cross_entropy(graphgrad.ones(2, 3), [0, 1]),
     "cross_entropy_loss(): argument 'target' (position 2) must be Tensor, not list"),
    (lambda: F.gumbel_softmax([1.0]), "empty_like(): argument 'input' (position 1) must be Tensor, not list"),
])
def test_keywords_none_and_numpy_scalars(call, expected):
    """Beyond the cases (PyTorch's texts, stated): a keyword argument of a function that is PyTorch's kernel itself
    has no position; None and NumPy scalars are named as PyTorch names them."""
    with pytest.raises(TypeError) as e:
        call()
    assert str(e.value) == expected


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [None, 0])
@pytest.mark.parametrize("value", [[1.0, 2.0], np.ones(2)], ids=["list", "ndarray"])
def test_the_softmax_family_reads_dim_first(name, dim, value, torch_ref):
    errors = []
    for lib in (graphgrad, torch_ref):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the implicit dimension's deprecation warning)
            with pytest.raises((AttributeError, TypeError)) as e:
                getattr(lib.nn.functional, name)(value, dim)
        errors.append((e.type, str(e.value)))
    assert errors[0] == errors[1]


def test_a_correct_call_is_unchanged():
    x = graphgrad.ones(2, 3, requires_grad=True)
    y = F.linear(x, graphgrad.ones(4, 3), graphgrad.zeros(4))
    assert y.grad_fn.name() == "AddmmBackward0" and F.linear.__name__ == "linear"


def test_an_error_of_a_correctly_typed_call_is_left_alone():
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        F.linear(graphgrad.ones(2, 3), graphgrad.ones(4, 5))


def test_the_convolutions_list_pytorchs_overloads(torch_ref):
    errors = []
    for lib in (graphgrad, torch_ref):
        try:
            lib.nn.functional.conv1d([1.0], lib.ones(1, 1, 1))
        except TypeError as e:
            errors.append(str(e))
    assert errors[0] == errors[1]


def test_the_checked_functions_pickle_by_their_published_name():
    """A module saved whole keeps F.relu (a TransformerEncoderLayer's activation) by reference."""
    assert pickle.loads(pickle.dumps(F.relu)) is F.relu and F.relu.__module__ == "graphgrad.nn.functional"


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.conv2d(input=[1.0], weight=lib.ones(1, 1, 1, 1)),
    lambda lib: lib.nn.functional.conv1d([1.0], lib.ones(1, 1, 1), padding=1, stride=1),
    lambda lib: lib.ones(2).view(dtype=1, size=2),
], ids=["keywords only", "keywords after positions", "view"])
def test_overload_errors_list_keywords_as_pytorch(call, torch_ref):
    """PyTorch's parser lists keyword arguments last to first, with a ", " after them where no position came
    first (the shared _combination_error, for torch.* and nn.functional alike)."""
    lines = []
    for lib in (graphgrad, torch_ref):
        with pytest.raises(TypeError) as e:
            call(lib)
        lines.append(str(e.value).splitlines()[0].removesuffix(", but expected one of:"))
    assert lines[0] == lines[1]
