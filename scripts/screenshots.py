"""Screenshots of every page for the README (docs/images/<page>.png).

    .venv/bin/python scripts/screenshots.py

Starts the real app on loopback, opens each page in Debian's headless
Chromium (the browser tests' settings), waits until it has rendered, and
saves the top of the page at 1400x900.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from apprunner import start_app, stop_app  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, wait_for_app  # noqa: E402

from patchlab.ui.registry import DEMOS  # noqa: E402

OUT = ROOT / "docs" / "images"


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    proc, url = start_app()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            wait_for_app(page)
            for demo in DEMOS:
                stem = Path(demo.path).stem
                page.goto(f"{url}/{stem}")
                wait_for_app(page, timeout=90_000)
                if stem == "classification":  # a digit with its answer, not an empty canvas
                    page.get_by_text("Test digit gallery").click()
                    wait_for_app(page, timeout=90_000)
                page.screenshot(path=str(OUT / f"{stem}.png"))
                print(f"wrote {OUT / f'{stem}.png'}")
            browser.close()
    finally:
        stop_app(proc)


if __name__ == "__main__":
    main()
