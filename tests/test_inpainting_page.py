"""The Inpainting page: AppTest with an injected drawing, and the real canvas in Chromium."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import assert_no_exception, wait_for_app
from patchlab.images import limit_size, load_sample
from patchlab.inpainting.data import HELD_OUT
from patchlab.inpainting.display import canvas_size
from patchlab.inpainting.infer import DEFAULT_MODEL
from patchlab.inpainting.recipe import retrain_advice, retrain_command
from patchlab.ui.canvas import inject_key

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "inpainting.py")
needs_model = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed")


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
