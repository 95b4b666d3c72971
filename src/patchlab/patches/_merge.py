"""How :func:`patchlab.patches.unpatchify` runs: which kernel, how many threads.

Private. :func:`overlap_add` takes the geometry the public API has worked
out (patch origins, 1-D windows, the separable normaliser) and fills the
output with the merged image. It picks one of the compiled kernels of
:mod:`patchlab.patches._kernels` from the patches' dtype and memory layout,
splits the output into cache-sized bands of rows, and decides whether a
second thread may help. Without numba (or for a dtype or layout the
kernels do not take) a pure-NumPy path gives the same result.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from patchlab.patches import _kernels

# The compiled merge reads the patches through a 1-D array over their memory.
_FAST_DTYPES = frozenset(
    np.dtype(t) for t in (np.uint8, np.uint16, np.int16, np.int32, np.int64,
                          np.float32, np.float64)
)
_TILE_BYTES = 512 * 1024      # a band of output rows that stays in L2
_PREFETCH_BYTES = 8 * 1024    # how far ahead the merge asks for patch rows
# Below these sizes a second thread costs more (waking it, sharing bands) than it
# saves: measured with an idle core, two threads took 0.62-0.73x the time of one
# on 512x512 p64 s16 (14 MB of patches) and larger, but 1.05x on 100x100 p39 s1
# (23 MB of patches merged into only 10,000 values).
_PARALLEL_BYTES = 8 * 2**20
_PARALLEL_VALUES = 2**17   # output values


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_CORES = _cpu_count()
_THREADS = max(1, min(4, _CORES))
_POOL = ThreadPoolExecutor(max_workers=max(1, _THREADS - 1), thread_name_prefix="patchlab")
_FORCED_THREADS = None  # an int pins the thread count (benchmarks and tests)


@contextlib.contextmanager
def forced_threads(threads):
    """Run every merge inside the block on exactly ``threads`` threads (for benchmarks)."""
    global _FORCED_THREADS
    saved, _FORCED_THREADS = _FORCED_THREADS, threads
    try:
        yield
    finally:
        _FORCED_THREADS = saved


# --------------------------------------------------------------------------
# how many threads
# --------------------------------------------------------------------------
def _runnable_tasks():
    """Threads on the machine ready to run right now (this one included), or None."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return None


def choose_threads(nbytes, n_values, n_bands):
    """1 thread, unless the merge is large and a core is idle right now.

    A helper thread only pays off when a core is free: on a busy machine
    it waits for a core while the caller does all the work, and waking it
    and sharing bands costs time (measured on a busy 2-core machine: the
    earlier choice, which re-tried both counts and followed recent timings,
    was 1.3-1.5x slower than one thread). So the merge uses one thread
    unless (a) the patches hold at least ``_PARALLEL_BYTES`` and the output
    at least ``_PARALLEL_VALUES`` values, (b) there are at least 4 bands per
    thread, and (c) the kernel's count of runnable threads, read from
    ``/proc/loadavg`` just before, leaves a core idle. Bands are claimed
    from a shared counter, so a helper that starts late simply merges fewer
    of them.
    """
    if _FORCED_THREADS is not None:
        return _FORCED_THREADS
    if (_THREADS == 1 or nbytes < _PARALLEL_BYTES or n_values < _PARALLEL_VALUES
            or n_bands < 4 * _THREADS):
        return 1
    runnable = _runnable_tasks()
    if runnable is None:
        return 1
    idle = _CORES - runnable  # this thread is one of the runnable
    return max(1, min(_THREADS, idle + 1))


# --------------------------------------------------------------------------
# the plan: everything derived from the geometry, dtype and channels
# --------------------------------------------------------------------------
class _Plan(NamedTuple):
    inner: int         # pw * channels: the length of one patch row in memory
    oy: np.ndarray     # row origins
    xs: np.ndarray     # column origins * channels
    wy: np.ndarray     # 1-D window along y, in the merge's dtype
    wx: np.ndarray     # 1-D window along x, repeated per channel
    row_norm: np.ndarray
    col_norm: np.ndarray   # repeated per channel
    row_sweep: bool    # SIMD loop order (see row_sweep)
    pitch: int         # row pitch of the SIMD kernel's band buffer (see scratch_pitch)
    bounds: np.ndarray          # row bands for one thread (cache-sized)
    bounds_threads: np.ndarray  # smaller bands, shared out between threads


