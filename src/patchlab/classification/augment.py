"""Training-time augmentation: make MNIST look more like mouse drawings.

Digits drawn on the canvas are normalised like MNIST (see
:mod:`patchlab.classification.preprocess`) but still differ: strokes are
thicker or thinner, the digit sits a little off-centre, is slanted, rotated
or scaled. Each training digit gets a random small affine transform and,
sometimes, a thicker (dilated) or thinner (eroded) stroke.
"""

from __future__ import annotations

import cv2
import numpy as np

MAX_ROTATION_DEG = 10.0
MAX_SHEAR = 0.2  # horizontal slant, x += shear * y
ZOOM = (0.9, 1.1)
MAX_SHIFT_PX = 1.5
P_DILATE = 0.3
P_ERODE = 0.15


def random_affine(rng: np.random.Generator, size: int = 28) -> np.ndarray:
    """A random 2x3 affine matrix (rotation, slant, zoom, shift) about the centre."""
    theta = np.deg2rad(rng.uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG))
    shear = rng.uniform(-MAX_SHEAR, MAX_SHEAR)
    zoom = rng.uniform(*ZOOM)
    shift = rng.uniform(-MAX_SHIFT_PX, MAX_SHIFT_PX, size=2)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    slant = np.array([[1.0, shear], [0.0, 1.0]])
    linear = zoom * rotation @ slant
    centre = np.full(2, (size - 1) / 2)
    offset = centre - linear @ centre + shift
    return np.hstack([linear, offset[:, None]]).astype(np.float32)


def augment_digits(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomly transformed copies of a batch of digits.

    Parameters
    ----------
    images : ndarray, shape (N, 28, 28), values in [0, 1] (float) or uint8
    rng : numpy Generator (seeded by the caller: augmentation is reproducible)

    Returns
    -------
    ndarray of float32, shape (N, 28, 28), values in [0, 1]
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {images.shape}")
    x = images.astype(np.float32)
    if images.dtype == np.uint8:
        x /= 255.0
    out = np.empty_like(x)
    kernel = np.ones((2, 2), np.uint8)
    for i, digit in enumerate(x):
        u = rng.uniform()
        if u < P_DILATE:
            digit = cv2.dilate(digit, kernel)
        elif u < P_DILATE + P_ERODE:
            eroded = cv2.erode(digit, kernel)
            if eroded.max() > 0.5:  # never erase a thin digit entirely
                digit = eroded
        out[i] = cv2.warpAffine(
            digit, random_affine(rng, x.shape[1]), (x.shape[2], x.shape[1]),
            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0,
        )
    return np.clip(out, 0.0, 1.0)


def redrawn_pool(images: np.ndarray, seed: int) -> np.ndarray:
    """Each digit redrawn once as a synthetic mouse drawing and preprocessed, (N, 28, 28) float32.

    See :mod:`patchlab.classification.drawn`: uniform strokes of random width,
    size, slant and position on a 280x280 canvas, then ``preprocess_canvas``.
    """
    from patchlab.classification.drawn import draw_digit
    from patchlab.classification.preprocess import preprocess_canvas

    # One canvas at a time: drawing all 8,000 280x280 canvases first held 2.5 GB at once.
    # The same random stream as drawn_digits(images, seed), so the same drawings.
    rng = np.random.default_rng(seed)
    return np.stack([preprocess_canvas(draw_digit(d, rng)) for d in images])
