"""Inpainting speed: the U-Net beside OpenCV Telea and scikit-image biharmonic.

    python benchmarks/bench_inpainting.py --json bench/inpainting.json

One 512x512 photo (the held-out astronaut) with a seeded brush-stroke mask;
each method runs once to warm up (the U-Net traces its graph), then
``--repeats`` times; the median is reported. TensorFlow uses 2 intra-op
threads. Target: U-Net <= 300 ms on the 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from patchlab.images import load_sample  # noqa: E402
from patchlab.inpainting import Inpainter  # noqa: E402
from patchlab.inpainting.baselines import CLASSICAL  # noqa: E402
from patchlab.inpainting.data import square_view  # noqa: E402
from patchlab.inpainting.masks import random_mask  # noqa: E402
from patchlab.runtime import tensorflow  # noqa: E402

TARGET_MS = 300.0


def _median_ms(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, help="also write the figures here")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tensorflow(threads=2)
    image = square_view(load_sample("astronaut"), args.size)
    mask = random_mask(image.shape[:2], seed=args.seed, kind="brush")
    model = Inpainter.load()
    methods = {"unet": ("U-Net (PatchLab)", model.inpaint),
               "telea": CLASSICAL["telea"], "biharmonic": CLASSICAL["biharmonic"]}

    rows = {}
    for key, (label, fn) in methods.items():
        median, best = _median_ms(lambda fn=fn: fn(image, mask), args.repeats)
        rows[key] = {"label": label, "median_ms": round(median, 1), "min_ms": round(best, 1)}

    print(f"Inpainting a {args.size}x{args.size} photo, {mask.mean():.1%} masked "
          f"(brush strokes, seed {args.seed}); median of {args.repeats} after a warm-up")
    print(f"{'method':28s} {'median ms':>10s} {'min ms':>8s}")
    for r in rows.values():
        print(f"{r['label']:28s} {r['median_ms']:10.1f} {r['min_ms']:8.1f}")
    met = rows["unet"]["median_ms"] <= TARGET_MS
    print(f"U-Net target <= {TARGET_MS:.0f} ms: {'met' if met else 'MISSED'}")

    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({
            "benchmark": "inpainting",
            "image": f"astronaut, centre square resized to {args.size}x{args.size}",
            "masked_fraction": round(float(mask.mean()), 4),
            "repeats": args.repeats,
            "tile_size": model.tile_size,
            "methods": rows,
            "target_ms": TARGET_MS,
            "target_met": met,
            "cpu_count": os.cpu_count(),
            "machine": platform.machine(),
            "python": platform.python_version(),
        }, indent=2) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
