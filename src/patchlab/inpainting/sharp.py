"""The sharp fill: the U-Net's structure with the photo's own texture.

    from patchlab.inpainting import sharp_fill
    result = sharp_fill(image, mask, seed=0)     # uint8 (H, W, 3), bool (H, W)

The shipped U-Net was trained on squared error, so it fills a hole with
the average of what could be there: the right colours and shapes, smooth
as the harmonic fill it starts from. The sharp fill keeps that structure
and restores the grain with patches of the known part of the same photo
(:func:`patchlab.inpainting.synthesis.texture_transfer`): it is less
faithful pixel for pixel, and looks much more like a photo.

Photos whose longer side exceeds :data:`HALF_SIZE_ABOVE` (the page's
512-px photos) get their structure from the U-Net at half size, where the
hole is within the network's reach and it runs four times faster; only the
low frequencies of that fill are kept, and the texture is copied at full
size in 2x2 blocks. Measured on the 12 validation photos at 512 px, the
half-size structure costs 0.14-0.15 dB of masked PSNR against the
full-size one, keeps a little more detail, and is four times faster
(``scripts/validate_sharp_fill.py --part 512``).

TensorFlow is imported only when the U-Net is first needed; it is loaded
once per process, one view (no mirrored views), and shared by every
thread (:meth:`patchlab.inpainting.Inpainter.inpaint` is thread-safe).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from patchlab.inpainting.infer import Inpainter, check_inputs
from patchlab.inpainting.synthesis import RECIPE, texture_transfer

__all__ = ["HALF_SIZE_ABOVE", "sharp_fill", "structure_model", "warm_up", "working_scale", "smooth_structure"]

#: Photos with a longer side above this many pixels get the U-Net's structure at half size.
HALF_SIZE_ABOVE = 384

_LOAD_LOCK = threading.Lock()
_MODEL = None


def structure_model():
    """The U-Net that gives the structure: the shipped model, one view, loaded once per process.

    Raises
    ------
    ModelUnavailable
        If ``models/inpainting.keras`` is missing or broken (the message
        names the command that retrains it).
    """
    global _MODEL
    with _LOAD_LOCK:
        if _MODEL is None:
            _MODEL = Inpainter.load(flips=1)
        return _MODEL


def warm_up():
    """Load the U-Net and the search's machine code now, not in somebody's first Fill.

    Returns
    -------
    seconds : float
    """
    import time

    began = time.perf_counter()
    photo = np.tile(np.arange(48, dtype=np.uint8)[:, None, None] * 5, (1, 48, 3))
    hole = np.zeros((48, 48), bool)
    hole[16:32, 16:32] = True
    sharp_fill(photo, hole)
    return time.perf_counter() - began


def working_scale(shape):
    """1 for photos up to :data:`HALF_SIZE_ABOVE` px on their longer side, else 2 (half size)."""
    return 2 if max(shape[:2]) > HALF_SIZE_ABOVE else 1


def smooth_structure(image, mask, inpainter, scale=1):
    """The U-Net's fill at ``1 / scale`` of the size, brought back to full size.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    mask : ndarray of bool, shape (H, W)
    inpainter : Inpainter
    scale : {1, 2}, optional

    Returns
    -------
    guide : ndarray of float32, shape (H, W, 3)
        ``image`` outside the hole, the (resized) fill inside it.
    """
    if scale not in (1, 2):
        raise ValueError(f"`scale` must be 1 or 2, got {scale!r}.")
    guide = image.astype(np.float32)
    h, w = mask.shape
    small_size = (w // scale, h // scale)
    if scale == 2:
        small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA)
        # a small pixel is missing when any of the pixels it covers is
        covered = cv2.resize(mask.astype(np.float32), small_size, interpolation=cv2.INTER_AREA) > 0
        if not covered.all():
            filled = inpainter.inpaint(small, covered)
            guide[mask] = cv2.resize(filled.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)[mask]
            return guide
    guide[mask] = inpainter.inpaint(image, mask)[mask]
    return guide


def sharp_fill(image, mask, seed=0, recipe=RECIPE):
    """Fill ``mask`` with the U-Net's structure and texture copied from the rest of the photo.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
        Any H, W >= 16.
    mask : ndarray of bool, shape (H, W)
        True where pixels are missing.
    seed : int, optional
        Seeds the search for texture: the same seed gives the same fill.
    recipe : Recipe, optional
        How texture is chosen (:data:`patchlab.inpainting.synthesis.RECIPE`,
        chosen on the validation photos).

    Returns
    -------
    result : ndarray of uint8, shape (H, W, 3)
        Equal to ``image`` wherever ``mask`` is False. Where no part of the
        photo lies far enough from the hole to copy from (a hole over
        almost all of it), the U-Net's smooth fill.

    Raises
    ------
    ValueError
        For invalid inputs, naming the argument
        (:func:`patchlab.inpainting.infer.check_inputs`).
    ModelUnavailable
        If the shipped U-Net cannot be loaded.

    Notes
    -----
    A 512x512 photo with brush strokes over half of it takes a few tenths
    of a second on two CPU cores, about as long as the U-Net alone
    (``benchmarks/bench_inpainting.py``). The first call in a process also
    loads TensorFlow and the model.

    Examples
    --------
    >>> from patchlab.images import load_sample
    >>> photo = load_sample("chelsea", max_side=256)
    >>> hole = np.zeros(photo.shape[:2], bool); hole[60:110, 80:130] = True
    >>> out = sharp_fill(photo, hole)                     # doctest: +SKIP
    >>> bool((out[~hole] == photo[~hole]).all())          # doctest: +SKIP
    True
    """
    image, mask = check_inputs(image, mask)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"`seed` must be a whole number, got {seed!r}.")
    if not mask.any():
        return image.copy()
    scale = working_scale(mask.shape)
    guide = smooth_structure(image, mask, structure_model(), scale)
    filled = texture_transfer(guide, mask, seed=int(seed), cell=scale, recipe=recipe)
    result = image.copy()
    result[mask] = np.clip(np.rint(filled[mask]), 0, 255).astype(np.uint8)
    return result
