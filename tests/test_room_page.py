"""The Room page and the participant's side of the room, in AppTest (both back ends; a real redis-server).

The page's store is swapped for a room of the test's own (``patchlab.ui.classroom.room``), seeded through
the same API the pages use.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import patchlab.ui.classroom as classroom
from patchlab.room.instructor import instructor_key
from redis_fixture import make_store, redis_server  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
ROOM = str(ROOT / "pages" / "room.py")
RUN = {"rule": "mean", "budget_s": 60, "steps": 400, "per_patch": [0.8, 0.85, 0.9, 0.82], "n_test": 1000}


@pytest.fixture(params=["memory", "redis"])
def store(request, monkeypatch):
    store = make_store(request.param, request)
    monkeypatch.setattr(classroom, "room", lambda: store)
    return store


def _room_page(key=None):
    at = AppTest.from_file(ROOM, default_timeout=120)
    if key is not None:
        at.query_params["key"] = key
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _seed(store):
    store.rename("ana", "Ana (teacher) & co. #1")
    store.seen("ana", "inpainting")
    store.seen("bo", "train")
    for pid, p, acc in (("ana", 14, 0.95), ("bo", 18, 0.97), ("cy", 18, 0.96)):
        store.record(pid, "classifier_run", {**RUN, "patch_size": p, "accuracy": acc})
    store.record("bo", "inpainter_run", {"domain": "Brick wall", "arch": "unet", "budget_s": 120,
                                         "gain_domain_db": {"square": 1.1, "brush": 1.4},
                                         "gain_standard_db": {"square": -1.6, "brush": -0.7}})
    store.record("ana", "fill", {"psnr": {"unet": 21.0, "telea": 19.5}, "masked_fraction": 0.05, "photo": "sample"})
    store.record("bo", "fill", {"psnr": {"unet": 18.0, "telea": 19.0}, "masked_fraction": 0.1, "photo": "upload"})
    store.record("ana", "share", {"picture": _jpeg(), "method": "unet"})
    for pid, answer in (("ana", "7"), ("bo", "1"), ("cy", "7")):
        store.record(pid, "guess", {"question": "classification:q", "answer": answer})
    store.reveal("classification:q", "7")
    store.record("cy", "spot", {"method": "telea", "fooled": True})
    store.record("ana", "spot", {"method": "telea", "fooled": False})


def _jpeg():
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buf, "JPEG")
    return buf.getvalue()


def test_without_the_key_one_plain_sentence_and_no_data(store):
    _seed(store)
    for key in (None, "wrong-key-0123456789abcdef", ""):
        at = _room_page(key)
        assert [i.value for i in at.info] == [
            "This page is for the instructor. Open it with the instructor's link that `make run` or `make room` "
            "printed when the app started."]
        assert not at.subheader and not at.metric and not at.dataframe and not at.get("vega_lite_chart")
        assert "key" not in at.query_params  # a wrong key leaves the address bar too


def test_with_the_key_every_panel_shows_the_seeded_room_and_the_key_leaves_the_address(store):
    _seed(store)
    at = _room_page(instructor_key())
    assert "key" not in at.query_params
    assert [s.value for s in at.subheader] == ["Who is here", "The room's training", "The room's fills",
                                               "Predict with the room", "Spot the fill"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Here now": "2", "Since the start": "3"}
    people = at.dataframe[0].value
    assert "Ana (teacher) & co. #1" in set(people["name"]) and "Participant 2" in set(people["name"])  # plain text
    charts = at.get("vega_lite_chart")
    assert len(charts) == 4  # the sweep, the wins, the guesses, spot the fill
    assert any("3 runs by 3 participants" in c.value for c in at.caption)
    assert any("over 2 fills" in c.value for c in at.caption)
    assert any("the answer: 7, given by 2 of 3" in m.value for m in at.markdown)
    inpainters = at.dataframe[1].value
    assert inpainters["own photos, brush"].tolist() == [1.4] and inpainters["domain"].tolist() == ["Brick wall"]
    assert any("**Shared fills** (1, newest first)" in m.value for m in at.markdown)
    # the instructor's tools: the CSV, and clearing the room (behind a second switch)
    assert [b.label for b in at.get("download_button")] == ["Download the room's numbers (CSV)"]
    at.sidebar.toggle(key="room_clear_confirm").set_value(True).run()
    next(b for b in at.sidebar.button if b.label == "Delete everything the room holds").click().run()
    assert store.snapshot().events == () and {m.label: m.value for m in at.metric} == {
        "Here now": "0", "Since the start": "0"}


def test_the_room_page_says_so_when_the_store_is_gone(monkeypatch):
    from patchlab.room import RoomUnavailable

    class Gone:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise RoomUnavailable("The room's data is unavailable right now.")
            return fail

    monkeypatch.setattr(classroom, "room", lambda: Gone())
    at = _room_page(instructor_key())
    assert any("The room's data is unavailable right now" in w.value for w in at.warning)
    assert not at.subheader


def test_a_page_joins_the_room_and_a_name_and_leaving_work(store):
    at = AppTest.from_file(str(ROOT / "pages" / "upsampling.py"), default_timeout=120)
    at.run()
    assert not at.exception
    (me,) = [p for p in store.participants()]
    assert me.display_name == "Participant 1"
    at.sidebar.text_input(key=classroom.NAME_KEY).input("<i>Zoë</i>").run()  # markup is no name
    assert store.participants()[0].display_name == "Participant 1"
    assert any("name" in w.value.lower() for w in at.warning), [w.value for w in at.warning]
    at.sidebar.text_input(key=classroom.NAME_KEY).input("Zoë").run()
    assert store.participants()[0].display_name == "Zoë"
    next(b for b in at.sidebar.button if b.label == "Leave the room").click().run()
    assert store.participants() == [] and store.snapshot().events == ()
    at.run()  # a page run after leaving sends nothing
    assert store.participants() == []
    assert any("You left the room" in c.value for c in at.sidebar.caption)


def test_a_follower_moves_to_the_presenters_scene_and_keeps_it_until_the_next(store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/patches.py")
    at.run()
    assert not at.exception
    at.sidebar.toggle(key=classroom.FOLLOW_KEY).set_value(True).run()
    store.set_scene("workshop", 3, "patches", {"img": "astronaut", "p": 48, "s": 16, "edge": "shift"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["pt_ph"] == 48 and at.session_state["pt_sh"] == 16
    at.sidebar.slider(key="pt_sh").set_value(24).run()  # the follower's own change stays: the scene is not new
    assert at.session_state["pt_sh"] == 24
    store.set_scene("workshop", 5, "upsampling", {"up_factor": 3, "up_init": "nearest"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["up_factor"] == 3 and at.session_state["up_init"] == "nearest"
    assert [p.page for p in store.participants()] == ["upsampling"]  # the room sees the page it moved to
    at.sidebar.toggle(key=classroom.FOLLOW_KEY).set_value(False).run()  # unticked: it stops at once
    store.set_scene("workshop", 6, "patches", {"p": 8})
    at.run()
    assert at.session_state["up_factor"] == 3


def test_a_participant_guesses_the_presenters_question_and_sees_the_answer(store):
    at = AppTest.from_file(str(ROOT / "pages" / "upsampling.py"), default_timeout=120)
    at.run()
    store.ask("classification:q2", "Which digit will the network answer?", [str(d) for d in range(10)])
    at.run()
    pills = at.get("button_group")
    pick = next(p for p in pills if "The presenter asks" in p.label)
    pick.set_value("4").run()
    assert store.guesses("classification:q2") == {classroom.me(): "4"} or list(
        store.guesses("classification:q2").values()) == ["4"]
    store.reveal("classification:q2", "7")
    at.run()
    assert any("The answer: **7**. You guessed **4**." in m.value for m in at.markdown)


def test_following_survives_the_move_to_another_page(store):
    """A scene on another page moves the follower there, and the follower still follows the next one."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/patches.py")
    at.run()
    at.sidebar.toggle(key=classroom.FOLLOW_KEY).set_value(True).run()
    store.set_scene("workshop", 5, "upsampling", {"up_factor": 3, "up_init": "nearest"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["up_factor"] == 3
    assert at.sidebar.toggle(key=classroom.FOLLOW_KEY).value is True  # still ticked on the new page
    store.set_scene("workshop", 3, "patches", {"img": "astronaut", "p": 48, "s": 16, "edge": "shift"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["pt_ph"] == 48 and at.session_state["pt_sh"] == 16


def test_the_presenters_hidden_patch_count_goes_to_the_room_and_its_reveal_too(store, monkeypatch):
    """Patches in presenter mode with the answers hidden: the room is asked, with options, and told the answer."""
    monkeypatch.setattr(classroom, "is_instructor", lambda: True)
    at = AppTest.from_file(str(ROOT / "pages" / "patches.py"), default_timeout=120)
    at.query_params["present"] = "1"
    at.session_state["present_hide_answers"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    asked = store.asked()
    assert asked is not None and asked.prompt == "How many patches does this geometry give?"
    assert len(asked.options) >= 3 and all(isinstance(o, str) for o in asked.options)
    reveal = next(b for b in at.button if b.label == "Reveal")
    reveal.click().run()
    assert not at.exception, [e.value for e in at.exception]
    answer = store.revealed(asked.question)
    assert answer in asked.options  # the true count, one of the choices the room had
