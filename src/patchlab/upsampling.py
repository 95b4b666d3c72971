"""Upsampling with a transposed convolution initialised as bilinear interpolation.

A transposed convolution with stride ``f`` stamps a weighted copy of its
kernel into the output for every input pixel, every ``f`` output pixels;
overlapping stamps add up. That is the overlap-add the patch engine uses to
merge patches (:mod:`patchlab.patches`): the stamps are kernel-sized
"patches" on the output grid, so :func:`overlap_count` is just
:func:`patchlab.patches.coverage` of that grid.

With the bilinear kernel of size ``2 f - f % 2`` the stamps that reach any
output pixel have weights summing to exactly 1, and the result equals
bilinear interpolation (``tf.image.resize``, half-pixel centres) everywhere
but a thin border. With a kernel size that the stride does not divide, the
number of overlapping stamps alternates from pixel to pixel and, unless the
weights compensate, a checkerboard appears (:func:`checkerboard_strength`).

Layout conventions: images are ``(H, W)`` or ``(H, W, C)`` float arrays in
[0, 1]; 2-D kernels are ``(k, k)``; Keras ``Conv2DTranspose`` kernels are
``(k, k, out_channels, in_channels)``. TensorFlow and Keras are imported
inside the functions that need them, so importing this module is cheap.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from patchlab.patches import coverage, tent

__all__ = [
    "INITS",
    "METHODS",
    "PATTERNS",
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
    "same_padding",
    "border_widths",
    "stamp_origins",
    "overlap_count",
    "transposed_conv_layer",
    "bilinear_upsampling_layer",
    "resize_conv_layer",
    "upsample",
    "checkerboard_strength",
    "interior",
    "compare_with_resize",
    "pattern_image",
    "pipeline_model",
    "run_pipeline",
    "pixelate",
    "heatmap_figure",
    "stamps_figure",
]

INITS = ("bilinear", "random", "nearest")
METHODS = ("nearest", "bilinear", "transposed", "resize_conv")
PATTERNS = ("constant", "ramp", "checkerboard", "disc")


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------
def _whole(value, name, minimum=1):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or int(value) != value
        or value < minimum
    ):
        raise ValueError(f"`{name}` must be a whole number of at least {minimum}, got {value!r}.")
    return int(value)


def _check_factor(factor):
    return _whole(factor, "factor")


def _check_kernel(kernel):
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or kernel.size == 0:
        raise ValueError(f"`kernel` must be a square 2-D array (k, k), got shape {kernel.shape}.")
    return kernel


def _check_image(image):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(
            f"`image` must be a grayscale (H, W) or colour (H, W, C) array, got shape {image.shape}."
        )
    return image


def _configure_tensorflow():
    """Import TensorFlow with the app's capped thread pools."""
    from patchlab.tf_runtime import tensorflow

    return tensorflow()


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------
def kernel_size(factor):
    """Kernel size ``2 f - f % 2`` of a bilinear upsampling by ``factor``.

    Examples
    --------
    >>> [kernel_size(f) for f in (1, 2, 3, 4)]
    [1, 4, 5, 8]
    """
    factor = _check_factor(factor)
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
    factor = _check_factor(factor)
    size = kernel_size(factor) if size is None else _whole(size, "size")
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
    factor = _check_factor(factor)
    size = factor if size is None else _whole(size, "size")
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
    factor = _check_factor(factor)
    size = kernel_size(factor) if size is None else _whole(size, "size")
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
    kernel = _check_kernel(kernel)
    channels = _whole(channels, "channels")
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
    kernel = _check_kernel(kernel)
    factor = _check_factor(factor)
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
    kernel = _check_kernel(kernel)
    stride = _whole(stride, "stride")
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


# --------------------------------------------------------------------------
# geometry: stamps on the output grid
# --------------------------------------------------------------------------
def same_padding(kernel_size, stride):
    """Pixels ``'same'`` padding crops from the full output: ``(before, after)``.

    A transposed convolution of ``n`` pixels produces a *full* output of
    ``(n - 1) * stride + kernel_size`` pixels; ``padding='same'`` keeps
    ``n * stride`` of them, cropping ``kernel_size - stride`` (if positive)
    split as TensorFlow does: the smaller half before.

    Examples
    --------
    >>> same_padding(4, 2), same_padding(5, 3), same_padding(3, 2), same_padding(1, 2)
    ((1, 1), (1, 1), (0, 1), (0, 0))
    """
    kernel_size = _whole(kernel_size, "kernel_size")
    stride = _whole(stride, "stride")
    total = max(kernel_size - stride, 0)
    return total // 2, total - total // 2


