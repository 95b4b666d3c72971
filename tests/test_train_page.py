"""The Train a classifier page (AppTest, tiny runs of a few steps; PATCHLAB_TRAIN_STEPS makes them short)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from patchlab.ui.canvas import inject_key

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "train.py")


def seven():
    import cv2

    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[..., 3] = 255
    cv2.line(rgba, (50, 40), (150, 40), (255, 255, 255, 255), 16)
    cv2.line(rgba, (150, 40), (85, 165), (255, 255, 255, 255), 16)
    return rgba


def run(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements):
    return " ".join(e.value for e in elements)


def until(at, condition, timeout=240):
    """Rerun the page (as the fragment's polling would) until ``condition(at)`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run(at)
        if condition(at):
            return at
        time.sleep(0.5)
    raise AssertionError("the page did not reach the expected state in time")


def has_result(at):
    return any(s.value == "Your model against the shipped one" for s in at.subheader)


@pytest.fixture(autouse=True)
def fresh_participant():
    """AppTest gives every test the same session id (one participant): forget their jobs around each test."""
    from patchlab.ui.jobs import runner

    me = "session-test session id"
    runner().cleanup(me, wait_s=120)
    yield
    runner().cleanup(me, wait_s=120)


@pytest.fixture
def short_runs(monkeypatch):
    monkeypatch.setenv("PATCHLAB_TRAIN_STEPS", "2")
    monkeypatch.delenv("PATCHLAB_TRAIN_SECONDS", raising=False)


def test_page_opens_with_the_settings_and_says_what_to_do(short_runs):
    at = run(AppTest.from_file(PAGE, default_timeout=120))
    assert at.title[0].value == "Train a classifier"
    assert at.sidebar.slider(key="tp").value == 18 and at.sidebar.radio(key="tbudget").value == "1 min"
    assert "PATCHLAB_TRAIN_STEPS=2" in texts(at.caption)  # the short test runs are said on the page
    assert "Press **Train** to start" in texts(at.caption)
    assert not at.error and not at.warning


def test_train_shows_the_result_the_table_downloads_and_both_answers(short_runs):
    at = run(AppTest.from_file(PAGE, default_timeout=120))
    at.sidebar.slider(key="tp").set_value(10)  # a patch size without a shipped model
    at.button(key="tr_train").click()
    at = until(run(at), has_result)
    table = at.table[0].value
    assert list(table.columns) == ["", "your model %", "shipped model %", "difference (points)"]
    assert table[""].tolist()[:4] == ["top-left patch", "top-right patch", "bottom-left patch", "bottom-right patch"]
    assert "fused: mean of probabilities" in table[""].tolist()
    assert table["shipped model %"].isna().all()  # no shipped p = 10 model: said, not invented
    assert "No shipped model for p = 10" in texts(at.caption)
    assert "2 steps" in texts(at.markdown) and "100 held-out test digits" in texts(at.markdown)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the model (.keras)", "Download its card (.json)"]
    # the test area: a gallery digit answered by both models, then by the shipped one only
    at.radio(key="tr_source").set_value("Test digit gallery")
    run(at)
    figures = {m.label for m in at.metric}
    assert {"Your model (p = 10)", "Shipped model (p = 10)"} <= figures or \
        {"Your model (p = 10)", "Shipped model (p = 14)"} <= figures
    at.toggle(key="tr_use_mine").set_value(False)
    run(at)
    assert not [m for m in at.metric if m.label.startswith("Your model")]
    assert [m for m in at.metric if m.label.startswith("Shipped model")]


def test_train_twice_stop_twice_a_clear_message_each(monkeypatch):
    monkeypatch.setenv("PATCHLAB_TRAIN_STEPS", "400")  # long enough to still be running when pressed again
    at = run(AppTest.from_file(PAGE, default_timeout=120))
    at.button(key="tr_train").click()
    run(at)
    at.button(key="tr_train").click()
    run(at)
    assert "You already have “train p=18, 400 steps”" in texts(at.warning)
    at.button(key="tr_stop").click()
    run(at)
    at.button(key="tr_stop").click()
    run(at)
    assert ("Already stopping" in texts(at.info)) or ("Nothing is training now" in texts(at.info))

    def ended(at):
        return "Stopped" in texts(at.success) + texts(at.error)

    at = until(at, ended)
    assert "Traceback" not in texts(at.error)


def test_a_budget_that_ends_before_the_first_step_is_explained(monkeypatch):
    monkeypatch.delenv("PATCHLAB_TRAIN_STEPS", raising=False)
    monkeypatch.setenv("PATCHLAB_TRAIN_SECONDS", "0.000001")
    at = run(AppTest.from_file(PAGE, default_timeout=120))
    at.sidebar.toggle(key="taug").set_value(False)  # no synthetic drawings to prepare
    at.button(key="tr_train").click()
    at = until(run(at), lambda at: bool(at.error))
    assert "ended before the first training step" in texts(at.error) and "longer budget" in texts(at.error)
    assert not has_result(at)


def test_own_digits_missing_label_empty_drawing_then_added(short_runs):
    at = run(AppTest.from_file(PAGE, default_timeout=120))
    at.button(key="tr_own_add").click()
    run(at)
    assert "Choose which digit this is" in texts(at.warning)
    at.selectbox(key="tr_own_label").set_value(7)
    at.button(key="tr_own_add").click()
    run(at)
    assert "canvas is empty" in texts(at.warning)
    at.session_state[inject_key("tr_own_canvas")] = seven()
    at.button(key="tr_own_add").click()
    run(at)
    assert "Added a 7 (1 example(s))" in texts(at.success)
    assert at.toggle(key="tr_use_own").value is True
    at.button(key="tr_train").click()
    at = until(run(at), has_result)
    assert "Before and after" in texts(at.markdown)
    rows = at.dataframe[0].value
    assert rows["your label"].tolist() == [7]


def test_a_malformed_link_falls_back_with_one_notice(short_runs):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["tp"] = "99"
    at.query_params["tbudget"] = "2min"
    at.query_params["taug"] = "maybe"
    run(at)
    assert len(at.warning) == 1
    assert at.warning[0].value == ("Part of this link could not be used: patch size `99` (expected a whole number "
                                   "from 8 to 28); augmentation `maybe` (expected on or off (true or false)). "
                                   "The page shows the default instead.")
    assert at.sidebar.slider(key="tp").value == 18 and at.sidebar.radio(key="tbudget").value == "2 min"

    at = run(at)  # a rerun that changes nothing keeps the notice; a changed setting ends it
    assert len(at.warning) == 1
    at.sidebar.radio(key="trule").set_value("vote")
    assert not run(at).warning


@pytest.mark.parametrize("link", [
    {"tp": "14", "trule": "vote", "tbudget": "5 min", "taug": "false"},  # as the page shows the settings
    {"tp": "14", "trule": "vote", "tbudget": "5min", "taug": "0"},  # as the page writes them into its link
])
def test_a_link_sets_the_panel(short_runs, link):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in link.items():
        at.query_params[key] = value
    run(at)
    assert not at.warning
    assert at.sidebar.slider(key="tp").value == 14 and at.sidebar.radio(key="trule").value == "vote"
    assert at.sidebar.radio(key="tbudget").value == "5 min" and at.sidebar.toggle(key="taug").value is False
    at.sidebar.slider(key="tp").set_value(22)  # a change is the new setting (the link is not read again)
    run(at)
    assert at.sidebar.slider(key="tp").value == 22 and at.sidebar.radio(key="tbudget").value == "5 min"


# The browser test of training (the curves grow, a second tab, the answer switching to the participant's
# model, here and on the Classification page, phone and projector) is tests/test_browser_training.py.


def test_every_tab_of_one_browser_is_one_participant():
    """Streamlit writes its XSRF cookie anew, with a fresh mask over the same token, whenever a tab connects."""
    import os

    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    from patchlab.ui.jobs import browser_token

    token = os.urandom(16)
    first_tab, second_tab = generate_xsrf_token_string(token, 1700000000), generate_xsrf_token_string(token, 1700000000)
    assert first_tab != second_tab
    assert browser_token(first_tab) == browser_token(second_tab) == token.hex()
    other_browser = generate_xsrf_token_string(os.urandom(16), 1700000000)
    assert browser_token(other_browser) != browser_token(first_tab)
    for odd in ("abc", "2|zz|00|1", "2|01020304||1", "1|00|00|1"):  # anything else is taken as it is
        assert browser_token(odd) == odd
