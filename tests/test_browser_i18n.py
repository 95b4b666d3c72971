"""A browser whose language is Chinese (locale zh-CN), at a 1080p projector and a phone (390x844, touch).

Every page opens in Chinese and declares it (``<html lang="zh-CN">``), with
no axe-core violation; ``?lang=en`` in the link wins over the browser; the
sidebar's switch changes the words and keeps the settings and the drawing.
Screenshots of every page at both sizes go to tests/artifacts/i18n-*.png
(look at them: no empty boxes for missing glyphs, nothing cut off).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from apprunner import ARTIFACTS
from conftest import ROOM_SIZES, assert_no_exception, axe_violations, full_screenshot, page_url, room_pages, wait_for_app
from patchlab.i18n import _, speaking

pytestmark = pytest.mark.browser

PAGES = room_pages()


def chinese_context(browser, size):
    return browser.new_context(locale="zh-CN", **ROOM_SIZES[size])


def heading_in_chinese(title):
    with speaking("zh"):
        return _(title)


def html_lang(pg):
    return pg.evaluate("() => document.documentElement.lang")


@pytest.mark.parametrize("size", list(ROOM_SIZES))
def test_every_page_opens_in_chinese_and_passes_axe(browser, app_url, size):
    context = chinese_context(browser, size)
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    problems = []
    try:
        for name, title in PAGES:
            pg.goto(page_url(app_url, name))
            wait_for_app(pg, timeout=180_000)
            pg.get_by_role("heading", name=heading_in_chinese(title)).first.wait_for()
            assert_no_exception(pg)
            pg.wait_for_function("() => document.documentElement.lang === 'zh-CN'", timeout=15_000)
            full_screenshot(pg, ARTIFACTS / f"i18n-{name}-{size}.png")
            # no text runs off a phone's screen: the page itself never scrolls sideways
            overflow = pg.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 1:
                problems.append(f"{name}: {overflow} px wider than the screen")
            problems += [f"{name}: axe {rule} ({impact}) {selector}: {' '.join(summary.split())[:200]}"
                         for rule, impact, selector, _html, summary in axe_violations(pg)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_lang_en_in_the_link_wins_over_a_chinese_browser(browser, app_url):
    context = chinese_context(browser, "1920x1080")
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    try:
        pg.goto(page_url(app_url, "patches", "lang=en&s=16"))
        wait_for_app(pg, timeout=180_000)
        pg.get_by_role("heading", name="Patches").first.wait_for()
        pg.wait_for_function("() => document.documentElement.lang === 'en'", timeout=15_000)
        # the menu's next page keeps the link's language (the session remembers it)
        pg.get_by_role("link", name="Upsampling").first.click()
        wait_for_app(pg, timeout=180_000)
        pg.get_by_role("heading", name="Upsampling").first.wait_for()
        assert "lang=en" in pg.url
        assert_no_exception(pg)
    finally:
        context.close()


def _draw_seven(pg, context, size):
    """A "7" on the Classification page's canvas: the mouse on a computer, a finger on a phone."""
    canvas = pg.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible")
    canvas.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    scale = box["width"] / 280
    corners = [(70, 60), (210, 60), (120, 230)]
    points = [(box["x"] + scale * corners[0][0], box["y"] + scale * corners[0][1])]
    points += [(box["x"] + scale * (ax + t * (bx - ax)), box["y"] + scale * (ay + t * (by - ay)))
               for (ax, ay), (bx, by) in zip(corners, corners[1:]) for t in np.linspace(0, 1, 15)[1:]]
    if ROOM_SIZES[size].get("has_touch"):
        cdp = context.new_cdp_session(pg)
        send = lambda kind, pts: cdp.send("Input.dispatchTouchEvent", {  # noqa: E731
            "type": kind, "touchPoints": [{"x": x, "y": y} for x, y in pts]})
        send("touchStart", points[:1])
        for point in points[1:]:
            send("touchMove", [point])
            pg.wait_for_timeout(10)
        send("touchEnd", [])
    else:
        pg.mouse.move(*points[0])
        pg.mouse.down()
        for x, y in points[1:]:
            pg.mouse.move(x, y)
        pg.mouse.up()


