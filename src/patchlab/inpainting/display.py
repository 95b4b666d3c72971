"""Pictures for the page: the hole drawn over the photo, error heatmaps, PNG bytes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

__all__ = ["canvas_size", "overlay_mask", "error_heatmap", "to_png"]

HOLE_COLOUR = (255, 0, 255)


def canvas_size(image_shape, max_width=640, max_height=520):
    """Canvas ``(width, height)`` that shows an image at its aspect ratio.

    Examples
    --------
    >>> canvas_size((512, 1024))
    (640, 320)
    """
    h, w = (int(v) for v in tuple(image_shape)[:2])
    if h < 1 or w < 1:
        raise ValueError(f"`image_shape` must be positive, got {(h, w)}.")
    scale = min(max_width / w, max_height / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def overlay_mask(image, mask, colour=HOLE_COLOUR):
    """The photo with its hole painted in a solid colour (what the model is given)."""
    out = np.array(image, dtype=np.uint8, copy=True)
    out[np.asarray(mask, dtype=bool)] = colour
    return out


def error_heatmap(original, result, vmax=None, cmap="magma"):
    """Absolute error per pixel (mean over colours), as a colour image.

    Parameters
    ----------
    original, result : ndarray of uint8, shape (H, W, 3)
    vmax : float, optional
        The error shown brightest; the result's own maximum when omitted.
        Use one ``vmax`` for every method so the maps compare.

    Returns
    -------
    heatmap : ndarray of uint8, shape (H, W, 3)
    """
    import matplotlib

    original = np.asarray(original, dtype=np.float32)
    result = np.asarray(result, dtype=np.float32)
    if original.shape != result.shape:
        raise ValueError(f"`original` {original.shape} and `result` {result.shape} differ in shape.")
    err = np.abs(original - result).mean(axis=-1)
    top = float(vmax) if vmax else float(err.max())
    scaled = err / top if top > 0 else err
    rgba = matplotlib.colormaps[cmap](np.clip(scaled, 0, 1))
    return (rgba[..., :3] * 255).astype(np.uint8)


def to_png(array):
    """PNG bytes of a uint8 image (RGB or a boolean mask as black/white)."""
    array = np.asarray(array)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()
