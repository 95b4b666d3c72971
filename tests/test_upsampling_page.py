"""The Upsampling page: AppTest for its controls, and a visit in the browser.

Every test gets its own freshly run page (a function-scoped fixture), so no
test depends on the widgets another one changed.
"""

import re
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apprunner import ARTIFACTS
from conftest import assert_no_exception, axe_violations, wait_for_app
from conftest import read_number as number

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "upsampling.py")


def _metric(at, start):
    return next(m.value for m in at.metric if m.label.startswith(start))


def _kernel_shape(at):
    """Shape of the kernel as the page shows it: its coloured table, the first one."""
    return at.table[0].value.shape


def _picture_urls(at):
    return [str(image.proto) for image in at.image]


@pytest.fixture
def app():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_default_page_shows_the_figures_and_the_live_measurements(app):
    assert app.title[0].value == "Upsampling"
    assert len(app.image) >= 1 + 6 + 4  # stamps figure, six upsampled images, pipeline
    assert len(app.table) >= 3  # kernel, overlap count and summed weights as coloured tables
    assert number(_metric(app, "Interior: max")) < 1e-5
    assert _metric(app, "Divides evenly") == "yes"
    table = app.table[3].value  # the checkerboard strengths, after the three value tables
    strengths = dict(zip(table["method"], table["checkerboard strength"]))
    assert strengths["Bilinear (tf.image.resize)"] == 0
    assert max(v for k, v in strengths.items() if "random" in k and k.startswith("Transposed")) > 0.05
    shapes = app.code[0].value
    assert re.search(r"max_pool_2x2\s+\(1, 64, 64, 3\)", shapes)
    assert re.search(r"conv_transpose_stride2\s+\(1, 128, 128, 3\)", shapes)


def test_controls_change_the_page_without_errors(app):
    assert _kernel_shape(app) == (4, 4)  # bilinear at f = 2
    app.select_slider(key="up_factor").set_value(3).run()
    assert not app.exception, app.exception
    assert _kernel_shape(app) == (5, 5)  # bilinear at f = 3: 2f - f % 2
    assert app.checkbox(key="up_rec").label == "Use the recommended kernel size (2f − f mod 2 = 5)"
    app.radio(key="up_init").set_value("nearest").run()
    assert _kernel_shape(app) == (3, 3)  # the box at f = 3
    assert app.checkbox(key="up_rec").label == "Use the recommended kernel size (f = 3)"
    assert any(m.value == "**Nearest-neighbour (box) kernel, 3×3**" for m in app.markdown)
    app.checkbox(key="up_rec").uncheck().run()
    app.slider(key="up_k").set_value(4).run()
    assert not app.exception, app.exception
    assert _kernel_shape(app) == (4, 4)
    assert _metric(app, "Divides evenly") == "no"
    assert number(_metric(app, "Kernel's checkerboard")) > 0.1
    photo_pictures = _picture_urls(app)
    app.radio(key="up_input").set_value("pattern").run()
    app.selectbox(key="up_pattern").set_value("checkerboard").run()
    pattern_pictures = _picture_urls(app)
    # the stamps figure stays, the six upsampled pictures show the pattern now, the pipeline its photo
    assert pattern_pictures[0] == photo_pictures[0]
    assert all(a != b for a, b in zip(pattern_pictures[1:7], photo_pictures[1:7]))
    assert pattern_pictures[7:] == photo_pictures[7:]
    app.select_slider(key="up_factor").set_value(4).run()
    app.radio(key="up_init").set_value("random").run()
    assert not app.exception, app.exception
    assert _kernel_shape(app) == (app.slider(key="up_k").value,) * 2
    assert number(_metric(app, "Interior: max")) < 1e-5