def _prediction(pg, label):
    metric = pg.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')
    metric.first.wait_for(timeout=120_000)
    wait_for_app(pg, timeout=120_000)
    return metric.first.inner_text().strip()


def _open_sidebar(pg, touch):
    """On a phone the sidebar starts folded: open it; returns the switch's *English* button."""
    sidebar = pg.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "true":
        button = pg.locator('[data-testid="stExpandSidebarButton"]')
        button.tap() if touch else button.click()
        pg.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').dataset.collapsed === 'false'")
        pg.wait_for_timeout(400)  # the slide-in animation
    # a segmented control's option: a radio in recent Streamlit versions, a button in older ones
    return pg.get_by_role("radio", name="English", exact=True).or_(pg.get_by_role("button", name="English", exact=True))


@pytest.mark.parametrize("size", list(ROOM_SIZES))
def test_the_switch_keeps_the_settings_and_the_drawing(browser, app_url, size):
    context = chinese_context(browser, size)
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    try:
        pg.goto(page_url(app_url, "classification", "patch=14&rule=product"))
        wait_for_app(pg, timeout=180_000)
        pg.get_by_role("heading", name=heading_in_chinese("Classification")).first.wait_for()
        _draw_seven(pg, context, size)
        with speaking("zh"):
            label_zh = _("Prediction")
        answer = _prediction(pg, label_zh)
        assert answer in list("0123456789")
        full_screenshot(pg, ARTIFACTS / f"i18n-switch-before-{size}.png")
        touch = ROOM_SIZES[size].get("has_touch", False)
        switch = _open_sidebar(pg, touch)
        switch.tap() if touch else switch.click()
        wait_for_app(pg, timeout=180_000)
        pg.get_by_role("heading", name="Classification").first.wait_for()
        assert _prediction(pg, "Prediction") == answer  # the same drawing, the same answer, in English
        assert "patch=14" in pg.url and "rule=product" in pg.url and "lang=en" in pg.url
        pg.wait_for_function("() => document.documentElement.lang === 'en'", timeout=15_000)
        full_screenshot(pg, ARTIFACTS / f"i18n-switch-after-{size}.png")
        assert_no_exception(pg)
    finally:
        context.close()


@pytest.mark.parametrize("size", list(ROOM_SIZES))
def test_a_fill_and_a_round_of_spot_the_fill_in_chinese(browser, app_url, size):
    """The Inpainting page's results (table, error maps, smooth-or-sharp chart) and a guessed round, in Chinese."""
    from test_inpainting_page import _finger, _mouse, _open, _stroke

    context = chinese_context(browser, size)
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    touch = ROOM_SIZES[size].get("has_touch", False)
    try:
        with speaking("zh"):
            fill, results = _("Fill"), _("Results")
            real = _("{side} is the photo").format(side="A")
        upper = _open(pg, page_url(app_url, "inpainting"))
        upper.scroll_into_view_if_needed()
        stroke = _stroke(upper.bounding_box(), (0.2, 0.45), (0.8, 0.5))
        _finger(pg, context.new_cdp_session(pg), stroke) if touch else _mouse(pg, stroke)
        button = pg.get_by_role("button", name=fill, exact=True)
        button.tap() if touch else button.click()
        pg.wait_for_selector('[data-testid="stTable"]', timeout=180_000)
        wait_for_app(pg, timeout=180_000)
        pg.get_by_role("heading", name=results).first.wait_for()
        assert_no_exception(pg)
        assert "细节比" in pg.locator('[data-testid="stTable"]').first.inner_text()
        pg.locator('[data-testid="stVegaLiteChart"]').first.scroll_into_view_if_needed()
        full_screenshot(pg, ARTIFACTS / f"i18n-inpainting-filled-{size}.png")

        pg.goto(page_url(app_url, "spot_the_fill", "game=65"))
        wait_for_app(pg, timeout=180_000)
        pick = pg.get_by_role("button", name=real)
        pick.tap() if touch else pick.click()
        wait_for_app(pg, timeout=180_000)
        pg.locator('[data-testid="stAlert"]').filter(has_text=re.compile(r"[AB] 是照片")).first.wait_for()  # the reveal
        assert_no_exception(pg)
        full_screenshot(pg, ARTIFACTS / f"i18n-spot_the_fill-guessed-{size}.png")
    finally:
        context.close()
