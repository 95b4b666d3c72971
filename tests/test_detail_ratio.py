"""The detail ratio against hand-made cases, and its summary in the evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from patchlab.inpainting.detail import ERODE, detail_ratio, detail_region, high_pass
from patchlab.inpainting.evaluate import detail_summary, format_detail_table


def _textured_hole(size=64, hole=(12, 52), seed=0):
    """A flat grey photo (128) with an even-valued random texture inside a square hole only."""
    rng = np.random.default_rng(seed)
    photo = np.full((size, size, 3), 128, np.uint8)
    mask = np.zeros((size, size), bool)
    mask[hole[0]:hole[1], hole[0]:hole[1]] = True
    texture = 2 * rng.integers(-30, 31, (size, size, 1))  # even, so half of it is exact in uint8
    photo[mask] = (128 + texture[mask]).astype(np.uint8)
    return photo, mask, texture


def test_a_flat_fill_scores_zero_and_the_original_one():
    photo, mask, _ = _textured_hole()
    flat = photo.copy()
    flat[mask] = 128
    assert detail_ratio(photo, flat, mask) == 0.0
    assert detail_ratio(photo, photo, mask) == 1.0


def test_a_half_amplitude_texture_scores_a_quarter():
    photo, mask, texture = _textured_hole()
    half = photo.copy()
    half[mask] = (128 + texture[mask] // 2).astype(np.uint8)
    assert detail_ratio(photo, half, mask) == pytest.approx(0.25, abs=1e-6)


def test_texture_from_elsewhere_scores_near_one_and_noise_above_one():
    rng = np.random.default_rng(1)
    photo = rng.normal(128, 20, (96, 96, 1)).clip(0, 255).astype(np.uint8).repeat(3, axis=2)
    mask = np.zeros((96, 96), bool)
    mask[30:70, 30:70] = True
    other = photo.copy()
    other[mask] = rng.normal(128, 20, (mask.sum(), 1)).clip(0, 255).astype(np.uint8)  # the same kind of grain
    assert detail_ratio(photo, other, mask) == pytest.approx(1.0, abs=0.1)
    louder = photo.copy()
    louder[mask] = rng.normal(128, 40, (mask.sum(), 1)).clip(0, 255).astype(np.uint8)
    assert detail_ratio(photo, louder, mask) > 3


def test_flat_originals_and_thin_holes_are_skipped():
    flat = np.full((40, 40, 3), 90, np.uint8)
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    noisy = flat.copy()
    noisy[mask] = 200
    assert math.isnan(detail_ratio(flat, noisy, mask))
    photo, _, _ = _textured_hole()
    thin = np.zeros(photo.shape[:2], bool)
    thin[20:20 + 2 * ERODE, 10:50] = True  # nothing is farther than ERODE from a known pixel
    assert not detail_region(thin).any()
    assert math.isnan(detail_ratio(photo, photo, thin))


def test_only_the_eroded_hole_counts():
    mask = np.zeros((30, 30), bool)
    mask[5:25, 5:25] = True
    region = detail_region(mask)
    assert region.sum() == (20 - 2 * ERODE) ** 2 and not (region & ~mask).any()
    photo, mask, _ = _textured_hole()
    region = detail_region(mask)
    far = detail_region(~region, 8)  # farther than the blur's reach (a 13x13 kernel) from the measured pixels
    changed = photo.copy()
    changed[far] = 255 - changed[far]
    assert far.sum() > 1000
    assert detail_ratio(photo, changed, mask) == detail_ratio(photo, photo, mask) == 1.0
    wider = photo.copy()
    wider[region] = 128  # the measured pixels themselves do count
    assert detail_ratio(photo, wider, mask) < 0.1


def test_bad_arguments_are_named():
    photo, mask, _ = _textured_hole()
    with pytest.raises(ValueError, match="`original`"):
        detail_ratio(photo, photo[:10], mask)
    with pytest.raises(ValueError, match="`mask`"):
        detail_region(mask.astype(np.uint8))
    with pytest.raises(ValueError, match="`sigma`"):
        high_pass(photo, sigma=0)
    with pytest.raises(ValueError, match="`image`"):
        high_pass(np.zeros((4, 4, 4)))


def test_the_summary_counts_photos_and_gives_intervals():
    ratios = [0.2, 0.4, float("nan"), 0.9, 1.1, 0.5, float("nan"), float("nan")]
    owners = ["a", "a", "a", "b", "b", "c", "c", "d"]  # d: all skipped
    out = detail_summary(ratios, owners, resamples=2000)
    assert out["detail_ratio_cases"] == 5 and out["detail_ratio_photos"] == 3
    assert out["detail_ratio_median"] == 0.5
    assert out["detail_ratio"] == pytest.approx(np.mean([0.3, 1.0, 0.5]), abs=1e-4)
    lo, hi = out["detail_ratio_ci"]
    assert 0.3 <= lo <= out["detail_ratio"] <= hi <= 1.0
    mlo, mhi = out["detail_ratio_median_ci"]
    assert 0.2 <= mlo <= out["detail_ratio_median"] <= mhi <= 1.1
    assert detail_summary([float("nan")] * 3)["detail_ratio_median"] is None
    with pytest.raises(ValueError, match="`owners`"):
        detail_summary([0.1, 0.2], ["a"])


def test_the_detail_table_shows_intervals_where_there_are_some_and_dashes_for_old_rows():
    old = {"psnr_masked": 20.0, "ssim_masked": 0.5, "psnr_whole": 30.0, "ssim_whole": 0.9, "seconds_per_image": 0.1}
    new = dict(old, detail_ratio_median=0.81, detail_ratio=0.84, detail_ratio_cases=160, n=168)
    rows = format_detail_table({"square": {"unet": old, "sharp": new}}).splitlines()
    assert rows[2] == "| square | U-Net (PatchLab) | 20.00 | 0.500 | – | – | – |"
    assert rows[3] == "| square | Sharp fill (U-Net + the photo's texture) | 20.00 | 0.500 | 0.81 | 0.84 | 160 of 168 |"
    ci = dict(psnr_masked_ci=[19.0, 21.0], ssim_masked_ci=[0.4, 0.6], detail_ratio_ci=[0.7, 0.9],
              detail_ratio_median_ci=[0.75, 0.88])
    (line,) = format_detail_table({"brush": {"sharp": dict(new, **ci)}}).splitlines()[2:]
    assert line == ("| brush | Sharp fill (U-Net + the photo's texture) | 20.00 [19.00, 21.00] | 0.500 [0.400, 0.600] "
                    "| 0.81 [0.75, 0.88] | 0.84 [0.70, 0.90] | 160 of 168 |")
