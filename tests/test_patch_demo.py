"""The Patches page's pure part (patchlab.patches.demo): settings, URL, and what it shows."""

import numpy as np
import pytest

from patchlab.patches import coverage, patchify
from patchlab.patches.demo import (
    Settings,
    analyse,
    analyse_photo,
    clamp_settings,
    format_bytes,
    geometry_pictures,
    grid_size,
    parse_query,
    to_query,
)

PHOTO = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)


def test_settings_survive_the_url_round_trip():
    s = Settings("coffee", (40, 20), (10, 5), "tent", "shift", 7)
    back, problems = parse_query(to_query(s), ["coffee", "astronaut"])
    assert back == s and problems == []
    assert to_query(Settings(patch=(48, 48), stride=(16, 16)))["p"] == "48"


def test_malformed_parameters_are_ignored_with_one_sentence_each():
    s, problems = parse_query({"p": "banana", "s": "-3", "win": "<script>", "hi": "x", "img": "nope"},
                              ["astronaut"])
    assert s == Settings()
    assert len(problems) == 5 and all(p.startswith("Ignored ") for p in problems)


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
