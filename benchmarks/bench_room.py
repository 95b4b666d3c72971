"""One refresh of the Room page's data, with a full room, on both back ends.

A room of 100 participants with 50 events each (per participant: 10
classifier runs, 2 inpainter runs, 24 fills, 2 shared fill pictures, 12
rounds of *Spot the fill*; and 6 guesses on top) is written into the in-process store
and into a real redis-server (Debian's, started as ``make room`` starts it:
loopback, a password, no persistence). Then the Room page's refresh is timed:
read the room (:meth:`RoomStore.snapshot`), compute every panel
(:func:`patchlab.room.panels.room_panels`), and fetch the gallery's 12
pictures. Median and p95 over the repeats; the target is at most 200 ms.

- *refresh*: the page's every-2-s refresh on a live room: 5 new events arrive
  before each one (not timed). The Redis store reads only the events it has not
  parsed yet.
- *first refresh* (Redis): a store that has read nothing yet, e.g. on a replica
  that has just started: every event is read and parsed.

Usage: python benchmarks/bench_room.py [--repeats 50] [--json bench/room.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from patchlab.room import open_room  # noqa: E402
from patchlab.room.panels import room_panels  # noqa: E402
from patchlab.room.ratelimit import RateLimiter  # noqa: E402

PARTICIPANTS = 100
TARGET_MS = 200.0
METHODS = ("unet", "seed", "telea", "ns", "biharmonic", "harmonic")


def _room_script():
    spec = importlib.util.spec_from_file_location("room_script", ROOT / "scripts" / "room.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pictures(n: int = 8) -> list[bytes]:
    """Fill-sized result pictures (256×256 crops of a sample photo, PNG), as a participant would share."""
    from PIL import Image

    from patchlab.images import load_sample

    photo = Image.fromarray(load_sample("astronaut"))
    out = []
    for k in range(n):
        crop = photo.crop((k * 30, k * 20, k * 30 + 256, k * 20 + 256))
        buf = io.BytesIO()
        crop.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def seed_room(store, pictures: list[bytes], seed: int = 0) -> int:
    """Write 50 events and 6 guesses for each of 100 participants, interleaved as a room would; return the writes."""
    rng = np.random.default_rng(seed)
    t0 = time.time() - 3600
    plan = ["classifier_run"] * 10 + ["inpainter_run"] * 2 + ["fill"] * 24 + ["share"] * 2 + ["spot"] * 12 + \
        ["guess"] * 6
    writes = 0
    for i in range(PARTICIPANTS):
        pid = f"participant-{i:03d}"
        store.seen(pid, ["patches", "inpainting", "train", "classification"][i % 4], now=time.time() - i % 50)
        if i % 3 == 0:
            store.rename(pid, f"Name {i}")
    for step in range(len(plan)):
        for i in range(PARTICIPANTS):
            pid, kind, now = f"participant-{i:03d}", plan[(step + i) % len(plan)], t0 + step * 60 + i
            if kind == "classifier_run":
                p = int(rng.choice([10, 14, 18, 22, 28]))
                data = {"patch_size": p, "rule": str(rng.choice(["mean", "product", "max", "vote"])),
                        "budget_s": 60, "steps": int(rng.integers(100, 900)),
                        "accuracy": float(rng.uniform(0.7, 0.99)),
                        "per_patch": [float(rng.uniform(0.5, 0.9)) for _ in range(1 if p == 28 else 4)],
                        "n_test": 1000}
            elif kind == "inpainter_run":
                data = {"domain": f"Domain {i % 7}", "arch": "unet", "budget_s": 120,
                        "gain_domain_db": {"square": float(rng.normal(1, 0.5)), "brush": float(rng.normal(0.5, 0.5))},
                        "gain_standard_db": {"square": float(rng.normal(-0.2, 0.2)),
                                             "brush": float(rng.normal(0, 0.2))}, "domain_views": 12}
            elif kind == "fill":
                methods = rng.choice(METHODS, size=int(rng.integers(2, 5)), replace=False)
                data = {"psnr": {str(m): float(rng.uniform(20, 35)) for m in methods},
                        "masked_fraction": float(rng.uniform(0.01, 0.2)), "photo": "sample"}
            elif kind == "share":
                data = {"picture": pictures[(step + i) % len(pictures)], "method": "unet"}
            elif kind == "guess":
                data = {"question": f"scene-{(step + i) % 6}", "answer": str(rng.integers(0, 10))}
            else:
                data = {"method": str(rng.choice(METHODS)), "fooled": bool(rng.random() < 0.3)}
            store.record(pid, kind, data, now=now)
            writes += 1
    for q in range(3):
        store.reveal(f"scene-{q}", "7")
    store.set_scene("workshop", 5, "inpainting", {"photo": "coffee", "methods": ["telea", "ns"]})
    return writes


def refresh(store) -> dict:
    """One refresh of the Room page's data; the time of each part in ms."""
    t0 = time.perf_counter()
    snap = store.snapshot()
    t1 = time.perf_counter()
    panels = room_panels(snap)
    t2 = time.perf_counter()
    pictures = store.pictures([item.picture for item in panels.gallery])
    t3 = time.perf_counter()
    assert len(pictures) == len(panels.gallery) == 12, (len(pictures), len(panels.gallery))
    assert panels.who.since_start == PARTICIPANTS and len(snap.events) >= PARTICIPANTS * 50
    return {"read": (t1 - t0) * 1e3, "panels": (t2 - t1) * 1e3, "pictures": (t3 - t2) * 1e3, "total": (t3 - t0) * 1e3,
            "events": len(snap.events), "picture_bytes": sum(len(b) for b in pictures.values())}


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def _summary(runs: list[dict]) -> dict:
    out = {"events_first": runs[0]["events"], "events_last": runs[-1]["events"],
           "gallery_bytes": runs[0]["picture_bytes"], "repeats": len(runs)}
    for part in ("read", "panels", "pictures", "total"):
        values = [r[part] for r in runs]
        out[f"{part}_median_ms"] = round(statistics.median(values), 2)
        out[f"{part}_p95_ms"] = round(p95(values), 2)
    return out


