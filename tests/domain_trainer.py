"""One participant who teaches the inpainter a domain, in a running server, for the load test.

Opens *Train an inpainter* in headless Chromium (its own browser context,
so its own participant), picks the brick demo domain and the 10-minute
budget in the link, presses *Train*, waits until the live panel shows
training steps, prints ``stepping`` and keeps the tab open (polling every
second, as a participant's tab does) until the budget ends or it is killed.

    python tests/domain_trainer.py URL                    # a training in a running server
    python tests/domain_trainer.py --loadtest 10 [--json F]   # start a server, the training, then
                                                          # the load test (10 participants) against it

``make loadtest DOMAIN_TRAINING=1`` runs the second form.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from playwright.async_api import async_playwright

STEPPING_RE = re.compile(r"s left · step \d+")


async def train(url: str, budget: str, seconds_max: float, stepping: threading.Event | None = None) -> int:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = await (await browser.new_context(viewport={"width": 1300, "height": 950})).new_page()
        page.set_default_timeout(180_000)
        query = f"?ti_source=A+demo+domain&ti_demo=brick&ti_arch=unet&ti_budget={budget.replace(' ', '+')}"
        await page.goto(f"{url}/train_inpainter{query}")
        await page.locator(".st-key-ti_train button").first.click()
        began = time.monotonic()
        while not STEPPING_RE.search(await page.inner_text("body")):
            if time.monotonic() - began > 300:
                print("the domain training never took a step", flush=True)
                return 1
            await asyncio.sleep(1)
        print(f"stepping {time.monotonic() - began:.1f} s after Train", flush=True)
        if stepping is not None:
            stepping.set()
        while time.monotonic() - began < seconds_max and STEPPING_RE.search(await page.inner_text("body")):
            await asyncio.sleep(2)
        print(f"done after {time.monotonic() - began:.0f} s", flush=True)
        await browser.close()
    return 0


def with_loadtest(sessions: int, json_path: Path, budget: str) -> int:
    """A server, a domain training in it, and ``tests/loadtest.py --url`` once the training takes steps."""
    sys.path.insert(0, str(Path(__file__).parent))
    from apprunner import start_app, stop_app

    proc, url = start_app()
    stepping = threading.Event()
    outcome = {}

    def trainer():
        outcome["rc"] = asyncio.run(train(url, budget, 660, stepping))

    thread = threading.Thread(target=trainer, daemon=True)
    try:
        thread.start()
        if not stepping.wait(360):
            print("the domain training never took a step", flush=True)
            return 1
        command = [sys.executable, str(Path(__file__).parent / "loadtest.py"), "--url", url, "--pid", str(proc.pid),
                   "--sessions", str(sessions), "--json", str(json_path)]
        rc = subprocess.run(command).returncode
        print("the domain training was still taking steps when the workshop ended" if thread.is_alive()
              else "the domain training had ended before the workshop did", flush=True)
        return rc
    finally:
        stop_app(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--budget", default="10 min")
    parser.add_argument("--seconds-max", type=float, default=660)
    parser.add_argument("--loadtest", type=int, metavar="SESSIONS", help="start a server and run the load test")
    parser.add_argument("--json", type=Path, default=Path("bench") / "loadtest-domain-training.json")
    args = parser.parse_args()
    if args.loadtest:
        sys.exit(with_loadtest(args.loadtest, args.json, args.budget))
    if not args.url:
        parser.error("give the URL of a running server, or --loadtest SESSIONS")
    sys.exit(asyncio.run(train(args.url, args.budget, args.seconds_max)))


if __name__ == "__main__":
    main()
