"""The room's store (patchlab.room), one suite run against both back ends.

``memory`` is the in-process store of ``make run``; ``redis`` is a real
redis-server (tests/redis_fixture.py: Debian's, on a free loopback port with a
password, no persistence), as ``make room`` runs it. Each test gets a room of
its own. Then the hostile writes, the flood, the caps, expiry, and the Redis
faults (stopped, back on the same port, wrong password).
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from datetime import datetime, timezone

import numpy as np
import pytest
from PIL import Image

from patchlab.room import RoomRefused, RoomUnavailable, open_room
from patchlab.room.ratelimit import RateLimiter
from patchlab.room.store import EVENTS_PER_PARTICIPANT, MAX_PARTICIPANTS, SHARES_KEPT
from redis_fixture import GENEROUS, make_store, redis_server  # noqa: F401 (a fixture)

CLASSIFIER = {"patch_size": 18, "rule": "mean", "budget_s": 30, "steps": 240, "accuracy": 0.93,
              "per_patch": [0.81, 0.79, 0.84, 0.8], "n_test": 500}
INPAINTER = {"domain": "Mountains", "arch": "unet", "budget_s": 120, "gain_domain_db": {"square": 1.2, "brush": 0.8},
             "gain_standard_db": {"square": -0.3, "brush": -0.1}}
FILL = {"psnr": {"unet": 31.2, "telea": 28.4}, "masked_fraction": 0.04, "photo": "sample"}
SPOT = {"method": "telea", "fooled": True}
GUESS = {"question": "inpainting:winner", "answer": "unet"}
T = round(time.time())  # "now" in the tests: the in-process room expires by the clock


def picture(width=64, height=48, fmt="PNG", seed=0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt)
    return out.getvalue()


@pytest.fixture(params=["memory", "redis"])
def store(request):
    return make_store(request.param, request)


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    """The back end's name; the test makes its store with make_store (its own limiter or ttl)."""
    return request.param


# ---------------------------------------------------------------- participants


def test_open_room_picks_the_back_end_from_the_url(monkeypatch, redis_server):
    monkeypatch.delenv("PATCHLAB_REDIS_URL", raising=False)
    assert open_room().backend == "memory"
    monkeypatch.setenv("PATCHLAB_REDIS_URL", redis_server.url)
    assert open_room().backend == "redis"
    assert open_room("").backend == "memory"  # an explicit empty URL wins
    with pytest.raises(ValueError, match="url"):
        open_room("http://127.0.0.1:1")


def test_joining_gives_a_stable_small_number_and_an_automatic_name(store):
    ana = store.join("ana", now=T + 10.0)
    bo = store.join("bo", now=T + 11.0)
    assert (ana.number, bo.number) == (1, 2)
    assert ana.display_name == "Participant 1" and ana.name is None
    again = store.join("ana", now=T + 50.0)
    assert again.number == 1 and again.joined == T + 10.0  # joining twice changes nothing
    assert [p.pid for p in store.participants(now=T + 60.0)] == ["ana", "bo"]


def test_a_display_name_is_plain_text_cleaned_or_refused(store):
    assert store.rename("ana", "  Ana\u202e  María\n", now=T + 1.0).display_name == "Ana María"
    for bad, words in [("x" * 25, "at most 24"), ("<b>boss</b>", "cannot hold"), ("[click](http://x)", "cannot hold"),
                       ("\n\t\u200b", "empty"), (42, "must be text"), ("...", "letter or digit")]:
        with pytest.raises(RoomRefused, match=words):
            store.rename("ana", bad, now=T + 2.0)
    assert store.participant("ana").name == "Ana María"  # a refused name changes nothing
    assert store.rename("ana", None, now=T + 3.0).display_name == "Participant 1"


def test_heartbeats_say_who_is_here_now_and_on_which_page(store):
    store.seen("ana", "inpainting", now=T + 100.0)  # joins too
    store.seen("bo", "train", now=T + 40.0)
    people = {p.pid: p for p in store.participants(now=T + 110.0)}
    assert people["ana"].page == "inpainting" and people["ana"].present(T + 110.0)
    assert people["bo"].page == "train" and not people["bo"].present(T + 110.0)  # 70 s ago: since the start only
    store.seen("bo", "patches", now=T + 111.0)  # a new page is written at once
    assert store.participant("bo").page == "patches"
    with pytest.raises(RoomRefused, match="address"):
        store.seen("ana", "../admin", now=T + 112.0)


