"""Every index kind PyTorch accepts, read, written and differentiated, compared with PyTorch.

``x[range(3), 2] = 5.0`` once wrote into a copy and left x unchanged; each case here checks that a write
lands in x, with the values, errors and gradients PyTorch gives.
"""

import warnings

import numpy as np
import pytest

import graphgrad as gg


def _index(lib, name):
    t = lib.tensor
    return {
        "range": range(3), "range_and_int": (range(3), 2), "range_step": (range(0, 3, 2), slice(None), range(2)),
        "range_negative": range(-1, -3, -1), "range_out_of_bounds": range(5),
        "nested_list": [[0, 1], [2, 0]], "tuple_of_lists": ([0, 1], [1, 2]), "tuples_in_tuple": ((0, 1), (1, 2)),
        "list_of_bools": [True, False, True], "np_int": np.array([0, 2]), "np_int32": np.array([0, 2], np.int32),
        "np_bool": np.array([True, False, True]), "np_bool_2d": np.ones((3, 4), dtype=bool),
        "np_broadcast": (np.array([[0], [2]]), np.array([1, 3])), "np_uint8_mask": np.array([1, 0, 1], np.uint8),
        "np_float": np.array([0.0]), "np_scalars": (np.int64(1), np.int32(2)), "np_bool_scalar": np.bool_(True),
        "ellipsis_none": (Ellipsis, None), "none_ellipsis_int": (None, Ellipsis, 1),
        "ellipsis_list": (Ellipsis, [0, 2]),
        "two_ellipses": (Ellipsis, Ellipsis), "true": True, "false": False, "int_true": (1, True),
        "zero_d_tensor": t(1), "zero_d_tensor_second": (slice(None), t(2)), "negative_step": slice(None, None, -1),
        "zero_step": slice(None, None, 0), "list_slice_list": ([0, 2], slice(1, 3), [1, 4]),
        "separated_lists": ([0, 2], 1, [1, 4]), "int_none_list": (0, None, [0, 0]), "float_list": [0.0, 1.0],
        "empty_list": [], "list_of_tensors": [t(0), t(2)], "list_tensor_and_int": [t(0), 1],
        "bool_tensor": t([True, False, True]), "str": "a", "float": 1.5, "dict": {1: 2},
    }[name]


NAMES = [
    "range", "range_and_int", "range_step", "range_negative", "range_out_of_bounds", "nested_list", "tuple_of_lists",
    "tuples_in_tuple", "list_of_bools", "np_int", "np_int32", "np_bool", "np_bool_2d", "np_broadcast",
    "np_uint8_mask", "np_float", "np_scalars", "np_bool_scalar", "ellipsis_none", "none_ellipsis_int",
    "ellipsis_list", "two_ellipses", "true", "false", "int_true", "zero_d_tensor", "zero_d_tensor_second",
    "negative_step", "zero_step", "list_slice_list", "separated_lists", "int_none_list", "float_list",
    "empty_list", "list_of_tensors", "list_tensor_and_int", "bool_tensor", "str", "float", "dict",
]


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn()
        return ("ok", np.asarray(r.detach().numpy()).tolist())
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return (type(e).__name__, str(e).split("\n")[0])


def _x(lib, requires_grad=False):
    return lib.arange(60, dtype=lib.float32).reshape(3, 4, 5).requires_grad_(requires_grad)


def _read(lib, idx):
    return _x(lib)[idx]


def _write_number(lib, idx):
    y = _x(lib)
    y[idx] = -1.0
    return y


def _write_broadcast(lib, idx):
    y = _x(lib)
    y[idx] = lib.tensor([7.0])
    return y


def _write_rows(lib, idx):
    """A value broadcast along the indexed region's leading dimensions."""
    y = _x(lib)
    y[idx] = lib.arange(y[idx].shape[-1], dtype=lib.float32) if y[idx].dim() else lib.tensor(3.0)
    return y


def _grad_of_read(lib, idx):
    x = _x(lib, True)
    (x[idx] * x[idx]).sum().backward()
    return x.grad


def _grad_of_write(lib, idx):
    """Gradients through x[idx] = v for both the written tensor and the value."""
    x = _x(lib, True)
    v = lib.tensor(2.0, requires_grad=True)
    y = x * 1.0
    y[idx] = v * 3.0
    (y * y).sum().backward()
    return lib.cat([x.grad.reshape(-1), v.grad.reshape(1)])


@pytest.mark.parametrize("how", [_read, _write_number, _write_broadcast, _write_rows, _grad_of_read,
                                 _grad_of_write])
@pytest.mark.parametrize("name", NAMES)
def test_index_kind_matches_pytorch(torch_ref, name, how):
    mine = _outcome(lambda: how(gg, _index(gg, name)))
    theirs = _outcome(lambda: how(torch_ref, _index(torch_ref, name)))
    assert mine == theirs


def test_range_write_lands_in_the_tensor():
    x = gg.zeros(3, 4)
    x[range(3), 2] = 5.0
    assert x[:, 2].tolist() == [5.0, 5.0, 5.0] and x.sum().item() == 15.0


def test_list_read_as_tuple_warns_as_pytorch():
    x = gg.arange(12.0).reshape(3, 4)
    with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional indexing"):
        assert x[[[0, 1], [1, 2]]].tolist() == [1.0, 6.0]
