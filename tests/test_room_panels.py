"""The Room page's panels (patchlab.room.panels) from seeded events, on both back ends alike."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from patchlab.room.panels import (GalleryItem, LEFT, MethodWins, SpotRate, gallery, guess_tallies, room_panels,
                                  wilson_interval)
from redis_fixture import make_store, redis_server  # noqa: F401 (a fixture)

T = round(time.time())
RUN = {"budget_s": 30, "steps": 200, "per_patch": [0.7, 0.72, 0.75, 0.71], "n_test": 500}
GAIN = {"gain_standard_db": {"square": -0.2, "brush": 0.1}}


def _picture(seed):
    out = io.BytesIO()
    Image.fromarray(np.full((20, 30, 3), seed * 40, np.uint8)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(params=["memory", "redis"])
def seeded(request):
    """A room of four: ana and bo here now, cy seen long ago, dee only named."""
    room = make_store(request.param, request)
    room.seen("ana", "inpainting", now=T + 100)
    room.seen("bo", "train", now=T + 95)
    room.seen("cy", "patches", now=T + 10)
    room.rename("dee", "Dee", now=T + 20)
    for pid, p, acc, rule in [("ana", 18, 0.94, "mean"), ("bo", 18, 0.90, "product"), ("cy", 10, 0.80, "mean"),
                              ("ana", 10, 0.84, "vote"), ("dee", 28, 0.97, "mean")]:
        room.record(pid, "classifier_run", {**RUN, "patch_size": p, "accuracy": acc, "rule": rule}, now=T + 30)
    room.record("ana", "inpainter_run", {"domain": "Mountains", "arch": "unet", "budget_s": 120,
                                         "gain_domain_db": {"square": 1.5, "brush": 0.9}, **GAIN}, now=T + 31)
    room.record("bo", "inpainter_run", {"domain": "Beach", "arch": "seed", "budget_s": 60, "domain_views": 12,
                                        "gain_domain_db": {"square": 0.4, "brush": -0.2}, **GAIN}, now=T + 32)
    fill = {"masked_fraction": 0.05, "photo": "sample"}
    for pid, psnr in [("ana", {"unet": 30.0, "telea": 28.0}), ("bo", {"unet": 25.0, "telea": 27.0, "ns": 26.0}),
                      ("cy", {"unet": 33.0, "ns": 29.0}), ("dee", {"telea": 20.0, "seed": 20.0})]:
        room.record(pid, "fill", {**fill, "psnr": psnr}, now=T + 40)
    for k, pid in enumerate(["ana", "bo", "cy"]):
        room.record(pid, "share", {"picture": _picture(k), "method": "unet"}, now=T + 50 + k)
    for pid, answer in [("ana", "7"), ("bo", "7 "), ("cy", "1"), ("dee", "seven")]:
        room.record(pid, "guess", {"question": "digit", "answer": answer}, now=T + 60)
    room.record("ana", "guess", {"question": "winner", "answer": "unet"}, now=T + 60)
    room.reveal("digit", "7")
    for pid, method, fooled in [("ana", "telea", True), ("bo", "telea", True), ("cy", "telea", False),
                                ("ana", "unet", False), ("bo", "unet", False)]:
        room.record(pid, "spot", {"method": method, "fooled": fooled}, now=T + 70)
    room.set_scene("workshop", 5, "inpainting", {"photo": "coffee"})
    return room


def test_who_is_here_now_and_since_the_start(seeded):
    who = room_panels(seeded.snapshot(now=T + 110)).who
    assert (who.now, who.since_start, who.pages) == (2, 4, {"inpainting": 1, "train": 1})
    assert [(p.name, p.here, p.page) for p in who.people] == [
        ("Participant 1", True, "inpainting"), ("Participant 2", True, "train"),
        ("Participant 3", False, "patches"), ("Dee", False, None)]
    assert who.people[0].seen_s_ago == 10 and who.people[3].seen_s_ago is None


def test_the_rooms_classifier_sweep_with_the_median_per_patch_size(seeded):
    sweep = room_panels(seeded.snapshot(now=T + 110)).sweep
    assert sweep.medians == {10: (pytest.approx(0.82), 2), 18: (pytest.approx(0.92), 2), 28: (0.97, 1)}
    assert sweep.participants == 4 and len(sweep.points) == 5
    first = sweep.points[0]
    assert (first.patch_size, first.accuracy, first.rule, first.budget_s, first.n_test, first.name) == \
        (18, 0.94, "mean", 30.0, 500, "Participant 1")


def test_the_rooms_inpainter_runs_newest_first(seeded):
    runs = room_panels(seeded.snapshot(now=T + 110)).inpainters
    assert [(r["name"], r["domain"], r["arch"]) for r in runs] == [("Participant 2", "Beach", "seed"),
                                                                  ("Participant 1", "Mountains", "unet")]
    assert runs[0]["gain_domain_db"] == {"square": 0.4, "brush": -0.2} and runs[0]["domain_views"] == 12


def test_which_method_won_in_this_room(seeded):
    panels = room_panels(seeded.snapshot(now=T + 110))
    assert panels.n_fills == 4
    assert panels.fills == [MethodWins("unet", 2, 3, 30.0), MethodWins("telea", 2, 3, 27.0),
                            MethodWins("seed", 1, 1, 20.0), MethodWins("ns", 0, 2, 27.5)]  # a tie wins for both


def test_the_gallery_is_newest_first_capped_and_its_pictures_are_there(seeded):
    snap = seeded.snapshot(now=T + 110)
    items = gallery(snap, limit=2)
    assert [(i.name, i.method, i.width, i.height) for i in items] == [("Participant 3", "unet", 30, 20),
                                                                      ("Participant 2", "unet", 30, 20)]
    pictures = seeded.pictures([i.picture for i in items])
    assert [Image.open(io.BytesIO(pictures[i.picture])).getpixel((0, 0)) for i in items] == [(80, 80, 80),
                                                                                           (40, 40, 40)]
    assert len(room_panels(snap).gallery) == 3
    with pytest.raises(ValueError, match="limit"):
        gallery(snap, limit=-1)


def test_the_rooms_guesses_beside_the_revealed_answer(seeded):
    digit, winner = guess_tallies(seeded.snapshot(now=T + 110))
    assert (digit.question, digit.counts, digit.answers, digit.revealed, digit.right) == \
        ("digit", (("7", 2), ("1", 1), ("seven", 1)), 4, "7", 2)
    assert (winner.question, winner.counts, winner.revealed, winner.right) == ("winner", (("unet", 1),), None, None)


def test_spot_the_fill_fooling_rate_per_method_with_its_interval(seeded):
    telea, unet = room_panels(seeded.snapshot(now=T + 110)).spot
    assert telea == SpotRate("telea", 2, 3, pytest.approx(2 / 3), *wilson_interval(2, 3))
    assert (unet.method, unet.fooled, unet.rounds, unet.rate, unet.low) == ("unet", 0, 2, 0.0, 0.0)
    assert 0.3 < unet.high < 0.7  # two rounds say little, and the interval shows it


def test_a_participant_who_left_leaves_the_panels(seeded):
    seeded.leave("ana")
    panels = room_panels(seeded.snapshot(now=T + 110))
    assert panels.who.since_start == 3 and panels.n_fills == 3
    assert all(p.name != "Participant 1" for p in panels.sweep.points)
    assert [g.name for g in panels.gallery] == ["Participant 3", "Participant 2"]
    assert panels.scene[1:] == ("workshop", 5, "inpainting", {"photo": "coffee"})


def test_an_empty_room_has_empty_panels():
    from patchlab.room import open_room

    panels = room_panels(open_room("").snapshot())
    assert (panels.who.now, panels.sweep.points, panels.fills, panels.n_fills, panels.gallery, panels.guesses,
            panels.spot, panels.scene) == (0, (), [], 0, [], [], [], None)


def test_the_wilson_interval_agrees_with_scipy():
    from scipy.stats import binomtest

    assert wilson_interval(0, 0) == (0.0, 1.0)
    for k, n in [(0, 10), (1, 3), (2, 3), (10, 10), (81, 263), (50, 100)]:
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(k, n) == pytest.approx((ci.low, ci.high), abs=1e-4), (k, n)
    assert LEFT and GalleryItem  # public names
