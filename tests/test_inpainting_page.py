"""The Inpainting page: AppTest with an injected drawing, and the real canvas in Chromium."""

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import assert_no_exception, wait_for_app
from patchlab.images import limit_size, load_sample
from patchlab.inpainting.data import HELD_OUT
from patchlab.inpainting.demo import SEED_MODEL
from patchlab.inpainting.display import canvas_size
from patchlab.inpainting.infer import DEFAULT_MODEL
from patchlab.inpainting.recipe import retrain_advice, retrain_command
from patchlab.ui.canvas import inject_key

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "inpainting.py")
needs_model = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed")
needs_seed = pytest.mark.skipif(not SEED_MODEL.exists(), reason="no tutorial autoencoder committed")
MAGENTA, ERASER = (255, 0, 255, 179), (255, 255, 255, 153)  # the page's brush and eraser, as the canvas returns them


def _canvas_drawing(paint):
    """A canvas-sized RGBA drawing for the default sample photo."""
    photo, _ = limit_size(load_sample(HELD_OUT[0]), 512)
    width, height = canvas_size(photo.shape)
    rgba = np.zeros((height, width, 4), np.uint8)
    if paint:
        rgba[height // 3: height // 2, width // 4: width // 2] = (255, 0, 255, 180)
    return rgba


def _page():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    return at


@needs_model
def test_fill_shows_results_and_metrics():
    at = _page()
    assert any("Paint over part" in i.value for i in at.info)
    at.session_state[inject_key("mask")] = _canvas_drawing(paint=True)
    at.button(key="fill").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    table = at.table[0].value
    # the sharp fill and Telea by default; biharmonic is opt-in (slow)
    assert list(table["method"]) == ["U-Net (PatchLab)", "Sharp fill (U-Net + the photo's texture)", "OpenCV Telea"]
    psnr = table["PSNR masked (dB)"].astype(float)
    assert (psnr > 5).all() and (psnr < 60).all()
    # the smooth fills keep little of the photo's fine detail in the hole, the sharp fill much more
    detail = dict(zip(table["method"], table["detail ratio"].astype(float)))
    assert detail["Sharp fill (U-Net + the photo's texture)"] > 2 * max(detail["U-Net (PatchLab)"],
                                                                          detail["OpenCV Telea"]), detail
    # a rerun shows the stored results without recomputing
    at.run()
    assert not at.exception and len(at.table) == 1


@needs_model
def test_every_classical_method_can_be_added():
    at = _page()
    at.session_state[inject_key("mask")] = _canvas_drawing(paint=True)
    at.multiselect[0].set_value(["telea", "ns", "biharmonic"])
    at.button(key="fill").click().run()
    assert not at.exception and not at.error
    assert list(at.table[0].value["method"]) == [
        "U-Net (PatchLab)", "OpenCV Telea", "OpenCV Navier-Stokes", "scikit-image biharmonic"]
    # the downloads hold real PNGs of the result and the mask
    assert len(at.get("download_button")) == 2


@pytest.mark.parametrize("content", [None, b"this is not a keras file"])
def test_missing_or_corrupt_model_is_explained_and_classical_methods_still_run(tmp_path, monkeypatch, content):
    import streamlit as st

    import patchlab
    import patchlab.inpainting.infer as infer

    models = tmp_path / "models"
    models.mkdir()
    if content is not None:
        (models / "inpainting.keras").write_bytes(content)
    monkeypatch.setattr(patchlab, "MODELS_DIR", models)
    monkeypatch.setattr(infer, "DEFAULT_MODEL", models / "inpainting.keras")
    st.cache_resource.clear()  # forget the model loaded by earlier tests
    try:
        at = _page()
        at.session_state[inject_key("mask")] = _canvas_drawing(paint=True)
        at.button(key="fill").click().run()
        assert not at.exception
        message = " ".join(e.value for e in at.error)
        assert "U-Net is not available" in message and retrain_command("inpainting") in message
        assert list(at.table[0].value["method"]) == ["OpenCV Telea"]
    finally:
        st.cache_resource.clear()


def test_page_names_the_recipe_of_the_shipped_model():
    # The command the page offers is the recipe that made models/inpainting.keras, with its time.
    at = _page()
    captions = [c.value for c in at.caption]
    command, about, shorter = retrain_advice("inpainting").splitlines()
    assert f"Retrain the model: `{retrain_command('inpainting')}` — {about} {shorter}" in captions


def test_empty_drawing_gets_a_message_not_a_traceback():
    at = _page()
    at.session_state[inject_key("mask")] = _canvas_drawing(paint=False)
    at.button(key="fill").click().run()
    assert not at.exception
    assert any("Nothing is painted" in w.value for w in at.warning)
    assert len(at.table) == 0


def test_full_drawing_gets_a_message():
    at = _page()
    rgba = _canvas_drawing(paint=False)
    rgba[...] = (255, 0, 255, 255)  # the brush over everything
    at.session_state[inject_key("mask")] = rgba
    at.button(key="fill").click().run()
    assert not at.exception
    assert any("covers the whole photo" in w.value for w in at.warning)


def _layer(box, colour):
    """One stroke as a canvas layer: ``box`` = (y0, y1, x0, x1) in fractions of the canvas."""
    rgba = _canvas_drawing(paint=False)
    h, w = rgba.shape[:2]
    y0, y1, x0, x1 = box
    rgba[round(y0 * h):round(y1 * h), round(x0 * w):round(x1 * w)] = colour
    return rgba


def _filled_mask(at):
    at.button(key="fill").click().run()
    assert not at.exception
    return at.session_state["inpainting_result"].mask


@needs_model
def test_eraser_takes_paint_out_and_painting_again_puts_it_back():
    at = _page()
    assert "Eraser" in at.get("button_group")[0].proto.options.__repr__()
    stroke = _layer((0.3, 0.5, 0.2, 0.6), MAGENTA)
    eraser = _layer((0.0, 1.0, 0.4, 1.0), ERASER)  # wipes the stroke's right half
    again = _layer((0.3, 0.4, 0.5, 0.6), MAGENTA)
    at.session_state[inject_key("mask")] = [stroke]
    whole = _filled_mask(at)
    at.session_state[inject_key("mask")] = [stroke, eraser]
    erased = _filled_mask(at)
    at.session_state[inject_key("mask")] = [stroke, eraser, again]
    repainted = _filled_mask(at)
    w = whole.shape[1]
    assert whole[:, int(0.45 * w):int(0.55 * w)].any() and not erased[:, int(0.41 * w):].any()
    assert 0.4 < erased.sum() / whole.sum() < 0.6
    assert repainted.sum() > erased.sum() and repainted[:, int(0.51 * w):int(0.59 * w)].any()
    assert "The drawing changed" not in " ".join(c.value for c in at.caption)


@needs_model
def test_undo_takes_back_the_last_stroke_and_clear_everything():
    at = _page()
    first, second = _layer((0.1, 0.2, 0.1, 0.3), MAGENTA), _layer((0.6, 0.7, 0.6, 0.9), MAGENTA)
    at.session_state[inject_key("mask")] = [first, second]
    at.run()
    both = _filled_mask(at)
    at.button(key="mask_undo").click().run()
    assert not at.exception
    # the stored result is for the drawing before Undo: the page says so
    assert any("The drawing changed" in c.value for c in at.caption)
    only_first = _filled_mask(at)
    h = both.shape[0]
    assert both[int(0.65 * h)].any() and not only_first[int(0.5 * h):].any() and only_first.any()
    at.button(key="mask_clear").click().run()
    assert not at.exception
    assert at.button(key="mask_undo").disabled and at.button(key="mask_clear").disabled
    at.button(key="fill").click().run()
    assert any("Nothing is painted" in w.value for w in at.warning)


@needs_model
def test_a_drawing_belongs_to_its_photo():
    """Paint on one photo, switch to another: no hole there, Fill fills nothing; back again: the drawing is there."""
    at = _page()
    first = f"sample:{HELD_OUT[0]}"
    at.session_state[inject_key("mask", owner=first)] = _canvas_drawing(paint=True)  # drawn on this photo only
    at.run()
    at.button(key="fill").click().run()
    assert at.subheader and any(h.value == "Results" for h in at.subheader)
    other = next(name for name in at.selectbox(key="photo").options if HELD_OUT[0] not in name)
    at.selectbox(key="photo").set_value(other.split(" (")[0]).run()
    assert not at.exception
    assert any("Paint over part" in i.value for i in at.info), "another photo starts with no hole"
    assert not any(h.value == "Results" for h in at.subheader), "the first photo's result is not shown here"
    at.button(key="fill").click().run()
    assert any("Nothing is painted" in w.value for w in at.warning), "Fill never fills a hole drawn elsewhere"
    at.selectbox(key="photo").set_value(HELD_OUT[0]).run()
    assert any(h.value == "Results" for h in at.subheader), "back on the first photo: its drawing and result"


def test_settings_come_from_the_url():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({"photo": "coffee", "tool": "Eraser", "brush": "40", "methods": ["seed", "ns"]})
    at.run()
    assert not at.exception and not at.toast
    assert at.selectbox(key="photo").value == "coffee"
    assert at.get("button_group")[0].value == "Eraser"
    assert at.slider(key="brush").value == 40
    assert at.multiselect(key="methods").value == ["seed", "ns"]


def test_a_malformed_link_falls_back_to_defaults_with_one_notice():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({"photo": "../../etc/passwd", "tool": "<script>", "brush": "abc",
                            "methods": ["telea", "rm -rf"]})
    at.run()
    assert not at.exception
    assert len(at.warning) == 1  # one plain notice on the page (a toast would vanish before it is read)
    notice = at.warning[0].value
    assert notice.startswith("Part of this link could not be used: ")  # the same words on every page
    assert "tool" in notice and "brush size" in notice and "rm -rf" in notice and "sample photo" in notice
    assert at.selectbox(key="photo").value == HELD_OUT[0]
    assert at.get("button_group")[0].value == "Brush"
    assert at.slider(key="brush").value == 24
    assert at.multiselect(key="methods").value == ["telea"]
    at.run()
    assert len(at.warning) == 1  # a rerun (the canvas reporting its size) keeps the one notice
    at.multiselect(key="methods").set_value(["ns"]).run()
    assert not at.warning  # gone once the participant changes a setting


@needs_model
@needs_seed
def test_the_tutorial_autoencoder_is_a_method():
    at = _page()
    at.session_state[inject_key("mask")] = _canvas_drawing(paint=True)
    at.multiselect(key="methods").set_value(["seed", "telea"])
    at.button(key="fill").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.table[0].value
    assert list(table["method"]) == ["U-Net (PatchLab)", "Tutorial autoencoder", "OpenCV Telea"]
    psnr = table["PSNR masked (dB)"].astype(float)
    assert (psnr > 5).all() and (psnr < 60).all()


@needs_model
def test_the_best_value_of_each_column_is_highlighted():
    at = _page()
    at.session_state[inject_key("mask")] = _canvas_drawing(paint=True)
    at.multiselect(key="methods").set_value(["telea", "ns"])
    at.button(key="fill").click().run()
    table = at.table[0].value
    styles = at.table[0].proto.arrow_data.styler.styles
    marked = {(int(r), int(c)) for r, c in re.findall(r"row(\d+)_col(\d+)", styles)}
    assert "font-weight: bold" in styles
    expected = set()
    for c, column in enumerate(table.columns):
        if column in ("method", "detail ratio"):  # best near 1, not at its highest: not marked
            continue
        values = table[column].astype(float)
        best = values.min() if column.startswith("time") else values.max()
        expected |= {(r, c) for r in range(len(values)) if values[r] == best}
    assert marked == expected


@needs_model
def test_presenter_mode_shows_the_unet_psnr_large_and_folds_the_details():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["present"] = "1"
    at.run()
    at.session_state[inject_key("mask")] = _canvas_drawing(paint=True)
    at.button(key="fill").click().run()
    assert not at.exception
    psnr = at.table[0].value["PSNR masked (dB)"].astype(float)[0]
    assert any(m.value == f"# {psnr:.2f} dB" for m in at.markdown)
    assert any(e.label.startswith("Timings, the model card") for e in at.expander)


@pytest.mark.browser
@needs_model
def test_drag_on_the_real_canvas_and_fill(app_url, page):
    page.goto(f"{app_url}/inpainting")
    wait_for_app(page)
    upper = page.locator("canvas.upper-canvas").first  # fabric.js's drawing layer (shadow DOM)
    upper.wait_for(state="visible", timeout=60_000)
    upper.scroll_into_view_if_needed()
    box = upper.bounding_box()
    assert box and box["width"] > 100
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    page.mouse.down()
    for k in range(1, 15):
        page.mouse.move(box["x"] + box["width"] * (0.3 + 0.02 * k),
                        box["y"] + box["height"] * (0.4 + 0.01 * k), steps=3)
    page.mouse.up()
    page.wait_for_timeout(1500)  # the canvas reports its drawing after a short debounce
    wait_for_app(page)
    page.get_by_role("button", name="Fill", exact=True).click()
    page.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
    wait_for_app(page, timeout=120_000)
    assert_no_exception(page)
    table = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "U-Net" in table and "PSNR" in table
    assert page.locator('[data-testid="stImage"] img').count() >= 4


def test_reset_puts_the_settings_back_to_the_defaults():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({"photo": "coffee", "tool": "Eraser", "brush": "40", "methods": ["ns"]})
    at.run()
    at.button(key="reset_photo").click().run()
    assert not at.exception
    assert (at.selectbox(key="photo").value, at.get("button_group")[0].value, at.slider(key="brush").value,
            at.multiselect(key="methods").value) == (HELD_OUT[0], "Brush", 24, ["sharp", "telea"])


@needs_model
def test_predict_then_reveal_hides_the_fill_until_revealed():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["present"] = "1"
    at.run()
    at.session_state["present_hide_answers"] = True
    at.session_state[inject_key("mask")] = _canvas_drawing(paint=True)
    at.button(key="fill").click().run()
    assert not at.exception and len(at.table) == 0  # the answer is hidden
    reveal = [b for b in at.button if b.label == "Reveal"]
    assert len(reveal) == 1
    reveal[0].click().run()
    assert len(at.table) == 1


# ---------------------------------------------------------------- a phone and a projector, in Chromium

PHONE_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")


def _context(browser, width, height, touch=False):
    options = {"viewport": {"width": width, "height": height}}
    if touch:
        options.update(has_touch=True, is_mobile=True, user_agent=PHONE_AGENT)
    context = browser.new_context(**options)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    return context, pg


def _open(pg, url):
    pg.goto(url)
    wait_for_app(pg, timeout=120_000)
    pg.wait_for_timeout(800)  # the column width is measured in the browser, then the page reruns once
    wait_for_app(pg)
    upper = pg.locator("canvas.upper-canvas").first  # fabric.js's drawing layer
    upper.wait_for(state="visible")
    return upper


def _stroke(box, start, end, n=15):
    (fx0, fy0), (fx1, fy1) = start, end
    return [(box["x"] + box["width"] * (fx0 + (fx1 - fx0) * k / (n - 1)),
             box["y"] + box["height"] * (fy0 + (fy1 - fy0) * k / (n - 1))) for k in range(n)]


def _finger(pg, cdp, points):
    """Drag one finger along ``points`` (CDP touch events: Chromium turns them into pointer events)."""
    (x, y), rest = points[0], points[1:]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for x, y in rest:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        pg.wait_for_timeout(15)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    pg.wait_for_timeout(1200)  # the canvas reports its drawing after a short debounce
    wait_for_app(pg)


def _mouse(pg, points):
    pg.mouse.move(*points[0])
    pg.mouse.down()
    for x, y in points[1:]:
        pg.mouse.move(x, y, steps=3)
    pg.mouse.up()
    pg.wait_for_timeout(1200)
    wait_for_app(pg)


def _painted_pixels(upper):
    """How many pixels of the canvas's drawing layer carry the brush (magenta, green ~ 0)."""
    return upper.evaluate("""el => {
        const c = el.parentElement.querySelector('canvas.lower-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i + 1] < 100 && d[i] > 150) n++;
        return n;
    }""")


def _tool(pg, name):
    """A tool's button in the segmented control."""
    return pg.get_by_role("radiogroup", name="Tool").get_by_role("radio", name=name)


def _fill(pg):
    pg.get_by_role("button", name="Fill", exact=True).click()
    pg.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
    wait_for_app(pg, timeout=120_000)
    pg.wait_for_timeout(800)  # the results are scrolled into view smoothly
    assert_no_exception(pg)


def _masked_fraction(pg):
    text = pg.get_by_text("of the photo was masked").first.inner_text()
    return float(re.search(r"([\d.]+)% of the photo was masked", text).group(1))


def _in_viewport(pg, locator):
    box = locator.bounding_box()
    view = pg.viewport_size
    return box is not None and box["y"] >= -1 and box["y"] + min(box["height"], 40) <= view["height"]


@pytest.mark.browser
@needs_model
def test_phone_draw_with_a_finger_erase_and_fill(app_url, browser):
    from apprunner import ARTIFACTS

    context, pg = _context(browser, 390, 844, touch=True)
    try:
        upper = _open(pg, f"{app_url}/inpainting")
        # the canvas fits the phone: nothing cut off, no sideways scrolling
        upper.scroll_into_view_if_needed()
        box = upper.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 300, box
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        cdp = context.new_cdp_session(pg)
        _finger(pg, cdp, _stroke(box, (0.15, 0.45), (0.85, 0.45)))  # across the whole width
        assert _painted_pixels(upper) > 1000
        _fill(pg)
        assert _in_viewport(pg, pg.get_by_text("U-Net: PSNR in the hole").first)
        whole = _masked_fraction(pg)
        pg.screenshot(path=str(ARTIFACTS / "inpainting-phone-filled.png"))

        upper.scroll_into_view_if_needed()
        _tool(pg, "Eraser").tap()
        wait_for_app(pg)
        upper.scroll_into_view_if_needed()
        box = upper.bounding_box()
        before = _painted_pixels(upper)
        _finger(pg, cdp, _stroke(box, (0.55, 0.30), (0.55, 0.60), n=8))  # a vertical wipe across the stroke
        _finger(pg, cdp, _stroke(box, (0.70, 0.30), (0.70, 0.60), n=8))
        assert _painted_pixels(upper) < before
        pg.screenshot(path=str(ARTIFACTS / "inpainting-phone-erased.png"))
        _fill(pg)
        assert _in_viewport(pg, pg.get_by_text("U-Net: PSNR in the hole").first)
        assert _masked_fraction(pg) < whole
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        pg.screenshot(path=str(ARTIFACTS / "inpainting-phone-refilled.png"))
    finally:
        context.close()


@pytest.mark.browser
@needs_model
def test_projector_shows_the_fill_and_its_result_without_scrolling(app_url, browser):
    from apprunner import ARTIFACTS

    context, pg = _context(browser, 1920, 1080)
    try:
        upper = _open(pg, f"{app_url}/inpainting")
        box = upper.bounding_box()
        assert box["width"] >= 580, box  # a large canvas, not the old 520 px
        fill = pg.get_by_role("button", name="Fill", exact=True)
        assert _in_viewport(pg, fill) and _in_viewport(pg, pg.locator("[data-testid^=stBaseButton]").filter(has_text="Undo").first)
        pg.screenshot(path=str(ARTIFACTS / "inpainting-projector-open.png"))
        _mouse(pg, _stroke(box, (0.3, 0.4), (0.6, 0.55)))
        fill.click()
        pg.wait_for_timeout(300)
        pg.screenshot(path=str(ARTIFACTS / "inpainting-projector-running.png"))
        pg.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
        wait_for_app(pg, timeout=120_000)
        pg.wait_for_timeout(1200)  # the results are scrolled to the top of the window smoothly
        pg.screenshot(path=str(ARTIFACTS / "inpainting-projector-filled.png"))
        # the results come into view, across the page: readable from the back of the room
        heading = pg.get_by_role("heading", name="Results")
        assert _in_viewport(pg, heading)
        # and not under the app's own header bar (about 60 px, drawn over the page)
        assert heading.bounding_box()["y"] >= 40, heading.bounding_box()
        assert _in_viewport(pg, pg.get_by_text("U-Net: PSNR in the hole").first)
        pictures = pg.locator('[data-testid="stMain"] [data-testid="stImage"] img')
        first = pictures.first
        assert _in_viewport(pg, first)
        assert first.bounding_box()["width"] >= 400, first.bounding_box()  # not ~200-px thumbnails
        # the perception-distortion chart: a plot as tall as specified, its legends whole below it
        chart = pg.locator('[data-testid="stVegaLiteChart"]').first
        chart.scroll_into_view_if_needed()
        pg.wait_for_timeout(500)
        drawn = chart.locator("svg, canvas").first.bounding_box()
        assert drawn["height"] >= 340 + 150, drawn  # the 340-px plot, the axis and the two legends
        chart.screenshot(path=str(ARTIFACTS / "inpainting-projector-tradeoff-chart.png"))
    finally:
        context.close()


@pytest.mark.browser
@needs_model
def test_coming_back_keeps_the_drawing_the_result_and_the_settings(app_url, browser):
    from apprunner import ARTIFACTS

    context, pg = _context(browser, 1400, 1000)
    try:
        upper = _open(pg, f"{app_url}/inpainting?tool=Brush&brush=40&methods=ns")
        assert pg.get_by_text("OpenCV Navier-Stokes").count() >= 1
        box = upper.bounding_box()
        _mouse(pg, _stroke(box, (0.3, 0.3), (0.6, 0.5)))
        painted = _painted_pixels(upper)
        _fill(pg)
        _tool(pg, "Eraser").click()
        wait_for_app(pg)
        assert "tool=Eraser" in pg.url and "brush=40" in pg.url

        nav = pg.get_by_test_id("stSidebarNavItems")
        nav.get_by_role("link", name="Home").click()
        wait_for_app(pg)
        nav.get_by_role("link", name="Inpainting").click()
        upper = pg.locator("canvas.upper-canvas").first
        upper.wait_for(state="visible")
        wait_for_app(pg)
        pg.wait_for_timeout(1500)
        assert abs(_painted_pixels(upper) - painted) <= painted * 0.05  # the drawing is back
        assert pg.get_by_text("The drawing changed").count() == 0
        assert pg.locator('[data-testid="stTable"]').count() >= 1
        assert "tool=Eraser" in pg.url and "brush=40" in pg.url
        pg.screenshot(path=str(ARTIFACTS / "inpainting-came-back.png"), full_page=True)

        # a shared link restores the settings in a new session
        other = context.new_page()
        other.set_default_timeout(60_000)
        _open(other, pg.url)
        assert _tool(other, "Eraser").get_attribute("aria-checked") == "true"
        assert _tool(other, "Brush").get_attribute("aria-checked") == "false"
        assert other.get_by_text("OpenCV Navier-Stokes").count() >= 1 and not other.get_by_test_id("stToast").count()
        assert "brush=40" in other.url and "tool=Eraser" in other.url
    finally:
        context.close()


def _page_button(pg, name):
    """One of the page's own buttons (the canvas's hover toolbar has an Undo of its own)."""
    return pg.locator("[data-testid^=stBaseButton]:visible").filter(has_text=name).first


@pytest.mark.browser
@needs_model
def test_undo_and_clear_with_a_finger_and_the_drawing_follows_a_resize(app_url, browser):
    from apprunner import ARTIFACTS

    context, pg = _context(browser, 390, 844, touch=True)
    try:
        upper = _open(pg, f"{app_url}/inpainting")
        upper.scroll_into_view_if_needed()
        box = upper.bounding_box()
        cdp = context.new_cdp_session(pg)
        _finger(pg, cdp, _stroke(box, (0.2, 0.3), (0.8, 0.3)))
        one = _painted_pixels(upper)
        _finger(pg, cdp, _stroke(box, (0.2, 0.7), (0.8, 0.7)))
        two = _painted_pixels(upper)
        assert two > 1.5 * one > 0
        _page_button(pg, "Undo").tap()
        wait_for_app(pg)
        pg.wait_for_timeout(1000)  # the canvas is redrawn without the last stroke and reports it
        wait_for_app(pg)
        assert abs(_painted_pixels(upper) - one) <= 0.05 * one
        pg.screenshot(path=str(ARTIFACTS / "inpainting-phone-undone.png"))
        _fill(pg)
        assert _in_viewport(pg, pg.get_by_text("U-Net: PSNR in the hole").first)

        # a wider window: the canvas grows and the stroke stays on the same part of the photo
        upper.scroll_into_view_if_needed()
        narrow = upper.bounding_box()
        pg.set_viewport_size({"width": 1920, "height": 1080})
        pg.wait_for_timeout(1500)
        wait_for_app(pg)
        pg.wait_for_timeout(1000)
        wide = upper.bounding_box()
        assert wide["width"] > 1.5 * narrow["width"]
        ratio = (wide["width"] / narrow["width"]) ** 2
        assert 0.7 * ratio * one < _painted_pixels(upper) < 1.3 * ratio * one
        assert pg.get_by_text("The drawing changed").count() == 0  # same hole, same result
        pg.screenshot(path=str(ARTIFACTS / "inpainting-resized.png"))

        _page_button(pg, "Clear").click()
        wait_for_app(pg)
        pg.wait_for_timeout(1000)
        wait_for_app(pg)
        assert _painted_pixels(upper) == 0
        assert pg.get_by_text("The drawing changed").count() == 1  # the result was for the cleared drawing
        _page_button(pg, "Fill").click()
        wait_for_app(pg)
        warning = pg.get_by_text("Nothing is painted yet")
        assert _in_viewport(pg, warning)  # beside the button, not somewhere below
    finally:
        context.close()



# ---------------------------------------------------------------- filling with the participant's domain model


def _give_domain_model(tiny_model_path):
    """A finished domain-training job for AppTest's participant, holding a tiny model (no training needed)."""
    from types import SimpleNamespace

    from patchlab.inpainting import Inpainter
    from patchlab.inpainting.live import DEMO
    from patchlab.ui.jobs import runner

    me = "session-test session id"
    runner().cleanup(me, wait_s=60)
    model = SimpleNamespace(inpainter=Inpainter.load(tiny_model_path, allow_outside_models=True),
                            request=SimpleNamespace(photos=SimpleNamespace(name="Brick wall")), steps=3)
    job = runner().submit(me, "fine-tune the U-Net on Brick wall, 3 steps", lambda progress, stop: model, demo=DEMO)
    assert job.wait(30) and job.result is model
    return me


@needs_model
def test_without_a_domain_model_there_is_no_switch():
    from patchlab.ui.jobs import runner

    runner().cleanup("session-test session id", wait_s=60)
    at = _page()
    assert [g.proto.label for g in at.main.get("button_group")] == ["Tool"], "no Fill with switch without a domain model"


@needs_model
def test_fill_with_my_domain_model_and_switch_back(tiny_model_path, monkeypatch):
    import patchlab.jobs as jobs
    from patchlab.ui.jobs import runner

    entered = []
    real = jobs.interactive

    def counted():
        entered.append(1)
        return real()

    monkeypatch.setattr(jobs, "interactive", counted)
    me = _give_domain_model(tiny_model_path)
    try:
        at = _page()
        assert [g.proto.label for g in at.main.get("button_group")] == ["Fill with", "Tool"]  # the sidebar holds the language switch
        assert "Filling with your domain model (Brick wall, 3 steps)" in " ".join(c.value for c in at.caption)
        at.session_state[inject_key("mask")] = _canvas_drawing(paint=True)
        at.button(key="fill").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert "“My domain model” below is your domain model (Brick wall, 3 steps)." in " ".join(
            c.value for c in at.caption)
        assert [m.label for m in at.metric] == ["My domain model: PSNR in the hole"]
        methods = list(at.table[0].value["method"])
        assert methods[0] == "My domain model" and "U-Net (PatchLab)" not in methods  # named for what filled
        mine = at.table[0].value["PSNR masked (dB)"].iloc[0]
        # back to the shipped model: a different fill of the same hole
        at.session_state["inp_fill_with"] = "Shipped U-Net"
        at.run()
        assert "Filling with the shipped U-Net" in " ".join(c.value for c in at.caption)
        at.button(key="fill").click().run()
        assert not at.exception and not at.error
        assert "below is your domain model" not in " ".join(c.value for c in at.caption)
        assert at.table[0].value["method"].iloc[0] == "U-Net (PatchLab)"
        assert at.table[0].value["PSNR masked (dB)"].iloc[0] != mine
    finally:
        runner().cleanup(me, wait_s=60)
    assert len(entered) == 2, "every Fill runs inside patchlab.jobs.interactive()"