@pytest.mark.parametrize("pid", ["", "a b", "x" * 65, None, "ana|bo", "名前"])
def test_a_participant_id_from_the_server_is_checked(store, pid):
    with pytest.raises(ValueError, match="pid"):
        store.record(pid, "spot", SPOT)


def test_leaving_removes_everything_the_room_holds_about_a_participant(store):
    store.rename("ana", "Ana", now=T + 1.0)
    for kind, data in [("fill", FILL), ("classifier_run", CLASSIFIER), ("spot", SPOT), ("guess", GUESS),
                       ("share", {"picture": picture(), "method": "unet"})]:
        store.record("ana", kind, data, now=T + 2.0)
    store.record("bo", "fill", FILL, now=T + 3.0)
    store.record("bo", "guess", {**GUESS, "answer": "telea"}, now=T + 3.0)
    shared = [e.data["picture"] for e in store.events("share")]
    assert store.pictures(shared)
    store.leave("ana")
    snap = store.snapshot(now=T + 4.0)
    assert [p.pid for p in snap.participants] == ["bo"]
    assert [(e.pid, e.kind) for e in snap.events] == [("bo", "fill")]
    assert snap.guesses == {"inpainting:winner": {"bo": "telea"}}
    assert store.pictures(shared) == {}
    assert b"Ana" not in store.export_csv(now=T + 5.0)
    store.leave("nobody")  # leaving twice, or never having joined, is fine


def test_the_room_takes_a_bounded_number_of_participants(backend, request):
    store = make_store(backend, request)
    for i in range(MAX_PARTICIPANTS):
        store.seen(f"p{i}", "home", now=T + 1.0)
    with pytest.raises(RoomRefused, match="full"):
        store.join("one-too-many", now=T + 2.0)
    assert store.participant("p0").number == 1 and store.participant("one-too-many") is None


# ---------------------------------------------------------------- results


def test_each_kind_of_result_is_kept_as_sent(store):
    seqs = [store.record("ana", "classifier_run", CLASSIFIER, now=T + 1.0),
            store.record("ana", "inpainter_run", INPAINTER, now=T + 2.0),
            store.record("bo", "fill", FILL, now=T + 3.0),
            store.record("bo", "spot", SPOT, now=T + 4.0)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    events = store.events()
    assert [(e.pid, e.kind, e.t) for e in events] == [("ana", "classifier_run", T + 1.0), ("ana", "inpainter_run", T + 2.0),
                                                       ("bo", "fill", T + 3.0), ("bo", "spot", T + 4.0)]
    assert events[0].data == {**CLASSIFIER, "budget_s": 30.0}
    assert events[1].data == {**INPAINTER, "budget_s": 120.0}
    assert events[2].data == FILL and events[3].data == SPOT
    assert [e.kind for e in store.events("fill")] == ["fill"]


def test_a_shared_picture_is_decoded_encoded_again_and_capped(store):
    sent = picture(80, 60) + b"trailing bytes a picture does not need"
    store.record("ana", "share", {"picture": sent, "method": "telea"}, now=T + 1.0)
    event = store.events("share")[0]
    assert {k: event.data[k] for k in ("format", "width", "height", "method")} == \
        {"format": "png", "width": 80, "height": 60, "method": "telea"}
    kept = store.pictures([event.data["picture"]])[event.data["picture"]]
    assert kept != sent and event.data["bytes"] == len(kept)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(kept))), np.asarray(Image.open(io.BytesIO(sent))))
    jpeg = picture(100, 100, "JPEG")
    store.record("bo", "share", {"picture": jpeg}, now=T + 2.0)
    assert store.events("share")[1].data["format"] == "jpeg"
    for i in range(SHARES_KEPT):
        store.record(f"p{i % 5}", "share", {"picture": picture(16, 16, seed=i)}, now=T + 3.0 + i)
    ids = [e.data["picture"] for e in store.events("share")]
    kept = store.pictures(ids)
    assert len(ids) == SHARES_KEPT + 2 and list(kept) == ids[-SHARES_KEPT:]  # the newest pictures only


