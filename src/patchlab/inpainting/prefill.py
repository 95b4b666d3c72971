"""A coarse first guess for the hole: pull-push (pyramid) filling.

Before the U-Net sees an image, each missing pixel is replaced by a smooth
average of the known pixels around it, found on a Gaussian-like pyramid:
*pull* averages the known pixels down to coarser levels (each level knows
more of the image), *push* fills every level's gaps from the coarser level
above. The network then only has to learn the correction (edges,
texture), which it learns much faster than filling from zeros.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["pull_push_fill"]


def pull_push_fill(image, mask):
    """Fill the masked pixels with a smooth multi-scale average of the rest.

    Parameters
    ----------
    image : ndarray of float32, shape (H, W, C)
        Values in any range; masked pixels are ignored.
    mask : ndarray of bool, shape (H, W)
        ``True`` where pixels are missing.

    Returns
    -------
    filled : ndarray of float32, shape (H, W, C)
        Equal to ``image`` outside the mask. Where every pixel is missing
        the result is 0.5 everywhere.

    Examples
    --------
    >>> img = np.zeros((8, 8, 1), np.float32); img[:, 4:] = 1
    >>> m = np.zeros((8, 8), bool); m[:, 3:5] = True
    >>> out = pull_push_fill(img, m)
    >>> bool(0 < out[0, 3, 0] < out[0, 4, 0] < 1)
    True
    """
    image = np.asarray(image, dtype=np.float32)
    mask = np.asarray(mask, dtype=bool)
    if image.ndim != 3:
        raise ValueError(f"`image` must be (H, W, C), got shape {image.shape}.")
    if mask.shape != image.shape[:2]:
        raise ValueError(f"`mask` shape {mask.shape} does not match the image {image.shape[:2]}.")
    known = (~mask).astype(np.float32)
    if known.sum() == 0:
        return np.full_like(image, 0.5)
    if known.min() == 1:
        return image.copy()

    # pull: premultiplied colours and weights, averaged down the pyramid
    values = [image * known[:, :, None]]
    weights = [known]
    while min(weights[-1].shape) > 1 and weights[-1].min() <= 0:
        h, w = weights[-1].shape
        size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
        values.append(_down(values[-1], size))
        weights.append(_down(weights[-1], size))

    # push: each level keeps what it knows and takes the rest from above
    coarse = values[-1] / np.maximum(weights[-1], 1e-6)[:, :, None]
    if weights[-1].min() <= 0:  # a single pixel that knows nothing: global mean
        mean = values[-1].sum((0, 1)) / max(weights[-1].sum(), 1e-6)
        coarse = np.where(weights[-1][:, :, None] > 0, coarse, mean)
    for v, wgt in zip(values[-2::-1], weights[-2::-1]):
        h, w = wgt.shape
        up = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
        up = up.reshape(h, w, -1)
        alpha = np.clip(wgt, 0, 1)[:, :, None]
        coarse = v / np.maximum(wgt, 1e-6)[:, :, None] * alpha + up * (1 - alpha)
    return np.where(mask[:, :, None], coarse, image).astype(np.float32)


def _down(x, size):
    out = cv2.resize(x, size, interpolation=cv2.INTER_AREA)
    if x.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out
