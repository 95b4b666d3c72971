"""Time to classify one drawing: preprocess + 4 patches through the CNN + fusion.

Each timed call takes a 280x280 RGBA canvas drawing (a synthetic mouse drawing
of a held-out test digit), runs ``preprocess_canvas``, extracts the patches
with ``tf.image.extract_patches``, runs the shared CNN with
``model(x, training=False)`` and fuses the four probability vectors — what the
page does per drawing. Median of N runs after warm-up, per patch size.
TensorFlow is limited to 2 intra-op threads and 1 inter-op thread.

Usage: python benchmarks/bench_classification.py [--runs 50] [--json bench/classification.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from patchlab.classification.recipe import PATCH_SIZES

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--patch-sizes", type=int, nargs="+", default=list(PATCH_SIZES))
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "classification.json")
    args = parser.parse_args()

    from patchlab.classification import DigitClassifier, ModelUnavailable, preprocess_canvas
    from patchlab.classification.data import load_split
    from patchlab.classification.drawn import drawn_digits
    from patchlab.runtime import tensorflow, write_atomically

    tf = tensorflow(threads=2)
    x_test, _ = load_split("test")
    canvases = drawn_digits(x_test[:: max(1, len(x_test) // args.runs)][: args.runs], seed=7)
    results = {}
    for p in args.patch_sizes:
        try:
            clf = DigitClassifier.load(p)
        except ModelUnavailable as err:
            print(f"p={p}: skipped ({err})")
            continue
        for rgba in canvases[: args.warmup]:
            clf.predict(preprocess_canvas(rgba))
        times, pre = [], []
        for rgba in canvases:
            t0 = time.perf_counter()
            x28 = preprocess_canvas(rgba)
            t1 = time.perf_counter()
            clf.predict(x28, rule="mean")
            t2 = time.perf_counter()
            times.append((t2 - t0) * 1e3)
            pre.append((t1 - t0) * 1e3)
        results[str(p)] = {
            "median_ms": round(statistics.median(times), 2),
            "p90_ms": round(sorted(times)[int(0.9 * (len(times) - 1))], 2),
            "median_preprocess_ms": round(statistics.median(pre), 2),
            "runs": len(times),
        }
        r = results[str(p)]
        verdict = "meets" if r["median_ms"] <= TARGET_MS else "MISSES"
        print(f"p={p:2d}: one drawing {r['median_ms']:6.2f} ms median (p90 {r['p90_ms']:.2f} ms; "
              f"preprocess {r['median_preprocess_ms']:.2f} ms) over {r['runs']} runs — {verdict} the {TARGET_MS:.0f} ms target")
    threads = (f"TensorFlow intra-op {tf.config.threading.get_intra_op_parallelism_threads()}, "
               f"inter-op {tf.config.threading.get_inter_op_parallelism_threads()}")
    report = {
        "what": "preprocess_canvas + extract_patches + model(x, training=False) + fusion, one 280x280 drawing",
        "target_ms": TARGET_MS,
        "threads": threads,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores visible",
        "patch_sizes": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(args.json, (json.dumps(report, indent=2) + "\n").encode())
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