def test_a_guess_is_one_per_participant_and_question_the_last_wins(store):
    store.record("ana", "guess", GUESS, now=T + 1.0)
    store.record("ana", "guess", {**GUESS, "answer": "  Telea "}, now=T + 2.0)
    store.record("bo", "guess", {**GUESS, "answer": 3}, now=T + 2.0)  # a number is taken as its text
    assert store.guesses("inpainting:winner") == {"ana": "Telea", "bo": "3"}
    assert store.events() == []  # guesses are not events
    assert store.revealed("inpainting:winner") is None
    store.reveal("inpainting:winner", "telea")
    assert store.revealed("inpainting:winner") == "telea"
    assert store.snapshot().revealed == {"inpainting:winner": "telea"}


HOSTILE = [
    ("classifier_run", {**CLASSIFIER, "patch_size": 7}, "between 8 and 28"),
    ("classifier_run", {**CLASSIFIER, "patch_size": 29}, "between 8 and 28"),
    ("classifier_run", {**CLASSIFIER, "patch_size": 18.5}, "whole number"),
    ("classifier_run", {**CLASSIFIER, "patch_size": True}, "whole number"),
    ("classifier_run", {**CLASSIFIER, "patch_size": "18"}, "whole number"),
    ("classifier_run", {**CLASSIFIER, "accuracy": 1.5}, "out of range"),
    ("classifier_run", {**CLASSIFIER, "accuracy": -0.01}, "out of range"),
    ("classifier_run", {**CLASSIFIER, "accuracy": float("nan")}, "finite number"),
    ("classifier_run", {**CLASSIFIER, "accuracy": float("inf")}, "finite number"),
    ("classifier_run", {**CLASSIFIER, "per_patch": []}, "1 to 16"),
    ("classifier_run", {**CLASSIFIER, "per_patch": [0.5] * 17}, "1 to 16"),
    ("classifier_run", {**CLASSIFIER, "per_patch": [0.5, 2.0]}, "out of range"),
    ("classifier_run", {**CLASSIFIER, "rule": "median"}, "one of mean"),
    ("classifier_run", {**CLASSIFIER, "budget_s": 0}, "above 0"),
    ("classifier_run", {**CLASSIFIER, "budget_s": 1e9}, "out of range"),
    ("classifier_run", {**CLASSIFIER, "steps": -1}, "out of range"),
    ("classifier_run", {**CLASSIFIER, "n_test": 0}, "out of range"),
    ("classifier_run", {**CLASSIFIER, "owner": "bo"}, "no field 'owner'"),
    ("classifier_run", {k: v for k, v in CLASSIFIER.items() if k != "accuracy"}, "needs the field"),
    ("classifier_run", [1, 2, 3], "named fields"),
    ("inpainter_run", {**INPAINTER, "domain": ""}, "empty"),
    ("inpainter_run", {**INPAINTER, "domain": "x" * 41}, "at most 40"),
    ("inpainter_run", {**INPAINTER, "arch": "gan"}, "one of unet"),
    ("inpainter_run", {**INPAINTER, "gain_domain_db": {"square": 1e6, "brush": 0.1}}, "out of range"),
    ("inpainter_run", {**INPAINTER, "gain_domain_db": {"square": 1.0}}, "each of square, brush"),
    ("inpainter_run", {**INPAINTER, "gain_standard_db": {"square": float("nan"), "brush": 0}}, "finite"),
    ("fill", {**FILL, "psnr": {"magic": 30.0}}, "unknown method"),
    ("fill", {**FILL, "psnr": {}}, "1 to 12"),
    ("fill", {**FILL, "psnr": {"unet": float("inf")}}, "finite"),
    ("fill", {**FILL, "psnr": {"unet": 250.0}}, "out of range"),
    ("fill", {**FILL, "masked_fraction": 0}, "above 0"),
    ("fill", {**FILL, "masked_fraction": 1.5}, "out of range"),
    ("fill", {**FILL, "photo": "/home/ana/me.jpg"}, "one of sample, upload"),
    ("fill", {**FILL, "image": b"\x89PNG"}, "no field 'image'"),
    ("share", {"picture": b"<html><script>alert(1)</script></html>"}, "could not be read"),
    ("share", {"picture": "iVBORw0KGgo="}, "bytes of a PNG or JPEG"),
    ("share", {"picture": b"\x00" * 300_000}, "at most 250 kB"),
    ("share", {"picture": picture(600, 20)}, "at most 512 pixels"),
    ("share", {"picture": picture(32, 32, "GIF")}, "PNG or JPEG"),
    ("share", {"picture": picture()[:200]}, "could not be read"),
    ("share", {"picture": picture(), "method": "photoshop"}, "one of unet"),
    ("guess", {"question": "what is it?", "answer": "x"}, "question id"),
    ("guess", {"question": "q" * 81, "answer": "x"}, "question id"),
    ("guess", {"question": "q1", "answer": "a" * 41}, "at most 40"),
    ("guess", {"question": "q1", "answer": " \n "}, "empty"),
    ("guess", {"question": "q1", "answer": ["unet"]}, "must be text"),
    ("spot", {"method": "telea", "fooled": "yes"}, "true or false"),
    ("spot", {"method": "real", "fooled": False}, "one of unet"),
    ("delete_all", {}, "no event of kind"),
]


