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
    """The app server every browser test shares: their walk through every page, presenter mode, the trainings
    and the bad links is also a test of its log, which must hold no stack, no warning from the app's code and
    never the value of a secret in its environment (a canary stands in for an instructor key or a password)."""
    import secrets

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    canary = "canary-" + secrets.token_hex(12)
    proc, url = start_app(env={"PATCHLAB_LOG_CANARY": canary})
    yield url
    stop_app(proc)
    if proc.log_path is not None:
        from apprunner import log_problems

        problems = log_problems(proc.log_path.read_text(errors="replace"), secrets=[canary])
        assert not problems, f"the server's log ({proc.log_path.name}) holds: " + " | ".join(problems[:10])


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


def read_number(text: str) -> float:
    """A number as the pages write it for people (``1,024``, ``2.4 × 10⁻⁷``), as a float."""
    text = text.strip().replace(",", "")
    if "×" in text:
        mantissa, power = text.split("×")
        exponent = power.strip().removeprefix("10").translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
        return float(mantissa) * 10 ** int(exponent)
    return float(text)


def assert_no_exception(pg):
    assert pg.locator('[data-testid="stException"]').count() == 0, "the page shows an exception"


# ---------------------------------------------------------------- the room: sizes, pages, requests, axe

ROOM_SIZES = {
    # a 1080p projector, and a phone held upright (touch, mobile layout)
    "1920x1080": {"viewport": {"width": 1920, "height": 1080}},
    "390x844": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
                "device_scale_factor": 2},
}


def room_pages():
    """``(url name, heading)`` for the home page and every registered demo, in menu order."""
    from patchlab.ui.registry import DEMOS

    return [("home", "PatchLab")] + [(d.path.rsplit("/", 1)[-1].removesuffix(".py"), d.title) for d in DEMOS]


def page_url(app_url, name, query=""):
    """The URL of page ``name`` (``home`` is the root)."""
    path = "" if name == "home" else name
    return f"{app_url}/{path}" + (f"?{query}" if query else "")


class RoomPage:
    """A page in its own browser context at one size, with every request it makes logged."""

    def __init__(self, browser, app_url, size):
        self.origin = app_url
        self.context = browser.new_context(**ROOM_SIZES[size])
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.requests = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))

    def foreign_requests(self):
        """Requests to any host but the app's own (data: and blob: URLs never leave the page)."""
        from urllib.parse import urlsplit

        own = urlsplit(self.origin).netloc
        return sorted({u for u in self.requests
                       if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own})

    def close(self):
        self.context.close()


@pytest.fixture
def room(browser, app_url, request):
    """``room(size)`` opens a :class:`RoomPage`; all are closed after the test (last screenshot kept)."""
    opened = []

    def open_page(size):
        rp = RoomPage(browser, app_url, size)
        opened.append(rp)
        return rp

    yield open_page
    for i, rp in enumerate(opened):
        try:
            rp.page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"))
        except Exception:  # noqa: BLE001 - a screenshot is a bonus, not the test
            pass
        rp.close()


AXE_JS = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(pg):
    """axe-core's WCAG 2 A and AA violations on the page: ``[(rule id, impact, selector, html, summary)]``."""
    if not AXE_JS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE_JS} is missing; `make test` installs it with npm ci")
        pytest.skip("axe-core is not installed (run `npm ci`, or `make test`)")
    pg.add_script_tag(path=str(AXE_JS))
    found = pg.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
                                               resultTypes: ['violations']});
            return r.violations.flatMap(v => v.nodes.map(n => [v.id, v.impact, n.target.join(' '),
                                                               n.html.slice(0, 200), n.failureSummary]));
        }"""
    )
    return [tuple(v) for v in found]


def full_screenshot(pg, path, max_height=6000):
    """A screenshot of the whole page, not just the viewport.

    Streamlit scrolls inside its own container, so Playwright's ``full_page``
    stops at the viewport: grow the viewport to the content's height for the
    shot (at most ``max_height`` CSS px), then put it back.
    """
    size = pg.viewport_size
    height = pg.evaluate(
        """() => Math.max(...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"],'
                          + ' [data-testid="stSidebarContent"]')].map(e => e.scrollHeight), innerHeight)""")
    pg.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), max_height)})
    try:
        pg.wait_for_timeout(300)
        try:  # pictures below the old viewport load lazily: let them arrive before the shot
            pg.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=10_000)
        except Exception:  # noqa: BLE001 - Playwright's timeout: the shot shows what there is
            pass
        pg.screenshot(path=str(path))
    finally:
        pg.set_viewport_size(size)


@pytest.fixture(autouse=True)
def _no_instructor_left_behind():
    """Forget the browsers that gave the instructor's key once a test ends.

    The server remembers them per browser id; every AppTest has the same one
    (its session id is a constant), so a test that opened the Room page with
    the key would make every later AppTest the instructor, who takes no part.
    """
    yield
    import sys

    classroom = sys.modules.get("patchlab.ui.classroom")
    if classroom is not None:
        with classroom._instructors_lock:
            classroom._instructors.clear()
