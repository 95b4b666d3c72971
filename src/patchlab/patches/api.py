"""The patch engine's public API: overlapping patches as views, and their merge back.

An image is cut into patches of size ``patch_size`` every ``stride`` pixels
(per axis). :func:`patchify` returns the patches as a read-only, zero-copy
strided *view*; :func:`unpatchify` merges patches back by weighted
overlap-add, dividing every pixel by the summed weights that reached it.
:func:`coverage` and :func:`weight_map` describe that merge without ever
building a patch: they are separable, so they cost O(H + W).
:func:`unpatchify_reference` is the same merge written as a plain loop over
the patches, to read (and to test the fast one against).

Edge policies (``edge``), for the pixels a regular grid does not reach:

``"valid"``
    The grid starts at the top-left corner and stops where the next patch
    would leave the image; the remainder is dropped. The only policy whose
    patches are a true view of the image. Uncovered pixels are 0 in
    :func:`coverage` and :func:`unpatchify`.
``"pad"``
    The image is reflect-padded at the bottom and right until the grid
    covers it; merging crops back to the original size.
``"shift"``
    One extra row/column of patches is aligned to the far edge, so the
    last patches overlap their neighbours more.

Batches: with ``batch=True`` every function reads the first axis as a batch
of images of one size, ``(B, H, W)`` or ``(B, H, W, C)``. Without it a 3-D
array is one colour image ``(H, W, C)``, never a batch.

The compiled merge (numba, explicit vector instructions) and the choice of
kernel and thread count live in the private modules ``_kernels`` and
``_merge``; nothing here depends on how they work.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.signal import windows as _sig_windows

from patchlab.patches import _merge

__all__ = [
    "EDGES",
    "WINDOWS",
    "patchify",
    "unpatchify",
    "unpatchify_reference",
    "coverage",
    "weight_map",
    "patch_origins",
    "window_1d",
    "tent",
    "grid_shape",
]

EDGES = ("valid", "pad", "shift")
WINDOWS = ("uniform", "tent", "hann", "gaussian")


# --------------------------------------------------------------------------
# patchify
# --------------------------------------------------------------------------
def patchify(image, patch_size, stride, edge="valid", *, batch=False):
    """Overlapping patches of an image (or a batch of images) as a read-only view.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C); with ``batch=True`` (B, H, W) or (B, H, W, C)
        Grayscale or colour image(s), any dtype.
    patch_size : int or (int, int)
        Patch height and width ``(ph, pw)``; an int means a square patch.
    stride : int or (int, int)
        Step between patch origins ``(sh, sw)``; may exceed the patch size
        (pixels between patches are then not covered).
    edge : {'valid', 'pad', 'shift'}, optional
        What to do with the pixels a regular grid does not reach (see the
        module docstring). Only ``'valid'`` returns a view of ``image``
        itself; ``'pad'`` views a padded copy and ``'shift'`` gathers a
        copy, because its last row/column breaks the regular stride.
    batch : bool, optional
        Read the first axis as a batch of images.

    Returns
    -------
    patches : ndarray, shape (nh, nw, ph, pw[, C]); with ``batch=True`` (B, nh, nw, ph, pw[, C])
        ``patches[i, j]`` is the patch whose top-left corner is at
        ``(i * sh, j * sw)``. Read-only.

    Raises
    ------
    ValueError
        If the image has the wrong number of dimensions, a size or stride
        is below 1, or the patch is larger than the image.

    Notes
    -----
    The view costs microseconds whatever the geometry, but it *looks* like
    ``nh * nw * ph * pw`` elements. Copying it (``np.ascontiguousarray``,
    arithmetic on it, ``reshape`` to ``(n_patches, ph * pw)``) materialises
    all of them: a 1024x1024 image in 64x64 patches at stride 1 is
    ~3.8 * 10**9 elements, 15 GB in float32. Reduce patches with
    :func:`unpatchify`, which reads the view without copying it.

    Examples
    --------
    >>> x = np.arange(16).reshape(4, 4)
    >>> p = patchify(x, 2, 2)
    >>> p.shape
    (2, 2, 2, 2)
    >>> p[1, 0]
    array([[ 8,  9],
           [12, 13]])
    >>> np.shares_memory(p, x)
    True
    >>> patchify(np.zeros((16, 32, 32, 3)), 8, 4, batch=True).shape
    (16, 7, 7, 8, 8, 3)
    """
    image = np.asarray(image)
    _image_shape(image.shape, batch, "image")
    if image.size == 0:
        raise ValueError(f"`image` is empty (shape {image.shape}).")
    images = image if batch else image[None]  # from here on: (B, H, W[, C])
    hw = images.shape[1:3]
    patch, step = _pair(patch_size, "patch_size"), _pair(stride, "stride")
    _check_geometry(hw, patch, edge)

    if edge == "pad":
        target = [_padded_length(hw[a], patch[a], step[a]) for a in (0, 1)]
        pad = [(0, 0), (0, target[0] - hw[0]), (0, target[1] - hw[1])] + [(0, 0)] * (images.ndim - 3)
        if target != list(hw):  # 'symmetric' works for any pad width (np.pad repeats it)
            images = np.pad(images, pad, mode="symmetric")
    inner = "valid" if edge == "pad" else edge
    oy = patch_origins(images.shape[1], patch[0], step[0], inner)
    ox = patch_origins(images.shape[2], patch[1], step[1], inner)

    if edge == "shift" and (_irregular(oy, step[0]) or _irregular(ox, step[1])):
        every = _regular_view(images, patch, (1, 1))  # every origin, still a view
        view = every[:, oy[:, None], ox[None, :]]     # gathers a copy
        view.flags.writeable = False
    else:
        view = _regular_view(images, patch, step, (len(oy), len(ox)))
    return view if batch else view[0]


def _irregular(origins, step):
    return len(origins) > 1 and origins[-1] - origins[-2] != step


def _regular_view(images, patch, step, counts=None):
    """The (B, nh, nw, ph, pw[, C]) strided view of a (B, H, W[, C]) array."""
    hw = images.shape[1:3]
    if counts is None:
        counts = tuple((hw[a] - patch[a]) // step[a] + 1 for a in (0, 1))
    sb, s0, s1 = images.strides[:3]
    shape = images.shape[:1] + counts + patch + images.shape[3:]
    strides = (sb, s0 * step[0], s1 * step[1], s0, s1) + images.strides[3:]
    return np.lib.stride_tricks.as_strided(images, shape, strides, writeable=False)


# --------------------------------------------------------------------------
# unpatchify
# --------------------------------------------------------------------------
def unpatchify(patches, image_shape, stride, window="uniform", edge="valid", out=None, *,
               batch=False):
    """Merge patches back into an image (or a batch) by weighted overlap-add.

    Every patch is multiplied by the 2-D ``window`` (the outer product of
    two 1-D windows), added into place, and every pixel is divided by the
    window weight that reached it (:func:`weight_map`). Unmodified patches
    therefore give the image back exactly on every covered pixel, for
    every window. :func:`unpatchify_reference` is the same merge as a
    plain loop.

    Parameters
    ----------
    patches : ndarray, shape (nh, nw, ph, pw[, C]); with ``batch=True`` (B, nh, nw, ph, pw[, C])
        As returned by :func:`patchify` (a view is fine: it is read in
        place, never copied). Any numeric dtype.
    image_shape : tuple
        Shape of the image to rebuild, ``(H, W)`` or ``(H, W, C)``; with
        ``batch=True`` ``(B, H, W)`` or ``(B, H, W, C)``.
    stride : int or (int, int)
    window : {'uniform', 'tent', 'hann', 'gaussian'}, optional
    edge : {'valid', 'pad', 'shift'}, optional
        Must be the policy used to cut the patches.
    out : ndarray, optional
        Where to write the result: C-contiguous, writable, of shape
        ``image_shape`` and of the dtype the result would have. It is
        overwritten and returned. Reusing one saves allocating (and the
        operating system zeroing) a fresh array on every call.
    batch : bool, optional
        Read the first axis of ``patches`` and ``image_shape`` as a batch.

    Returns
    -------
    image : ndarray, shape ``image_shape``
        float32 for integer or float32 patches, float64 for float64
        (``out`` itself when given). Pixels no patch covers are 0.

    Raises
    ------
    ValueError
        If the patch grid does not match ``image_shape``, ``stride`` and
        ``edge``, or ``out`` is not a suitable array.

    Notes
    -----
    The merge is one compiled pass over the patches (numba): each patch
    element is read once and added into place, in bands of output rows
    small enough to stay in the CPU cache, so it runs at about the speed
    of reading the patch array from memory once. It uses one thread unless
    the merge is large (8 MB of patches or more) and a CPU core is idle.
    Patch views (the output of :func:`patchify`) are read in place, never
    copied.
    Memory: the result is the only large allocation (none with ``out``).

    Examples
    --------
    >>> x = np.arange(20.0).reshape(4, 5)
    >>> np.allclose(unpatchify(patchify(x, 3, 1), x.shape, 1, window="hann"), x)
    True
    >>> xs = np.ones((2, 6, 6, 3), np.float32)
    >>> merged = np.empty_like(xs)
    >>> unpatchify(patchify(xs, 4, 2, batch=True), xs.shape, 2, batch=True, out=merged) is merged
    True
    """
    patches = np.asarray(patches)
    shape = _image_shape(image_shape, batch)
    lead = 1 if batch else 0
    if patches.ndim != len(shape) + 2:
        raise ValueError(
            f"`patches` must have {len(shape) + 2} dimensions for an image of "
            f"shape {shape}, got shape {patches.shape}."
        )
    if len(shape) == lead + 3 and patches.shape[-1] != shape[-1]:
        raise ValueError(
            f"`patches` have {patches.shape[-1]} channels but `image_shape` has {shape[-1]}."
        )
    if batch and patches.shape[0] != shape[0]:
        raise ValueError(
            f"`patches` hold a batch of {patches.shape[0]} images but `image_shape` "
            f"has {shape[0]}."
        )
    _check_window(window)
    step = _pair(stride, "stride")
    hw, patch = shape[lead:lead + 2], patches.shape[lead + 2:lead + 4]
    layout = _layout(hw, patch, step, edge, window)
    if patches.shape[lead:lead + 2] != layout.grid:
        raise ValueError(
            f"`patches` form a {patches.shape[lead]}x{patches.shape[lead + 1]} grid, but an "
            f"image of shape {shape} with patch {patch}, stride {step} and "
            f"edge={edge!r} needs {layout.grid[0]}x{layout.grid[1]}."
        )
    dtype = np.dtype(np.float64 if patches.dtype == np.float64 else np.float32)
    result = np.empty(shape, dtype) if out is None else _check_out(out, shape, dtype, patches)

    # the private merge works on (B, nh, nw, ph, pw, C) patches into a (B, H, W * C) array
    six = patches if batch else patches[None]
    if six.ndim == 5:
        six = six[..., None]
    _merge.overlap_add(six, result.reshape(six.shape[0], hw[0], -1), layout)
    return result


def _check_out(out, shape, dtype, patches):
    if not isinstance(out, np.ndarray):
        raise ValueError(f"`out` must be a NumPy array, got {type(out).__name__}.")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(
            f"`out` must have shape {shape} and dtype {dtype} (what the merge "
            f"returns for {patches.dtype} patches), got shape {out.shape} and dtype {out.dtype}."
        )
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("`out` must be a writable, C-contiguous array (e.g. from np.empty).")
    if np.may_share_memory(out, patches):
        raise ValueError("`out` must not share memory with `patches`.")
    return out


def unpatchify_reference(patches, image_shape, stride, window="uniform", edge="valid", *,
                         batch=False):
    """The merge of :func:`unpatchify`, written as a plain loop over the patches.

    Same parameters and result as :func:`unpatchify` (but always float64
    and thousands of times slower): this is the definition to read; the
    tests check the fast merge against it.

    Examples
    --------
    >>> x = np.arange(20.0).reshape(4, 5)
    >>> np.allclose(unpatchify_reference(patchify(x, 3, 2, "pad"), x.shape, 2, "tent", "pad"), x)
    True
    """
    if batch:
        return np.stack([unpatchify_reference(p, image_shape[1:], stride, window, edge)
                         for p in patches])
    patches = np.asarray(patches, dtype=np.float64)
    ph, pw = patches.shape[2:4]
    sh, sw = _pair(stride, "stride")
    h, w = image_shape[:2]
    if grid_shape(image_shape, (ph, pw), (sh, sw), edge) != patches.shape[:2]:
        raise ValueError("`patches` do not form the grid of this image, stride and edge.")
    if edge == "pad":  # merge on the padded image, crop at the end
        h_work, w_work = _padded_length(h, ph, sh), _padded_length(w, pw, sw)
        ys, xs = patch_origins(h_work, ph, sh), patch_origins(w_work, pw, sw)
    else:
        h_work, w_work = h, w
        ys, xs = patch_origins(h, ph, sh, edge), patch_origins(w, pw, sw, edge)

    weight = np.outer(window_1d(window, ph), window_1d(window, pw))
    weight = weight.reshape(weight.shape + (1,) * (patches.ndim - 4))  # colour: one per channel
    total = np.zeros((h_work, w_work) + patches.shape[4:])      # sum of weight * patch
    weight_sum = np.zeros((h_work, w_work) + weight.shape[2:])  # sum of weight
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            total[y:y + ph, x:x + pw] += weight * patches[i, j]
            weight_sum[y:y + ph, x:x + pw] += weight
    image = np.zeros_like(total)
    np.divide(total, weight_sum, out=image, where=weight_sum > 0)  # uncovered pixels stay 0
    return image[:h, :w]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: the merge caches by it
class _Layout:
    """Everything the merge derives from the geometry alone (cached per geometry)."""

    image_hw: tuple
    patch: tuple
    stride: tuple
    grid: tuple          # (nh, nw)
    oy: np.ndarray       # patch origins (rows, columns), on the padded image for edge='pad'
    ox: np.ndarray
    wy: np.ndarray       # the 1-D windows
    wx: np.ndarray
    row_norm: np.ndarray  # weight_map == np.outer(row_norm, col_norm)
    col_norm: np.ndarray
    uniform: bool


@functools.lru_cache(maxsize=64)
def _layout(hw, patch, step, edge, window):
    _check_geometry(hw, patch, edge)
    inner = "valid" if edge == "pad" else edge
    work = [_padded_length(hw[a], patch[a], step[a]) if edge == "pad" else hw[a] for a in (0, 1)]
    origins = [patch_origins(work[a], patch[a], step[a], inner) for a in (0, 1)]
    norms = [_safe_reciprocal(_summed_1d(hw[a], patch[a], step[a], edge, window)) for a in (0, 1)]
    layout = _Layout(
        image_hw=tuple(hw), patch=tuple(patch), stride=tuple(step), grid=(len(origins[0]), len(origins[1])),
        oy=origins[0], ox=origins[1],
        wy=window_1d(window, patch[0]), wx=window_1d(window, patch[1]),
        row_norm=norms[0], col_norm=norms[1], uniform=window == "uniform",
    )
    for array in (layout.oy, layout.ox, layout.wy, layout.wx, layout.row_norm, layout.col_norm):
        array.flags.writeable = False
    return layout


# --------------------------------------------------------------------------
# coverage and weights
# --------------------------------------------------------------------------
def coverage(image_shape, patch_size, stride, edge="valid", *, batch=False):
    """How many patches cover each pixel.

    Parameters
    ----------
    image_shape : tuple
        ``(H, W)`` or ``(H, W, C)`` (with ``batch=True``, ``(B, H, W[, C])``);
        only ``H, W`` matter.
    patch_size, stride : int or (int, int)
    edge : {'valid', 'pad', 'shift'}, optional
    batch : bool, optional
        Read the first axis of ``image_shape`` as a batch.

    Returns
    -------
    counts : ndarray of int64, shape (H, W)
        0 where no patch reaches. The same for every image of a batch.

    Notes
    -----
    Computed as the outer product of two 1-D counts, in O(H + W) work
    before the final (H, W) product; no patch is built.

    Examples
    --------
    >>> coverage((4, 5), 2, 1)[0]
    array([1, 2, 2, 2, 1])
    """
    hw, patch, step = _geometry(image_shape, patch_size, stride, edge, batch)
    rows = _summed_1d(hw[0], patch[0], step[0], edge, "uniform")
    cols = _summed_1d(hw[1], patch[1], step[1], edge, "uniform")
    return np.outer(np.rint(rows).astype(np.int64), np.rint(cols).astype(np.int64))


def weight_map(image_shape, patch_size, stride, window="uniform", edge="valid", *, batch=False):
    """The per-pixel normaliser of a weighted overlap-add merge.

    The merge of :func:`unpatchify` is ``sum_k w_k(y, x) * patch_k(y, x)``
    times this map, where ``w_k`` is the window placed at patch ``k``. So
    the map is ``1 / sum_k w_k(y, x)``: for ``window='uniform'`` it is
    ``1 / coverage``. Pixels no patch reaches get 0.

    Parameters
    ----------
    image_shape : tuple
        ``(H, W)`` or ``(H, W, C)`` (with ``batch=True``, ``(B, H, W[, C])``).
    patch_size, stride : int or (int, int)
    window : {'uniform', 'tent', 'hann', 'gaussian'}, optional
    edge : {'valid', 'pad', 'shift'}, optional
    batch : bool, optional

    Returns
    -------
    weights : ndarray of float64, shape (H, W)

    Examples
    --------
    >>> weight_map((1, 4), (1, 2), 1)[0]
    array([1. , 0.5, 0.5, 1. ])
    """
    hw, patch, step = _geometry(image_shape, patch_size, stride, edge, batch)
    _check_window(window)
    rows = _summed_1d(hw[0], patch[0], step[0], edge, window)
    cols = _summed_1d(hw[1], patch[1], step[1], edge, window)
    return np.outer(_safe_reciprocal(rows), _safe_reciprocal(cols))


def _summed_1d(length, patch, stride, edge, window):
    """How much window weight reaches each pixel along one axis (O(L + n))."""
    work = _padded_length(length, patch, stride) if edge == "pad" else length
    origins = patch_origins(work, patch, stride, "valid" if edge == "pad" else edge)
    if window == "uniform":
        # difference array: +1 where a patch starts, -1 where it ends
        total = np.zeros(work + patch)
        np.add.at(total, origins, 1.0)
        np.add.at(total, origins + patch, -1.0)
        total = np.cumsum(total)
    else:
        # a window placed at every origin: an impulse train convolved with it
        starts = np.bincount(origins, minlength=work).astype(np.float64)
        total = np.convolve(starts, window_1d(window, patch))
    return total[:length]


def _safe_reciprocal(x):
    out = np.zeros_like(x, dtype=np.float64)
    np.divide(1.0, x, out=out, where=x > 1e-12)
    return out


# --------------------------------------------------------------------------
# the grid
# --------------------------------------------------------------------------
def patch_origins(length, patch, stride, edge="valid"):
    """Start positions of the patches along one axis.

    Parameters
    ----------
    length : int
        Image size along the axis.
    patch, stride : int
        Patch size and stride along the axis.
    edge : {'valid', 'pad', 'shift'}
        Edge policy (see the module docstring).

    Returns
    -------
    origins : ndarray of int64, shape (n,)

    Examples
    --------
    >>> patch_origins(10, 4, 3)
    array([0, 3, 6])
    >>> patch_origins(10, 4, 4, edge="shift")
    array([0, 4, 6])
    >>> patch_origins(10, 4, 4, edge="pad")
    array([0, 4, 8])
    """
    _check_edge(edge)
    if patch > length:
        raise ValueError(f"`patch_size` {patch} is larger than the image side {length}.")
    n = (length - patch) // stride + 1
    if edge == "pad":
        n = -(-max(length - patch, 0) // stride) + 1  # ceil
    origins = np.arange(n, dtype=np.int64) * stride
    if edge == "shift" and origins[-1] + patch < length:
        origins = np.append(origins, length - patch)
    return origins


def grid_shape(image_shape, patch_size, stride, edge="valid", *, batch=False):
    """Number of patch rows and columns ``(nh, nw)`` for a geometry.

    Examples
    --------
    >>> grid_shape((100, 100), 39, 1)
    (62, 62)
    """
    hw, patch, step = _geometry(image_shape, patch_size, stride, edge, batch)
    return tuple(len(patch_origins(hw[a], patch[a], step[a], edge)) for a in (0, 1))


def _padded_length(length, patch, stride):
    n = -(-max(length - patch, 0) // stride) + 1
    return (n - 1) * stride + patch


# --------------------------------------------------------------------------
# windows
# --------------------------------------------------------------------------
def tent(size):
    """The 1-D bilinear-interpolation kernel (a tent) of length ``size``.

    This is the kernel of a transposed convolution that performs bilinear
    upsampling by ``factor = ceil(size / 2)`` when ``size = 2 * factor -
    factor % 2``; the Upsampling page builds its 2-D kernel from it. All
    values are strictly positive.

    Examples
    --------
    >>> tent(4)
    array([0.25, 0.75, 0.75, 0.25])
    >>> tent(3)
    array([0.5, 1. , 0.5])
    """
    size = int(size)
    if size < 1:
        raise ValueError(f"`size` must be at least 1, got {size}.")
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    return 1.0 - np.abs(np.arange(size) - center) / factor


def window_1d(name, size):
    """A strictly positive 1-D blending window.

    Parameters
    ----------
    name : {'uniform', 'tent', 'hann', 'gaussian'}
    size : int

    Returns
    -------
    w : ndarray of float64, shape (size,), values in (0, 1] (peak 1 for odd sizes; even-size tent and gaussian peak just below 1).

    Notes
    -----
    Windows that taper to 0 at the ends (Hann) are sampled without their
    zero end points, so that every pixel of a patch keeps some weight and
    every covered pixel of the merge is defined.
    """
    size = int(size)
    if size < 1:
        raise ValueError(f"`size` must be at least 1, got {size}.")
    if name == "uniform":
        return np.ones(size)
    if name == "tent":
        return tent(size)
    if name == "hann":
        w = _sig_windows.hann(size + 2)[1:-1]
        return w / w.max()
    if name == "gaussian":
        return _sig_windows.gaussian(size, std=max(size / 4.0, 0.5))
    _check_window(name)


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------
def _pair(value, name):
    """Return ``value`` as an ``(h, w)`` pair of positive ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        pair = (int(value), int(value))
    else:
        try:
            pair = tuple(int(v) for v in value)
            ok = len(pair) == 2 and all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool)
                for v in value
            )
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(
                f"`{name}` must be a whole number or a (height, width) pair of "
                f"whole numbers, got {value!r}."
            )
    if min(pair) < 1:
        raise ValueError(f"`{name}` must be at least 1 pixel on each axis, got {pair}.")
    return pair