@pytest.mark.parametrize("factor, size", [(2, 12), (2, 1), (4, 1), (4, 12), (3, 7)])
def test_extreme_kernel_sizes(app, factor, size):
    app.select_slider(key="up_factor").set_value(factor)
    app.checkbox(key="up_rec").uncheck()
    app.run()
    app.slider(key="up_k").set_value(size).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert _metric(app, "Divides evenly") == ("yes" if size % factor == 0 else "no")
    assert _kernel_shape(app) == (size, size)
    assert app.table[1].value.shape == (12 // factor * factor,) * 2  # overlap count of a 12/f-pixel input
    strengths = app.table[3].value
    assert f"Transposed conv, your kernel (bilinear, {size}×{size})" in list(strengths["method"])


def test_page_without_tensorflow_says_how_to_install_it(app, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` now fails
    app.select_slider(key="up_factor").set_value(3).run()
    assert not app.exception, app.exception
    assert [e.value for e in app.error] == [
        "TensorFlow is not available (import of tensorflow halted; None in sys.modules); "
        "install the requirements with `make run`."
    ]
    assert not app.header  # the page stops before its sections


def _query(url):
    """The query parameters of ``url`` (the last value of each)."""
    from urllib.parse import parse_qs, urlsplit

    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def _opened_from(query):
    """The page opened from a link carrying ``query`` (its own AppTest)."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def _notices(at):
    """The link notices as a reader sees them (the page puts the link's values in code spans)."""
    return [re.sub(r"(`+) ?(.*?) ?\1", r"'\2'", w.value) for w in at.warning]


def _settings_shown(at):
    widgets = [*at.select_slider, *at.radio, *at.checkbox, *at.slider, *at.selectbox]
    return {w.key: w.value for w in widgets if w.key and w.key.startswith("up_")}


SHARED = {"up_factor": "3", "up_init": "Random", "up_rec": "false", "up_k": "7",
          "up_input": "Test pattern", "up_pattern": "Disc"}


def test_a_shared_link_restores_every_setting():
    at = _opened_from(SHARED)
    assert _settings_shown(at) == {"up_factor": 3, "up_init": "random", "up_rec": False, "up_k": 7,
                                   "up_input": "pattern", "up_pattern": "disc"}
    assert _kernel_shape(at) == (7, 7)
    assert any(m.value == "**Random kernel, 7×7**" for m in at.markdown)
    assert "test pattern disc" in at.image[1].proto.imgs[0].alt  # the pictures show the linked input
    assert not at.info and not at.warning  # a good link gets no notice


def test_a_link_with_a_photo_restores_it():
    at = _opened_from({"up_photo": "coffee", "up_factor": "4", "up_init": "Nearest-neighbour (box)"})
    assert _settings_shown(at) == {"up_factor": 4, "up_init": "nearest", "up_rec": True,
                                   "up_input": "photo", "up_photo": "coffee"}
    assert _kernel_shape(at) == (4, 4)  # the box at f = 4
    assert "photo coffee" in at.image[1].proto.imgs[0].alt


def test_a_malformed_or_hostile_link_gives_the_defaults_and_one_plain_notice():
    at = _opened_from({"up_factor": "9", "up_init": "<script>alert(1)</script>", "up_rec": "maybe",
                       "up_k": "1e9", "up_input": "webcam", "up_photo": "../../etc/passwd",
                       "up_pattern": "x" * 5000, "other": "kept out of it"})
    assert _settings_shown(at) == {"up_factor": 2, "up_init": "bilinear", "up_rec": True,
                                   "up_input": "photo", "up_photo": "astronaut"}
    assert _kernel_shape(at) == (4, 4)
    assert not at.error and not at.toast
    assert len(at.warning) == 1
    notice = _notices(at)[0]
    assert notice.startswith("Part of this link could not be used: ")  # the same words on every page
    for name in ("upsampling factor '9'", "initialisation '<script>", "recommended kernel size 'maybe'",
                 "kernel size '1e9'", "input 'webcam'", "photo '../../etc/passwd'", "pattern 'xxx",
                 "other 'kept out of it' (not a setting of this page)"):
        assert name in notice, name
    assert "x" * 41 not in notice  # values shortened


def test_one_bad_setting_keeps_the_good_ones():
    at = _opened_from({"up_factor": "3", "up_init": "cubic"})
    assert _settings_shown(at)["up_factor"] == 3 and _settings_shown(at)["up_init"] == "bilinear"
    assert _notices(at) == [
        "Part of this link could not be used: initialisation 'cubic' (expected Bilinear, Random or "
        "Nearest-neighbour (box)). The page shows the default instead."]


def test_settings_no_widget_shows_leave_the_link_and_their_notice_comes_once():
    at = _opened_from({"up_k": "99", "up_pattern": "Disc", "present": "1"})  # recommended size on, input a photo
    assert len(at.warning) == 1 and "kernel size '99'" in _notices(at)[0]
    assert "pattern" not in _notices(at)[0]  # a good value for a hidden widget is kept, not reported
    at.select_slider(key="up_factor").set_value(3).run()
    assert not at.warning  # said once


def test_value_tables_have_no_index_header_and_say_what_they_hold(app):
    assert len(app.table) == 4
    for table in app.table[:3]:  # kernel, overlap count, summed weights
        assert table.proto.hide_header and table.proto.hide_index  # no 0…n row or column
        assert table.proto.alt
    assert app.table[0].value.shape == (4, 4)
    strengths = app.table[3]  # a header that names its columns, no index
    assert list(strengths.value.columns) == ["method", "checkerboard strength"]
    assert strengths.proto.hide_index and not strengths.proto.hide_header and strengths.proto.alt


def test_every_image_has_a_text_alternative(app):
    alts = [img.alt for image in app.image for img in image.proto.imgs]
    assert len(alts) >= 11
    assert all(len(alt) > 20 for alt in alts), alts
    assert len(set(alts)) == len(alts)  # each says what it shows, not one text for all
    by_method = {alt.split(" by ")[-1].split(";")[0]: alt for alt in alts if " by " in alt}
    assert "checkerboard" not in by_method["transposed conv, bilinear init, 4×4"]  # flat
    assert "checkerboard of strength" in by_method["transposed conv, random init, 4×4"]


def test_reset_puts_every_setting_back():
    at = _opened_from(SHARED)
    at.button(key="reset_up_factor").click().run()
    assert not at.exception, at.exception
    assert _settings_shown(at) == {"up_factor": 2, "up_init": "bilinear", "up_rec": True,
                                   "up_input": "photo", "up_photo": "astronaut"}
    assert _kernel_shape(at) == (4, 4)


def test_presenter_mode_shows_the_key_figure_large_and_folds_the_details():
    at = _opened_from({"present": "1"})
    assert any(m.value == "# 0.000" for m in at.markdown)  # the kernel's checkerboard strength, large
    assert not any(m.label.startswith("Kernel's checkerboard") for m in at.metric)
    assert "Tensor shapes" in [e.label for e in at.expander]
    assert re.search(r"max_pool_2x2\s+\(1, 64, 64, 3\)", at.code[0].value)  # still there, folded


@pytest.mark.browser
def test_upsampling_page_in_the_browser(app_url, page):
    page.goto(f"{app_url}/upsampling")
    wait_for_app(page, timeout=120_000)
    page.get_by_text("1 · The kernel and its stamps").wait_for()
    page.get_by_text("3 · Convolution → 2×2 max-pool").wait_for()
    assert page.locator('[data-testid="stImage"]').count() >= 11
    assert page.locator('[data-testid="stTable"]').count() >= 3
    assert page.locator('[data-testid="stMetric"]').count() >= 5
    assert_no_exception(page)


SHARED_LINK = ("/upsampling?up_factor=3&up_init=Random&up_rec=false&up_k=7"
               "&up_input=Test+pattern&up_pattern=Disc")


def _shot(pg, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"upsampling-{name}.png"))


