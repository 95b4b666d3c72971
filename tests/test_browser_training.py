"""Training in the browser, end to end: the curves grow, a second tab sees the same run, the Classification
page answers with the participant's model and switches back; on a projector and on a phone (screenshots in
tests/artifacts/).

One server of its own with short runs (``PATCHLAB_TRAIN_STEPS``): a run takes a fixed number of steps on
a small slice of the training digits and is scored on 100 test digits.
"""

from __future__ import annotations

import re
import time

import pytest

from apprunner import ARTIFACTS, start_app, stop_app
from conftest import ROOM_SIZES, assert_no_exception, full_screenshot, wait_for_app

pytestmark = pytest.mark.browser

STEPS = 60  # long enough to see the curves move a few times, short enough for make test
STEP = re.compile(r"Step (\d+) of %d" % STEPS)


@pytest.fixture(scope="module")
def training_app():
    from patchlab.ui.registry import DEMOS

    if "pages/train.py" not in [d.path for d in DEMOS]:
        pytest.skip("pages/train.py is not registered in patchlab.ui.registry")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proc, url = start_app(env={"PATCHLAB_TRAIN_STEPS": str(STEPS)})
    yield url
    stop_app(proc)


def step_now(pg):
    """The step the progress bar shows: 0 while the run is setting up, None once the bar is gone (it ended)."""
    text = pg.evaluate("() => document.querySelector('[data-testid=\"stProgress\"]')?.innerText ?? null")
    if text is None:
        return None
    found = STEP.search(text)
    return int(found.group(1)) if found else 0


def fits(pg, locator, width):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_train_watch_it_learn_then_my_model_answers_on_classification(training_app, browser):
    url = training_app
    began = time.monotonic()
    projector = browser.new_context(**ROOM_SIZES["1920x1080"])
    pg = projector.new_page()
    pg.set_default_timeout(60_000)
    sidebar = pg.locator('[data-testid="stSidebar"]')
    try:
        # a shared link sets the panel: p = 14, no augmentation (nothing to prepare before the first step)
        pg.goto(f"{url}/train?tp=14&taug=false")
        wait_for_app(pg)
        assert sidebar.locator('[data-testid="stSliderThumbValue"]').first.inner_text() == "14"
        assert not sidebar.get_by_role("switch", name="Augmentation").is_checked()
        assert "tp=14" in pg.url and "taug=false" in pg.url  # the page keeps its settings in the link
        pg.get_by_role("button", name="Train", exact=True).click()
        pg.get_by_text("Every tab of this browser shows this same training").wait_for()

        # a second tab of the same browser, while it trains: it shows the running job and starts no other
        tab = projector.new_page()
        tab.set_default_timeout(60_000)
        tab.goto(f"{url}/train?tp=14&taug=false")
        tab.get_by_text("Every tab of this browser shows this same training").wait_for()
        tab.get_by_role("button", name="Train", exact=True).click()
        tab.get_by_text(f"You already have “train p=14, {STEPS} steps” running").wait_for()
        assert_no_exception(tab)
        tab.close()

        # the curves grow: while it trains, the step count climbs and the loss chart is redrawn
        chart = pg.locator('[data-testid="stVegaLiteChart"]').first
        chart.wait_for()
        seen = []  # (step, the loss chart's picture) each time the progress bar shows a new step
        deadline = time.monotonic() + 120
        while len(seen) < 3 and time.monotonic() < deadline:
            step = step_now(pg)
            if step is None:  # the run has ended
                break
            if step and (not seen or step > seen[-1][0]):
                seen.append((step, chart.screenshot()))
                if len(seen) == 2:
                    full_screenshot(pg, ARTIFACTS / "training-projector-live.png")
            pg.wait_for_timeout(150)
        assert len(seen) >= 2, f"saw the steps {[k for k, _ in seen]} only"
        assert seen[-1][1] != seen[0][1], "the loss curve was not redrawn as the steps went on"

        pg.get_by_text("Your model against the shipped one").wait_for(timeout=180_000)
        wait_for_app(pg)
        assert_no_exception(pg)
        full_screenshot(pg, ARTIFACTS / "training-projector-result.png")
        # Try it: a test digit, answered by my model beside the shipped one
        pg.locator('[data-testid="stMain"]').get_by_text("Test digit gallery", exact=True).click()
        pg.get_by_text("Your model (p = 14)").wait_for()
        pg.get_by_text("Shipped model (p = 14)").wait_for()

        # the Classification page answers with my model, and switches back to the shipped one
        sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Classification").click()
        wait_for_app(pg)
        sidebar.get_by_text("Test digit gallery", exact=True).click()
        pg.get_by_text("Answered by your model (p = 14, trained").wait_for()
        assert pg.get_by_role("radiogroup", name="Model").get_by_role("radio", name="mine").is_checked()
        assert "its own patch size, p = 14" in sidebar.inner_text()
        assert_no_exception(pg)
        pg.screenshot(path=str(ARTIFACTS / "training-projector-classification-mine.png"))
        pg.get_by_role("radiogroup", name="Model").get_by_text("shipped", exact=True).click()
        pg.get_by_text("Answered by the shipped model (p = 18).").wait_for()
        wait_for_app(pg)
        assert pg.get_by_text("Answered by your model").count() == 0
        pg.screenshot(path=str(ARTIFACTS / "training-projector-classification-shipped.png"))
        # back on the Train page, the panel still has the link's settings (and the link them)
        sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Train a classifier").click()
        pg.get_by_text("Your model against the shipped one").wait_for()
        wait_for_app(pg)
        assert sidebar.locator('[data-testid="stSliderThumbValue"]').first.inner_text() == "14"
        assert not sidebar.get_by_role("switch", name="Augmentation").is_checked()
        assert "tp=14" in pg.url and "taug=false" in pg.url, pg.url

        # a phone of the same browser (its cookies): the result and my model's answer fit the screen
        phone = browser.new_context(**ROOM_SIZES["390x844"])
        phone.add_cookies(projector.cookies())
        ph = phone.new_page()
        ph.set_default_timeout(60_000)
        try:
            ph.goto(f"{url}/train")
            ph.get_by_text("Your model against the shipped one").wait_for()
            wait_for_app(ph)
            for name in ("Train", "Stop"):
                assert fits(ph, ph.get_by_role("button", name=name, exact=True), 390), name
            assert ph.evaluate("document.documentElement.scrollWidth") <= 390
            full_screenshot(ph, ARTIFACTS / "training-phone-result.png")
            ph.goto(f"{url}/classification?input=Test+digit+gallery")
            ph.get_by_text("Answered by your model (p = 14, trained").wait_for()
            wait_for_app(ph)
            assert fits(ph, ph.locator('[data-testid="stMetric"]').first, 390)
            assert ph.evaluate("document.documentElement.scrollWidth") <= 390
            assert_no_exception(ph)
            full_screenshot(ph, ARTIFACTS / "training-phone-classification-mine.png")
        finally:
            phone.close()
    finally:
        projector.close()
    print(f"browser training test: {time.monotonic() - began:.1f} s")
