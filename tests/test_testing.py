"""graphgrad.testing.assert_close against torch.testing.assert_close: same verdicts, same error types and texts."""

import numpy as np
import pytest

import graphgrad


def _convert(lib, value):
    """The same input for either library: ("t", array) becomes a tensor, containers are walked."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "t":
        return lib.tensor(value[1]) if lib is not graphgrad else graphgrad.tensor(value[1])
    if isinstance(value, list):
        return [_convert(lib, v) for v in value]
    if isinstance(value, dict):
        return {k: _convert(lib, v) for k, v in value.items()}
    return value


def _outcome(lib, actual, expected, **kw):
    try:
        lib.testing.assert_close(_convert(lib, actual), _convert(lib, expected), **kw)
    except Exception as error:  # noqa: BLE001 - the test compares whatever each library raises
        # graphgrad's own types print with their own module name
        text = str(error).replace("<class 'torch.Tensor'>", "<class 'graphgrad._tensor.Tensor'>")
        return type(error).__name__, text.replace("torch.", "graphgrad.")
    return None


f32 = np.float32
CASES = {
    "equal": (("t", np.array([1.0, 2.0], f32)), ("t", np.array([1.0, 2.0], f32)), {}),
    "within-default-tolerance": (("t", np.array([1.0, 2.0], f32)), ("t", np.array([1.0, 2.000001], f32)), {}),
    "one-of-three-off": (("t", np.array([1.0, 2.5, 3.0], f32)), ("t", np.array([1.0, 2.0, 3.0], f32)), {}),
    "2d-many-off": (("t", np.arange(12, dtype=f32).reshape(3, 4) * 1.1),
                    ("t", np.arange(12, dtype=f32).reshape(3, 4)), {}),
    "expected-zero": (("t", np.array([0.5, 0.0], f32)), ("t", np.array([0.0, 0.0], f32)), {}),
    "float64": (("t", np.array([1.0, 2.0 + 1e-6])), ("t", np.array([1.0, 2.0])), {}),
    "float16-close": (("t", np.array([1.0, 2.001], np.float16)), ("t", np.array([1.0, 2.0], np.float16)), {}),
    "float16-off": (("t", np.array([1.0, 2.01], np.float16)), ("t", np.array([1.0, 2.0], np.float16)), {}),
    "int32-vs-int64": (("t", np.array([1, 2], np.int32)), ("t", np.array([1, 3])), dict(check_dtype=False)),
    "ints-equal-check": (("t", np.array([1, 5, 3])), ("t", np.array([1, 2, 3])), {}),
    "bools": (("t", np.array([True, False])), ("t", np.array([True, True])), {}),
    "scalar-tensor": (("t", np.array(1.5, f32)), ("t", np.array(1.0, f32)), {}),
    "explicit-tolerances": (("t", np.array([1.0, 2.1], f32)), ("t", np.array([1.0, 2.0], f32)),
                            dict(rtol=0.01, atol=0.01)),
    "explicit-tolerances-pass": (("t", np.array([1.0, 2.1], f32)), ("t", np.array([1.0, 2.0], f32)),
                                 dict(rtol=0.1, atol=0.0)),
    "only-rtol": (("t", np.array([1.0], f32)), ("t", np.array([1.0], f32)), dict(rtol=0.1)),
    "nan-fails": (("t", np.array([np.nan, 1.0], f32)), ("t", np.array([np.nan, 1.0], f32)), {}),
    "nan-equal": (("t", np.array([np.nan, 1.0], f32)), ("t", np.array([np.nan, 1.0], f32)), dict(equal_nan=True)),
    "nan-vs-number": (("t", np.array([np.nan, 1.0], f32)), ("t", np.array([2.0, 1.0], f32)), {}),
    "inf-equal": (("t", np.array([np.inf, 1.0], f32)), ("t", np.array([np.inf, 1.0], f32)), {}),
    "inf-vs-number": (("t", np.array([np.inf, 1.0], f32)), ("t", np.array([1.0, 1.0], f32)), {}),
    "shape": (("t", np.zeros(2, f32)), ("t", np.zeros(3, f32)), {}),
    "dtype": (("t", np.zeros(2, f32)), ("t", np.zeros(2)), {}),
    "dtype-unchecked": (("t", np.zeros(2, f32)), ("t", np.zeros(2)), dict(check_dtype=False)),
    "dtype-unchecked-off": (("t", np.array([1.0, 2.0], f32)), ("t", np.array([1.0, 2.5])),
                            dict(check_dtype=False)),
    "int-vs-float-unchecked": (("t", np.array([1, 2])), ("t", np.array([1.0, 2.5], f32)), dict(check_dtype=False)),
    "msg-string": (("t", np.array([1.0], f32)), ("t", np.array([2.0], f32)), dict(msg="custom text")),
    "msg-callable": (("t", np.array([1.0], f32)), ("t", np.array([2.0], f32)), dict(msg=lambda m: "<" + m + ">")),
    "numbers": (1.0, 1.5, {}),
    "numbers-close": (1.0, 1.0 + 1e-9, {}),
    "int-vs-float": (1, 1.0, {}),
    "int-vs-float-unchecked-number": (1, 1.0, dict(check_dtype=False)),
    "ints": (3, 4, {}),
    "none": (None, None, {}),
    "none-mismatch": (None, 1.0, {}),
    "booleans": (True, False, {}),
    "sequence": ([("t", np.array([1.0], f32)), 2.0], [("t", np.array([1.0], f32)), 2.5], {}),
    "sequence-length": ([1.0, 2.0], [1.0], {}),
    "mapping": ({"a": ("t", np.array([1.0], f32)), "b": 1}, {"a": ("t", np.array([1.5], f32)), "b": 1}, {}),
    "mapping-keys": ({"a": 1, "b": 2}, {"a": 1, "c": 2}, {}),
    "numpy-arrays": (np.array([1.0, 2.0]), np.array([1.0, 3.0]), {}),
    "tensor-vs-number": (("t", np.array(1.0, f32)), 1.0, {}),
    "string": ("a", "b", {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_assert_close_matches_torch(torch_ref, name):
    actual, expected, kw = CASES[name]
    assert _outcome(graphgrad, actual, expected, **kw) == _outcome(torch_ref, actual, expected, **kw)


def test_message_layout():
    with pytest.raises(AssertionError) as info:
        graphgrad.testing.assert_close(graphgrad.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                       graphgrad.tensor([[1.0, 2.0], [3.0, 5.0]]))
    assert str(info.value) == (
        "Tensor-likes are not close!\n\n"
        "Mismatched elements: 1 / 4 (25.0%)\n"
        "Greatest absolute difference: 1.0 at index (1, 1) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.20000000298023224 at index (1, 1) (up to 1.3e-06 allowed)"
    )


def test_parameters_and_requires_grad_compare_as_tensors():
    p = graphgrad.nn.Parameter(graphgrad.ones(2))
    graphgrad.testing.assert_close(p, graphgrad.ones(2))
    graphgrad.testing.assert_close(p * 2, graphgrad.full((2,), 2.0))
    with pytest.raises(TypeError, match="No comparison pair"):
        graphgrad.testing.assert_close(p, graphgrad.ones(2), allow_subclasses=False)
