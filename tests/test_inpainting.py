"""Inpainting: masks, canvas mapping, first guesses, inference contract, baselines, display.

Model building, training, the model card, the photo downloads and the evaluation
metrics are tested in test_inpainting_training.py.
"""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from patchlab.inpainting import Inpainter, ModelUnavailable
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.display import canvas_size, colour_levels, error_levels, to_png
from patchlab.inpainting.infer import DEFAULT_MODEL, check_inputs, pad_to_multiple
from patchlab.inpainting.masks import (
    TUTORIAL_SQUARE, brush_mask, canvas_to_mask, mask_batch, random_mask, square_mask,
)
from patchlab.inpainting.prefill import PREFILLS, harmonic_fill, prefill_function, pull_push_fill


# ----------------------------------------------------------------- masks
@pytest.mark.parametrize("kind", ["square", "brush", "rectangle", "mixed"])
def test_masks_are_seeded_and_shaped(kind):
    a = random_mask((96, 128), seed=7, kind=kind)
    b = random_mask((96, 128), seed=7, kind=kind)
    assert a.shape == (96, 128) and a.dtype == bool
    np.testing.assert_array_equal(a, b)
    batch = mask_batch(5, (96, 128), seed=3, kind=kind)
    assert batch.shape == (5, 96, 128)
    assert not all(np.array_equal(batch[0], m) for m in batch[1:])  # not all the same


@pytest.mark.parametrize("kind", ["brush", "rectangle", "mixed"])
def test_masked_fraction_is_bounded(kind):
    fractions = mask_batch(60, (128, 128), seed=1, kind=kind).mean(axis=(1, 2))
    floor = 0.04 if kind == "mixed" else 0.05  # mixed includes the tutorial square (4.8 %)
    assert fractions.min() >= floor and fractions.max() <= 0.5


def test_square_mask_is_the_tutorials():
    m = square_mask((228, 228), seed=0)
    assert m.sum() == 50 * 50
    ys, xs = np.nonzero(m)
    assert ys.max() - ys.min() + 1 == 50 and xs.max() - xs.min() + 1 == 50
    assert round(TUTORIAL_SQUARE * 256) == 56


def test_brush_strokes_are_round_and_scaled():
    small = brush_mask((256, 256), seed=4, strokes=1).mean()
    large = brush_mask((512, 512), seed=4, strokes=1).mean()
    assert small > 0 and abs(small - large) < 0.02  # widths scale with the image side


def test_mask_arguments_are_checked():
    with pytest.raises(ValueError, match="kind"):
        random_mask((64, 64), kind="circle")
    with pytest.raises(ValueError, match="shape"):
        random_mask((2, 64))
    with pytest.raises(ValueError, match="min_fraction"):
        random_mask((64, 64), min_fraction=0.6, max_fraction=0.5)
    with pytest.raises(ValueError, match="square_share"):
        random_mask((64, 64), square_share=1.5)


def test_square_share_sets_how_often_the_mixed_masks_are_tutorial_squares():
    rng = np.random.default_rng(2)
    square = square_mask((128, 128), seed=0).sum()  # every tutorial square has this area

    def squares(share):
        masks = [random_mask((128, 128), rng, "mixed", square_share=share) for _ in range(200)]
        return np.mean([m.sum() == square and m.any(axis=0).sum() ** 2 == square for m in masks])

    assert squares(0.0) == 0 and squares(1.0) == 1
    assert 0.3 < squares(0.5) < 0.7
    # without a share, the historic draw (and its random stream) is kept
    np.testing.assert_array_equal(random_mask((64, 64), seed=9, kind="mixed"),
                                  random_mask((64, 64), seed=9, kind="mixed", square_share=None))


# --------------------------------------------------------- canvas mapping
def test_canvas_stretched_over_image_maps_exactly():
    rgba = np.zeros((100, 200, 4), np.uint8)
    rgba[:50, :100, 3] = 255
    m = canvas_to_mask(rgba, (10, 10, 3))
    expected = np.zeros((10, 10), bool)
    expected[:5, :5] = True
    np.testing.assert_array_equal(m, expected)


