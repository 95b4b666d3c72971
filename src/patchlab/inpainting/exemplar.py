"""Exemplar-based inpainting (Criminisi, Pérez and Toyama, 2004), on the patch engine.

The classical ancestor of patch-based deep inpainting: the hole is filled
from its border inwards, one patch at a time, by *copying* the best
matching whole patch from the known part of the photo. Diffusion-type
methods (Telea, Navier-Stokes, biharmonic) smooth colours into the hole;
this one copies texture, so grass stays grass and a brick wall keeps its
bricks, at the price of visible seams when no good match exists.

Each step:

1. the *fill front* is every missing pixel with a known neighbour;
2. each front pixel ``p`` gets a priority ``P(p) = C(p) * D(p)``: the
   *confidence* ``C(p)`` is the mean confidence of the pixels in the patch
   around it (known pixels start at 1, missing ones at 0), so patches that
   are mostly known go first; the *data term* ``D(p) = |grad I(p)^perp . n(p)| / 255``
   is the strength of the isophote (the line of equal brightness) that
   hits the front head-on (``n`` is the front's normal), so edges are
   continued into the hole before flat areas are filled;
3. the patch around the pixel of highest priority is compared, on its known
   pixels, with every patch of the photo that lies wholly in the known
   region (sum of squared RGB differences), and the best one's pixels are
   copied into its missing pixels, which then inherit ``C(p)``.

Where a source patch may lie, and the windows the priorities read, come
from the patch engine's strided view (:func:`patchlab.patches.patchify`,
stride 1). The paper's exhaustive search is vectorised: the sum of squared
differences to *every* source patch, over the target's known pixels only,
is ``sum M S^2 - 2 sum M T S + sum M T^2``, i.e. four 9x9 correlations of
the photo (``cv2.filter2D``) per step, followed by one ``argmin``.

Reference: A. Criminisi, P. Pérez, K. Toyama, "Region filling and object
removal by exemplar-based image inpainting", IEEE Transactions on Image
Processing 13(9), 1200-1212, 2004.
"""

from __future__ import annotations

import cv2
import numpy as np

from patchlab.inpainting.infer import check_inputs
from patchlab.patches import patchify

__all__ = ["PATCH_SIZE", "exemplar_inpaint", "source_centres"]

#: The paper's patch: 9x9 pixels.
PATCH_SIZE = 9
#: Added to the data term so flat regions (no isophote at all) are still ordered by confidence.
_DATA_FLOOR = 1e-3


def source_centres(hole, patch_size=PATCH_SIZE):
    """Where a source patch may be centred: windows wholly inside the photo and outside the hole.

    Parameters
    ----------
    hole : ndarray of bool, shape (H, W)
        True where pixels are missing.
    patch_size : int, optional
        Odd patch side.

    Returns
    -------
    valid : ndarray of bool, shape (H, W)
        ``valid[y, x]`` is True when the ``patch_size`` square centred on
        ``(y, x)`` lies in the photo and holds no missing pixel.

    Examples
    --------
    >>> hole = np.zeros((12, 12), bool); hole[5, 5] = True
    >>> int(source_centres(hole, 3).sum())  # 10x10 centres fit, 9 of them touch the hole
    91
    """
    hole = np.asarray(hole, dtype=bool)
    r = _check_patch_size(patch_size, hole.shape)
    # outside the photo counts as unusable: pad with True, then one patch view at stride 1
    unusable = np.pad(hole, r, constant_values=True)
    return ~patchify(unusable, patch_size, 1).any(axis=(2, 3))


def _check_patch_size(patch_size, shape):
    if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)) or patch_size < 3 \
            or patch_size % 2 == 0:
        raise ValueError(f"`patch_size` must be an odd whole number of pixels >= 3, got {patch_size!r}.")
    if patch_size > min(shape[:2]):
        raise ValueError(f"`patch_size` {patch_size} is larger than the image {shape[1]}x{shape[0]}.")
    return patch_size // 2


def _correlate(plane, kernel):
    """``out[y, x] = sum(kernel * plane[y:y+k, x:x+k])`` for every top-left ``(y, x)`` (zeros outside)."""
    out = cv2.filter2D(np.ascontiguousarray(plane), cv2.CV_32F, kernel, anchor=(0, 0),
                       borderType=cv2.BORDER_CONSTANT)
    return out


