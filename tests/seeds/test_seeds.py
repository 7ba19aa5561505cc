"""Parity tests: every seed program gives the same results on graphgrad as on real PyTorch."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.seeds.programs import ALL

try:
    import graphgrad
except ImportError:  # src layout, not installed: import from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    import graphgrad

IDS = [f.__name__ for f in ALL]


def _first_sentence(message):
    """The text up to the first sentence end ('.', '!' or '?' followed by whitespace)."""
    return re.split(r"(?<=[.!?])\s", message.strip(), maxsplit=1)[0]


def _is_error(key, value):
    return key.startswith("error") and isinstance(value, dict) and set(value) == {"type", "message"}


def _compare(expected, actual, path):
    """Assert that ``actual`` (graphgrad) matches ``expected`` (torch); ``path`` names the value."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a dict, got {type(actual).__name__}"
        assert sorted(actual) == sorted(expected), f"{path}: keys differ"
        for key in expected:
            sub = f"{path}.{key}"
            if _is_error(key, expected[key]):
                want, got = expected[key], actual[key]
                assert _is_error(key, got), f"{sub}: expected an error dict, got {got!r}"
                assert got["type"] == want["type"], (
                    f"{sub}: {got['type']} != {want['type']}: {got['message']}"
                )
                first = _first_sentence(want["message"])
                assert got["message"].startswith(first), (
                    f"{sub}: message\n  {got['message']!r}\ndoes not start with\n  {first!r}"
                )
            else:
                _compare(expected[key], actual[key], sub)
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), f"{path}: expected an array, got {type(actual).__name__}"
        assert actual.shape == expected.shape, f"{path}: shape {actual.shape} != {expected.shape}"
        assert actual.dtype == expected.dtype, f"{path}: dtype {actual.dtype} != {expected.dtype}"
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6, err_msg=path)
    elif isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)), f"{path}: expected a sequence, got {actual!r}"
        assert len(actual) == len(expected), f"{path}: length {len(actual)} != {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            _compare(e, a, f"{path}[{i}]")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(actual, (float, int)) and not isinstance(actual, bool), f"{path}: got {actual!r}"
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6, err_msg=path)
    else:
        assert type(actual) is type(expected), (
            f"{path}: type {type(actual).__name__} != {type(expected).__name__}"
        )
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


@pytest.mark.parametrize("program", ALL, ids=IDS)
def test_runs_on_graphgrad(program):
    """Runs without torch installed too: graphgrad returns its results without raising."""
    result = program(graphgrad)
    assert isinstance(result, dict) and result


@pytest.mark.parametrize("program", ALL, ids=IDS)
def test_matches_torch(program):
    torch = pytest.importorskip("torch")
    expected = program(torch)
    actual = program(graphgrad)
    _compare(expected, actual, program.__name__)