def test_canvas_smaller_than_image_uses_pixel_centres():
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[2, 3, 3] = 255  # one canvas pixel = a 10x10 block of a 100x100 image
    m = canvas_to_mask(rgba, (100, 100))
    assert m.sum() == 100 and m[20:30, 30:40].all()


def test_canvas_any_painted_pixel_marks_its_image_pixel():
    rgba = np.zeros((300, 300, 4), np.uint8)
    rgba[149, 0, 3] = 1  # a single antialiased canvas pixel
    m = canvas_to_mask(rgba, (100, 100))
    assert m.sum() == 1 and m[49, 0]


def test_canvas_fit_with_offset_and_letterbox():
    # a 100x50 (w x h) image shown at scale 2 with a 20 px top margin on a 200x140 canvas
    fit = {"natural_width": 100, "natural_height": 50, "scale_x": 2.0, "scale_y": 2.0,
           "offset_x": 0.0, "offset_y": 20.0}
    rgba = np.zeros((140, 200, 4), np.uint8)
    rgba[20:40, 0:20, 3] = 255  # canvas rows 20-39 = image rows 0-9
    rgba[:20, :, 3] = 255  # paint in the margin: outside the image, ignored
    m = canvas_to_mask(rgba, (50, 100), fit)
    expected = np.zeros((50, 100), bool)
    expected[0:10, 0:10] = True
    np.testing.assert_array_equal(m, expected)


# Image (h, w); the photo's natural size (w, h) as the browser reports it; canvas px per natural px
# (x, y); offsets (x, y). Scales and offsets differ in x and y, and the images are not square, so a
# mapping that swaps x and y anywhere (scales, offsets, natural sizes, axes) marks other pixels.
FITS = [
    ((50, 80), (160, 200), (1.5, 0.5), (7.0, 12.0)),  # 3 x 2 canvas px per image px, natural != image
    ((60, 90), (90, 60), (1.7, 2.3), (13.4, 5.6)),  # fractional scales and offsets
    ((90, 40), (120, 90), (0.6, 2.5), (3.3, 21.7)),  # a tall image, natural 3x wider than the image
    ((120, 160), (160, 120), (4.0, 3.25), (0.0, 31.5)),  # a letterboxed canvas larger than 500 px
]


@pytest.mark.parametrize("shape, natural, scale, offset", FITS)
def test_canvas_fit_with_unequal_scales_and_offsets_maps_x_and_y_apart(shape, natural, scale, offset):
    import math

    h, w = shape
    fit = {"natural_width": natural[0], "natural_height": natural[1], "scale_x": scale[0],
           "scale_y": scale[1], "offset_x": offset[0], "offset_y": offset[1]}
    sx, sy = scale[0] * natural[0] / w, scale[1] * natural[1] / h  # canvas px per image px
    ox, oy = offset
    canvas_h, canvas_w = math.ceil(oy + sy * h) + 9, math.ceil(ox + sx * w) + 5  # margins below, right
    r0, r1, c0, c1 = h // 10, h // 3, w // 4, (4 * w) // 5  # an image block, not square
    rgba = np.zeros((canvas_h, canvas_w, 4), np.uint8)
    # the canvas pixels that lie wholly inside image rows r0..r1-1 and columns c0..c1-1
    rgba[math.ceil(oy + sy * r0):math.floor(oy + sy * r1), math.ceil(ox + sx * c0):math.floor(ox + sx * c1), 3] = 255
    rgba[:math.floor(oy), :, 3] = 255  # margins: outside the image, ignored
    rgba[:, :math.floor(ox), 3] = 255
    rgba[math.ceil(oy + sy * h):, :, 3] = 255
    rgba[:, math.ceil(ox + sx * w):, 3] = 255
    expected = np.zeros(shape, bool)
    expected[r0:r1, c0:c1] = True
    np.testing.assert_array_equal(canvas_to_mask(rgba, shape + (3,), fit), expected)