@pytest.mark.parametrize("kind, data, words", HOSTILE, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(HOSTILE)])
def test_a_hostile_write_is_refused_with_a_sentence_and_changes_nothing(store, kind, data, words):
    store.record("bo", "spot", SPOT, now=T + 1.0)
    before = store.snapshot(now=T + 2.0)
    with pytest.raises(RoomRefused, match=words) as refused:
        store.record("ana", kind, data, now=T + 2.0)
    message = str(refused.value)
    assert message.endswith(".") and "Traceback" not in message and len(message) < 300
    after = store.snapshot(now=T + 2.0)
    assert (after.events, after.guesses, after.participants) == (before.events, before.guesses, before.participants)


def test_a_flood_from_one_participant_is_refused_not_queued(backend, request):
    store = make_store(backend, request, limiter=RateLimiter())  # the server's own rate: 20 at once, 2 a second
    began = time.monotonic()
    taken, refused = 0, []
    for _ in range(200):
        try:
            store.record("flooder", "spot", SPOT)
            taken += 1
        except RoomRefused as exc:
            refused.append(str(exc))
    elapsed = time.monotonic() - began
    assert 20 <= taken <= 20 + 2 * elapsed + 1
    assert len(refused) == 200 - taken and "Too many results at once" in refused[0]
    assert len(store.events()) == taken
    store.record("someone-else", "spot", SPOT)  # the others are not slowed down
    assert len(store.events()) == taken + 1


def test_a_participant_keeps_a_bounded_number_of_results_and_answers(backend, request):
    store = make_store(backend, request)
    for _ in range(EVENTS_PER_PARTICIPANT):
        store.record("ana", "spot", SPOT, now=T + 1.0)
    with pytest.raises(RoomRefused, match="most it keeps"):
        store.record("ana", "fill", FILL, now=T + 2.0)
    store.record("ana", "guess", GUESS, now=T + 2.0)  # answers are counted apart
    store.record("bo", "spot", SPOT, now=T + 2.0)
    assert len(store.events()) == EVENTS_PER_PARTICIPANT + 1