def border_widths(kernel_size, stride):
    """Output pixels at each edge that a stamp from outside the image would reach.

    There the transposed convolution sums fewer stamps than in the
    interior (the outside counts as 0), while ``tf.image.resize`` repeats
    the edge pixel; so the two can differ only on these borders.

    Returns
    -------
    (start, end) : tuple of int
        Pixels at the top/left and at the bottom/right. For the bilinear
        kernel both are ``factor // 2``.

    Examples
    --------
    >>> [border_widths(kernel_size(f), f) for f in (1, 2, 3, 4)]
    [(0, 0), (1, 1), (1, 1), (2, 2)]
    """
    before, after = same_padding(kernel_size, stride)
    return after, before


def stamp_origins(length, kernel_size, stride):
    """Where each input pixel's stamp starts on the ``'same'`` output grid (1-D).

    Stamp ``i`` covers output pixels ``origins[i] : origins[i] + kernel_size``;
    the first may start before 0 (its cropped part is the padding).

    Examples
    --------
    >>> stamp_origins(3, 4, 2)
    array([-1,  1,  3])
    """
    length = _whole(length, "length")
    stride = _whole(stride, "stride")
    before, _ = same_padding(kernel_size, stride)
    return np.arange(length, dtype=np.int64) * stride - before


def overlap_count(input_shape, kernel_size, stride):
    """How many stamps of a transposed convolution overlap at each output pixel.

    One mechanism, two uses: the ``n`` stamps of an ``n``-pixel input are
    ``kernel_size`` patches placed every ``stride`` pixels on the full
    output grid of ``(n - 1) * stride + kernel_size`` pixels, so their
    overlap count is the patch engine's :func:`patchlab.patches.coverage`
    of that grid (``edge='valid'`` places exactly ``n`` patches), cropped
    to the ``'same'`` output of ``n * stride`` pixels.

    Parameters
    ----------
    input_shape : tuple
        ``(H, W)`` or ``(H, W, C)`` of the image being upsampled.
    kernel_size, stride : int

    Returns
    -------
    counts : ndarray of int64, shape (H * stride, W * stride)
        Uniform (``kernel_size / stride``) away from the border when the
        stride divides the kernel size; otherwise alternating between
        ``floor`` and ``ceil`` of that ratio: a checkerboard. 0 in the gaps
        when the kernel is smaller than the stride.

    Examples
    --------
    >>> overlap_count((1, 3), 4, 2)[0]
    array([1, 2, 2, 2, 2, 1])
    >>> overlap_count((1, 3), 3, 2)[0]
    array([1, 1, 2, 1, 2, 1])
    """
    shape = tuple(int(v) for v in np.atleast_1d(input_shape))
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ValueError(f"`input_shape` must be (H, W) or (H, W, C) with positive sizes, got {input_shape!r}.")
    k = _whole(kernel_size, "kernel_size")
    s = _whole(stride, "stride")
    h, w = shape[:2]
    full = ((h - 1) * s + k, (w - 1) * s + k)
    counts = coverage(full, k, s, edge="valid")
    before, _ = same_padding(k, s)
    out = np.zeros((h * s, w * s), dtype=np.int64)
    crop = counts[before: before + h * s, before: before + w * s]
    out[: crop.shape[0], : crop.shape[1]] = crop  # kernel < stride: zeros at the far end
    return out


# --------------------------------------------------------------------------
# Keras layers
# --------------------------------------------------------------------------
def transposed_conv_layer(kernel, factor, channels, name=None):
    """A Keras ``Conv2DTranspose`` (stride ``factor``, ``'same'``, no bias) set to ``kernel``.

    Each channel is stamped with ``kernel`` into itself only
    (:func:`diagonal_weights`). The weights stay trainable: this is an
    initialisation.

    Parameters
    ----------
    kernel : ndarray, shape (k, k)
    factor : int
        Stride; an ``(H, W, C)`` input becomes ``(H * factor, W * factor, C)``.
    channels : int
    name : str, optional

    Returns
    -------
    layer : keras.layers.Conv2DTranspose, built for ``channels`` channels.
    """
    import keras

    _configure_tensorflow()
    kernel = _check_kernel(kernel)
    factor = _check_factor(factor)
    channels = _whole(channels, "channels")
    layer = keras.layers.Conv2DTranspose(
        filters=channels,
        kernel_size=kernel.shape[0],
        strides=factor,
        padding="same",
        use_bias=False,
        name=name,
    )
    layer.build((None, None, None, channels))
    layer.set_weights([diagonal_weights(kernel, channels)])
    return layer


