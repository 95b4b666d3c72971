"""The canvas helpers' pure parts: layers, the eraser rule, scaling a drawing, mapping at every size."""

import numpy as np
import pytest

from patchlab.inpainting.display import canvas_size
from patchlab.inpainting.masks import canvas_to_mask
from patchlab.ui.canvas import ERASER_COLOUR, composite, scaled_drawing

MAGENTA = (255, 0, 255)


def _layer(shape, box, rgb, alpha):
    layer = np.zeros(shape + (4,), np.uint8)
    y0, y1, x0, x1 = box
    layer[y0:y1, x0:x1] = (*rgb, alpha)
    return layer


def _eraser_rgba():
    """ERASER_COLOUR as (r, g, b, alpha 0-255)."""
    r, g, b, a = (float(v) for v in ERASER_COLOUR[ERASER_COLOUR.index("(") + 1:-1].split(","))
    return (int(r), int(g), int(b)), round(a * 255)


def test_composite_matches_source_over():
    shape = (4, 4)
    under = _layer(shape, (0, 4, 0, 4), MAGENTA, 179)
    over = _layer(shape, (0, 2, 0, 4), (255, 255, 255), 153)
    out = composite([under, over])
    assert out[3, 0].tolist() == [255, 0, 255, 179]  # only the brush
    a = 153 / 255 + 179 / 255 * (1 - 153 / 255)
    assert out[0, 0, 3] == round(a * 255)
    assert abs(int(out[0, 0, 1]) - round(255 * (153 / 255) / a)) <= 1  # green: white over magenta
    assert composite([np.zeros((2, 2, 4), np.uint8)]).sum() == 0
    with pytest.raises(ValueError, match="layers"):
        composite([])
    with pytest.raises(ValueError, match="layers"):
        composite([np.zeros((2, 2, 4), np.uint8), np.zeros((3, 2, 4), np.uint8)])


def test_eraser_removes_mask_and_paint_after_erase_re_adds_it():
    shape = (40, 60)
    white, alpha = _eraser_rgba()
    brush = _layer(shape, (10, 30, 10, 50), MAGENTA, 179)
    eraser = _layer(shape, (0, 40, 30, 60), white, alpha)  # wipes the right part of the stroke
    again = _layer(shape, (20, 30, 40, 50), MAGENTA, 179)  # paint again where it was erased

    painted = canvas_to_mask(composite([brush]), shape, brush=MAGENTA)
    assert painted.sum() == 20 * 40
    erased = canvas_to_mask(composite([brush, eraser]), shape, brush=MAGENTA)
    assert erased.sum() == 20 * 20 and erased[10:30, 10:30].all() and not erased[:, 30:].any()
    re_added = canvas_to_mask(composite([brush, eraser, again]), shape, brush=MAGENTA)
    assert re_added.sum() == 20 * 20 + 10 * 10 and re_added[20:30, 40:50].all()
    # eraser strokes on their own are not a hole, and without brush= every stroke counts (the old rule)
    assert not canvas_to_mask(composite([eraser]), shape, brush=MAGENTA).any()
    assert canvas_to_mask(composite([brush, eraser]), shape).sum() == 20 * 40 + 40 * 30 - 20 * 20


def test_the_brushs_soft_edges_count():
    shape = (10, 10)
    rgba = np.zeros(shape + (4,), np.uint8)
    rgba[2:8, 2:8] = (*MAGENTA, 179)
    rgba[1, 2:8] = (*MAGENTA, 12)  # antialiased edge: the brush's colour, faint
    mask = canvas_to_mask(rgba, shape, brush=MAGENTA)
    assert mask[1, 2:8].all() and mask.sum() == 42


def test_brush_colour_is_checked():
    with pytest.raises(ValueError, match="brush"):
        canvas_to_mask(np.zeros((4, 4, 4), np.uint8), (4, 4), brush="magenta")


@pytest.mark.parametrize("max_width", [340, 520, 640, 820, 1000])
@pytest.mark.parametrize("image_shape", [(512, 512), (341, 512), (300, 451)])
def test_a_stroke_maps_to_the_same_photo_pixels_at_every_canvas_size(image_shape, max_width):
    # The same region of the photo, painted on canvases of every size the page uses, gives one mask.
    width, height = canvas_size(image_shape, max_width=max_width, max_height=max_width)
    fit = {"natural_width": image_shape[1], "natural_height": image_shape[0],
           "scale_x": width / image_shape[1], "scale_y": height / image_shape[0], "offset_x": 0, "offset_y": 0}
    rgba = np.zeros((height, width, 4), np.uint8)
    # paint exactly the canvas pixels over photo rows 100-149 and columns 200-259
    y0, y1 = int(np.floor(100 * fit["scale_y"])), int(np.ceil(150 * fit["scale_y"]))
    x0, x1 = int(np.floor(200 * fit["scale_x"])), int(np.ceil(260 * fit["scale_x"]))
    rgba[y0:y1, x0:x1] = (*MAGENTA, 179)
    mask = canvas_to_mask(rgba, image_shape, fit, brush=MAGENTA)
    assert mask[100:150, 200:260].all()
    # nothing further out than the photo pixels the painted canvas pixels touch
    my, mx = int(np.ceil(1 / fit["scale_y"])), int(np.ceil(1 / fit["scale_x"]))
    outside = mask.copy()
    outside[100 - my:150 + my, 200 - mx:260 + mx] = False
    assert not outside.any()
    assert mask.sum() <= (50 + 2 * my) * (60 + 2 * mx)


def test_scaled_drawing_keeps_strokes_on_the_same_spot():
    drawing = {"objects": [{"type": "path", "left": 10, "top": 20, "scaleX": 1, "scaleY": 1, "path": [["M", 0, 0]]}]}
    out = scaled_drawing(drawing, 2.0, 0.5)
    assert out["objects"][0]["left"] == 20 and out["objects"][0]["top"] == 10
    assert out["objects"][0]["scaleX"] == 2 and out["objects"][0]["scaleY"] == 0.5
    assert drawing["objects"][0]["left"] == 10  # the input is left alone
    assert scaled_drawing({}, 2, 2) == {}


def test_phones_are_told_apart_by_their_user_agent():
    from patchlab.ui.canvas import _PHONE

    assert _PHONE.search("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148")
    assert _PHONE.search("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari")
    assert not _PHONE.search("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0")
    assert not _PHONE.search("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari")


def test_scroll_into_view_checks_where_to_land():
    from patchlab.ui.canvas import scroll_into_view

    with pytest.raises(ValueError, match="`block`"):
        scroll_into_view("results", "token", block="somewhere")
