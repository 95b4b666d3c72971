"""Benchmark of the patch engine: unpatchify against a plain memory copy.

The target (issue 15): merging patches with ``unpatchify`` (float32,
``window='uniform'``) takes at most 0.8x the time of ``np.copyto`` of the
patch array into a preallocated array of the same size, on five
geometries, both on one thread and with the automatic thread choice; and
the automatic choice is never more than 10 % slower than one thread.

``np.copyto`` writes into an existing array, so the fair comparison is
``unpatchify(..., out=merged)`` into an existing result array: both then
skip the allocation and the operating system's zeroing of fresh pages.
``unpatchify`` into a new array is timed too (that is what a caller who
passes no ``out`` pays).

All methods of one geometry are run in turn, once per repeat, the order
rotating from repeat to repeat, and the *median* of each is kept (its
minimum is recorded in the JSON too), so every method sees the same
machine conditions; on a shared machine the figures still move by 10-20 %
between runs. The compiled kernels are warmed up (JIT compiled or loaded
from cache) before timing, and every method's result is checked against
the plain-loop reference merge (``unpatchify_reference``) first.

Two slower comparison methods are timed the same way, with fewer repeats:

* the index-gather method of the classic question: for every output pixel,
  the flat indices of all patch elements that land on it, padded with an index
  that points at an appended zero; the merge is a gather and a row sum (its
  one-off index building is printed but not timed as part of the merge);
  only where its index stays under ~200 MB;
* the pure-NumPy path of ``unpatchify`` (used when numba is missing).

Run::

    python benchmarks/bench_patches.py [--json bench/patches.json] [--repeat 100]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from patchlab.patches import _kernels, _merge, coverage, patch_origins, patchify, unpatchify
from patchlab.patches import unpatchify_reference, weight_map

GEOMETRIES = [
    # (image or batch shape, patch size, stride, batch)
    ((100, 100), 39, 1, False),
    ((512, 512), 64, 16, False),
    ((1024, 1024, 3), 128, 64, False),
    ((2048, 2048, 3), 256, 128, False),
    ((16, 256, 256, 3), 32, 16, True),
]
TARGET = 0.8         # unpatchify / np.copyto, on one thread and automatic
AUTO_MARGIN = 1.10   # automatic / one thread


# --------------------------------------------------------------------------
# the comparison methods
# --------------------------------------------------------------------------
def build_gather_index(image_shape, patch_size, stride):
    """Index matrix of the classic question, shape (pixels, max coverage).

    Row ``k`` lists the flat positions (in the C-ordered patch array) of all
    patch elements that land on output element ``k``; short rows are padded
    with ``n_elements``, the index of a zero appended to the flattened patches.
    """
    shape = tuple(image_shape)
    channels = shape[2] if len(shape) == 3 else 1
    h, w = shape[:2]
    oy = patch_origins(h, patch_size, stride)
    ox = patch_origins(w, patch_size, stride)
    ys = (oy[:, None, None, None] + np.arange(patch_size)[None, None, :, None])
    xs = (ox[None, :, None, None] + np.arange(patch_size)[None, None, None, :])
    pixel = (ys * w + xs)  # (nh, nw, p, p): output pixel of every patch element
    if channels > 1:
        pixel = pixel[..., None] * channels + np.arange(channels)
    target = pixel.ravel()
    n_elements = target.size
    order = np.argsort(target, kind="stable")
    counts = np.bincount(target, minlength=h * w * channels)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sorted_target = target[order]
    slot = np.arange(n_elements) - starts[sorted_target]
    index = np.full((h * w * channels, counts.max()), n_elements, dtype=np.intp)
    index[sorted_target, slot] = order
    return index, counts


def gather_index_bytes(image_shape, patch_size, stride):
    pixels = int(np.prod(image_shape))
    return pixels * int(coverage(image_shape, patch_size, stride).max()) * np.dtype(np.intp).itemsize


def merge_by_gather(patches, index, counts, out_shape):
    """Gather every pixel's contributions through ``index`` and average them."""
    flat = np.concatenate((patches.ravel(), np.zeros(1, patches.dtype)))
    total = flat[index].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(counts > 0, total / np.maximum(counts, 1), 0)
    return mean.reshape(out_shape).astype(np.float32)


