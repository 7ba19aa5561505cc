"""Checkpoints of ``graphgrad train``: one safetensors file, written with ``graphgrad.save``.

Layout (keys as ``graphgrad inspect`` lists them): ``model.*`` (the model's state_dict),
``optimizer.*`` (the optimizer's state_dict), and as JSON metadata ``format``, ``model_name``,
``epoch`` (the last complete one) and ``meta`` (data, preprocessing and training settings).
"""

from __future__ import annotations

import os

import graphgrad

from . import models
from ._common import CLIError, existing_file, need, sigint_deferred

FORMAT = "graphgrad-train/1"
FILENAME = "checkpoint.safetensors"
# what evaluate and --resume read from a checkpoint's "meta"
META_KEYS = ("data", "data_name", "n_images", "limit", "test_fraction", "in_channels", "classes", "range", "mean",
             "std", "epochs", "batch_size", "optimizer", "lr", "seed", "shift")


def save(path, model_name, model, optimizer, epoch, meta):
    """Write the checkpoint atomically (a temporary file renamed over ``path``), Ctrl-C held back meanwhile."""
    obj = {
        "format": FORMAT,
        "model_name": model_name,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "meta": meta,
    }
    with sigint_deferred():
        graphgrad.save(obj, path)


def read(path):
    """The raw content of a safetensors file, or a CLIError saying why it cannot be read."""
    need("safetensors", purpose="reading checkpoints")
    name = existing_file(path, "a checkpoint file")
    try:
        return graphgrad.load(name)
    except PermissionError:
        raise CLIError(f"{name}: permission denied") from None
    except (OSError, RuntimeError, ValueError) as e:
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        if not message.startswith(name):
            message = f"{name}: {message}"
        raise CLIError(message) from None


def load(path):
    """A checkpoint of ``graphgrad train``: its dict, checked to be one."""
    ckpt = read(path)
    if not (isinstance(ckpt, dict) and ckpt.get("format") == FORMAT):
        raise CLIError(f"{os.fspath(path)}: not a checkpoint written by graphgrad train "
                       "(`graphgrad inspect` lists what it holds)")
    missing = [k for k in ("model", "optimizer", "epoch", "meta") if k not in ckpt]
    missing += [f"meta.{k}" for k in META_KEYS if k not in (ckpt.get("meta") or {})]
    if missing:
        raise CLIError(f"{os.fspath(path)}: a damaged checkpoint of graphgrad train (it lacks {', '.join(missing)})")
    if ckpt.get("model_name") not in models.MODELS:
        raise CLIError(f"{os.fspath(path)}: a checkpoint of the model {ckpt.get('model_name')!r}, "
                       f"which graphgrad train does not know (it knows {', '.join(models.MODELS)})")
    return ckpt


def restore_model(ckpt, path, model_name=None):
    """The model of ``ckpt`` with its weights loaded; ``model_name`` (from --model) must match it."""
    name = ckpt["model_name"]
    if model_name is not None and model_name != name:
        raise CLIError(f"{os.fspath(path)}: this checkpoint is of the model {name!r}, not {model_name!r}; "
                       f"leave out --model to go on with {name!r}, or start a new run with another --out")
    meta = ckpt["meta"]
    model = models.build(name, meta["in_channels"], meta["classes"])
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError, TypeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CLIError(f"{os.fspath(path)}: its weights do not fit the model {name!r} ({first})") from None
    return model
