"""Synthetic test patterns to upsample: constant grey, ramp, checkerboard, disc."""

from __future__ import annotations

import numpy as np

from patchlab.upsampling._checks import whole

__all__ = ["PATTERNS", "pattern_image"]

#: The names :func:`pattern_image` draws.
PATTERNS = ("constant", "ramp", "checkerboard", "disc")


def pattern_image(name, size=32, channels=3):
    """A simple synthetic image in [0, 1].

    Parameters
    ----------
    name : {'constant', 'ramp', 'checkerboard', 'disc'}
        ``'constant'`` is 0.5 everywhere (any checkerboard in its upsampling
        comes from the method); ``'ramp'`` a diagonal gradient;
        ``'checkerboard'`` 4-pixel squares; ``'disc'`` a bright disc.
    size : int
        Height and width.
    channels : int

    Returns
    -------
    image : ndarray of float32, shape (size, size, channels)
    """
    size = whole(size, "size", minimum=2)
    channels = whole(channels, "channels")
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    if name == "constant":
        img = np.full((size, size), 0.5)
    elif name == "ramp":
        img = (x + y) / (2 * (size - 1))
    elif name == "checkerboard":
        img = ((y // 4 + x // 4) % 2) * 0.8 + 0.1
    elif name == "disc":
        c = (size - 1) / 2
        img = np.where((y - c) ** 2 + (x - c) ** 2 <= (size / 3) ** 2, 0.9, 0.1)
    else:
        raise ValueError(f"`name` must be one of {', '.join(PATTERNS)}; got {name!r}.")
    return np.repeat(img[:, :, None], channels, axis=2).astype(np.float32)