@settings(max_examples=30, deadline=None)
@given(st.integers(16, 120), st.integers(16, 120), st.integers(20, 200), st.integers(20, 200))
def test_canvas_mapping_of_a_full_drawing_is_full(h, w, ch, cw):
    rgba = np.zeros((ch, cw, 4), np.uint8)
    assert not canvas_to_mask(rgba, (h, w)).any()
    rgba[..., 3] = 255
    assert canvas_to_mask(rgba, (h, w)).all()


def test_canvas_mapping_checks_arguments():
    with pytest.raises(ValueError, match="rgba"):
        canvas_to_mask(np.zeros((10, 10, 3), np.uint8), (10, 10))
    with pytest.raises(ValueError, match="image_shape"):
        canvas_to_mask(np.zeros((10, 10, 4), np.uint8), (0, 10))


def test_canvas_size_keeps_aspect():
    assert canvas_size((512, 1024)) == (640, 320)
    w, h = canvas_size((600, 400))
    assert h <= 520 and abs(w / h - 400 / 600) < 0.01


# --------------------------------------------------------------- pull-push
def test_pull_push_keeps_known_pixels_and_fills_smoothly():
    rng = np.random.default_rng(0)
    img = rng.random((37, 53, 3)).astype(np.float32)
    mask = random_mask((37, 53), seed=2, kind="brush")
    out = pull_push_fill(img, mask)
    np.testing.assert_array_equal(out[~mask], img[~mask])
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    flat = np.full((20, 20, 3), 0.3, np.float32)
    hole = np.zeros((20, 20), bool)
    hole[5:15, 5:15] = True
    np.testing.assert_allclose(pull_push_fill(flat, hole), 0.3, atol=1e-6)


# ---------------------------------------------------------------- harmonic
def test_harmonic_fill_solves_laplace_exactly():
    # a plane a + b y + c x is harmonic: the fill reproduces it inside any hole
    y, x = np.mgrid[0:30, 0:41].astype(np.float32)
    plane = np.stack([0.2 + 0.01 * y, 0.5 - 0.005 * x, 0.1 + 0.004 * (x + y)], axis=-1)
    mask = random_mask((30, 41), seed=4, kind="brush")
    mask[[0, -1], :] = False  # keep the image border known:
    mask[:, [0, -1]] = False  # there the fill has zero slope across the edge, as a plane need not
    out = harmonic_fill(plane, mask)
    np.testing.assert_array_equal(out[~mask], plane[~mask])
    np.testing.assert_allclose(out, plane, atol=1e-5)
    # every missing pixel is the mean of its four neighbours (away from the border)
    img = np.random.default_rng(1).random((30, 41, 1)).astype(np.float32)
    hole = np.zeros((30, 41), bool)
    hole[8:20, 10:30] = True
    f = harmonic_fill(img, hole)[..., 0]
    mean4 = (f[7:19, 10:30] + f[9:21, 10:30] + f[8:20, 9:29] + f[8:20, 11:31]) / 4
    np.testing.assert_allclose(f[8:20, 10:30], mean4, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(st.integers(6, 60), st.integers(6, 60), st.integers(0, 10_000),
       st.sampled_from(["square", "brush", "rectangle"]), st.integers(1, 400))
def test_harmonic_fill_keeps_known_pixels_and_their_range(h, w, seed, kind, max_unknowns):
    """Known pixels pass through; the fill stays within the known values (maximum principle),
    on the exact path and on the coarse one (small ``max_unknowns``)."""
    rng = np.random.default_rng(seed)
    img = rng.uniform(0.2, 0.7, (h, w, 2)).astype(np.float32)
    mask = random_mask((h, w), seed=rng, kind=kind)
    out = harmonic_fill(img, mask, max_unknowns=max_unknowns)
    assert out.shape == img.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out[~mask], img[~mask])
    known = img[~mask]
    assert out.min() >= known.min() - 1e-5 and out.max() <= known.max() + 1e-5