def measure(store, pictures: list[bytes], repeats: int, reopen=None) -> dict:
    """Seed the room, then time ``repeats`` live refreshes (and, with ``reopen``, first refreshes)."""
    t = time.perf_counter()
    writes = seed_room(store, pictures)
    write_s = time.perf_counter() - t
    refresh(store)  # imports, connections, scripts loaded
    rng = np.random.default_rng(1)
    runs = []
    for _ in range(repeats):
        for _ in range(5):  # the room goes on between two refreshes
            store.record(f"participant-{int(rng.integers(PARTICIPANTS)):03d}", "spot",
                         {"method": "telea", "fooled": bool(rng.random() < 0.3)})
        runs.append(refresh(store))
    out = {"writes": writes, "write_ms_mean": round(write_s / writes * 1e3, 3), "refresh": _summary(runs)}
    if reopen is not None:
        out["first_refresh"] = _summary([refresh(reopen()) for _ in range(repeats)])
    return out


def machine() -> dict:
    model = platform.processor()
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu_model": model, "cpu_count": os.cpu_count(), "load_average_at_start": list(os.getloadavg()),
            "python": platform.python_version()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "room.json")
    args = parser.parse_args()
    info = machine()
    print(f"CPU: {info['cpu_model']}, {info['cpu_count']} cores; load average {info['load_average_at_start']}")
    pictures = _pictures()
    limiter = dict(limiter=RateLimiter(burst=10**9, rate=1e9))  # seeding 50 results at once is not what is timed
    results = {"memory": measure(open_room("", room="bench", **limiter), pictures, args.repeats)}
    room_py = _room_script()
    if room_py.redis_binary() is None:
        print("redis-server is missing: the Redis back end is not measured (`make bench` installs it as root)")
    else:
        with tempfile.TemporaryDirectory(prefix="patchlab-bench-redis-") as state:
            server = room_py.RedisServer(Path(state))
            server.logfile.parent.mkdir(parents=True, exist_ok=True)
            with open(server.logfile, "ab") as log:
                proc = subprocess.Popen(server.argv, stdout=log, stderr=subprocess.STDOUT)
            try:
                server.wait(proc)
                store = open_room(server.url, room="bench", **limiter)
                results["redis"] = measure(store, pictures, args.repeats,
                                           reopen=lambda: open_room(server.url, room="bench"))
                store.clear()
            finally:
                proc.terminate()
                proc.wait(10)
    print(f"\nA room of {PARTICIPANTS} participants x 50 events (+ 6 guesses each); one refresh of the Room page's "
          f"data (read + every panel + the gallery's 12 pictures), {args.repeats} repeats; ms, median/p95:")
    print(f"{'back end, refresh':<24}{'events':>12}{'read':>16}{'panels':>16}{'pictures':>16}{'total':>18}")
    lines = []
    for name, r in results.items():
        for kind in ("refresh", "first_refresh"):
            if kind not in r:
                continue
            m = r[kind]
            parts = "".join(f"{m[p + '_median_ms']:>8.1f}/{m[p + '_p95_ms']:<7.1f}" for p in ("read", "panels", "pictures"))
            events = f"{m['events_first']}-{m['events_last']}"
            print(f"{name + ', ' + kind.replace('_', ' '):<24}{events:>12}{parts}"
                  f"{m['total_median_ms']:>9.1f}/{m['total_p95_ms']:<8.1f}")
            met = "met" if m["total_p95_ms"] <= TARGET_MS else "missed"
            lines.append(f"{name}, {kind.replace('_', ' ')}: median {m['total_median_ms']:.1f} ms, "
                         f"p95 {m['total_p95_ms']:.1f} ms (target <= {TARGET_MS:.0f} ms: {met})")
    print("\n".join(lines))
    print("writes: " + ", ".join(f"{n} {r['write_ms_mean']:.2f} ms each (mean of {r['writes']})"
                                 for n, r in results.items()))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": info, "participants": PARTICIPANTS, "events_per_participant": 50,
                                     "guesses_per_participant": 6,
                                     "target_ms": TARGET_MS, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
