"""Exemplar-based inpainting (Criminisi et al. 2004): what it changes, what it copies, and that it copies texture."""

import numpy as np
import pytest

from patchlab.inpainting.baselines import CLASSICAL, biharmonic, exemplar, telea
from patchlab.inpainting.evaluate import region_metrics
from patchlab.inpainting.exemplar import PATCH_SIZE, exemplar_inpaint, source_centres
from patchlab.inpainting.masks import random_mask


def _photo(h=48, w=56, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    smooth = np.stack([120 + 60 * np.sin(x / 7), 100 + 50 * np.cos(y / 5), 80 + 0.8 * x], -1)
    return np.clip(smooth + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed, family", [(0, "square"), (1, "brush"), (2, "rectangle"), (3, "brush")])
def test_fills_only_the_hole_with_colours_copied_from_the_known_pixels(seed, family):
    img = _photo(seed=seed)
    mask = random_mask(img.shape[:2], np.random.default_rng(seed), family)
    out = exemplar_inpaint(img, mask)
    assert out.dtype == np.uint8 and out.shape == img.shape
    np.testing.assert_array_equal(out[~mask], img[~mask])
    known_colours = {tuple(c) for c in img[~mask]}
    assert all(tuple(c) in known_colours for c in out[mask])  # copied, never blended


def test_is_deterministic_and_the_baseline_is_the_same_function():
    img = _photo(seed=4)
    mask = random_mask(img.shape[:2], np.random.default_rng(4), "brush")
    first = exemplar_inpaint(img, mask)
    np.testing.assert_array_equal(first, exemplar_inpaint(img, mask))
    np.testing.assert_array_equal(first, exemplar(img, mask))
    assert CLASSICAL["exemplar"][1] is exemplar


def test_copies_a_texture_better_than_diffusion():
    # a colour checkerboard of 4-px cells with a 12x12 hole: every patch of it exists elsewhere,
    # so copying patches restores it exactly, while diffusion smears the cells into grey
    y, x = np.mgrid[0:64, 0:64]
    cells = ((y // 4 + x // 4) % 2).astype(bool)
    img = np.where(cells[..., None], np.array([200, 40, 40], np.uint8), np.array([30, 90, 220], np.uint8))
    mask = np.zeros((64, 64), bool)
    mask[26:38, 21:33] = True
    copied = region_metrics(img, exemplar_inpaint(img, mask), mask)
    smoothed = [region_metrics(img, fill(img, mask), mask) for fill in (biharmonic, telea)]
    assert copied["psnr_masked"] == np.inf  # exact
    assert all(s["psnr_masked"] < 15 for s in smoothed)
    assert copied["ssim_masked"] > max(s["ssim_masked"] for s in smoothed) + 0.5


def test_continues_stripes_that_run_into_the_hole():
    img = np.zeros((40, 40, 3), np.uint8)
    img[:, ::6] = 255
    img[:, 1::6] = 255
    mask = np.zeros((40, 40), bool)
    mask[10:30, 14:26] = True
    np.testing.assert_array_equal(exemplar_inpaint(img, mask), img)


def test_source_centres_match_a_brute_force_scan():
    rng = np.random.default_rng(5)
    hole = rng.random((20, 23)) < 0.03
    for p in (3, 5):
        r = p // 2
        expected = np.zeros_like(hole)
        for yy in range(r, 20 - r):
            for xx in range(r, 23 - r):
                expected[yy, xx] = not hole[yy - r:yy + r + 1, xx - r:xx + r + 1].any()
        np.testing.assert_array_equal(source_centres(hole, p), expected)


def test_a_hole_with_no_whole_source_patch_still_fills_and_keeps_the_known_pixels():
    img = _photo(seed=6)
    mask = np.ones(img.shape[:2], bool)
    mask[::PATCH_SIZE, ::PATCH_SIZE] = False  # known pixels everywhere, but no 9x9 window free of the hole
    assert not source_centres(mask).any()
    out = exemplar_inpaint(img, mask)
    np.testing.assert_array_equal(out[~mask], img[~mask])


def test_an_empty_hole_changes_nothing():
    img = _photo(seed=7)
    np.testing.assert_array_equal(exemplar_inpaint(img, np.zeros(img.shape[:2], bool)), img)


@pytest.mark.parametrize("patch_size, words", [(8, "odd"), (1, "odd"), (2.5, "odd"), (True, "odd"),
                                               (49, "larger than the image")])
def test_bad_patch_sizes_are_named(patch_size, words):
    with pytest.raises(ValueError, match="patch_size") as err:
        exemplar_inpaint(_photo(), np.zeros((48, 56), bool), patch_size=patch_size)
    assert words in str(err.value)


def test_bad_inputs_are_named_like_the_other_methods():
    with pytest.raises(ValueError, match="`mask`"):
        exemplar_inpaint(_photo(), np.zeros((10, 10), bool))
    with pytest.raises(ValueError, match="`image`"):
        exemplar_inpaint(_photo().astype(np.float32), np.zeros((48, 56), bool))
