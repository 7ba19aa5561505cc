"""Images and labels for ``graphgrad train``: scikit-learn's digits or the user's .npz, checked and prepared.

Every data set goes through the same steps, in ``prepare``: pixel values are scaled to [0, 1] (when they
lie outside it, by the data's minimum and maximum, which the checkpoint keeps so that ``evaluate``
scales new data the same way), and images that are not 28x28 are resized with graphgrad's own
``F.interpolate(mode="bilinear")``.  The held-out 20% is a stratified split with a fixed seed
(``SPLIT_SEED``), so that every run and ``graphgrad evaluate`` use the same test images.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass

import numpy as np

import graphgrad as torch

from ._common import CLIError, existing_file, need

SIDE = 28  # the models' input size: Conv_Classifier's view(-1, 256) needs 28x28
SPLIT_SEED = 0
TEST_FRACTION = 0.2
MAX_CLASSES = 10_000


@dataclass
class Images:
    """Raw images ``x`` (N, C, H, W) and labels ``y`` (N,) as they were read, and where from."""

    x: np.ndarray
    y: np.ndarray
    source: str  # "digits" or the path of an .npz file
    name: str  # for messages: "scikit-learn's digits" or the file name


def load_digits():
    """scikit-learn's bundled handwritten digits: 1,797 real 8x8 scans (values 0..16), 10 classes."""
    datasets = need("sklearn.datasets", purpose="the digits data set (the default data of graphgrad train)")
    digits = datasets.load_digits()
    return Images(digits.images[:, None].astype(np.float32), digits.target.astype(np.int64), "digits",
                  "scikit-learn's digits")


def load_npz(path):
    """Read arrays ``x`` (N×H×W or N×C×H×W) and ``y`` (N integer labels) from ``path``, checking both."""
    name = existing_file(path, "an .npz file")
    try:
        f = np.load(name, allow_pickle=False)
    except ValueError:  # np.load takes a file it does not recognise for a pickle, and refuses it
        raise CLIError(f"{name}: not a readable .npz file (neither an .npz archive nor an .npy array; "
                       "pickled data is never loaded)") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise CLIError(f"{name}: not a readable .npz file ({type(e).__name__}: {e})") from None
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise CLIError(f"{name}: a single .npy array, not an .npz file with arrays x and y "
                       "(write one with np.savez(path, x=images, y=labels))")
    with f:
        missing = [k for k in ("x", "y") if k not in f.files]
        if missing:
            have = ", ".join(f.files) if f.files else "no arrays"
            raise CLIError(f"{name}: expected arrays x (images) and y (labels), but it holds {have}")
        try:
            x, y = f["x"], f["y"]
        except ValueError as e:
            if "Object arrays" in str(e):
                raise CLIError(f"{name}: x or y is an array of Python objects; save numbers "
                               "(uint8/float images, integer labels)") from None
            raise CLIError(f"{name}: not a readable .npz file ({str(e).splitlines()[0]})") from None
        except (OSError, zipfile.BadZipFile, EOFError) as e:
            raise CLIError(f"{name}: not a readable .npz file ({type(e).__name__}: {e})") from None
    return Images(*check_arrays(x, y, name), source=os.path.abspath(name), name=os.path.basename(name))


