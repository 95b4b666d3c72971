"""The Classification page: AppTest with an injected drawing, and a real mouse drawing in Chromium."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from patchlab.ui.canvas import inject_key

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "classification.py")
CANVAS = "cl_canvas"  # the page's canvas key


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
    # a phone or tablet has no mouse: every instruction says finger or mouse
    texts = [e.value for kind in (at.info, at.caption, at.markdown) for e in kind]
    assert any("with your finger or the mouse" in t for t in at.info.values)
    assert any("with your finger or the mouse" in t for t in at.caption.values)
    assert not [t for t in texts if "with the mouse" in t]


def test_blank_injected_drawing_is_a_hint():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[inject_key(CANVAS)] = np.zeros((280, 280, 4), np.uint8)
    at = run(at)
    assert any("empty" in i.value for i in at.info)
    assert any("with your finger or the mouse" in i.value for i in at.info)


def test_injected_drawing_is_classified():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[inject_key(CANVAS)] = seven()
    at = run(at)
    pred = metric(at, "Prediction")
    assert pred.value == "7"
    assert "confidence" in pred.delta
    # Switching the rule and the patch size reruns without errors, and the drawing is still a 7.
    at.sidebar.radio(key="rule").set_value("vote")
    at = run(at)
    assert metric(at, "Prediction").value == "7"
    assert "(vote)" in metric(at, "Prediction").delta  # the answer under the new rule
    at.sidebar.select_slider(key="patch").set_value(28)
    at = run(at)
    if (ROOT / "models" / "classifier_p28.keras").exists():
        assert metric(at, "Prediction").value == "7"
        assert any("whole-image baseline" in i.value for i in at.info)  # the p = 28 model answered
    else:
        assert any("--patch-size 28" in e.value for e in at.error)


def test_gallery_digit_is_classified_with_its_true_label():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at = run(at)
    at.sidebar.radio(key="input").set_value("Test digit gallery")
    at = run(at)
    from patchlab.classification.data import gallery_digits

    _, labels = gallery_digits()
    truth = str(int(labels[0]))  # the gallery opens on test digit #0
    assert not at.error, [e.value for e in at.error]
    assert metric(at, "Prediction").value == truth  # the shipped model gets this digit right
    assert f"True label: {truth}" in [x.value for x in at.success]
    from patchlab.classification.report import EVAL_PATH, published_comparison, read_classification_report

    if EVAL_PATH.exists():  # the measured table is followed by the sentence setting it beside LeNet-5
        sentence = published_comparison(read_classification_report(), 18)
        assert sentence and "LeNet-5" in sentence and sentence in [c.value for c in at.caption]


def stroke(start, end, base=False):
    """One stroke as its own canvas layer (white on transparent; ``base``: on the opaque black canvas)."""
    import cv2

    layer = np.zeros((280, 280, 4), np.uint8)
    if base:
        layer[..., 3] = 255
    cv2.line(layer, start, end, (255, 255, 255, 255), 22)
    return layer


def test_undo_and_clear_take_strokes_back():
    at = AppTest.from_file(PAGE, default_timeout=120)
    # a "7" in two strokes: the diagonal first, then the bar on top
    at.session_state[inject_key(CANVAS)] = [stroke((210, 60), (120, 230), base=True), stroke((70, 60), (210, 60))]
    at = run(at)
    assert metric(at, "Prediction").value == "7"
    next(b for b in at.button if b.label == "Undo").click()
    at = run(at)  # only the diagonal is left: a "1"
    assert metric(at, "Prediction").value == "1"
    next(b for b in at.button if b.label == "Clear").click()
    at = run(at)
    assert not [m for m in at.metric if m.label == "Prediction"]
    assert any("Draw a digit" in i.value for i in at.info)


def test_missing_model_explains_the_retrain_command(tmp_path, monkeypatch):
    import patchlab.classification.inference as inference

    import streamlit as st

    monkeypatch.setattr(inference, "MODELS_DIR", tmp_path)
    st.cache_resource.clear()  # forget classifiers loaded by earlier tests
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[inject_key(CANVAS)] = seven()
    at = run(at)
    assert any("python -m patchlab.classification.train --patch-size 18" in e.value for e in at.error)


GALLERY = "Test digit gallery"


def test_a_shared_link_opens_with_its_patch_size_rule_and_gallery_digit():
    at = AppTest.from_file(PAGE, default_timeout=120)
    # test digit 13 of MNIST: the four p = 14 patches agree on it, so the page shows no disagreement warning
    for key, value in {"patch": "14", "rule": "vote", "input": GALLERY, "digit": "13"}.items():
        at.query_params[key] = value
    at = run(at)
    assert at.sidebar.select_slider(key="patch").value == 14
    assert at.sidebar.radio(key="rule").value == "vote"
    assert at.sidebar.radio(key="input").value == GALLERY
    assert at.sidebar.number_input(key="digit").value == 13
    assert any(c.value.startswith("Held-out test digit #13 ") for c in at.caption)
    assert "(vote)" in metric(at, "Prediction").delta
    assert any("patch size 14" in m.value for m in at.markdown)  # the measured table for p = 14
    assert not at.warning


@pytest.mark.parametrize("query, bad", [
    ({"patch": "99999", "rule": "median", "digit": "-3", "input": GALLERY},
     ["patch size `99999` (expected 14, 18, 22 or 28)", "fusion rule `median` (expected mean, product, max or vote)",
      "test digit number `-3` (expected a whole number from 0 to"]),
    ({"patch": "<script>alert(1)</script>", "input": "Upload" * 50, "zzz": "1"},
     ["patch size `<script>alert(1)</script>`", "digit source `UploadUpload", "zzz `1` (not a setting of this page)"]),
])
def test_a_malformed_link_gives_one_notice_and_the_defaults(query, bad):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at = run(at)
    assert len(at.warning) == 1, [w.value for w in at.warning]
    notice = at.warning[0].value
    assert notice.startswith("Part of this link could not be used: ")  # the same words on every page
    assert all(phrase in notice for phrase in bad) and len(notice) < 400, notice
    assert at.sidebar.select_slider(key="patch").value == 18 and at.sidebar.radio(key="rule").value == "mean"
    if "digit" in query:  # the good parameter is kept, the bad one falls back
        assert at.sidebar.radio(key="input").value == GALLERY and at.sidebar.number_input(key="digit").value == 0
    else:
        assert at.sidebar.radio(key="input").value == "Draw"
    assert not at.error
    at = run(at)  # a rerun with the same settings (the browser's canvas reports its size): the notice stays
    assert [w.value for w in at.warning] == [notice]
    at.sidebar.radio(key="rule").set_value("vote")  # a setting changed: the notice has done its job
    at = run(at)
    assert not at.warning


def test_reset_goes_back_to_the_defaults():
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in {"patch": "22", "rule": "max", "input": GALLERY, "digit": "7"}.items():
        at.query_params[key] = value
    at = run(at)
    next(b for b in at.sidebar.button if b.label == "Reset").click()
    at = run(at)
    assert at.sidebar.select_slider(key="patch").value == 18 and at.sidebar.radio(key="rule").value == "mean"
    assert at.sidebar.radio(key="input").value == "Draw"


def test_predict_then_reveal_hides_the_prediction_until_reveal():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["present"] = "1"
    at.session_state["present_hide_answers"] = True
    at.session_state[inject_key(CANVAS)] = seven()
    at = run(at)
    assert not [m for m in at.metric if m.label == "Prediction"]
    assert not [m for m in at.markdown if m.value.startswith("# ")]  # no large prediction either
    assert not at.success and not at.warning  # nor the patches' answers
    reveal = next(b for b in at.button if b.label == "Reveal")
    reveal.click()
    at = run(at)
    # presenter mode: the predicted digit in large type
    assert "# 7" in [m.value for m in at.markdown]
    # a new question (another rule) hides the answer again
    at.sidebar.radio(key="rule").set_value("vote")
    at = run(at)
    assert "# 7" not in [m.value for m in at.markdown] and [b for b in at.button if b.label == "Reveal"]


def test_presenter_mode_folds_the_model_card_away():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[inject_key(CANVAS)] = seven()
    at = run(at)
    assert not [e for e in at.expander if e.label == "The model card"]
    assert metric(at, "Prediction").value == "7"
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["present"] = "1"
    at.session_state[inject_key(CANVAS)] = seven()
    at = run(at)
    card = [e for e in at.expander if e.label == "The model card"]
    if (ROOT / "models" / "classifier_p18.json").exists():
        assert card and "classifier_p18.keras" in card[0].caption[0].value
    assert "# 7" in [m.value for m in at.markdown]


def draw_seven(page, canvas, draw):
    """A "7" (a top bar, then a diagonal down to the bottom left) drawn by ``draw(points)`` on ``canvas``."""
    canvas.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    assert box and box["width"] >= 200
    scale = box["width"] / 280  # the stroke in 280-px canvas units, scaled to the canvas's size
    corners = [(70, 60), (210, 60), (120, 230)]
    points = [(box["x"] + scale * (ax + t * (bx - ax)), box["y"] + scale * (ay + t * (by - ay)))
              for (ax, ay), (bx, by) in zip(corners, corners[1:]) for t in np.linspace(0, 1, 15)[1:]]
    draw([(box["x"] + scale * corners[0][0], box["y"] + scale * corners[0][1])] + points)
    return box


def predicted(page):
    page.wait_for_selector(PREDICTION, timeout=60_000)
    from conftest import wait_for_app

    wait_for_app(page)
    return page.locator(f"{PREDICTION} [data-testid=\"stMetricValue\"]").inner_text().strip()


PREDICTION = '[data-testid="stMetric"]:has-text("Prediction")'


@pytest.mark.browser
def test_drawing_with_the_mouse_gives_a_prediction(app_url, page):
    from conftest import assert_no_exception, wait_for_app

    page.goto(f"{app_url}/classification")
    wait_for_app(page)
    # The drawable canvas renders fabric.js <canvas> layers; the upper one takes the mouse.
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible")

    def mouse(points):
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y)
        page.mouse.up()

    draw_seven(page, canvas, mouse)
    assert predicted(page) in list("0123456789")
    assert_no_exception(page)


@pytest.mark.browser
def test_a_phone_draws_with_a_finger_and_everything_fits(app_url, browser):
    """390x844 with touch: a finger (real touch events through the DevTools protocol) draws a 7."""
    from apprunner import ARTIFACTS
    from conftest import assert_no_exception, wait_for_app

    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app_url}/classification")
        wait_for_app(page)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(state="visible")
        wait_for_app(page)
        cdp = context.new_cdp_session(page)

        def finger(points):
            # page.touchscreen can only tap; a drag is touchStart, touchMoves, touchEnd
            send = lambda kind, pts: cdp.send("Input.dispatchTouchEvent", {  # noqa: E731
                "type": kind, "touchPoints": [{"x": x, "y": y} for x, y in pts]})
            send("touchStart", points[:1])
            for point in points[1:]:
                send("touchMove", [point])
                page.wait_for_timeout(10)
            send("touchEnd", [])

        box = draw_seven(page, canvas, finger)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # the whole canvas is on the phone
        assert predicted(page) == "7"
        assert_no_exception(page)
        page.screenshot(path=str(ARTIFACTS / "classification-phone-drawn.png"))
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        assert charts.count() == 5
        for k in range(5):
            chart = charts.nth(k).bounding_box()
            assert chart["x"] >= 0 and chart["x"] + chart["width"] <= 390, (k, chart)
        fused = charts.nth(4)
        fused.scroll_into_view_if_needed()
        svg = fused.locator("svg, canvas").first.bounding_box()  # what Vega drew, not only its box
        assert svg["x"] >= 0 and svg["x"] + svg["width"] <= 390, svg
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "classification-phone-fused-chart.png"))
        # Undo, tapped with a finger: the only stroke goes, and so does the prediction
        undo = page.locator('[data-testid^="stBaseButton"]:visible').filter(has_text="Undo")  # not the hover toolbar's
        undo.scroll_into_view_if_needed()
        undo.tap()
        page.get_by_text("Draw a digit (0–9) on the black square").wait_for(timeout=30_000)
        wait_for_app(page)
        assert page.locator(PREDICTION).count() == 0
        assert_no_exception(page)
    finally:
        context.close()


@pytest.mark.browser
def test_a_shared_link_on_a_projector_survives_a_trip_home(app_url, browser):
    from apprunner import ARTIFACTS
    from conftest import assert_no_exception, wait_for_app

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.set_default_timeout(60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')

    def check_state():
        wait_for_app(page)
        page.get_by_text("Held-out test digit #12 ").wait_for()
        assert sidebar.locator('[data-testid="stSliderThumbValue"]').first.inner_text() == "14"
        assert sidebar.get_by_role("radio", name="vote").is_checked()
        assert sidebar.get_by_role("radio", name="Test digit gallery").is_checked()
        assert sidebar.get_by_label("Test digit number").input_value() == "12"
        assert "(vote)" in page.locator(PREDICTION).inner_text()
        for part in ("patch=14", "rule=vote", "digit=12", "input=Test"):
            assert part in page.url, page.url
        assert_no_exception(page)

    try:
        page.goto(f"{app_url}/classification?patch=14&rule=vote&input=Test+digit+gallery&digit=12")
        check_state()
        assert page.locator('[data-testid="stAlert"]:has-text("could not be used")').count() == 0
        page.screenshot(path=str(ARTIFACTS / "classification-projector-shared-link.png"))
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Home").click()
        page.wait_for_url(lambda url: "classification" not in url)
        wait_for_app(page)
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Classification").click()
        check_state()
        # a malformed link: one notice, the defaults, and the URL cleaned up
        page.goto(f"{app_url}/classification?patch=99999&rule=median")
        wait_for_app(page)
        notices = page.locator('[data-testid="stAlert"]:has-text("could not be used")')
        assert notices.count() == 1
        assert "patch size 99999 (expected 14, 18, 22 or 28)" in notices.inner_text()
        assert "fusion rule median (expected mean, product, max or vote)" in notices.inner_text()
        assert sidebar.locator('[data-testid="stSliderThumbValue"]').first.inner_text() == "18"
        # the address holds what the page shows: the ignored values are gone
        assert "patch=" not in page.url and "rule=" not in page.url  # (the defaults: a clean address)
        page.screenshot(path=str(ARTIFACTS / "classification-projector-malformed-link.png"))
        # on the projector the canvas is large, and fits the screen with its buttons
        sidebar.get_by_role("radio", name="Draw").check()
        wait_for_app(page)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(state="visible")
        box = canvas.bounding_box()
        assert box["width"] >= 500 and box["height"] <= 1080 - 200, box

        def mouse(points):
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y)
            page.mouse.up()

        box = draw_seven(page, canvas, mouse)
        assert predicted(page) == "7"
        answer = page.locator(PREDICTION).bounding_box()  # beside the canvas, in view without scrolling
        assert answer["x"] > box["x"] + box["width"] and 0 <= answer["y"] and answer["y"] + answer["height"] <= 1080
        page.screenshot(path=str(ARTIFACTS / "classification-projector-canvas.png"))
    finally:
        context.close()


# --- the participant's own model (trained on the Train page) ------------------------------

ME = "session-test session id"  # AppTest's one session (no browser cookie): the participant of these tests


@pytest.fixture
def fresh_participant():
    from patchlab.ui.jobs import runner

    runner().cleanup(ME, wait_s=60)
    yield runner()
    runner().cleanup(ME, wait_s=60)


def always_three(patch_size=10):
    """A finished Train-page model that answers 3 for every patch (dense weights zero, bias on 3)."""
    from patchlab.classification import DigitClassifier
    from patchlab.classification.fusion import RULES
    from patchlab.classification.live import LiveModel, TrainRequest
    from patchlab.classification.model import build_patch_classifier

    model = build_patch_classifier(patch_size)
    dense = model.get_layer("probabilities")
    kernel, bias = dense.get_weights()
    bias[:] = 0
    bias[3] = 10
    dense.set_weights([np.zeros_like(kernel), bias])
    request = TrainRequest(patch_size, steps=2, augment=False)
    card = {"training": {"steps": 2}}
    return LiveModel(request, DigitClassifier(model, patch_size, card), card,
                     {"single_patch": [0.1] * 4, "fused": {r: 0.1 for r in RULES}}, n_test=100, steps=2,
                     seconds=1.5, stopped_early=False)


def give_me(jobs, model, owner=ME):
    job = jobs.submit(owner, model.request.name, lambda progress, should_stop: model, demo="classification")
    assert job.wait(30) and job.result is model
    return job


def said(at):
    """The page's Markdown, all of it (who answered is said there)."""
    return " ".join(m.value for m in at.markdown)