def _image_shape(image_shape, batch, name="image_shape"):
    """``image_shape`` as a tuple, checked: (H, W[, C]), or (B, H, W[, C]) for a batch."""
    shape = tuple(int(v) for v in image_shape)
    if batch and len(shape) not in (3, 4):
        raise ValueError(
            f"`{name}` must describe a batch of grayscale (B, H, W) or colour "
            f"(B, H, W, C) images (batch=True), got {len(shape)} dimensions: {shape}."
        )
    if not batch and len(shape) not in (2, 3):
        hint = " For a batch of images, pass batch=True." if len(shape) == 4 else ""
        raise ValueError(
            f"`{name}` must describe a grayscale (H, W) or colour (H, W, C) "
            f"image, got {len(shape)} dimensions: {shape}.{hint}"
        )
    if name == "image_shape" and min(shape) < 1:
        raise ValueError(f"`{name}` must have positive sizes, got {shape}.")
    return shape


def _geometry(image_shape, patch_size, stride, edge, batch):
    """Checked ``(hw, patch, step)`` for the functions that take an image shape."""
    shape = _image_shape(image_shape, batch)
    hw = shape[1:3] if batch else shape[:2]
    patch, step = _pair(patch_size, "patch_size"), _pair(stride, "stride")
    _check_geometry(hw, patch, edge)
    return hw, patch, step


def _check_edge(edge):
    if edge not in EDGES:
        raise ValueError(f"`edge` must be one of {', '.join(EDGES)}; got {edge!r}.")


def _check_window(window):
    if window not in WINDOWS:
        raise ValueError(f"`window` must be one of {', '.join(WINDOWS)}; got {window!r}.")


def _check_geometry(hw, patch, edge):
    _check_edge(edge)
    for axis, (size, p) in enumerate(zip(hw, patch)):
        if p > size:
            which = "height" if axis == 0 else "width"
            raise ValueError(
                f"`patch_size` {which} {p} is larger than the image {which} "
                f"{size}; choose a patch size between 1 and {size}."
            )
