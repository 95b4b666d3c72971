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
    assert list(table["method"]) == ["U-Net (PatchLab)", "OpenCV Telea"]  # biharmonic is opt-in (slow)
    psnr = table["PSNR masked (dB)"].astype(float)
    assert (psnr > 5).all() and (psnr < 60).all()
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
    assert len(at.toast) == 1
    notice = at.toast[0].value
    assert "tool" in notice and "brush size" in notice and "rm -rf" in notice and "sample photo" in notice
    assert at.selectbox(key="photo").value == HELD_OUT[0]
    assert at.get("button_group")[0].value == "Brush"
    assert at.slider(key="brush").value == 24
    assert at.multiselect(key="methods").value == ["telea"]
    at.run()
    assert len(at.toast) == 0  # once, not on every rerun


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
        if column == "method":
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
    page.get_by_role("button", name="Fill").click()
    page.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
    wait_for_app(page, timeout=120_000)
    assert_no_exception(page)
    table = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "U-Net" in table and "PSNR" in table
    assert page.locator('[data-testid="stImage"] img').count() >= 4
