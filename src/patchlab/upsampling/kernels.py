"""Kernels of a transposed convolution: bilinear, nearest-neighbour (box) and random.

The bilinear kernel for upsampling by ``f`` is the outer product of a 1-D
tent of size ``2 f - f % 2`` (:func:`patchlab.patches.tent`, the window the
patch engine blends with). Stamped every ``f`` output pixels, its taps that
reach any one pixel (a *polyphase component*, :func:`phase_sums`) sum to
exactly 1, so a constant image stays constant: no checkerboard
(:func:`kernel_checkerboard_strength`).

2-D kernels are ``(k, k)`` float64 arrays; multi-channel weights are
``(k, k, channels, channels)`` with channel ``i`` mapping only to channel
``i`` (:func:`diagonal_weights`), the layout of Keras' ``Conv2DTranspose``
``(kh, kw, out, in)``. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import numbers

import numpy as np

from patchlab.patches import tent
from patchlab.upsampling._checks import check_factor, check_kernel, whole

__all__ = [
    "INITS",
    "kernel_size",
    "bilinear_kernel",
    "nearest_kernel",
    "random_kernel",
    "make_kernel",
    "diagonal_weights",
    "bilinear_weights",
    "kernel_profile",
    "phase_sums",
    "kernel_checkerboard_strength",
]

#: The initialisations a kernel can have (:func:`make_kernel`).
INITS = ("bilinear", "random", "nearest")


def kernel_size(factor):
    """Kernel size ``2 f - f % 2`` of a bilinear upsampling by ``factor``.

    Examples
    --------
    >>> [kernel_size(f) for f in (1, 2, 3, 4)]
    [1, 4, 5, 8]
    """
    factor = check_factor(factor)
    return 2 * factor - factor % 2


def _tent_1d(factor, size):
    """A tent of half-width ``factor`` centred on ``size`` taps (>= 0)."""
    if size == kernel_size(factor):
        return tent(size)  # the patch engine's window: one definition of the tent
    center = (size - 1) / 2
    return np.clip(1.0 - np.abs(np.arange(size) - center) / factor, 0.0, None)


def bilinear_kernel(factor, size=None):
    """The 2-D bilinear kernel for upsampling by ``factor``.

    The outer product of a 1-D tent centred on the kernel
    (:func:`patchlab.patches.tent`, the same window the patch engine blends
    with).

    Parameters
    ----------
    factor : int
        Upsampling factor (the stride of the transposed convolution), >= 1.
    size : int, optional
        Kernel size; default ``2 f - f % 2``, the size at which stamps every
        ``f`` pixels reproduce bilinear interpolation. Other sizes sample the
        same tent (half-width ``f``, clipped at 0) on ``size`` taps, which in
        general no longer sums evenly.

    Returns
    -------
    kernel : ndarray of float64, shape (k, k), ``k = 2 f - f % 2`` by default

    Examples
    --------
    >>> bilinear_kernel(2)[0]
    array([0.0625, 0.1875, 0.1875, 0.0625])
    >>> bilinear_kernel(2, size=3)[1]
    array([0.5, 1. , 0.5])
    """
    factor = check_factor(factor)
    size = kernel_size(factor) if size is None else whole(size, "size")
    t = _tent_1d(factor, size)
    return np.outer(t, t)


def nearest_kernel(factor, size=None):
    """A box kernel: nearest-neighbour upsampling when ``size == factor``.

    Every weight is ``(factor / size) ** 2``, so the kernel sums to
    ``factor ** 2`` like the bilinear one (the picture keeps its brightness
    on average). Its response to a constant image is the overlap count times
    that weight: the box kernel *shows* the overlap count.

    Parameters
    ----------
    factor : int
    size : int, optional
        Default ``factor``.

    Returns
    -------
    kernel : ndarray of float64, shape (size, size)

    Examples
    --------
    >>> nearest_kernel(2)
    array([[1., 1.],
           [1., 1.]])
    """
    factor = check_factor(factor)
    size = factor if size is None else whole(size, "size")
    return np.full((size, size), (factor / size) ** 2)


def random_kernel(factor, size=None, seed=0):
    """A random positive kernel, as an untrained layer might start.

    Uniform random weights in [0, 1), scaled so the kernel sums to
    ``factor ** 2`` (the same average brightness as the bilinear kernel).

    Parameters
    ----------
    factor : int
    size : int, optional
        Default ``2 f - f % 2``.
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`; the same seed gives the
        same kernel.

    Returns
    -------
    kernel : ndarray of float64, shape (size, size)

    Examples
    --------
    >>> k = random_kernel(2, seed=1)
    >>> k.shape, round(float(k.sum()), 6)
    ((4, 4), 4.0)
    """
    factor = check_factor(factor)
    size = kernel_size(factor) if size is None else whole(size, "size")
    values = np.random.default_rng(seed).uniform(0.0, 1.0, (size, size)) + 1e-3
    return values * (factor**2 / values.sum())


def make_kernel(init, factor, size=None, seed=0):
    """The kernel of an initialisation: ``'bilinear'``, ``'random'`` or ``'nearest'``.

    Parameters
    ----------
    init : {'bilinear', 'random', 'nearest'}
    factor : int
    size : int, optional
        Default: ``2 f - f % 2`` (bilinear, random) or ``f`` (nearest).
    seed : int, optional
        Used by ``'random'`` only.

    Returns
    -------
    kernel : ndarray of float64, shape (k, k)
    """
    if init == "bilinear":
        return bilinear_kernel(factor, size)
    if init == "random":
        return random_kernel(factor, size, seed)
    if init == "nearest":
        return nearest_kernel(factor, size)
    raise ValueError(f"`init` must be one of {', '.join(INITS)}; got {init!r}.")


def diagonal_weights(kernel, channels):
    """Multi-channel weights where channel ``i`` maps only to channel ``i``.

    Parameters
    ----------
    kernel : ndarray, shape (k, k)
    channels : int

    Returns
    -------
    weights : ndarray of float32, shape (k, k, channels, channels)
        ``weights[:, :, i, j]`` is ``kernel`` if ``i == j`` and 0 otherwise:
        colours do not mix. The layout suits both ``Conv2DTranspose``
        ``(k, k, out, in)`` and ``Conv2D`` ``(k, k, in, out)``.

    Examples
    --------
    >>> w = diagonal_weights(np.ones((2, 2)), 3)
    >>> w.shape, float(w[:, :, 0, 1].sum()), float(w[:, :, 2, 2].sum())
    ((2, 2, 3, 3), 0.0, 4.0)
    """
    kernel = check_kernel(kernel)
    channels = whole(channels, "channels")
    w = np.zeros(kernel.shape + (channels, channels), dtype=np.float32)
    for c in range(channels):
        w[:, :, c, c] = kernel
    return w


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

    Examples
    --------
    >>> bilinear_weights(2, 3).shape
    (4, 4, 3, 3)
    """
    if isinstance(channels, bool) or not isinstance(channels, numbers.Real) or int(channels) != channels or channels < 1:
        raise ValueError(f"`channels` must be a whole number of at least 1, got {channels!r}.")
    return diagonal_weights(bilinear_kernel(factor), int(channels))


def kernel_profile(kernel, factor):
    """The 1-D kernel whose stamps add up like the 2-D kernel's along one axis.

    ``kernel.sum(axis=1) * factor / kernel.sum()``: for a separable kernel
    ``outer(t, t)`` with ``sum(t) == factor`` (bilinear, nearest) this is
    ``t`` itself; for any kernel, stamping it every ``factor`` pixels gives
    the row averages of the 2-D response to a constant image.

    Returns
    -------
    profile : ndarray of float64, shape (k,)

    Examples
    --------
    >>> kernel_profile(bilinear_kernel(2), 2)
    array([0.25, 0.75, 0.75, 0.25])
    """
    kernel = check_kernel(kernel)
    factor = check_factor(factor)
    total = kernel.sum()
    if abs(total) < 1e-12:
        raise ValueError("`kernel` sums to 0; its profile is undefined.")
    return kernel.sum(axis=1) * factor / total


def phase_sums(kernel, stride):
    """Response of a transposed convolution to a constant image of 1, per phase.

    Away from the border, output pixel ``(y, x)`` receives kernel taps
    ``(a, b)`` with ``a ≡ y + pad``, ``b ≡ x + pad (mod stride)``: one tap
    from each stamp that covers it. So the interior of the response is the
    ``(stride, stride)`` table of these *polyphase sums*, tiled.

    Parameters
    ----------
    kernel : ndarray, shape (k, k)
    stride : int

    Returns
    -------
    sums : ndarray of float64, shape (stride, stride)
        ``sums[a, b] = kernel[a::stride, b::stride].sum()``. All equal (to 1
        for the bilinear kernel): no checkerboard.

    Examples
    --------
    >>> phase_sums(bilinear_kernel(2), 2)
    array([[1., 1.],
           [1., 1.]])
    >>> phase_sums(np.ones((3, 3)), 2)
    array([[4., 2.],
           [2., 1.]])
    """
    kernel = check_kernel(kernel)
    stride = whole(stride, "stride")
    sums = np.zeros((stride, stride))
    for a in range(stride):
        for b in range(stride):
            sums[a, b] = kernel[a::stride, b::stride].sum()
    return sums


def kernel_checkerboard_strength(kernel, stride):
    """Checkerboard strength of a kernel, exactly: ``(max - min) / max`` of :func:`phase_sums`.

    It equals :func:`checkerboard_strength` of the layer's response to a
    constant image, without running the layer. 0 means no checkerboard.

    Examples
    --------
    >>> kernel_checkerboard_strength(bilinear_kernel(3), 3)
    0.0
    >>> kernel_checkerboard_strength(np.ones((3, 3)), 2)  # overlap counts 4, 2, 2, 1
    0.75
    """
    sums = phase_sums(kernel, stride)
    top = sums.max()
    if top <= 1e-12:
        raise ValueError("`kernel` has no positive phase sum; its checkerboard strength is undefined.")
    return float(round((top - sums.min()) / top, 12))
