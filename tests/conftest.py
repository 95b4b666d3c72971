"""Shared fixtures: a live app server and a headless-Chromium page.

Browser tests drive Debian's Chromium (``/usr/bin/chromium``) with
Playwright; no browser is downloaded. Without Chromium the browser tests are
skipped locally, but fail in CI (``CI=true``), where ``make test`` installs it.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import settings

from apprunner import ARTIFACTS, start_app, stop_app

# Property tests draw the same examples on every run of `make test` (and so in
# CI): a marginal property cannot pass one run and fail the next. Explore new
# examples with `pytest --hypothesis-profile=explore`.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("ci")
CHROMIUM = os.environ.get("PATCHLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A tiny U-Net saved as .keras, with a non-zero correction so a hole changes."""
    import numpy as np

    from patchlab.inpainting.model import build_unet

    model = build_unet(widths=(4, 8, 8, 8, 8))
    model.get_layer("correction").set_weights(
        [np.full((1, 1, 4, 3), 0.05, np.float32), np.full((3,), 0.1, np.float32)])
    path = tmp_path_factory.mktemp("models") / "tiny.keras"
    model.save(path)
    return path


@pytest.fixture(scope="session")
def app_url():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proc, url = start_app()
    yield url
    stop_app(proc)


def _require_chromium():
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium.")
    pytest.skip(f"Chromium not found at {CHROMIUM} (run `make test` as root to install it)")


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    except Exception:  # noqa: BLE001 - a screenshot is a bonus, not the test
        pass
    context.close()


def wait_for_app(pg, timeout=60_000):
    """Wait until Streamlit has rendered the page and stopped running its script.

    The status widget's running icon comes and goes; the page counts as done
    when a heading is on it and, for 0.6 s in a row, no run is in progress
    and no element is still a loading placeholder (skeleton).
    """
    pg.wait_for_selector('[data-testid="stApp"] h1', timeout=timeout)
    running = '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSkeleton"]'
    deadline = time.monotonic() + timeout / 1000
    quiet_since = None
    while time.monotonic() < deadline:
        if pg.locator(running).count() == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 0.6:
                return
        else:
            quiet_since = None
        pg.wait_for_timeout(100)
    raise AssertionError("the page was still running after the timeout")


def assert_no_exception(pg):
    assert pg.locator('[data-testid="stException"]').count() == 0, "the page shows an exception"