@contextlib.contextmanager
def numba_switched_off():
    saved = _kernels.AVAILABLE
    _kernels.AVAILABLE = False
    try:
        yield
    finally:
        _kernels.AVAILABLE = saved


@contextlib.contextmanager
def recording_thread_choices(chosen):
    """Count the thread counts the automatic choice makes inside the block."""
    choose = _merge.choose_threads

    def recording(*args):
        threads = choose(*args)
        chosen[threads] = chosen.get(threads, 0) + 1
        return threads

    _merge.choose_threads = recording
    try:
        yield
    finally:
        _merge.choose_threads = choose


# --------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------
def interleaved_times(methods, repeat):
    """Run every method once per repeat, in rotating order; return all times."""
    times = {name: [] for name in methods}
    names = list(methods)
    for r in range(repeat):
        for name in names[r % len(names):] + names[: r % len(names)]:
            start = time.perf_counter()
            methods[name]()
            times[name].append(time.perf_counter() - start)
    return times


def machine_info():
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import numba
    return {
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "cpus_available": _merge._CORES,
        "unpatchify_max_threads": _merge._THREADS,
        "unpatchify_parallel_bytes": _merge._PARALLEL_BYTES,
        "unpatchify_parallel_values": _merge._PARALLEL_VALUES,
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
    }


def describe(image_shape, patch_size, stride, batch):
    shape = "x".join(str(v) for v in (image_shape[1:] if batch else image_shape))
    prefix = f"{image_shape[0]} x " if batch else ""
    return f"{prefix}{shape} p{patch_size} s{stride}"


