"""What the room sees is readable: measured at a projector's size (1920x1080) and on a phone (390x844, touch).

One shared app server and browser (``app_url``, ``browser``). Screenshots: tests/artifacts/readable-*.png.
"""

from __future__ import annotations

import pytest

from apprunner import ARTIFACTS
from conftest import ROOM_SIZES, assert_no_exception, full_screenshot, wait_for_app

pytestmark = pytest.mark.browser
MAIN = '[data-testid="stMain"]'
SCREENS = {  # the longest a page may be on a phone, in screens (a scroll a participant can keep up with)
    # classification: 5.6 since its measured table gained 95 % intervals (its other sections are folded)
    "upsampling": 6.5, "classification?input=Test+digit+gallery&digit=1&patch=14": 6.0, "patches": 3.5,
}


def _page(browser, size):
    context = browser.new_context(**ROOM_SIZES[size])
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    return context, pg


def _open(pg, url):
    pg.goto(url)
    wait_for_app(pg, timeout=180_000)
    pg.wait_for_timeout(900)  # a measured column width makes the page run once more
    wait_for_app(pg, timeout=180_000)
    assert_no_exception(pg)


def _main_height(pg):
    return pg.evaluate(f"document.querySelector('{MAIN}').scrollHeight")


def _clipped_select_values(pg):
    """Select boxes whose shown value is cut off (wider than its box)."""
    return pg.evaluate("""() => [...document.querySelectorAll('[data-testid="stSelectbox"] [data-baseweb="select"] div[value], [data-testid="stSelectbox"] [data-baseweb="select"] > div > div:first-child')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")


def test_a_projector_gets_large_figures_and_whole_labels(app_url, browser):
    context, pg = _page(browser, "1920x1080")
    try:
        _open(pg, f"{app_url}/patches")
        main_width = pg.locator(MAIN).bounding_box()["width"]
        grid = pg.locator(f'{MAIN} [data-testid="stImage"] img').first
        assert grid.bounding_box()["width"] >= 0.5 * (main_width - 200), "the grid takes the width it is given"
        assert _clipped_select_values(pg) == [], "an option's text is cut off"
        pg.get_by_role("tab", name="Coverage & weights").click()
        pg.get_by_text("true range").first.wait_for()
        assert "e+0" not in pg.locator(MAIN).inner_text(), "numbers for people, not 5.92e+04"
        full_screenshot(pg, ARTIFACTS / "readable-1920-patches.png")

        _open(pg, f"{app_url}/classification?input=Test+digit+gallery&digit=1&patch=14")
        charts = pg.locator(f'{MAIN} [data-testid="stVegaLiteChart"]')
        charts.first.wait_for()
        heights = [charts.nth(k).bounding_box()["height"] for k in range(charts.count())]
        assert heights and min(heights) >= 250, f"a chart under 250 px: {heights}"
        full_screenshot(pg, ARTIFACTS / "readable-1920-classification.png")

        _open(pg, f"{app_url}/upsampling")
        stamps = pg.locator('[data-testid="stMetric"]').filter(has_text="Stamps on an interior pixel")
        assert stamps.locator('[data-testid="stMetricValue"]').inner_text().strip() == "4"  # not "4 – 4"
        full_screenshot(pg, ARTIFACTS / "readable-1920-upsampling.png")
    finally:
        context.close()


@pytest.mark.parametrize("page", list(SCREENS))
def test_a_phone_gets_short_pages_that_say_where_their_settings_are(app_url, browser, page):
    context, pg = _page(browser, "390x844")
    name = page.split("?")[0]
    try:
        _open(pg, f"{app_url}/{page}")
        screens = _main_height(pg) / 844
        full_screenshot(pg, ARTIFACTS / f"readable-390-{name}.png", max_height=9000)
        assert screens <= SCREENS[page], f"{name} is {screens:.1f} screens long on a phone"
        assert pg.evaluate(f"document.querySelector('{MAIN}').scrollWidth") <= 390 + 1, "wider than the phone"
        if name in ("patches", "classification"):
            assert pg.get_by_text("are in the sidebar (the » at the top left on a phone)").count() == 1
        if name == "classification":  # the answer comes first under the digit, within the first screen and a half
            answer = pg.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first
            top = answer.evaluate(f"e => e.getBoundingClientRect().top - document.querySelector('{MAIN}')"
                                  ".getBoundingClientRect().top")
            assert top <= 1.5 * 844, f"the answer is {top / 844:.1f} screens down"
    finally:
        context.close()
