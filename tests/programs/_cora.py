"""Small generated graphs in Cora's file format, standing in for the Cora download in the graph programs."""

import os

import numpy as np


def write_cora(path, n_nodes, n_features, n_edges, seed, density, hint=False):
    """'<id> <binary features...> <label>' lines in cora.content and '<cited> <citing>' in cora.cites: three
    labels, features set with probability ``density``; ``hint``: each node also gets one feature of its label's
    third of the features (so that a model has something to learn)."""
    rng = np.random.default_rng(seed)
    os.makedirs(path, exist_ok=True)
    ids = rng.choice(np.arange(1000, 9999), size=n_nodes, replace=False)
    kinds = rng.integers(0, 3, n_nodes)
    labels = np.array(["Theory", "Neural_Networks", "Rule_Learning"])[kinds]
    features = (rng.random((n_nodes, n_features)) < density).astype(int)
    if hint:
        third = n_features // 3
        features[np.arange(n_nodes), kinds * third + rng.integers(0, third, n_nodes)] = 1
    with open(os.path.join(path, 'cora.content'), 'w') as f:
        for node, row, label in zip(ids, features, labels):
            f.write(" ".join([str(node), *map(str, row), label]) + "\n")
    edges = rng.integers(0, n_nodes, size=(n_edges, 2))
    with open(os.path.join(path, 'cora.cites'), 'w') as f:
        for a, b in edges:
            if a != b:
                f.write(f"{ids[a]} {ids[b]}\n")