def test_without_a_model_of_mine_the_shipped_model_answers_and_train_is_linked(fresh_participant):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[inject_key(CANVAS)] = seven()
    at = run(at)
    assert not [r for r in at.radio if r.label == "Model"]  # nothing to choose
    assert "[Train a classifier](train)" in [m.value for m in at.main.markdown]  # Markdown: AppTest runs no router
    assert "The shipped model answers here." in " ".join(c.value for c in at.main.caption)
    assert metric(at, "Prediction").value == "7"
    assert "Answered by the shipped model (p = 18)." in said(at)


def test_my_trained_model_answers_until_i_switch_back(fresh_participant):
    from patchlab.classification.data import gallery_digits

    truth = str(int(gallery_digits()[1][0]))
    assert truth != "3"
    job = give_me(fresh_participant, always_three(10))
    used_before = job.last_used
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["input"] = GALLERY
    at = run(at)
    model = at.main.radio(key="cl_model")
    assert model.label == "Model" and model.value == "mine"  # a new model of theirs answers first
    assert at.sidebar.select_slider(key="patch").disabled  # p = 10 is not one of the shipped sizes
    assert "its own patch size, p = 10" in " ".join(c.value for c in at.sidebar.caption)
    assert metric(at, "Prediction").value == "3"
    assert "Answered by your model (p = 10, trained just now on the Train page)." in said(at)
    assert job.last_used > used_before  # used: not the first to be dropped when the server is full
    at.main.radio(key="cl_model").set_value("shipped")
    at = run(at)
    assert not at.sidebar.select_slider(key="patch").disabled
    assert metric(at, "Prediction").value == truth
    assert "Answered by the shipped model (p = 18)." in said(at)
    at = run(at)  # the choice stays on a rerun
    assert at.main.radio(key="cl_model").value == "shipped"
    # a newer model of theirs answers first again
    give_me(fresh_participant, always_three(14))
    at = run(at)
    assert at.main.radio(key="cl_model").value == "mine"
    assert "Answered by your model (p = 14, trained just now on the Train page)." in said(at)


