"""Four overlapping corner patches of a 28x28 digit (the classifier's patches).

With patch size ``p`` and stride ``28 - p`` a VALID sliding window fits
exactly twice per axis, so ``tf.image.extract_patches`` returns the four
corner patches in reading order: top-left, top-right, bottom-left,
bottom-right. Patch size 28 is the whole-image baseline: one patch.
"""

from __future__ import annotations

import numpy as np

from patchlab.i18n import N_
from patchlab.runtime import tensorflow

DIGIT_SIZE = 28
PATCH_NAMES = (N_("top-left"), N_("top-right"), N_("bottom-left"), N_("bottom-right"))  # shown as _(name)


def check_patch_size(patch_size: int) -> int:
    """Validate a patch size (an int from 8 to 28) and return it as int."""
    if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)):
        raise ValueError(f"patch_size must be an int, got {patch_size!r}")
    if not 8 <= patch_size <= DIGIT_SIZE:
        raise ValueError(f"patch_size must be between 8 and {DIGIT_SIZE}, got {patch_size}")
    return int(patch_size)


def patch_stride(patch_size: int) -> int:
    """Stride that places the patches in the corners: ``28 - p`` (1 for ``p = 28``)."""
    return max(DIGIT_SIZE - check_patch_size(patch_size), 1)


def n_patches(patch_size: int) -> int:
    """4 corner patches, or 1 for the whole-image baseline ``p = 28``."""
    return 1 if check_patch_size(patch_size) == DIGIT_SIZE else 4


def corner_origins(patch_size: int) -> list[tuple[int, int]]:
    """(row, col) of each patch's top-left pixel, in the order of :func:`extract_patches`.

    >>> corner_origins(18)
    [(0, 0), (0, 10), (10, 0), (10, 10)]
    """
    s = DIGIT_SIZE - check_patch_size(patch_size)
    if s == 0:
        return [(0, 0)]
    return [(0, 0), (0, s), (s, 0), (s, s)]


def extract_patches(images, patch_size: int):
    """Corner patches of a batch of digits, flattened into one batch.

    Parameters
    ----------
    images : array or tensor, shape (B, 28, 28, 1)
    patch_size : int
        Side of the square patches, 8..28.

    Returns
    -------
    patches : tf.Tensor of float32, shape (B * n, p, p, 1)
        ``n`` patches per digit (4, or 1 for ``p = 28``); the patches of
        digit ``b`` are rows ``b*n .. b*n + n - 1``, in the order of
        :func:`corner_origins`.

    Examples
    --------
    >>> extract_patches(np.zeros((2, 28, 28, 1), np.float32), 18).shape   # doctest: +SKIP
    TensorShape([8, 18, 18, 1])
    """
    tf = tensorflow()
    p = check_patch_size(patch_size)
    s = patch_stride(p)
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    if images.shape.rank != 4 or tuple(images.shape[1:]) != (DIGIT_SIZE, DIGIT_SIZE, 1):
        raise ValueError(f"images must have shape (B, 28, 28, 1), got {tuple(images.shape)}")
    patches = tf.image.extract_patches(
        images, sizes=[1, p, p, 1], strides=[1, s, s, 1], rates=[1, 1, 1, 1], padding="VALID"
    )  # (B, nh, nw, p*p*1)
    return tf.reshape(patches, (-1, p, p, 1))


def extract_patches_numpy(images: np.ndarray, patch_size: int) -> np.ndarray:
    """The same patches by plain slicing (reference for the tests), shape (B * n, p, p, 1)."""
    p = check_patch_size(patch_size)
    images = np.asarray(images)
    out = [images[:, r:r + p, c:c + p] for r, c in corner_origins(p)]
    return np.stack(out, axis=1).reshape(-1, p, p, *images.shape[3:])