def bench_geometry(image_shape, patch_size, stride, batch, repeat, rng):
    image = rng.random(image_shape, dtype=np.float32)
    view = patchify(image, patch_size, stride, batch=batch)
    patches = np.ascontiguousarray(view)  # what a model hands back: a C-ordered array
    copy_dst = np.empty_like(patches)
    merged = np.empty(image_shape, np.float32)

    def merge(source=patches, out=merged, threads=None):
        with _merge.forced_threads(threads) if threads else contextlib.nullcontext():
            return unpatchify(source, image_shape, stride, batch=batch, out=out)

    # warm up (JIT compile / load from cache) and check every method agrees
    expected = unpatchify_reference(patches, image_shape, stride, batch=batch)
    checks = {
        "automatic": merge().copy(),
        "1 thread": merge(threads=1).copy(),
        f"{_merge._THREADS} threads": merge(threads=_merge._THREADS).copy(),
        "new array": merge(out=None),
        "view": merge(source=view).copy(),
    }
    with numba_switched_off():
        checks["pure NumPy"] = merge(out=None)
    gather = None
    if not batch and gather_index_bytes(image_shape, patch_size, stride) < 200e6:
        start = time.perf_counter()
        index, counts = build_gather_index(image_shape, patch_size, stride)
        gather = (index, counts, time.perf_counter() - start)
        checks["index-gather"] = merge_by_gather(patches, index, counts, image_shape)
    for name, result in checks.items():
        if not np.allclose(result, expected, rtol=1e-4, atol=1e-4):
            raise SystemExit(f"{name!r} disagrees with unpatchify_reference on {image_shape}")
    if not np.allclose(expected, image, rtol=1e-4, atol=1e-5):
        raise SystemExit(f"the merge does not reconstruct the image {image_shape}")

    chosen = {}
    fast = {
        "np.copyto (reference)": lambda: np.copyto(copy_dst, patches),
        "1 thread, out=": lambda: merge(threads=1),
        "automatic, out=": lambda: merge(),
        "automatic, new array": lambda: merge(out=None),
        "automatic, patchify view, out=": lambda: merge(source=view),
    }
    with recording_thread_choices(chosen):
        times = interleaved_times(fast, repeat)
    chosen_by_auto = {str(k): v for k, v in chosen.items()}

    def numpy_path():
        with numba_switched_off():
            merge()

    slow = {"pure NumPy (no numba)": numpy_path}
    if gather is not None:
        slow["index-gather (classic question)"] = lambda: merge_by_gather(
            patches, gather[0], gather[1], image_shape)
    times.update(interleaved_times(slow, max(3, repeat // 10)))

    median = {name: statistics.median(t) for name, t in times.items()}
    best = {name: min(t) for name, t in times.items()}
    copy_s = median["np.copyto (reference)"]
    hw = image_shape[1:3] if batch else image_shape[:2]
    aux = {
        "patchify (view)": lambda: patchify(image, patch_size, stride, batch=batch),
        "coverage": lambda: coverage(hw, patch_size, stride),
        "weight_map (uniform)": lambda: weight_map(hw, patch_size, stride),
        "weight_map (hann)": lambda: weight_map(hw, patch_size, stride, "hann"),
    }
    aux_times = {k: statistics.median(v) for k, v in interleaved_times(aux, 50).items()}
    return {
        "geometry": describe(image_shape, patch_size, stride, batch),
        "image_shape": list(image_shape),
        "batch": batch,
        "patch_size": patch_size,
        "stride": stride,
        "patches_shape": list(patches.shape),
        "patch_megabytes": patches.nbytes / 1e6,
        "dtype": "float32",
        "median_s": median,
        "min_s": best,
        "ratio_to_copyto": {name: t / copy_s for name, t in median.items()},
        "auto_over_one_thread": median["automatic, out="] / median["1 thread, out="],
        "threads_chosen_by_auto": chosen_by_auto,
        "index_gather_build_s": gather[2] if gather else None,
        "index_gather_index_megabytes": gather[0].nbytes / 1e6 if gather else None,
        "other_times_s": aux_times,
    }


def print_geometry(g):
    print(f"\n{g['geometry']}: patches {tuple(g['patches_shape'])}, {g['patch_megabytes']:.1f} MB "
          f"float32; automatic choice used threads {g['threads_chosen_by_auto']} (count: calls)")
    print(f"  {'method':36s} {'median':>10s} {'x copyto':>9s}")
    for name, t in g["median_s"].items():
        print(f"  {name:36s} {t * 1e3:7.2f} ms {g['ratio_to_copyto'][name]:8.2f}x")
    if g["index_gather_build_s"] is not None:
        print(f"  (index-gather: building its {g['index_gather_index_megabytes']:.0f} MB index "
              f"took {g['index_gather_build_s'] * 1e3:.0f} ms, not counted above)")
    others = ", ".join(f"{k} {v * 1e6:.0f} us" for k, v in g["other_times_s"].items())
    print(f"  {others}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", default="bench/patches.json", help="where to write the figures")
    parser.add_argument("--repeat", type=int, default=100,
                        help="interleaved runs of each method (the median is kept); the slow "
                             "comparison methods get a tenth of that")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    info = machine_info()
    print(
        f"patch engine benchmark: {info['cpu_model']}, {info['cpus_available']} CPUs, "
        f"numpy {info['numpy']}, numba {info['numba']}; load average "
        f"{info['load_average_at_start']}\nunpatchify: one thread unless the patches hold "
        f">= {info['unpatchify_parallel_bytes'] >> 20} MB, the result >= "
        f"{info['unpatchify_parallel_values']:,} values and a core is idle (then up to "
        f"{info['unpatchify_max_threads']}); median of {args.repeat} interleaved runs "
        f"(comparison methods: {max(3, args.repeat // 10)})"
    )
    rng = np.random.default_rng(0)
    results = []
    for image_shape, patch_size, stride, batch in GEOMETRIES:
        g = bench_geometry(image_shape, patch_size, stride, batch, args.repeat, rng)
        print_geometry(g)
        results.append(g)

    print(f"\nunpatchify(out=) / np.copyto, medians (target <= {TARGET}; automatic / 1 thread "
          f"<= {AUTO_MARGIN}):")
    print(f"  {'geometry':>26s} {'1 thread':>9s} {'automatic':>10s} {'auto/1':>7s}")
    for g in results:
        one = g["ratio_to_copyto"]["1 thread, out="]
        auto = g["ratio_to_copyto"]["automatic, out="]
        verdict = "meets target" if max(one, auto) <= TARGET else "ABOVE target"
        margin = "" if g["auto_over_one_thread"] <= AUTO_MARGIN else "  auto SLOWER than 1 thread"
        print(f"  {g['geometry']:>26s} {one:8.2f}x {auto:9.2f}x {g['auto_over_one_thread']:6.2f}  "
              f"{verdict}{margin}")

    info["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    info["wall_s"] = time.perf_counter() - started
    report = {"machine": info, "repeat": args.repeat, "statistic": "median", "geometries": results}
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
        print(f"\nwrote {path} ({info['wall_s']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
