"""A workshop on one server: N participants in headless Chromium at once.

Starts the app on loopback, warms it with one participant, then runs N
simultaneous browser sessions through a scripted workshop (each session
with its own photo, drawing and settings, and each checking that the result
it gets is its own). Reports p50/p95 latency per action and the server's
resident memory, and fails when a target is missed.

    python tests/loadtest.py [--sessions 20] [--json bench/loadtest.json]

Traffic goes to 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apprunner import ROOT, start_app, stop_app  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from patchlab.images import SAMPLES  # noqa: E402
from patchlab.patches import grid_shape  # noqa: E402

TIMEOUT_MS = 120_000
RUNNING = '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSkeleton"]'


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemoryWatch:
    """Samples a process's RSS every 0.2 s in a thread; keeps the peak."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


async def settle(page):
    """Wait until the page's script run is over (no running icon for 0.6 s)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    quiet = None
    while time.monotonic() < deadline:
        if await page.locator(RUNNING).count() == 0:
            quiet = quiet or time.monotonic()
            if time.monotonic() - quiet >= 0.6:
                return
        else:
            quiet = None
        await page.wait_for_timeout(100)
    raise TimeoutError("page still running")


async def no_exception(page, where):
    if await page.locator('[data-testid="stException"]').count():
        raise AssertionError(f"{where}: the page shows an exception")


# --------------------------------------------------------------------------
# the workshop, one coroutine per action; each returns its latency in seconds
# --------------------------------------------------------------------------
async def patches_action(page, url, k):
    """Open Patches with this participant's own geometry, move the stride slider."""
    names = [n for n in SAMPLES if n in ("astronaut", "coffee", "chelsea", "rocket", "china", "flower")]
    name = names[k % len(names)]
    p = 24 + k  # every participant a different patch size
    await page.goto(f"{url}/patches?img={name}&p={p}&s=16&edge=valid&win=uniform")
    await page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=TIMEOUT_MS)
    await settle(page)
    shape = await image_shape_from_caption(page)
    slider = page.get_by_role("slider", name="Stride")
    await slider.focus()
    t0 = time.monotonic()
    for _ in range(4):  # stride 16 -> 12
        await page.keyboard.press("ArrowLeft")
    nh, nw = grid_shape(shape, p, 12, "valid")
    expected = f"{nh * nw:,}"
    await page.wait_for_function(
        "e => document.querySelector('[data-testid=\"stMetricValue\"]').innerText === e",
        arg=expected, timeout=TIMEOUT_MS,
    )
    latency = time.monotonic() - t0
    await settle(page)
    await no_exception(page, "patches")
    return latency


async def image_shape_from_caption(page):
    text = await page.get_by_text("Engine timings for this image").first.inner_text()
    dims = text.split("(")[1].split(",")[0]  # "512×384×3"
    w, h, c = (int(v) for v in dims.split("×"))
    return (h, w, c)


ACTIONS = {"patches_slider": patches_action}


async def participant(browser, url, k, results, errors):
    context = await browser.new_context(viewport={"width": 1300, "height": 950})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        for name, action in ACTIONS.items():
            try:
                results.setdefault(name, []).append(await action(page, url, k))
            except Exception as err:  # noqa: BLE001 - every failure is reported, none hidden
                errors.append(f"participant {k}, {name}: {type(err).__name__}: {str(err)[:200]}")
                await page.screenshot(path=str(ROOT / "tests" / "artifacts" / f"load-{k}-{name}.png"))
    finally:
        await context.close()


async def workshop(url, sessions):
    from playwright.async_api import async_playwright

    results, errors = {}, []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        t0 = time.monotonic()
        await asyncio.gather(*(participant(browser, url, k, results, errors) for k in range(sessions)))
        wall = time.monotonic() - t0
        await browser.close()
    return results, errors, wall


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    idx = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[idx]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "loadtest.json")
    parser.add_argument("--max-growth-mb", type=float, default=500.0)
    parser.add_argument("--max-p95-fill-s", type=float, default=5.0)
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50:
        parser.error("--sessions must be between 1 and 50")
    (ROOT / "tests" / "artifacts").mkdir(parents=True, exist_ok=True)

    proc, url = start_app()
    try:
        print(f"server {url}, pid {proc.pid}, RSS at start {rss_mb(proc.pid):.0f} MB")
        with MemoryWatch(proc.pid) as single:
            _, errors1, _ = asyncio.run(workshop(url, 1))
        print(f"one participant: peak RSS {single.peak:.0f} MB")
        with MemoryWatch(proc.pid) as many:
            results, errors, wall = asyncio.run(workshop(url, args.sessions))
        rss_after = rss_mb(proc.pid)
    finally:
        stop_app(proc)

    growth = many.peak - single.peak
    report = {
        "sessions": args.sessions,
        "wall_s": round(wall, 1),
        "rss_mb": {"one_session_peak": round(single.peak), "n_sessions_peak": round(many.peak),
                   "after": round(rss_after), "growth": round(growth)},
        "actions": {
            name: {"n": len(v), "p50_s": round(statistics.median(v), 2), "p95_s": round(percentile(v, 95), 2),
                   "max_s": round(max(v), 2)}
            for name, v in results.items()
        },
        "errors": errors1 + errors,
    }
    print(f"\n{args.sessions} participants at once, {wall:.0f} s wall time")
    print(f"{'action':<22}{'done':>6}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for name, r in report["actions"].items():
        print(f"{name:<22}{r['n']:>6}{r['p50_s']:>9.2f}{r['p95_s']:>9.2f}{r['max_s']:>9.2f}")
    print(f"server RSS: one participant peak {single.peak:.0f} MB, {args.sessions} participants peak "
          f"{many.peak:.0f} MB (growth {growth:.0f} MB, target < {args.max_growth_mb:.0f}), after {rss_after:.0f} MB")
    for e in report["errors"]:
        print("ERROR", e)

    failures = list(report["errors"])
    for name in ACTIONS:
        if len(results.get(name, [])) != args.sessions:
            failures.append(f"{name}: only {len(results.get(name, []))}/{args.sessions} sessions completed")
    fill = report["actions"].get("inpainting_fill")
    if fill and fill["p95_s"] > args.max_p95_fill_s:
        failures.append(f"p95 Fill {fill['p95_s']} s > {args.max_p95_fill_s} s")
    if growth >= args.max_growth_mb:
        failures.append(f"RSS growth {growth:.0f} MB >= {args.max_growth_mb:.0f} MB")
    report["passed"] = not failures
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print("PASSED" if not failures else "FAILED: " + "; ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
