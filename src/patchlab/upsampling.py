"""Upsampling with a transposed convolution initialised as bilinear interpolation.

A transposed convolution with stride ``f`` stamps a weighted copy of its
kernel into the output for every input pixel; overlapping stamps add up.
With the bilinear kernel of size ``2 f - f % 2`` the overlaps sum to exactly
the bilinear interpolation of the input.
"""

from __future__ import annotations

import numpy as np

from patchlab.patches import tent

__all__ = ["kernel_size", "bilinear_kernel", "bilinear_weights"]


def _check_factor(factor):
    if int(factor) != factor or factor < 1:
        raise ValueError(f"`factor` must be a whole number of at least 1, got {factor!r}.")
    return int(factor)


def kernel_size(factor):
    """Kernel size ``2 f - f % 2`` of a bilinear upsampling by ``factor``."""
    factor = _check_factor(factor)
    return 2 * factor - factor % 2


def bilinear_kernel(factor):
    """The 2-D bilinear kernel for upsampling by ``factor``.

    The outer product of a 1-D tent centred on the kernel
    (:func:`patchlab.patches.tent`, the same window the patch engine blends
    with).

    Returns
    -------
    kernel : ndarray of float64, shape (k, k), ``k = 2 f - f % 2``

    Examples
    --------
    >>> bilinear_kernel(2)[0]
    array([0.0625, 0.1875, 0.1875, 0.0625])
    """
    t = tent(kernel_size(factor))
    return np.outer(t, t)


def bilinear_weights(factor, channels):
    """Weights of a ``Conv2DTranspose`` that upsamples each channel bilinearly.

    Channel ``i`` maps only to channel ``i`` (diagonal weights), so colours
    do not mix.

    Parameters
    ----------
    factor : int
        Upsampling factor (the layer's stride).
    channels : int
        Number of input (= output) channels.

    Returns
    -------
    kernel : ndarray of float32, shape (k, k, channels, channels)
        In Keras' ``Conv2DTranspose`` layout ``(kh, kw, out, in)``.
    """
    if int(channels) != channels or channels < 1:
        raise ValueError(f"`channels` must be a whole number of at least 1, got {channels!r}.")
    k2 = bilinear_kernel(factor)
    w = np.zeros(k2.shape + (int(channels), int(channels)), dtype=np.float32)
    for c in range(int(channels)):
        w[:, :, c, c] = k2
    return w
