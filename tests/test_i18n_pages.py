"""Every page in Chinese (AppTest): no English sentence left, and a language switch changes words only.

What a page shows is collected from every element it drew (``rendered_text``:
labels, help, captions, options, table headers and cells, chart titles);
names, code and units may stay English (its allow-list, docs/i18n.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import patchlab.ui.classroom as classroom
from patchlab.i18n import speaking
from rendered_text import english_left, shown_text

ROOT = Path(__file__).resolve().parents[1]


def run(path, query=None, timeout=240):
    at = AppTest.from_file(str(ROOT / path), default_timeout=timeout)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chinese(at):
    return any("\u4e00" <= ch <= "\u9fff" for _where, text in shown_text(at) for ch in text)


def assert_all_chinese(at, what):
    left = english_left(at)
    assert chinese(at), f"{what}: nothing in Chinese"
    assert not left, f"{what}: {len(left)} English text(s) left:\n" + "\n".join(left[:15])


PAGES = ["app.py", "pages/patches.py", "pages/upsampling.py", "pages/inpainting.py", "pages/classification.py",
         "pages/train.py", "pages/train_inpainter.py", "pages/spot_the_fill.py"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_speaks_chinese(path):
    at = run(path, {"lang": "zh"})
    assert_all_chinese(at, path)
    assert at.session_state["lang_current"] == "zh"


def test_a_classified_test_digit_speaks_chinese():
    """The answer, the four patches, every rule, the confusion matrix, the misread digits and the tables."""
    at = run("pages/classification.py", {"lang": "zh", "input": "Test digit gallery", "digit": "13", "patch": "14"})
    assert_all_chinese(at, "a classified test digit")
    assert [m.value for m in at.metric if m.label == "预测"], [m.label for m in at.metric]


def test_a_fill_speaks_chinese():
    """The results of a Fill: pictures, error maps, the table with the detail ratio, the smooth-or-sharp chart."""
    import numpy as np

    from patchlab.images import limit_size, load_sample
    from patchlab.inpainting.data import HELD_OUT
    from patchlab.inpainting.display import canvas_size
    from patchlab.ui.canvas import inject_key

    photo = limit_size(load_sample(HELD_OUT[0]), 512)[0]
    width, height = canvas_size(photo.shape)
    drawing = np.zeros((height, width, 4), np.uint8)
    drawing[height // 3: height // 2, width // 4: width // 2] = (255, 0, 255, 180)
    at = run("pages/inpainting.py", {"lang": "zh"})
    at.session_state[inject_key("mask")] = drawing
    with speaking("zh"):  # AppTest formats the widgets' values (format_func) in this thread
        at.button(key="fill").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert_all_chinese(at, "a Fill")
    table = at.table[0].value
    assert "细节比" in table.columns and "锐利填补（U-Net + 照片的纹理）" in list(table["方法"]), table.columns


def test_a_round_of_spot_the_fill_speaks_chinese():
    at = run("pages/spot_the_fill.py", {"lang": "zh", "game": "65"})
    with speaking("zh"):
        at.button(key="sp_pick_a").click().run()
    assert not at.exception
    assert_all_chinese(at, "a guessed round")
    assert at.subheader[0].value == "第 1 轮" and any("是照片" in t for t in [*(s.value for s in at.success),
                                                                          *(e.value for e in at.error)])


def test_presenter_mode_and_the_storyboard_speak_chinese():
    at = run("pages/patches.py", {"lang": "zh", "present": "1", "scene": "3"})
    assert_all_chinese(at, "presenter mode")
    text = " ".join(t for _w, t in shown_text(at))
    from patchlab.storyboard import load_storyboard

    scenes = len(load_storyboard(ROOT / "presentations" / "workshop.toml").scenes)
    assert f"场景 3 / {scenes}" in text and "步长小于图像块" in text  # the bar and scene 3's point_zh


def test_a_bad_link_is_explained_in_chinese():
    # zz9: a parameter the page does not have (echoed as typed: a name, not a sentence)
    at = run("pages/patches.py", {"lang": "zh", "p": "oops", "s": "99999", "win": "evil", "zz9": "1"})
    notice = [w.value for w in at.warning if "链接" in w.value]
    assert notice and "oops" in notice[0] and "zz9" in notice[0], [w.value for w in at.warning]
    assert_all_chinese(at, "a bad link's notice")


def test_a_language_the_app_does_not_speak_is_said_and_dropped():
    at = run("pages/patches.py", {"lang": "fr"})
    assert at.session_state["lang_current"] == "en" and "lang" not in at.query_params
    assert any("language `fr`" in w.value for w in at.sidebar.warning), [w.value for w in at.sidebar.warning]


def test_a_bad_upload_is_explained_in_chinese():
    at = run("pages/patches.py", {"lang": "zh"})
    with speaking("zh"):  # AppTest formats the widgets' values (format_func) in this thread
        at.sidebar.selectbox(key="pt_choice").set_value("Upload your own…").run()
        at.sidebar.file_uploader[0].set_value(("notes.png", b"this is not an image", "image/png")).run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert errors and "PatchLab" in errors[0] and "PNG" in errors[0] and "图像" in errors[0], errors
    assert_all_chinese(at, "a bad upload")


def test_the_room_page_speaks_chinese(monkeypatch):
    from patchlab.room import open_room
    from patchlab.room.instructor import instructor_key

    store = open_room()
    monkeypatch.setattr(classroom, "room", lambda: store)
    store.seen("ana", "patches")
    store.record("ana", "classifier_run", {"rule": "mean", "budget_s": 60, "steps": 400, "patch_size": 14,
                                           "per_patch": [0.8, 0.85, 0.9, 0.82], "n_test": 1000, "accuracy": 0.95})
    store.record("ana", "guess", {"question": "patches:q", "answer": "225"})
    at = run("pages/room.py", {"lang": "zh", "key": instructor_key()})
    assert_all_chinese(at, "the Room page")
    assert "全班一起猜" in " ".join(t for _w, t in shown_text(at))  # the guesses' panel


def test_english_is_the_default_and_the_link_wins():
    at = run("pages/patches.py")
    assert at.title[0].value == "Patches" and at.session_state["lang_current"] == "en"
    at = run("pages/patches.py", {"lang": "en"})
    assert at.title[0].value == "Patches"
    at = run("pages/patches.py", {"lang": "zh"})
    assert at.title[0].value == "图像块" and at.query_params["lang"] in ("zh", ["zh"])


def test_switching_language_keeps_every_setting():
    at = run("pages/patches.py", {"lang": "zh"})
    with speaking("zh"):  # AppTest formats the widgets' values (format_func) in this thread
        at.sidebar.slider(key="pt_sh").set_value(16).run()
        at.sidebar.selectbox(key="pt_window").set_value("tent").run()
        before = {m.label: m.value for m in at.metric}
        at.sidebar.button_group(key="lang_switch").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Patches" and at.session_state["lang_current"] == "en"
    assert at.query_params["lang"] in ("en", ["en"])
    assert at.session_state["pt_sh"] == 16 and at.session_state["pt_window"] == "tent"
    assert {m.value for m in at.metric} == set(before.values())  # the same figures, in other words
    assert at.query_params["s"] in ("16", ["16"])  # the link still carries the settings
