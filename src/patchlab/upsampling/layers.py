"""Keras layers that upsample: a transposed convolution set to a kernel, and resize-then-convolve.

:func:`bilinear_upsampling_layer` is the layer the inpainting U-Net's
decoder starts from: a ``Conv2DTranspose`` with stride ``f``, kernel size
``2 f - f % 2``, ``padding='same'``, no bias and diagonal bilinear weights
(:func:`patchlab.upsampling.kernels.bilinear_weights`). In the interior its
output equals ``tf.image.resize(..., 'bilinear')`` (half-pixel centres);
on a border of ``f // 2`` pixels the stamps of pixels outside the image are
missing (:func:`compare_with_resize`).

Images are ``(H, W)`` or ``(H, W, C)`` float arrays in [0, 1]. TensorFlow
is imported, through :func:`patchlab.runtime.tensorflow` (capped thread
pools), only when a layer is built or run, so importing this module is
cheap.
"""

from __future__ import annotations

import numpy as np

from patchlab.runtime import tensorflow
from patchlab.upsampling._checks import check_factor, check_image, check_kernel, whole
from patchlab.upsampling.kernels import bilinear_kernel, diagonal_weights, kernel_size
from patchlab.upsampling.stamps import border_widths, interior

__all__ = [
    "METHODS",
    "transposed_conv_layer",
    "bilinear_upsampling_layer",
    "resize_conv_layer",
    "upsample",
    "compare_with_resize",
]

#: The upsampling methods :func:`upsample` runs.
METHODS = ("nearest", "bilinear", "transposed", "resize_conv")


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
    kernel = check_kernel(kernel)
    factor = check_factor(factor)
    channels = whole(channels, "channels")
    tensorflow()  # TensorFlow with capped thread pools, before Keras starts it
    import keras

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
    kernel = check_kernel(kernel)
    total = kernel.sum()
    if abs(total) < 1e-12:
        raise ValueError("`kernel` sums to 0; it cannot be normalised.")
    channels = whole(channels, "channels")
    tensorflow()  # TensorFlow with capped thread pools, before Keras starts it
    import keras

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
    image = check_image(image)
    factor = check_factor(factor)
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {', '.join(METHODS)}; got {method!r}.")
    if method in ("transposed", "resize_conv") and layer is None:
        raise ValueError(f"`layer` is required for method {method!r}.")
    tf = tensorflow()
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
    image = check_image(image)
    factor = check_factor(factor)
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
