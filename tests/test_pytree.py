"""graphgrad.utils._pytree against torch.utils._pytree: the same leaves, specs (repr, equality, counts),
rebuilt trees and errors."""

import collections

import pytest

import graphgrad as gg
from graphgrad.utils import _pytree as mine

Point = collections.namedtuple("Point", "x y")

TREES = [None, 1, [1, (2, 3)], {"b": 1, "a": [2, None]}, collections.OrderedDict(b=1, a=2), Point(1, [2]),
         (), [], {}, [[[]], {"k": (1,)}, Point((), 3)], gg.ones(2)]


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_flatten_and_unflatten_as_pytorch(torch_ref, tree):
    from torch.utils import _pytree as theirs

    leaves, spec = mine.tree_flatten(tree)
    their_leaves, their_spec = theirs.tree_flatten(tree)
    assert [id(leaf) for leaf in leaves] == [id(leaf) for leaf in their_leaves]
    assert repr(spec) == repr(their_spec).replace("__main__.", __name__ + ".")
    assert (spec.num_leaves, spec.num_nodes, spec.is_leaf()) == (their_spec.num_leaves, their_spec.num_nodes,
                                                                 their_spec.is_leaf())
    rebuilt = mine.tree_unflatten(leaves, spec)
    assert type(rebuilt) is type(tree) and repr(rebuilt) == repr(tree)
    assert spec == mine.tree_structure(tree) and mine.tree_leaves(tree) == leaves


def _error(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - the exception is the answer being compared
        return type(e).__name__, str(e)


@pytest.mark.parametrize("call", [
    "p.tree_map(lambda a, b: a + b, [1, 2], [3, 4, 5])",
    "p.tree_map(lambda a, b: a + b, [1, 2], (3, 4))",
    "p.tree_unflatten([1, 2], p.tree_flatten([1])[1])",
])
def test_errors_as_pytorch(torch_ref, call):
    from torch.utils import _pytree as theirs

    assert _error(lambda: eval(call, {"p": mine})) == _error(lambda: eval(call, {"p": theirs}))


def test_tree_map_over_several_trees_and_is_leaf():
    assert mine.tree_map(lambda a, b: a + b, {"a": [1, 2]}, {"a": [10, 20]}) == {"a": [11, 22]}
    assert mine.tree_map(str, [1, (2, 3)], is_leaf=lambda x: isinstance(x, tuple)) == ["1", "(2, 3)"]
