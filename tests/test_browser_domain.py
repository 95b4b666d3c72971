"""Train an inpainter in Chromium: upload three photos, fine-tune a few steps, fill with the result.

The app runs in its own server here, with ``PATCHLAB_TRAIN_STEPS=3`` so a
run is three steps long. Screenshots go to ``tests/artifacts/``:
``domain-desktop-*.png``, ``domain-phone-*.png`` (390 x 844, touch) and
``domain-projector-*.png`` (1920 x 1080).
"""

from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

from apprunner import ARTIFACTS, start_app, stop_app
from conftest import CHROMIUM_ARGS, ROOM_SIZES, assert_no_exception, full_screenshot, wait_for_app  # noqa: F401
from patchlab.inpainting.infer import DEFAULT_MODEL

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed")]
RESULT = "Your domain model against the shipped one"


@pytest.fixture(scope="module")
def short_app():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proc, url = start_app(env={"PATCHLAB_TRAIN_STEPS": "3"})
    yield url
    stop_app(proc)


def photos(tmp_path):
    """Three photos of one 'domain': smooth colour gradients with stripes, 320 x 400."""
    paths = []
    y, x = np.mgrid[0:320, 0:400]
    for i in range(3):
        img = np.stack([(x * (i + 1)) % 256, (y * 2 + 40 * i) % 256, ((x + y) // (i + 2)) % 256], -1)
        img[(x // 20 + i) % 4 == 0] //= 2
        path = tmp_path / f"stripes{i}.png"
        Image.fromarray(img.astype(np.uint8)).save(path)
        paths.append(str(path))
    return paths


def _stroke(pg, canvas):
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    pg.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    pg.mouse.down()
    for k in range(1, 15):
        pg.mouse.move(box["x"] + box["width"] * (0.3 + 0.02 * k), box["y"] + box["height"] * (0.4 + 0.01 * k), steps=3)
    pg.mouse.up()
    pg.wait_for_timeout(1500)  # the canvas reports its drawing after a short debounce
    wait_for_app(pg)


def test_upload_three_photos_fine_tune_and_fill_with_the_result(short_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(f"{short_app}/train_inpainter")
        wait_for_app(pg, timeout=120_000)
        pg.get_by_text("Your photos", exact=True).click()
        wait_for_app(pg)
        pg.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(photos(tmp_path))
        pg.get_by_text("3 photos: 2 to train on, 1 held out").wait_for()
        wait_for_app(pg)
        assert "Only 3 photos" in pg.locator('[data-testid="stMain"]').inner_text()
        pg.get_by_role("button", name="Train", exact=True).click()
        pg.get_by_role("heading", name=RESULT).wait_for(timeout=300_000)
        wait_for_app(pg, timeout=120_000)
        assert_no_exception(pg)
        text = pg.locator('[data-testid="stMain"]').inner_text()
        assert "3 steps" in text and "your 3 photos" in text
        assert pg.get_by_role("button", name="Download the model (.keras)").is_visible()
        full_screenshot(pg, ARTIFACTS / "domain-desktop-trained.png")

        # the same browser (its cookie) on a phone and on a projector: the same participant's result
        cookies = context.cookies()
        for size in ("390x844", "1920x1080"):
            other = browser.new_context(**ROOM_SIZES[size])
            other.add_cookies(cookies)
            view = other.new_page()
            view.set_default_timeout(60_000)
            view.goto(f"{short_app}/train_inpainter")
            wait_for_app(view, timeout=120_000)
            view.get_by_role("heading", name=RESULT).wait_for()
            assert_no_exception(view)
            widths = view.eval_on_selector('[data-testid="stMainBlockContainer"]', "e => [e.scrollWidth, e.clientWidth]")
            name = "phone" if size == "390x844" else "projector"
            full_screenshot(view, ARTIFACTS / f"domain-{name}-trained.png")
            assert widths[0] <= widths[1] + 1, f"{size}: the main block is {widths[0]} px wide in {widths[1]} px"
            other.close()

        # fill with it on the Inpainting page
        pg.goto(f"{short_app}/inpainting")
        wait_for_app(pg, timeout=120_000)
        pg.get_by_text("Filling with your domain model (your 3 photos, 3 steps)").wait_for()
        canvas = pg.locator("canvas.upper-canvas").first
        canvas.wait_for(state="visible", timeout=60_000)
        _stroke(pg, canvas)
        pg.get_by_role("button", name="Fill", exact=True).click()
        pg.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
        wait_for_app(pg, timeout=120_000)
        assert_no_exception(pg)
        pg.get_by_text("“My domain model” below is your domain model (your 3 photos, 3 steps).").wait_for()
        mine = pg.locator('[data-testid="stTable"]').first.inner_text()
        full_screenshot(pg, ARTIFACTS / "domain-desktop-filled.png")
        # and switch back to the shipped model: another fill of the same hole
        pg.get_by_role("radiogroup", name="Fill with").get_by_role("radio", name="Shipped U-Net").click()
        wait_for_app(pg)
        pg.get_by_role("button", name="Fill", exact=True).click()
        pg.get_by_text("below is your domain model").wait_for(state="detached", timeout=120_000)
        wait_for_app(pg, timeout=120_000)
        assert pg.locator('[data-testid="stTable"]').first.inner_text() != mine
    finally:
        context.close()
