"""The Patches page's pure part (patchlab.patches.demo): settings, URL, and what it shows."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from patchlab.patches import coverage, patchify
from patchlab.patches.demo import (
    ERROR_SCALE_EPS,
    MAX_PATCH,
    MAX_STRIDE,
    Settings,
    analyse,
    analyse_photo,
    clamp_settings,
    error_picture,
    format_bytes,
    geometry_pictures,
    grid_size,
    intro,
    layout_words,
    ordinal,
    read_link,
    slider_limits,
    to_query,
    weight_scale,
)
from patchlab.visualize import colour_table

PHOTO = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)


def test_settings_survive_the_url_round_trip():
    s = Settings("coffee", (40, 20), (10, 5), "tent", "shift", 7)
    fields, ignored = read_link(to_query(s), ["coffee", "astronaut"])
    assert Settings(**fields) == s and ignored == []
    assert to_query(Settings(patch=(48, 48), stride=(16, 16)))["p"] == "48"


def test_malformed_parameters_are_ignored_with_one_sentence_each():
    fields, ignored = read_link({"p": "banana", "s": "-3", "win": "<script>", "hi": "x", "img": "nope"},
                                ["astronaut"])
    assert Settings(**fields) == Settings()
    assert [i.setting for i in ignored] == ["photo", "patch size", "stride", "blending window", "highlighted patch"]


def test_clamp_fits_patch_and_stride_to_the_image():
    s, notes = clamp_settings(Settings(patch=(100, 30), stride=(500, 0)), PHOTO.shape)
    assert s.patch == (60, 30) and s.stride == (120, 1)
    assert len(notes) == 2 and "60×30" in notes[0]
    assert clamp_settings(Settings(), (512, 512, 3))[1] == []


def test_analyse_photo_returns_what_the_page_shows():
    settings, _ = clamp_settings(Settings(patch=(16, 16), stride=(8, 8), window="hann", edge="pad"), PHOTO.shape)
    nh, nw = grid_size(settings, PHOTO.shape)
    assert (nh, nw) == (7, 9)  # rows: ceil((60 - 16) / 8) + 1 on the padded photo; columns: (80 - 16) / 8 + 1
    settings.highlight = nh * nw - 1
    r = analyse_photo(PHOTO, settings)
    assert r.report.n_patches == nh * nw and r.highlight_index == (nh - 1, nw - 1)
    last = patchify(PHOTO, 16, 8, edge="pad")[-1, -1]
    np.testing.assert_array_equal(r.patch_picture, last)  # uint8 -> /255 -> uint8 is exact
    assert r.report.max_error < 1e-5 and r.report.uncovered == 0 and r.uncovered_warning is None
    np.testing.assert_array_equal(r.merged_picture, PHOTO)
    # the error map now carries a colour bar (issue 17): a picture wider than the photo, drawn as uint8 RGB
    assert r.error_picture.dtype == np.uint8 and r.error_picture.ndim == 3
    assert r.error_picture.shape[1] > r.error_picture.shape[0] * PHOTO.shape[1] / PHOTO.shape[0]
    assert r.image_shape == PHOTO.shape and r.montage_count == min(64, nh * nw)
    assert "60×80" not in r.timing_caption and "80×60×3" in r.timing_caption
    assert "unpatchify" in r.timing_caption
    assert r.copy_size == format_bytes(nh * nw * 16 * 16 * 3 * 4)


def test_gaps_and_the_valid_edge_are_explained():
    settings, _ = clamp_settings(Settings(patch=(10, 10), stride=(15, 15), edge="valid"), PHOTO.shape)
    r = analyse_photo(PHOTO, settings)
    uncovered = int((coverage(PHOTO.shape, 10, 15) == 0).sum())
    assert r.report.uncovered == uncovered > 0
    assert r.uncovered_warning.startswith(f"{uncovered:,} pixels are covered by no patch")
    assert "stride is larger than the patch" in r.uncovered_warning
    assert "Choose edge = pad or shift" in r.uncovered_warning


def test_a_merge_over_budget_is_skipped_with_a_reason():
    settings, _ = clamp_settings(Settings(patch=(32, 32), stride=(1, 1)), PHOTO.shape)
    r = analyse_photo(PHOTO, settings, budget_bytes=1 << 20)
    assert r.merged_picture is None and r.error_picture is None and r.report.max_error is None
    assert "merges at most 1 MB" in r.report.skipped
    assert "unpatchify" not in r.timing_caption


def test_geometry_pictures_are_shared_read_only():
    cov, weights = geometry_pictures((60, 80, 3), (16, 16), (8, 8), "tent", "valid")
    assert cov.dtype == weights.dtype == np.uint8 and cov.ndim == 3
    assert not cov.flags.writeable and not weights.flags.writeable
    assert geometry_pictures((60, 80, 3), (16, 16), (8, 8), "tent", "valid")[0] is cov


def test_analyse_reports_a_view_and_the_round_trip_error():
    x = PHOTO.astype(np.float32) / 255
    report = analyse(x, 20, 10, "uniform", "valid")
    assert report.is_view and report.grid == (5, 7) and report.max_error < 1e-6
    assert not analyse(x, 20, 15, "uniform", "shift").is_view  # origins 0, 15, 30 and 40: gathered


@pytest.mark.parametrize("n, words", [(0, "0 B"), (1023, "1,023 B"), (1536, "1.5 KB"), (5 * 2**30, "5.0 GB")])
def test_format_bytes(n, words):
    assert format_bytes(n) == words


# --- issue 17: settings that survive a photo switch, messages that say what happened

COFFEE = (341, 512, 3)  # coffee (400x600) as the page shows it, downscaled to 512 px wide


def test_a_photo_switch_keeps_every_setting_that_still_fits():
    linked = Settings("coffee", (48, 48), (16, 16), "tent", "shift", 5)
    for square in (True, False):
        fitted, notes = clamp_settings(linked, COFFEE, square=square)
        assert fitted == linked and notes == []
    fitted, notes = clamp_settings(Settings(patch=(300, 500), stride=(100, 600)), COFFEE)
    assert fitted.patch == (300, 500) and fitted.stride == (100, 600) and notes == []


def test_a_smaller_photo_reduces_only_the_patch_that_no_longer_fits():
    small = (30, 40, 3)  # an uploaded thumbnail
    fitted, notes = clamp_settings(Settings(patch=(48, 48), stride=(16, 16), window="tent"), small, square=True)
    assert fitted.patch == (30, 30) and fitted.stride == (16, 16) and fitted.window == "tent"
    assert notes == ["The patch 48×48 is larger than the image (30×40); it was reduced to 30×30."]
    fitted, _ = clamp_settings(Settings(patch=(48, 36), stride=(16, 16)), small)
    assert fitted.patch == (30, 36)  # each axis on its own when the sizes are not linked


def test_a_stride_beyond_twice_the_patch_is_limited_and_the_slider_agrees():
    fitted, notes = clamp_settings(Settings(patch=(16, 16), stride=(40, 40)), (512, 512, 3))
    assert fitted.stride == (32, 32)
    assert notes == ["The stride 40×40 was limited to 32×32: at most twice the patch (16×16)."]
    max_patch, max_stride = slider_limits(fitted.patch, (512, 512, 3), square=True)
    assert max_stride == fitted.stride and max_patch == (512, 512)


def test_the_highlighted_patch_stays_inside_the_grid():
    fitted, notes = clamp_settings(Settings(patch=(16, 16), stride=(16, 16), edge="valid", highlight=10**6), PHOTO.shape)
    assert fitted.highlight == 3 * 5 - 1 and notes == []  # 60x80 in 16-px tiles: 60 // 16 = 3 rows, 80 // 16 = 5 columns
    assert clamp_settings(Settings(patch=(16, 16), stride=(16, 16), highlight=7), PHOTO.shape)[0].highlight == 7


image_shapes = st.tuples(st.integers(1, 600), st.integers(1, 600)).map(lambda hw: (*hw, 3))
sizes = st.tuples(st.integers(1, MAX_PATCH), st.integers(1, MAX_PATCH))
strides = st.tuples(st.integers(1, MAX_STRIDE), st.integers(1, MAX_STRIDE))


@given(image_shapes, sizes, strides, st.booleans())
def test_clamping_changes_only_what_does_not_fit(shape, patch, stride, square):
    s = Settings(patch=patch, stride=stride)
    fitted, notes = clamp_settings(s, shape, square=square)
    max_patch, _ = slider_limits(patch, shape, square)
    _, max_stride = slider_limits(fitted.patch, shape, square)
    for axis in (0, 1):
        assert fitted.patch[axis] == min(patch[axis], max_patch[axis]) >= 1
        assert fitted.stride[axis] == min(stride[axis], max_stride[axis]) >= 1
    assert bool(notes) == (fitted.patch != patch or fitted.stride != stride)
    again, notes_again = clamp_settings(fitted, shape, square=square)
    assert again == fitted and notes_again == []  # fitted settings are left alone


@pytest.mark.parametrize("params, problem", [
    ({"p": "99999"}, "patch size `99999` (expected a size from 1 to 512 px)"),
    ({"s": "99999"}, "stride `99999` (expected a size from 1 to 1,024 px)"),
    ({"p": "16x0"}, "patch size `16x0` (expected a size from 1 to 512 px)"),
    ({"s": "banana"}, "stride `banana` (expected a size in pixels like 16 or 16x24)"),
    ({"p": "9" * 400}, "patch size `" + "9" * 40 + "…` (expected a size from 1 to 512 px)"),
])
def test_each_bad_size_in_a_link_says_what_is_wrong(params, problem):
    fields, ignored = read_link(params, ["astronaut"])
    assert Settings(**fields) == Settings() and [i.phrase() for i in ignored] == [problem]


@pytest.mark.parametrize("n, words", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                      (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (103, "103rd"),
                                      (111, "111th")])
def test_ordinal(n, words):
    assert ordinal(n) == words


def test_the_grid_caption_counts_rows_with_ordinals():
    big = np.zeros((512, 512, 3), np.uint8)
    r = analyse_photo(big, clamp_settings(Settings(patch=(8, 8), stride=(5, 5), edge="valid"), big.shape)[0])  # 101 x 101 patches
    assert r.grid_step == 3 and "every 3rd patch row and column" in r.grid_caption


@pytest.mark.parametrize("patch, stride, words", [
    ((14, 14), (14, 14), "touching"),
    ((14, 14), (7, 7), "overlapping"),
    ((14, 14), (20, 20), "separated"),
    ((14, 20), (7, 20), "overlapping down and touching across"),
])
def test_the_intro_says_what_is_true_for_the_settings(patch, stride, words):
    assert layout_words(patch, stride) == words
    text = intro(Settings(patch=patch, stride=stride))
    assert f"cut into {words} **patches**" in text
    assert ("overlapping" in text) == ("overlapping" in words)


def test_the_weight_map_shows_the_window_shape_on_a_log_scale():
    assert weight_scale(1.0, 4096.0) == "log" and weight_scale(0.25, 1.0) == "linear"
    for window in ("hann", "tent"):
        _, picture = geometry_pictures((512, 512, 3), (64, 64), (32, 32), window, "pad")
        heat = picture[20:, :384].reshape(-1, 3)
        # a linear scale put 95 % of the pixels in the darkest colour and used about 11-20 colours
        assert len(np.unique(heat, axis=0)) > 100
        assert heat.mean() > 150  # not almost black
    r = analyse_photo(np.zeros((64, 64, 3), np.uint8), Settings(patch=(16, 16), stride=(8, 8), window="hann"))
    lo, hi = r.weights_range
    assert r.weights_scale == "log" and lo == pytest.approx(r.report.weights.min()) and hi == r.report.weights.max()


def test_the_error_map_has_a_fixed_float32_scale():
    eps = float(np.finfo(np.float32).eps)
    original = np.full((32, 32, 3), 0.5, np.float32)
    covered = np.ones((32, 32), bool)
    magma = colour_table("magma")
    merged = original + np.float32(2e-7)
    err = float(merged[0, 0, 0]) - 0.5  # 2e-7 as float32 can hold it next to 0.5: 3 steps of 6e-8
    assert 1.5e-7 < err < 2.5e-7
    rounding = error_picture(merged, original, covered)
    real = error_picture(original + np.float32(1e-3), original, covered)
    inside = (20 + 100, 100)  # a pixel of the map (below the 20-px title strip)
    expected = magma[int(err / (ERROR_SCALE_EPS * eps) * 256)]
    np.testing.assert_array_equal(rounding[inside], expected)  # about a tenth of the way up: dark
    assert rounding[inside].max() < 100
    np.testing.assert_array_equal(real[inside], magma[255])  # above the scale: the top colour
    assert rounding.shape == real.shape  # the same scale and colour bar whatever the error