def test_harmonic_fill_coarse_path_stays_close_to_the_exact_solve():
    from skimage import data

    img = data.astronaut()[::2, ::2].astype(np.float32) / 255  # 256 x 256
    mask = np.zeros((256, 256), bool)
    mask[60:180, 70:190] = True  # 14,400 unknowns
    exact = harmonic_fill(img, mask)
    coarse = harmonic_fill(img, mask, max_unknowns=5_000)
    np.testing.assert_array_equal(coarse[~mask], img[~mask])
    rms = np.sqrt(np.mean((coarse - exact)[mask] ** 2))
    assert rms < 0.015 and not np.array_equal(coarse, exact)  # within 4 of 255 (measured 2.9), and it changed path


def test_harmonic_fill_edge_cases_and_names():
    img = np.random.default_rng(0).random((8, 9, 3)).astype(np.float32)
    np.testing.assert_array_equal(harmonic_fill(img, np.zeros((8, 9), bool)), img)
    np.testing.assert_array_equal(harmonic_fill(img, np.ones((8, 9), bool)), 0.5)
    with pytest.raises(ValueError, match="mask"):
        harmonic_fill(img, np.zeros((8, 8), bool))
    with pytest.raises(ValueError, match="max_unknowns"):
        harmonic_fill(img, np.zeros((8, 9), bool), max_unknowns=0)
    assert prefill_function(None) is pull_push_fill  # models trained before the field existed
    assert prefill_function("harmonic") is harmonic_fill and set(PREFILLS) == {"pull-push", "harmonic"}
    with pytest.raises(ValueError, match="name"):
        prefill_function("telea")


# ---------------------------------------------------- model and inference
@pytest.fixture(scope="module")
def tiny(tiny_model_path):
    return Inpainter.load(tiny_model_path, allow_outside_models=True, tile_size=64)


@pytest.mark.parametrize("shape", [(16, 16), (37, 53), (64, 64), (100, 30), (150, 211)])
def test_known_pixels_unchanged_any_size(tiny, shape):
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    mask = random_mask(shape, seed=5, kind="brush")
    out = tiny.inpaint(image, mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~mask], image[~mask])
    assert not np.array_equal(out[mask], image[mask])


@pytest.fixture(scope="module")
def tiny_seed(tmp_path_factory):
    """The tutorial's network, untrained, loaded through Inpainter (its output does not keep known pixels)."""
    import keras

    from patchlab.inpainting.model import build_seed

    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("models") / "tiny_seed.keras"
    build_seed().save(path)
    return Inpainter.load(path, allow_outside_models=True)


@pytest.mark.parametrize("shape", [(16, 16), (37, 53), (44, 44), (60, 97), (100, 30)])
def test_tutorial_network_keeps_known_pixels_exactly_through_inpainter(tiny_seed, shape):
    # The U-Net composites internally, so only the tutorial's network shows whether
    # Inpainter itself puts the known pixels back.
    assert tiny_seed.arch == "seed"
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    mask = random_mask(shape, seed=2, kind="brush")
    raw = tiny_seed._run(image[None].astype(np.float32) / 255, mask[None, :, :, None].astype(np.float32))[0]
    raw = np.clip(np.rint(raw * 255), 0, 255).astype(np.uint8)
    assert (raw[~mask] != image[~mask]).mean() > 0.5  # the network alone changes the known pixels
    out = tiny_seed.inpaint(image, mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~mask], image[~mask])
    np.testing.assert_array_equal(out[mask], raw[mask])  # the hole is the network's fill


