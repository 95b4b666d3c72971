"""The real app in headless Chromium: every registered page opens, sliders work."""

import re

import pytest

from conftest import assert_no_exception, wait_for_app
from patchlab.ui.registry import DEMOS

pytestmark = pytest.mark.browser


def test_home_then_every_registered_page(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    assert page.get_by_text("PatchLab").first.is_visible()
    assert_no_exception(page)
    for demo in DEMOS:
        stem = demo.path.rsplit("/", 1)[-1].removesuffix(".py")
        page.goto(f"{app_url}/{stem}")
        wait_for_app(page, timeout=90_000)
        page.get_by_role("heading", name=demo.title).first.wait_for(timeout=90_000)
        assert_no_exception(page)
        page.screenshot(path=f"tests/artifacts/page-{stem}.png", full_page=True)


def test_patches_slider_updates_the_page(app_url, page):
    page.goto(f"{app_url}/patches")
    wait_for_app(page)
    count = page.locator('[data-testid="stMetricValue"]').first
    count.wait_for()
    assert count.inner_text() == "225"
    slider = page.get_by_role("slider", name="Stride")
    slider.focus()
    for _ in range(16):  # stride 32 -> 16
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMetricValue\"]').innerText === '841'",
        timeout=30_000,
    )
    wait_for_app(page)
    assert_no_exception(page)
    assert re.search(r"[?&]s=16\b", page.url)
    page.screenshot(path="tests/artifacts/patches-after-slider.png", full_page=True)


def test_a_shared_link_to_a_page_goes_through_the_router(browser):
    """The first request after start-up names a page: it must still get the app's menu."""
    from apprunner import start_app, stop_app

    proc, url = start_app()
    try:
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(f"{url}/patches?p=48&s=24")
        wait_for_app(pg)
        nav = pg.locator('[data-testid="stSidebarNav"]')
        nav.wait_for()
        assert "Home" in nav.inner_text() and "app" not in nav.inner_text().split()
        assert pg.locator('[data-testid="stMetricValue"]').first.inner_text() == f"{((512 - 48) // 24 + 2) ** 2}"
        assert_no_exception(pg)
        pg.close()
    finally:
        stop_app(proc)
