"""The Patches page in a room (issue 17): links, a photo switch, away and back, readable maps.

AppTest drives the page through the router (``app.py``), as a participant
would reach it; the browser tests at the end check what AppTest cannot see
(the address bar, the sidebar links, a phone-sized screen).
"""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from conftest import assert_no_exception, wait_for_app

ROOT = Path(__file__).resolve().parents[1]
LINK = {"img": "astronaut", "p": "48", "s": "16", "win": "tent", "edge": "shift"}
SETTING_KEYS = ("pt_choice", "pt_linked", "pt_ph", "pt_pw", "pt_sh", "pt_sw", "pt_window", "pt_edge", "pt_hi")


def open_patches(query=None, timeout=120):
    """The app, switched to Patches (with ``query`` in the URL), after one run."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page("pages/patches.py")
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def settings(at):
    return {key: at.session_state[key] for key in SETTING_KEYS}


def url(at):
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def captions(at):
    return [c for image in at.get("image") for c in image.captions]


def test_a_link_opens_the_page_with_its_settings():
    at = open_patches(LINK)
    s = settings(at)
    assert (s["pt_choice"], s["pt_linked"], s["pt_ph"], s["pt_sh"]) == ("astronaut", True, 48, 16)
    assert (s["pt_window"], s["pt_edge"]) == ("tent", "shift")
    assert at.sidebar.slider(key="pt_ph").value == 48 and at.sidebar.slider(key="pt_sh").value == 16
    assert metric(at, "Patches") == f"{((512 - 48) // 16 + 1) ** 2:,}"  # 30 x 30: the grid reaches the far edge
    assert url(at) == {k: v for k, v in LINK.items() if k != "img"}  # the photo is the default one
    assert not at.warning and not at.info


def test_switching_photo_keeps_patch_and_stride():
    at = open_patches(LINK)
    at.sidebar.selectbox(key="pt_choice").set_value("coffee").run()
    assert not at.exception
    s = settings(at)
    assert (s["pt_ph"], s["pt_pw"], s["pt_sh"], s["pt_sw"]) == (48, 48, 16, 16)
    assert at.sidebar.slider(key="pt_ph").value == 48 and at.sidebar.slider(key="pt_sh").value == 16
    assert (s["pt_window"], s["pt_edge"]) == ("tent", "shift")
    rows, cols = (341 - 48) // 16 + 2, (512 - 48) // 16 + 1  # coffee is shown at 341x512
    assert metric(at, "Patches") == f"{rows * cols:,}"
    assert url(at)["p"] == "48" and url(at)["s"] == "16" and url(at)["img"] == "coffee"
    assert not at.info  # nothing had to be reduced


def test_switching_to_a_smaller_photo_reduces_only_what_no_longer_fits():
    at = open_patches({"p": "400", "s": "100"})
    assert at.sidebar.slider(key="pt_ph").value == 400
    at.sidebar.selectbox(key="pt_choice").set_value("coffee").run()  # 341 px high
    assert at.sidebar.slider(key="pt_ph").value == 341
    assert at.sidebar.slider(key="pt_sh").value == 100  # still at most twice the patch: kept
    assert [i.value for i in at.info] == ["The patch 400×400 is larger than the image (341×512); it was reduced to 341×341."]
    at.sidebar.selectbox(key="pt_choice").set_value("astronaut").run()
    assert at.sidebar.slider(key="pt_ph").value == 341  # the reduced value stays: no jump back, never to 1


def png(height, width):
    import io

    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(1).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploading_a_small_photo_reduces_the_patch_to_it_and_keeps_the_stride():
    at = open_patches(LINK)
    at.sidebar.selectbox(key="pt_choice").set_value("Upload your own…").run()
    at.sidebar.file_uploader(key="pt_upload").set_value(("small.png", png(40, 50), "image/png")).run()
    assert not at.exception and not at.error
    assert at.sidebar.slider(key="pt_ph").value == 40 and at.sidebar.slider(key="pt_ph").max == 40
    assert at.sidebar.slider(key="pt_sh").value == 16
    assert [i.value for i in at.info] == ["The patch 48×48 is larger than the image (40×50); it was reduced to 40×40."]
    assert metric(at, "Patches") == f"{1 * ((50 - 40) // 16 + 2)}"  # shift: one row, 2 columns
    assert "img" not in url(at) and url(at)["p"] == "40"  # an upload cannot travel in a link; its geometry can


def test_away_and_back_restores_exactly_what_the_participant_had():
    at = open_patches(LINK)
    at.sidebar.selectbox(key="pt_choice").set_value("coffee").run()
    at.sidebar.toggle(key="pt_linked").set_value(False).run()
    at.sidebar.slider(key="pt_pw").set_value(40).run()
    at.sidebar.slider(key="pt_hi").set_value(7).run()
    before, link_before = settings(at), url(at)
    assert (before["pt_ph"], before["pt_pw"], before["pt_hi"]) == (48, 40, 7)
    at.switch_page("pages/home.py")
    at.run()
    assert at.title[0].value == "PatchLab"
    at.query_params.clear()  # the sidebar link to Patches carries no query string
    at.switch_page("pages/patches.py")
    at.run()
    assert not at.exception
    assert settings(at) == before
    assert at.sidebar.slider(key="pt_pw").value == 40 and at.sidebar.slider(key="pt_hi").value == 7
    assert url(at) == link_before  # the page writes the same link back
    assert not at.warning


def test_a_default_visit_survives_away_and_back():
    at = open_patches()
    before = settings(at)
    at.switch_page("pages/home.py")
    at.run()
    at.query_params.clear()
    at.switch_page("pages/patches.py")
    at.run()
    assert settings(at) == before and before["pt_linked"] is True
    assert url(at) == {} and metric(at, "Patches") == "225"  # every setting at its default: a clean address


def test_a_scene_in_the_same_session_is_followed():
    at = open_patches(LINK)
    # what patchlab.ui.link.enter() leaves for the page: a storyboard scene, the presenter followed
    at.session_state["link_pending"] = ("patches", {"p": "20x30", "s": "10", "win": "gaussian"}, None)
    at.switch_page("pages/patches.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    s = settings(at)
    assert (s["pt_linked"], s["pt_ph"], s["pt_pw"], s["pt_sh"], s["pt_sw"]) == (False, 20, 30, 10, 10)
    assert s["pt_window"] == "gaussian" and s["pt_edge"] == "shift"  # what the scene leaves out is kept
    at.query_params.update({"p": "8"})  # the page's own address changing in a rerun is not a link to follow
    at.run()
    assert settings(at)["pt_ph"] == 20


def test_a_malformed_link_gets_one_plain_notice_and_the_defaults():
    at = open_patches({"p": "banana", "s": "-3", "win": "<script>", "hi": "x", "img": "nope"})
    assert len(at.warning) == 1
    notice = at.warning[0].value
    assert notice.startswith("Part of this link could not be used: ")  # the same words on every page
    for phrase in ("patch size `banana` (expected a size in pixels like 16 or 16x24)", "stride `-3`",
                   "blending window `<script>` (expected", "highlighted patch `x`", "photo `nope`"):
        assert phrase in notice
    assert metric(at, "Patches") == "225"
    assert url(at) == {}  # the ignored values left the address; the defaults make a clean one
    at.sidebar.slider(key="pt_sh").set_value(16).run()
    assert not at.warning  # shown once, not on every change


def test_a_size_too_large_says_so_and_names_the_limit():
    at = open_patches({"p": "99999"})
    assert len(at.warning) == 1
    assert "patch size `99999` (expected a size from 1 to 512 px)" in at.warning[0].value


def test_a_limited_stride_shows_the_same_value_in_the_slider_and_the_note():
    at = open_patches({"p": "16", "s": "40"})
    assert at.sidebar.slider(key="pt_sh").value == 32
    assert at.sidebar.slider(key="pt_sh").max == 32
    assert [i.value for i in at.info] == ["The stride 40×40 was limited to 32×32: at most twice the patch (16×16)."]
    assert url(at) == {"p": "16"}  # the stride in use is the default, 32


def test_the_intro_says_whether_patches_overlap():
    at = open_patches({"p": "14", "s": "14"})
    intro = at.markdown[0].value
    assert "cut into touching **patches**" in intro and "overlapping" not in intro
    at.sidebar.slider(key="pt_sh").set_value(7).run()
    assert "cut into overlapping **patches**" in at.markdown[0].value


def test_the_grid_caption_uses_ordinals():
    at = open_patches({"p": "8", "s": "5", "edge": "valid"})
    assert any("Outlines of every 3rd patch row and column" in c for c in captions(at))


def test_weight_and_error_maps_state_their_scales():
    at = open_patches({"win": "hann"})
    weight = next(c for c in captions(at) if c.startswith("Weight map"))
    assert "on a log scale; true range 0.952 to 183,000" in weight  # numbers for people, not 1.83e+05
    error = next(c for c in captions(at) if c.startswith("|merged − original|"))
    assert "fixed scale, 0 to 16 float32 ε" in error
    at = open_patches({"win": "uniform"})
    assert any("on a linear scale; true range 0.25 to 1" in c for c in captions(at))


def test_presenter_mode_shows_the_patch_count_large_and_folds_the_timings():
    at = open_patches()
    assert metric(at, "Patches") == "225"
    assert any(c.value.startswith("Engine timings") for c in at.caption)
    at.sidebar.toggle(key="present").set_value(True).run()
    assert "Patches" not in [m.label for m in at.metric]
    assert "# 225" in [m.value for m in at.markdown]
    timings = next(e for e in at.expander if e.label == "Engine timings")
    assert any(c.value.startswith("Engine timings for this image") for c in timings.caption)


def test_predict_then_reveal_hides_the_patch_count_until_clicked():
    # the page file on its own: through app.py, AppTest reruns every run once more
    # (ensure_router, see patchlab.ui.router), which drops a button's click
    at = AppTest.from_file(str(ROOT / "pages" / "patches.py"), default_timeout=120)
    at.query_params.update(LINK)
    at.run()
    at.sidebar.toggle(key="present").set_value(True).run()
    at.sidebar.toggle(key="present_hide_answers").set_value(True).run()
    assert "# 900" not in [m.value for m in at.markdown]
    reveal = next(b for b in at.button if b.label == "Reveal")
    reveal.click().run()
    assert "# 900" in [m.value for m in at.markdown]
    at.sidebar.slider(key="pt_sh").set_value(24).run()  # a new question: hidden again
    assert not any(m.value.startswith("# ") for m in at.markdown)


def test_reset_puts_the_defaults_back():
    at = open_patches(LINK)
    at.sidebar.button(key="reset_pt_choice").click().run()
    s = settings(at)
    assert (s["pt_ph"], s["pt_sh"], s["pt_window"], s["pt_edge"]) == (64, 32, "hann", "pad")
    assert metric(at, "Patches") == "225" and url(at) == {}


# --- in the browser: the address bar, the sidebar links, a projector and a phone

ARTIFACTS = ROOT / "tests" / "artifacts"
SIZES = {"desktop": dict(viewport={"width": 1920, "height": 1080}),
         "phone": dict(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)}


def query_of(page_url):
    return {k: v[-1] for k, v in parse_qs(urlsplit(page_url).query).items()}


def slider_value(pg, name):
    return int(pg.get_by_role("slider", name=name).input_value())


def press(locator, touch):
    """A finger tap on a touch screen, a click otherwise."""
    locator.tap() if touch else locator.click()


def open_sidebar(pg, touch):
    """On a phone the sidebar starts folded (and folds after each page link): open it."""
    sidebar = pg.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "true":
        press(pg.locator('[data-testid="stExpandSidebarButton"]'), touch)
        pg.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').dataset.collapsed === 'false'")
        pg.wait_for_timeout(400)  # the slide-in animation


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_in_the_browser_photo_switch_and_away_and_back_keep_the_settings(app_url, browser, size):
    context = browser.new_context(**SIZES[size])
    touch = SIZES[size].get("has_touch", False)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(f"{app_url}/patches?img=astronaut&p=48&s=16&win=tent&edge=shift")
        wait_for_app(pg, timeout=90_000)
        assert_no_exception(pg)
        open_sidebar(pg, touch)
        assert slider_value(pg, "Patch size") == 48 and slider_value(pg, "Stride") == 16
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"patches-link-{size}.png"), full_page=True)

        # pick coffee
        press(pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first, touch)
        press(pg.get_by_role("option", name=re.compile(r"^coffee")), touch)
        pg.wait_for_function("() => new URLSearchParams(location.search).get('img') === 'coffee'")
        wait_for_app(pg)
        assert_no_exception(pg)
        assert slider_value(pg, "Patch size") == 48 and slider_value(pg, "Stride") == 16
        q = query_of(pg.url)
        assert (q["img"], q["p"], q["s"], q["win"], q["edge"]) == ("coffee", "48", "16", "tent", "shift")
        pg.screenshot(path=str(ARTIFACTS / f"patches-coffee-{size}.png"), full_page=True)

        # Home, then Patches, from the sidebar
        nav = pg.locator('[data-testid="stSidebarNav"]')
        press(nav.get_by_role("link", name="Home"), touch)
        pg.get_by_role("heading", name="PatchLab").first.wait_for()
        wait_for_app(pg)
        open_sidebar(pg, touch)
        press(nav.get_by_role("link", name="Patches"), touch)
        pg.get_by_role("heading", name="Patches").first.wait_for()
        pg.wait_for_function("() => new URLSearchParams(location.search).get('img') === 'coffee'")
        wait_for_app(pg)
        assert_no_exception(pg)
        open_sidebar(pg, touch)
        assert slider_value(pg, "Patch size") == 48 and slider_value(pg, "Stride") == 16
        assert pg.get_by_role("switch", name="Same height and width").is_checked()
        assert query_of(pg.url) == q
        pg.screenshot(path=str(ARTIFACTS / f"patches-back-{size}.png"), full_page=True)

        # the page itself (sidebar folded on the phone), and the two maps
        if touch:
            press(pg.locator('[data-testid="stSidebarCollapseButton"] button'), touch)
            pg.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').dataset.collapsed === 'true'")
            pg.wait_for_timeout(400)
        pg.screenshot(path=str(ARTIFACTS / f"patches-page-{size}.png"))
        tabs = pg.locator('[data-testid="stTabs"]')
        for tab, picture in (("Coverage & weights", "weights"), ("Merge back", "merge")):
            press(pg.get_by_role("tab", name=tab), touch)
            panel = pg.get_by_role("tabpanel", name=tab)
            panel.locator("img").first.wait_for()
            assert panel.locator("img").first.evaluate("img => img.complete && img.naturalWidth > 0")
            tabs.screenshot(path=str(ARTIFACTS / f"patches-{picture}-{size}.png"))
            if picture == "weights":
                assert panel.get_by_text(re.compile(r"^Weight map: .* on a log scale; true range")).is_visible()
    finally:
        context.close()
