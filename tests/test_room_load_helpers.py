"""The room load test's pure helpers (tests/room_load.py is run by `make loadtest ROOM=2`, not by pytest)."""

import math

import pytest

import room_load

SCENES = [
    ("home", {}),
    ("patches", {"img": "astronaut", "p": "64", "s": "64", "win": "uniform"}),
    ("patches", {"img": "astronaut", "p": "48", "s": "16", "win": "uniform"}),
    ("patches", {"img": "astronaut", "p": "48", "s": "16", "win": "hann"}),
    ("inpainting", {"photo": "coffee", "methods": ("seed", "telea")}),
]


def test_scene_of_matches_page_and_every_setting():
    assert room_load.scene_of("/patches?img=astronaut&p=48&s=16&win=hann", SCENES) == 4
    assert room_load.scene_of("http://h:1/patches?win=uniform&s=16&p=48&img=astronaut&edge=shift", SCENES) == 3
    assert room_load.scene_of("/patches?img=astronaut&p=48&s=16", SCENES) is None  # the window is missing
    assert room_load.scene_of("/upsampling?img=astronaut&p=48&s=16&win=hann", SCENES) is None  # another page
    assert room_load.scene_of("/inpainting?photo=coffee&methods=seed&methods=telea", SCENES) == 5
    assert room_load.scene_of("/inpainting?photo=coffee&methods=seed", SCENES) is None  # one choice short
    assert room_load.scene_of("/", SCENES) == 1
    assert room_load.page_of("http://h:1/") == "home" and room_load.page_of("/patches/?p=1") == "patches"


def test_arrivals_take_the_first_matching_address_after_each_click():
    log = [
        {"url": "/", "at": 1_000, "shown": 1_500},
        {"url": "/patches?img=astronaut&p=64&s=64&win=uniform", "at": 12_500, "shown": 14_000},
        {"url": "/patches?img=astronaut&p=48&s=16&win=uniform", "at": 23_000, "shown": None},
    ]
    nexts = {2: 10_000.0, 3: 20_000.0, 4: 30_000.0}
    got = room_load.arrivals(log, nexts, SCENES)
    assert got == {2: {"url_s": 2.5, "shown_s": 4.0}, 3: {"url_s": 3.0, "shown_s": None}}  # scene 4 never came
    # an address of a scene seen before its click does not count for that click
    assert room_load.arrivals(log, {2: 13_000.0}, SCENES) == {}


def test_ratio_interval_is_the_ratio_of_percentiles_with_a_seeded_bootstrap():
    before = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    after = [2 * v for v in before]
    ratio, low, high = room_load.ratio_interval(before, after, q=95)
    assert ratio == pytest.approx(2.0)
    assert low <= ratio <= high and low > 0
    assert room_load.ratio_interval(before, after, q=95) == (ratio, low, high)  # seeded
    same = room_load.ratio_interval([3.0] * 5, [3.0] * 8)
    assert same == (1.0, 1.0, 1.0)
    assert all(math.isnan(x) for x in room_load.ratio_interval([], [1.0]))


def test_placement_and_order_keep_the_halves_comparable():
    assert [room_load.replica_of(k) for k in range(4)] == ["r1", "r2", "r1", "r2"]
    assert [room_load.replica_of(k, 3) for k in range(4)] == ["r1", "r2", "r3", "r1"]
    assert room_load.order_of(1) == [False, True]
    assert room_load.order_of(2) == [False, True, True, False]


def test_arguments_are_checked():
    args = room_load.parse_args(["--url", "http://127.0.0.1:1", "--state", "run/x"])
    assert args.sessions == 20 and args.scenes == 5 and args.max_ratio == 1.10
    for bad in (["--sessions", "1"], ["--rounds", "0"], ["--scenes", "0"]):
        with pytest.raises(SystemExit):
            room_load.parse_args(["--url", "http://127.0.0.1:1", "--state", "run/x", *bad])


def test_a_scene_is_compared_as_its_address_shows_it():
    # the presenter's page at a scene whose settings are partly the page's defaults: the address omits them
    page, settings = room_load.shown_scene("http://h:1/patches?p=48&s=16&present=1&scene=3&lang=zh")
    assert (page, settings) == ("patches", {"p": "48", "s": "16"})
    assert room_load.shown_scene("/inpainting?methods=seed&methods=telea")[1] == {"methods": ("seed", "telea")}
    scenes = [("home", {}), ("patches", {}), ("patches", settings)]
    # a follower on the bare page is at the scene whose settings are all defaults, one with p and s at the next
    assert room_load.scene_of("/patches", scenes) == 2
    assert room_load.scene_of("/patches?s=16&p=48", scenes) == 3
