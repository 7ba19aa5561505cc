"""The ``graphgrad`` command: ``train``, ``evaluate`` and ``inspect`` (also ``python -m graphgrad ...``).

    graphgrad train                      # Conv_Classifier on scikit-learn's digits, >= 97% held-out
    graphgrad train --model mlp --epochs 5
    graphgrad train --data mnist.npz     # arrays x (N×H×W or N×C×H×W) and y (integer labels)
    graphgrad evaluate runs/digits-conv/checkpoint.safetensors
    graphgrad inspect runs/digits-conv/checkpoint.safetensors

Bad input ends with one line on stderr and a non-zero exit status, never a traceback:
2 for bad input, 3 for a missing optional package, 130 for Ctrl-C, 1 for an internal error
(``GRAPHGRAD_DEBUG=1`` shows its traceback).  The heavy extras (scikit-learn, matplotlib, tqdm,
graphviz, safetensors) come with ``pip install 'graphgrad[cli]'``.
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from . import commands, train
from ._common import CLIError
from .train import DEFAULT_LR, DEFAULTS

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise CLIError(f"{self.prog}: {message} (see {self.prog} --help)")


def _int_at_least(minimum):
    """An argparse type: an int of at least ``minimum``, with a one-line error otherwise."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


_positive_int, _nonnegative_int = _int_at_least(1), _int_at_least(0)


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be above 0 and finite, not {text}")
    return value


def build_parser():
    parser = _Parser(prog="graphgrad", description="Train, evaluate and inspect image classifiers with graphgrad.")
    parser.add_argument("--version", action="version", version=f"graphgrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{train,evaluate,inspect}", parser_class=_Parser)

    t = sub.add_parser(
        "train", help="train a classifier (default: the seeds' Conv_Classifier on scikit-learn's digits)",
        description="Train a classifier on images. Without --data: scikit-learn's bundled handwritten digits "
        "(1,797 8x8 scans, upsampled to 28x28 with graphgrad's F.interpolate), a stratified 80/20 split. "
        "Options not given on --resume are taken from the checkpoint.")
    t.add_argument("--model", choices=["conv", "mlp"], default=None,
                   help="conv: the seeds' Conv_Classifier (default); mlp: a 3-layer perceptron")
    t.add_argument("--data", metavar="FILE.npz", default=None,
                   help="train on your own images: arrays x (N×H×W or N×C×H×W) and y (integer labels 0..K-1); "
                   "images are resized to 28x28")
    t.add_argument("--epochs", type=_positive_int, default=None, help=f"(default {DEFAULTS['epochs']})")
    t.add_argument("--batch-size", type=_positive_int, default=None, help=f"(default {DEFAULTS['batch_size']})")
    t.add_argument("--lr", type=_positive_float, default=None,
                   help="initial learning rate, decayed to 0 along a cosine over the epochs "
                   f"(default {DEFAULT_LR['adam']} for adam, {DEFAULT_LR['sgd']} for sgd)")
    t.add_argument("--optimizer", choices=["sgd", "adam"], default=None,
                   help="adam (default) or sgd (with momentum 0.9)")
    t.add_argument("--seed", type=int, default=None, help="same seed, same numbers (default 0)")
    t.add_argument("--shift", type=_nonnegative_int, default=None,
                   help=f"augmentation: move training images by up to this many pixels (default {DEFAULTS['shift']}; "
                   "0 turns it off)")
    t.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="use a stratified subset of N images (for quick runs)")
    t.add_argument("--out", metavar="DIR", default=None,
                   help="where the checkpoint, metrics.csv and plots go (default runs/<data>-<model>)")
    t.add_argument("--resume", action="store_true", help="continue from DIR/checkpoint.safetensors")
    t.add_argument("--quiet", action="store_true", help="no progress bar and no per-epoch lines")

    e = sub.add_parser("evaluate", help="accuracy and confusion matrix of a checkpoint",
                       description="Print the accuracy and the confusion matrix of a checkpoint, on --data or "
                       "on the held-out part of the data it was trained on.")
    e.add_argument("checkpoint", metavar="CHECKPOINT")
    e.add_argument("--data", metavar="FILE.npz", default=None, help="arrays x and y, as for train")

    i = sub.add_parser("inspect", help="list the tensors of a checkpoint (name, shape, dtype, bytes)",
                       description="List the tensors of a checkpoint, or of any safetensors file.")
    i.add_argument("checkpoint", metavar="CHECKPOINT")
    return parser


def main(argv=None):
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        if args.command == "train":
            return train.run(args)
        return getattr(commands, args.command)(args)
    except CLIError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `graphgrad ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # the file system said no: permissions, a full disk, ...
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug, not bad input: still one line, the traceback on request
        if os.environ.get("GRAPHGRAD_DEBUG"):
            raise
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        print(f"error: internal error: {type(e).__name__}: {first} (set GRAPHGRAD_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1
