"""Where the engine's gradients end: the one difference between ``backward()`` and ``autograd.grad()``.

The engine offers each node's incoming gradients to its sink first (``sink.take``; only the leaves'
AccumulateGrad nodes when ``sink.leaves_only``); True means the sink consumed them and the node's
derivative does not run.
- ``IntoLeaves``: ``backward()``: every leaf's gradient is summed into its ``.grad``.
- ``AtInputs``: ``autograd.grad()`` and ``backward(inputs=...)``: only the nodes that lead to the inputs
  run, and the inputs' gradients are captured (returned) or summed into their ``.grad``.
"""

from __future__ import annotations

from .accumulate import accumulate, accumulate_array
from .backward_hooks import run_leaf_hooks
from .graph import AccumulateGrad
from .walk import count_inputs, leading_to


class IntoLeaves:
    needed = None  # every node reachable from the roots runs
    leaves_only = True  # take() consumes only AccumulateGrad nodes: the engine asks for no other
    stops_at = frozenset()  # the other nodes whose gradients take() looks at

    def __init__(self, create_graph):
        self.create_graph = create_graph

    def plan(self, root_nodes):
        """The edge counts of the nodes to run, and the set of them (None: all that are reachable)."""
        return count_inputs(root_nodes), None

    def take(self, node, grads):
        if type(node) is AccumulateGrad:
            accumulate(node.variable, grads[0], self.create_graph)
            return True
        return False

    def take_array(self, node, grads):
        """``take`` for a leaf's AccumulateGrad whose one gradient travelled as an array (no graph of the gradient
        is built): False where the leaf has hooks, which see Tensors. ``grads``: the engine's list, handed over."""
        t = node.variable
        extra = t._extra
        if extra is not None and (extra.hooks or extra.post_acc_hooks):
            return False
        accumulate_array(t, grads.pop())
        return True


class AtInputs:
    leaves_only = False

    def __init__(self, inputs, create_graph, accumulate_into_grad):
        """``inputs`` = [((node, output_nr), tensor), ...], as ``edge_of`` gives them."""
        self.inputs = inputs
        self.create_graph = create_graph
        self.accumulate_into_grad = accumulate_into_grad
        self.captured = {}  # input index -> its gradient (when not accumulated)
        self.at = self.stops_at = {}  # node -> [(output_nr, input index), ...]
        for i, ((n, nr), _) in enumerate(inputs):
            if n is not None:
                self.at.setdefault(n, []).append((nr, i))

    def plan(self, root_nodes):
        deps, self.needed = leading_to(root_nodes, self.at)
        return deps, self.needed

    def take(self, node, grads):
        is_leaf = type(node) is AccumulateGrad
        wanted = self.at.get(node)
        if wanted is None:
            return is_leaf
        for nr, i in wanted:
            g = grads[nr]
            if is_leaf:
                g = run_leaf_hooks(node.variable, g)
            if self.accumulate_into_grad:
                accumulate(self.inputs[i][1], g, self.create_graph, hooks_done=True)
            elif g is not None:
                prev = self.captured.get(i)
                self.captured[i] = g if prev is None else prev + g
        # an input's node still runs when other inputs lie behind it
        return is_leaf or not any(nxt in self.needed for nxt, _ in node.next_functions if nxt is not None)