def test_large_images_go_through_overlapping_tiles(tiny):
    image = np.random.default_rng(1).integers(0, 256, (150, 211, 3), dtype=np.uint8)
    mask = np.zeros((150, 211), bool)
    mask[10:140, 20:200] = True
    calls = []
    tiled = tiny.inpaint(image, mask, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1] > 1  # several tiles, progress reached the end
    # tiles that hold no missing pixel are skipped
    calls.clear()
    small_hole = np.zeros_like(mask)
    small_hole[5:9, 5:9] = True
    tiny.inpaint(image, small_hole, progress=lambda d, t: calls.append(t))
    assert calls[-1] == 1
    # no seam: the tiled fill of a smooth image is as smooth as the image
    ramp = np.broadcast_to(np.linspace(0, 255, 211, dtype=np.float32), (150, 211))
    smooth = np.repeat(ramp[..., None], 3, axis=2).astype(np.uint8)
    out = tiny.inpaint(smooth, mask).astype(np.float32)
    jumps = np.abs(np.diff(out[20:130, 30:190], axis=1)).max()
    assert jumps < 12, f"a seam or jump of {jumps} grey levels"
    assert tiled.shape == image.shape


def test_test_time_flips_average_the_mirrored_fills(tiny_model_path):
    # four views: the fill of the mirrored photo, mirrored back, averaged with the plain fill
    one = Inpainter.load(tiny_model_path, allow_outside_models=True, tile_size=64, flips=1)
    four = Inpainter.load(tiny_model_path, allow_outside_models=True, tile_size=64)
    assert four.flips == 4 and four.flips_for(1) == 4 and four.flips_for(2) == 2
    assert four.flips_for(3) == four.flips_for(9) == 1 and one.flips_for(1) == 1
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    mask = random_mask((48, 64), seed=2, kind="square") | random_mask((48, 64), seed=4, kind="brush")
    fills = [one.inpaint(np.flip(image, axes), np.flip(mask, axes)) for axes in [(), (1,), (0,), (0, 1)]]
    fills = [np.flip(f, axes).astype(np.float64) for f, axes in zip(fills, [(), (1,), (0,), (0, 1)])]
    averaged = four.inpaint(image, mask).astype(np.float64)
    assert np.abs(averaged - np.mean(fills, axis=0))[mask].max() <= 1.0  # rounding of each fill
    assert np.abs(averaged - fills[0])[mask].max() > 1.0  # and not the plain fill
    np.testing.assert_array_equal(averaged[~mask], image[~mask])
    # so the fill of a mirrored photo is the mirrored fill (sides a multiple of 16: no padding)
    mirrored = four.inpaint(image[:, ::-1], mask[:, ::-1])[:, ::-1].astype(np.float64)
    assert np.abs(mirrored - averaged).max() <= 1.0
    # a region of several tiles still goes through in batches of at most four images
    seen = []
    real_run = four._run
    four._run = lambda x, m: seen.append(len(x)) or real_run(x, m)
    try:
        big = np.zeros((150, 211), bool)
        big[10:140, 20:200] = True
        four.inpaint(rng.integers(0, 256, (150, 211, 3), dtype=np.uint8), big)
        two = np.zeros((60, 100), bool)
        two[20:40, 10:90] = True  # two tiles of 64: each with its left-right mirror
        seen_before = len(seen)
        four.inpaint(rng.integers(0, 256, (60, 100, 3), dtype=np.uint8), two)
    finally:
        four._run = real_run
    assert max(seen) <= four.batch and seen[seen_before:] == [4]
    with pytest.raises(ValueError, match="flips"):
        Inpainter.load(tiny_model_path, allow_outside_models=True, flips=3)


def test_context_box_grows_and_clips():
    from patchlab.inpainting.infer import context_box

    mask = np.zeros((100, 120), bool)
    mask[40:50, 10:30] = True
    assert context_box(mask, 16) == (24, 66, 0, 46)
    assert context_box(mask, 0) == (40, 50, 10, 30)
    assert context_box(np.zeros((5, 7), bool), 3) == (0, 5, 0, 7)
    with pytest.raises(ValueError, match="margin"):
        context_box(mask, -1)