def _open(pg, url):
    pg.goto(url)
    wait_for_app(pg, timeout=120_000)
    pg.get_by_text("1 · The kernel and its stamps").wait_for(timeout=120_000)
    assert_no_exception(pg)


def _main(pg):
    return pg.locator('[data-testid="stMain"]')


def _state_in_browser(pg):
    """The controls as the browser shows them."""
    main = _main(pg)
    sliders = main.locator('[data-testid="stSlider"] input[type="range"]')
    return {
        "factor": sliders.nth(0).get_attribute("aria-valuetext"),
        "init": [n for n in ("Bilinear", "Random", "Nearest-neighbour (box)")
                 if main.get_by_role("radio", name=n, exact=True).is_checked()],
        "recommended": main.get_by_role("checkbox").first.is_checked(),
        "size": sliders.nth(1).get_attribute("aria-valuetext") if sliders.count() > 1 else None,
        "input": [n for n in ("Photo", "Test pattern") if main.get_by_role("radio", name=n, exact=True).is_checked()],
    }


@pytest.mark.browser
def test_a_shared_link_survives_going_home_and_back(app_url, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        _open(pg, app_url + SHARED_LINK)
        assert _state_in_browser(pg) == {"factor": "3", "init": ["Random"], "recommended": False, "size": "7",
                                         "input": ["Test pattern"]}
        pg.get_by_text("Random kernel, 7×7").wait_for()
        assert _main(pg).get_by_role("combobox", name="Pattern").input_value() == "Disc"
        assert pg.locator('[data-testid="stAlert"]').count() == 0  # a good link: no notice
        pg.get_by_text("3 · Convolution → 2×2 max-pool").wait_for(timeout=120_000)
        images = _main(pg).locator("img")
        assert images.count() >= 11
        alts = images.evaluate_all("is => is.map(i => (i.getAttribute('alt') || '').trim())")
        assert all(len(alt) > 20 for alt in alts), alts  # every image says what it shows
        _shot(pg, "1920-shared-link")

        _main(pg).get_by_text("Nearest-neighbour (box)", exact=True).click()
        wait_for_app(pg, timeout=120_000)
        pg.get_by_text("Nearest-neighbour (box) kernel, 7×7").wait_for()
        nav = pg.locator('[data-testid="stSidebarNav"]')
        nav.get_by_role("link", name="Home").click()
        wait_for_app(pg, timeout=120_000)
        assert "/upsampling" not in pg.url
        nav.get_by_role("link", name="Upsampling").click()
        wait_for_app(pg, timeout=120_000)
        pg.get_by_text("Nearest-neighbour (box) kernel, 7×7").wait_for()
        assert _state_in_browser(pg) == {"factor": "3", "init": ["Nearest-neighbour (box)"], "recommended": False,
                                         "size": "7", "input": ["Test pattern"]}
        assert _query(pg.url) == {"up_factor": "3", "up_init": "nearest", "up_rec": "false", "up_k": "7",
                                  "up_input": "pattern", "up_pattern": "disc"}, pg.url
        _shot(pg, "1920-after-home-and-back")

        pg.locator('[data-testid="stSidebar"]').get_by_role("button", name="Reset").click()
        wait_for_app(pg, timeout=120_000)
        pg.get_by_text("Bilinear kernel, 4×4").wait_for()
        assert _state_in_browser(pg) == {"factor": "2", "init": ["Bilinear"], "recommended": True, "size": None,
                                         "input": ["Photo"]}
        assert "up_" not in pg.url  # every setting at its default: a clean address
    finally:
        context.close()


@pytest.mark.browser
def test_value_tables_and_pictures_pass_axe_with_a_random_kernel(app_url, browser):
    """The random kernel's mid-range cells are where light text on a green cell failed the contrast rule."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        _open(pg, app_url + SHARED_LINK)
        pg.get_by_text("3 · Convolution → 2×2 max-pool").wait_for(timeout=120_000)
        found = [v for v in axe_violations(pg) if v[0] in ("color-contrast", "image-alt", "role-img-alt")]
        assert not found, found
    finally:
        context.close()


@pytest.mark.browser
def test_a_malformed_link_shows_the_defaults_with_one_notice(app_url, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        _open(pg, app_url + "/upsampling?up_factor=9&up_rec=false&up_k=99&up_init=%3Cimg%20src%3Dx%3E"
                            "&up_input=%5Bclick%5D(http%3A%2F%2Fwww.example.com%2F)&up_photo=%24x%5E2%24"
                            "&up_pattern=**b**")
        assert _state_in_browser(pg) == {"factor": "2", "init": ["Bilinear"], "recommended": False, "size": "5",
                                         "input": ["Photo"]}
        alerts = pg.locator('[data-testid="stAlert"]')
        assert alerts.count() == 1
        text = alerts.inner_text()
        assert text.count("Part of this link could not be used: ") == 1
        assert "kernel size 99 (expected a whole number from 1 to 12)" in text
        assert pg.locator('[data-testid="stMain"] img[src="x"]').count() == 0  # shown as text, not markup
        assert alerts.locator("a, strong, .katex").count() == 0  # no link, bold or formula from the URL
        for shown in ("input [click](http://www.example.com/) (", "photo $x^2$ (", "pattern **b** ("):
            assert shown in text  # shown as typed
        query = _query(pg.url)  # the address holds what the page shows: the unusable values left it
        assert query == {"up_rec": "false", "up_k": "5"}, pg.url  # the rest is at its default
        _shot(pg, "1920-malformed-link")

        _open(pg, app_url + "/upsampling?up_k=99&up_pattern=Disc")  # settings for widgets not on screen
        assert pg.locator('[data-testid="stAlert"]').count() == 1
        assert "up_k" not in _query(pg.url) and "up_pattern" not in _query(pg.url)
        _main(pg).get_by_text("Random", exact=True).click()
        wait_for_app(pg, timeout=120_000)
        pg.get_by_text("Random kernel, 4×4").wait_for()
        assert pg.locator('[data-testid="stAlert"]').count() == 0  # the notice is said once
        assert _query(pg.url) == {"up_init": "random"}
    finally:
        context.close()


@pytest.mark.browser
def test_nothing_is_cut_off_on_a_phone(app_url, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        _open(pg, app_url + "/upsampling?up_factor=4&up_rec=false&up_k=12&up_input=Test+pattern&up_pattern=Disc")
        pg.get_by_text("3 · Convolution → 2×2 max-pool").wait_for(timeout=120_000)
        widths = pg.evaluate("""() => [document.querySelector('[data-testid="stMain"]'),
                                       document.querySelector('[data-testid="stMainBlockContainer"]')]
                                      .map(e => [e.scrollWidth, e.clientWidth])""")
        for scroll_width, client_width in widths:
            assert scroll_width <= client_width, widths
        # every picture and table lies within the screen's width
        for selector in ('[data-testid="stImage"] img', '[data-testid="stTable"]', '[data-testid="stCheckbox"]',
                         '[data-testid="stAlert"]', '[data-testid="stMetric"]'):
            for box in [e.bounding_box() for e in _main(pg).locator(selector).all()]:
                assert box is None or box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (selector, box)
        labels = _main(pg).locator('[data-testid="stCheckbox"] [data-testid="stMarkdownContainer"]')
        assert labels.count() == 1
        assert labels.evaluate_all("ls => ls.every(l => l.scrollWidth <= l.clientWidth)")  # not cut short with …
        tables = _main(pg).locator('[data-testid="stTable"]')
        assert tables.count() == 4
        assert tables.evaluate_all("ts => ts.every(t => t.querySelector('table').scrollWidth <= t.clientWidth)")
        main = _main(pg)
        height = main.evaluate("m => m.scrollHeight")
        for i, y in enumerate(range(0, height, 3 * 844)):
            main.evaluate("(m, y) => m.scrollTo(0, y)", y)
            pg.wait_for_timeout(200)
            _shot(pg, f"390-phone-{i}")
        assert_no_exception(pg)
    finally:
        context.close()