@functools.lru_cache(maxsize=64)
def _plan(layout, channels, dtype_char):
    """``layout`` (from :mod:`patchlab.patches.api`) in the form the kernels take."""
    dtype = np.dtype(dtype_char)
    height, width = layout.image_hw
    ph, pw = layout.patch
    tile = max(1, _TILE_BYTES // (width * channels * dtype.itemsize))
    plan = _Plan(
        inner=pw * channels,
        oy=layout.oy,
        xs=layout.ox * channels,
        wy=layout.wy.astype(dtype),
        wx=np.repeat(layout.wx, channels).astype(dtype),
        row_norm=layout.row_norm.astype(dtype),
        col_norm=np.repeat(layout.col_norm, channels).astype(dtype),
        row_sweep=row_sweep(layout.stride[1] * channels, pw * channels, dtype.itemsize),
        pitch=scratch_pitch(width * channels, dtype.itemsize),
        bounds=_band_bounds(height, tile, 1),
        bounds_threads=_band_bounds(height, tile, _THREADS),
    )
    for value in plan:
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return plan


def row_sweep(step, inner, itemsize):
    """Sweep output rows across patches only when neighbours are far apart in x.

    In a sweep, patch ``j + 1`` re-reads output that patch ``j`` has just
    stored. That is only fast when the shift is whole vectors (a load that
    half-overlaps a store in flight stalls) and long enough (at least 8
    vectors) that the store has left the pipeline; otherwise every add waits
    for the previous one (measured: 4x slower at 512x512, patch 64, stride 16).
    Where it is used (1024x1024x3, patch 128, stride 64) it was 1.3x faster
    than adding whole patches, whose long rows collide modulo 4 KB.
    """
    lanes = _kernels.VECTOR_BYTES // itemsize
    return bool(step >= inner or (step % lanes == 0 and step >= 8 * lanes))


def scratch_pitch(width, itemsize):
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


# --------------------------------------------------------------------------
# the merge
# --------------------------------------------------------------------------
def _flat_source(patches):
    """``patches`` (6-D) as a 1-D array over its memory, plus element strides.

    Returns ``(flat, (sb, si, sj, sy, sx, sc))`` so that element
    ``[b, i, j, y, x, c]`` is ``flat[b*sb + i*si + j*sj + y*sy + x*sx + c*sc]``,
    or None when a stride is negative or not a whole number of elements, or
    the dtype is one the compiled kernels do not take. No data is copied.
    """
    if patches.dtype not in _FAST_DTYPES:
        return None
    item = patches.itemsize
    # an axis of length 1 is never stepped along: its stride is irrelevant
    strides = tuple(0 if n == 1 else v for n, v in zip(patches.shape, patches.strides))
    if any(v < 0 or v % item for v in strides):
        return None
    span = sum((n - 1) * v for n, v in zip(patches.shape, strides)) // item + 1
    flat = np.lib.stride_tricks.as_strided(patches, (span,), (item,), writeable=False)
    return flat, tuple(v // item for v in strides)


def overlap_add(patches, out, layout):
    """Merge ``patches`` into ``out`` in place.

    Parameters
    ----------
    patches : ndarray, shape (B, nh, nw, ph, pw, C)
        Any dtype and any memory layout (views included).
    out : ndarray, shape (B, H, W * C), float32 or float64, C-contiguous
    layout : the geometry worked out by :mod:`patchlab.patches.api`
    """
    channels = patches.shape[5]
    plan = _plan(layout, channels, out.dtype.char)
    source = _flat_source(patches) if _kernels.AVAILABLE else None
    if source is None:  # no numba, a dtype it does not take, or negative strides
        _overlap_add_numpy(patches, out, plan, layout.uniform)
        return
    flat, (sb, si, sj, sy, sx, sc) = source
    scratch = None
    rows_contiguous = (layout.patch[1] == 1 or sx == channels) and (channels == 1 or sc == 1)
    if rows_contiguous:  # each patch row is one run of pw * C values in memory
        args = (flat, sb, si, sj, sy, layout.patch[0], plan.inner, plan.oy, plan.xs,
                plan.wy, plan.wx, plan.row_norm, plan.col_norm)
        if flat.dtype == out.dtype:  # float patches: explicit SIMD blocks, prefetching
            kernel = _kernels.merge_simd  # the patch row it reads next
            args += (not layout.uniform, plan.row_sweep, out)
            scratch = (0 if plan.row_sweep else plan.pitch, out.dtype)
        else:  # integer patches: prefetch the patch row ~8 KB ahead, it hides memory latency
            kernel = _kernels.merge_uniform if layout.uniform else _kernels.merge_windowed
            args += (sy * max(1, _PREFETCH_BYTES // max(1, sy * flat.itemsize)), out)
    else:  # any other non-negative strides, e.g. a transposed or Fortran-ordered array
        kernel = _kernels.merge_strided
        args = (flat, sb, si, sj, sy, sx, sc, layout.patch[0], layout.patch[1], channels,
                plan.oy, plan.xs, plan.wy, plan.wx, layout.uniform, plan.row_norm,
                plan.col_norm, out)
    _run_bands(kernel, args, plan, out.shape[0], patches.nbytes, out.size, scratch)


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


def _run_bands(kernel, args, plan, batch, nbytes, n_values, scratch=None):
    """Run ``kernel`` on all bands of all ``batch`` images, on one or more threads.

    The threads claim bands from a shared atomic counter, so a thread that
    starts late (the machine is busy) simply gets fewer bands, and the
    caller never waits for a helper that has not claimed any. ``scratch``,
    a ``(pitch, dtype)`` pair, gives each thread its own band buffer.
    """
    threads = choose_threads(nbytes, n_values, batch * (len(plan.bounds_threads) - 1))
    bounds = plan.bounds_threads if threads > 1 and batch < 4 * threads else plan.bounds
    n_bands = batch * (len(bounds) - 1)
    if threads > 1 and n_bands < 2:
        threads = 1
    counter = np.zeros(2, dtype=np.int64)  # [next band to claim, bands done]
    if scratch is not None:
        scratch = (int(np.max(np.diff(bounds))), scratch[0], scratch[1])
    if threads == 1:
        _band_worker(kernel, args, scratch, bounds, counter)
        return
    helpers = [_POOL.submit(_band_worker, kernel, args, scratch, bounds, counter)
               for _ in range(1, threads)]
    _band_worker(kernel, args, scratch, bounds, counter)
    if counter[1] != n_bands:  # a helper is still finishing a band
        for future in helpers:
            future.result()


# --------------------------------------------------------------------------
# the pure-NumPy path
# --------------------------------------------------------------------------
def _overlap_add_numpy(patches, out, plan, uniform):
    """Vectorised NumPy merge: one add per patch pixel (or per patch), then normalise."""
    batch, nh, nw, ph, pw, channels = patches.shape
    height, width = out.shape[1], out.shape[2] // channels
    work = (max(height, int(plan.oy[-1]) + ph), max(width, int(plan.xs[-1]) // channels + pw))
    wy = plan.wy
    wx = plan.wx[::channels]
    ox = plan.xs // channels
    for b in range(batch):
        acc = np.zeros(work + (channels,), out.dtype)
        _add_patches(patches[b], plan.oy, ox, wy, wx, acc, uniform)
        merged = acc[:height, :width].reshape(height, width * channels)
        np.multiply(merged, plan.row_norm[:, None], out=out[b])
        out[b] *= plan.col_norm[None, :]


def _add_patches(patches, oy, ox, wy, wx, acc, uniform):
    """Overlap-add ``(nh, nw, ph, pw, C)`` patches into ``acc`` (unnormalised)."""
    nh, nw, ph, pw = patches.shape[:4]
    regular = _is_regular(oy) and _is_regular(ox)
    if regular and ph * pw < nh * nw:  # few patch pixels: one strided add per pixel
        sy = oy[1] - oy[0] if nh > 1 else 1
        sx = ox[1] - ox[0] if nw > 1 else 1
        for y in range(ph):
            for x in range(pw):
                tap = patches[:, :, y, x]
                if not uniform:
                    tap = tap * (wy[y] * wx[x])
                acc[y: y + (nh - 1) * sy + 1: sy, x: x + (nw - 1) * sx + 1: sx] += tap
        return
    w2 = None if uniform else np.outer(wy, wx).astype(acc.dtype)[:, :, None]
    for i in range(nh):
        for j in range(nw):
            block = patches[i, j] if uniform else patches[i, j] * w2
            acc[oy[i]: oy[i] + ph, ox[j]: ox[j] + pw] += block


def _is_regular(origins):
    return len(origins) < 2 or np.all(np.diff(origins) == origins[1] - origins[0])
