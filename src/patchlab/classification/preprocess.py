"""Turning a drawing on the canvas into an MNIST-style 28x28 digit.

MNIST's digits were size-normalised to fit a 20x20 box (keeping their aspect
ratio, anti-aliased) and then centred in a 28x28 field by their centre of
mass. :func:`preprocess_canvas` does the same to a drawing.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from patchlab.i18n import N_, _

BOX = 20  # MNIST: the longer side of the digit is 20 px
SIZE = 28
INK_THRESHOLD = 0.1  # ink strength (0..1) that counts as drawn
EMPTY_MESSAGE = N_("The canvas is empty: draw a digit (0-9) with your finger or the mouse first.")  # raised as _()


def ink_strength(rgba: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, float32 in [0, 1], shape (H, W).

    Two kinds of drawings are understood:

    * **transparent background** (most pixels have alpha 0): the ink is the
      alpha channel, whatever the colour of the strokes;
    * **opaque background** (e.g. the page's black canvas with white ink): the
      background colour is the median colour of the image border and the ink
      is each pixel's largest per-channel distance from it, scaled so the
      strongest stroke is 1. Any ink colour on any background works.
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"rgba must have shape (H, W, 4), got {rgba.shape}")
    if rgba.shape[0] < 2 or rgba.shape[1] < 2:
        raise ValueError(f"rgba is too small to hold a drawing: {rgba.shape}")
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    if np.mean(alpha > 0.5) < 0.5:  # transparent background: strokes are what is opaque
        return alpha
    rgb = rgba[..., :3]
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    background = np.median(border, axis=0)
    # Largest per-channel distance from the background (channel by channel: fast).
    distance = np.abs(rgb[..., 0] - np.float32(background[0]))
    for ch in (1, 2):
        np.maximum(distance, np.abs(rgb[..., ch] - np.float32(background[ch])), out=distance)
    distance *= alpha
    peak = distance.max()
    if peak < INK_THRESHOLD * 255:
        return np.zeros_like(alpha)
    return distance / peak


def preprocess_canvas(rgba: np.ndarray) -> np.ndarray:
    """MNIST-style 28x28 digit from a canvas drawing.

    Parameters
    ----------
    rgba : ndarray of uint8, shape (H, W, 4)
        The canvas's image data: ink on a transparent background, or ink of
        another colour on an opaque background (see :func:`ink_strength`).

    Returns
    -------
    digit : ndarray of float32, shape (28, 28), values in [0, 1]
        White digit on black: cropped to the ink's bounding box, scaled so the
        longer side is 20 px (aspect ratio kept), centred by its centre of
        mass.

    Raises
    ------
    ValueError
        If nothing is drawn (the message can be shown to the user as is), or
        if ``rgba`` does not have shape (H, W, 4).

    Examples
    --------
    >>> canvas = np.zeros((280, 280, 4), np.uint8)
    >>> canvas[60:220, 130:150] = 255          # a vertical bar: a "1"
    >>> preprocess_canvas(canvas).shape
    (28, 28)
    """
    ink = ink_strength(rgba)
    drawn = ink > INK_THRESHOLD
    if drawn.sum() < 2:
        raise ValueError(_(EMPTY_MESSAGE))
    rows = np.flatnonzero(drawn.any(axis=1))
    cols = np.flatnonzero(drawn.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]

    h, w = crop.shape
    scale = BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    digit = _resize(crop, new_h, new_w)

    field = np.zeros((SIZE, SIZE), np.float32)
    top, left = (SIZE - new_h) // 2, (SIZE - new_w) // 2
    field[top:top + new_h, left:left + new_w] = digit
    com_r, com_c = ndimage.center_of_mass(field)
    centre = (SIZE - 1) / 2
    # Integer shift moving the centre of mass to the middle, never cutting the digit.
    dr = int(np.clip(round(centre - com_r), -top, SIZE - top - new_h))
    dc = int(np.clip(round(centre - com_c), -left, SIZE - left - new_w))
    field = np.roll(field, (dr, dc), axis=(0, 1))
    return np.clip(field, 0.0, 1.0).astype(np.float32)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of a float image (area averaging when shrinking)."""
    import cv2

    shrinking = height <= image.shape[0] and width <= image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    out = cv2.resize(image.astype(np.float32), (width, height), interpolation=interpolation)
    if out.max() > 0:
        out = out / max(out.max(), 1e-6) * min(1.0, image.max())
    return out
