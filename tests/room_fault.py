"""A replica dies in the middle of a workshop: what its participants and the others see.

Run inside a room (the room's supervisor starts this once every replica is up):

    python scripts/room.py --replicas 2 --port 0 --address 127.0.0.1 --state run/room-fault --warm -- \\
        python tests/room_fault.py --url {url} --state run/room-fault [--sessions 20] [--json bench/room-fault.json]

N participants (headless Chromium, idle priority, arriving 0.5 s apart) each do the
load test's Inpainting action (own photo, own rectangle, Fill, check the masked
fraction is their own) twice. When half of them have finished the first Fill,
replica r1 is killed (SIGKILL). Reported: how many participants of each replica
completed both Fills; for the killed replica's participants, how long until their
page had reconnected by itself to the live replica (proxy cookie changed and the
page's script run finished, as this driver saw it, polling every 0.2 s); when the
proxy took r1 out and back; Fill round trips before and after the kill. Fails
unless every participant completes and none sees another's result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadtest  # noqa: E402
from apprunner import ROOT  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from room import proxy_states  # noqa: E402


async def replica_of(context):
    return {c["name"]: c["value"] for c in await context.cookies()}.get("SERVERID")


async def main_async(url, state, sessions, victim="r1"):
    from playwright.async_api import async_playwright

    status = json.loads((state / "room.json").read_text())
    pids = {r["name"]: r["pid"] for r in status["replicas"]}
    sock = Path(status["proxy"]["socket"])
    first_done, killed = asyncio.Event(), asyncio.Event()
    clock = {"finished_first": 0}
    records = {}
    proxy_view = {}

    async def killer():
        await first_done.wait()
        for rec in records.values():  # where each participant was when the replica died
            rec["at_kill"] = await replica_of(rec["context"]) if "context" in rec else None
        clock["kill"] = time.monotonic()
        os.kill(pids[victim], 9)
        killed.set()
        seen = None
        while time.monotonic() - clock["kill"] < 120:
            state_now = (await asyncio.to_thread(proxy_states, sock)).get(victim, "?").split()[0]
            if state_now != seen:
                proxy_view[f"{state_now}_after_s"] = round(time.monotonic() - clock["kill"], 1)
                seen = state_now
                if state_now == "UP" and "DOWN_after_s" in proxy_view:
                    return
            await asyncio.sleep(0.2)

    async def fill(page, context, k, wire, rec, round_):
        """One Inpainting action; a participant of the killed replica tries once more after reconnecting."""
        for attempt in (1, 2):
            try:
                await loadtest.inpainting_action(page, url, k, wire)
                rec["fills"] += 1
                return
            except Exception as err:  # noqa: BLE001 - recorded; see below
                rec["errors"].append(f"round {round_}, try {attempt}: {type(err).__name__}: {str(err)[:160]}")
                if attempt == 2 or not killed.is_set() or rec.get("at_kill") != victim:
                    raise
                await reconnected(page, context, rec)

    async def participant(browser, k):
        await asyncio.sleep(0.5 * k)
        rec = records[k] = {"fills": 0, "errors": []}
        context = rec["context"] = await browser.new_context(viewport={"width": 1300, "height": 950})
        page = await context.new_page()
        page.set_default_timeout(loadtest.TIMEOUT_MS)
        wire = loadtest.Wire()
        await wire.attach(context, page)
        try:
            await fill(page, context, k, wire, rec, 1)
            clock["finished_first"] += 1
            if clock["finished_first"] >= sessions // 2:
                first_done.set()
            await killed.wait()
            if rec.get("at_kill") == victim:
                await reconnected(page, context, rec)
            await fill(page, context, k, wire, rec, 2)
            rec["replica_at_end"] = await replica_of(context)
        except Exception as err:  # noqa: BLE001
            rec["errors"].append(f"gave up: {type(err).__name__}: {str(err)[:160]}")
        finally:
            await context.close()

    async def reconnected(page, context, rec):
        """Wait (on this page, no reload) until the browser is on another replica and its run has finished."""
        if "reconnect_s" in rec:
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if await replica_of(context) not in (victim, None):
                try:
                    await loadtest.settle(page)
                    await page.locator('[data-testid="stApp"] h1').first.wait_for(timeout=30_000)
                except Exception:  # noqa: BLE001, S112 - keep polling until the deadline
                    continue
                rec["reconnect_s"] = round(time.monotonic() - clock["kill"], 1)
                return
            await asyncio.sleep(0.2)
        rec["errors"].append("the page did not reconnect within 60 s")

    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # the browsers stand in for laptops
    loadtest.clear_measurements()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        t0 = time.monotonic()
        await asyncio.gather(killer(), *(participant(browser, k) for k in range(sessions)))
        wall = time.monotonic() - t0
        await browser.close()
    return records, proxy_view, clock, wall


def summary(values):
    values = sorted(values)
    if not values:
        return None
    return {"n": len(values), "p50_s": round(statistics.median(values), 2),
            "p95_s": round(loadtest.percentile(values, 95), 2), "max_s": round(values[-1], 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--state", type=Path, required=True, help="the room's state folder (room.json)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "room-fault.json")
    args = parser.parse_args(argv)
    (ROOT / "tests" / "artifacts").mkdir(parents=True, exist_ok=True)
    records, proxy_view, clock, wall = asyncio.run(main_async(args.url.rstrip("/"), args.state, args.sessions))
    kill = clock.get("kill")
    fills = list(zip(loadtest.ACTION_AT.get("inpainting_fill", []), loadtest.ROUND_TRIPS.get("inpainting_fill", [])))
    groups = {}
    for k, rec in records.items():
        g = groups.setdefault(rec.get("at_kill") or "arrived after the kill",
                              {"participants": 0, "completed": 0, "reconnect_s": [], "errors": [], "at_end": []})
        g["at_end"].append(rec.get("replica_at_end"))
        g["participants"] += 1
        g["completed"] += rec["fills"] == 2
        if "reconnect_s" in rec:
            g["reconnect_s"].append(rec["reconnect_s"])
        g["errors"] += [f"participant {k}: {e}" for e in rec["errors"]]
    report = {
        "sessions": args.sessions, "wall_s": round(wall, 1), "killed": "r1",
        "participants_by_replica_at_kill": {name: {**g, "reconnect": summary(g["reconnect_s"])}
                                          for name, g in sorted(groups.items())},
        "proxy_after_kill": proxy_view,
        "fill_round_trip_before_kill": summary([s for t, s in fills if kill is None or t < kill]),
        "fill_round_trip_after_kill": summary([s for t, s in fills if kill is not None and t >= kill]),
    }
    failures = [f"participant {k}: {rec['fills']}/2 Fills" for k, rec in records.items() if rec["fills"] != 2]
    failures += [f"participant {k} of the surviving replica saw an error" for k, rec in records.items()
                 if rec.get("at_kill") not in ("r1", None) and rec["errors"]]
    failures += [e for g in groups.values() for e in g["errors"] if "masked" in e]  # another's result
    report["passed"] = not failures
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print("PASSED" if not failures else "FAILED: " + "; ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
