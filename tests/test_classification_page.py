"""The Classification page: AppTest with an injected drawing, and a real mouse drawing in Chromium."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from patchlab.ui.canvas import inject_key

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "classification.py")


def seven(opaque_black=True):
    """A "7" as the page's canvas reports it: white strokes on opaque black, 280x280 RGBA."""
    import cv2

    rgba = np.zeros((280, 280, 4), np.uint8)
    if opaque_black:
        rgba[..., 3] = 255
    cv2.line(rgba, (70, 60), (210, 60), (255, 255, 255, 255), 22)
    cv2.line(rgba, (210, 60), (120, 230), (255, 255, 255, 255), 22)
    return rgba


def run(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at, label):
    return next(m for m in at.metric if m.label == label)


def test_empty_canvas_shows_a_hint_not_an_error():
    at = run(AppTest.from_file(PAGE, default_timeout=120))
    assert not at.error
    assert any("Draw" in i.value or "draw" in i.value for i in at.info)
    assert not [m for m in at.metric if m.label == "Prediction"]


def test_blank_injected_drawing_is_a_hint():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[inject_key("digit")] = np.zeros((280, 280, 4), np.uint8)
    at = run(at)
    assert any("empty" in i.value for i in at.info)


def test_injected_drawing_is_classified():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[inject_key("digit")] = seven()
    at = run(at)
    pred = metric(at, "Prediction")
    assert pred.value == "7"
    assert "confidence" in pred.delta
    # Switching the rule and the patch size reruns without errors, and the drawing is still a 7.
    at.sidebar.radio(key="cl_rule").set_value("vote")
    at = run(at)
    assert metric(at, "Prediction").value == "7"
    assert "(vote)" in metric(at, "Prediction").delta  # the answer under the new rule
    at.sidebar.select_slider(key="cl_patch").set_value(28)
    at = run(at)
    if (ROOT / "models" / "classifier_p28.keras").exists():
        assert metric(at, "Prediction").value == "7"
        assert any("whole-image baseline" in i.value for i in at.info)  # the p = 28 model answered
    else:
        assert any("--patch-size 28" in e.value for e in at.error)


def test_gallery_digit_is_classified_with_its_true_label():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at = run(at)
    at.sidebar.radio(key="cl_source").set_value("Test digit gallery")
    at = run(at)
    from patchlab.classification.data import gallery_digits

    _, labels = gallery_digits()
    truth = str(int(labels[0]))  # the gallery opens on test digit #0
    assert not at.error, [e.value for e in at.error]
    assert metric(at, "Prediction").value == truth  # the shipped model gets this digit right
    assert f"True label: {truth}" in [x.value for x in at.success]


def test_missing_model_explains_the_retrain_command(tmp_path, monkeypatch):
    import patchlab.classification.inference as inference

    import streamlit as st

    monkeypatch.setattr(inference, "MODELS_DIR", tmp_path)
    st.cache_resource.clear()  # forget classifiers loaded by earlier tests
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[inject_key("digit")] = seven()
    at = run(at)
    assert any("python -m patchlab.classification.train --patch-size 18" in e.value for e in at.error)


@pytest.mark.browser
def test_drawing_with_the_mouse_gives_a_prediction(app_url, page):
    from conftest import assert_no_exception, wait_for_app

    page.goto(f"{app_url}/classification")
    wait_for_app(page)
    # The drawable canvas renders fabric.js <canvas> layers (inside the component's
    # shadow root, which Playwright's CSS selectors pierce); the top one takes the mouse.
    canvas = page.locator("canvas").last
    canvas.wait_for(state="visible")
    box = canvas.bounding_box()
    assert box and box["width"] >= 200
    x0, y0 = box["x"], box["y"]
    # A "7": a top bar, then a diagonal down to the bottom left.
    stroke = [(70, 60), (210, 60), (120, 230)]
    page.mouse.move(x0 + stroke[0][0], y0 + stroke[0][1])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(stroke, stroke[1:]):
        for t in np.linspace(0, 1, 15)[1:]:
            page.mouse.move(x0 + ax + t * (bx - ax), y0 + ay + t * (by - ay))
    page.mouse.up()
    page.wait_for_selector('[data-testid="stMetric"]:has-text("Prediction")', timeout=60_000)
    wait_for_app(page)
    assert_no_exception(page)
    value = page.locator('[data-testid="stMetric"]:has-text("Prediction") [data-testid="stMetricValue"]').inner_text()
    assert value.strip() in list("0123456789")
