"""The patch engine: overlapping patches as views, and their merge back.

An image is cut into patches of size ``patch_size`` every ``stride`` pixels
(per axis). :func:`patchify` returns the patches as a read-only, zero-copy
strided *view*; :func:`unpatchify` merges patches back by weighted
overlap-add, dividing every pixel by the summed weights that reached it.
:func:`coverage` and :func:`weight_map` describe that merge without ever
building a patch: they are separable, so they cost O(H + W).

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
"""

from __future__ import annotations

import functools
import numbers
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from scipy.signal import windows as _sig_windows

try:  # the compiled merge; a pure-NumPy path stands in if numba is absent
    import numba as _numba
except ImportError:  # pragma: no cover - numba is in requirements.txt
    _numba = None

__all__ = [
    "EDGES",
    "WINDOWS",
    "patchify",
    "unpatchify",
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


def _image_hw(image_shape, name="image_shape"):
    shape = tuple(int(v) for v in image_shape)
    if len(shape) not in (2, 3):
        raise ValueError(
            f"`{name}` must describe a grayscale (H, W) or colour (H, W, C) "
            f"image, got {len(shape)} dimensions: {shape}."
        )
    if min(shape) < 1:
        raise ValueError(f"`{name}` must have positive sizes, got {shape}.")
    return shape


def _check_edge(edge):
    if edge not in EDGES:
        raise ValueError(f"`edge` must be one of {', '.join(EDGES)}; got {edge!r}.")


def _check_geometry(hw, patch, stride, edge):
    _check_edge(edge)
    for axis, (size, p) in enumerate(zip(hw, patch)):
        if p > size:
            which = "height" if axis == 0 else "width"
            raise ValueError(
                f"`patch_size` {which} {p} is larger than the image {which} "
                f"{size}; choose a patch size between 1 and {size}."
            )


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


def grid_shape(image_shape, patch_size, stride, edge="valid"):
    """Number of patch rows and columns ``(nh, nw)`` for a geometry."""
    hw = _image_hw(image_shape)[:2]
    patch, step = _pair(patch_size, "patch_size"), _pair(stride, "stride")
    _check_geometry(hw, patch, step, edge)
    return tuple(len(patch_origins(hw[a], patch[a], step[a], edge)) for a in (0, 1))


def _padded_length(length, patch, stride):
    n = -(-max(length - patch, 0) // stride) + 1
    return (n - 1) * stride + patch


# --------------------------------------------------------------------------
# patchify
# --------------------------------------------------------------------------
def patchify(image, patch_size, stride, edge="valid"):
    """Overlapping patches of an image as a read-only view.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        Grayscale or colour image, any dtype.
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

    Returns
    -------
    patches : ndarray, shape (nh, nw, ph, pw) or (nh, nw, ph, pw, C)
        ``patches[i, j]`` is the patch whose top-left corner is at
        ``(i * sh, j * sw)``. Read-only.

    Raises
    ------
    ValueError
        If the image is not 2-D/3-D, a size or stride is below 1, or the
        patch is larger than the image.

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
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(
            f"`image` must be grayscale (H, W) or colour (H, W, C), got an "
            f"array with {image.ndim} dimensions and shape {image.shape}."
        )
    if image.size == 0:
        raise ValueError(f"`image` is empty (shape {image.shape}).")
    hw = image.shape[:2]
    patch, step = _pair(patch_size, "patch_size"), _pair(stride, "stride")
    _check_geometry(hw, patch, step, edge)

    if edge == "pad":
        target = [_padded_length(hw[a], patch[a], step[a]) for a in (0, 1)]
        image = _reflect_pad(image, target)
    oy = patch_origins(image.shape[0], patch[0], step[0], "valid" if edge == "pad" else edge)
    ox = patch_origins(image.shape[1], patch[1], step[1], "valid" if edge == "pad" else edge)

    if edge == "shift" and (_irregular(oy, step[0]) or _irregular(ox, step[1])):
        view = _regular_view(image, patch, (1, 1))  # every origin, still a view
        out = view[oy[:, None], ox[None, :]]
        out.flags.writeable = False
        return out
    return _regular_view(image, patch, step, (len(oy), len(ox)))


def _irregular(origins, step):
    return len(origins) > 1 and origins[-1] - origins[-2] != step


def _regular_view(image, patch, step, counts=None):
    hw = image.shape[:2]
    if counts is None:
        counts = tuple((hw[a] - patch[a]) // step[a] + 1 for a in (0, 1))
    s0, s1 = image.strides[:2]
    shape = counts + patch + image.shape[2:]
    strides = (s0 * step[0], s1 * step[1], s0, s1) + image.strides[2:]
    return np.lib.stride_tricks.as_strided(image, shape, strides, writeable=False)


def _reflect_pad(image, target):
    """Pad bottom/right to ``target`` by mirror reflection (repeated as needed)."""
    pad = [(0, target[0] - image.shape[0]), (0, target[1] - image.shape[1])]
    pad += [(0, 0)] * (image.ndim - 2)
    if pad[0][1] == 0 and pad[1][1] == 0:
        return image
    # 'symmetric' works for any pad width (np.pad repeats the reflection).
    return np.pad(image, pad, mode="symmetric")


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
    raise ValueError(f"`window` must be one of {', '.join(WINDOWS)}; got {name!r}.")


def _summed_1d(length, patch, stride, edge, window):
    """How much window weight reaches each pixel along one axis (O(L + n))."""
    work = _padded_length(length, patch, stride) if edge == "pad" else length
    origins = patch_origins(work, patch, stride, "valid" if edge == "pad" else edge)
    w = window_1d(window, patch)
    total = np.zeros(work + patch)
    if window == "uniform":
        # difference array: +1 where a patch starts, -1 where it ends
        np.add.at(total, origins, 1.0)
        np.add.at(total, origins + patch, -1.0)
        total = np.cumsum(total)
    else:
        # a window placed at every origin: an impulse train convolved with it
        total = np.convolve(np.bincount(origins, minlength=work).astype(np.float64), w)
    return total[:length]


# --------------------------------------------------------------------------
# coverage and weights
# --------------------------------------------------------------------------
def coverage(image_shape, patch_size, stride, edge="valid"):
    """How many patches cover each pixel.

    Parameters
    ----------
    image_shape : tuple
        ``(H, W)`` or ``(H, W, C)``; only ``H, W`` matter.
    patch_size, stride : int or (int, int)
    edge : {'valid', 'pad', 'shift'}, optional

    Returns
    -------
    counts : ndarray of int64, shape (H, W)
        0 where no patch reaches.

    Notes
    -----
    Computed as the outer product of two 1-D counts, in O(H + W) work
    before the final (H, W) product; no patch is built.

    Examples
    --------
    >>> coverage((4, 5), 2, 1)[0]
    array([1, 2, 2, 2, 1])
    """
    hw = _image_hw(image_shape)[:2]
    patch, step = _pair(patch_size, "patch_size"), _pair(stride, "stride")
    _check_geometry(hw, patch, step, edge)
    rows = _summed_1d(hw[0], patch[0], step[0], edge, "uniform")
    cols = _summed_1d(hw[1], patch[1], step[1], edge, "uniform")
    return np.outer(np.rint(rows).astype(np.int64), np.rint(cols).astype(np.int64))


def weight_map(image_shape, patch_size, stride, window="uniform", edge="valid"):
    """The per-pixel normaliser of a weighted overlap-add merge.

    The merge of :func:`unpatchify` is ``sum_k w_k(y, x) * patch_k(y, x)``
    times this map, where ``w_k`` is the window placed at patch ``k``. So
    the map is ``1 / sum_k w_k(y, x)``: for ``window='uniform'`` it is
    ``1 / coverage``. Pixels no patch reaches get 0.

    Parameters
    ----------
    image_shape : tuple
        ``(H, W)`` or ``(H, W, C)``.
    patch_size, stride : int or (int, int)
    window : {'uniform', 'tent', 'hann', 'gaussian'}, optional
    edge : {'valid', 'pad', 'shift'}, optional

    Returns
    -------
    weights : ndarray of float64, shape (H, W)

    Examples
    --------
    >>> weight_map((1, 4), (1, 2), 1)[0]
    array([1. , 0.5, 0.5, 1. ])
    """
    hw = _image_hw(image_shape)[:2]
    patch, step = _pair(patch_size, "patch_size"), _pair(stride, "stride")
    _check_geometry(hw, patch, step, edge)
    if window not in WINDOWS:
        raise ValueError(f"`window` must be one of {', '.join(WINDOWS)}; got {window!r}.")
    rows = _summed_1d(hw[0], patch[0], step[0], edge, window)
    cols = _summed_1d(hw[1], patch[1], step[1], edge, window)
    return np.outer(_safe_reciprocal(rows), _safe_reciprocal(cols))


def _safe_reciprocal(x):
    out = np.zeros_like(x, dtype=np.float64)
    np.divide(1.0, x, out=out, where=x > 1e-12)
    return out


# --------------------------------------------------------------------------
# unpatchify
# --------------------------------------------------------------------------
# --------------------------------------------------------------------------
# unpatchify
# --------------------------------------------------------------------------
def unpatchify(patches, image_shape, stride, window="uniform", edge="valid"):
    """Merge patches back into an image by weighted overlap-add.

    Every patch is multiplied by the 2-D ``window`` (the outer product of
    two 1-D windows), added into place, and every pixel is divided by the
    window weight that reached it (:func:`weight_map`). Unmodified patches
    therefore give the image back exactly on every covered pixel, for
    every window.

    Parameters
    ----------
    patches : ndarray, shape (nh, nw, ph, pw) or (nh, nw, ph, pw, C)
        As returned by :func:`patchify` (a view is fine: it is read in
        place, never copied).
    image_shape : tuple
        Shape of the image to rebuild, ``(H, W)`` or ``(H, W, C)``.
    stride : int or (int, int)
    window : {'uniform', 'tent', 'hann', 'gaussian'}, optional
    edge : {'valid', 'pad', 'shift'}, optional
        Must be the policy used to cut the patches.

    Returns
    -------
    image : ndarray, shape ``image_shape``
        float32 for integer or float32 patches, float64 for float64.
        Pixels no patch covers are 0.

    Raises
    ------
    ValueError
        If the patch grid does not match ``image_shape``, ``stride`` and
        ``edge``.

    Notes
    -----
    The merge is one compiled pass over the patches (numba): each patch
    element is read once and added into place. The output is built in
    bands of rows small enough to stay in the CPU cache (zeroed, summed
    and normalised while cached), with explicit vector instructions, so it
    runs at about the speed of streaming the patch array from memory once.
    The bands are shared between the CPU cores when that has recently been
    faster for this geometry (it is not on a busy machine). Patch views
    (the output of :func:`patchify`) are read in place, never copied.

    Examples
    --------
    >>> x = np.arange(20.0).reshape(4, 5)
    >>> np.allclose(unpatchify(patchify(x, 3, 1), x.shape, 1, window="hann"), x)
    True
    """
    patches = np.asarray(patches)
    shape = _image_hw(image_shape)
    if patches.ndim != len(shape) + 2:
        raise ValueError(
            f"`patches` must have {len(shape) + 2} dimensions for an image of "
            f"shape {shape}, got shape {patches.shape}."
        )
    if patches.ndim == 5 and patches.shape[4] != shape[2]:
        raise ValueError(
            f"`patches` have {patches.shape[4]} channels but `image_shape` has {shape[2]}."
        )
    if window not in WINDOWS:
        raise ValueError(f"`window` must be one of {', '.join(WINDOWS)}; got {window!r}.")
    step = _pair(stride, "stride")
    dtype = np.dtype(np.float64 if patches.dtype == np.float64 else np.float32)
    plan = _merge_plan(shape, patches.shape[2:4], step, edge, window, dtype.char)
    if patches.shape[:2] != plan.grid:
        raise ValueError(
            f"`patches` form a {patches.shape[0]}x{patches.shape[1]} grid, but an "
            f"image of shape {shape} with patch {patches.shape[2:4]}, stride {step} and "
            f"edge={edge!r} needs {plan.grid[0]}x{plan.grid[1]}."
        )

    channels = shape[2] if len(shape) == 3 else 1
    out = np.empty((shape[0], shape[1] * channels), dtype=dtype)
    source = _flat_source(patches) if _numba is not None else None
    if source is not None:
        flat, (si, sj, sy, sx, sc) = source
        scratch = None
        rows_contiguous = (plan.patch[1] == 1 or sx == channels) and (channels == 1 or sc == 1)
        if rows_contiguous:  # each patch row is one run of pw * C values in memory
            # prefetch the patch row ~8 KB ahead: it hides memory latency
            ahead = sy * max(1, _PREFETCH_BYTES // max(1, sy * flat.itemsize))
            args = (flat, si, sj, sy, plan.patch[0], plan.inner, plan.oy, plan.xs,
                    plan.wy, plan.wx, plan.row_norm, plan.col_norm, ahead)
            if flat.dtype == dtype:  # float patches: explicit SIMD blocks
                kernel = _merge_simd
                args += (window != "uniform", plan.row_sweep, out)
                scratch = (0 if plan.row_sweep else plan.pitch, dtype)
            else:
                kernel = _merge_uniform if window == "uniform" else _merge_windowed
                args += (out,)
        else:  # any other non-negative strides, e.g. a transposed or Fortran-ordered array
            kernel = _merge_strided
            args = (flat, si, sj, sy, sx, sc, plan.patch[0], plan.patch[1], channels, plan.oy,
                    plan.xs, plan.wy, plan.wx, window == "uniform", plan.row_norm,
                    plan.col_norm, out)
        _run_bands(kernel, args, plan, patches.nbytes, scratch)
    else:  # no numba, a dtype it does not handle, or negative strides: pure NumPy
        acc = np.zeros(plan.work, dtype=dtype)
        _overlap_add_any(patches, plan.oy, plan.xs // channels, plan.wy, plan.wx, acc,
                         window == "uniform", channels)
        np.multiply(acc[: shape[0], : out.shape[1]], plan.row_norm[:, None], out=out)
        out *= plan.col_norm[None, :]
    return out.reshape(shape)


class _Plan(NamedTuple):
    """Everything :func:`unpatchify` derives from the geometry alone."""

    grid: tuple        # (nh, nw)
    patch: tuple       # (ph, pw)
    inner: int         # pw * channels: the length of one patch row in memory
    oy: np.ndarray     # row origins
    xs: np.ndarray     # column origins * channels
    wy: np.ndarray     # 1-D window along y
    wx: np.ndarray     # 1-D window along x, repeated per channel
    row_norm: np.ndarray
    col_norm: np.ndarray   # repeated per channel
    row_sweep: bool    # SIMD loop order (see _row_sweep)
    pitch: int         # row pitch of the SIMD kernel's band buffer (see _scratch_pitch)
    work: tuple        # accumulator shape of the fallback path
    bounds: np.ndarray          # row bands for one thread (cache-sized)
    bounds_threads: np.ndarray  # smaller bands, shared out between threads
    timing: dict                # recent merge times by thread count (see _pick_threads)


@functools.lru_cache(maxsize=64)
def _merge_plan(shape, patch, step, edge, window, dtype_char):
    hw = shape[:2]
    channels = shape[2] if len(shape) == 3 else 1
    _check_geometry(hw, patch, step, edge)
    work = [
        _padded_length(hw[a], patch[a], step[a]) if edge == "pad" else hw[a] for a in (0, 1)
    ]
    inner = "valid" if edge == "pad" else edge
    oy = patch_origins(work[0], patch[0], step[0], inner)
    ox = patch_origins(work[1], patch[1], step[1], inner)
    dtype = np.dtype(dtype_char)
    # the per-pixel normaliser is separable: 1 / (row sums) times 1 / (column sums)
    row_sum = _summed_1d(hw[0], patch[0], step[0], edge, window)
    col_sum = _summed_1d(hw[1], patch[1], step[1], edge, window)
    tile = max(1, _TILE_BYTES // (hw[1] * channels * dtype.itemsize))
    plan = _Plan(
        grid=(len(oy), len(ox)),
        patch=tuple(patch),
        inner=patch[1] * channels,
        oy=oy,
        xs=ox * channels,
        wy=window_1d(window, patch[0]).astype(dtype),
        wx=np.repeat(window_1d(window, patch[1]), channels).astype(dtype),
        row_norm=_safe_reciprocal(row_sum).astype(dtype),
        col_norm=np.repeat(_safe_reciprocal(col_sum), channels).astype(dtype),
        row_sweep=_row_sweep(step[1] * channels, patch[1] * channels, dtype.itemsize),
        pitch=_scratch_pitch(hw[1] * channels, dtype.itemsize),
        work=(max(work[0], hw[0]), max(work[1], hw[1]) * channels),
        bounds=_band_bounds(hw[0], tile, 1),
        bounds_threads=_band_bounds(hw[0], tile, _THREADS),
        timing={"calls": 0, 1: None, _THREADS: None},
    )
    for value in plan:
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return plan


# The compiled merge reads the patches through a 1-D array over their memory.
_FAST_DTYPES = frozenset(
    np.dtype(t) for t in (np.uint8, np.uint16, np.int16, np.int32, np.int64,
                          np.float32, np.float64)
)
_TILE_BYTES = 512 * 1024      # a band of output rows that stays in L2
_PARALLEL_BYTES = 1 << 20     # below this many patch bytes, one thread is faster
_PREFETCH_BYTES = 8 * 1024    # how far ahead the merge asks for patch rows


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_THREADS = max(1, min(4, _cpu_count()))
_POOL = ThreadPoolExecutor(max_workers=max(1, _THREADS - 1), thread_name_prefix="patchlab")


def _flat_source(patches):
    """``patches`` as a 1-D array over its memory, plus element strides.

    Returns ``(flat, (si, sj, sy, sx, sc))`` so that element ``[i, j, y, x, c]``
    is ``flat[i*si + j*sj + y*sy + x*sx + c*sc]`` (``sc = 0`` for grayscale),
    or None when a stride is negative or not a whole number of elements, or
    the dtype is one the compiled kernels do not take. No data is copied.
    """
    if patches.dtype not in _FAST_DTYPES:
        return None
    item = patches.itemsize
    strides = patches.strides + ((0,) if patches.ndim == 4 else ())
    if any(v < 0 or v % item for v in strides):
        return None
    span = sum((n - 1) * v for n, v in zip(patches.shape, patches.strides)) // item + 1
    flat = np.lib.stride_tricks.as_strided(patches, (span,), (item,), writeable=False)
    return flat, tuple(v // item for v in strides)


_FORCED_THREADS = None  # an int pins the thread count (benchmarks and tests)
_EXPLORE_EVERY = 8      # how often the slower-looking thread count is tried again


def _pick_threads(plan, nbytes):
    """1 or ``_THREADS`` threads for this merge, whichever has been faster.

    A helper thread only pays off when a core is free: on a busy machine
    it waits for a core and the merge gets slower, not faster. So each
    geometry keeps a running average of its recent merge times with one
    thread and with ``_THREADS``, uses the faster, and every
    ``_EXPLORE_EVERY``-th call tries the other again (the load changes).
    """
    if _FORCED_THREADS is not None:
        return _FORCED_THREADS
    if _THREADS == 1 or nbytes < _PARALLEL_BYTES:
        return 1
    timing = plan.timing
    timing["calls"] += 1
    if timing[1] is None:
        return 1
    if timing[_THREADS] is None:
        return _THREADS
    best, other = (1, _THREADS) if timing[1] <= timing[_THREADS] else (_THREADS, 1)
    return other if timing["calls"] % _EXPLORE_EVERY == 0 else best


def _record_time(plan, threads, seconds):
    old = plan.timing.get(threads)
    if old is None:
        plan.timing[threads] = seconds
    else:  # running average, an outlier (the thread was preempted) counts at most 3x
        plan.timing[threads] = old + 0.25 * (min(seconds, 3 * old) - old)


def _row_sweep(step, inner, itemsize):
    """Sweep output rows across patches only when neighbours are far apart in x.

    In a sweep, patch ``j + 1`` re-reads output that patch ``j`` has just
    stored. That is only fast when the shift is whole vectors (a load that
    half-overlaps a store in flight stalls) and long enough (at least 8
    vectors) that the store has left the pipeline; otherwise every add waits
    for the previous one (measured: 4x slower at 512x512, patch 64, stride 16).
    Where it is used (1024x1024x3, patch 128, stride 64) it was 1.3x faster
    than adding whole patches, whose long rows collide modulo 4 KB.
    """
    lanes = 64 // itemsize
    return bool(step >= inner or (step % lanes == 0 and step >= 8 * lanes))


def _scratch_pitch(width, itemsize):
    """A row pitch (in elements) >= ``width`` whose first multiples stay far from 4 KB.

    Rows a multiple of 4 KB apart make the CPU take loads from the next rows
    for dependencies on stores still in flight (4K aliasing); measured at
    512x512, patch 64, stride 16, a 2 KB pitch was 1.3x slower than a padded one.
    """
    line = 64 // itemsize
    base = -(-width // line) * line
    best, best_gap = base, -1
    for extra in range(0, 64 * line, line):
        step = (base + extra) * itemsize
        gap = min(min(k * step % 4096, -k * step % 4096) for k in range(1, 9))
        if gap > best_gap:
            best, best_gap = base + extra, gap
        if gap >= 256:
            break
    return best


def _band_bounds(height, tile, threads):
    """Edges of the row bands: cache-sized, and several per thread."""
    if threads > 1:
        tile = max(1, min(tile, -(-height // (4 * threads))))
    return np.append(np.arange(0, height, tile, dtype=np.int64), np.int64(height))


_thread_local = threading.local()


def _band_worker(kernel, args, scratch, bounds, counter):
    """Run ``kernel`` in this thread, with this thread's band buffer if it takes one.

    The buffer is kept between calls: allocating ~1 MB afresh each time would
    often come straight from the OS, and touching new pages costs more than
    the merge.
    """
    if scratch is None:
        kernel(*args, bounds, counter)
        return
    rows, pitch, dtype = scratch
    need = rows * pitch * np.dtype(dtype).itemsize
    buffer = getattr(_thread_local, "buffer", None)
    if buffer is None or buffer.nbytes < need:
        buffer = _thread_local.buffer = np.empty(need, dtype=np.uint8)
    kernel(*args, buffer[:need].view(dtype).reshape(rows, pitch), bounds, counter)


def _run_bands(kernel, args, plan, nbytes, scratch=None):
    """Run ``kernel`` on all row bands, on one or more threads.

    The threads claim bands from a shared atomic counter, so a thread that
    starts late (the machine is busy) simply gets fewer bands, and the
    caller never waits for a helper that has not claimed any. ``scratch``,
    a ``(pitch, dtype)`` pair, gives each thread its own band buffer.
    """
    threads = _pick_threads(plan, nbytes)
    bounds = plan.bounds_threads if threads > 1 else plan.bounds
    if threads > 1 and len(bounds) <= 2:
        threads = 1
    counter = np.zeros(2, dtype=np.int64)  # [next band to claim, bands done]
    if scratch is not None:
        scratch = (int(np.max(np.diff(bounds))), scratch[0], scratch[1])
    start = time.perf_counter()
    if threads == 1:
        _band_worker(kernel, args, scratch, bounds, counter)
    else:
        helpers = [_POOL.submit(_band_worker, kernel, args, scratch, bounds, counter)
                   for _ in range(1, threads)]
        _band_worker(kernel, args, scratch, bounds, counter)
        if counter[1] != len(bounds) - 1:  # a helper is still finishing a band
            for future in helpers:
                future.result()
    if _FORCED_THREADS is None:
        _record_time(plan, threads, time.perf_counter() - start)


def _overlap_add_numpy(patches, oy, ox, wy, wx, acc, uniform):
    """Pure-NumPy overlap-add: one vectorised add per patch (or per tap)."""
    nh, nw, ph, pw = patches.shape
    regular = _is_regular(oy) and _is_regular(ox)
    if regular and ph * pw < nh * nw:
        sy = oy[1] - oy[0] if nh > 1 else 1
        sx = ox[1] - ox[0] if nw > 1 else 1
        for y in range(ph):
            for x in range(pw):
                tap = patches[:, :, y, x] if uniform else patches[:, :, y, x] * (wy[y] * wx[x])
                acc[y: y + (nh - 1) * sy + 1: sy, x: x + (nw - 1) * sx + 1: sx] += tap
        return
    w2 = None if uniform else np.outer(wy, wx).astype(acc.dtype)
    for i in range(nh):
        for j in range(nw):
            block = patches[i, j] if uniform else patches[i, j] * w2
            acc[oy[i]: oy[i] + ph, ox[j]: ox[j] + pw] += block


def _is_regular(origins):
    return len(origins) < 2 or np.all(np.diff(origins) == origins[1] - origins[0])


if _numba is not None:
    from llvmlite import ir as _ir
    from numba.core import cgutils as _cgutils
    from numba.core import types as _types
    from numba.extending import intrinsic as _intrinsic

    # numba caches the machine code on disk, keyed by this file; only under the
    # package's name, since a copy compiled as a script ("python -m doctest
    # patches.py") records module "patches", which the package cannot load.
    _CACHE = __name__ == "patchlab.patches"
    _jit = _numba.njit(cache=_CACHE, fastmath=True, nogil=True, boundscheck=False)
    _VECTOR_BYTES = 64  # one AVX-512 register; LLVM splits it on narrower CPUs

    def _simd_codegen(context, builder, sig, args, masked, weighted):
        """``dst[d:d+m] += src[s:s+m] (* f * w[k:k+m])`` as one vector op.

        Patch rows are short (often not a multiple of the vector width) and
        numba cannot tell LLVM that ``src`` and ``dst`` never overlap, so the
        auto-vectoriser falls back to scalar tails; an explicit (masked) vector
        load/add/store per block avoids both problems.
        """
        dst_ty = sig.args[0]
        elt = context.get_value_type(dst_ty.dtype)
        size = context.get_abi_sizeof(elt)
        lanes = _VECTOR_BYTES // size
        vty = _ir.VectorType(elt, lanes)
        i32, i64 = _ir.IntType(32), _ir.IntType(64)
        align = _ir.Constant(i32, size)
        dst = context.make_array(dst_ty)(context, builder, args[0])
        src = context.make_array(sig.args[2])(context, builder, args[2])
        dptr = builder.gep(dst.data, [args[1]])
        sptr = builder.gep(src.data, [args[3]])
        module = builder.module
        if masked:
            mty = _ir.VectorType(_ir.IntType(1), lanes)
            lane = _ir.Constant(_ir.VectorType(i64, lanes), list(range(lanes)))
            count = builder.insert_element(_ir.Constant(_ir.VectorType(i64, lanes), None),
                                           args[4], _ir.Constant(i32, 0))
            count = builder.shuffle_vector(count, count,
                                           _ir.Constant(_ir.VectorType(i32, lanes), [0] * lanes))
            mask = builder.icmp_signed("<", lane, count)
            suffix = f"v{lanes}f{size * 8}.p0"
            load_fn = _cgutils.get_or_insert_function(
                module, _ir.FunctionType(vty, [dptr.type, i32, mty, vty]), "llvm.masked.load." + suffix)
            store_fn = _cgutils.get_or_insert_function(
                module, _ir.FunctionType(_ir.VoidType(), [vty, dptr.type, i32, mty]),
                "llvm.masked.store." + suffix)
            zero = _ir.Constant(vty, None)

            def load(ptr):
                return builder.call(load_fn, [ptr, align, mask, zero])

            def store(value, ptr):
                builder.call(store_fn, [value, ptr, align, mask])
        else:
            def load(ptr):
                return builder.load(builder.bitcast(ptr, vty.as_pointer()), align=size, typ=vty)

            def store(value, ptr):
                builder.store(value, builder.bitcast(ptr, vty.as_pointer()), align=size)

        value = load(sptr)
        if weighted:
            w = context.make_array(sig.args[5])(context, builder, args[5])
            wv = load(builder.gep(w.data, [args[6]]))
            f = builder.insert_element(_ir.Constant(vty, None), args[7], _ir.Constant(i32, 0))
            f = builder.shuffle_vector(f, f, _ir.Constant(_ir.VectorType(i32, lanes), [0] * lanes))
            value = builder.fmul(value, builder.fmul(wv, f))
        store(builder.fadd(load(dptr), value), dptr)
        return context.get_dummy_value()

    def _simd_intrinsic(masked, weighted):
        def typer(typingctx, dst, d, src, s, m, *weights):
            floats = (_types.float32, _types.float64)
            if not (isinstance(dst, _types.Array) and isinstance(src, _types.Array)
                    and dst.dtype == src.dtype and dst.dtype in floats):
                return None
            if weighted and not (len(weights) == 3 and isinstance(weights[0], _types.Array)
                                 and weights[0].dtype == dst.dtype):
                return None
            sig = _types.void(dst, d, src, s, m, *weights)

            def codegen(context, builder, signature, args):
                return _simd_codegen(context, builder, signature, args, masked, weighted)

            return sig, codegen

        if weighted:
            def _simd(typingctx, dst, d, src, s, m, w, k, f):
                return typer(typingctx, dst, d, src, s, m, w, k, f)
        else:
            def _simd(typingctx, dst, d, src, s, m):
                return typer(typingctx, dst, d, src, s, m)
        return _intrinsic(_simd)

    @_intrinsic
    def _fetch_add(typingctx, array, index, value):
        """``old = array[index]; array[index] += value``, atomically."""
        if not (isinstance(array, _types.Array) and array.dtype == _types.int64):
            return None
        sig = _types.int64(array, _types.intp, _types.int64)

        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            ptr = builder.gep(data, [args[1]])
            return builder.atomic_rmw("add", ptr, args[2], "seq_cst")

        return sig, codegen

    @_intrinsic
    def _prefetch(typingctx, array, index):
        """Hint the CPU to start loading ``array[index]`` (never faults)."""
        if not isinstance(array, _types.Array):
            return None
        sig = _types.void(array, _types.intp)

        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            ptr = builder.gep(data, [args[1]])
            i32 = _ir.IntType(32)
            fn = _cgutils.get_or_insert_function(
                builder.module, _ir.FunctionType(_ir.VoidType(), [ptr.type, i32, i32, i32]),
                "llvm.prefetch.p0")
            # read, keep in L2 and below, data cache
            builder.call(fn, [ptr, _ir.Constant(i32, 0), _ir.Constant(i32, 2), _ir.Constant(i32, 1)])
            return context.get_dummy_value()

        return sig, codegen

    @_intrinsic
    def _lanes(typingctx, array):
        """Values of ``array``'s dtype per vector, as a compile-time constant.

        (``64 // array.itemsize`` would be a run-time value, and every
        ``range(0, n, lanes)`` would then cost an integer division per row.)
        """
        if not isinstance(array, _types.Array):
            return None
        sig = _types.intp(array)

        def codegen(context, builder, signature, args):
            size = context.get_abi_sizeof(context.get_value_type(signature.args[0].dtype))
            return _ir.Constant(context.get_value_type(_types.intp), _VECTOR_BYTES // size)

        return sig, codegen

    _simd_add = _simd_intrinsic(masked=False, weighted=False)
    _simd_add_tail = _simd_intrinsic(masked=True, weighted=False)
    _simd_fma = _simd_intrinsic(masked=False, weighted=True)
    _simd_fma_tail = _simd_intrinsic(masked=True, weighted=True)

    @_jit
    def _zero_rows(out, t0, t1):  # pragma: no cover - compiled
        width = out.shape[1]
        for r in range(t0, t1):
            dst = out[r]
            for c in range(width):
                dst[c] = 0

    @_jit
    def _normalise_rows(out, row_norm, col_norm, t0, t1):  # pragma: no cover - compiled
        width = out.shape[1]
        for r in range(t0, t1):
            f = row_norm[r]
            dst = out[r]
            for c in range(width):
                dst[c] *= f * col_norm[c]

    @_numba.njit(cache=_CACHE, fastmath=True, nogil=True, boundscheck=False, inline="always")
    def _add_row(flat_out, d, flat, s, n, lanes, ahead, weighted, wx, f):  # pragma: no cover
        """One patch row into the output: full vector blocks, then a masked tail."""
        full = n - (n & (lanes - 1))  # lanes is a power of two
        for x in range(0, n, lanes):  # one hint per cache line, a few rows ahead
            _prefetch(flat, s + ahead + x)
        if weighted:
            for x in range(0, full, lanes):
                _simd_fma(flat_out, d + x, flat, s + x, lanes, wx, x, f)
            if full < n:
                _simd_fma_tail(flat_out, d + full, flat, s + full, n - full, wx, full, f)
        else:
            for x in range(0, full, lanes):
                _simd_add(flat_out, d + x, flat, s + x, lanes)
            if full < n:
                _simd_add_tail(flat_out, d + full, flat, s + full, n - full)

    @_jit
    def _merge_simd(flat, si, sj, sy, ph, inner, oy, ox, wy, wx, row_norm, col_norm, ahead,
                    weighted, row_sweep, out, scratch, bounds, counter):  # pragma: no cover
        """Merge the row bands claimed from ``counter`` (float patches, explicit SIMD).

        ``row_sweep`` visits the patches of one grid row output row by output
        row, straight into ``out`` (:func:`_row_sweep` says when that pays).
        Otherwise each patch is added whole, row after row, into ``scratch``,
        whose row pitch keeps consecutive rows from sitting a multiple of 4 KB
        apart (with a 2 KB pitch, loads from the next rows are mistaken for
        dependencies on stores still in flight: "4K aliasing"); the band is
        then normalised into ``out``.
        """
        width = out.shape[1]
        lanes = _lanes(out)
        band_buffer = out if row_sweep else scratch
        pitch = band_buffer.shape[1]
        flat_band = band_buffer.reshape(band_buffer.size)
        while True:
            band = _fetch_add(counter, 0, 1)
            if band >= bounds.shape[0] - 1:
                break
            t0, t1 = bounds[band], bounds[band + 1]
            first = t0 if row_sweep else 0  # row of band_buffer that holds output row t0
            for r in range(t1 - t0):
                row = band_buffer[first + r]
                for c in range(width):
                    row[c] = 0
            for i in range(oy.shape[0]):
                y0 = oy[i]
                ya = max(t0 - y0, 0)
                yb = min(t1 - y0, ph)
                if ya >= yb:
                    continue
                if row_sweep:
                    nw = ox.shape[0]
                    for y in range(ya, yb):
                        r = y0 + y
                        d = r * pitch
                        # the last patch row over output row r: normalise each stretch
                        # of the row as soon as no later patch reaches it (still in L1)
                        last = i + 1 == oy.shape[0] or oy[i + 1] > r
                        f = row_norm[r]
                        done = 0
                        for j in range(nw):
                            n = min(inner, width - ox[j])
                            if n > 0:
                                _add_row(flat_band, d + ox[j], flat, i * si + j * sj + y * sy,
                                         n, lanes, ahead, weighted, wx, wy[y])
                            if last:
                                end = min(ox[j + 1], width) if j + 1 < nw else width
                                if end > done:
                                    segment = flat_band[d + done:d + end]
                                    scale = col_norm[done:end]
                                    for c in range(end - done):
                                        segment[c] *= f * scale[c]
                                    done = end
                    continue
                for j in range(ox.shape[0]):
                    n = min(inner, width - ox[j])
                    if n <= 0:
                        continue
                    s = i * si + j * sj + ya * sy
                    d = (y0 + ya - t0) * pitch + ox[j]
                    for y in range(ya, yb):
                        _add_row(flat_band, d, flat, s, n, lanes, ahead, weighted, wx, wy[y])
                        s += sy
                        d += pitch
            if row_sweep:  # rows no patch reached are still 0; the rest is done
                pass
            else:
                for r in range(t0, t1):
                    f = row_norm[r]
                    src = scratch[r - t0]
                    dst = out[r]
                    for c in range(width):
                        dst[c] = src[c] * (f * col_norm[c])
            _fetch_add(counter, 1, 1)

    @_jit
    def _merge_uniform(flat, si, sj, sy, ph, inner, oy, ox, wy, wx, row_norm, col_norm, ahead,
                       out, bounds, counter):  # pragma: no cover - compiled
        """Merge the row bands claimed from ``counter`` (any numeric patches)."""
        width = out.shape[1]
        while True:
            band = _fetch_add(counter, 0, 1)
            if band >= bounds.shape[0] - 1:
                break
            t0, t1 = bounds[band], bounds[band + 1]
            _zero_rows(out, t0, t1)
            for i in range(oy.shape[0]):
                y0 = oy[i]
                ya = max(t0 - y0, 0)
                yb = min(t1 - y0, ph)
                if ya >= yb:
                    continue
                for j in range(ox.shape[0]):
                    x0 = ox[j]
                    n = min(inner, width - x0)
                    if n <= 0:
                        continue
                    base = i * si + j * sj
                    for y in range(ya, yb):
                        for x in range(0, n, 64):
                            _prefetch(flat, base + y * sy + ahead + x)
                        dst = out[y0 + y, x0:x0 + n]
                        src = flat[base + y * sy: base + y * sy + n]
                        for x in range(n):
                            dst[x] += src[x]
            _normalise_rows(out, row_norm, col_norm, t0, t1)
            _fetch_add(counter, 1, 1)

    @_jit
    def _merge_windowed(flat, si, sj, sy, ph, inner, oy, ox, wy, wx, row_norm, col_norm, ahead,
                        out, bounds, counter):  # pragma: no cover - compiled
        """As :func:`_merge_uniform`, each patch weighted by ``wy[y] * wx[x]``."""
        width = out.shape[1]
        while True:
            band = _fetch_add(counter, 0, 1)
            if band >= bounds.shape[0] - 1:
                break
            t0, t1 = bounds[band], bounds[band + 1]
            _zero_rows(out, t0, t1)
            for i in range(oy.shape[0]):
                y0 = oy[i]
                ya = max(t0 - y0, 0)
                yb = min(t1 - y0, ph)
                if ya >= yb:
                    continue
                for j in range(ox.shape[0]):
                    x0 = ox[j]
                    n = min(inner, width - x0)
                    if n <= 0:
                        continue
                    base = i * si + j * sj
                    for y in range(ya, yb):
                        f = wy[y]
                        for x in range(0, n, 64):
                            _prefetch(flat, base + y * sy + ahead + x)
                        dst = out[y0 + y, x0:x0 + n]
                        src = flat[base + y * sy: base + y * sy + n]
                        for x in range(n):
                            dst[x] += f * wx[x] * src[x]
            _normalise_rows(out, row_norm, col_norm, t0, t1)
            _fetch_add(counter, 1, 1)

    @_jit
    def _merge_strided(flat, si, sj, sy, sx, sc, ph, pw, channels, oy, xs, wy, wx, uniform,
                       row_norm, col_norm, out, bounds, counter):  # pragma: no cover - compiled
        """Merge the row bands claimed from ``counter``, patches in any layout."""
        width = out.shape[1]
        while True:
            band = _fetch_add(counter, 0, 1)
            if band >= bounds.shape[0] - 1:
                break
            t0, t1 = bounds[band], bounds[band + 1]
            _zero_rows(out, t0, t1)
            for i in range(oy.shape[0]):
                y0 = oy[i]
                ya = max(t0 - y0, 0)
                yb = min(t1 - y0, ph)
                for j in range(xs.shape[0]):
                    base = i * si + j * sj
                    for y in range(ya, yb):
                        row = out[y0 + y]
                        f = 1.0 if uniform else wy[y]
                        for x in range(pw):
                            col = xs[j] + x * channels
                            if col >= width:
                                break
                            g = f if uniform else f * wx[x * channels]
                            k = base + y * sy + x * sx
                            for c in range(channels):
                                row[col + c] += g * flat[k + c * sc]
            _normalise_rows(out, row_norm, col_norm, t0, t1)
            _fetch_add(counter, 1, 1)


def _overlap_add_any(patches, oy, ox, wy, wx, acc, uniform, channels):
    """Pure-NumPy accumulation (unnormalised), one colour channel at a time."""
    if patches.ndim == 4:
        patches = patches[..., None]
    for c in range(channels):
        sub = np.zeros((acc.shape[0], acc.shape[1] // channels), acc.dtype)
        _overlap_add_numpy(patches[..., c], oy, ox, wy, wx[::channels], sub, uniform)
        acc[:, c::channels] += sub