def test_a_model_the_server_dropped_is_said_and_the_shipped_model_answers(fresh_participant):
    from patchlab.jobs import result_nbytes

    jobs = fresh_participant
    mine = give_me(jobs, always_three(10))
    others = [f"other-participant-{k}" for k in range(2)]
    budget = jobs.keep_bytes
    jobs.keep_bytes = 2 * result_nbytes(mine.result)  # room for two such models on this server
    try:
        for owner in others:  # the least recently used model (ours) makes room
            give_me(jobs, always_three(10), owner=owner)
        at = AppTest.from_file(PAGE, default_timeout=120)
        at.session_state[inject_key(CANVAS)] = seven()
        at = run(at)
        notices = [i.value for i in at.info if "removed to make room" in i.value]
        assert len(notices) == 1 and notices[0].endswith("Until then the shipped model answers here.")
        assert not [r for r in at.radio if r.label == "Model"]
        assert metric(at, "Prediction").value == "7"
        assert "Answered by the shipped model (p = 18)." in said(at)
    finally:
        jobs.keep_bytes = budget
        for owner in others:
            jobs.cleanup(owner)


FAILURES = "Where it fails: the confusion matrix and the misread test digits"


@pytest.mark.parametrize("patch", [14, 28])
def test_where_it_fails_shows_the_confusion_matrix_and_a_misread_digit_loads_into_the_page(patch):
    from patchlab.classification.failures import confusion_matrix, misread_digits, read_test_answers

    answers = read_test_answers(patch)
    if answers is None:
        pytest.skip(f"no saved test answers for p = {patch} (run make evaluate)")
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.query_params.update({"input": GALLERY, "patch": str(patch), "rule": "vote"})
    at = run(at)
    # folded until opened: nothing of it is drawn before
    assert not [h for h in at.subheader if "test digits misread" in h.value]
    assert not any("Confusion matrix" in c.proto.spec for c in at.get("vega_lite_chart"))
    assert FAILURES in [e.label for e in at.expander]  # the section's expander is on the page
    at.session_state["cl_failures"] = True  # what opening it does
    at = run(at)
    wrong = misread_digits(answers, "vote", order="confidence")
    heading = next(h.value for h in at.subheader if h.value.endswith("test digits misread"))
    assert heading == f"{len(wrong):,} of {len(answers.labels):,} test digits misread"
    import json

    spec = next(json.loads(c.proto.spec) for c in at.get("vega_lite_chart")
                if "Confusion matrix" in json.dumps(json.loads(c.proto.spec).get("title", "")))
    assert f"p = {patch}, fused (vote)" in spec["title"]["text"]
    matrix = confusion_matrix(answers, "vote")
    assert matrix.sum() == len(answers.labels) and np.trace(matrix) == len(answers.labels) - len(wrong)
    chooser = at.selectbox(key="cl_misread")
    first = wrong[0]
    assert chooser.options[0].startswith(f"#{first.index}: a {first.truth} read as {first.answer}")
    chooser.set_value(first.index).run()
    assert not at.exception
    assert at.sidebar.number_input(key="digit").value == first.index
    assert any(c.value.startswith(f"Held-out test digit #{first.index} ") for c in at.caption)
    assert f"True label: {first.truth}" in [x.value for x in at.error]  # the page shows it misread, as listed
