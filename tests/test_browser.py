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


def test_a_picture_whose_first_request_failed_is_asked_for_again(app_url, page):
    """Streamlit drops a picture when a run that did not draw it ends (an interrupted run), and a request still
    on its way gets 404; the next run draws the same picture at the same address, so the browser would keep it
    broken. Here every picture's first request fails on purpose: each must still end up on the page."""
    failed, asked_again = set(), []

    def first_request_fails(route):
        address = route.request.url.split("?")[0]
        if address not in failed:
            failed.add(address)
            route.fulfill(status=404, body="dropped")
        else:
            asked_again.append(route.request.url)
            route.continue_()

    page.route(lambda url: "/media/" in url and "/static/" not in url, first_request_fails)  # not the fonts
    page.goto(f"{app_url}/upsampling")
    wait_for_app(page, timeout=90_000)
    page.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)
    broken = "() => [...document.images].filter(i => i.src.includes('/media/') && i.complete && !i.naturalWidth).length"
    try:
        page.wait_for_function(f"() => ({broken})() === 0", timeout=30_000)
    except Exception:  # noqa: BLE001 - say which pictures stayed broken
        states = page.evaluate("() => [...document.images].map(i => [i.src, i.complete, i.naturalWidth])")
        raise AssertionError(f"pictures still broken after 30 s: {states}; asked again: {asked_again}") from None
    shown = page.evaluate("() => [...document.images].filter(i => i.src.includes('/media/')).length")
    assert failed and shown >= 3, f"the page showed {shown} media pictures, {len(failed)} first requests failed"
    # (a picture drawn anew, by a later run, is requested again by the browser itself: not every request is ours)
    assert any("again=" in url for url in asked_again), f"no picture was asked for again: {asked_again}"
    assert_no_exception(page)
    page.screenshot(path="tests/artifacts/pictures-asked-again.png", full_page=True)
