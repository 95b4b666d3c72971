"""The Upsampling page: AppTest for its controls, and a visit in the browser.

Every test gets its own freshly run page (a function-scoped fixture), so no
test depends on the widgets another one changed.
"""

import re
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import assert_no_exception, wait_for_app

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
    assert float(_metric(app, "Interior: max")) < 1e-5
    assert _metric(app, "Divides evenly") == "yes"
    table = app.dataframe[0].value
    strengths = dict(zip(table["method"], table["checkerboard strength"]))
    assert strengths["Bilinear (tf.image.resize)"] == 0
    assert max(v for k, v in strengths.items() if "random" in k and k.startswith("Transposed")) > 0.05
    shapes = app.code[0].value
    assert re.search(r"max_pool_2x2\s+\(1, 64, 64, 3\)", shapes)
    assert re.search(r"conv_transpose_stride2\s+\(1, 128, 128, 3\)", shapes)


def test_controls_change_the_page_without_errors(app):
    assert _kernel_shape(app) == (4, 4)  # bilinear at f = 2
    app.select_slider(key="factor").set_value(3).run()
    assert not app.exception, app.exception
    assert _kernel_shape(app) == (5, 5)  # bilinear at f = 3: 2f - f % 2
    assert app.checkbox(key="use_rec").label == "Kernel size 2f − f % 2 = 5"
    app.radio(key="init").set_value("nearest").run()
    assert _kernel_shape(app) == (3, 3)  # the box at f = 3
    assert app.checkbox(key="use_rec").label == "Kernel size f = 3"
    assert any(m.value == "**Nearest-neighbour (box) kernel, 3×3**" for m in app.markdown)
    app.checkbox(key="use_rec").uncheck().run()
    app.slider(key="size").set_value(4).run()
    assert not app.exception, app.exception
    assert _kernel_shape(app) == (4, 4)
    assert _metric(app, "Divides evenly") == "no"
    assert float(_metric(app, "Kernel's checkerboard")) > 0.1
    photo_pictures = _picture_urls(app)
    app.radio(key="source").set_value("pattern").run()
    app.selectbox(key="pattern").set_value("checkerboard").run()
    pattern_pictures = _picture_urls(app)
    # the stamps figure stays, the six upsampled pictures show the pattern now, the pipeline its photo
    assert pattern_pictures[0] == photo_pictures[0]
    assert all(a != b for a, b in zip(pattern_pictures[1:7], photo_pictures[1:7]))
    assert pattern_pictures[7:] == photo_pictures[7:]
    app.select_slider(key="factor").set_value(4).run()
    app.radio(key="init").set_value("random").run()
    assert not app.exception, app.exception
    assert _kernel_shape(app) == (app.slider(key="size").value,) * 2
    assert float(_metric(app, "Interior: max")) < 1e-5


@pytest.mark.parametrize("factor, size", [(2, 12), (2, 1), (4, 1), (4, 12), (3, 7)])
def test_extreme_kernel_sizes(app, factor, size):
    app.select_slider(key="factor").set_value(factor)
    app.checkbox(key="use_rec").uncheck()
    app.run()
    app.slider(key="size").set_value(size).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert _metric(app, "Divides evenly") == ("yes" if size % factor == 0 else "no")
    assert _kernel_shape(app) == (size, size)
    assert app.table[1].value.shape == (12 // factor * factor,) * 2  # overlap count of a 12/f-pixel input
    strengths = app.dataframe[0].value
    assert f"Transposed conv, your kernel (bilinear, {size}×{size})" in list(strengths["method"])


def test_page_without_tensorflow_says_how_to_install_it(app, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` now fails
    app.select_slider(key="factor").set_value(3).run()
    assert not app.exception, app.exception
    assert [e.value for e in app.error] == [
        "TensorFlow is not available (import of tensorflow halted; None in sys.modules); "
        "install the requirements with `make run`."
    ]
    assert not app.header  # the page stops before its sections


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
