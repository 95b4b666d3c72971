"""The app in front of a room: every page at a projector's and a phone's size, and presenter mode.

One app server for the whole session (``app_url``). Screenshots are kept as
``tests/artifacts/room-<page>-<size>.png``; look at them.
"""

from urllib.parse import parse_qs, urlsplit

import pytest

from apprunner import ARTIFACTS, ROOT
from conftest import ROOM_SIZES, assert_no_exception, full_screenshot, page_url, room_pages, wait_for_app
from patchlab.storyboard import load_storyboard

MAIN = '[data-testid="stMainBlockContainer"]'
PAGES = room_pages()
TITLES = dict(PAGES)


def test_a_shared_link_is_percent_encoded_and_keeps_repeated_parameters():
    from patchlab.ui.room import share_link

    link = share_link("http://10.0.0.5:8501/inpainting?old=1#top",
                      {"photo": "coffee (never seen in training)", "methods": ["Tutorial autoencoder", "OpenCV Telea"],
                       "brush": "30", "evil": "a&b=c"})
    assert link == ("http://10.0.0.5:8501/inpainting?photo=coffee+%28never+seen+in+training%29"
                    "&methods=Tutorial+autoencoder&methods=OpenCV+Telea&brush=30&evil=a%26b%3Dc")
    assert parse_qs(urlsplit(link).query)["methods"] == ["Tutorial autoencoder", "OpenCV Telea"]
    assert share_link("http://h:1/patches", {}) == "http://h:1/patches"


@pytest.mark.browser
@pytest.mark.parametrize("size", list(ROOM_SIZES))
@pytest.mark.parametrize("name", [name for name, _ in PAGES])
def test_every_page_fits_and_stays_on_this_server(room, app_url, name, size):
    rp = room(size)
    pg = rp.page
    pg.goto(page_url(app_url, name))
    wait_for_app(pg, timeout=120_000)
    pg.get_by_role("heading", name=TITLES[name]).first.wait_for()
    assert_no_exception(pg)
    widths = pg.eval_on_selector(MAIN, "e => [e.scrollWidth, e.clientWidth]")
    full_screenshot(pg, ARTIFACTS / f"room-{name}-{size}.png")
    assert widths[0] <= widths[1] + 1, f"{name} at {size}: the main block is {widths[0]} px wide in {widths[1]} px"
    assert rp.foreign_requests() == [], f"{name} at {size} asked another host"


def _query(url):
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def _unfocus(pg):
    """No widget has the keyboard (an arrow key in a slider moves the slider)."""
    pg.evaluate("() => document.activeElement && document.activeElement.blur()")


def _wait_for_scene(pg, number):
    """Until the URL names scene ``number`` (a page switch changes the URL without loading a document)."""
    pg.wait_for_function("n => new URLSearchParams(location.search).get('scene') === String(n)", arg=number,
                         timeout=60_000)


@pytest.mark.browser
def test_presenter_mode_steps_through_the_workshop_with_the_arrow_keys(room, app_url):
    board = load_storyboard(ROOT / "presentations" / "workshop.toml", pages=TITLES)
    rp = room("1920x1080")
    pg = rp.page
    pg.goto(page_url(app_url, "home", "present=1"))
    wait_for_app(pg)
    bar = pg.locator(".st-key-scene_bar")
    assert board.title in bar.inner_text()
    for number, scene in enumerate(board.scenes, 1):
        _unfocus(pg)
        pg.keyboard.press("ArrowRight")
        _wait_for_scene(pg, number)
        wait_for_app(pg, timeout=120_000)
        pg.get_by_role("heading", name=TITLES[scene.page]).first.wait_for()
        assert_no_exception(pg)
        assert f"Scene {number} of {len(board)}" in bar.inner_text()
        assert scene.point in bar.inner_text()
        query = _query(pg.url)
        assert query.get("present") == "1"
        for key, value in scene.settings.items():  # the scene's value (as the page writes it), or absent: the default
            if isinstance(value, str) and key in query:
                assert query[key].lower().replace(" ", "") == value.lower().replace(" ", ""), \
                    f"scene {number}: {key}={query[key]!r}, the scene says {value!r}"
        if scene.page == "patches" and scene.settings.get("p") == "48" and scene.settings.get("s") == "16":
            assert pg.get_by_text("900", exact=True).count() >= 1, "48-px patches every 16 px: 30 x 30"
    assert pg.get_by_role("button", name="Next").is_disabled()
    full_screenshot(pg, ARTIFACTS / "room-presenter-last-scene.png")
    # and back: the left arrow key
    _unfocus(pg)
    pg.keyboard.press("ArrowLeft")
    _wait_for_scene(pg, len(board) - 1)
    wait_for_app(pg, timeout=120_000)
    pg.get_by_role("heading", name=TITLES[board.scenes[-2].page]).first.wait_for()
    assert_no_exception(pg)
    assert rp.foreign_requests() == []


@pytest.mark.browser
def test_copy_link_gives_this_page_with_its_settings(room, app_url):
    rp = room("1920x1080")
    pg = rp.page
    link = f"{app_url}/inpainting?methods=Tutorial+autoencoder&methods=OpenCV+Telea&tool=Eraser&brush=40"
    pg.goto(link)
    wait_for_app(pg, timeout=120_000)
    pg.get_by_role("button", name="Copy link").click()
    shown = pg.locator('[data-testid="stPopoverBody"] code').first
    shown.wait_for()
    copied = shown.inner_text().strip()
    assert urlsplit(copied).path == "/inpainting"
    from patchlab.images import sample_names
    from patchlab.inpainting.demo import read_link

    # the copied link carries the same settings (written the page's own way: method keys, not labels)
    samples = sample_names()
    assert read_link(parse_qs(urlsplit(copied).query), samples) == read_link(parse_qs(urlsplit(link).query), samples)
    assert_no_exception(pg)
