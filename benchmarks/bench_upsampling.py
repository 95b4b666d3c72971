"""Upsampling: the page's numerical claims, measured, and its time per interaction.

1. For factors 2, 3, 4: the largest difference between the bilinear-initialised
   Conv2DTranspose and ``tf.image.resize(..., 'bilinear')`` in the interior and
   on the border, on a bundled photo (48 px, as on the page) and on random noise.
2. Checkerboard strength ((max - min) / max of the upsampled constant image,
   away from the border) of every method the page shows, at the bilinear kernel
   size and at a size the stride does not divide.
3. Server time of one page rerun per control change (Streamlit AppTest: the
   script the server runs, without a browser); the target is under 1 s.

Run::

    python benchmarks/bench_upsampling.py [--json bench/upsampling.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from patchlab import upsampling as up
from patchlab.images import load_sample

ROOT = Path(__file__).resolve().parents[1]
FACTORS = (2, 3, 4)

# (widget kind, key, value): each change is one rerun of the page
CHANGES = [
    ("select_slider", "factor", 3),
    ("radio", "init", "random"),
    ("checkbox", "use_rec", False),
    ("slider", "size", 4),
    ("slider", "size", 7),
    ("radio", "init", "nearest"),
    ("select_slider", "factor", 4),
    ("radio", "source", "pattern"),
    ("selectbox", "pattern", "checkerboard"),
    ("radio", "init", "bilinear"),
    ("checkbox", "use_rec", True),
    ("select_slider", "factor", 2),
    ("radio", "source", "photo"),
    ("selectbox", "photo", "coffee"),
    ("select_slider", "factor", 3),  # already seen: cached figures
]


def claims():
    photo = load_sample("astronaut", max_side=48).astype(np.float32) / 255.0
    noise = np.random.default_rng(0).random((48, 48, 3)).astype(np.float32)
    rows = []
    for factor in FACTORS:
        for name, image in (("astronaut 48px", photo), ("uniform noise 48px", noise)):
            r = up.compare_with_resize(image, factor)
            rows.append({"factor": factor, "image": name, "interior_max": r["interior_max"],
                         "border_max": r["border_max"], "border_px": r["border"][0]})
            print(f"f={factor}  {name:<19} interior max |tconv - resize| {r['interior_max']:.2e}"
                  f"   border ({r['border'][0]} px) max {r['border_max']:.3f}")
    return rows


def strengths():
    constant = np.full((24, 24, 3), 0.5, np.float32)
    rows = []
    for factor in FACTORS:
        for size in sorted({up.kernel_size(factor), factor + 1}):
            margin = max(size, up.kernel_size(factor)) + factor
            cases = [("tf.image.resize nearest", "nearest", None),
                     ("tf.image.resize bilinear", "bilinear", None)]
            for init in up.INITS:
                kernel = up.make_kernel(init, factor, size)
                cases.append((f"transposed conv, {init}", "transposed",
                              up.transposed_conv_layer(kernel, factor, 3)))
            cases.append(("resize then convolve (random)", "resize_conv",
                          up.resize_conv_layer(up.make_kernel("random", factor, size), 3)))
            for label, method, layer in cases:
                s = up.checkerboard_strength(up.upsample(constant, method, factor, layer), margin)
                rows.append({"factor": factor, "kernel_size": size, "method": label, "strength": round(s, 4)})
                print(f"f={factor} k={size:<2} {label:<32} checkerboard strength {s:.4f}")
    return rows


def page_times():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "upsampling.py"), default_timeout=180)
    t, c = time.perf_counter(), time.process_time()
    at.run()
    first = (time.perf_counter() - t) * 1e3
    first_cpu = (time.process_time() - c) * 1e3
    assert not at.exception, at.exception
    print(f"first run (builds layers, renders the first figures) {first:.0f} ms wall, {first_cpu:.0f} ms CPU")
    rows = []
    for kind, key, value in CHANGES:
        widget = getattr(at, kind)(key=key)
        if kind == "checkbox":
            widget.check() if value else widget.uncheck()
        else:
            widget.set_value(value)
        t, c = time.perf_counter(), time.process_time()
        at.run()
        ms = (time.perf_counter() - t) * 1e3
        cpu = (time.process_time() - c) * 1e3
        assert not at.exception, at.exception
        rows.append({"control": key, "value": value, "ms": round(ms, 1), "cpu_ms": round(cpu, 1)})
        print(f"{key:>8} = {value!s:<13} rerun {ms:7.1f} ms wall, {cpu:7.1f} ms CPU")
    times = [r["ms"] for r in rows]
    cpus = [r["cpu_ms"] for r in rows]
    summary = {"first_run_ms": round(first, 1), "first_run_cpu_ms": round(first_cpu, 1),
               "median_ms": statistics.median(times), "max_ms": max(times), "median_cpu_ms": statistics.median(cpus),
               "max_cpu_ms": max(cpus), "target_ms": 1000, "load_average": os.getloadavg()[0]}
    print(f"median {summary['median_ms']:.0f} ms, max {summary['max_ms']:.0f} ms wall "
          f"(CPU: median {summary['median_cpu_ms']:.0f} ms, max {summary['max_cpu_ms']:.0f} ms; "
          f"target < 1000 ms; load average {summary['load_average']:.1f} on {os.cpu_count()} cores)")
    return rows, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "upsampling.json")
    parser.add_argument("--no-page", action="store_true", help="skip the page timings")
    args = parser.parse_args()
    result = {"machine": platform.platform(), "claims": claims(), "strengths": strengths()}
    if not args.no_page:
        result["reruns"], result["summary"] = page_times()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
