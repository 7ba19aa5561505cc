"""``graphgrad evaluate`` and ``graphgrad inspect``."""

from __future__ import annotations

import os

import numpy as np

import graphgrad as torch

from . import checkpoint, data, report, train
from ._common import CLIError


def evaluate(args):
    """Accuracy and confusion matrix of a checkpoint on --data, or on the held-out part of its own data."""
    ckpt = checkpoint.load(args.checkpoint)
    model = checkpoint.restore_model(ckpt, args.checkpoint)
    meta = ckpt["meta"]
    if args.data is not None:
        images = data.load_npz(args.data)
        x_raw, y = images.x, images.y
        what = f"{images.name} ({len(y):,} images)"
    else:
        source = meta["data"]
        if source != "digits" and not os.path.exists(source):
            raise CLIError(f"{args.checkpoint} was trained on {source}, which is gone; pass --data FILE.npz")
        images = data.load_digits() if source == "digits" else data.load_npz(source)
        if len(images.y) != meta["n_images"]:
            raise CLIError(f"{images.name} has changed since training ({len(images.y)} images, "
                           f"not {meta['n_images']}); pass --data FILE.npz")
        _, test_idx = data.split(images.y, meta.get("limit"), meta.get("split_seed", data.SPLIT_SEED))
        x_raw, y = images.x[test_idx], images.y[test_idx]
        what = f"the held-out {100 * meta['test_fraction']:.0f}% of {images.name} ({len(y):,} images)"
    if x_raw.shape[1] != meta["in_channels"]:
        raise CLIError(f"{images.name}: the images have {x_raw.shape[1]} channel(s), but the model takes "
                       f"{meta['in_channels']}")
    if int(y.max()) >= meta["classes"]:
        raise CLIError(f"{images.name}: labels out of range: y holds {int(y.max())}, but the model knows "
                       f"{meta['classes']} classes (0..{meta['classes'] - 1})")
    lo, hi = meta["range"]  # how the training images were scaled to [0, 1]
    if args.data is not None:
        own = data.value_range(x_raw)
        if own == (0.0, 1.0) or (lo, hi) == (0.0, 1.0):  # already in [0, 1], or no scale to reuse
            lo, hi = own
    x = data.prepare(x_raw, lo, hi)
    loss, acc, pred = train.evaluate(model, x, y, meta["mean"], meta["std"])
    cm = report.confusion_matrix(y, pred, meta["classes"])
    print(f"{args.checkpoint}: model {ckpt['model_name']}, epoch {ckpt['epoch']}, on {what}")
    print(f"accuracy {100 * acc:.2f}% ({int(np.trace(cm))}/{len(y)}), loss {loss:.4f}")
    print(report.format_confusion(cm))
    return 0


def _flatten(obj, prefix=""):
    """(dotted name, tensor) for every tensor in a nested checkpoint, in stored order."""
    if isinstance(obj, torch.Tensor):
        yield prefix or "tensor", obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _flatten(v, f"{prefix}.{i}" if prefix else str(i))


def inspect(args):
    """List the tensors of any safetensors file; for a training checkpoint, say what it is first."""
    obj = checkpoint.read(args.checkpoint)
    rows = [(name, tuple(t.shape), str(t.dtype).replace("graphgrad.", ""), t.numel() * t.element_size())
            for name, t in _flatten(obj)]
    if isinstance(obj, dict) and obj.get("format") == checkpoint.FORMAT:
        meta = obj.get("meta", {})
        acc = meta.get("test_accuracy")
        print(f"{args.checkpoint}: graphgrad train checkpoint of model {obj.get('model_name')!r}, "
              f"epoch {obj.get('epoch')}, trained on {meta.get('data_name')}"
              + (f", held-out accuracy {100 * acc:.2f}%" if acc is not None else ""))
    else:
        print(f"{args.checkpoint}: safetensors file")
    if not rows:
        print("no tensors")
        return 0
    shapes = ["(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")" for _, s, _, _ in rows]
    w_name = max(4, *(len(r[0]) for r in rows))
    w_shape = max(5, *(len(s) for s in shapes))
    w_dtype = max(5, *(len(r[2]) for r in rows))
    print(f"{'name':<{w_name}}  {'shape':<{w_shape}}  {'dtype':<{w_dtype}}  {'bytes':>10}")
    for (name, _, dtype, nbytes), shape in zip(rows, shapes):
        print(f"{name:<{w_name}}  {shape:<{w_shape}}  {dtype:<{w_dtype}}  {nbytes:>10,}")
    total = sum(r[3] for r in rows)
    print(f"{len(rows)} tensor{'s' if len(rows) != 1 else ''}, {total:,} bytes")
    return 0
