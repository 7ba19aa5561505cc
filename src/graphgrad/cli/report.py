"""What ``graphgrad train`` writes besides the checkpoint: metrics.csv, plots and the graph of one step."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys

import numpy as np

from ..autograd.graph import describe
from ..viz import make_dot
from ._common import atomic_write_bytes, atomic_write_text, need

METRIC_FIELDS = ["epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "seconds"]


# --- metrics.csv ------------------------------------------------------------------------------------------
def write_metrics(path, rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=METRIC_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    atomic_write_text(path, buf.getvalue())


def read_metrics(path, up_to_epoch):
    """The rows of an earlier run's metrics.csv up to ``up_to_epoch`` (for --resume); [] if unreadable."""
    try:
        with open(path, newline="") as f:
            rows = [
                {k: (int(v) if k == "epoch" else float(v)) for k, v in row.items() if k in METRIC_FIELDS}
                for row in csv.DictReader(f)
            ]
    except (OSError, ValueError, TypeError):
        return []
    return [r for r in rows if r.get("epoch", 0) <= up_to_epoch and len(r) == len(METRIC_FIELDS)]


# --- confusion matrix -------------------------------------------------------------------------------------
def confusion_matrix(y_true, y_pred, classes):
    """(classes, classes) counts: row = true label, column = predicted label."""
    cm = np.zeros((classes, classes), np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def format_confusion(cm):
    """The confusion matrix as a text table (rows: true label, columns: predicted)."""
    k = len(cm)
    width = max(3, len(str(cm.max())) + 1, len(str(k - 1)) + 1)
    lines = ["confusion matrix (rows: true label, columns: predicted label)"]
    lines.append("true\\pred" + "".join(f"{j:>{width}}" for j in range(k)))
    for i in range(k):
        lines.append(f"{i:>9}" + "".join(f"{v:>{width}}" for v in cm[i]))
    return "\n".join(lines)


# --- plots ------------------------------------------------------------------------------------------------
def _figure(**kw):
    need("matplotlib", purpose="drawing the plots")
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state (Agg renders)

    return Figure(**kw)


def _save_png(fig, path):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write_bytes(path, buf.getvalue())


def plot_curves(path, rows, title):
    """Loss and accuracy per epoch, training and held-out, side by side."""
    epochs = [r["epoch"] for r in rows]
    fig = _figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for key, label in (("train_loss", "training"), ("test_loss", "held-out")):
        ax_loss.plot(epochs, [r[key] for r in rows], marker="o", label=label)
    for key, label in (("train_accuracy", "training"), ("test_accuracy", "held-out")):
        ax_acc.plot(epochs, [100 * r[key] for r in rows], marker="o", label=label)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    _save_png(fig, path)


def plot_confusion(path, cm, title):
    k = len(cm)
    size = min(max(4.0, 0.45 * k + 2), 16.0)  # inches: many classes share one readable page
    fig = _figure(figsize=(size, size), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(cm, cmap="Blues")
    fig.colorbar(im, ax=ax, shrink=0.8)
    if k <= 30:
        ax.set_xticks(range(k))
        ax.set_yticks(range(k))
        threshold = cm.max() / 2 if cm.max() else 1
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                            color="white" if cm[i, j] > threshold else "black")
    ax.set(xlabel="predicted label", ylabel="true label", title=title)
    _save_png(fig, path)


# --- the graph of one training step -----------------------------------------------------------------------
def graph_sources(loss, model):
    """(DOT source, text description) of the graph behind ``loss``, named by the model's parameters.

    Taken before ``backward()``, while the graph still holds its saved tensors; the DOT text comes from
    ``graphgrad.viz.make_dot(...).source`` and the text from ``graphgrad.autograd.graph.describe``.
    """
    params = dict(model.named_parameters())
    return make_dot(loss, params=params, show_saved=True).source, describe(loss, params=params)


def write_graph(out_dir, dot_source, text):
    """graph.dot and graph.txt always; graph.svg when Graphviz's ``dot`` program is installed."""
    written = ["graph.dot", "graph.txt"]
    atomic_write_text(os.path.join(out_dir, "graph.dot"), dot_source)
    atomic_write_text(os.path.join(out_dir, "graph.txt"), text + "\n")
    dot = shutil.which("dot")
    if not dot:
        print("note: graph.svg not written: Graphviz's `dot` program is not installed (graph.dot holds the graph; "
              "install Graphviz, e.g. apt-get install graphviz, to render it)", file=sys.stderr)
        return written
    try:
        svg = subprocess.run([dot, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as e:
        print(f"note: graph.svg not written: `dot -Tsvg` failed ({type(e).__name__})", file=sys.stderr)
        return written
    atomic_write_bytes(os.path.join(out_dir, "graph.svg"), svg)
    written.append("graph.svg")
    return written
