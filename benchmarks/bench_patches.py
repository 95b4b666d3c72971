"""Benchmark of the patch engine: unpatchify against a plain memory copy.

The target (issue 2): merging patches with ``unpatchify`` (float32,
``window='uniform'``) takes at most the time of ``np.copyto`` of an array the
size of the patch array, measured side by side in one run, on three
geometries. Two comparison methods are timed the same way:

* the index-gather method of the classic question: for every output pixel,
  the flat indices of all patch elements that land on it, padded with an index
  that points at an appended zero; the merge is a gather and a row sum (its
  one-off index building is printed but not timed as part of the merge);
* the pure-NumPy fallback of ``unpatchify`` (used when numba is missing).

Every method is run once per repeat, in turn, and its best (minimum) time is
kept, so all of them see the same machine conditions. The compiled kernels
are warmed up (JIT compiled or loaded from cache) before timing.

Run::

    python benchmarks/bench_patches.py [--json bench/patches.json] [--repeat 100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

import patchlab.patches as engine
from patchlab.patches import coverage, patchify, unpatchify, weight_map

GEOMETRIES = [
    # (image shape, patch size, stride)
    ((100, 100), 39, 1),
    ((512, 512), 64, 16),
    ((1024, 1024, 3), 128, 64),
]


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
    oy = engine.patch_origins(h, patch_size, stride)
    ox = engine.patch_origins(w, patch_size, stride)
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


def merge_by_gather(patches, index, counts, out_shape):
    """Gather every pixel's contributions through ``index`` and average them."""
    flat = np.concatenate((patches.ravel(), np.zeros(1, patches.dtype)))
    total = flat[index].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(counts > 0, total / np.maximum(counts, 1), 0)
    return mean.reshape(out_shape).astype(np.float32)


def unpatchify_numpy(patches, image_shape, stride):
    """``unpatchify`` through its pure-NumPy fallback (numba switched off)."""
    saved = engine._numba
    engine._numba = None
    try:
        return unpatchify(patches, image_shape, stride)
    finally:
        engine._numba = saved


def unpatchify_threads(threads):
    """``unpatchify`` on exactly ``threads`` threads (by default it picks 1 or all)."""
    def run(patches, image_shape, stride):
        saved = engine._FORCED_THREADS
        engine._FORCED_THREADS = threads
        try:
            return unpatchify(patches, image_shape, stride)
        finally:
            engine._FORCED_THREADS = saved
    return run


# --------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------
def best_times(methods, repeat):
    """Run every method once per repeat, in turn; return each one's minimum."""
    best = {name: float("inf") for name in methods}
    names = list(methods)
    for r in range(repeat):
        for name in names[r % len(names):] + names[: r % len(names)]:  # rotate the order
            start = time.perf_counter()
            methods[name]()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


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
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "cpus_available": cores,
        "unpatchify_max_threads": engine._THREADS,
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
    }