def bilinear_upsampling_layer(factor, channels, name=None):
    """A ``Conv2DTranspose`` initialised as bilinear upsampling by ``factor``.

    Kernel size ``2 f - f % 2``, stride ``f``, ``padding='same'``, no bias,
    weights :func:`bilinear_weights`. In the interior its output equals
    ``tf.image.resize(x, (H f, W f), 'bilinear')``.

    Examples
    --------
    >>> layer = bilinear_upsampling_layer(2, 3)  # doctest: +SKIP
    >>> layer(np.zeros((1, 8, 8, 3), "float32")).shape  # doctest: +SKIP
    TensorShape([1, 16, 16, 3])
    """
    return transposed_conv_layer(bilinear_kernel(factor), factor, channels, name=name)


def resize_conv_layer(kernel, channels, name=None):
    """A stride-1 ``Conv2D`` (``'same'``, no bias) with ``kernel`` scaled to sum 1.

    The convolution half of *resize-then-convolve*: after a nearest
    resize, every output pixel sees the same number of kernel taps, so no
    checkerboard can come from the overlaps.
    """
    import keras

    _configure_tensorflow()
    kernel = _check_kernel(kernel)
    total = kernel.sum()
    if abs(total) < 1e-12:
        raise ValueError("`kernel` sums to 0; it cannot be normalised.")
    channels = _whole(channels, "channels")
    layer = keras.layers.Conv2D(
        filters=channels, kernel_size=kernel.shape[0], padding="same", use_bias=False, name=name
    )
    layer.build((None, None, None, channels))
    layer.set_weights([diagonal_weights(kernel / total, channels)])
    return layer


def upsample(image, method, factor, layer=None):
    """Upsample an image by ``factor`` with one of four methods.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        Float image (uint8 is scaled to [0, 1]).
    method : {'nearest', 'bilinear', 'transposed', 'resize_conv'}
        ``'nearest'`` and ``'bilinear'`` are ``tf.image.resize`` (half-pixel
        centres). ``'transposed'`` runs ``layer``, a Conv2DTranspose
        (:func:`transposed_conv_layer`). ``'resize_conv'`` is a nearest
        resize followed by ``layer``, a stride-1 Conv2D
        (:func:`resize_conv_layer`).
    factor : int
    layer : keras layer, optional
        Required by ``'transposed'`` and ``'resize_conv'``.

    Returns
    -------
    upsampled : ndarray of float32, shape (H * factor, W * factor[, C])
        Not clipped: a transposed convolution can overshoot [0, 1].
    """
    image = _check_image(image)
    factor = _check_factor(factor)
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {', '.join(METHODS)}; got {method!r}.")
    if method in ("transposed", "resize_conv") and layer is None:
        raise ValueError(f"`layer` is required for method {method!r}.")
    tf = _configure_tensorflow()
    x = image.astype(np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)
    gray = x.ndim == 2
    batch = x[None, :, :, None] if gray else x[None]
    size = (x.shape[0] * factor, x.shape[1] * factor)
    if method == "bilinear":
        out = tf.image.resize(batch, size, method="bilinear")
    elif method == "nearest":
        out = tf.image.resize(batch, size, method="nearest")
    elif method == "transposed":
        out = layer(batch, training=False)
    else:
        out = layer(tf.image.resize(batch, size, method="nearest"), training=False)
    out = np.asarray(out)[0]
    return out[:, :, 0] if gray else out


# --------------------------------------------------------------------------
# measurements
# --------------------------------------------------------------------------
def interior(image, border):
    """``image`` without ``border`` pixels at each edge.

    ``border`` is an int or a ``(start, end)`` pair, as from
    :func:`border_widths`.
    """
    start, end = (border, border) if np.isscalar(border) else border
    start, end = int(start), int(end)
    if start < 0 or end < 0:
        raise ValueError(f"`border` must be non-negative, got {border!r}.")
    h, w = np.shape(image)[:2]
    if start + end >= min(h, w):
        raise ValueError(f"`border` {border!r} leaves nothing of an image of size {h}x{w}.")
    return np.asarray(image)[start: h - end, start: w - end]


