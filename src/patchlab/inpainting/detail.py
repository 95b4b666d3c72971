"""The detail ratio: how much of the photo's fine detail a fill puts back in the hole.

PSNR and SSIM reward the fill closest to the photo *on average*; when the
hole could hold many different textures, that is their blurry mean, so a
smooth fill wins them while looking nothing like grass or water. The
detail ratio measures what they miss: the energy of the fine detail (the
grey image minus its Gaussian blur, σ = 1.5 px) inside the hole, in the
fill, over the same energy in the photo.

* 1: as much fine detail as the photo had there (not necessarily the same
  detail: texture copied from elsewhere scores 1 too);
* near 0: a smooth fill (harmonic, diffusion, a network trained on
  squared error);
* above 1: more detail than the photo (noise, seams).

Only the hole eroded by :data:`ERODE` pixels counts, so the blur of the
photo just outside the hole does not leak into the measure; cases whose
original is flat there are skipped (NaN), as their ratio would be a
quotient of two noise levels.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["SIGMA", "ERODE", "FLAT_ENERGY", "high_pass", "detail_region", "detail_ratio"]

#: The Gaussian blur removed to keep the fine detail (pixels).
SIGMA = 1.5
#: The hole is eroded by this many pixels (Euclidean distance) before measuring.
ERODE = 3
#: An original whose mean squared detail in the region is below this (grey levels², 0-255 scale,
#: i.e. an RMS detail under 1 grey level) is flat: its case is skipped.
FLAT_ENERGY = 1.0
# ITU-R BT.601 luma: the grey a viewer sees
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def high_pass(image, sigma=SIGMA):
    """The fine detail of a photo: its grey image minus that grey image's Gaussian blur.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3) or (H, W)
        RGB or grey, 0-255.
    sigma : float, optional
        Standard deviation of the blur, in pixels.

    Returns
    -------
    detail : ndarray of float32, shape (H, W)
        Zero-mean where the photo is smooth; the borders are mirrored.

    Examples
    --------
    >>> flat = np.full((8, 8, 3), 90, np.uint8)
    >>> float(np.abs(high_pass(flat)).max())
    0.0
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 3:
        grey = image.astype(np.float32) @ _LUMA
    elif image.ndim == 2:
        grey = image.astype(np.float32)
    else:
        raise ValueError(f"`image` must be (H, W, 3) RGB or (H, W) grey, got shape {image.shape}.")
    if not sigma > 0:
        raise ValueError(f"`sigma` must be positive, got {sigma!r}.")
    return grey - cv2.GaussianBlur(grey, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def detail_region(mask, erode=ERODE):
    """The pixels of the hole farther than ``erode`` pixels from every known pixel.

    Parameters
    ----------
    mask : ndarray of bool, shape (H, W)
        True where pixels were missing.
    erode : float, optional
        Euclidean distance, in pixels.

    Returns
    -------
    region : ndarray of bool, shape (H, W)

    Examples
    --------
    >>> m = np.zeros((20, 20), bool); m[5:15, 5:15] = True
    >>> int(detail_region(m).sum())  # 10x10 square eroded by 3 on each side
    16
    """
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.dtype != bool:
        raise ValueError(f"`mask` must be a boolean (H, W) array, got {mask.dtype} {mask.shape}.")
    if erode < 0:
        raise ValueError(f"`erode` must be >= 0, got {erode}.")
    # distance of each missing pixel to the nearest known one (pixels outside the image count as missing)
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return distance > erode


def detail_ratio(original, filled, mask, sigma=SIGMA, erode=ERODE, flat_energy=FLAT_ENERGY):
    """Energy of the fill's fine detail in the hole over that of the original.

    Parameters
    ----------
    original, filled : ndarray of uint8, shape (H, W, 3)
        The photo and a fill of it (only the hole differs).
    mask : ndarray of bool, shape (H, W)
        True where pixels were missing.
    sigma : float, optional
        The blur that separates fine detail from the rest (:func:`high_pass`).
    erode : float, optional
        The hole is eroded by this many pixels (:func:`detail_region`).
    flat_energy : float, optional
        Mean squared detail of the original below which the case is skipped.

    Returns
    -------
    ratio : float
        ``sum(d_fill**2) / sum(d_orig**2)`` over the eroded hole, where
        ``d = high_pass(.)``; NaN when the eroded hole is empty or the
        original is flat there (mean of ``d_orig**2`` below ``flat_energy``).

    Raises
    ------
    ValueError
        If the shapes disagree.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> photo = np.full((40, 40, 3), 128, np.uint8)
    >>> hole = np.zeros((40, 40), bool); hole[8:32, 8:32] = True
    >>> photo[hole] = rng.integers(64, 192, (hole.sum(), 1))   # grey texture in the hole only
    >>> smooth = photo.copy(); smooth[hole] = 128
    >>> detail_ratio(photo, photo, hole), detail_ratio(photo, smooth, hole)
    (1.0, 0.0)
    """
    original = np.asarray(original)
    filled = np.asarray(filled)
    mask = np.asarray(mask)
    if original.shape != filled.shape or original.shape[:2] != mask.shape:
        raise ValueError(f"`original` {original.shape}, `filled` {filled.shape} and `mask` {mask.shape} "
                         f"must describe the same image.")
    region = detail_region(mask, erode)
    if not region.any():
        return float("nan")
    reference = high_pass(original, sigma)[region].astype(np.float64)
    energy = float(np.mean(reference * reference))
    if energy < flat_energy:
        return float("nan")
    detail = high_pass(filled, sigma)[region].astype(np.float64)
    return float(np.mean(detail * detail) / energy)