def test_large_photo_is_filled_from_the_hole_and_its_context(tiny_model_path):
    """Of a photo larger than a tile, the network sees only the hole's box plus a band."""
    model = Inpainter.load(tiny_model_path, allow_outside_models=True, tile_size=64, context=12)
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (150, 211, 3), dtype=np.uint8)
    mask = np.zeros((150, 211), bool)
    mask[60:80, 90:120] = True
    calls = []
    out = model.inpaint(image, mask, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1)]  # one pass over the hole's box, not every tile
    np.testing.assert_array_equal(out[~mask], image[~mask])
    assert not np.array_equal(out[mask], image[mask])


def test_warm_up_traces_the_network_once_on_a_full_batch(tiny_model_path):
    model = Inpainter.load(tiny_model_path, allow_outside_models=True, tile_size=64)
    assert model._forward is None
    assert model.warm_up() > 0
    forward = model._forward
    assert forward is not None
    image = np.random.default_rng(4).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    mask = np.zeros((40, 50), bool)
    mask[10:20, 10:30] = True
    out = model.inpaint(image, mask)
    assert model._forward is forward  # the Fill reuses the traced graph
    np.testing.assert_array_equal(out[~mask], image[~mask])


def test_empty_mask_returns_the_image(tiny):
    image = np.random.default_rng(2).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    out = tiny.inpaint(image, np.zeros((20, 30), bool))
    np.testing.assert_array_equal(out, image)
    assert out is not image


def test_bad_inputs_are_refused_with_names(tiny):
    image = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="covers the whole image"):
        tiny.inpaint(image, np.ones((32, 32), bool))
    with pytest.raises(ValueError, match="at least 16"):
        tiny.inpaint(np.zeros((8, 32, 3), np.uint8), np.zeros((8, 32), bool))
    with pytest.raises(ValueError, match="`mask`"):
        tiny.inpaint(image, np.zeros((32, 31), bool))
    with pytest.raises(ValueError, match="uint8"):
        check_inputs(image.astype(np.float32), np.zeros((32, 32), bool))


def test_load_refuses_missing_corrupt_and_outside_paths(tmp_path):
    from patchlab.inpainting.infer import MODELS_DIR
    from patchlab.inpainting.recipe import retrain_command

    with pytest.raises(ValueError, match="only loaded from"):
        Inpainter.load(tmp_path / "x.keras")
    with pytest.raises(ModelUnavailable) as missing:
        Inpainter.load(MODELS_DIR / "does-not-exist.keras")
    assert retrain_command("inpainting") in str(missing.value)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(ModelUnavailable) as corrupt:
        Inpainter.load(broken, allow_outside_models=True)
    assert "could not be loaded" in str(corrupt.value) and retrain_command("inpainting") in str(corrupt.value)


def test_unavailable_models_name_the_recipe_that_reproduces_them(monkeypatch, tmp_path):
    # The message names the command that remakes the shipped file, how long it takes, and for
    # the U-Net what the shorter recipe gives; the tutorial network's file gets its own recipe.
    import patchlab.inpainting.infer as infer
    from patchlab.inpainting.recipe import retrain_advice, retrain_command

    assert infer.recipe_for(infer.MODELS_DIR / "inpainting.keras") == "inpainting"
    assert infer.recipe_for(infer.MODELS_DIR / "inpainting_seed.keras") == "inpainting_seed"
    assert infer.recipe_for(tmp_path / "anything.keras") == "inpainting"
    monkeypatch.setattr(infer, "DEFAULT_MODEL", infer.MODELS_DIR / "missing-for-this-test.keras")
    with pytest.raises(ModelUnavailable) as missing:
        Inpainter.load()
    message = str(missing.value)
    command, about, shorter = retrain_advice("inpainting").splitlines()
    assert f"Retrain it with:\n\n    {command}\n\n" in message and command == retrain_command()
    assert about[1:] in message and shorter in message and "inpainting_quick" in message
    seed_note = infer.retrain_message(infer.MODELS_DIR / "inpainting_seed.keras")
    assert seed_note.startswith(retrain_command("inpainting_seed") + "\n\n")
    assert "inpainting_quick" not in seed_note