def check_arrays(x, y, name):
    """``x`` as (N, C, H, W) and ``y`` as int64, or a CLIError that says what is wrong."""
    if x.dtype.kind not in "biuf":
        raise CLIError(f"{name}: x has dtype {x.dtype}; expected numbers (uint8 or float images)")
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4:
        if x.shape[1] > 4 and x.shape[3] <= 4:
            raise CLIError(f"{name}: x has shape {x.shape}, which looks channels-last (N×H×W×C); "
                           "save it as N×C×H×W, e.g. x.transpose(0, 3, 1, 2)")
    else:
        raise CLIError(f"{name}: x has shape {x.shape}; expected images N×H×W or N×C×H×W")
    n = x.shape[0]
    if n == 0 or x.size == 0:
        raise CLIError(f"{name}: the data set is empty (x has shape {x.shape})")
    if y.ndim != 1 or y.shape[0] != n:
        raise CLIError(f"{name}: y has shape {y.shape}; expected ({n},), one label per image of x")
    if y.dtype.kind not in "iu":
        raise CLIError(f"{name}: y has dtype {y.dtype}; expected integer class labels 0, 1, 2, ...")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise CLIError(f"{name}: x holds NaN or infinite values")
    lo, hi = int(y.min()), int(y.max())
    if lo < 0:
        raise CLIError(f"{name}: labels out of range: y holds {lo}; labels are class numbers 0, 1, 2, ...")
    if hi >= MAX_CLASSES:
        raise CLIError(f"{name}: labels out of range: y holds {hi}; labels are class numbers 0..K-1 "
                       f"(at most {MAX_CLASSES} classes)")
    return x, y.astype(np.int64)


def value_range(x):
    """(lo, hi) that map ``x`` into [0, 1]: (0, 1) when it is already there, else its min and max."""
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    return lo, (hi if hi > lo else lo + 1.0)


def prepare(x, lo, hi, chunk=2048):
    """Images as float32 (N, C, 28, 28) in [0, 1]: scaled by (lo, hi), resized with ``F.interpolate``."""
    x = ((x.astype(np.float32) - lo) / (hi - lo)).astype(np.float32)
    if x.shape[2:] == (SIDE, SIDE):
        return np.ascontiguousarray(x)
    F = torch.nn.functional
    out = np.empty(x.shape[:2] + (SIDE, SIDE), np.float32)
    with torch.no_grad():
        for i in range(0, len(x), chunk):
            part = torch.from_numpy(np.ascontiguousarray(x[i : i + chunk]))
            out[i : i + chunk] = F.interpolate(part, size=(SIDE, SIDE), mode="bilinear", align_corners=False).numpy()
    return out


def _stratified(indices, y, size, seed):
    """``train_test_split`` of ``indices`` (stratified by ``y`` when every class allows it)."""
    ms = need("sklearn.model_selection", purpose="the train/test split")
    try:
        return ms.train_test_split(indices, test_size=size, stratify=y, random_state=seed)
    except ValueError:  # a class too small to be split: fall back to a plain shuffled split
        return ms.train_test_split(indices, test_size=size, random_state=seed)


def split(y, limit=None, seed=SPLIT_SEED):
    """Indices (train, test): the held-out ``TEST_FRACTION``, stratified; ``limit`` first takes a subset."""
    n = len(y)
    indices = np.arange(n)
    if limit is not None and limit < n:
        if limit < 2:
            raise CLIError(f"--limit {limit}: at least 2 images are needed (one to train on, one to test)")
        indices, _ = _stratified(indices, y, n - limit, seed)
        indices = np.sort(indices)
    if len(indices) < 2:
        raise CLIError("the data set has only 1 image; at least 2 are needed (one to train on, one to test)")
    train, test = _stratified(indices, y[indices], TEST_FRACTION, seed)
    return np.asarray(train), np.asarray(test)


def shift(xb, rng, max_shift):
    """Each image of ``xb`` (N, C, H, W) moved by up to ``max_shift`` pixels each way, zeros filled in.

    The training-time augmentation: handwritten digits are not centred exactly, and a classifier
    that has seen them moved a little generalises better.
    """
    if max_shift <= 0:
        return xb
    n, c, h, w = xb.shape
    k = max_shift
    padded = np.zeros((n, c, h + 2 * k, w + 2 * k), xb.dtype)
    padded[:, :, k : k + h, k : k + w] = xb
    dy, dx = rng.integers(0, 2 * k + 1, size=(2, n))
    rows = (dy[:, None] + np.arange(h))[:, None, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, None, :]
    return padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]
