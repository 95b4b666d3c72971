"""The Train an inpainter page (AppTest; PATCHLAB_TRAIN_STEPS makes the runs a couple of steps long)."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from patchlab.inpainting.infer import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "train_inpainter.py")
ME = "session-test session id"  # AppTest's one participant
needs_model = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed")


def png(h=300, w=400, seed=0):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def run(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements):
    return " ".join(e.value for e in elements)


def until(at, condition, timeout=300):
    """Rerun the page (as the fragment's polling would) until ``condition(at)`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run(at)
        if condition(at):
            return at
        time.sleep(0.5)
    raise AssertionError("the page did not reach the expected state in time")


def has_result(at):
    return any(s.value == "Your domain model against the shipped one" for s in at.subheader)


@pytest.fixture(autouse=True)
def fresh_participant():
    from patchlab.ui.jobs import runner

    runner().cleanup(ME, wait_s=120)
    yield
    runner().cleanup(ME, wait_s=120)


@pytest.fixture
def short_runs(monkeypatch):
    monkeypatch.setenv("PATCHLAB_TRAIN_STEPS", "2")
    monkeypatch.delenv("PATCHLAB_TRAIN_SECONDS", raising=False)


def page():
    return run(AppTest.from_file(PAGE, default_timeout=120))


def upload(at, files):
    at.radio(key="ti_source").set_value("Your photos")
    run(at)
    at.file_uploader[0].set_value([(name, data, "application/octet-stream") for name, data in files])
    return run(at)


def test_page_opens_on_a_demo_domain_and_says_what_to_do(short_runs):
    at = page()
    assert at.title[0].value == "Train an inpainter"
    assert at.radio(key="ti_source").value == "A demo domain" and at.selectbox(key="ti_demo").value == "brick"
    assert at.radio(key="ti_arch").value == "unet" and at.radio(key="ti_budget").value == "2 min"
    assert "16 photos: 13 to train on, 3 held out" in texts(at.markdown)
    assert "PATCHLAB_TRAIN_STEPS=2" in texts(at.caption)
    assert "Press **Train** to start" in texts(at.caption)
    assert not at.error and not at.warning


@needs_model
def test_train_on_a_demo_domain_shows_the_live_panel_the_table_and_the_downloads(short_runs):
    at = page()
    at.button(key="ti_train").click()
    at = until(run(at), has_result)
    table = at.dataframe[0].value
    assert list(table.columns) == ["photos", "masks", "yours (dB)", "shipped (dB)", "change (dB)"]
    assert table["photos"].tolist() == ["Brick wall", "Brick wall", "standard", "standard"]
    assert ((table["yours (dB)"] > 10) & (table["shipped (dB)"] > 10)).all()
    assert "2 steps" in texts(at.markdown)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the model (.keras)", "Download its card (.json)"]
    # once scored, the table holds the figures (its caption names both sets and their sizes); the quick check's
    # key figures, measured on fewer holes, are not shown beside it
    labels = {m.label for m in at.metric}
    assert "Training loss" in labels and not {label for label in labels if "Your model" in label}
    # short runs score two views of the held-out photos: the caption counts the photos actually scored
    assert any(re.search(r"Brick wall's [23] held-out photos \(\d+ seeded holes per mask family\)", c.value)
               for c in at.caption), [c.value for c in at.caption]
    charts = [json.loads(c.proto.spec)["title"] for c in at.get("vega_lite_chart")]
    assert charts == ["Training loss", "Quick check, squares", "Quick check, brush"]
    captions = [c for element in at.get("image") for c in element.captions]
    assert {"the hole", "step 0 · 0 s"} <= set(captions), "the strip shows the hole and its fill at step 0"


def test_train_without_photos_says_to_choose_them_first(short_runs):
    at = page()
    at.radio(key="ti_source").set_value("Your photos")
    run(at)
    assert "Choose photos of one kind of scene" in texts(at.info)
    at.button(key="ti_train").click()
    run(at)
    assert "Choose your photos first" in texts(at.warning)


@pytest.mark.parametrize("files, message", [
    ([("photos.zip", b"just some text")], "“photos.zip” is not a zip archive"),
    ([("only.png", png())], "Only one usable photo"),
    ([("a.png", png(seed=1)), ("b.png", png(seed=1))], "1 duplicate was dropped"),
    ([("s1.png", png(100, 200, seed=1)), ("s2.png", png(120, 90, seed=2))], "No usable photo (2 files were skipped"),
], ids=["not-a-zip", "one-photo", "duplicates-only", "too-small"])
def test_bad_uploads_get_one_clear_message_each(short_runs, files, message):
    at = upload(page(), files)
    assert message in texts(at.error)
    at.button(key="ti_train").click()
    run(at)
    assert "Choose your photos first" in texts(at.warning)  # nothing was queued


def test_a_zip_bomb_is_refused_with_a_sentence(short_runs):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(11):
            z.writestr(f"{i}.png", b"\x00" * (10 * 2 ** 20 + 1))
    at = upload(page(), [("bomb.zip", buf.getvalue())])
    assert "the limit is 100 MB in all" in texts(at.error)


def test_uploads_are_read_with_non_images_skipped_small_ones_and_duplicates_listed(short_runs):
    files = [("a.png", png(seed=1)), ("b.png", png(seed=2)), ("c.png", png(seed=3)), ("copy.png", png(seed=1)),
             ("notes.png", b"hello"), ("tiny.png", png(100, 100, seed=4))]
    at = upload(page(), files)
    assert not at.error
    assert "Your photos: 3 photos: 2 to train on, 1 held out" in texts(at.markdown).replace("**", "")
    warnings = texts(at.warning)
    assert "2 files were not used: “notes.png” (not an image PatchLab can read); “tiny.png” (100×100 pixels: too " \
           "small" in warnings
    assert "1 duplicate was dropped: “copy.png” repeats “a.png”" in warnings
    assert "Only 3 photos" in texts(at.caption)


@needs_model
def test_a_budget_that_ends_before_the_first_step_is_a_clear_message(monkeypatch):
    monkeypatch.delenv("PATCHLAB_TRAIN_STEPS", raising=False)
    monkeypatch.setenv("PATCHLAB_TRAIN_SECONDS", "0.01")
    at = page()
    at.button(key="ti_train").click()
    at = until(run(at), lambda at: at.error)
    assert "The time budget (0.01 s) ran out before the first training step ended" in texts(at.error)
    assert not has_result(at)


@needs_model
def test_train_twice_and_stop_twice_a_clear_message_each(monkeypatch):
    monkeypatch.setenv("PATCHLAB_TRAIN_STEPS", "400")  # long enough to still be running when pressed again
    at = page()
    at.button(key="ti_train").click()
    run(at)
    at.button(key="ti_train").click()
    run(at)
    assert "You already have “fine-tune the U-Net on Brick wall, 400 steps”" in texts(at.warning)
    at.button(key="ti_stop").click()
    run(at)
    at.button(key="ti_stop").click()
    run(at)
    assert ("Already stopping" in texts(at.info)) or ("Nothing is training now" in texts(at.info))
    at = until(at, lambda at: "Stopped" in texts(at.success) + texts(at.error))


def test_a_malformed_link_falls_back_to_the_defaults(short_runs):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({"ti_source": "<script>", "ti_demo": "../../etc/passwd", "ti_arch": "vgg",
                            "ti_budget": "99 min"})
    run(at)
    assert (at.radio(key="ti_source").value, at.selectbox(key="ti_demo").value, at.radio(key="ti_arch").value,
            at.radio(key="ti_budget").value) == ("A demo domain", "brick", "unet", "2 min")
    assert len(at.warning) == 1 and at.warning[0].value.startswith("Part of this link could not be used: photos ")
    assert "what to train `vgg` (expected Fine-tune the shipped U-Net or Train the tutorial's" in at.warning[0].value
    assert "16 photos: 13 to train on, 3 held out" in texts(at.markdown)
