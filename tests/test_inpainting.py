"""Inpainting: masks, canvas mapping, pull-push, model, inference contract, training smoke."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from patchlab.inpainting import Inpainter, ModelUnavailable
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.display import canvas_size, colour_levels, error_levels, to_png
from patchlab.inpainting.evaluate import region_metrics, target_check
from patchlab.inpainting.infer import DEFAULT_MODEL, RETRAIN, check_inputs, pad_to_multiple
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
def tiny_model_path(tmp_path_factory):
    from patchlab.inpainting.model import build_unet

    model = build_unet(widths=(4, 8, 8, 8, 8))
    model.get_layer("correction").set_weights(  # a non-zero correction, so the hole changes
        [np.full((1, 1, 4, 3), 0.05, np.float32), np.full((3,), 0.1, np.float32)])
    path = tmp_path_factory.mktemp("models") / "tiny.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def tiny(tiny_model_path):
    return Inpainter.load(tiny_model_path, allow_outside_models=True, tile_size=64)


def test_upsampling_starts_bilinear():
    from patchlab.inpainting.model import build_unet
    from patchlab.upsampling import bilinear_weights

    model = build_unet(widths=(4, 8, 8))
    w = model.get_layer("dec0_upsample").get_weights()[0]
    np.testing.assert_allclose(w, bilinear_weights(2, 8))


def test_save_load_round_trip_with_safe_mode(tiny_model_path):
    import keras

    model = keras.models.load_model(tiny_model_path, safe_mode=True)
    x = {"image": np.random.default_rng(0).random((1, 32, 48, 3)).astype(np.float32),
         "mask": np.zeros((1, 32, 48, 1), np.float32)}
    x["mask"][:, 8:20, 10:30] = 1
    again = keras.models.load_model(tiny_model_path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(model(x, training=False)),
                               np.asarray(again(x, training=False)), atol=1e-6)
    # known pixels pass through the network's composite unchanged
    out = np.asarray(model(x, training=False))
    np.testing.assert_allclose(out[x["mask"][..., 0] == 0], x["image"][x["mask"][..., 0] == 0],
                               atol=1e-6)


def test_context_blocks_start_as_the_identity_and_weights_carry_over_by_name():
    import keras

    from patchlab.inpainting.model import build_unet
    from patchlab.inpainting.train import copy_weights_by_name

    keras.utils.set_random_seed(0)
    plain = build_unet(widths=(4, 8, 8))
    plain.get_layer("correction").set_weights(
        [np.full((1, 1, 4, 3), 0.05, np.float32), np.full((3,), 0.1, np.float32)])
    wider = build_unet(widths=(4, 8, 8), context_blocks=2)
    new = copy_weights_by_name(plain, wider)
    assert new == ["context0_conv1", "context0_conv2", "context1_conv1", "context1_conv2"]
    assert wider.get_layer("context1_conv1").dilation_rate == (4, 4)
    x = {"image": np.random.default_rng(1).random((1, 32, 32, 3)).astype(np.float32),
         "mask": np.ones((1, 32, 32, 1), np.float32)}
    np.testing.assert_allclose(np.asarray(wider(x)), np.asarray(plain(x)), atol=1e-6)
    # once the blocks learn something, the output changes
    wider.get_layer("context0_conv2").set_weights(
        [np.full(w.shape, 0.01, np.float32) for w in wider.get_layer("context0_conv2").get_weights()])
    assert np.abs(np.asarray(wider(x)) - np.asarray(plain(x))).max() > 1e-4
    with pytest.raises(ValueError, match="lacks: context0_conv1"):
        copy_weights_by_name(wider, plain)
    with pytest.raises(ValueError, match="shapes"):
        copy_weights_by_name(build_unet(widths=(4, 8, 16)), plain)
    with pytest.raises(ValueError, match="context_blocks"):
        build_unet(context_blocks=-1)


def test_seed_network_keeps_the_tutorial_size():
    from patchlab.inpainting.model import build_seed

    model = build_seed()
    assert model(np.zeros((1, 228, 228, 3), np.float32)).shape == (1, 228, 228, 3)
    names = [layer.name for layer in model.layers]
    assert "bottleneck_conv2" in names and "output_relu" in names


@pytest.mark.parametrize("shape", [(16, 16), (37, 53), (64, 64), (100, 30), (150, 211)])
def test_known_pixels_unchanged_any_size(tiny, shape):
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    mask = random_mask(shape, seed=5, kind="brush")
    out = tiny.inpaint(image, mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~mask], image[~mask])
    assert not np.array_equal(out[mask], image[mask])


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

    with pytest.raises(ValueError, match="only loaded from"):
        Inpainter.load(tmp_path / "x.keras")
    with pytest.raises(ModelUnavailable) as missing:
        Inpainter.load(MODELS_DIR / "does-not-exist.keras")
    assert RETRAIN in str(missing.value)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(ModelUnavailable) as corrupt:
        Inpainter.load(broken, allow_outside_models=True)
    assert "could not be loaded" in str(corrupt.value) and RETRAIN in str(corrupt.value)


def test_pad_to_multiple():
    x = np.zeros((2, 37, 50, 3))
    padded, hw = pad_to_multiple(x, 16)
    assert padded.shape == (2, 48, 64, 3) and hw == (37, 50)
    padded, _ = pad_to_multiple(np.zeros((1, 256, 256, 3)), 8, offset=4)
    assert padded.shape[1] % 8 == 4 and padded.shape[1] >= 256


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


@pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed yet")
def test_shipped_figures_agree_in_card_report_and_readme():
    # The held-out table is written by `evaluate --json` into the report and the card, and
    # copied into the README; a retrained model must not leave stale figures in any of them.
    from pathlib import Path

    from patchlab.inpainting.evaluate import EVAL_JSON, format_table, load_report

    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    report = load_report(EVAL_JSON)
    assert card["evaluation_vs_classical"]["families"] == report["families"]
    assert card["evaluation_vs_classical"]["target"] == report["target"]
    assert Inpainter.load().prefill is prefill_function(card.get("prefill"))

    def without_times(table):  # times are re-measured on every run; the scores are seeded
        return [row.rsplit("|", 2)[0] for row in table.splitlines()]

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rows = without_times(format_table(report))
    start = readme.index(rows[0])
    assert without_times(readme[start:].split("\n\n", 1)[0]) == rows


# ------------------------------------------------------- classical, metrics
@pytest.mark.parametrize("name", list(CLASSICAL))
def test_classical_methods_change_only_the_hole(name):
    image = np.random.default_rng(3).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    mask = random_mask((40, 48), seed=0, kind="rectangle")
    out = CLASSICAL[name][1](image, mask)
    np.testing.assert_array_equal(out[~mask], image[~mask])
    assert out.dtype == np.uint8 and out.shape == image.shape


def test_region_metrics_and_target_check():
    a = np.full((32, 32, 3), 100, np.uint8)
    b = a.copy()
    m = np.zeros((32, 32), bool)
    m[8:16, 8:16] = True
    b[m] = 110
    r = region_metrics(a, b, m)
    assert r["psnr_masked"] == pytest.approx(20 * np.log10(255 / 10))
    assert r["psnr_whole"] > r["psnr_masked"] and r["ssim_whole"] > r["ssim_masked"]
    with pytest.raises(ValueError, match="empty"):
        region_metrics(a, b, np.zeros((32, 32), bool))
    fam = {"square": {"unet": {"psnr_masked": 27.0, "ssim_masked": 0.8},
                      "telea": {"psnr_masked": 25.5, "ssim_masked": 0.7},
                      "biharmonic": {"psnr_masked": 26.2, "ssim_masked": 0.75}}}
    t = target_check(fam)["square"]
    assert t["best_classical"] == "biharmonic" and not t["met"]
    # the harmonic fill is the U-Net's first guess: reported, not a competitor
    fam["square"]["harmonic"] = {"psnr_masked": 26.9, "ssim_masked": 0.9}
    fam["square"]["unet"] = {"psnr_masked": 27.3, "ssim_masked": 0.8}
    t = target_check(fam)["square"]
    assert t["best_classical"] == "biharmonic" and t["met"]
    assert t["psnr_gain_over_first_guess_db"] == pytest.approx(0.4)


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


# ------------------------------------------------------------- training
def test_one_training_step_on_a_folder(tmp_path):
    from patchlab.inpainting.data import load_folder
    from patchlab.inpainting.train import train

    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(photos / "a.png")
    Image.fromarray(rng.integers(0, 256, (50, 30, 3), dtype=np.uint8)).save(photos / "sub" / "b.jpg")
    (photos / "notes.txt").write_text("not a photo")
    (photos / "broken.png").write_bytes(b"garbage")
    assert [p.name for p in load_folder(photos)] == ["a", "b"]
    with pytest.raises(ValueError, match="folder"):
        load_folder(tmp_path / "missing")

    out = tmp_path / "m" / "smoke.keras"
    card = train("unet", steps=1, batch=1, out=out, data_dir=photos, size=32,
                 progress=False, evaluate=False)
    assert out.exists() and card["steps_done"] == 1
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["data_dir"] == str(photos) and [p["name"] for p in saved["training_photos"]] == ["a", "b"]
    model = Inpainter.load(out, allow_outside_models=True)
    image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mask = square_mask((32, 32), seed=0)
    np.testing.assert_array_equal(model.inpaint(image, mask)[~mask], image[~mask])

    # an interrupted run is reproduced with --stop-at: the schedule of --steps, fewer steps
    stopped = train("unet", steps=5, stop_at=2, batch=1, out=tmp_path / "m" / "stopped.keras",
                    data_dir=photos, size=32, progress=False, evaluate=False, init=out)
    assert stopped["steps_done"] == 2 and stopped["status"] == "stopped at step 2 of 5"
    assert stopped["initialised_from"]["steps_done"] == 1
    # a wider network continues from a plain one: the new blocks are named on its card
    wider = train("unet", steps=1, batch=1, out=tmp_path / "m" / "wider.keras", data_dir=photos,
                  size=32, progress=False, evaluate=False, init=out, context_blocks=1, square_share=1.0)
    assert wider["new_layers_at_init"] == ["context0_conv1", "context0_conv2"]
    assert wider["context_blocks"] == 1 and wider["square_share"] == 1.0
    with pytest.raises(ValueError, match="context_blocks"):
        train("seed", steps=1, out=tmp_path / "m" / "s.keras", data_dir=photos, context_blocks=1)
    # bfloat16 arithmetic in training, a float32 model on disk, the same network
    fast = train("unet", steps=2, batch=1, out=tmp_path / "m" / "bf16.keras", data_dir=photos,
                 size=32, progress=False, evaluate=False, init=out, bfloat16=True, checkpoint_every=1)
    assert fast["precision"].startswith("mixed bfloat16") and card["precision"] == "float32"
    import keras

    saved_bf16 = keras.models.load_model(tmp_path / "m" / "bf16.keras", safe_mode=True)
    assert {layer.dtype_policy.name for layer in saved_bf16.layers} == {"float32"}
    assert keras.mixed_precision.global_policy().name == "float32"  # the policy is restored
    before = keras.models.load_model(out, safe_mode=True)
    assert [w.shape for w in saved_bf16.weights] == [w.shape for w in before.weights]
    pairs = list(zip(saved_bf16.get_weights(), before.get_weights()))
    assert any(not np.array_equal(a, b) for a, b in pairs)  # trained ...
    assert all(np.allclose(a, b, atol=5e-3) for a, b in pairs)  # ... from the weights it started with
    with pytest.raises(ValueError, match="stop_at"):
        train("unet", steps=5, stop_at=6, out=tmp_path / "m" / "x.keras", data_dir=photos, size=32)


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


def test_the_card_names_the_first_guess(tiny_model_path, tmp_path):
    import shutil

    from patchlab.inpainting.data import Photo
    from patchlab.inpainting.train import make_batch

    assert Inpainter.load(tiny_model_path, allow_outside_models=True).prefill is pull_push_fill
    path = tmp_path / "harmonic.keras"
    shutil.copy(tiny_model_path, path)
    path.with_suffix(".json").write_text(json.dumps({"prefill": "harmonic"}))
    assert Inpainter.load(path, allow_outside_models=True).prefill is harmonic_fill
    path.with_suffix(".json").write_text(json.dumps({"prefill": "diffusion"}))  # a hand-edited card
    with pytest.raises(ModelUnavailable, match="unknown first guess 'diffusion'.*Retrain"):
        Inpainter.load(path, allow_outside_models=True)
    photo = Photo("noise", "test", np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8))
    inputs, target, mask = make_batch([photo], 2, 32, np.random.default_rng(1), prefill="harmonic")
    for image, t, m in zip(inputs["image"], target, mask):
        np.testing.assert_allclose(image, harmonic_fill(t, m[..., 0] > 0), atol=1e-6)


# ---------------------------------------------------- OpenCV sample photos
def test_opencv_photos_load_from_the_cache_and_check_the_download(tmp_path, monkeypatch):
    import cv2

    from patchlab.inpainting import opencv_photos

    rng = np.random.default_rng(0)
    for name, (filename, _) in opencv_photos.PHOTOS.items():
        frame = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
        if filename.endswith(".avi"):
            writer = cv2.VideoWriter(str(tmp_path / filename), cv2.VideoWriter_fourcc(*"MJPG"), 5, (32, 24))
            writer.write(frame)
            writer.release()
        else:
            Image.fromarray(frame).save(tmp_path / filename)

    def no_download(*args, **kwargs):
        raise AssertionError("nothing may be downloaded when the cache is complete")

    monkeypatch.setattr(opencv_photos.urllib.request, "urlopen", no_download)
    photos = opencv_photos.load(tmp_path)
    assert [p.name for p in photos] == list(opencv_photos.PHOTOS)
    assert all(p.image.shape == (24, 32, 3) and p.image.dtype == np.uint8 for p in photos)
    assert all(opencv_photos.SDIST["version"] in p.source for p in photos)

    class Tampered:  # a download whose SHA-256 is not the pinned one is refused
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b"not the source package"

    monkeypatch.setattr(opencv_photos.urllib.request, "urlopen", lambda *a, **k: Tampered())
    with pytest.raises(OSError, match="SHA-256"):
        opencv_photos.fetch(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


# ---------------------------------------------------- Debian wallpaper photos
def _fake_deb(members):
    """An ``ar`` archive holding ``members`` (name -> bytes), as a .deb is."""
    blob = b"!<arch>\n"
    for name, data in members.items():
        blob += f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode("ascii")
        blob += data + (b"\n" if len(data) % 2 else b"")
    return blob


def test_debian_photos_are_extracted_shrunk_and_checked(tmp_path, monkeypatch):
    import hashlib
    import io
    import tarfile

    from patchlab.inpainting import debian_photos

    package = "mate-backgrounds"
    rng = np.random.default_rng(0)
    wanted = {n: v for n, v in debian_photos.PHOTOS.items() if v[0] == package}
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w:xz") as archive:
        for i, (_name, (_, path, _)) in enumerate(wanted.items()):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (30 + i, 2100, 3), dtype=np.uint8)).save(buf, format="PNG")
            info = tarfile.TarInfo(path)
            info.size = len(buf.getvalue())
            archive.addfile(info, io.BytesIO(buf.getvalue()))
    deb = _fake_deb({"debian-binary": b"2.0\n", "control.tar.xz": b"x", "data.tar.xz": tar_bytes.getvalue()})
    members = debian_photos.deb_members(deb)
    assert list(members) == ["debian-binary", "control.tar.xz", "data.tar.xz"]
    assert members["debian-binary"] == b"2.0\n"
    with pytest.raises(ValueError, match="Debian package"):
        debian_photos.deb_members(b"PK\x03\x04 a zip")
    with pytest.raises(ValueError, match="cut short"):
        debian_photos.deb_members(deb[:-10])
    with pytest.raises(ValueError, match="header"):
        debian_photos.deb_members(deb[:8] + b"x" * 60)

    class Response:
        def __init__(self, data):
            self.data = data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return self.data

    urls = []

    def urlopen(url, timeout):
        urls.append(url)
        return Response(deb)

    version, pool_path, _, licence = debian_photos.PACKAGES[package]
    monkeypatch.setitem(debian_photos.PACKAGES, package,
                        (version, pool_path, hashlib.sha256(deb).hexdigest(), licence))
    monkeypatch.setattr(debian_photos, "PHOTOS", wanted)
    monkeypatch.setattr(debian_photos.urllib.request, "urlopen", urlopen)
    photos = debian_photos.load(tmp_path)
    assert urls == ["https://deb.debian.org/debian/pool/main/" + pool_path]
    assert [p.name for p in photos] == list(wanted)
    # long side shrunk to LONG_SIDE, aspect kept
    assert photos[0].image.shape == (round(30 * debian_photos.LONG_SIDE / 2100), debian_photos.LONG_SIDE, 3)
    assert all(version in p.source and licence in p.source for p in photos)
    debian_photos.load(tmp_path)  # cached: nothing more is downloaded
    assert len(urls) == 1

    monkeypatch.setitem(debian_photos.PACKAGES, package, (version, pool_path, "0" * 64, licence))
    with pytest.raises(OSError, match="SHA-256"):
        debian_photos.fetch(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def test_debian_photo_list_names_pinned_packages():
    from patchlab.inpainting import debian_photos

    assert len(debian_photos.PHOTOS) == 35
    for package, path, what in debian_photos.PHOTOS.values():
        version, pool_path, sha256, licence = debian_photos.PACKAGES[package]
        assert pool_path.endswith(".deb") and len(sha256) == 64 and licence and what
        assert path.startswith("./usr/share/") and path.lower().endswith((".jpg", ".png"))


@pytest.mark.parametrize("module, option", [("opencv_photos", "--opencv-photos"),
                                            ("debian_photos", "--debian-photos")])
def test_training_without_the_download_says_so(tmp_path, monkeypatch, capsys, module, option):
    import importlib

    from patchlab.inpainting.train import main

    photos = importlib.import_module(f"patchlab.inpainting.{module}")

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(photos, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(photos.urllib.request, "urlopen", offline)
    with pytest.raises(SystemExit) as exit_:
        main([option, "--steps", "1", "--out", str(tmp_path / "m.keras")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "network unreachable" in err and "without the option" in err and "Traceback" not in err
    assert err.startswith(f"error: {option}:")


def test_loss_can_count_every_image_equally():
    from patchlab.inpainting.train import hole_weighted_l1

    target = np.zeros((2, 8, 8, 3), np.float32)
    output = np.zeros_like(target)
    mask = np.zeros((2, 8, 8, 1), np.float32)
    mask[0, :2, :2] = 1  # a small hole, error 1 in it
    output[0, :2, :2] = 1.0
    mask[1, :, :4] = 1  # a large hole, error 0.1 in it
    output[1, :, :4] = 0.1
    w = 6.0
    small = 4 * w * 1.0 / (4 * w + 60)  # weighted mean error of each image
    large = 32 * w * 0.1 / (32 * w + 32)
    by_image = float(hole_weighted_l1(target, output, mask, hole_weight=w, per_sample=True))
    by_pixel = float(hole_weighted_l1(target, output, mask, hole_weight=w))
    assert by_image == pytest.approx((small + large) / 2, rel=1e-5)
    assert by_pixel == pytest.approx((4 * w + 32 * w * 0.1) / (4 * w + 60 + 32 * w + 32), rel=1e-5)


def _documented_train_commands():
    """Every ``python -m patchlab.inpainting.train`` line in the README, the Makefile and the model card."""
    import re
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    texts = [(root / "README.md").read_text(), (root / "Makefile").read_text().replace("$(PY)", "python"),
             RETRAIN]
    card = json.loads((root / "models" / "inpainting.json").read_text())
    texts += [card.get("command") or "", str(card.get("reproduce", ""))]
    commands = []
    for text in texts:
        for match in re.finditer(r"python -m patchlab\.inpainting\.train([^\n#`]*)", text):
            commands.append(shlex.split(match.group(1)))
    return commands


def test_documented_training_commands_parse():
    # A renamed or removed option would leave the README, `make train` or the retrain
    # message pointing at a command that fails at once.
    from patchlab.inpainting.train import build_parser

    commands = _documented_train_commands()
    assert len(commands) >= 10
    parser = build_parser()
    for argv in commands:
        args = parser.parse_args(argv)
        assert args.steps >= 1 and args.out.endswith(".keras"), argv
