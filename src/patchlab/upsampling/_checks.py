"""Argument checks shared by the upsampling modules; each error names the argument."""

from __future__ import annotations

import numbers

import numpy as np


def whole(value, name, minimum=1):
    """``value`` as an int, or ``ValueError`` naming ``name`` unless it is a whole number >= ``minimum``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or int(value) != value
        or value < minimum
    ):
        raise ValueError(f"`{name}` must be a whole number of at least {minimum}, got {value!r}.")
    return int(value)


def check_factor(factor):
    return whole(factor, "factor")


def check_kernel(kernel):
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or kernel.size == 0:
        raise ValueError(f"`kernel` must be a square 2-D array (k, k), got shape {kernel.shape}.")
    return kernel


def check_image(image):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(
            f"`image` must be a grayscale (H, W) or colour (H, W, C) array, got shape {image.shape}."
        )
    return image