def checkerboard_strength(response, border):
    """Relative variation of an upsampled *constant* image, away from the border.

    ``(max - min) / max`` of the interior of ``response``, the output of an
    upsampling method for a constant input: how much darker the darkest
    pixel is than the brightest. Every sound interpolation gives 0; a
    transposed convolution whose stamps overlap unevenly gives a periodic
    pattern and a value > 0 (0.5: the darkest pixels get half the
    brightness of the brightest; 1: gaps no stamp reaches).

    Parameters
    ----------
    response : ndarray, shape (H, W) or (H, W, C)
    border : int or (int, int)
        Pixels to ignore at each edge (see :func:`border_widths`).

    Examples
    --------
    >>> checkerboard_strength(np.tile([[1.0, 2.0], [2.0, 1.0]], (4, 4)), 1)
    0.5
    """
    inner = np.asarray(interior(response, border), dtype=np.float64)
    top = inner.max()
    if top <= 1e-12:
        raise ValueError("`response` has no positive value; its checkerboard strength is undefined.")
    return float((top - inner.min()) / top)


def compare_with_resize(image, factor):
    """Bilinear-initialised transposed convolution vs ``tf.image.resize`` bilinear.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    factor : int

    Returns
    -------
    result : dict
        ``interior_max`` (max absolute difference away from the border;
        ~1e-7, float32 rounding), ``border_max`` (on the border, where the
        transposed convolution misses the stamps of pixels outside the
        image and resize repeats the edge instead), ``border`` (the widths
        ``(start, end)``), and the two upsampled images ``transposed`` and
        ``resized``.
    """
    image = _check_image(image)
    factor = _check_factor(factor)
    channels = 1 if image.ndim == 2 else image.shape[2]
    layer = bilinear_upsampling_layer(factor, channels)
    a = upsample(image, "transposed", factor, layer)
    b = upsample(image, "bilinear", factor)
    diff = np.abs(a.astype(np.float64) - b)
    border = border_widths(kernel_size(factor), factor)
    inner = interior(diff, border)
    mask = np.ones(diff.shape[:2], bool)
    mask[border[0]: diff.shape[0] - border[1], border[0]: diff.shape[1] - border[1]] = False
    return {
        "interior_max": float(inner.max()),
        "border_max": float(diff[mask].max()) if mask.any() else 0.0,
        "border": border,
        "transposed": a,
        "resized": b,
    }


# --------------------------------------------------------------------------
# inputs and the source material's pipeline
# --------------------------------------------------------------------------
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
    size = _whole(size, "size", minimum=2)
    channels = _whole(channels, "channels")
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


def pipeline_model(channels=3):
    """The source material's pipeline: convolution, 2x2 max-pool, stride-2 transposed convolution.

    A 3x3 ``'same'`` convolution (a per-channel [1, 2, 1] x [1, 2, 1] / 16
    smoothing, so the intermediate pictures stay readable), a 2x2
    max-pool that halves the size, and a stride-2 ``Conv2DTranspose``
    (``'same'``, bilinear initialisation) that restores it.

    Returns
    -------
    model : keras.Sequential
        Input ``(None, None, channels)``.
    """
    import keras

    _configure_tensorflow()
    channels = _whole(channels, "channels")
    smooth = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16.0
    conv = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False, name="conv3x3")
    model = keras.Sequential(
        [
            keras.Input((None, None, channels)),
            conv,
            keras.layers.MaxPooling2D(2, name="max_pool_2x2"),
            bilinear_upsampling_layer(2, channels, name="conv_transpose_stride2"),
        ],
        name="conv_pool_upsample",
    )
    conv.set_weights([diagonal_weights(smooth, channels)])
    return model


@dataclass(frozen=True)
class Stage:
    """One step of :func:`run_pipeline`: the layer name and its real output."""

    name: str
    shape: tuple
    image: np.ndarray  # (H, W, C) float32


