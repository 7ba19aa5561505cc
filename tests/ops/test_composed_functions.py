"""tensordot, rot90, block_diag, cartesian_prod, combinations, take_along_dim, isin, searchsorted, tril/triu_indices,
meshgrid, linalg.inv and linalg.solve: what they answer to inputs PyTorch refuses (the error's type and first
line) and their edge cases, compared with PyTorch. Their values, gradients and nodes are cases of
test_ops_registry."""

from __future__ import annotations

import pytest

from .._fuzz import outcome, same_outcome

PROGRAMS = {
    "tensordot_sizes": lambda T: T.tensordot(T.ones(2, 3), T.ones(4, 5), dims=1),
    "tensordot_pair_sizes": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=([0], [0])),
    "tensordot_negative": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=-1),
    "tensordot_unequal_lists": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=([1, 0], [0])),
    "tensordot_tensor_dims": lambda T: T.tensordot(T.ones(2, 3), T.ones(2, 3), dims=T.tensor(2)),
    "tensordot_out": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4), dims=1, out=T.empty(0)),
    "rot90_one_dim": lambda T: T.rot90(T.ones(2, 3), 1, [0]),
    "rot90_vector": lambda T: T.rot90(T.ones(3), 1, [0, 1]),
    "rot90_same_dims": lambda T: T.rot90(T.ones(2, 3), 1, [0, -2]),
    "rot90_out_of_range": lambda T: T.rot90(T.ones(2, 3), 1, [0, 2]),
    "rot90_k": lambda T: [T.rot90(T.arange(6).reshape(2, 3), k) for k in (-3, 0, 5)],
    "block_diag_3d": lambda T: T.block_diag(T.ones(2), T.ones(2, 2, 2)),
    "block_diag_none": lambda T: T.block_diag(),
    "block_diag_promotes": lambda T: T.block_diag(T.tensor([1, 2]), T.tensor([1.5]), T.tensor(True)),
    "cartesian_prod_2d": lambda T: T.cartesian_prod(T.ones(2, 3)),
    "cartesian_prod_one": lambda T: T.cartesian_prod(T.tensor([1, 2])),
    "cartesian_prod_dtypes": lambda T: T.cartesian_prod(T.tensor([1.0, 2.0]), T.tensor([5, 6])),
    "combinations_2d": lambda T: T.combinations(T.ones(2, 3)),
    "combinations_negative": lambda T: T.combinations(T.ones(3), -1),
    "combinations_none": lambda T: [T.combinations(T.ones(3), 0), T.combinations(T.tensor([1, 2]), 3)],
    "take_along_dim_ranks": lambda T: T.take_along_dim(T.ones(2, 3), T.tensor([0, 1]), 1),
    "take_along_dim_float_indices": lambda T: T.take_along_dim(T.ones(2, 3), T.tensor([0.0])),
    "take_along_dim_int32": lambda T: T.take_along_dim(T.arange(6.0).reshape(2, 3),
                                                       T.tensor([[2], [0]], dtype=T.int32), 1),
    "isin_numbers": lambda T: T.isin(1, 2),
    "searchsorted_opposites": lambda T: T.searchsorted(T.tensor([1.0, 2.0]), T.tensor([1.0]), side="left", right=True),
    "searchsorted_side": lambda T: T.searchsorted(T.tensor([1.0, 2.0]), T.tensor([1.0]), side="middle"),
    "searchsorted_leading_dims": lambda T: T.searchsorted(T.tensor([[1.0, 2.0], [3.0, 4.0]]), T.tensor([[1.0, 3.0]])),
    "searchsorted_number": lambda T: T.searchsorted(T.tensor([1.0, 3.0]), 2),
    "tril_indices_float": lambda T: T.tril_indices(3, 3, dtype=T.float32),
    "tril_indices_negative": lambda T: T.tril_indices(-1, 3),
    "triu_indices_far_offsets": lambda T: [T.triu_indices(3, 3, -5), T.tril_indices(4, 2, 5), T.triu_indices(0, 3)],
    "meshgrid_dtypes": lambda T: T.meshgrid(T.tensor([1.0, 2.0]), T.tensor([5, 6]), indexing="ij"),
    "meshgrid_indexing": lambda T: T.meshgrid(T.ones(2), indexing="ab"),
    "meshgrid_empty": lambda T: T.meshgrid(),
    "meshgrid_scalar": lambda T: T.meshgrid(T.tensor(1.0), T.ones(3), indexing="xy"),
    "inv_vector": lambda T: T.linalg.inv(T.ones(3)),
    "inv_integers": lambda T: T.linalg.inv(T.ones(2, 2, dtype=T.long)),
    "inv_not_square": lambda T: T.linalg.inv(T.ones(2, 3)),
    "inv_singular": lambda T: T.linalg.inv(T.tensor([[1.0, 2.0], [2.0, 4.0]])),
    "inv_singular_batch": lambda T: T.linalg.inv(T.stack([T.eye(2), T.zeros(2, 2)])),
    "inv_empty": lambda T: T.linalg.inv(T.zeros(0, 0)),
    "solve_not_square": lambda T: T.linalg.solve(T.ones(2, 3), T.ones(2)),
    "solve_sizes": lambda T: T.linalg.solve(T.eye(3), T.ones(2, 1)),
    "solve_vector_sizes": lambda T: T.linalg.solve(T.eye(3), T.ones(2)),
    "solve_right_sizes": lambda T: T.linalg.solve(T.eye(3), T.ones(3, 5), left=False),
    "solve_dtypes": lambda T: T.linalg.solve(T.eye(3), T.ones(3, dtype=T.float64)),
    "solve_integers": lambda T: T.linalg.solve(T.eye(3, dtype=T.long), T.ones(3, dtype=T.long)),
    "solve_singular": lambda T: T.linalg.solve(T.zeros(2, 2), T.ones(2)),
    "solve_singular_batch": lambda T: T.linalg.solve(T.stack([T.eye(2), T.zeros(2, 2)]), T.ones(2, 2)),
    "solve_shapes": lambda T: [T.linalg.solve(T.eye(3).expand(4, 3, 3), b) for b in (T.ones(4, 3), T.ones(3),
                                                                                      T.ones(2, 1, 3, 5))],
    "solve_singular_is_linalg_error": lambda T: isinstance(_raised(lambda: T.linalg.solve(T.zeros(1, 1), T.ones(1))),
                                                           T.linalg.LinAlgError),
}


def _raised(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the exception is the result
        return e
    return None


@pytest.mark.parametrize("name", PROGRAMS)
def test_as_pytorch(name, torch_ref):
    program = PROGRAMS[name]
    difference = same_outcome(outcome(program, __import__("graphgrad")), outcome(program, torch_ref))
    assert difference is None, difference


def test_meshgrid_without_indexing_warns_as_pytorch(torch_ref):
    import graphgrad
    from graphgrad._core import sites

    sites._WARNED.discard("meshgrid-indexing")
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        graphgrad.meshgrid(graphgrad.ones(2), graphgrad.ones(3))


def test_meshgrid_of_a_matrix_names_its_type_and_size(torch_ref):
    # PyTorch's text goes on with the tensor's values in its legacy print; graphgrad gives its type and size
    import graphgrad

    prefix = "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
    for T in (graphgrad, torch_ref):
        with pytest.raises(RuntimeError, match="^" + prefix.replace(".", r"\.")):
            T.meshgrid(T.ones(2, 2), T.ones(3), indexing="ij")
    with pytest.raises(RuntimeError, match=r"\[ torch\.FloatTensor\{2,2\} \]"):
        graphgrad.meshgrid(graphgrad.ones(2, 2), graphgrad.ones(3), indexing="ij")
