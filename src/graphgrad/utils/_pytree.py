"""``graphgrad.utils._pytree``: nested containers flattened to a list of leaves and a ``TreeSpec`` that
rebuilds them, as ``torch.utils._pytree`` does. Lists, tuples, named tuples, dicts and OrderedDicts are
nodes; everything else (tensors, numbers, None) is a leaf.

>>> leaves, spec = tree_flatten({"a": [1, (2, 3)], "b": 4})
>>> leaves
[1, 2, 3, 4]
>>> tree_unflatten([x * 10 for x in leaves], spec)
{'a': [10, (20, 30)], 'b': 40}
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_map"]


class _NamedTupleNode:
    """The node type of every named tuple (its class is the spec's context)."""


_NamedTupleNode.__name__ = "namedtuple"


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(type(obj), "_fields")


def _children(tree):
    """(node type, context, children) of a container, or None for a leaf."""
    if _is_namedtuple(tree):
        return _NamedTupleNode, type(tree), list(tree)
    if type(tree) in (list, tuple):
        return type(tree), None, list(tree)
    if type(tree) in (dict, OrderedDict):
        return type(tree), list(tree), list(tree.values())
    return None


def _rebuild(node_type, context, children):
    if node_type is _NamedTupleNode:
        return context(*children)
    if node_type in (dict, OrderedDict):
        return node_type(zip(context, children))
    return node_type(children)


class TreeSpec:
    """The shape of a flattened tree: its node type, the context that rebuilds it (dict keys, the named
    tuple's class) and one spec per child."""

    def __init__(self, type, context, children_specs):
        self.type, self.context, self.children_specs = type, context, list(children_specs)
        self.num_nodes = 1 + sum(child.num_nodes for child in self.children_specs)
        self.num_leaves = sum(child.num_leaves for child in self.children_specs)
        self.num_children = len(self.children_specs)

    def is_leaf(self):
        return False

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.type is other.type and self.context == other.context
                and self.children_specs == other.children_specs)

    def __repr__(self, indent=0):
        context = self.context if self.type is not _NamedTupleNode else repr(self.context)
        children = ""
        if self.children_specs:
            indent += 2
            children = self.children_specs[0].__repr__(indent) + ("," if self.num_children > 1 else "")
            children += ",".join("\n" + " " * indent + child.__repr__(indent) for child in self.children_specs[1:])
        return f"TreeSpec({self.type.__name__}, {context}, [{children}])"

    def unflatten(self, leaves):
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers "
                             f"to a pytree that holds {self.num_leaves} items ({self!r}).")
        return self._build(iter(leaves))

    def _build(self, leaves):
        return _rebuild(self.type, self.context, [child._build(leaves) for child in self.children_specs])

    def flatten_up_to(self, tree):
        """The subtrees of ``tree`` at this spec's leaves (``tree`` must have this spec's nodes)."""
        node_type, context, children = _children(tree) or (type(tree), None, [])
        if node_type is not self.type:
            raise ValueError(f"Node type mismatch; expected {self.type!r}, but got {type(tree)!r}.")
        if len(children) != self.num_children:
            raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got {len(children)}.")
        if context != self.context:
            raise ValueError(f"Node context mismatch for node type {self.type!r}; expected {self.context!r}, "
                             f"but got {context!r}.")
        return [leaf for spec, child in zip(self.children_specs, children) for leaf in spec.flatten_up_to(child)]


class LeafSpec(TreeSpec):
    """The spec of a leaf, shown as ``*``."""

    def __init__(self):
        super().__init__(None, None, [])
        self.num_nodes, self.num_leaves = 1, 1

    def is_leaf(self):
        return True

    def __eq__(self, other):
        return isinstance(other, LeafSpec)

    def __repr__(self, indent=0):
        return "*"

    def _build(self, leaves):
        return next(leaves)

    def flatten_up_to(self, tree):
        return [tree]


def tree_flatten(tree, is_leaf=None):
    """(leaves in order, spec): ``tree_unflatten(leaves, spec)`` rebuilds ``tree``. ``is_leaf(x)`` True stops
    the descent at ``x``."""
    leaves = []

    def walk(node):
        parts = None if is_leaf is not None and is_leaf(node) else _children(node)
        if parts is None:
            leaves.append(node)
            return LeafSpec()
        node_type, context, children = parts
        return TreeSpec(node_type, context, [walk(child) for child in children])

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, treespec):
    """The tree of ``treespec`` with ``leaves`` in its places."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance of TreeSpec but "
                        f"got item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """The same tree with ``func(leaf, *matching leaves of rests)`` at every leaf.

    >>> tree_map(lambda x: x * 2, {"a": [1, 2]})
    {'a': [2, 4]}
    """
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten([func(*values) for values in zip(leaves, *others)])