def exemplar_inpaint(image, mask, patch_size=PATCH_SIZE):
    """Fill ``mask`` by copying patches from the rest of the photo (Criminisi et al. 2004).

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    mask : ndarray of bool, shape (H, W)
        True where pixels are missing; not every pixel.
    patch_size : int, optional
        Odd side of the square patches (default :data:`PATCH_SIZE`, the paper's 9).

    Returns
    -------
    filled : ndarray of uint8, shape (H, W, 3)
        ``image`` with only the masked pixels changed; each of them is a copy
        of a known pixel of ``image``.

    Raises
    ------
    ValueError
        Naming the argument, as :func:`patchlab.inpainting.infer.check_inputs`
        does, or for a ``patch_size`` that is even, below 3 or larger than the image.

    Notes
    -----
    Deterministic: ties in priority and in match go to the first in row-major
    order. One step costs a masked template match over the whole photo, and
    a step fills up to ``patch_size**2`` pixels, typically a third of that:
    about 0.1-1 s for a 256x256 photo with the tutorial's square hole, a few
    seconds for a large hole in a 512x512 photo. When no patch of the photo
    lies wholly outside the hole (a hole covering almost everything), the
    hole is filled with the harmonic fill instead.

    Examples
    --------
    >>> img = np.tile(np.array([[0], [255]], np.uint8), (16, 32))[..., None].repeat(3, 2)  # stripes
    >>> hole = np.zeros((32, 32), bool); hole[12:20, 12:20] = True
    >>> out = exemplar_inpaint(img, hole)
    >>> bool((out == img).all())  # the stripes are continued exactly
    True
    """
    image, mask = check_inputs(image, mask)
    r = _check_patch_size(patch_size, image.shape)
    out = image.copy()
    if not mask.any():
        return out
    valid = source_centres(mask, patch_size)
    if not valid.any():
        from patchlab.inpainting.prefill import harmonic_fill

        filled = np.clip(np.rint(harmonic_fill(image.astype(np.float32), mask)), 0, 255).astype(np.uint8)
        out[mask] = filled[mask]
        return out

    h, w = mask.shape
    # everything below lives in a frame padded by r, so every patch around a photo pixel exists
    pixels = np.pad(image.astype(np.float32), ((r, r), (r, r), (0, 0)))
    inside = np.pad(np.ones((h, w), bool), r)
    hole = np.pad(mask, r)
    confidence = (inside & ~hole).astype(np.float32)
    # source patches never change (they lie wholly in the known part of the photo), so their
    # squares are computed once; values are centred on 128 to keep float32 sums exact enough
    centred = np.ascontiguousarray(pixels - 128.0, dtype=np.float32)
    squares = (centred * centred).sum(axis=2)
    grey = pixels.mean(axis=2)
    unusable = np.where(valid, 0, np.inf).astype(np.float32)  # added to the costs, indexed by patch centre
    cross = np.ones((3, 3), np.uint8)  # 8-neighbourhood

    while hole.any():
        known = inside & ~hole
        front = hole & (cv2.dilate(known.astype(np.uint8), cross) > 0)
        fy, fx = np.nonzero(front)

        # confidence term: mean confidence over each front pixel's patch
        patch_confidence = patchify(confidence, patch_size, 1)[fy - r, fx - r].mean(axis=(1, 2))
        # data term: the strongest isophote among the known pixels of the patch, against the front's normal
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3) / 8
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3) / 8
        trusted = cv2.erode(known.astype(np.uint8), cross)  # 1 where the whole 3x3 stencil is known
        gx *= trusted
        gy *= trusted
        wx = patchify(gx, patch_size, 1)[fy - r, fx - r].reshape(len(fy), -1)
        wy = patchify(gy, patch_size, 1)[fy - r, fx - r].reshape(len(fy), -1)
        strength = wx * wx + wy * wy
        strongest = strength.argmax(axis=1)
        sy, sx = fy - r + strongest // patch_size, fx - r + strongest % patch_size
        normal_field = cv2.GaussianBlur(hole.astype(np.float32), (3, 3), 0)
        ny = cv2.Sobel(normal_field, cv2.CV_32F, 0, 1, ksize=3)[fy, fx]
        nx = cv2.Sobel(normal_field, cv2.CV_32F, 1, 0, ksize=3)[fy, fx]
        norm = np.hypot(nx, ny)
        norm[norm == 0] = 1
        data = np.abs(-gy[sy, sx] * nx / norm + gx[sy, sx] * ny / norm) / 255.0
        best = int(np.argmax(patch_confidence * (data + _DATA_FLOOR)))
        py, px = int(fy[best]), int(fx[best])

        # the exemplar: the source patch closest on the target's known pixels. Sum of squared
        # differences over the known pixels M of the target T, for every source patch S at once:
        # sum M*S^2 - 2 sum M*T*S (+ sum M*T^2, the same for all), as correlations with 9x9 kernels
        target = np.s_[py - r:py + r + 1, px - r:px + r + 1]
        weight = known[target].astype(np.float32)
        cost = _correlate(squares, weight)
        for c in range(3):
            cost -= 2 * _correlate(centred[..., c], weight * centred[target][..., c])
        cost = cost[:h, :w] + unusable
        qy, qx = np.unravel_index(int(np.argmin(cost)), cost.shape)
        source = np.s_[qy:qy + patch_size, qx:qx + patch_size]  # padded frame: top-left = photo centre

        missing = hole[target]
        pixels[target][missing] = pixels[source][missing]
        centred[target][missing] = centred[source][missing]
        grey[target][missing] = grey[source][missing]
        confidence[target][missing] = patch_confidence[best]
        hole[target] = hole[target] & ~missing

    out[mask] = pixels[r:r + h, r:r + w][mask].astype(np.uint8)
    return out