def run_pipeline(image, model=None):
    """Run an image through :func:`pipeline_model`, keeping every intermediate tensor.

    Parameters
    ----------
    image : ndarray, shape (H, W, C)
        uint8 or float in [0, 1]. Odd sizes are cropped by one pixel so the
        2x2 pool and the stride-2 upsampling restore the size exactly.
    model : keras.Sequential, optional
        Default: a new :func:`pipeline_model`.

    Returns
    -------
    stages : list of Stage
        ``input``, then one per layer; ``shape`` is the real tensor shape
        including the batch axis, e.g. ``(1, 128, 128, 3)``.
    """
    image = _check_image(image)
    if image.ndim != 3:
        raise ValueError(f"`image` must be (H, W, C), got shape {image.shape}.")
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    if h < 2 or w < 2:
        raise ValueError(f"`image` must be at least 2x2 pixels, got {image.shape[:2]}.")
    x = image[:h, :w].astype(np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)
    model = pipeline_model(image.shape[2]) if model is None else model
    x = x[None]
    stages = [Stage("input", tuple(x.shape), x[0])]
    for layer in model.layers:
        x = np.asarray(layer(x, training=False))
        stages.append(Stage(layer.name, tuple(x.shape), x[0]))
    return stages


def pixelate(image, scale):
    """Enlarge by repeating every pixel ``scale`` times (no smoothing), for display.

    A browser scaling a small image smooths it and would hide the very
    checkerboards this page is about.

    Examples
    --------
    >>> pixelate(np.eye(2), 2)
    array([[1., 1., 0., 0.],
           [1., 1., 0., 0.],
           [0., 0., 1., 1.],
           [0., 0., 1., 1.]])
    """
    image = _check_image(image)
    scale = _whole(scale, "scale")
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


# --------------------------------------------------------------------------
# figures (matplotlib, imported lazily; Figure objects, no pyplot state)
# --------------------------------------------------------------------------
def heatmap_figure(values, title, fmt="{:.2f}", annotate=None, size=3.2, cmap="viridis"):
    """A heatmap of a small 2-D array with its values written in the cells.

    Parameters
    ----------
    values : ndarray, shape (h, w)
    title : str
    fmt : str
        Format of the written values.
    annotate : bool, optional
        Write the values; default when the array has at most 400 cells.
    size : float
        Figure width and height in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"`values` must be a non-empty 2-D array, got shape {values.shape}.")
    fig = Figure(figsize=(size, size), layout="constrained")
    ax = fig.subplots()
    lo, hi = float(values.min()), float(values.max())
    ax.imshow(values, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1, interpolation="nearest")
    if annotate is None:
        annotate = values.size <= 400
    if annotate:
        n = max(values.shape)
        fontsize = max(4.0, min(10.0, 90.0 / n))
        mid = (lo + hi) / 2
        for (y, x), v in np.ndenumerate(values):
            ax.text(x, y, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                    color="black" if v > mid else "white")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def stamps_figure(kernel, factor, n=5):
    """1-D picture of the overlap-add: ``n`` input pixels of value 1 each stamp the kernel.

    Top: the stamps (the kernel's :func:`kernel_profile`) stacked where
    they overlap, so the height of each column is the output there; the
    grey parts are cropped by ``padding='same'``. Bottom: how many stamps
    overlap at each output pixel (:func:`overlap_count`).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    kernel = _check_kernel(kernel)
    factor = _check_factor(factor)
    n = _whole(n, "n")
    k = kernel.shape[0]
    profile = kernel_profile(kernel, factor)
    origins = stamp_origins(n, k, factor)
    length = n * factor
    lo, hi = int(min(origins.min(), 0)), int(max(origins.max() + k, length))
    xs = np.arange(lo, hi)
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.3])
    base = np.zeros(hi - lo)
    colours = [f"C{i % 10}" for i in range(n)]
    for i, o in enumerate(origins):
        h = np.zeros(hi - lo)
        h[o - lo: o - lo + k] = profile
        top.bar(xs, h, bottom=base, width=0.92, color=colours[i], edgecolor="white", linewidth=0.5,
                label=f"stamp of input pixel {i}")
        base += h
    top.plot(xs, base, "k.", markersize=4)
    for ax in (top, bottom):
        ax.axvspan(lo - 0.5, -0.5, color="0.85", zorder=0)
        ax.axvspan(length - 0.5, hi - 0.5, color="0.85", zorder=0)
    top.set_ylabel("summed weight")
    top.set_title(f"{n} input pixels of value 1, kernel size {k}, stride {factor} "
                  "(grey: cropped by padding='same')", fontsize=9)
    counts = overlap_count((1, n), k, factor)[0]
    bottom.bar(np.arange(length), counts, width=0.92, color="0.35")
    for x, c in enumerate(counts):
        bottom.text(x, c, str(c), ha="center", va="bottom", fontsize=7)
    bottom.set_ylim(0, max(int(counts.max()), 1) * 1.4)
    bottom.set_ylabel("stamps")
    bottom.set_xlabel("output pixel")
    return fig
