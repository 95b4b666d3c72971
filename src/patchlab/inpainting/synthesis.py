"""Guided texture synthesis: put the photo's own texture onto a smooth fill.

A network trained on squared error fills a hole with the *mean* of what
could be there: the right colours and shapes, none of the grain. This
module keeps that fill's low frequencies (its structure) and takes the
fine detail from patches of the known part of the same photo:

1. the smooth fill is split at a Gaussian blur (σ = ``sigma_split``) into
   its low frequencies, which are kept, and its detail, which is nearly
   nothing;
2. every cell of the hole (a pixel, or 2x2 pixels for large photos) is
   matched to a block of the known photo whose neighbourhood looks like
   its own: the same smooth colours (blurred at ``sigma_match``) and
   detail that joins the detail already in place, known or copied (the
   texture transfer of image quilting, Efros & Freeman 2001, searched with
   PatchMatch, Barnes et al. 2009; :mod:`patchlab.inpainting._patchmatch`).
   A third term, the local strength of detail around the hole
   (``energy_weight``), was tried and is off: it did not pay on the
   validation photos;
3. each hole pixel gets the low frequencies of the smooth fill plus the
   detail of its source pixel.

Where a source block may lie and which cells make up the hole come from
the patch engine's views (:func:`patchlab.patches.patchify`). Nothing here
needs TensorFlow: :func:`patchlab.inpainting.sharp.sharp_fill` gives it the
U-Net's fill.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from patchlab.inpainting import _patchmatch
from patchlab.patches import patchify

__all__ = ["Recipe", "RECIPE", "texture_transfer", "source_blocks", "hole_cells"]

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


@dataclass(frozen=True)
class Recipe:
    """How the texture is chosen and added (chosen on the validation photos).

    Attributes
    ----------
    sigma_split : float
        Blur (px) that separates the kept low frequencies from the copied detail.
    sigma_match : float
        Blur (px) of the colours compared when matching.
    energy_weight : float
        Weight of the local strength of detail in the match.
    coherence : float
        Weight of the detail already in place (known or synthesised) in the match.
    radius : int
        The neighbourhood compared is ``2 radius + 1`` pixels square...
    step : int
        ...sampled every ``step`` pixels.
    tries : int
        Random sources tried per cell, half near it, half anywhere.
    near : int
        Half-side (px) of the window of the nearby tries.
    gain : float
        Factor on the copied detail (1: as strong as in the source).
    """

    sigma_split: float = 1.5
    sigma_match: float = 4.0
    energy_weight: float = 0.0
    coherence: float = 0.3
    radius: int = 3
    step: int = 1
    tries: int = 6
    near: int = 24
    gain: float = 1.0

    @property
    def margin(self):
        """Known pixels this close to the hole (px) are not copied: their detail holds some of the fill."""
        return int(np.ceil(2 * self.sigma_split))


#: The recipe :func:`patchlab.inpainting.sharp.sharp_fill` uses: the variant chosen on the
#: validation photos (``scripts/validate_sharp_fill.py``; the detail-strength term did not pay).
RECIPE = Recipe()


def source_blocks(hole, cell=1, radius=RECIPE.radius, margin=RECIPE.margin):
    """Where the top-left pixel of a ``cell`` x ``cell`` source block may lie.

    Parameters
    ----------
    hole : ndarray of bool, shape (H, W)
    cell : int, optional
        Side of the blocks copied.
    radius : int, optional
        The neighbourhood compared around a block's centre must lie in the photo.
    margin : float, optional
        Every pixel of the block must be farther than this from the hole.

    Returns
    -------
    valid : ndarray of bool, shape (H, W)

    Examples
    --------
    >>> hole = np.zeros((20, 20), bool); hole[8:12, 8:12] = True
    >>> v = source_blocks(hole, cell=2, radius=2, margin=1)
    >>> bool(v[2, 2]), bool(v[7, 7]), bool(v[0, 0])   # far away / touches the hole / too near the edge
    (True, False, False)
    """
    hole = np.asarray(hole, dtype=bool)
    h, w = hole.shape
    far = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > margin
    # a block is usable when all its pixels are: one view of cell x cell windows, stride 1
    padded = np.pad(far, ((0, cell - 1), (0, cell - 1)), constant_values=False)
    valid = patchify(padded, cell, 1).all(axis=(2, 3))
    half = cell // 2
    rows, cols = np.arange(h)[:, None] + half, np.arange(w)[None, :] + half
    inside = (rows >= radius) & (rows < h - radius) & (cols >= radius) & (cols < w - radius)
    return valid & inside


def hole_cells(hole, cell=1):
    """The top-left pixels of the ``cell`` x ``cell`` cells holding a missing pixel, border first.

    Cells are ordered by their distance to the known part of the photo
    (an onion peel: those touching known pixels first), then row by row.

    Returns
    -------
    cells : ndarray of int32, shape (n, 2)

    Examples
    --------
    >>> hole = np.zeros((8, 8), bool); hole[2:5, 2:5] = True
    >>> hole_cells(hole)[-1].tolist()   # the centre of the 3x3 hole comes last
    [3, 3]
    """
    hole = np.asarray(hole, dtype=bool)
    h, w = hole.shape
    padded = np.pad(hole, ((0, -h % cell), (0, -w % cell)), constant_values=False)
    missing = patchify(padded, cell, cell).any(axis=(2, 3))  # one window per cell
    depth = cv2.distanceTransform(missing.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    gy, gx = np.nonzero(missing)
    order = np.lexsort((gx, gy, depth[gy, gx]))
    return (np.stack([gy[order], gx[order]], axis=1) * cell).astype(np.int32)


def _detail_strength(detail, hole, margin, sigma=4.0, reach=12.0):
    """Local RMS of the detail; inside the hole, the mean of that around it (normalised convolution)."""
    energy = cv2.GaussianBlur(detail * detail, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    distance = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    trusted = (distance > margin + 2 * sigma).astype(np.float32)
    if not trusted.any():
        trusted = (~hole).astype(np.float32)
    spread = cv2.GaussianBlur(energy * trusted, (0, 0), reach, borderType=cv2.BORDER_REFLECT)
    weight = cv2.GaussianBlur(trusted, (0, 0), reach, borderType=cv2.BORDER_REFLECT)
    guess = spread / np.maximum(weight, 1e-6)
    return np.sqrt(np.where(trusted > 0, energy, guess))


def texture_transfer(guide, mask, seed=0, cell=1, recipe=RECIPE):
    """The smooth fill's low frequencies plus detail copied from the known photo.

    Parameters
    ----------
    guide : ndarray, shape (H, W, 3)
        The photo with its hole already filled smoothly (e.g. by the
        U-Net), 0-255, any real dtype.
    mask : ndarray of bool, shape (H, W)
        True where pixels were missing.
    seed : int, optional
        Seeds the random tries: the same seed gives the same result.
    cell : int, optional
        Side of the blocks that share one source (1: every pixel chooses).
    recipe : Recipe, optional

    Returns
    -------
    filled : ndarray of float32, shape (H, W, 3)
        ``guide`` outside the hole; inside, not clipped to 0-255. When no
        block of the photo lies far enough from the hole (a hole over
        almost all of it), ``guide`` itself.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> photo = rng.normal(128, 30, (48, 48, 1)).repeat(3, axis=2).astype(np.float32)
    >>> hole = np.zeros((48, 48), bool); hole[16:32, 16:32] = True
    >>> smooth = photo.copy(); smooth[hole] = 128
    >>> out = texture_transfer(smooth, hole)
    >>> bool(out[hole].std() > 20)   # noise-like grain is back in the hole
    True
    """
    guide = np.asarray(guide, dtype=np.float32)
    mask = np.asarray(mask)
    if guide.ndim != 3 or guide.shape[2] != 3:
        raise ValueError(f"`guide` must be an (H, W, 3) image, got shape {guide.shape}.")
    if mask.shape != guide.shape[:2] or mask.dtype != bool:
        raise ValueError(f"`mask` must be a boolean array of shape {guide.shape[:2]}, got {mask.dtype} {mask.shape}.")
    if isinstance(cell, bool) or not isinstance(cell, (int, np.integer)) or cell < 1:
        raise ValueError(f"`cell` must be a whole number of pixels >= 1, got {cell!r}.")
    if not mask.any():
        return guide.copy()
    valid = source_blocks(mask, cell, recipe.radius, recipe.margin)
    if not valid.any():
        return guide.copy()
    low = cv2.GaussianBlur(guide, (0, 0), recipe.sigma_split, borderType=cv2.BORDER_REFLECT)
    high = guide - low
    detail = high @ _LUMA
    colours = cv2.GaussianBlur(guide, (0, 0), recipe.sigma_match, borderType=cv2.BORDER_REFLECT)
    if recipe.energy_weight > 0:
        colours = np.dstack([colours, recipe.energy_weight * _detail_strength(detail, mask, recipe.margin)])
    features = np.ascontiguousarray(colours, dtype=np.float32)
    source = _patchmatch.sweep(features, np.ascontiguousarray(detail), mask, valid, hole_cells(mask, cell),
                               np.argwhere(valid).astype(np.int32), int(cell), int(recipe.radius),
                               int(recipe.step), np.float32(recipe.coherence), int(recipe.near),
                               int(recipe.tries), int(seed) & 0x7FFFFFFFFFFFFFFF)
    ys, xs = np.nonzero(mask)
    out = guide.copy()
    out[ys, xs] = low[ys, xs] + recipe.gain * high[source[ys, xs, 0], source[ys, xs, 1]]
    return out
