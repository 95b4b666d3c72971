"""Where a transposed convolution's stamps land, how many overlap, and the unevenness left.

A transposed convolution with stride ``s`` stamps a weighted copy of its
``k``-pixel kernel into the output for every input pixel, every ``s``
output pixels; overlapping stamps add up. That is the overlap-add the patch
engine merges patches with: the stamps are kernel-sized "patches" on the
*full* output grid of ``(n - 1) * s + k`` pixels, so :func:`overlap_count`
is :func:`patchlab.patches.coverage` of that grid, cropped to the
``n * s`` pixels that ``padding='same'`` keeps (:func:`same_padding`).

Near the edges stamps from outside the image are missing
(:func:`border_widths`); away from them, an upsampled constant image shows
any checkerboard the overlaps leave (:func:`checkerboard_strength`).
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import numpy as np

from patchlab.patches import coverage
from patchlab.upsampling._checks import whole

__all__ = [
    "same_padding",
    "border_widths",
    "stamp_origins",
    "overlap_count",
    "interior",
    "checkerboard_strength",
]


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
    kernel_size = whole(kernel_size, "kernel_size")
    stride = whole(stride, "stride")
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
    >>> [border_widths(k, f) for k, f in ((1, 1), (4, 2), (5, 3), (8, 4))]  # bilinear kernel sizes
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
    length = whole(length, "length")
    stride = whole(stride, "stride")
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
    k = whole(kernel_size, "kernel_size")
    s = whole(stride, "stride")
    h, w = shape[:2]
    full = ((h - 1) * s + k, (w - 1) * s + k)
    counts = coverage(full, k, s, edge="valid")
    before, _ = same_padding(k, s)
    out = np.zeros((h * s, w * s), dtype=np.int64)
    crop = counts[before: before + h * s, before: before + w * s]
    out[: crop.shape[0], : crop.shape[1]] = crop  # kernel < stride: zeros at the far end
    return out



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