def test_writes_from_many_threads_are_all_kept_in_one_order(store):
    def participant(k):
        for _ in range(25):
            store.record(f"p{k}", "spot", SPOT)

    threads = [threading.Thread(target=participant, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = store.events()
    assert len(events) == 200 and [e.seq for e in events] == sorted({e.seq for e in events})
    assert sorted(p.number for p in store.participants()) == list(range(1, 9))


# ---------------------------------------------------------------- the presenter and the instructor


def test_the_scene_moves_with_a_revision_that_only_goes_up(store):
    assert store.scene() is None
    first = store.set_scene("workshop", 3, "patches", {"p": 32, "s": 8, "win": "hann", "methods": ["ns", "telea"]})
    scene = store.scene()
    assert scene == (first, "workshop", 3, "patches", {"p": 32, "s": 8, "win": "hann", "methods": ["ns", "telea"]})
    second = store.set_scene("workshop", 4, "upsampling", "up_factor=3&up_init=Random")
    assert second > first and store.scene().settings == {"up_factor": "3", "up_init": "Random"}
    store.clear()
    assert store.scene() is None
    time.sleep(0.01)  # the revision is never below the clock in ms: a scene after a clear is still news
    assert store.set_scene("workshop", 1, "home", {}) > second
    for bad in [("workshop", -1, "home", {}), ("<b>", 1, "home", {}), ("workshop", 1, "home", {"x": {"a": 1}}),
                ("workshop", 1, "home", {"x": "y" * 5000}), ("workshop", 1, "a/b", {})]:
        with pytest.raises(RoomRefused):
            store.set_scene(*bad)


def test_the_presenter_asks_the_room_and_closes_the_question(store):
    assert store.asked() is None
    store.ask("classification:25:14:mean", "Which digit will the network answer?", [str(d) for d in range(10)])
    asked = store.asked()
    assert asked.question == "classification:25:14:mean" and asked.options[3] == "3"
    assert store.scene() is None  # an open question is no scene
    store.set_scene("workshop", 2, "patches", {})
    assert store.asked() == asked and store.scene().number == 2  # the two live side by side
    store.ask(None)
    assert store.asked() is None
    for bad in [("q", "", ["a", "b"]), ("q", "Which?", ["a"]), ("q", "x" * 121, ["a", "b"]),
                ("q", "Which?", ["y" * 41, "b"]), ("<bad id>" * 20, "Which?", ["a", "b"])]:
        with pytest.raises(RoomRefused):
            store.ask(*bad)
    store.ask("q", "Which?", ["a", "b"])
    store.clear()
    assert store.asked() is None


def test_clear_deletes_everything(store):
    store.rename("ana", "Ana")
    store.record("ana", "fill", FILL)
    store.record("ana", "share", {"picture": picture()})
    store.record("ana", "guess", GUESS)
    store.reveal("inpainting:winner", "unet")
    store.set_scene("workshop", 1, "home", {})
    shared = [e.data["picture"] for e in store.events("share")]
    store.clear()
    snap = store.snapshot()
    assert (snap.participants, snap.events, snap.guesses, snap.revealed, snap.scene) == ((), (), {}, {}, None)
    assert store.pictures(shared) == {}
    assert store.join("ana").number == 1  # numbering starts again


def test_the_csv_has_a_row_per_result_and_guess_and_no_formula(store):
    store.rename("ana", "=HYPERLINK(1)", now=T + 1.0)
    store.record("ana", "fill", FILL, now=T + 2.0)
    store.record("ana", "inpainter_run", {**INPAINTER, "domain": "@SUM(A1:A9)"}, now=T + 3.0)
    store.record("bo", "guess", {"question": "q1", "answer": "-2+3"}, now=T + 4.0)
    store.record("bo", "share", {"picture": picture()}, now=T + 5.0)
    store.reveal("q1", "1")
    rows = list(csv.DictReader(io.StringIO(store.export_csv(now=T + 6.0).decode("utf-8-sig"))))
    assert [r["kind"] for r in rows] == ["fill", "inpainter_run", "share", "guess"]
    assert rows[0]["name"] == "'=HYPERLINK(1)" and rows[0]["participant"] == "1" and rows[0]["psnr.unet"] == "31.2"
    assert rows[0]["time"] == datetime.fromtimestamp(T + 2, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert rows[1]["domain"] == "'@SUM(A1:A9)" and rows[1]["gain_standard_db.square"] == "-0.3"  # a number stays one
    assert rows[3]["answer"] == "'-2+3" and rows[3]["revealed"] == "1" and rows[3]["name"] == ""
    assert rows[2]["width"] == "64" and "picture" not in rows[2]  # the picture's size, not the picture


# ---------------------------------------------------------------- expiry


def test_the_room_forgets_everything_12_hours_after_its_last_write_in_process():
    store = open_room("", limiter=RateLimiter(**GENEROUS))
    store.record("ana", "fill", FILL, now=T)
    store.record("ana", "spot", SPOT, now=T + 40_000)  # a write keeps the room alive
    assert len(store.snapshot(now=T + 40_000 + 43_199).events) == 2
    assert store.snapshot(now=T + 40_000 + 43_201).events == ()


def test_the_room_forgets_everything_after_its_last_write_in_redis(redis_server, request):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    store = make_store("redis", request)
    store.record("ana", "share", {"picture": picture()})
    keys = client.keys(f"patchlab:room:{store.room}:*")
    assert len(keys) == 8 and all(43_100 <= client.ttl(k) <= 43_200 for k in keys)  # 12 h, refreshed together
    short = make_store("redis", request, ttl_s=1)
    short.record("ana", "fill", FILL)
    short.set_scene("workshop", 1, "home", {})
    time.sleep(2.2)
    assert client.keys(f"patchlab:room:{short.room}:*") == []
    assert short.snapshot().events == () and short.scene() is None


# ---------------------------------------------------------------- Redis faults


def test_a_stopped_redis_is_one_plain_sentence_and_the_room_comes_back_without_a_restart(redis_server, request,
                                                                                           caplog):
    caplog.set_level(logging.DEBUG)
    store = make_store("redis", request)
    store.record("ana", "fill", FILL)
    redis_server.stop()
    try:
        for call in (lambda: store.record("ana", "fill", FILL), store.snapshot, store.scene,
                     lambda: store.seen("bo", "home", now=time.time() + 60), lambda: store.leave("ana")):
            began = time.monotonic()
            with pytest.raises(RoomUnavailable) as failed:
                call()
            assert time.monotonic() - began < 2.0  # no page hangs on a dead store
            assert str(failed.value) == "The room's data is unavailable right now (its store does not answer); " \
                                        "everything else works as before."
        assert redis_server.password not in caplog.text + repr(store)
    finally:
        redis_server.start()  # the same port and password; empty (nothing was saved)
    deadline = time.monotonic() + 10
    while True:
        try:
            store.record("bo", "spot", SPOT)
            break
        except RoomUnavailable:
            assert time.monotonic() < deadline, "the store did not come back within 10 s of Redis"
            time.sleep(0.2)
    assert [(e.pid, e.kind) for e in store.events()] == [("bo", "spot")]
    assert redis_server.password not in caplog.text


def test_a_wrong_password_is_unavailable_and_never_shown(redis_server, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = redis_server.url.replace(redis_server.password, "not-the-password-x9")
    store = open_room(wrong)
    with pytest.raises(RoomUnavailable) as failed:
        store.join("ana")
    assert "not-the-password-x9" not in str(failed.value) + caplog.text + repr(store)
    assert store.ping() is False and open_room(redis_server.url).ping() is True


def test_two_replicas_see_one_room_even_as_events_are_removed_and_the_room_is_cleared(redis_server, request):
    r1 = make_store("redis", request)
    r2 = open_room(redis_server.url, room=r1.room, limiter=RateLimiter(**GENEROUS))  # another replica's store
    r1.record("ana", "fill", FILL, now=T + 1)
    r1.record("bo", "spot", SPOT, now=T + 2)
    assert [e.pid for e in r2.snapshot().events] == ["ana", "bo"]  # r2 has read (and keeps) both
    r1.record("cy", "spot", SPOT, now=T + 3)
    assert [e.pid for e in r2.snapshot().events] == ["ana", "bo", "cy"]  # the new one is added
    r1.leave("ana")
    r1.record("dee", "spot", SPOT, now=T + 4)
    assert [e.pid for e in r2.snapshot().events] == ["bo", "cy", "dee"]  # a removal is seen, not just the tail
    r1.clear()
    for pid in ("x1", "x2", "x3", "x4"):  # as many events as r2 had read, and more
        r1.record(pid, "fill", FILL, now=T + 1)
    assert [e.pid for e in r2.snapshot().events] == ["x1", "x2", "x3", "x4"]
    assert [e.seq for e in r2.events()] == [1, 2, 3, 4]
    r2.rename("x1", "Xavier")
    assert r1.participant("x1").display_name == "Xavier"


def test_the_rooms_choices_are_the_apps_own():
    """The kinds' choices come from (or are kept equal to) the pages' own lists."""
    from patchlab.classification.fusion import RULES
    from patchlab.inpainting.demo import METHODS
    from patchlab.inpainting.evaluate import FAMILIES as EVAL_FAMILIES
    from patchlab.inpainting.live import ARCHS as LIVE_ARCHS
    from patchlab.room.events import ARCHS, FAMILIES, method_keys, rules

    assert ARCHS == tuple(LIVE_ARCHS) and FAMILIES == tuple(EVAL_FAMILIES)
    assert rules() == tuple(RULES) and method_keys() == ("unet", *METHODS)