def test_pad_to_multiple():
    x = np.zeros((2, 37, 50, 3))
    padded, hw = pad_to_multiple(x, 16)
    assert padded.shape == (2, 48, 64, 3) and hw == (37, 50)
    padded, _ = pad_to_multiple(np.zeros((1, 256, 256, 3)), 8, offset=4)
    assert padded.shape[1] % 8 == 4 and padded.shape[1] >= 256
    padded, hw = pad_to_multiple(np.zeros((1, 16, 37, 3)), 8, offset=4, minimum=44)
    assert padded.shape == (1, 44, 44, 3) and hw == (16, 37)  # the tutorial network's smallest input


@pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed yet")
def test_shipped_model_loads_safely_and_keeps_known_pixels():
    model = Inpainter.load()
    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    assert card["held_out_photos"] and card["training_photos"] and card["steps_done"] >= 1
    held = {p["name"] for p in card["held_out_photos"]}
    assert not held & {p["name"] for p in card["training_photos"]}
    image = np.random.default_rng(0).integers(0, 256, (40, 300, 3), dtype=np.uint8)
    mask = random_mask((40, 300), seed=1, kind="brush")
    out = model.inpaint(image, mask)
    np.testing.assert_array_equal(out[~mask], image[~mask])


# ------------------------------------------------------- classical, metrics
@pytest.mark.parametrize("name", list(CLASSICAL))
def test_classical_methods_change_only_the_hole(name):
    image = np.random.default_rng(3).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    mask = random_mask((40, 48), seed=0, kind="rectangle")
    out = CLASSICAL[name][1](image, mask)
    np.testing.assert_array_equal(out[~mask], image[~mask])
    assert out.dtype == np.uint8 and out.shape == image.shape


def test_display_helpers():
    a = np.zeros((10, 12, 3), np.uint8)
    b = a.copy()
    b[2, 3] = 200
    heat = colour_levels(error_levels(a, b))
    assert heat.shape == (10, 12, 3) and heat.dtype == np.uint8 and heat[2, 3].sum() > heat[0, 0].sum()
    levels = error_levels(a, b, vmax=100)
    assert levels.dtype == np.uint8 and levels[2, 3] == 255 and levels[0, 0] == 0
    assert error_levels(a, b, vmax=400)[2, 3] == 128  # 200 of 400, on the 0-255 scale
    from matplotlib import colormaps

    ends = (colormaps["magma"]([0, 255])[:, :3] * 255).astype(np.uint8)  # the map's first and last colours
    np.testing.assert_array_equal(colour_levels(levels)[[0, 2], [0, 3]], ends)
    png = to_png(np.eye(5, dtype=bool))
    assert Image.open(__import__("io").BytesIO(png)).size == (5, 5)


def test_one_model_serves_threads_at_once(tiny):
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(9)
    jobs = [(rng.integers(0, 256, (40 + 7 * k, 90, 3), dtype=np.uint8),
             random_mask((40 + 7 * k, 90), seed=k, kind="brush")) for k in range(6)]
    alone = [tiny.inpaint(img, m) for img, m in jobs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda job: tiny.inpaint(*job), jobs))
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def test_canvas_mapping_works_down_to_one_pixel():
    from patchlab.inpainting.masks import canvas_to_mask

    painted = np.zeros((1, 1, 4), np.uint8)
    painted[..., 3] = 255
    assert canvas_to_mask(painted, (1, 1)).tolist() == [[True]]
    assert canvas_to_mask(painted, (1, 5)).tolist() == [[True] * 5]  # a 1-pixel canvas over a 1x5 photo
    strip = np.zeros((1, 6, 4), np.uint8)
    strip[0, :3, 3] = 255  # the left half of a 1x6 canvas
    assert canvas_to_mask(strip, (1, 2)).tolist() == [[True, False]]
    tall = np.zeros((6, 1, 4), np.uint8)
    tall[3:, 0, 3] = 255  # the lower half of a 6x1 canvas
    assert canvas_to_mask(tall, (2, 1)).tolist() == [[False], [True]]