def bench_geometry(image_shape, patch_size, stride, repeat, rng):
    image = rng.random(image_shape, dtype=np.float32)
    view = patchify(image, patch_size, stride)
    patches = np.ascontiguousarray(view)  # what a model hands back: a C-ordered array
    dst = np.empty_like(patches)

    # warm up (JIT compile / load from cache) and check every method agrees
    expected = unpatchify(patches, image_shape, stride)
    start = time.perf_counter()
    index, counts = build_gather_index(image_shape, patch_size, stride)
    index_build_s = time.perf_counter() - start
    for name, result in [
        ("view", unpatchify(view, image_shape, stride)),
        ("1 thread", unpatchify_threads(1)(patches, image_shape, stride)),
        ("threads", unpatchify_threads(engine._THREADS)(patches, image_shape, stride)),
        ("gather", merge_by_gather(patches, index, counts, image_shape)),
        ("numpy", unpatchify_numpy(patches, image_shape, stride)),
    ]:
        if not np.allclose(result, expected, rtol=1e-4, atol=1e-4):
            raise SystemExit(f"method {name!r} disagrees with unpatchify on {image_shape}")
    if not np.allclose(expected, image, rtol=1e-4, atol=1e-5):
        raise SystemExit(f"unpatchify does not reconstruct the image {image_shape}")

    fast = {
        "np.copyto (reference)": lambda: np.copyto(dst, patches),
        "unpatchify": lambda: unpatchify(patches, image_shape, stride),
        "unpatchify, 1 thread": lambda: unpatchify_threads(1)(patches, image_shape, stride),
        f"unpatchify, {engine._THREADS} threads forced": lambda: unpatchify_threads(engine._THREADS)(
            patches, image_shape, stride),
        "unpatchify of the patchify view": lambda: unpatchify(view, image_shape, stride),
    }
    slow = {  # the comparison methods take 5-100x longer: fewer runs, same interleaving
        "index-gather (classic question)": lambda: merge_by_gather(patches, index, counts, image_shape),
        "pure NumPy (fallback path)": lambda: unpatchify_numpy(patches, image_shape, stride),
    }
    times = best_times(fast, repeat)
    plan = engine._merge_plan(tuple(image_shape), (patch_size, patch_size), (stride, stride),
                              "valid", "uniform", "f")
    timing = {k: v for k, v in plan.timing.items() if k != "calls"}
    threads_used = min(timing, key=lambda k: timing[k] if timing[k] is not None else float("inf"))
    times.update(best_times(slow, max(3, repeat // 10)))
    copy_s = times["np.copyto (reference)"]

    aux = {
        "patchify (view)": lambda: patchify(image, patch_size, stride),
        "coverage": lambda: coverage(image_shape, patch_size, stride),
        "weight_map (uniform)": lambda: weight_map(image_shape, patch_size, stride),
        "weight_map (hann)": lambda: weight_map(image_shape, patch_size, stride, "hann"),
    }
    aux_times = best_times(aux, max(repeat, 50))

    return {
        "image_shape": list(image_shape),
        "patch_size": patch_size,
        "stride": stride,
        "grid": list(view.shape[:2]),
        "n_patches": int(view.shape[0] * view.shape[1]),
        "patch_elements": int(patches.size),
        "patch_megabytes": patches.nbytes / 1e6,
        "dtype": "float32",
        "times_s": times,
        "unpatchify_threads_chosen": threads_used,
        "ratio_to_copyto": {name: t / copy_s for name, t in times.items()},
        "index_gather_build_s": index_build_s,
        "index_gather_index_megabytes": index.nbytes / 1e6,
        "other_times_s": aux_times,
    }


def print_geometry(g):
    shape = "x".join(str(v) for v in g["image_shape"])
    print(
        f"\n{shape}  patch {g['patch_size']}  stride {g['stride']}: "
        f"{g['n_patches']:,} patches, {g['patch_elements']:,} elements, "
        f"{g['patch_megabytes']:.1f} MB float32; unpatchify now prefers "
        f"{g['unpatchify_threads_chosen']} thread(s)"
    )
    print(f"  {'method':36s} {'time':>10s} {'x copyto':>9s}")
    for name, t in g["times_s"].items():
        print(f"  {name:36s} {t * 1e3:8.3f} ms {g['ratio_to_copyto'][name]:8.2f}x")
    print(
        f"  (index-gather: building its {g['index_gather_index_megabytes']:.0f} MB index "
        f"took {g['index_gather_build_s'] * 1e3:.0f} ms, not counted above)"
    )
    others = ", ".join(f"{k} {v * 1e6:.0f} us" for k, v in g["other_times_s"].items())
    print(f"  {others}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", default="bench/patches.json", help="where to write the figures")
    parser.add_argument("--repeat", type=int, default=100,
                        help="timed runs of copyto and unpatchify (min is kept); the slow "
                             "comparison methods get a tenth of that")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    info = machine_info()
    print(
        f"patch engine benchmark: {info['cpu_model']}, {info['cpus_available']} CPUs "
        f"(unpatchify: 1 or {info['unpatchify_max_threads']} threads, whichever is "
        f"faster at the moment), numpy {info['numpy']}, "
        f"numba {info['numba']}; load average {info['load_average_at_start']}"
    )
    print(f"best of {args.repeat} interleaved runs (comparison methods: {max(3, args.repeat // 10)})")
    rng = np.random.default_rng(0)
    results = []
    for image_shape, patch_size, stride in GEOMETRIES:
        g = bench_geometry(image_shape, patch_size, stride, args.repeat, rng)
        print_geometry(g)
        results.append(g)

    print("\nunpatchify / np.copyto (target <= 1.00):")
    for g in results:
        shape = "x".join(str(v) for v in g["image_shape"])
        ratio = g["ratio_to_copyto"]["unpatchify"]
        verdict = "meets target" if ratio <= 1.0 else "ABOVE target"
        print(f"  {shape:>12s} p{g['patch_size']} s{g['stride']}: {ratio:5.2f}x  {verdict}")

    info["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    info["wall_s"] = time.perf_counter() - started
    report = {"machine": info, "repeat": args.repeat, "geometries": results}
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
        print(f"\nwrote {path} ({info['wall_s']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
