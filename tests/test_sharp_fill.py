"""The sharp fill: texture synthesis on the patch engine, and the contract ``sharp_fill`` keeps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from patchlab.inpainting.baselines import harmonic
from patchlab.inpainting.detail import detail_ratio
from patchlab.inpainting.infer import DEFAULT_MODEL
from patchlab.inpainting.synthesis import RECIPE, hole_cells, source_blocks, texture_transfer


def _grain(h=96, w=96, seed=0):
    """A photo of pure grain: blurred noise, as grass or gravel look at a distance."""
    import cv2

    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 1, (h, w)).astype(np.float32)
    grain = cv2.GaussianBlur(noise, (0, 0), 0.7)
    grey = np.clip(120 + 40 * grain / grain.std(), 0, 255)
    return np.dstack([grey, grey * 0.9, grey * 0.7]).astype(np.uint8)


def _square(shape, y0, y1, x0, x1):
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


# ------------------------------------------------------------------ the synthesis, no network
def test_texture_comes_back_on_a_smooth_guide_and_known_pixels_stay():
    photo = _grain()
    mask = _square(photo.shape[:2], 30, 70, 25, 65)
    guide = harmonic(photo, mask)
    out = texture_transfer(guide, mask, seed=0)
    np.testing.assert_array_equal(out[~mask], guide[~mask].astype(np.float32))
    filled = photo.copy()
    filled[mask] = np.clip(np.rint(out[mask]), 0, 255).astype(np.uint8)
    assert detail_ratio(photo, guide, mask) < 0.05
    assert 0.5 < detail_ratio(photo, filled, mask) < 1.5
    # the colours stay those of the smooth guide: only the fine detail is added
    assert abs(float(filled[mask].mean()) - float(guide[mask].mean())) < 4


def test_the_same_seed_gives_the_same_texture_and_another_seed_another():
    photo = _grain(seed=2)
    mask = _square(photo.shape[:2], 20, 60, 30, 70)
    guide = harmonic(photo, mask)
    a, b = texture_transfer(guide, mask, seed=3), texture_transfer(guide, mask, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, texture_transfer(guide, mask, seed=4))
    two = texture_transfer(guide, mask, seed=3, cell=2)
    assert two.shape == a.shape and np.isfinite(two).all()


def test_sources_lie_away_from_the_hole_and_cells_go_border_first():
    hole = _square((40, 40), 10, 20, 10, 20)
    for cell in (1, 2):
        valid = source_blocks(hole, cell=cell, radius=3, margin=3)
        ys, xs = np.nonzero(valid)
        for dy in range(cell):
            for dx in range(cell):
                assert not hole[ys + dy, xs + dx].any()
        assert ys.min() + cell // 2 >= 3 and ys.max() + cell // 2 < 37
    cells = hole_cells(hole)
    assert len(cells) == hole.sum() and {tuple(c) for c in cells} == set(zip(*np.nonzero(hole)))
    depth = [min(y - 10, 19 - y, x - 10, 19 - x) for y, x in cells]
    assert depth == sorted(depth)
    two = hole_cells(hole, cell=2)
    assert len(two) == 25 and (two % 2 == 0).all()  # rows and columns 10-19: five cells of 2 each way


def test_no_room_to_copy_from_returns_the_guide():
    guide = np.full((20, 20, 3), 77.0, np.float32)
    mask = np.ones((20, 20), bool)
    mask[0, 0] = False
    np.testing.assert_array_equal(texture_transfer(guide, mask), guide)
    np.testing.assert_array_equal(texture_transfer(guide, np.zeros((20, 20), bool)), guide)


def test_synthesis_arguments_are_checked():
    guide = np.zeros((20, 20, 3), np.float32)
    mask = np.zeros((20, 20), bool)
    with pytest.raises(ValueError, match="`guide`"):
        texture_transfer(guide[..., 0], mask)
    with pytest.raises(ValueError, match="`mask`"):
        texture_transfer(guide, mask.astype(np.uint8))
    with pytest.raises(ValueError, match="`cell`"):
        texture_transfer(guide, mask, cell=0)


# ------------------------------------------------------------------ the contract, with the shipped U-Net
needs_model = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed")


@pytest.fixture(scope="module")
def sharp_fill():
    from patchlab.inpainting import sharp_fill

    return sharp_fill


@needs_model
def test_sharp_fill_keeps_known_pixels_is_seeded_and_restores_detail(sharp_fill):
    from patchlab.inpainting.sharp import structure_model

    photo = _grain(128, 128, seed=5)
    mask = _square(photo.shape[:2], 40, 90, 30, 80)
    out = sharp_fill(photo, mask)
    assert out.dtype == np.uint8 and out.shape == photo.shape
    np.testing.assert_array_equal(out[~mask], photo[~mask])
    np.testing.assert_array_equal(out, sharp_fill(photo, mask, seed=0))
    assert not np.array_equal(out, sharp_fill(photo, mask, seed=1))
    smooth = structure_model().inpaint(photo, mask)
    assert detail_ratio(photo, smooth, mask) < 0.3 < detail_ratio(photo, out, mask)


@needs_model
@pytest.mark.parametrize("case", ["tiny", "border", "corner", "most", "flat", "large", "no hole"])
def test_sharp_fill_handles_awkward_holes_and_photos(sharp_fill, case):
    photo = _grain(64, 80, seed=7)
    h, w = photo.shape[:2]
    mask = np.zeros((h, w), bool)
    if case == "tiny":
        mask[30, 40] = True
    elif case == "border":
        mask[:, 70:] = True
    elif case == "corner":
        mask[:12, :12] = True
    elif case == "most":
        mask[:] = True
        mask[::9, ::9] = False  # 1 pixel in 81 known
    elif case == "flat":
        photo = np.full((h, w, 3), 140, np.uint8)
        mask[10:50, 20:60] = True
    elif case == "large":  # a page-sized photo: structure at half size, 2x2 cells
        photo = _grain(401, 517, seed=8)
        h, w = photo.shape[:2]
        mask = np.zeros((h, w), bool)
        mask[100:300, 150:400] = True
    out = sharp_fill(photo, mask)
    assert out.shape == photo.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~mask], photo[~mask])
    if case == "flat":
        assert np.abs(out.astype(int) - 140).max() <= 3
    if case == "no hole":
        np.testing.assert_array_equal(out, photo)


@needs_model
def test_warm_up_loads_once_and_returns_its_time():
    from patchlab.inpainting import sharp

    assert sharp.warm_up() >= 0 and sharp.structure_model() is sharp.structure_model()


@needs_model
def test_sharp_fill_refuses_bad_input_by_name(sharp_fill):
    photo = _grain(32, 32)
    mask = np.zeros((32, 32), bool)
    mask[8:16, 8:16] = True
    with pytest.raises(ValueError, match="`image`"):
        sharp_fill(photo.astype(np.float32), mask)
    with pytest.raises(ValueError, match="`mask`"):
        sharp_fill(photo, mask[:10])
    with pytest.raises(ValueError, match="`mask`"):
        sharp_fill(photo, np.ones((32, 32), bool))
    with pytest.raises(ValueError, match="`seed`"):
        sharp_fill(photo, mask, seed=0.5)


def test_the_recipe_is_a_value():
    assert replace(RECIPE) == RECIPE and RECIPE.margin >= 1
