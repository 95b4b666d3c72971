"""Server time of the Patches page: one full script run per slider change.

Runs the page with Streamlit's AppTest (the same script the server runs,
without a browser) on a 512x512 colour photo, changes a slider, and reports
the time each rerun takes. Usage: python benchmarks/bench_page.py [--json PATH]
"""

import argparse
import json
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]

# (slider key, values to step through): each change is one rerun
CHANGES = [
    ("pt_sh", [24, 16, 8, 4, 2, 1]),  # stride down to 1: the heaviest settings
    ("pt_ph", [96, 48, 32, 16, 128, 256]),
    ("pt_hi", [5, 50, 100, 200]),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "page.json")
    args = parser.parse_args()

    at = AppTest.from_file(str(ROOT / "pages" / "patches.py"), default_timeout=120)
    at.query_params.update({"img": "astronaut"})
    at.run()  # first run: imports, JIT compile, caches
    at.run()
    rows = []
    for key, values in CHANGES:
        for value in values:
            slider = at.sidebar.slider(key=key)
            value = min(value, slider.max)
            slider.set_value(value)
            t = time.perf_counter()
            at.run()
            ms = (time.perf_counter() - t) * 1e3
            assert not at.exception, at.exception
            patches = next(m.value for m in at.metric if m.label == "Patches")
            rows.append({"slider": key, "value": value, "patches": patches, "ms": round(ms, 1)})
            print(f"{key:>6} = {value:<4} patches {patches:>8}  rerun {ms:7.1f} ms")
    times = [r["ms"] for r in rows]
    summary = {"median_ms": statistics.median(times), "max_ms": max(times), "target_ms": 300}
    print(f"median {summary['median_ms']:.1f} ms, max {summary['max_ms']:.1f} ms (target <= 300 ms, 512x512 photo)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"image": "astronaut 512x512x3", "reruns": rows, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
